//! Every Magicard fault ends in its error code of docs/magicard-protocol.md §5: the failing
//! action answers `ERR,<code>`, `STA,ERR` reports it until the cause is gone (or `RST`), and the
//! card stays where the contract says. Random faults replay from their seed.

mod magicard_support;

use cardline_device::JobPhase;
use cardline_sim::magicard::{
    MagicardFault, MagicardFaultPlan, MagicardFaultRates, MagicardPosition, SimMagicard,
    SimMagicardConfig,
};
use cardline_sim::printer::RibbonLoad;
use magicard_support::*;

fn with_faults(faults: &[&str]) -> SimMagicard {
    let scripted = faults.iter().map(|f| f.parse().expect("fault syntax"));
    SimMagicard::new(SimMagicardConfig {
        faults: MagicardFaultPlan::scripted(scripted),
        ..SimMagicardConfig::default()
    })
}

fn print_job(p: &mut SimMagicard) -> String {
    let r = replies(&p.feed(&blank_job()));
    assert_eq!(r.len(), 1, "{r:?}");
    r[0].clone()
}

#[test]
fn an_empty_hopper_is_1025_until_cards_are_loaded() {
    let mut p = with_faults(&["feeder-empty-after=1"]);
    assert_eq!(cmd(&mut p, "FEED1"), "OK");
    assert_eq!(cmd(&mut p, "EJT"), "OK");
    assert_eq!(cmd(&mut p, "STA,HOP"), "STA,HOP,EMPTY");
    assert_eq!(cmd(&mut p, "FEED1"), "ERR,1025");
    assert_eq!(cmd(&mut p, "CHPDOWN"), "ERR,1025");
    assert_eq!(print_job(&mut p), "ERR,1025");
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,1025");
    p.load_hopper(5);
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,0", "cause gone");
    assert_eq!(cmd(&mut p, "FEED1"), "OK");
}

#[test]
fn a_jam_is_1026_in_every_phase_and_only_a_reject_or_a_hand_clears_it() {
    for (phase, action) in [
        (JobPhase::Feeding, "FEED1"),
        (JobPhase::Parking, "CHPDOWN"),
        (JobPhase::Printing, "job"),
        (JobPhase::Ejecting, "EJT"),
        (JobPhase::Rejecting, "RJT"),
    ] {
        let mut p = with_faults(&[&format!("jam@1:{phase}")]);
        if matches!(phase, JobPhase::Ejecting | JobPhase::Rejecting) {
            assert_eq!(cmd(&mut p, "FEED1"), "OK");
        }
        let reply = if action == "job" {
            print_job(&mut p)
        } else {
            cmd(&mut p, action)
        };
        assert_eq!(reply, "ERR,1026", "jam while {phase}");
        assert!(p.state().jammed, "{phase}");
        assert_eq!(p.card_at_contact_station(), None);
        assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,1026");
        for blocked in ["FEED1", "CHPDOWN", "CHPUP", "EJT"] {
            assert_eq!(cmd(&mut p, blocked), "ERR,1026", "{blocked} after {phase}");
        }
        assert_eq!(print_job(&mut p), "ERR,1026");
        assert_eq!(cmd(&mut p, "RST"), "OK");
        assert_eq!(
            cmd(&mut p, "STA,ERR"),
            "STA,ERR,1026",
            "RST leaves the card jammed"
        );
        assert_eq!(
            cmd(&mut p, "RJT"),
            "OK",
            "the jammed card goes to the reject box"
        );
        assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,0");
        assert_eq!(p.state().reject_box, 1);
        assert_eq!(p.state().counters.jams, 1);
        assert!(
            p.last_printed().is_none(),
            "nothing printed on a jammed card"
        );
    }
    let mut p = with_faults(&["jam@1:printing"]);
    assert_eq!(print_job(&mut p), "ERR,1026");
    assert_eq!(p.remove_card_by_hand(), Some(1));
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,0");
    assert_eq!(print_job(&mut p), "PRT,OK", "card 2 prints");
}

