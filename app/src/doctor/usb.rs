//! USB permissions: every supported printer found on USB (by the vendor ids the udev rules
//! name) has a device node this user can open for reading and writing. Without the package's
//! udev rules, or outside the `cardline` group, only root can.

use std::path::{Path, PathBuf};

use cardline_link::list_usb_printers;

use super::{Check, UsbVendor};

const FAMILY: &str = "usb";

/// Checks the device node of every supported USB printer found.
pub(crate) fn check(vendors: &[UsbVendor], out: &mut Vec<Check>) {
    let mut any = false;
    for v in vendors {
        let (found, unavailable) = list_usb_printers(v.vendor_id);
        if let Some(why) = unavailable {
            out.push(Check::warning(
                FAMILY,
                format!("{} printers", v.family),
                why,
                "USB printers cannot be found here; serial and TCP printers are not affected",
            ));
            continue;
        }
        for p in found {
            any = true;
            let label = format!(
                "{} {:04x}:{:04x}{}",
                v.family,
                p.vendor_id,
                p.product_id,
                p.serial
                    .as_deref()
                    .map(|s| format!(" serial {s}"))
                    .unwrap_or_default()
            );
            out.push(node_check(&label, &device_node(p.bus, p.address)));
        }
    }
    if !any && !out.iter().any(|c| c.family == FAMILY) {
        let names: Vec<String> = vendors
            .iter()
            .map(|v| format!("{} ({:04x})", v.family, v.vendor_id))
            .collect();
        out.push(Check::ok(
            FAMILY,
            "printers",
            format!("no USB printer of {} connected", names.join(", ")),
        ));
    }
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
