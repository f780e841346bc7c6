//! Every fault of the printer fault plan produces the reply and status a real printer gives
//! (fault vocabulary: docs/printer-driver.md), and recovers the way an operator would.

mod printer_support;

use cardline_device::{JobPhase, MonoPanel};
use cardline_sim::faults::{FaultRates, PrinterFaultPlan, ScriptedFault};
use cardline_sim::printer::{SimCardPosition, SimPrinter, SimPrinterConfig};
use printer_support::{cmd, dbc_frame, replies};

fn with_faults(faults: &[&str]) -> SimPrinter {
    let scripted = faults.iter().map(|f| f.parse().expect("fault syntax"));
    SimPrinter::new(SimPrinterConfig {
        faults: PrinterFaultPlan::scripted(scripted),
        ..SimPrinterConfig::default()
    })
}

/// Park, print K, eject: the replies of each step.
fn card(p: &mut SimPrinter) -> Vec<String> {
    let mut s = b"\x1bSis\r\x1bPneab;A;1\r\x1bSs\r\x1bSr\r".to_vec();
    s.extend(dbc_frame("k", &MonoPanel::full()));
    s.extend(b"\x1bSe\r");
    replies(&p.feed(&s))
}

const ALL_OK: [&str; 6] = ["OK"; 6];

#[test]
fn jam_while_printing_card_2() {
    let mut p = with_faults(&["jam@2:printing"]);
    assert_eq!(card(&mut p), ALL_OK);
    assert_eq!(card(&mut p), ["OK", "OK", "OK", "OK", "OK", "ERR CARD JAM"]);
    assert_eq!(
        cmd(&mut p, "Rlr;p"),
        "ERR CARD JAM",
        "status shows the stuck card"
    );
    assert_eq!(
        p.state().card,
        Some((2, SimCardPosition::Jammed(JobPhase::Printing)))
    );
    assert_eq!(
        cmd(&mut p, "Sis"),
        "ERR CARD JAM",
        "nothing moves while jammed"
    );
    assert_eq!(
        cmd(&mut p, "Ser"),
        "OK",
        "the printer can expel it to the reject box"
    );
    assert_eq!(cmd(&mut p, "Rlr;p"), "OK");
    assert_eq!(card(&mut p), ALL_OK, "card 3 goes through");
    let c = p.state().counters;
    assert_eq!((c.jams, c.cards_rejected, c.cards_printed), (1, 1, 2));
}

#[test]
fn jam_in_every_phase_has_its_reply() {
    let mut p = with_faults(&["jam@1:feeding"]);
    assert_eq!(cmd(&mut p, "Sis"), "ERR FEEDER JAM");
    assert_eq!(cmd(&mut p, "Rlr;p"), "ERR FEEDER JAM");
    assert_eq!(p.remove_card_by_hand(), Some(1));
    assert_eq!(cmd(&mut p, "Sis"), "OK");

    let mut p = with_faults(&["jam@1:parking"]);
    assert_eq!(cmd(&mut p, "Sis"), "ERR CARD JAM");
    assert_eq!(
        p.state().card,
        Some((1, SimCardPosition::Jammed(JobPhase::Parking)))
    );

    let mut p = with_faults(&["jam@1:ejecting"]);
    assert_eq!(card(&mut p), ["OK", "OK", "OK", "OK", "OK", "ERR CARD JAM"]);
    assert_eq!(
        p.state().counters.cards_printed,
        1,
        "printed, then stuck on the way out"
    );

    let mut p = with_faults(&["jam@1:rejecting"]);
    assert_eq!(cmd(&mut p, "Sis"), "OK");
    assert_eq!(cmd(&mut p, "Ser"), "ERR CARD JAM");
    assert_eq!(cmd(&mut p, "Ser"), "OK", "second attempt clears it");
}

#[test]
fn ribbon_ends_after_two_prints() {
    let mut p = with_faults(&["ribbon-ends-after=2"]);
    assert_eq!(cmd(&mut p, "Rrt;count"), "2");
    assert_eq!(card(&mut p), ALL_OK);
    assert_eq!(card(&mut p), ALL_OK);
    assert_eq!(cmd(&mut p, "Rcr"), "ERR RIBBON END");
    assert_eq!(
        card(&mut p),
        ["OK", "OK", "OK", "OK", "OK", "ERR RIBBON END"]
    );
    assert_eq!(cmd(&mut p, "Rrt;count"), "0");
    assert_eq!(cmd(&mut p, "Rlr;p"), "CARD", "the card waits inside");
    p.replace_ribbon(cardline_sim::printer::RibbonLoad::ymcko());
    assert_eq!(cmd(&mut p, "Ser"), "OK");
    assert_eq!(card(&mut p), ALL_OK);
}

#[test]
fn no_ribbon_is_rib_detection() {
    let mut p = with_faults(&["no-ribbon"]);
    assert_eq!(cmd(&mut p, "Rrt;count"), "ERR RIB DETECTION");
    assert_eq!(cmd(&mut p, "Rrt;qty"), "ERR RIB DETECTION");
    assert_eq!(cmd(&mut p, "Rr"), "ERR RIB DETECTION");
    assert_eq!(
        card(&mut p),
        ["OK", "OK", "OK", "OK", "OK", "ERR RIB DETECTION"]
    );
}

