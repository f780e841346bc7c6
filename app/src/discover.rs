//! [`discover`]: the printers this machine can reach — USB devices with the vendor ids of every
//! printer family (Evolis 0x0F49, Magicard 0x0C1F), and serial ports (`cardline printers
//! list`).
//!
//! USB is enumerated through a [`UsbBus`]: the machine's ([`SystemUsb`], libusb) or a stand-in
//! list of devices ([`discover_on`] with a slice of entries), so discovery is tested where no
//! printer is attached.
//!
//! ```
//! use cardline_app::discover::discover_on;
//! use cardline_link::UsbPrinterEntry;
//! let tango = UsbPrinterEntry {
//!     bus: 1, address: 4, vendor_id: 0x0C1F, product_id: 0x1800,
//!     product: None, serial: Some("MC123".into()), uri: "usb://0c1f:1800?serial=MC123".into(),
//! };
//! let found = discover_on(&[tango][..]);
//! assert_eq!(found.usb[0].printer_uri, "magicard+usb://0c1f:1800?serial=MC123");
//! assert_eq!(found.usb[0].model, Some("Tango 2E / Rio 2E"));
//! ```

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
    /// The model its product id stands for, when the family knows it (`Tango 2E / Rio 2E`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<&'static str>,
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

/// Where USB printers are listed from.
pub trait UsbBus {
    /// The printers with `vendor_id`; `(empty, Some(reason))` when USB cannot be listed.
    fn printers(&self, vendor_id: u16) -> (Vec<UsbPrinterEntry>, Option<String>);
}

/// This machine's USB, through libusb ([`list_usb_printers`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemUsb;

impl UsbBus for SystemUsb {
    fn printers(&self, vendor_id: u16) -> (Vec<UsbPrinterEntry>, Option<String>) {
        list_usb_printers(vendor_id)
    }
}

/// A stand-in device list (tests, or a list recorded elsewhere): the entries with the vendor id.
impl UsbBus for [UsbPrinterEntry] {
    fn printers(&self, vendor_id: u16) -> (Vec<UsbPrinterEntry>, Option<String>) {
        let found = self
            .iter()
            .filter(|e| e.vendor_id == vendor_id)
            .cloned()
            .collect();
        (found, None)
    }
}

/// The families that are found on USB, with their vendor ids.
pub fn usb_families() -> impl Iterator<Item = (&'static PrinterFamily, u16)> {
    FAMILIES
        .iter()
        .flat_map(|f| f.usb_vendor_ids.iter().map(move |v| (*f, *v)))
}

/// The printer URI schemes for a serial port, one per family with a `+serial` scheme
/// (`evolis+serial`, `magicard+serial`): a serial port does not say which printer is behind it.
pub fn serial_schemes() -> Vec<&'static str> {
    FAMILIES
        .iter()
        .flat_map(|f| f.schemes.iter().copied())
        .filter(|s| s.ends_with("+serial"))
        .collect()
}

/// Enumerates USB printers of every family's vendor ids on this machine, and serial ports.
pub fn discover() -> Discovery {
    discover_on(&SystemUsb)
}

/// Enumerates USB printers of every family's vendor ids on `usb`, and this machine's serial
/// ports.
pub fn discover_on(usb: &(impl UsbBus + ?Sized)) -> Discovery {
    let (found, usb_unavailable) = usb_printers(usb);
    let (serial, serial_unavailable) = list_serial_ports();
    Discovery {
        usb: found,
        usb_unavailable,
        serial,
        serial_unavailable,
    }
}

/// The USB printers of every family on `usb`, by family order.
pub fn usb_printers(usb: &(impl UsbBus + ?Sized)) -> (Vec<FoundUsbPrinter>, Option<String>) {
    let mut out = Vec::new();
    let mut unavailable = None;
    for (family, vendor) in usb_families() {
        let (found, why) = usb.printers(vendor);
        unavailable = unavailable.or(why);
        out.extend(found.into_iter().map(|entry| FoundUsbPrinter {
            family,
            printer_uri: format!("{}+{}", family.name, entry.uri),
            model: (family.usb_model)(entry.product_id),
            entry,
        }));
    }
    (out, unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::validate_printer;

    fn entry(vendor_id: u16, product_id: u16, serial: Option<&str>) -> UsbPrinterEntry {
        let mut uri = format!("usb://{vendor_id:04x}:{product_id:04x}");
        if let Some(s) = serial {
            uri.push_str(&format!("?serial={s}"));
        }
        UsbPrinterEntry {
            bus: 1,
            address: 2,
            vendor_id,
            product_id,
            product: None,
            serial: serial.map(str::to_string),
            uri,
        }
    }

    #[test]
    fn each_family_is_found_by_its_vendor_id_and_both_own_serial_schemes() {
        let families: Vec<(&str, u16)> = usb_families().map(|(f, v)| (f.name, v)).collect();
        assert_eq!(families, [("evolis", 0x0F49), ("magicard", 0x0C1F)]);
        assert_eq!(serial_schemes(), ["evolis+serial", "magicard+serial"]);
        // Enumeration never panics, with or without USB in this environment.
        let found = discover();
        assert!(found.usb.is_empty() || found.usb_unavailable.is_none());
        assert!(found.usb.iter().all(|p| {
            p.printer_uri.starts_with("evolis+usb://0f49:")
                || p.printer_uri.starts_with("magicard+usb://0c1f:")
        }));
    }

    #[test]
    fn a_stand_in_bus_finds_magicard_and_evolis_printers_and_nothing_else() {
        let bus = [
            entry(0x0C1F, 0x1800, Some("MC0001")),
            entry(0x046D, 0xC52B, None), // a mouse
            entry(0x0F49, 0x0A00, Some("P2D001")),
            entry(0x0C1F, 0x4321, None), // a Magicard product id no list names
        ];
        let (found, unavailable) = usb_printers(&bus[..]);
        assert_eq!(unavailable, None);
        let uris: Vec<&str> = found.iter().map(|p| p.printer_uri.as_str()).collect();
        assert_eq!(
            uris,
            [
                "evolis+usb://0f49:0a00?serial=P2D001",
                "magicard+usb://0c1f:1800?serial=MC0001",
                "magicard+usb://0c1f:4321",
            ]
        );
        let models: Vec<Option<&str>> = found.iter().map(|p| p.model).collect();
        assert_eq!(models, [None, Some("Tango 2E / Rio 2E"), None]);
        for p in &found {
            assert_eq!(
                validate_printer(&p.printer_uri).unwrap().name,
                p.family.name
            );
        }
        let json = serde_json::to_value(&found[1]).unwrap();
        assert_eq!(json["model"], "Tango 2E / Rio 2E");
        assert_eq!(json["vendor_id"], 0x0C1F);
    }

    #[test]
    fn an_unusable_bus_says_why_next_to_an_empty_list() {
        struct NoUsb;
        impl UsbBus for NoUsb {
            fn printers(&self, _: u16) -> (Vec<UsbPrinterEntry>, Option<String>) {
                (Vec::new(), Some("USB unavailable: no /dev/bus/usb".into()))
            }
        }
        let (found, why) = usb_printers(&NoUsb);
        assert!(found.is_empty());
        assert_eq!(why.as_deref(), Some("USB unavailable: no /dev/bus/usb"));
    }
}
