//! USB discovery without hardware: never panics, reports why USB is unavailable, finds no
//! Evolis printer on a machine without one.

use cardline_link::{EVOLIS_VENDOR_ID, list_usb_printers, open_link};

#[test]
fn discovery_returns_a_list_or_a_reason_never_panics() {
    let (printers, unavailable) = list_usb_printers(EVOLIS_VENDOR_ID);
    match unavailable {
        Some(reason) => {
            assert!(printers.is_empty());
            assert!(reason.contains("USB unavailable"), "{reason}");
            cardline_device::skipped!("USB enumeration ({reason})");
        }
        None => {
            for p in &printers {
                assert_eq!(p.vendor_id, EVOLIS_VENDOR_ID);
                assert!(p.uri.starts_with("usb://0f49:"));
            }
        }
    }
}

#[test]
fn opening_an_absent_usb_printer_is_an_open_error() {
    // Vendor 0xFFFF is reserved: no device has it.
    let e = open_link("usb://ffff:0001").err().unwrap().to_string();
    assert!(e.contains("usb://ffff:0001"), "{e}");
}
