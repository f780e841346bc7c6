//! Production scenarios on mock stations.

use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use cardline_device::*;

use super::memory_store::MemoryStore;
use super::mock_devices::*;
use crate::model::{AttemptStatus, CardState, ProductionStep};
use crate::production::*;
use crate::store::{Actor, ProductionJournal};

struct Line {
    printers: Vec<MockPrinter>,
    readers: Vec<MockReader>,
    stations: Vec<Station>,
}

fn line(n: usize) -> Line {
    let printers: Vec<MockPrinter> = (0..n).map(|_| MockPrinter::default()).collect();
    let readers: Vec<MockReader> = (0..n).map(|_| MockReader::default()).collect();
    let stations = (0..n)
        .map(|i| {
            Station::new(
                format!("station-{}", i + 1),
                Box::new(printers[i].clone()),
                Box::new(readers[i].clone()),
                Some(Box::new(MockEncoder::default())),
            )
        })
        .collect();
    Line {
        printers,
        readers,
        stations,
    }
}

fn settings(encode: bool) -> ProductionSettings {
    let encoding = encode.then(|| {
        EncodingSettings::with_piv_defaults(
            MasterKey::new(vec![7; 32]),
            vec![KeyRequest {
                slot: PivSlot::AUTHENTICATION,
                algorithm: KeyAlgorithm::EccP256,
                profile: "auth".into(),
            }],
            "20261231".into(),
        )
    });
    let mut s = ProductionSettings::new(Actor("tester".into()), encoding);
    s.retry_delay = Duration::from_millis(1);
    s.operator_poll = Duration::from_millis(1);
    s
}

fn produce(
    store: &MemoryStore,
    stations: &mut [Station],
    settings: &ProductionSettings,
    issuer: &CountingIssuer,
    cancel: bool,
) -> (ProductionSummary, Vec<ProductionEvent>) {
    let events = Mutex::new(Vec::new());
    let sink = |e: &ProductionEvent| events.lock().unwrap().push(e.clone());
    let cancel = AtomicBool::new(cancel);
    let p = Production {
        journal: store,
        run: 1,
        reopen: None,
        settings,
        issuer,
        sealer: &FakeSealer,
        face: &BlankFace,
        cancel: &cancel,
        events: &sink,
    };
    let summary = produce_order(&p, 1, stations).expect("production runs");
    (summary, events.into_inner().unwrap())
}

#[test]
fn happy_path_produces_every_card_on_every_station_with_a_full_journal() {
    let store = MemoryStore::with_order(6);
    let mut l = line(2);
    let issuer = CountingIssuer::default();
    let (summary, events) = produce(&store, &mut l.stations, &settings(true), &issuer, false);
    assert_eq!(
        (summary.produced, summary.failed, summary.remaining),
        (6, 0, 0)
    );
    assert!(store.states().iter().all(|s| *s == CardState::Unassigned));
    assert_eq!(
        issuer.0.lock().unwrap().len(),
        6,
        "one certificate per card"
    );
    let inner = store.inner.lock().unwrap();
    for a in &inner.attempts {
        let steps: Vec<_> = a.steps.iter().map(|s| s.step).collect();
        use ProductionStep::*;
        assert_eq!(steps, vec![Feed, Encode, Print, Eject]);
        assert!(a.steps.iter().all(|s| s.outcome.as_deref() == Some("ok")));
        assert!(a.chip_id.is_some(), "chip journaled");
    }
    // Per card: the feed intent (with the planned chip), the encode, print and eject intents
    // (each with the previous step's outcome, the print one also with the chip read back), and
    // the eject outcome: 5 commits instead of 10 separate ones.
    assert_eq!(inner.journal_commits, 6 * 5);
    assert!(
        inner
            .successes
            .iter()
            .all(|(_, s)| s.secrets.is_some() && s.certificate_fingerprints.len() == 1)
    );
    let ejected: u32 = l.printers.iter().map(|p| p.0.lock().unwrap().ejected).sum();
    assert_eq!(ejected, 6);
    assert!(matches!(
        events.last(),
        Some(ProductionEvent::Finished { .. })
    ));
}

