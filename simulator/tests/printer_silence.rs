//! A printer that stops answering in the middle of a print (`silent@CARD:N`) or on demand
//! (`set_silent`): the silenced commands get no reply and do nothing, the card stays at the
//! print position, then the printer answers again and the same card can be printed.

mod printer_support;

use cardline_device::MonoPanel;
use cardline_sim::faults::{PrinterFaultPlan, ScriptedFault};
use cardline_sim::printer::{SimCardPosition, SimPrinter, SimPrinterConfig, SimPrinterHandle};
use printer_support::{cmd, dbc_frame, printer, replies};

fn with_faults(faults: &[&str]) -> SimPrinter {
    let scripted = faults.iter().map(|f| f.parse().expect("fault syntax"));
    SimPrinter::new(SimPrinterConfig {
        faults: PrinterFaultPlan::scripted(scripted),
        ..SimPrinterConfig::default()
    })
}

/// The driver's print job for the card inside (kept at the print position), without `Sis`.
fn print_job() -> Vec<u8> {
    let mut s = b"\x1bPneab;E\r\x1bSs\r\x1bSr\r".to_vec();
    s.extend(dbc_frame("k", &MonoPanel::full()));
    s.extend(b"\x1bSe\r");
    s
}

#[test]
fn card_2_silences_its_download_and_the_next_commands_then_prints_on_a_retry() {
    let mut p = with_faults(&["silent@2:3"]);
    assert_eq!(cmd(&mut p, "Sis"), "OK");
    assert_eq!(
        replies(&p.feed(&print_job())),
        ["OK"; 5],
        "card 1 is not silenced"
    );
    assert_eq!(cmd(&mut p, "Se"), "OK");
    assert_eq!(cmd(&mut p, "Sis"), "OK");
    // card 2: Pneab, Ss, Sr answered; the download (1) and Se (2) are not
    assert_eq!(replies(&p.feed(&print_job())), ["OK"; 3]);
    let s = p.state();
    assert!(s.silent);
    assert_eq!(s.card, Some((2, SimCardPosition::PrintPosition)));
    assert_eq!(
        s.counters.cards_printed, 1,
        "the silenced Se printed nothing"
    );
    // the third silenced command is a reject: it does nothing either
    assert!(p.feed(b"\x1bSer\r").is_empty());
    assert_eq!(p.state().card, Some((2, SimCardPosition::PrintPosition)));
    assert_eq!(p.state().counters.cards_rejected, 0);
    assert!(!p.state().silent);
    // answering again: the card is where it was, the same card prints on a retry
    assert_eq!(cmd(&mut p, "Rlr;p"), "CARD");
    assert_eq!(replies(&p.feed(&print_job())), ["OK"; 5]);
    let s = p.state();
    assert_eq!((s.counters.cards_fed, s.counters.cards_printed), (2, 2));
    assert_eq!(p.last_printed().unwrap().card_number, 2);
}

#[test]
fn a_malformed_command_is_swallowed_too() {
    let mut p = with_faults(&["silent@1:2"]);
    assert_eq!(cmd(&mut p, "Ss"), "OK");
    let mut s = dbc_frame("k", &MonoPanel::full());
    s.extend(b"\x1bDb;k;zz\r");
    assert!(p.feed(&s).is_empty());
    assert_eq!(cmd(&mut p, "Db;k;zz"), "ERROR PARAMETERS");
}

#[test]
fn silence_injected_at_runtime_waits_for_its_card() {
    let mut p = printer();
    p.inject(ScriptedFault::Silent {
        card: 1,
        commands: 1,
    });
    // a download with no card inside is not the card's print
    assert_eq!(
        replies(&p.feed(&dbc_frame("k", &MonoPanel::full()))),
        ["OK"]
    );
    assert_eq!(cmd(&mut p, "Ss"), "OK");
    assert!(p.feed(&dbc_frame("k", &MonoPanel::full())).is_empty());
    assert_eq!(
        replies(&p.feed(&dbc_frame("k", &MonoPanel::full()))),
        ["OK"],
        "only the first download of the card"
    );
}

#[test]
fn a_handle_makes_the_printer_silent_on_demand_and_counts_feeds() {
    let handle = SimPrinterHandle::new(printer());
    assert_eq!(handle.feed(b"\x1bSis\r"), b"OK\r");
    assert_eq!(handle.cards_fed(), 1);
    handle.set_silent(true);
    assert!(handle.state().silent);
    for _ in 0..5 {
        assert!(handle.feed(b"\x1bRlr;p\r\x1bSe\r\x1bSis\r").is_empty());
    }
    assert_eq!(handle.cards_fed(), 1, "nothing moved while silent");
    assert_eq!(
        handle.state().card,
        Some((1, SimCardPosition::ContactStation))
    );
    handle.set_silent(false);
    assert_eq!(handle.feed(b"\x1bRlr;p\r"), b"SMART CARD\r");
}
