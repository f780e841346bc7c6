//! `SimStation`: the chip can be reached only while the printer holds the card at the contact
//! station, and every card fed brings its own fresh chip.

use std::time::Duration;

use cardline_device::{CardReader, PrinterLink, TransportError};
use cardline_sim::card::{SimCard, SimCardConfig};
use cardline_sim::printer::{SimPrinter, SimPrinterConfig, SimPrinterHandle};
use cardline_sim::station::SimStation;

const SELECT_PIV: [u8; 10] = [0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08];
/// YubiKey GET SERIAL.
const GET_SERIAL: [u8; 5] = [0x00, 0xF8, 0x00, 0x00, 0x00];

fn station() -> (SimPrinterHandle, SimStation) {
    let printer = SimPrinterHandle::new(SimPrinter::new(SimPrinterConfig::default()));
    let station = SimStation::new(printer.clone(), |n: u32| {
        SimCard::new(SimCardConfig {
            serial: 20_000_000 + n,
            ..SimCardConfig::default()
        })
    });
    (printer, station)
}

fn command(link: &mut impl PrinterLink, c: &str) -> String {
    link.send(format!("\x1b{c}\r").as_bytes(), Duration::from_secs(1))
        .unwrap();
    let mut buf = [0u8; 64];
    let n = link.recv(&mut buf, Duration::from_secs(1)).unwrap();
    String::from_utf8_lossy(&buf[..n]).trim_end().to_string()
}

fn serial_of(station: &mut SimStation) -> u32 {
    let mut chip = station
        .connect(Duration::from_millis(50))
        .expect("card parked");
    assert!(chip.transmit(&SELECT_PIV).unwrap().ends_with(&[0x90, 0x00]));
    let r = chip.transmit(&GET_SERIAL).unwrap();
    assert!(r.ends_with(&[0x90, 0x00]), "{r:02X?}");
    u32::from_be_bytes(r[..4].try_into().unwrap())
}

#[test]
fn no_chip_unless_the_card_is_parked() {
    let (printer, mut station) = station();
    let err = station
        .connect(Duration::from_millis(20))
        .err()
        .expect("no card yet");
    assert!(matches!(err, TransportError::NoCard { .. }), "{err:?}");
    let mut link = station.printer_link();
    assert_eq!(command(&mut link, "Si"), "OK", "card at the print position");
    assert!(
        station.connect(Duration::ZERO).is_err(),
        "not at the contact station"
    );
    assert_eq!(command(&mut link, "Sis"), "OK");
    assert_eq!(serial_of(&mut station), 20_000_001);
    assert_eq!(printer.card_at_contact_station(), Some(1));
}

#[test]
fn a_session_ends_when_the_card_moves_away() {
    let (_printer, mut station) = station();
    let mut link = station.printer_link();
    assert_eq!(command(&mut link, "Sis"), "OK");
    let mut chip = station.connect(Duration::ZERO).unwrap();
    assert!(chip.transmit(&SELECT_PIV).is_ok());
    assert_eq!(
        command(&mut link, "Ss"),
        "OK",
        "the card goes to the print position"
    );
    let err = chip.transmit(&SELECT_PIV).unwrap_err();
    assert!(matches!(err, TransportError::CardRemoved { .. }), "{err:?}");
}

#[test]
fn every_card_fed_has_its_own_fresh_chip() {
    let (printer, mut station) = station();
    let mut link = station.printer_link();
    for n in 1..=3u32 {
        assert_eq!(command(&mut link, "Sis"), "OK");
        assert_eq!(serial_of(&mut station), 20_000_000 + n);
        assert_eq!(command(&mut link, if n == 2 { "Ser" } else { "Se" }), "OK");
    }
    assert_eq!(station.cards_seen(), [1, 2, 3]);
    let chip2 = station
        .chip(2)
        .expect("chip of the rejected card kept for inspection");
    assert_eq!(chip2.lock().unwrap().serial(), 20_000_002);
    assert_eq!(printer.state().reject_box, 1);
    // reconnecting to the same parked card gives the same chip, not a new one
    assert_eq!(command(&mut link, "Sis"), "OK");
    let a = serial_of(&mut station);
    let b = serial_of(&mut station);
    assert_eq!(a, b);
    assert_eq!(station.cards_seen().len(), 4);
}

#[test]
fn a_station_keeps_only_the_chips_of_the_last_cards_it_is_told_to() {
    let (_, station) = station();
    let mut station = station.keeping_chips(2);
    let mut link = station.printer_link();
    for n in 1..=4u32 {
        assert_eq!(command(&mut link, "Sis"), "OK");
        assert_eq!(serial_of(&mut station), 20_000_000 + n);
        assert_eq!(command(&mut link, "Se"), "OK");
    }
    assert_eq!(station.cards_seen(), [3, 4], "the oldest chips are dropped");
    assert!(station.chip(1).is_none());
}

#[test]
fn seeded_chips_are_reproducible() {
    let make = || {
        let printer = SimPrinterHandle::new(SimPrinter::new(SimPrinterConfig::default()));
        let mut st = SimStation::with_seeded_chips(printer.clone(), 99);
        printer.feed(b"\x1bSis\r");
        serial_of(&mut st)
    };
    assert_eq!(make(), make());
}