#[test]
fn cover_opens_at_card_2_and_closes_after_3_polls() {
    let mut p = with_faults(&["cover-opens@2:3"]);
    assert_eq!(card(&mut p), ALL_OK);
    assert_eq!(cmd(&mut p, "Sis"), "ERR COVER OPEN");
    assert_eq!(cmd(&mut p, "Ss"), "ERR COVER OPEN");
    assert_eq!(
        replies(&p.feed(&dbc_frame("k", &MonoPanel::full()))),
        ["ERR COVER OPEN"]
    );
    assert_eq!(cmd(&mut p, "Rse;o"), "0,00 Volts");
    assert_eq!(cmd(&mut p, "Rse;o"), "0,00 Volts");
    assert_eq!(cmd(&mut p, "Rse;o"), "0,00 Volts");
    assert_eq!(cmd(&mut p, "Rse;o"), "5,00 Volts", "closed after 3 polls");
    assert_eq!(card(&mut p), ALL_OK, "card 2 is fed after all");
    assert_eq!(p.state().counters.cards_fed, 2);
}

#[test]
fn cover_opened_and_closed_by_hand() {
    let mut p = with_faults(&["cover-opens@1"]);
    assert_eq!(cmd(&mut p, "Sis"), "ERR COVER OPEN");
    for _ in 0..10 {
        assert_eq!(
            cmd(&mut p, "Rse;o"),
            "0,00 Volts",
            "stays open until closed"
        );
    }
    p.close_cover();
    assert_eq!(cmd(&mut p, "Sis"), "OK");
    p.open_cover();
    assert_eq!(cmd(&mut p, "Se"), "ERR COVER OPEN");
    assert_eq!(cmd(&mut p, "Ser"), "ERR COVER OPEN");
    p.close_cover();
    assert_eq!(cmd(&mut p, "Ser"), "OK");
}

#[test]
fn feeder_empty_after_one_card() {
    let mut p = with_faults(&["feeder-empty-after=1"]);
    assert_eq!(card(&mut p), ALL_OK);
    assert_eq!(cmd(&mut p, "Rse;f"), "0,00 Volts");
    assert_eq!(cmd(&mut p, "Sis"), "ERR FEEDER EMPTY");
    p.load_feeder(1);
    assert_eq!(card(&mut p), ALL_OK);
}

#[test]
fn reject_box_full() {
    let mut p = with_faults(&["reject-box-full"]);
    assert_eq!(cmd(&mut p, "Rlr;h"), "CARD");
    assert_eq!(cmd(&mut p, "Sis"), "OK");
    assert_eq!(cmd(&mut p, "Ser"), "ERR REJECT BOX FULL");
    p.empty_reject_box();
    assert_eq!(cmd(&mut p, "Ser"), "OK");
}

#[test]
fn head_too_hot_once_then_retry_works() {
    let mut p = with_faults(&["head-temp@1"]);
    assert_eq!(
        card(&mut p),
        ["OK", "OK", "OK", "OK", "OK", "ERR HEAD TEMP"]
    );
    // the card is still inside; the driver sends the job again
    let mut s = b"\x1bSs\r".to_vec();
    s.extend(dbc_frame("k", &MonoPanel::full()));
    s.extend(b"\x1bSe\r");
    assert_eq!(replies(&p.feed(&s)), ["OK", "OK", "OK"]);
    assert_eq!(p.state().counters.cards_fed, 1, "same card");
}

#[test]
fn a_muted_command_gets_no_reply() {
    let mut p = with_faults(&["mute@2"]);
    let out = p.feed(b"\x1bRtp\r\x1bRsn\r\x1bRfv\r");
    assert_eq!(replies(&out), ["Primacy 2 Duplex", "1.2.3"]);
}

#[test]
fn spurious_ok_to_ribbon_queries() {
    let mut p = with_faults(&["rrt-spurious-ok=2"]);
    assert_eq!(cmd(&mut p, "Rrt;count"), "OK");
    assert_eq!(cmd(&mut p, "Rrt;count"), "OK");
    assert_eq!(cmd(&mut p, "Rrt;count"), "200", "a retry gets the value");
}

#[test]
fn faults_injected_at_runtime() {
    let mut p = SimPrinter::new(SimPrinterConfig::default());
    assert_eq!(card(&mut p), ALL_OK);
    p.inject(ScriptedFault::Jam {
        card: 2,
        phase: JobPhase::Parking,
    });
    assert_eq!(cmd(&mut p, "Sis"), "ERR CARD JAM");
}

fn random_run(seed: u64) -> Vec<Vec<String>> {
    let rates = FaultRates {
        jam_per_card: 0.25,
        busy_per_action: 0.05,
        cover_open_per_card: 0.05,
    };
    let mut p = SimPrinter::new(SimPrinterConfig {
        faults: PrinterFaultPlan::random(rates, seed),
        ..SimPrinterConfig::default()
    });
    (0..30)
        .map(|_| {
            let r = card(&mut p);
            // recover like an operator / the orchestrator would
            p.close_cover();
            if p.state().card.is_some() {
                p.remove_card_by_hand();
            }
            r
        })
        .collect()
}

#[test]
fn random_faults_replay_with_the_same_seed() {
    let seed = 0x5EED_2026;
    println!("fault seed: {seed}");
    let a = random_run(seed);
    assert_eq!(a, random_run(seed), "same seed, same run");
    let flat: Vec<&String> = a.iter().flatten().collect();
    for reply in [
        "ERR CARD JAM",
        "ERR FEEDER JAM",
        "ERR BUSY",
        "ERR COVER OPEN",
    ] {
        assert!(
            flat.iter().any(|r| *r == reply),
            "seed {seed}: no {reply} in {a:?}"
        );
    }
    assert!(
        a.iter().any(|r| r == &ALL_OK),
        "most cards still go through"
    );
    assert_ne!(a, random_run(seed + 1), "another seed, another run");
}