#[test]
fn without_encoding_cards_are_printed_only() {
    let store = MemoryStore::with_order(3);
    let mut l = line(1);
    l.stations[0].encoder = None;
    let issuer = CountingIssuer::default();
    let (summary, _) = produce(&store, &mut l.stations, &settings(false), &issuer, false);
    assert_eq!(summary.produced, 3);
    assert!(issuer.0.lock().unwrap().is_empty());
    let inner = store.inner.lock().unwrap();
    assert!(inner.attempts.iter().all(|a| {
        a.steps
            .iter()
            .map(|s| s.step)
            .eq([ProductionStep::Print, ProductionStep::Eject])
    }));
}

#[test]
fn a_jam_rejects_the_card_and_production_goes_on() {
    let store = MemoryStore::with_order(4);
    let mut l = line(1);
    l.printers[0].0.lock().unwrap().faults.push_back((
        Op::Print,
        PrinterError::Jam {
            phase: JobPhase::Printing,
        },
    ));
    let (summary, events) = produce(
        &store,
        &mut l.stations,
        &settings(true),
        &CountingIssuer::default(),
        false,
    );
    assert_eq!((summary.produced, summary.failed), (3, 1));
    let card = store.card("TMP-0001");
    assert_eq!(card.state, CardState::Failed);
    assert!(card.failure_reason.unwrap().contains("jam"));
    assert_eq!(l.printers[0].0.lock().unwrap().rejected, 1);
    let attempt = &store.attempts_of_card("TMP-0001")[0];
    assert_eq!(attempt.steps.last().unwrap().step, ProductionStep::Reject);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ProductionEvent::CardFailed { card, .. } if card == "TMP-0001"))
    );
}

#[test]
fn a_mute_chip_fails_its_card_only() {
    let store = MemoryStore::with_order(3);
    let mut l = line(1);
    *l.readers[0].mute_next.lock().unwrap() = 1;
    let issuer = CountingIssuer::default();
    let (summary, _) = produce(&store, &mut l.stations, &settings(true), &issuer, false);
    assert_eq!((summary.produced, summary.failed), (2, 1));
    assert_eq!(store.card("TMP-0001").state, CardState::Failed);
    assert_eq!(
        issuer.0.lock().unwrap().len(),
        2,
        "no certificate for the mute chip"
    );
}

#[test]
fn a_transient_fault_is_retried_within_the_card() {
    let store = MemoryStore::with_order(1);
    let mut l = line(1);
    l.printers[0]
        .0
        .lock()
        .unwrap()
        .faults
        .push_back((Op::Print, PrinterError::Busy));
    let (summary, events) = produce(
        &store,
        &mut l.stations,
        &settings(true),
        &CountingIssuer::default(),
        false,
    );
    assert_eq!(summary.produced, 1);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ProductionEvent::StepRetried { step, .. } if step == "print"))
    );
}

#[test]
fn retries_are_bounded() {
    let store = MemoryStore::with_order(1);
    let mut l = line(1);
    for _ in 0..10 {
        l.printers[0]
            .0
            .lock()
            .unwrap()
            .faults
            .push_back((Op::Print, PrinterError::Busy));
    }
    let s = settings(true);
    let (summary, events) = produce(
        &store,
        &mut l.stations,
        &s,
        &CountingIssuer::default(),
        false,
    );
    assert_eq!(summary.failed, 1);
    let retried = events
        .iter()
        .filter(|e| matches!(e, ProductionEvent::StepRetried { .. }))
        .count();
    assert_eq!(retried as u32, s.step_retries);
}

