//! The Magicard command set from the device side: fixed byte vectors (each command → the exact
//! reply bytes of docs/magicard-protocol.md §1/§4), and the mechanics behind them (park at the
//! contacts, a print leaves the card inside, eject, reject, feed counts) with the time model.

mod magicard_support;

use std::sync::Arc;
use std::time::Duration;

use cardline_sim::clock::{ManualClock, TimeModel};
use cardline_sim::magicard::{MagicardPosition, SimMagicard, SimMagicardConfig};
use cardline_sim::printer::RibbonLoad;
use magicard_support::*;

#[test]
fn every_command_has_its_exact_reply_bytes() {
    let mut p = printer();
    let vectors: &[(&[u8], &[u8])] = &[
        (
            b"\x05\x05\x05\x05\x05\x05\x05\x05\x05\x01REQ,STA,MSR,\x1c\x03",
            b"\x01STA,MSR,MC0000001,\x03",
        ),
        (
            b"\x05\x05\x05\x05\x05\x05\x05\x05\x05\x01REQ,STA,VRS,\x1c\x03",
            b"\x01STA,VRS,V2.1.0,\x03",
        ),
        (
            b"\x05\x05\x05\x05\x05\x05\x05\x05\x05\x01REQ,STA,MDL,\x1c\x03",
            b"\x01STA,MDL,Rio Pro 360,\x03",
        ),
        (b"\x05\x01REQ,STA,TCQ,\x1c\x03", b"\x01STA,TCQ,0,\x03"),
        (b"\x05\x01REQ,STA,DFR,\x1c\x03", b"\x01STA,DFR,300,\x03"),
        (b"\x05\x01REQ,STA,ERR,\x1c\x03", b"\x01STA,ERR,0,\x03"),
        (b"\x05\x01REQ,STA,POS,\x1c\x03", b"\x01STA,POS,NONE,\x03"),
        (b"\x05\x01REQ,STA,LID,\x1c\x03", b"\x01STA,LID,CLOSED,\x03"),
        (b"\x05\x01REQ,STA,HOP,\x1c\x03", b"\x01STA,HOP,OK,\x03"),
        (b"\x05\x01REQ,STA,RJB,\x1c\x03", b"\x01STA,RJB,OK,\x03"),
        (b"\x05\x01REQ,STA,RIB,\x1c\x03", b"\x01STA,RIB,YMCKO,\x03"),
        (b"\x05\x01REQ,STA,XYZ,\x1c\x03", b"\x01ERR,UNKNOWN,\x03"),
        (b"\x05\x01REQ,FEED1,\x1c\x03", b"\x01OK,\x03"),
        (b"\x05\x01REQ,STA,POS,\x1c\x03", b"\x01STA,POS,STANDBY,\x03"),
        (b"\x05\x01REQ,CHPDOWN,\x1c\x03", b"\x01OK,\x03"),
        (
            b"\x05\x01REQ,STA,POS,\x1c\x03",
            b"\x01STA,POS,CONTACTS,\x03",
        ),
        (b"\x05\x01REQ,CHPUP,\x1c\x03", b"\x01OK,\x03"),
        (b"\x05\x01REQ,STA,POS,\x1c\x03", b"\x01STA,POS,STANDBY,\x03"),
        (b"\x05\x01REQ,EJT,\x1c\x03", b"\x01OK,\x03"),
        (b"\x05\x01REQ,STA,POS,\x1c\x03", b"\x01STA,POS,NONE,\x03"),
        (b"\x05\x01REQ,CHPDOWN,\x1c\x03", b"\x01OK,\x03"),
        (b"\x05\x01REQ,RJT,\x1c\x03", b"\x01OK,\x03"),
        (b"\x05\x01REQ,RST,\x1c\x03", b"\x01OK,\x03"),
        (b"\x05\x01REQ,FEED2,\x1c\x03", b"\x01ERR,UNKNOWN,\x03"),
        (b"\x05\x01REQ,TST,\x1c\x03", b"\x01ERR,UNKNOWN,\x03"),
        (b"\x05\x01REQ,EJT,EXTRA,\x1c\x03", b"\x01ERR,UNKNOWN,\x03"),
    ];
    for (sent, expected) in vectors {
        assert_eq!(
            p.feed(sent),
            expected.to_vec(),
            "{:?}",
            String::from_utf8_lossy(sent)
        );
    }
    let s = p.state();
    assert_eq!(s.counters.cards_fed, 2);
    assert_eq!(s.counters.cards_ejected, 1);
    assert_eq!(s.reject_box, 1);
    assert_eq!(s.hopper, 98);
}

