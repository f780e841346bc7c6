//! Chips of simulated stations: without `seed=`, serials never repeat between two openings of
//! the same `sim://` URI, in one process or in two; with `seed=` they are the same every time.

use std::process::Command;
use std::time::Duration;

use cardline_app::{PrinterOptions, open_printer};

/// Opens `uri`, parks the first card at its contact station and reads its chip's serial
/// (SELECT PIV, then the YubiKey GET SERIAL the simulated chip answers).
fn first_chip_serial(uri: &str) -> u32 {
    let mut opened = open_printer(uri, &PrinterOptions::default()).expect("sim station opens");
    opened.printer.park_for_encoding().expect("card parked");
    let reader = opened
        .own_reader
        .as_mut()
        .expect("a simulated station has its reader");
    let mut chip = reader
        .connect(Duration::from_secs(5))
        .expect("chip present");
    let select = chip
        .transmit(&[0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08])
        .unwrap();
    assert_eq!(select[select.len() - 2..], [0x90, 0x00]);
    let serial = chip.transmit(&[0x00, 0xF8, 0x00, 0x00]).unwrap();
    assert_eq!(serial.len(), 6, "{serial:02X?}");
    assert_eq!(serial[4..], [0x90, 0x00]);
    u32::from_be_bytes(serial[..4].try_into().unwrap())
}

#[test]
fn two_openings_of_one_uri_give_different_chips_unless_seeded() {
    let a = first_chip_serial("sim://desk-1");
    let b = first_chip_serial("sim://desk-1");
    assert_ne!(a, b, "same station name, same process");
    assert!((10_000_000..=99_999_999).contains(&a), "{a}");
    let seeded = first_chip_serial("sim://desk-1?seed=42");
    assert_eq!(seeded, first_chip_serial("sim://desk-1?seed=42"));
    assert_ne!(seeded, first_chip_serial("sim://desk-1?seed=43"));
}

/// Set in the child processes of [`two_processes_never_share_the_first_chip_serial`]: the
/// URI whose first chip serial the child prints.
const CHILD_URI: &str = "CARDLINE_TEST_CHILD_SIM_URI";

#[test]
fn child_prints_first_chip_serial() {
    // Runs as a normal test too (with a default URI), which checks the same path.
    let uri = std::env::var(CHILD_URI).unwrap_or_else(|_| "sim://desk-1".into());
    println!("first-chip-serial={}", first_chip_serial(&uri));
}

/// Runs this test binary again as a separate process, for `uri`; returns its first serial.
fn serial_in_another_process(uri: &str) -> u32 {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_prints_first_chip_serial", "--exact", "--nocapture"])
        .env(CHILD_URI, uri)
        .output()
        .expect("the test binary runs again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("first-chip-serial="))
        .unwrap_or_else(|| panic!("no serial in the child's output:\n{stdout}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn two_processes_never_share_the_first_chip_serial() {
    let one = serial_in_another_process("sim://desk-1");
    let two = serial_in_another_process("sim://desk-1");
    assert_ne!(one, two, "two processes, one station name");
    let seeded = serial_in_another_process("sim://desk-1?seed=7");
    assert_eq!(seeded, serial_in_another_process("sim://desk-1?seed=7"));
    assert_eq!(
        seeded,
        first_chip_serial("sim://desk-1?seed=7"),
        "and in this one"
    );
}
