//! `EvolisPrinter` session start and `status()` against a scripted link: every status query
//! and every status/fault mapping of `docs/printer-driver.md`.

mod support;

use cardline_device::{CardPosition, CardPrinter, PrinterFault};
use cardline_evolis::{EvolisPrinter, ScriptedLink};
use support::{fast, finish, session, status_script};

#[test]
fn connect_reads_identity_and_capabilities() {
    let p = EvolisPrinter::connect(session("Primacy 2 Duplex"), fast()).unwrap();
    assert_eq!(p.identity().model.as_deref(), Some("Primacy 2 Duplex"));
    assert_eq!(p.identity().serial.as_deref(), Some("SN42"));
    assert_eq!(p.identity().firmware.as_deref(), Some("1.0.3"));
    assert!(p.capabilities().duplex);
    assert!(p.describe().contains("Primacy 2 Duplex"));
    finish(p);
}

#[test]
fn connect_tolerates_unknown_identity_queries() {
    let link = ScriptedLink::new()
        .command("Pem;2", "OK")
        .command("Rtp", "ERROR CDE")
        .command("Rsn", "ERROR CDE")
        .command("Rfv", "2.1");
    let p = EvolisPrinter::connect(link, fast()).unwrap();
    assert_eq!(p.identity().model, None);
    assert_eq!(p.identity().firmware.as_deref(), Some("2.1"));
    finish(p);
}

#[test]
fn ready_status_maps_every_field() {
    let link = status_script(
        session("Zenius"),
        [
            "SMART CARD",
            "5,00 Volts",
            "5,00 Volts",
            "NO CARD",
            "ymcko",
            "187",
            "200",
            "4321",
        ],
    );
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    let s = p.status().unwrap();
    assert_eq!(s.position, Some(CardPosition::ContactStation));
    assert!(!s.cover_open && !s.feeder_empty && !s.reject_box_full);
    // Both sensors answered: closed and loaded are known, not assumed.
    assert!(s.cover_known && s.feeder_known);
    assert_eq!(s.ribbon.kind.as_deref(), Some("ymcko"));
    assert_eq!(s.ribbon.remaining, Some(187));
    assert_eq!(s.ribbon.capacity, Some(200));
    assert_eq!(s.total_cards, Some(4321));
    assert_eq!(s.model.as_deref(), Some("Zenius"));
    assert!(s.is_ready(), "{s:?}");
    finish(p);
}

#[test]
fn sensor_and_box_faults_show_in_status() {
    let link = status_script(
        session("Zenius"),
        [
            "OK",
            "0,00 Volts",
            "0,00 Volts",
            "CARD",
            "k",
            "0",
            "100",
            "ERROR CDE",
        ],
    );
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    let s = p.status().unwrap();
    assert_eq!(s.position, Some(CardPosition::NoCard));
    assert!(s.cover_open && s.feeder_empty && s.reject_box_full);
    assert_eq!(s.faults, vec![PrinterFault::RibbonOut]);
    assert_eq!(s.total_cards, None);
    assert!(!s.is_ready());
    finish(p);
}

#[test]
fn missing_ribbon_and_stuck_card_show_in_status() {
    let link = session("Zenius")
        .command("Rlr;p", "ERR CARD JAM")
        .command("Rse;o", "5,00 Volts")
        .command("Rse;f", "5,00 Volts")
        .command("Rlr;h", "NO CARD")
        .command("Rr", "ymcko")
        .command("Rrt;count", "ERR RIB DETECTION")
        .command("Rco;c", "12");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    let s = p.status().unwrap();
    assert_eq!(s.position, None);
    assert_eq!(
        s.faults,
        vec![PrinterFault::Jam, PrinterFault::RibbonMissing]
    );
    assert_eq!(s.ribbon.kind, None);
    finish(p);
}

#[test]
fn fault_replies_to_status_queries_set_flags() {
    let link = session("Zenius")
        .command("Rlr;p", "ERR COVER OPEN")
        .command("Rse;o", "ERR BUSY")
        .command("Rse;f", "ERR FEEDER EMPTY")
        .command("Rlr;h", "ERR REJECT BOX FULL")
        .command("Rr", "ERR HEAD TEMP")
        .command("Rrt;count", "ERR RIBBON END")
        .command("Rrt;qty", "10")
        .command("Rco;c", "1");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    let s = p.status().unwrap();
    assert!(s.cover_open && s.feeder_empty && s.reject_box_full);
    assert_eq!(
        s.faults,
        [
            PrinterFault::Busy,
            PrinterFault::HeadTemperature,
            PrinterFault::RibbonOut
        ]
    );
    let names: Vec<String> = s.faults.iter().map(|f| f.to_string()).collect();
    assert_eq!(names, ["busy", "head_overheat", "ribbon_out"]);
    finish(p);
}

#[test]
fn spurious_ok_to_ribbon_count_is_retried() {
    let link = session("Zenius")
        .command("Rlr;p", "OK")
        .command("Rse;o", "5,00 Volts")
        .command("Rse;f", "5,00 Volts")
        .command("Rlr;h", "NO CARD")
        .command("Rr", "k")
        .command("Rrt;count", "OK")
        .command("Rrt;count", "OK")
        .command("Rrt;count", "99")
        .command("Rrt;qty", "100")
        .command("Rco;c", "1");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    assert_eq!(p.status().unwrap().ribbon.remaining, Some(99));
    finish(p);
}