#[test]
fn a_print_job_is_answered_after_its_last_plane_and_leaves_the_card_inside() {
    let mut p = printer();
    let stream = blank_job();
    // everything but the ETX: no reply yet
    assert!(p.feed(&stream[..stream.len() - 1]).is_empty());
    assert_eq!(p.feed(&stream[stream.len() - 1..]), reply("PRT,OK"));
    assert_eq!(p.state().card, Some((1, MagicardPosition::Print)));
    assert_eq!(cmd(&mut p, "STA,POS"), "STA,POS,PRINT");
    assert_eq!(cmd(&mut p, "STA,TCQ"), "STA,TCQ,1");
    assert_eq!(cmd(&mut p, "STA,DFR"), "STA,DFR,299", "one print used");
    assert_eq!(
        cmd(&mut p, "STA,TPQ"),
        "STA,TPQ,3",
        "three panels (Y, M, C)"
    );
    assert_eq!(cmd(&mut p, "EJT"), "OK");
    assert_eq!(cmd(&mut p, "STA,POS"), "STA,POS,NONE");
    // a job prints the card in standby: no second feed
    assert_eq!(cmd(&mut p, "FEED1"), "OK");
    assert_eq!(replies(&p.feed(&blank_job())), ["PRT,OK"]);
    assert_eq!(p.state().counters.cards_fed, 2);
    assert_eq!(cmd(&mut p, "RJT"), "OK");
    let s = p.state();
    assert_eq!(
        (s.counters.cards_ejected, s.counters.cards_rejected),
        (1, 1)
    );
    assert_eq!(s.counters.jobs, 2);
}

#[test]
fn the_contacts_hold_the_card_until_lifted_and_a_print_lifts_them() {
    let mut p = printer();
    assert_eq!(p.card_at_contact_station(), None);
    assert_eq!(
        cmd(&mut p, "CHPDOWN"),
        "OK",
        "feeds one and lowers the contacts"
    );
    assert_eq!(p.card_at_contact_station(), Some(1));
    assert_eq!(cmd(&mut p, "CHPDOWN"), "OK", "already there");
    assert_eq!(p.state().counters.cards_fed, 1);
    assert_eq!(cmd(&mut p, "FEED1"), "OK", "a card is inside: nothing fed");
    assert_eq!(p.state().counters.cards_fed, 1);
    assert_eq!(p.card_at_contact_station(), Some(1));
    // the host forgets CHPUP: the print job lifts the contacts itself
    assert_eq!(replies(&p.feed(&blank_job())), ["PRT,OK"]);
    assert_eq!(p.card_at_contact_station(), None);
    assert_eq!(p.last_printed().unwrap().card_number, 1);
    // after printing, the card can go back to the contacts (encode after print)
    assert_eq!(cmd(&mut p, "CHPDOWN"), "OK");
    assert_eq!(p.card_at_contact_station(), Some(1));
    assert_eq!(cmd(&mut p, "CHPUP"), "OK");
    assert_eq!(cmd(&mut p, "STA,POS"), "STA,POS,STANDBY");
    assert_eq!(cmd(&mut p, "CHPUP"), "OK", "contacts already up");
}

#[test]
fn a_stock_printer_ejects_after_printing_but_keeps_a_duplex_front_for_its_back() {
    let mut p = SimMagicard::new(SimMagicardConfig {
        eject_after_print: true,
        ..SimMagicardConfig::default()
    });
    assert_eq!(replies(&p.feed(&blank_job())), ["PRT,OK"]);
    assert_eq!(p.state().card, None);
    assert_eq!(p.state().counters.cards_ejected, 1);
    let empty = vec![0u8; DOTS * LINES];
    let planes = [
        ('B', empty.clone()),
        ('G', empty.clone()),
        ('R', empty.clone()),
    ];
    let front = job(&header8(",DPXON,BACC").replace("DPXOFF,", ""), &planes);
    let back = job(
        &header8(",DPXON")
            .replace("DPXOFF,", "")
            .replace("PAG1", "PAG2"),
        &planes,
    );
    assert_eq!(replies(&p.feed(&front)), ["PRT,OK"]);
    assert_eq!(p.state().card, Some((2, MagicardPosition::Print)));
    assert_eq!(replies(&p.feed(&back)), ["PRT,OK"]);
    assert_eq!(p.state().card, None);
    let card = p.last_printed().unwrap();
    assert_eq!(card.card_number, 2);
    assert!(card.front.is_some() && card.back.is_some());
    assert_eq!(p.state().counters.cards_printed, 2);
}

