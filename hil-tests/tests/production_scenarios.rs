//! Production scenarios on the rig (simulated stations through the real drivers by default).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cardline_app::sim::{SimFamily, SimPrinterDevice};
use cardline_hil::{Rig, RigStation, TestLine};
use cardline_issuance::model::CardState;
use cardline_issuance::production::{ProductionEvent, Station};
use cardline_issuance::store::{Actor, CardStore, OrderStore};

fn split(rig: Vec<RigStation>) -> (Vec<Station>, Vec<Option<SimPrinterDevice>>) {
    rig.into_iter().map(|r| (r.station, r.sim)).unzip()
}

fn no_cancel() -> AtomicBool {
    AtomicBool::new(false)
}

#[test]
fn happy_path_every_card_unassigned_on_every_station() {
    let rig = Rig::from_env();
    if !rig.allows("happy_path", false) {
        return;
    }
    let line = TestLine::new();
    let order = line.order(9);
    let (mut stations, sims) = split(rig.stations(3, &[], &[]));
    let run = line.produce(order, &mut stations, &no_cancel());
    assert_eq!(
        (
            run.summary.produced,
            run.summary.failed,
            run.summary.remaining
        ),
        (9, 0, 0)
    );
    assert_eq!(line.count(order, CardState::Unassigned), 9);
    assert!(
        run.summary.stations.iter().all(|s| s.produced > 0),
        "every station worked"
    );
    line.assert_consistent(order);
    for sim in sims.iter().flatten() {
        assert!(
            sim.has_printed(),
            "the simulated {} printer received a card face",
            sim.family()
        );
    }
    if rig.is_simulated() && std::env::var_os("CARDLINE_SIM_FAMILY").is_none() {
        let families: Vec<&str> = sims.iter().flatten().map(|s| s.family()).collect();
        assert_eq!(families, ["evolis", "magicard", "evolis"], "a mixed line");
    }
    let issued = line.ca().issued().unwrap();
    assert_eq!(issued.len(), 9, "one certificate per card");
    let ok = line.store.complete_order(order, &Actor("hil".into()));
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn jam_rejects_the_card_then_repeat_production_makes_it() {
    jam_and_repeat("jam_and_repeat", SimFamily::Evolis);
}

#[test]
fn magicard_jam_rejects_the_card_then_repeat_production_makes_it() {
    jam_and_repeat("magicard_jam_and_repeat", SimFamily::Magicard);
}

fn jam_and_repeat(scenario: &str, family: SimFamily) {
    let rig = Rig::from_env();
    if !rig.allows(scenario, true) {
        return;
    }
    let line = TestLine::new();
    let order = line.order(4);
    let (mut stations, _sims) =
        split(rig.stations_of(|_| family, 1, &[(0, "jam@2:printing")], &[]));
    let run = line.produce(order, &mut stations, &no_cancel());
    assert_eq!((run.summary.produced, run.summary.failed), (3, 1));
    let failed = line
        .store
        .list_cards(&cardline_issuance::store::CardFilter {
            state: Some(CardState::Failed),
            ..Default::default()
        });
    let failed = failed.unwrap();
    assert!(
        failed[0].failure_reason.as_deref().unwrap().contains("jam"),
        "{:?}",
        failed[0].failure_reason
    );
    line.assert_consistent(order);
    let repeated = line
        .store
        .repeat_order(order, &[], &Actor("hil".into()))
        .unwrap();
    assert_eq!(repeated.len(), 1);
    let run = line.produce(order, &mut stations, &no_cancel());
    assert_eq!((run.summary.produced, run.summary.failed), (1, 0));
    assert_eq!(line.count(order, CardState::Unassigned), 4);
    line.assert_consistent(order);
    assert_eq!(
        line.ca().issued().unwrap().len(),
        5,
        "the jammed card's key was certified once, its repeat got a new key"
    );
}

#[test]
fn mute_chip_fails_its_card_and_the_station_goes_on() {
    let rig = Rig::from_env();
    if !rig.allows("mute_chip", true) {
        return;
    }
    let line = TestLine::new();
    let order = line.order(3);
    let (mut stations, _sims) = split(rig.stations(1, &[], &[(0, 2)]));
    let run = line.produce(order, &mut stations, &no_cancel());
    assert_eq!((run.summary.produced, run.summary.failed), (2, 1));
    assert!(run.events.iter().any(
        |e| matches!(e, ProductionEvent::CardFailed { reason, .. } if reason.starts_with("encode"))
    ));
    line.assert_consistent(order);
}

/// Runs an operator-fault scenario on a station of each family: the fault pauses the station;
/// a helper thread plays the operator after a while (`fix`), and every card is produced in the
/// end.
fn operator_fault(scenario: &str, fault: &str, fix: fn(&SimPrinterDevice), paused_text: &str) {
    for family in [SimFamily::Evolis, SimFamily::Magicard] {
        let scenario = format!("{scenario} ({})", family.as_str());
        operator_fault_on(family, &scenario, fault, fix, paused_text);
    }
}

fn operator_fault_on(
    family: SimFamily,
    scenario: &str,
    fault: &str,
    fix: fn(&SimPrinterDevice),
    paused_text: &str,
) {
    let rig = Rig::from_env();
    if !rig.allows(scenario, true) {
        return;
    }
    let line = TestLine::new();
    let order = line.order(3);
    let (mut stations, sims) = split(rig.stations_of(|_| family, 1, &[(0, fault)], &[]));
    let sim = sims[0].clone().expect("simulated");
    let done = AtomicBool::new(false);
    let paused = AtomicBool::new(false);
    let watch = |e: &ProductionEvent| {
        if matches!(e, ProductionEvent::StationPaused { .. }) {
            paused.store(true, Ordering::SeqCst);
        }
    };
    let run = std::thread::scope(|s| {
        s.spawn(|| {
            // The operator comes once the station has paused.
            while !done.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
                if paused.load(Ordering::SeqCst) {
                    fix(&sim);
                }
            }
        });
        let run = line.produce_watched(order, &mut stations, &no_cancel(), &watch);
        done.store(true, Ordering::SeqCst);
        run
    });
    assert_eq!(
        (run.summary.produced, run.summary.failed),
        (3, 0),
        "{scenario}"
    );
    let paused = run
        .events
        .iter()
        .position(|e| matches!(e, ProductionEvent::StationPaused { reason, .. } if reason.contains(paused_text)));
    let resumed = run
        .events
        .iter()
        .position(|e| matches!(e, ProductionEvent::StationResumed { .. }));
    assert!(
        paused.is_some(),
        "{scenario}: paused with `{paused_text}`: {:?}",
        run.events
    );
    assert!(paused < resumed, "{scenario}: resumed after the pause");
    line.assert_consistent(order);
}

