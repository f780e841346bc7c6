//! Mechanics of the simulated printer: card flow, feeder, ribbon, reject box, counters, duplex,
//! colour reconstruction and the time model (on a manual clock: no timed tests).

mod printer_support;

use std::sync::Arc;
use std::time::Duration;

use cardline_device::{ColorPanel, MonoPanel, Overlay};
use cardline_sim::clock::{Clock, ManualClock, PhaseDurations, TimeModel};
use cardline_sim::printer::{RibbonLoad, SimCardPosition, SimPrinter, SimPrinterConfig};
use printer_support::{cmd, db_color_frame, dbc_frame, printer, replies, temp_dir};

fn k_job(p: &mut SimPrinter, k: &MonoPanel) -> Vec<String> {
    let mut s = b"\x1bSs\r\x1bSr\r".to_vec();
    s.extend(dbc_frame("k", k));
    s.extend(b"\x1bSe\r");
    replies(&p.feed(&s))
}

#[test]
fn temporary_card_flow_park_print_eject() {
    let mut p = printer();
    assert_eq!(cmd(&mut p, "Pem;2"), "OK");
    assert_eq!(cmd(&mut p, "Rlr;p"), "OK", "no card inside");
    assert_eq!(cmd(&mut p, "Sis"), "OK");
    assert_eq!(cmd(&mut p, "Rlr;p"), "SMART CARD");
    assert_eq!(p.card_at_contact_station(), Some(1));
    assert_eq!(cmd(&mut p, "Pneab;E"), "OK");
    assert_eq!(cmd(&mut p, "Pr;k"), "OK");
    assert_eq!(k_job(&mut p, &MonoPanel::full()), ["OK", "OK", "OK", "OK"]);
    assert_eq!(
        cmd(&mut p, "Rlr;p"),
        "CARD",
        "Pneab;E keeps the card at the print position"
    );
    assert_eq!(p.state().card, Some((1, SimCardPosition::PrintPosition)));
    assert_eq!(cmd(&mut p, "Pneab;A;1"), "OK");
    assert_eq!(cmd(&mut p, "Se"), "OK", "Se outside a sequence ejects");
    assert_eq!(cmd(&mut p, "Rlr;p"), "OK");
    let s = p.state();
    assert_eq!(
        (s.feeder, s.counters.cards_fed, s.counters.cards_ejected),
        (99, 1, 1)
    );
    assert_eq!(cmd(&mut p, "Rco;c"), "1");
    assert_eq!(cmd(&mut p, "Rco;p"), "1");
    assert_eq!(cmd(&mut p, "Rrt;count"), "199");
    assert_eq!(cmd(&mut p, "Rrt;qty"), "200");
    assert_eq!(cmd(&mut p, "Rrt;zone"), "F616");
}

#[test]
fn reject_goes_to_the_reject_box_until_full() {
    let mut p = SimPrinter::new(SimPrinterConfig {
        reject_box_capacity: 2,
        ..SimPrinterConfig::default()
    });
    for n in 1..=2 {
        assert_eq!(cmd(&mut p, "Sis"), "OK");
        assert_eq!(cmd(&mut p, "Rlr;h"), "NO CARD");
        assert_eq!(cmd(&mut p, "Ser"), "OK", "reject {n}");
    }
    assert_eq!(cmd(&mut p, "Rlr;h"), "CARD", "reject box full");
    assert_eq!(cmd(&mut p, "Sis"), "OK");
    assert_eq!(cmd(&mut p, "Seb"), "ERR REJECT BOX FULL");
    p.empty_reject_box();
    assert_eq!(cmd(&mut p, "Seb"), "OK");
    assert_eq!(p.state().counters.cards_rejected, 3);
}

#[test]
fn feeder_runs_empty_and_is_reloaded() {
    let mut p = SimPrinter::new(SimPrinterConfig {
        feeder_cards: 12,
        feeder_low_level: 10,
        ..SimPrinterConfig::default()
    });
    assert_eq!(cmd(&mut p, "Rse;n"), "0,17 Volts");
    for _ in 0..12 {
        assert_eq!(cmd(&mut p, "Sie"), "OK");
    }
    assert_eq!(cmd(&mut p, "Rse;n"), "3,92 Volts", "near-empty sensor");
    assert_eq!(cmd(&mut p, "Rse;f"), "0,00 Volts");
    assert_eq!(cmd(&mut p, "Sis"), "ERR FEEDER EMPTY");
    assert_eq!(cmd(&mut p, "Ss"), "ERR FEEDER EMPTY");
    p.load_feeder(5);
    assert_eq!(cmd(&mut p, "Rse;f"), "5,00 Volts");
    assert_eq!(cmd(&mut p, "Sis"), "OK");
}

#[test]
fn duplex_job_prints_both_sides_and_uses_two_ribbon_prints() {
    let dir = temp_dir("duplex");
    let mut p = SimPrinter::new(SimPrinterConfig {
        png_dir: Some(dir.clone()),
        ..SimPrinterConfig::default()
    });
    let mut front = MonoPanel::blank();
    front.set(1, 1, true);
    let back = MonoPanel::full();
    let mut s = b"\x1bSs\r\x1bSr\r".to_vec();
    s.extend(dbc_frame("k", &front));
    s.extend(b"\x1bSv\r");
    s.extend(dbc_frame("k", &back));
    s.extend(dbc_frame("o", &MonoPanel::full()));
    s.extend(b"\x1bSe\r");
    assert_eq!(replies(&p.feed(&s)), vec!["OK"; 7]);
    let card = p.last_printed().unwrap();
    assert_eq!(card.front.black.as_ref(), Some(&front));
    let b = card.back.as_ref().expect("back printed");
    assert_eq!(b.black.as_ref(), Some(&back));
    assert_eq!(b.to_card_side().overlay, Overlay::Full);
    assert_eq!(card.png_files.len(), 2);
    assert!(dir.join("card-00001-back.png").exists());
    assert_eq!(cmd(&mut p, "Rrt;count"), "198");
    assert_eq!(p.state().counters.panels_printed, 3);
}

