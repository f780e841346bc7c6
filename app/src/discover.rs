//! [`discover`]: the printers this machine can reach — USB devices with the vendor ids of every
//! printer family, and serial ports (`cardline printers list`).

use cardline_link::{SerialPortEntry, UsbPrinterEntry, list_serial_ports, list_usb_printers};

use crate::registry::{FAMILIES, PrinterFamily};

/// A USB printer of a known family.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FoundUsbPrinter {
    /// The family (by its vendor id).
    #[serde(skip)]
    pub family: &'static PrinterFamily,
    /// The printer URI that opens it (`evolis+usb://0f49:0a00?serial=…`).
    #[serde(skip)]
    pub printer_uri: String,
    /// What USB says about it (its `uri` is the link URI, without the family).
    #[serde(flatten)]
    pub entry: UsbPrinterEntry,
}

/// What [`discover`] found. Enumeration never fails: when USB or serial ports cannot be listed,
/// the reason stands next to the (empty) list.
#[derive(Clone, Debug)]
pub struct Discovery {
    /// USB printers of every family, by family order.
    pub usb: Vec<FoundUsbPrinter>,
    /// Why USB could not be enumerated, when it could not.
    pub usb_unavailable: Option<String>,
    /// Serial ports (any printer family on a serial link).
    pub serial: Vec<SerialPortEntry>,
    /// Why serial ports could not be enumerated, when they could not.
    pub serial_unavailable: Option<String>,
}

/// The families that are found on USB, with their vendor ids.
pub fn usb_families() -> impl Iterator<Item = (&'static PrinterFamily, u16)> {
    FAMILIES
        .iter()
        .flat_map(|f| f.usb_vendor_ids.iter().map(move |v| (*f, *v)))
}

/// The printer URI scheme for a serial port (the first family with a `+serial` scheme).
pub fn serial_scheme() -> Option<&'static str> {
    FAMILIES
        .iter()
        .flat_map(|f| f.schemes.iter().copied())
        .find(|s| s.ends_with("+serial"))
}

/// Enumerates USB printers of every family's vendor ids, and serial ports.
pub fn discover() -> Discovery {
    let mut usb = Vec::new();
    let mut usb_unavailable = None;
    for (family, vendor) in usb_families() {
        let (found, why) = list_usb_printers(vendor);
        usb_unavailable = usb_unavailable.or(why);
        usb.extend(found.into_iter().map(|entry| FoundUsbPrinter {
            family,
            printer_uri: format!("{}+{}", family.name, entry.uri),
            entry,
        }));
    }
    let (serial, serial_unavailable) = list_serial_ports();
    Discovery {
        usb,
        usb_unavailable,
        serial,
        serial_unavailable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evolis_is_found_by_its_vendor_id_and_owns_the_serial_ports() {
        let families: Vec<(&str, u16)> = usb_families().map(|(f, v)| (f.name, v)).collect();
        assert_eq!(families, [("evolis", 0x0F49)]);
        assert_eq!(serial_scheme(), Some("evolis+serial"));
        // Enumeration never panics, with or without USB in this environment.
        let found = discover();
        assert!(found.usb.is_empty() || found.usb_unavailable.is_none());
        assert!(
            found
                .usb
                .iter()
                .all(|p| p.printer_uri.starts_with("evolis+usb://0f49:"))
        );
    }
}