#[test]
fn an_open_cover_pauses_the_station_until_closed() {
    let store = MemoryStore::with_order(2);
    let mut l = line(1);
    l.printers[0]
        .0
        .lock()
        .unwrap()
        .faults
        .push_back((Op::Print, PrinterError::CoverOpen));
    let (summary, events) = produce(
        &store,
        &mut l.stations,
        &settings(true),
        &CountingIssuer::default(),
        false,
    );
    assert_eq!((summary.produced, summary.failed), (2, 0));
    let paused = events.iter().position(
        |e| matches!(e, ProductionEvent::StationPaused { reason, .. } if reason.contains("cover")),
    );
    let resumed = events
        .iter()
        .position(|e| matches!(e, ProductionEvent::StationResumed { .. }));
    assert!(paused.unwrap() < resumed.unwrap());
    assert_eq!(
        l.printers[0].0.lock().unwrap().rejected,
        0,
        "the card in hand is finished after the pause"
    );
}

#[test]
fn a_station_fault_puts_the_card_back_for_another_station() {
    let store = MemoryStore::with_order(3);
    let mut l = line(2);
    // Station 2 starts only once station 1 has hit its fault, so the fault always happens.
    let fired = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    l.printers[0].0.lock().unwrap().fault_fired = Some(fired.clone());
    l.printers[1].0.lock().unwrap().gate = Some(fired);
    l.printers[0].0.lock().unwrap().faults.push_back((
        Op::Print,
        PrinterError::Refused {
            command: "Ss".into(),
            reply: "ERROR CDE".into(),
        },
    ));
    let (summary, events) = produce(
        &store,
        &mut l.stations,
        &settings(true),
        &CountingIssuer::default(),
        false,
    );
    assert_eq!(
        (summary.produced, summary.failed, summary.remaining),
        (3, 0, 0)
    );
    assert!(events.iter().any(
        |e| matches!(e, ProductionEvent::StationStopped { station, .. } if station == "station-1")
    ));
    let inner = store.inner.lock().unwrap();
    assert_eq!(
        inner
            .attempts
            .iter()
            .filter(|a| a.status == AttemptStatus::Void)
            .count(),
        1
    );
}

#[test]
fn cancelled_production_takes_no_card() {
    let store = MemoryStore::with_order(2);
    let mut l = line(1);
    let (summary, _) = produce(
        &store,
        &mut l.stations,
        &settings(true),
        &CountingIssuer::default(),
        true,
    );
    assert!(summary.cancelled);
    assert_eq!((summary.produced, summary.remaining), (0, 2));
}

