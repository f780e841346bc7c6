//! USB permissions: every supported printer found on USB (the vendor ids of every family in the
//! registry, the ones the udev rules name) has a device node this user can open for reading and
//! writing. Without the package's udev rules, or outside the `cardline` group, only root can.

use std::path::{Path, PathBuf};

use crate::discover::{FoundUsbPrinter, UsbBus, usb_families, usb_printers};

use super::Check;

const FAMILY: &str = "usb";

/// Checks the device node of every supported USB printer on `bus`.
pub(crate) fn check(bus: &(impl UsbBus + ?Sized), out: &mut Vec<Check>) {
    let (found, unavailable) = usb_printers(bus);
    if let Some(why) = unavailable {
        out.push(Check::warning(
            FAMILY,
            "printers",
            why,
            "USB printers cannot be found here; serial and TCP printers are not affected",
        ));
    }
    if found.is_empty() {
        let families: Vec<String> = usb_families()
            .map(|(f, v)| format!("{} ({v:04x})", f.label))
            .collect();
        out.push(Check::ok(
            FAMILY,
            "printers",
            format!("no USB printer of {} connected", families.join(", ")),
        ));
    }
    for p in &found {
        out.push(node_check(
            &label(p),
            &device_node(p.entry.bus, p.entry.address),
        ));
    }
}

fn label(p: &FoundUsbPrinter) -> String {
    let e = &p.entry;
    format!(
        "{} {:04x}:{:04x}{}{}",
        p.family.label,
        e.vendor_id,
        e.product_id,
        p.model.map(|m| format!(" ({m})")).unwrap_or_default(),
        e.serial
            .as_deref()
            .map(|s| format!(" serial {s}"))
            .unwrap_or_default()
    )
}

/// The usbfs node of a device: `/dev/bus/usb/BBB/DDD`.
pub fn device_node(bus: u8, address: u8) -> PathBuf {
    PathBuf::from(format!("/dev/bus/usb/{bus:03}/{address:03}"))
}

/// Whether this user can open `node` for reading and writing (what the USB link does).
pub fn node_check(label: &str, node: &Path) -> Check {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(node)
    {
        Ok(_) => Check::ok(FAMILY, label, format!("{}: read/write", node.display())),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Check::problem(
            FAMILY,
            label,
            format!("{}: no permission ({e})", node.display()),
            "install the cardline package (its udev rules give group `cardline` access), `adduser $USER cardline`, log out and in, then replug the printer",
        ),
        Err(e) => Check::problem(
            FAMILY,
            label,
            format!("{} cannot be opened: {e}", node.display()),
            "replug the printer and run `cardline doctor` again",
        ),
    }
}