#[test]
fn mechanics_take_simulated_time_on_the_clock() {
    let clock = Arc::new(ManualClock::new());
    let config = SimMagicardConfig {
        time: TimeModel {
            scale: 0.5,
            ..SimMagicardConfig::default().time
        },
        ..SimMagicardConfig::default()
    };
    let phases = config.time.phases.clone();
    let mut p = SimMagicard::with_clock(config, clock.clone());
    assert_eq!(cmd(&mut p, "CHPDOWN"), "OK");
    let parked = phases.feed + phases.park;
    assert_eq!(p.state().simulated_time, parked);
    assert_eq!(clock.now_for_test(), parked / 2);
    assert_eq!(cmd(&mut p, "CHPUP"), "OK");
    assert_eq!(replies(&p.feed(&blank_job())), ["PRT,OK"]);
    assert_eq!(cmd(&mut p, "EJT"), "OK");
    let card = parked + phases.park + 3 * phases.color_panel + phases.eject;
    assert_eq!(p.state().simulated_time, card);
    assert_eq!(clock.now_for_test(), card / 2);
    // status queries cost nothing
    assert_eq!(cmd(&mut p, "STA,POS"), "STA,POS,NONE");
    assert_eq!(p.state().simulated_time, card);
    // a YMC job with overcoat: one more (mono) panel
    let empty = vec![0u8; DOTS * LINES];
    let overcoat = job(
        &header8("").replace("OVROFF", "OVRON"),
        &[('B', empty.clone()), ('G', empty.clone()), ('R', empty)],
    );
    assert_eq!(replies(&p.feed(&overcoat)), ["PRT,OK"]);
    assert_eq!(
        p.state().simulated_time,
        card + phases.feed + 3 * phases.color_panel + phases.mono_panel
    );
    assert_eq!(cmd(&mut p, "STA,TPQ"), "STA,TPQ,7");
}

#[test]
fn the_dye_film_counts_one_print_per_side() {
    let mut p = SimMagicard::new(SimMagicardConfig {
        ribbon: Some(RibbonLoad::fresh("ko", 2)),
        ..SimMagicardConfig::default()
    });
    assert_eq!(cmd(&mut p, "STA,RIB"), "STA,RIB,KO");
    let k = native_job(
        "",
        plane6(|_, _| 0),
        plane6(|_, _| 0),
        plane6(|_, _| 0),
        plane1(|x, _| x < 10),
    );
    assert_eq!(replies(&p.feed(&k)), ["PRT,OK"]);
    assert_eq!(cmd(&mut p, "STA,DFR"), "STA,DFR,1");
    assert_eq!(
        replies(&p.feed(&k)),
        ["PRT,OK"],
        "prints again on the card inside"
    );
    assert_eq!(cmd(&mut p, "STA,DFR"), "STA,DFR,0");
    assert_eq!(replies(&p.feed(&k)), ["ERR,1042"]);
    assert_eq!(p.state().counters.cards_fed, 1);
    assert_eq!(p.printed().len(), 2, "two print records for card 1");
    assert!(p.printed().iter().all(|c| c.card_number == 1));
}

#[test]
fn time_passes_on_a_real_clock_only_when_scaled() {
    // scale 0 (the default): no sleeping at all, simulated time still accounted
    let mut p = printer();
    let started = std::time::Instant::now();
    assert_eq!(cmd(&mut p, "CHPDOWN"), "OK");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(p.state().simulated_time >= Duration::from_millis(1500));
}

trait NowForTest {
    fn now_for_test(&self) -> Duration;
}

impl NowForTest for ManualClock {
    fn now_for_test(&self) -> Duration {
        use cardline_sim::clock::Clock;
        self.now()
    }
}