#[test]
fn recovery_voids_a_card_claimed_ahead_without_touching_the_card_of_another_attempt() {
    let store = MemoryStore::with_order(2);
    let mut l = line(1);
    let actor = Actor::system();
    let dead_run = 7;
    // The card claimed ahead (no step journaled) has the lower id: it is settled first.
    let (ahead, a1) = store
        .begin_attempt(dead_run, 1, "station-1", &actor)
        .unwrap()
        .unwrap();
    // The card in hand: crashed while encoding, parked at the contact station.
    let (_, a2) = store
        .begin_attempt(dead_run, 1, "station-1", &actor)
        .unwrap()
        .unwrap();
    store.step_started(a2, ProductionStep::Feed).unwrap();
    store.step_finished(a2, ProductionStep::Feed, None).unwrap();
    store.step_started(a2, ProductionStep::Encode).unwrap();
    l.printers[0].0.lock().unwrap().position = Some(CardPosition::ContactStation);
    store.end_run(dead_run).unwrap();
    let report = recover(&store, &mut l.stations, &actor).unwrap();
    assert_eq!(report.unsettled(), 0);
    match &report.outcomes[0] {
        RecoveryOutcome::Voided {
            attempt, reason, ..
        } => {
            assert_eq!(*attempt, a1);
            assert!(
                reason.contains(&format!("card {} was claimed and never fed", ahead.number)),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    match &report.outcomes[1] {
        RecoveryOutcome::Voided {
            attempt, reason, ..
        } => {
            assert_eq!(*attempt, a2);
            assert!(
                reason.contains("card found at the contact station and rejected"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        l.printers[0].0.lock().unwrap().rejected,
        1,
        "the parked card is rejected once, for its own attempt"
    );
    assert!(store.in_flight_attempts().unwrap().is_empty());
}

#[test]
fn recovery_rejects_a_parked_card_and_completes_an_ejected_print_only_card() {
    let store = MemoryStore::with_order(2);
    let mut l = line(1);
    let actor = Actor::system();
    // Attempt 1: crashed while encoding; the card is parked.
    let dead_run = 7;
    let (_, a1) = store
        .begin_attempt(dead_run, 1, "station-1", &actor)
        .unwrap()
        .unwrap();
    store.step_started(a1, ProductionStep::Feed).unwrap();
    store.step_finished(a1, ProductionStep::Feed, None).unwrap();
    store.step_started(a1, ProductionStep::Encode).unwrap();
    // Attempt 2 (another card): crashed after the eject of a print-only card.
    let (_, a2) = store
        .begin_attempt(dead_run, 1, "station-1", &actor)
        .unwrap()
        .unwrap();
    store.step_started(a2, ProductionStep::Eject).unwrap();
    l.printers[0].0.lock().unwrap().position = Some(CardPosition::ContactStation);
    store.end_run(dead_run).unwrap();
    let report = recover(&store, &mut l.stations, &actor).unwrap();
    assert_eq!(report.unsettled(), 0);
    assert!(
        matches!(&report.outcomes[0], RecoveryOutcome::Voided { attempt, .. } if *attempt == a1)
    );
    assert!(
        matches!(&report.outcomes[1], RecoveryOutcome::Completed { attempt, .. } if *attempt == a2)
    );
    assert_eq!(l.printers[0].0.lock().unwrap().rejected, 1);
    assert_eq!(
        store.states(),
        vec![CardState::InProduction, CardState::Unassigned]
    );
    assert!(store.in_flight_attempts().unwrap().is_empty());
    // A dead run's attempt on a station we do not hold is stranded, reported, left alone;
    // a live run's attempt is never touched, even on our station.
    store
        .begin_attempt(dead_run, 1, "elsewhere", &actor)
        .unwrap()
        .unwrap();
    let report = recover(&store, &mut l.stations, &actor).unwrap();
    assert!(matches!(
        report.outcomes[0],
        RecoveryOutcome::Stranded { .. }
    ));
    assert_eq!(report.stranded(), 1);
    let report = settle_lost(&store, "elsewhere", &actor).unwrap();
    assert!(matches!(report.outcomes[0], RecoveryOutcome::Voided { .. }));
    assert!(store.in_flight_attempts().unwrap().is_empty());
    let live_run = 8;
    store
        .begin_attempt(live_run, 1, "station-1", &actor)
        .unwrap()
        .unwrap();
    let report = recover(&store, &mut l.stations, &actor).unwrap();
    assert!(
        matches!(&report.outcomes[0], RecoveryOutcome::LiveRun { run, .. } if *run == live_run)
    );
    assert_eq!(
        store.in_flight_attempts().unwrap().len(),
        1,
        "left in flight"
    );
    assert_eq!(
        l.printers[0].0.lock().unwrap().rejected,
        1,
        "nothing rejected"
    );
}

/// Runs `produce` on another thread while `operator` watches the store and acts.
fn produce_with_operator(
    store: &MemoryStore,
    stations: &mut [Station],
    settings: &ProductionSettings,
    reopen: Option<&dyn StationReopener>,
    operator: impl FnOnce(&MemoryStore) + Send,
) -> (ProductionSummary, Vec<ProductionEvent>) {
    let events = Mutex::new(Vec::new());
    let sink = |e: &ProductionEvent| events.lock().unwrap().push(e.clone());
    let cancel = AtomicBool::new(false);
    let issuer = CountingIssuer::default();
    let summary = std::thread::scope(|scope| {
        scope.spawn(|| operator(store));
        let p = Production {
            journal: store,
            run: 1,
            reopen,
            settings,
            issuer: &issuer,
            sealer: &FakeSealer,
            face: &BlankFace,
            cancel: &cancel,
            events: &sink,
        };
        produce_order(&p, 1, stations).expect("production runs")
    });
    (summary, events.into_inner().unwrap())
}

/// Waits until `station` is paused in the store, and returns the pause's reason.
fn wait_paused(store: &MemoryStore, station: &str) -> String {
    for _ in 0..5000 {
        if let Some(p) = store.station_pause(station).unwrap() {
            return p.reason;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("{station} never paused");
}

#[test]
fn the_breaker_pauses_a_station_after_three_card_faults_and_the_rest_waits() {
    let store = MemoryStore::with_order(6);
    let mut l = line(1);
    *l.readers[0].mute_next.lock().unwrap() = 100;
    let reader = l.readers[0].clone();
    let (summary, events) =
        produce_with_operator(&store, &mut l.stations, &settings(true), None, |store| {
            let reason = wait_paused(store, "station-1");
            assert!(
                reason.starts_with("3 cards in a row rejected while encoding"),
                "{reason}"
            );
            assert!(
                reason.contains("cardline stations resume station-1"),
                "{reason}"
            );
            let states = store.states();
            assert_eq!(
                states.iter().filter(|s| **s == CardState::Failed).count(),
                3,
                "three blanks, not six"
            );
            assert_eq!(
                states
                    .iter()
                    .filter(|s| **s == CardState::InProduction)
                    .count(),
                3,
                "the others wait"
            );
            *reader.mute_next.lock().unwrap() = 0;
            assert!(
                store
                    .resume_station("station-1", &Actor("sam".into()))
                    .unwrap()
            );
        });
    assert_eq!(
        (summary.produced, summary.failed, summary.remaining),
        (3, 3, 0)
    );
    let paused = events.iter().position(|e| {
        matches!(
            e,
            ProductionEvent::StationPaused {
                until: PauseUntil::OperatorResumes,
                ..
            }
        )
    });
    let resumed = events
        .iter()
        .position(|e| matches!(e, ProductionEvent::StationResumed { .. }));
    assert!(paused.unwrap() < resumed.unwrap());
}

#[test]
fn a_paused_station_gives_up_when_another_station_finished_the_order() {
    let store = MemoryStore::with_order(8);
    let mut l = line(2);
    *l.readers[0].mute_next.lock().unwrap() = 100;
    l.stations[0].breaker_after = 2;
    // Station 2 feeds only once station 1 has paused, so the breaker always trips at 2.
    let go = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    l.printers[1].0.lock().unwrap().gate = Some(go.clone());
    let (summary, _) =
        produce_with_operator(&store, &mut l.stations, &settings(true), None, |store| {
            wait_paused(store, "station-1");
            go.store(true, std::sync::atomic::Ordering::SeqCst);
        });
    assert_eq!((summary.produced, summary.failed), (6, 2));
    assert_eq!(summary.remaining, 0);
    let s1 = &summary.stations[0];
    assert!(
        s1.paused
            .as_deref()
            .unwrap()
            .starts_with("2 cards in a row")
    );
    assert!(summary.degraded());
}

#[test]
fn a_missing_chip_is_a_setup_fault_the_card_waits_and_the_station_resumes_reopened() {
    struct Reopen(MockPrinter, MockReader);
    impl StationReopener for Reopen {
        fn reopen(&self, name: &str) -> Result<Station, String> {
            Ok(Station::new(
                name,
                Box::new(self.0.clone()),
                Box::new(self.1.clone()),
                Some(Box::new(MockEncoder::default())),
            ))
        }
    }
    let store = MemoryStore::with_order(2);
    let mut l = line(1);
    *l.readers[0].no_card_next.lock().unwrap() = 100;
    // The fixed station: same printer, a reader that sees the chip.
    let fixed = Reopen(l.printers[0].clone(), MockReader::default());
    let (summary, events) = produce_with_operator(
        &store,
        &mut l.stations,
        &settings(true),
        Some(&fixed),
        |store| {
            let reason = wait_paused(store, "station-1");
            assert!(reason.contains("reader pattern"), "{reason}");
            assert_eq!(
                store.states(),
                [CardState::InProduction, CardState::InProduction],
                "not a card fault: no card failed"
            );
            store.resume_station("station-1", &Actor::system()).unwrap();
        },
    );
    assert_eq!((summary.produced, summary.failed), (2, 0));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ProductionEvent::CardPutBack { card, .. } if card == "TMP-0001"))
    );
    let first = store.attempts_of_card("TMP-0001");
    assert_eq!(first[0].status, AttemptStatus::Void);
    assert_eq!(first[1].status, AttemptStatus::Succeeded);
    assert_eq!(
        l.printers[0].0.lock().unwrap().rejected,
        1,
        "the parked blank went to the reject box"
    );
}

#[test]
fn a_store_failure_on_one_station_keeps_the_other_stations_summaries() {
    let store = MemoryStore::with_order(4);
    store.inner.lock().unwrap().fail_begin = Some(crate::store::StoreError::Busy {
        operation: "starting a production attempt".into(),
    });
    let mut l = line(2);
    let (summary, _) = produce(
        &store,
        &mut l.stations,
        &settings(true),
        &CountingIssuer::default(),
        false,
    );
    assert_eq!(summary.produced, 4, "the other station produced every card");
    assert_eq!(summary.stations.len(), 2);
    let failed: Vec<_> = summary
        .stations
        .iter()
        .filter(|s| s.error.is_some())
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]
            .error
            .as_deref()
            .unwrap()
            .contains("database is busy")
    );
    assert!(summary.store_failed());
}

#[test]
fn a_link_lost_mid_print_resynchronises_and_prints_the_same_card_without_feeding_another() {
    let store = MemoryStore::with_order(1);
    let mut l = line(1);
    l.printers[0]
        .0
        .lock()
        .unwrap()
        .faults
        .push_back((Op::Print, timeout()));
    let (summary, events) = produce(
        &store,
        &mut l.stations,
        &settings(true),
        &CountingIssuer::default(),
        false,
    );
    assert_eq!(summary.produced, 1);
    let p = l.printers[0].0.lock().unwrap();
    assert_eq!(p.parks, 1, "one card fed");
    assert_eq!(p.resyncs, 1, "resynchronised before the retry");
    assert_eq!(p.printed, 1);
    assert!(events.iter().any(|e| matches!(e, ProductionEvent::StepRetried { error, .. } if error.contains("resynchronising"))));
}

#[test]
fn a_printer_that_stays_silent_gets_its_card_rejected_when_it_answers_never_a_second_feed() {
    let store = MemoryStore::with_order(1);
    let mut l = line(1);
    {
        let mut p = l.printers[0].0.lock().unwrap();
        p.faults.push_back((Op::Print, timeout()));
        // From the fault on: silent through every resync and the first rejects, answering
        // again later.
        p.silence_on_fault = 12;
    }
    let printer = l.printers[0].clone();
    let parks_while_silent = std::sync::Arc::new(Mutex::new(Vec::new()));
    let seen = parks_while_silent.clone();
    let (summary, events) =
        produce_with_operator(&store, &mut l.stations, &settings(true), None, move |_| {
            for _ in 0..2000 {
                let p = printer.0.lock().unwrap();
                if p.silent_polls > 0 {
                    seen.lock().unwrap().push(p.parks);
                }
                drop(p);
                std::thread::sleep(Duration::from_micros(200));
            }
        });
    assert!(
        parks_while_silent.lock().unwrap().iter().all(|n| *n <= 1),
        "no second card fed while the printer was silent"
    );
    assert_eq!(
        (summary.produced, summary.failed),
        (1, 0),
        "the card is produced on a new blank"
    );
    let p = l.printers[0].0.lock().unwrap();
    assert_eq!(
        p.rejected, 1,
        "the first blank rejected once the printer answered"
    );
    assert_eq!(p.parks, 2);
    let attempts = store.attempts_of_card("TMP-0001");
    assert_eq!(attempts[0].status, AttemptStatus::Void, "not a card fault");
    assert!(attempts[0].reason.as_deref().unwrap().contains("print"));
    assert!(events.iter().any(|e| matches!(e, ProductionEvent::StationPaused { until: PauseUntil::PrinterReady, reason, .. } if reason.contains("does not answer"))));
}