#[test]
fn a_flipper_jam_is_1027_on_the_back_side() {
    let mut p = with_faults(&["flipper-jam@1"]);
    let empty = vec![0u8; DOTS * LINES];
    let planes = [
        ('B', empty.clone()),
        ('G', empty.clone()),
        ('R', empty.clone()),
    ];
    let front = job(&header8(",DPXON").replace("DPXOFF,", ""), &planes);
    let back = job(
        &header8(",DPXON")
            .replace("DPXOFF,", "")
            .replace("PAG1", "PAG2"),
        &planes,
    );
    assert_eq!(replies(&p.feed(&front)), ["PRT,OK"]);
    assert_eq!(replies(&p.feed(&back)), ["ERR,1027"]);
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,1027");
    assert_eq!(cmd(&mut p, "EJT"), "ERR,1027");
    assert_eq!(cmd(&mut p, "RJT"), "OK");
    let card = p.last_printed().unwrap();
    assert!(card.front.is_some() && card.back.is_none());
}

#[test]
fn a_failed_mag_verify_is_1037_and_prints_nothing() {
    let mut p = with_faults(&["mag-verify@1"]);
    assert_eq!(print_job(&mut p), "ERR,1037");
    assert_eq!(p.state().card, Some((1, MagicardPosition::Standby)));
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,1037");
    assert_eq!(cmd(&mut p, "RST"), "OK");
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,0");
    assert_eq!(print_job(&mut p), "PRT,OK");
}

#[test]
fn an_open_cover_is_1038_to_every_action_but_not_to_queries() {
    let mut p = printer();
    p.open_cover();
    for action in ["FEED1", "CHPDOWN", "CHPUP", "EJT", "RJT"] {
        assert_eq!(cmd(&mut p, action), "ERR,1038", "{action}");
    }
    assert_eq!(print_job(&mut p), "ERR,1038");
    assert_eq!(cmd(&mut p, "STA,LID"), "STA,LID,OPEN");
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,1038");
    assert_eq!(cmd(&mut p, "RST"), "OK");
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,1038", "still open");
    p.close_cover();
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,0");
    assert_eq!(cmd(&mut p, "FEED1"), "OK");
}

#[test]
fn a_scripted_cover_opens_at_a_card_and_closes_after_polls() {
    let mut p = with_faults(&["cover-opens@2:2"]);
    assert_eq!(cmd(&mut p, "FEED1"), "OK");
    assert_eq!(cmd(&mut p, "EJT"), "OK");
    assert_eq!(cmd(&mut p, "FEED1"), "ERR,1038");
    assert_eq!(p.state().card, None, "card 2 not fed");
    assert_eq!(cmd(&mut p, "STA,LID"), "STA,LID,OPEN");
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,1038");
    assert_eq!(
        cmd(&mut p, "STA,LID"),
        "STA,LID,CLOSED",
        "closed after 2 polls"
    );
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,0");
    assert_eq!(cmd(&mut p, "FEED1"), "OK");
    assert_eq!(p.state().card, Some((2, MagicardPosition::Standby)));
}

#[test]
fn a_used_up_dye_film_is_1042_and_a_missing_one_1046() {
    let mut p = with_faults(&["ribbon-ends-after=1"]);
    assert_eq!(print_job(&mut p), "PRT,OK");
    assert_eq!(cmd(&mut p, "EJT"), "OK");
    assert_eq!(print_job(&mut p), "ERR,1042");
    assert_eq!(cmd(&mut p, "STA,DFR"), "STA,DFR,0");
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,1042");
    p.replace_ribbon(RibbonLoad::fresh("ymcko", 300));
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,0");
    assert_eq!(print_job(&mut p), "PRT,OK");

    let mut p = with_faults(&["no-ribbon"]);
    assert_eq!(cmd(&mut p, "STA,RIB"), "STA,RIB,NONE");
    assert_eq!(print_job(&mut p), "ERR,1046");
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,1046");
    assert_eq!(
        p.state().card,
        None,
        "no card fed for a job that cannot print"
    );
}

#[test]
fn overdue_cleaning_is_the_2048_warning_and_actions_still_work() {
    let mut p = with_faults(&["cleaning-overdue"]);
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,2048");
    assert_eq!(cmd(&mut p, "CHPDOWN"), "OK");
    assert_eq!(print_job(&mut p), "PRT,OK");
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,2048");
    p.open_cover();
    assert_eq!(
        cmd(&mut p, "STA,ERR"),
        "STA,ERR,1038",
        "a fault outranks the warning"
    );
    p.close_cover();
    assert_eq!(cmd(&mut p, "RST"), "OK");
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,0");
}