#[test]
fn cover_open_pauses_the_station_until_closed() {
    operator_fault("cover_open", "cover-opens@2", |p| p.close_cover(), "cover");
}

#[test]
fn ribbon_out_pauses_until_replaced() {
    operator_fault(
        "ribbon_out",
        "ribbon-ends-after=1",
        |p| {
            if p.ribbon_left().is_none_or(|left| left == 0) {
                p.replace_ribbon(cardline_sim::printer::RibbonLoad::ymcko());
            }
        },
        "ribbon",
    );
}

#[test]
fn feeder_empty_pauses_until_loaded() {
    operator_fault(
        "feeder_empty",
        "feeder-empty-after=1",
        |p| {
            if p.feeder_left() == 0 {
                p.load_feeder(10);
            }
        },
        "feeder",
    );
}

#[test]
fn cancel_finishes_the_card_in_hand_and_returns_the_rest() {
    let rig = Rig::from_env();
    if !rig.allows("cancel", false) {
        return;
    }
    let line = TestLine::new();
    let order = line.order(8);
    let (mut stations, _sims) = split(rig.stations(1, &[], &[]));
    let cancel = AtomicBool::new(false);
    let run = std::thread::scope(|s| {
        s.spawn(|| {
            while line.count(order, CardState::Unassigned) < 2 {
                std::thread::sleep(Duration::from_millis(5));
            }
            cancel.store(true, Ordering::SeqCst);
        });
        line.produce(order, &mut stations, &cancel)
    });
    assert!(run.summary.cancelled);
    assert!(
        run.summary.produced >= 2 && run.summary.remaining > 0,
        "{:?}",
        run.summary
    );
    assert_eq!(
        run.summary.produced as u64 + run.summary.remaining as u64,
        8
    );
    line.assert_consistent(order);
    line.store
        .cancel_order(order, &Actor("hil".into()))
        .unwrap();
    let requested = line.store.count_by_state(None).unwrap();
    let back = requested
        .iter()
        .find(|(s, _)| *s == CardState::Requested)
        .map_or(0, |(_, n)| *n);
    assert_eq!(
        back, run.summary.remaining as u64,
        "unstarted cards returned to requested"
    );
}

#[test]
fn every_station_reports_its_status_without_writing_a_card() {
    // Non-destructive: runs on every rig.
    let rig = Rig::from_env();
    let n = match &rig {
        Rig::Simulated => 2,
        Rig::Hardware { stations, .. } => stations.len(),
    };
    for mut s in rig.stations(n, &[], &[]) {
        let status = s.station.printer.status().expect("status");
        assert!(
            status.model.is_some(),
            "{}: the printer names its model",
            s.station.name
        );
        if rig.is_simulated() {
            assert!(status.is_ready(), "{}: {status:?}", s.station.name);
        } else if !status.is_ready() {
            cardline_device::skipped!("{}: not ready: {:?}", s.station.name, status.faults);
        }
    }
}