#[test]
fn simplex_printer_refuses_the_back_side() {
    let mut p = SimPrinter::new(SimPrinterConfig {
        duplex: false,
        model: "Zenius".into(),
        ..SimPrinterConfig::default()
    });
    assert_eq!(cmd(&mut p, "Sv"), "ERROR CDE");
}

#[test]
fn colour_panels_rebuild_the_card_side() {
    let mut p = printer();
    let mut s = b"\x1bPr;ymcko\r\x1bSs\r".to_vec();
    // red square: magenta + yellow at full density on lines 0..100
    let red = |_: usize, y: usize| if y < 100 { 63 } else { 0 };
    s.extend(db_color_frame("y", 64, red));
    s.extend(db_color_frame("m", 64, red));
    s.extend(db_color_frame("c", 64, |_, _| 0));
    let mut k = MonoPanel::blank();
    k.set(10, 500, true);
    s.extend(dbc_frame("k", &k));
    s.extend(b"\x1bSe\r");
    assert_eq!(replies(&p.feed(&s)), vec!["OK"; 7]);
    let side = p.last_printed().unwrap().front.to_card_side();
    let color = side.color.expect("colour rebuilt");
    assert_eq!(color.get(5, 5), [255, 0, 0]);
    assert_eq!(color.get(5, 200), [255, 255, 255]);
    assert_eq!(side.black, Some(k));
    assert_eq!(side.overlay, Overlay::None);
    // a CardImage built from the print compares with what a driver would have sent
    let mut expected = ColorPanel::filled([255, 255, 255]);
    for y in 0..100 {
        for x in 0..648 {
            expected.set(x, y, [255, 0, 0]);
        }
    }
    assert_eq!(color, expected);
    assert_eq!(p.state().counters.panels_printed, 4);
}

#[test]
fn reset_ejects_the_card_and_drops_the_job() {
    let mut p = printer();
    assert_eq!(cmd(&mut p, "Ss"), "OK");
    assert_eq!(cmd(&mut p, "Srs"), "OK");
    assert_eq!(cmd(&mut p, "Rlr;p"), "OK");
    assert_eq!(cmd(&mut p, "Se"), "OK");
    assert!(p.last_printed().is_none(), "the job was dropped");
}

#[test]
fn time_model_moves_the_card_on_the_clock() {
    let clock = Arc::new(ManualClock::new());
    let phases = PhaseDurations::default();
    let mut p = SimPrinter::with_clock(
        SimPrinterConfig {
            time: TimeModel {
                scale: 1.0,
                phases: phases.clone(),
            },
            ..SimPrinterConfig::default()
        },
        clock.clone(),
    );
    assert_eq!(cmd(&mut p, "Sis"), "OK");
    assert_eq!(cmd(&mut p, "Rlr;p"), "CARD", "still moving");
    assert_eq!(p.card_at_contact_station(), None);
    clock.advance(phases.feed + phases.park - Duration::from_millis(1));
    assert_eq!(cmd(&mut p, "Rlr;p"), "CARD");
    clock.advance(Duration::from_millis(1));
    assert_eq!(cmd(&mut p, "Rlr;p"), "SMART CARD");
    // a mechanical command waits for the previous motion: the clock moves on by itself
    assert_eq!(k_job(&mut p, &MonoPanel::full()), ["OK", "OK", "OK", "OK"]);
    let expected = phases.feed + 2 * phases.park + phases.mono_panel + phases.eject;
    assert_eq!(p.state().simulated_time, expected);
    assert_eq!(cmd(&mut p, "Sie"), "OK");
    assert!(clock.now() >= expected, "Sie waited for the job's motions");
}

#[test]
fn instant_time_still_counts_simulated_time() {
    let mut p = printer();
    for _ in 0..10 {
        assert_eq!(k_job(&mut p, &MonoPanel::full()), ["OK", "OK", "OK", "OK"]);
    }
    let per_card = p.state().simulated_time / 10;
    // rated mono throughput 1000 cards/h → 3.6 s per card
    assert_eq!(per_card, Duration::from_millis(3600));
}

#[test]
fn replacing_the_ribbon_restores_printing() {
    let mut p = printer();
    p.replace_ribbon(RibbonLoad::fresh("k", 1000));
    assert_eq!(cmd(&mut p, "Rrt;qty"), "1000");
    assert_eq!(cmd(&mut p, "Rr"), "k");
}

#[test]
fn only_the_configured_number_of_printed_cards_stays_in_memory() {
    for keep in [0usize, 2] {
        let mut p = SimPrinter::new(SimPrinterConfig {
            keep_printed: keep,
            ..SimPrinterConfig::default()
        });
        assert_eq!(cmd(&mut p, "Pr;k"), "OK");
        for _ in 0..3 {
            assert_eq!(k_job(&mut p, &MonoPanel::full()), ["OK", "OK", "OK", "OK"]);
        }
        let jobs: Vec<u32> = p.printed().iter().map(|c| c.job).collect();
        let expected: Vec<u32> = (1..=3).skip(3 - keep).collect();
        assert_eq!(jobs, expected, "keep_printed = {keep}");
        assert_eq!(p.state().counters.jobs, 3, "every job still counted");
    }
}