#[test]
fn a_full_reject_box_is_3001_until_emptied() {
    let mut p = with_faults(&["reject-box-full-after=1"]);
    assert_eq!(cmd(&mut p, "FEED1"), "OK");
    assert_eq!(cmd(&mut p, "RJT"), "OK");
    assert_eq!(cmd(&mut p, "STA,RJB"), "STA,RJB,FULL");
    assert_eq!(cmd(&mut p, "FEED1"), "OK");
    assert_eq!(cmd(&mut p, "RJT"), "ERR,3001");
    assert_eq!(p.state().card, Some((2, MagicardPosition::Standby)));
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,3001");
    p.empty_reject_box();
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,0");
    assert_eq!(cmd(&mut p, "RJT"), "OK");
}

#[test]
fn contacts_that_do_not_engage_are_3002_once() {
    let mut p = with_faults(&["contacts-fail@1"]);
    assert_eq!(cmd(&mut p, "CHPDOWN"), "ERR,3002");
    assert_eq!(cmd(&mut p, "STA,POS"), "STA,POS,STANDBY");
    assert_eq!(p.card_at_contact_station(), None);
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,3002");
    assert_eq!(cmd(&mut p, "CHPDOWN"), "OK", "a retry engages");
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,0");
    assert_eq!(p.card_at_contact_station(), Some(1));
}

#[test]
fn a_hot_head_is_9001_once_and_the_card_stays_in() {
    let mut p = with_faults(&["head-temp@1"]);
    assert_eq!(print_job(&mut p), "ERR,9001");
    assert_eq!(p.state().card, Some((1, MagicardPosition::Standby)));
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,9001");
    assert_eq!(print_job(&mut p), "PRT,OK");
    assert_eq!(cmd(&mut p, "STA,ERR"), "STA,ERR,0");
    assert_eq!(p.state().counters.cards_fed, 1);
}

#[test]
fn a_muted_frame_gets_no_reply_and_a_raw_error_any_code() {
    let mut p = with_faults(&["mute@2", "error@3:4711"]);
    assert_eq!(cmd(&mut p, "STA,POS"), "STA,POS,NONE");
    assert!(p.feed(&command("FEED1")).is_empty(), "frame 2 muted");
    assert_eq!(p.state().card, None, "a muted command is not done");
    assert_eq!(replies(&p.feed(&blank_job())), ["ERR,4711"]);
    assert_eq!(cmd(&mut p, "STA,POS"), "STA,POS,NONE");
    assert_eq!(p.state().frames, 4);
}

#[test]
fn injected_faults_apply_from_now_on() {
    let mut p = printer();
    assert_eq!(cmd(&mut p, "CHPDOWN"), "OK");
    p.inject(MagicardFault::Jam {
        card: 1,
        phase: JobPhase::Ejecting,
    });
    assert_eq!(cmd(&mut p, "EJT"), "ERR,1026");
}

/// A host that recovers from every fault the way cardline's driver would: reject a jammed
/// card, wait (poll) for the cover, retry a hot head.
fn random_run(seed: u64) -> Vec<String> {
    let mut p = SimMagicard::new(SimMagicardConfig {
        faults: MagicardFaultPlan::random(
            MagicardFaultRates {
                jam_per_card: 0.3,
                cover_open_per_card: 0.1,
                head_temp_per_job: 0.25,
            },
            seed,
        ),
        ..SimMagicardConfig::default()
    });
    let mut transcript = Vec::new();
    for _ in 0..30 {
        for step in ["CHPDOWN", "CHPUP", "job", "EJT"] {
            let reply = if step == "job" {
                print_job(&mut p)
            } else {
                cmd(&mut p, step)
            };
            transcript.push(format!("{step}:{reply}"));
            match reply.as_str() {
                "ERR,1026" => transcript.push(format!("RJT:{}", cmd(&mut p, "RJT"))),
                "ERR,1038" => while cmd(&mut p, "STA,LID") != "STA,LID,CLOSED" {},
                _ => {}
            }
            if reply.starts_with("ERR") {
                break;
            }
        }
    }
    transcript
}

#[test]
fn random_faults_replay_from_their_seed() {
    let a = random_run(7);
    assert_eq!(a, random_run(7), "same seed, same run");
    assert_ne!(a, random_run(8));
    for code in ["ERR,1026", "ERR,1038", "ERR,9001"] {
        assert!(
            a.iter().any(|s| s.ends_with(code)),
            "{code} never drawn: {a:?}"
        );
    }
    assert!(a.iter().filter(|s| *s == "EJT:OK").count() >= 10);
}
