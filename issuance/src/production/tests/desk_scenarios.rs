//! Desk daemons on mock stations: producing released cards until stopped, waiting out a
//! database outage in the middle of a card, leaving aside an order a station cannot do.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cardline_device::*;

use super::memory_store::MemoryStore;
use super::mock_devices::*;
use crate::model::{Attempt, AttemptStatus, CardState, OrderId};
use crate::production::*;
use crate::store::Actor;
use crate::store::ProductionJournal;

struct TestKit {
    settings: ProductionSettings,
    issuer: Arc<CountingIssuer>,
}

struct SharedIssuer(Arc<CountingIssuer>);

impl CertificateIssuer for SharedIssuer {
    fn issue(&self, r: &CertificateRequest) -> Result<Vec<u8>, IssuerError> {
        self.0.issue(r)
    }
}

impl OrderKit for TestKit {
    fn settings(&self) -> &ProductionSettings {
        &self.settings
    }
    fn issuer(&self) -> Box<dyn CertificateIssuer + '_> {
        Box::new(SharedIssuer(self.issuer.clone()))
    }
    fn sealer(&self) -> &dyn SecretSealer {
        &FakeSealer
    }
    fn face(&self) -> &dyn FaceRenderer {
        &BlankFace
    }
}

struct Kits(Arc<TestKit>);

impl KitSource for Kits {
    fn kit_for(&self, order: OrderId) -> Result<Arc<dyn OrderKit>, String> {
        assert_eq!(order, 1, "the card's own order is asked for");
        Ok(self.0.clone())
    }
    fn default_kit(&self) -> Result<Arc<dyn OrderKit>, String> {
        Ok(self.0.clone())
    }
}

fn kits(encode: bool) -> (Kits, Arc<CountingIssuer>) {
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
    let mut settings = ProductionSettings::new(Actor("desk".into()), encoding);
    settings.retry_delay = Duration::from_millis(1);
    settings.operator_poll = Duration::from_millis(1);
    let issuer = Arc::new(CountingIssuer::default());
    (
        Kits(Arc::new(TestKit {
            settings,
            issuer: issuer.clone(),
        })),
        issuer,
    )
}

fn station(name: &str, printer: &MockPrinter, encoder: bool) -> Station {
    Station::new(
        name.to_string(),
        Box::new(printer.clone()),
        Box::new(MockReader::default()),
        encoder.then(|| Box::new(MockEncoder::default()) as Box<dyn CardEncoder>),
    )
}

/// Runs a desk until `done` says so (or 20 s pass, which fails the test).
fn run_until(
    store: &MemoryStore,
    kits: &Kits,
    stations: &mut [Station],
    done: impl Fn(&MemoryStore, &[ProductionEvent]) -> bool + Sync,
) -> (DeskSummary, Vec<ProductionEvent>) {
    let events = Mutex::new(Vec::new());
    let sink = |e: &ProductionEvent| events.lock().unwrap().push(e.clone());
    let stop = AtomicBool::new(false);
    let desk = Desk {
        journal: store,
        run: 1,
        actor: Actor("desk".into()),
        kits,
        stop: &stop,
        events: &sink,
        reopen: None,
        idle_poll: Duration::from_millis(2),
        retry: Duration::from_millis(5),
    };
    let summary = std::thread::scope(|scope| {
        scope.spawn(|| {
            let started = Instant::now();
            loop {
                let seen = events.lock().unwrap().clone();
                if done(store, &seen) {
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "the desk did not get there: {seen:?}"
                );
                std::thread::sleep(Duration::from_millis(2));
            }
            stop.store(true, Ordering::SeqCst);
        });
        run_desk(&desk, stations)
    });
    (summary, events.into_inner().unwrap())
}

#[test]
fn a_desk_produces_the_released_cards_then_idles_until_stopped() {
    let store = MemoryStore::with_order(5);
    let (kits, issuer) = kits(true);
    let printers = [MockPrinter::default(), MockPrinter::default()];
    let mut stations = vec![
        station("d-1", &printers[0], true),
        station("d-2", &printers[1], true),
    ];
    let (summary, _) = run_until(&store, &kits, &mut stations, |s, _| {
        s.states().iter().all(|c| *c == CardState::Unassigned)
    });
    assert_eq!((summary.produced, summary.failed), (5, 0));
    assert_eq!(summary.stations.len(), 2);
    assert_eq!(
        issuer.0.lock().unwrap().len(),
        5,
        "one certificate per card"
    );
    let ejected: u32 = printers.iter().map(|p| p.0.lock().unwrap().ejected).sum();
    assert_eq!(ejected, 5);
}

#[test]
fn a_database_outage_mid_card_is_waited_out_and_the_card_in_hand_settled() {
    let store = MemoryStore::with_order(3);
    // The first card's feed intent commits; the next two commits (the encode intent, and
    // its retry) meet a dead database.
    store.inner.lock().unwrap().outage_after_commits = Some((1, 2));
    let (kits, _) = kits(true);
    let printer = MockPrinter::default();
    let mut stations = vec![station("d-1", &printer, true)];
    let (summary, events) = run_until(&store, &kits, &mut stations, |s, _| {
        s.states().iter().all(|c| *c == CardState::Unassigned)
    });
    assert_eq!(summary.produced, 3, "every card produced in the end");
    assert!(
        events.iter().any(|e| matches!(
            e,
            ProductionEvent::StationPaused { until: PauseUntil::StoreAvailable, reason, .. }
                if reason.contains("unavailable")
        )),
        "the outage is announced: {events:?}"
    );
    let inner = store.inner.lock().unwrap();
    let void: Vec<_> = inner
        .attempts
        .iter()
        .filter(|a| a.status == AttemptStatus::Void)
        .collect();
    assert_eq!(void.len(), 1, "the card in hand is settled once");
    assert!(
        void[0]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("recovered after the database came back"),
        "{:?}",
        void[0].reason
    );
    assert_eq!(
        inner
            .attempts
            .iter()
            .filter(|a| a.status == AttemptStatus::Succeeded)
            .count(),
        3
    );
}

#[test]
fn a_claim_whose_commit_reply_was_lost_is_settled_when_the_database_answers() {
    let store = MemoryStore::with_order(3);
    // The claim of the first card commits, but the connection breaks before the reply: the
    // station never learns it holds the card.
    store.inner.lock().unwrap().lose_begin_reply = true;
    let (kits, _) = kits(true);
    let printer = MockPrinter::default();
    let mut stations = vec![station("d-1", &printer, true)];
    let (summary, _) = run_until(&store, &kits, &mut stations, |s, _| {
        s.states().iter().all(|c| *c == CardState::Unassigned)
    });
    assert_eq!(summary.produced, 3, "no card is stranded by the lost reply");
    let inner = store.inner.lock().unwrap();
    assert!(
        inner
            .attempts
            .iter()
            .all(|a| a.status != AttemptStatus::InFlight)
    );
    let void: Vec<_> = inner
        .attempts
        .iter()
        .filter(|a| a.status == AttemptStatus::Void)
        .collect();
    assert_eq!(void.len(), 1, "the orphaned claim is voided once: {void:?}");
    assert!(void[0].steps.is_empty(), "its card was never touched");
}

#[test]
fn a_print_only_station_leaves_an_encoding_order_aside_untouched() {
    let store = MemoryStore::with_order(2);
    let (kits, _) = kits(true);
    let printer = MockPrinter::default();
    let mut stations = vec![station("print-only", &printer, false)];
    let (summary, events) = run_until(&store, &kits, &mut stations, |_, seen| {
        seen.iter()
            .any(|e| matches!(e, ProductionEvent::CardPutBack { .. }))
    });
    assert_eq!((summary.produced, summary.failed), (0, 0));
    assert!(store.states().iter().all(|c| *c == CardState::InProduction));
    let inner = store.inner.lock().unwrap();
    assert_eq!(
        inner.attempts.len(),
        1,
        "the order is left aside after one look, not claimed again and again"
    );
    assert_eq!(inner.attempts[0].status, AttemptStatus::Void);
    assert!(inner.attempts[0].steps.is_empty(), "no card was touched");
    let put_back = events
        .iter()
        .find_map(|e| match e {
            ProductionEvent::CardPutBack { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .unwrap();
    assert!(put_back.contains("has no encoder"), "{put_back}");
    assert_eq!(printer.0.lock().unwrap().parks, 0);
}

/// Waits up to `within` for `station` to hold two attempts in flight at once (the card
/// ejecting and the next one claimed beside it).
fn two_in_flight(store: &MemoryStore, station: &str, within: Duration) -> bool {
    let until = Instant::now() + within;
    while Instant::now() < until {
        let held = store
            .inner
            .lock()
            .unwrap()
            .attempts
            .iter()
            .filter(|a| a.station == station && a.status == AttemptStatus::InFlight)
            .count();
        if held == 2 {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

#[test]
fn a_station_claims_and_prepares_its_next_card_while_the_card_in_hand_ejects() {
    let store = Arc::new(MemoryStore::with_order(3));
    let (kits, _) = kits(true);
    let printer = MockPrinter::default();
    let seen = Arc::new(Mutex::new(Vec::new()));
    {
        let (store, seen) = (store.clone(), seen.clone());
        printer.0.lock().unwrap().on_eject = Some(Arc::new(move || {
            let ahead = two_in_flight(&store, "d-1", Duration::from_millis(300));
            seen.lock().unwrap().push(ahead);
        }));
    }
    let mut stations = vec![station("d-1", &printer, true)];
    let (summary, _) = run_until(&store, &kits, &mut stations, |s, _| {
        s.states().iter().all(|c| *c == CardState::Unassigned)
    });
    assert_eq!((summary.produced, summary.failed), (3, 0));
    assert_eq!(
        *seen.lock().unwrap(),
        [true, true, false],
        "the next card is claimed during each eject; none is left after the last"
    );
    let inner = store.inner.lock().unwrap();
    assert!(
        inner
            .attempts
            .iter()
            .all(|a| a.status == AttemptStatus::Succeeded),
        "no claim is wasted: {:?}",
        inner.attempts
    );
}

/// A desk of one station that `stop_when` stops from inside an eject.
fn run_stopped_in_eject(
    store: &Arc<MemoryStore>,
    stop_when: impl Fn(&MemoryStore) -> bool + Send + Sync + 'static,
) -> (DeskSummary, Vec<ProductionEvent>, MockPrinter) {
    let (kits, _) = kits(true);
    let printer = MockPrinter::default();
    let stop = Arc::new(AtomicBool::new(false));
    {
        let (store, stop) = (store.clone(), stop.clone());
        printer.0.lock().unwrap().on_eject = Some(Arc::new(move || {
            if stop_when(&store) {
                stop.store(true, Ordering::SeqCst);
            }
        }));
    }
    let mut stations = vec![station("d-1", &printer, true)];
    let events = Mutex::new(Vec::new());
    let sink = |e: &ProductionEvent| events.lock().unwrap().push(e.clone());
    let desk = Desk {
        journal: &**store,
        run: 1,
        actor: Actor("desk".into()),
        kits: &kits,
        stop: &stop,
        events: &sink,
        reopen: None,
        idle_poll: Duration::from_millis(2),
        retry: Duration::from_millis(5),
    };
    let summary = run_desk(&desk, &mut stations);
    (summary, events.into_inner().unwrap(), printer)
}

/// The one void attempt of the store, and the reason of the one `CardPutBack` event.
fn the_card_given_back(store: &MemoryStore, events: &[ProductionEvent]) -> (Attempt, String) {
    let inner = store.inner.lock().unwrap();
    assert!(
        inner
            .attempts
            .iter()
            .all(|a| a.status != AttemptStatus::InFlight),
        "nothing is left in flight: {:?}",
        inner.attempts
    );
    let void: Vec<_> = inner
        .attempts
        .iter()
        .filter(|a| a.status == AttemptStatus::Void)
        .cloned()
        .collect();
    assert_eq!(void.len(), 1, "{void:?}");
    let put_back: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ProductionEvent::CardPutBack { card, reason, .. } => Some((card, reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(put_back.len(), 1, "{events:?}");
    assert_eq!(*put_back[0].0, void[0].card_number);
    (void[0].clone(), put_back[0].1.clone())
}

#[test]
fn a_desk_that_stops_finishes_the_card_in_hand_and_gives_back_the_card_claimed_ahead() {
    let store = Arc::new(MemoryStore::with_order(5));
    // Stop while the second card ejects, once the third is claimed beside it (or after 2 s,
    // when it never is).
    let (summary, events, printer) = run_stopped_in_eject(&store, |s| {
        let second = s.inner.lock().unwrap().successes.len() == 1;
        if second {
            two_in_flight(s, "d-1", Duration::from_secs(2));
        }
        second
    });
    assert_eq!(summary.produced, 2, "the card in hand is finished");
    let (void, reason) = the_card_given_back(&store, &events);
    assert!(
        void.steps.is_empty(),
        "the card given back was never touched"
    );
    assert!(
        void.reason.as_deref().unwrap().contains("the desk stops"),
        "{void:?}"
    );
    assert!(
        reason.contains(&format!("gives card {} back", void.card_number)),
        "{reason}"
    );
    assert_eq!(printer.0.lock().unwrap().parks, 2, "no third blank is fed");
    let states = store.states();
    assert_eq!(
        states
            .iter()
            .filter(|c| **c == CardState::Unassigned)
            .count(),
        2
    );
    assert_eq!(
        states
            .iter()
            .filter(|c| **c == CardState::InProduction)
            .count(),
        3,
        "the card given back waits with the two never claimed"
    );
}

#[test]
fn a_pause_recorded_while_a_card_ejects_gives_back_the_card_claimed_ahead() {
    let store = Arc::new(MemoryStore::with_order(3));
    let (kits, _) = kits(true);
    let printer = MockPrinter::default();
    {
        let store = store.clone();
        printer.0.lock().unwrap().on_eject = Some(Arc::new(move || {
            // Paused once the next card is claimed (or after 2 s, when it never is).
            two_in_flight(&store, "d-1", Duration::from_secs(2));
            store
                .pause_station("d-1", "operator: new ribbon", None, &Actor("op".into()))
                .unwrap();
        }));
    }
    let mut stations = vec![station("d-1", &printer, true)];
    let (summary, events) = run_until(&store, &kits, &mut stations, |_, seen| {
        seen.iter().any(|e| {
            matches!(
                e,
                ProductionEvent::StationPaused {
                    until: PauseUntil::OperatorResumes,
                    ..
                }
            )
        })
    });
    assert_eq!(summary.produced, 1, "the card in hand is finished");
    let (void, reason) = the_card_given_back(&store, &events);
    assert!(void.steps.is_empty());
    assert!(reason.contains("the station is paused"), "{reason}");
    assert_eq!(printer.0.lock().unwrap().parks, 1);
}

/// Four stations of one desk ask for a card at once (the first group's claim takes 200 ms):
/// what each got, and the size of each group of claims.
fn four_claim_at_once(store: &MemoryStore) -> (Vec<Result<Option<String>, String>>, Vec<usize>) {
    let group = super::super::claim_group::ClaimGroup::default();
    let start = std::sync::Barrier::new(4);
    let got: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..=4)
            .map(|i| {
                let (group, start) = (&group, &start);
                scope.spawn(move || {
                    start.wait();
                    let name = format!("d-{i}");
                    group
                        .claim(store, 1, &name, &Actor("desk".into()), false)
                        .map(|c| c.map(|(card, _)| card.number))
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let groups = store.inner.lock().unwrap().claim_groups.clone();
    (got, groups)
}

#[test]
fn the_stations_of_a_desk_asking_at_once_claim_together() {
    let store = MemoryStore::with_order(3);
    store.inner.lock().unwrap().first_group_takes = Duration::from_millis(200);
    let (got, groups) = four_claim_at_once(&store);
    assert_eq!(
        groups.iter().sum::<usize>(),
        4,
        "every station asked once: {groups:?}"
    );
    assert!(
        groups.len() <= 2,
        "the stations asking during the first claim are claimed for together: {groups:?}"
    );
    let mut cards: Vec<String> = got.iter().filter_map(|g| g.clone().unwrap()).collect();
    cards.sort();
    assert_eq!(
        cards,
        ["TMP-0001", "TMP-0002", "TMP-0003"],
        "each card once"
    );
    assert_eq!(got.iter().filter(|g| matches!(g, Ok(None))).count(), 1);
}

#[test]
fn a_group_refused_for_one_station_lets_the_others_claim_alone() {
    let store = MemoryStore::with_order(4);
    {
        let mut inner = store.inner.lock().unwrap();
        inner.first_group_takes = Duration::from_millis(200);
        // The three stations that ask while the first claims are refused together.
        inner.fail_group = Some((
            2,
            crate::store::StoreError::NotStationOwner {
                run: 1,
                station: "d-9".into(),
            },
        ));
    }
    let (got, groups) = four_claim_at_once(&store);
    assert_eq!(groups, [1, 3], "{got:?}");
    let refused: Vec<&String> = got.iter().filter_map(|g| g.as_ref().err()).collect();
    assert_eq!(
        refused.len(),
        1,
        "only the station that claimed for the group: {got:?}"
    );
    assert!(refused[0].contains("d-9"), "{}", refused[0]);
    let claimed = got.iter().filter(|g| matches!(g, Ok(Some(_)))).count();
    assert_eq!(
        claimed, 3,
        "the others claimed, alone or together: {got:?} {groups:?}"
    );
}

#[test]
fn a_group_whose_connection_failed_tells_every_station_to_settle_what_it_may_hold() {
    let store = MemoryStore::with_order(4);
    {
        let mut inner = store.inner.lock().unwrap();
        // The first station claims alone; the three that ask meanwhile claim together, and
        // their connection breaks.
        inner.first_group_takes = Duration::from_millis(200);
        inner.fail_group = Some((
            2,
            crate::store::StoreError::Unavailable {
                operation: "starting production attempts".into(),
                detail: "connection reset by peer".into(),
            },
        ));
    }
    let (got, groups) = four_claim_at_once(&store);
    assert_eq!(groups, [1, 3], "{got:?}");
    let failed: Vec<&String> = got.iter().filter_map(|g| g.as_ref().err()).collect();
    assert_eq!(
        failed.len(),
        3,
        "every station of the failed group is told: {got:?}"
    );
    assert!(
        failed
            .iter()
            .all(|e| e.contains("connection reset by peer")),
        "{failed:?}"
    );
}

/// Stations that woke together ask one after another (each reads its pause and its printer
/// first, `delays` apart): what each got, and the size of each group of claims. Stations
/// beyond `asking` woke too; the first of those says it will not ask, the others never answer.
/// The group waits up to `gather` for them.
fn woke_together(
    store: &MemoryStore,
    asking: usize,
    woke: usize,
    gather: Duration,
) -> (Vec<Option<String>>, Vec<usize>) {
    let group = super::super::claim_group::ClaimGroup::gathering_for(gather);
    for _ in 0..woke {
        group.waking();
    }
    let got: Vec<_> = std::thread::scope(|scope| {
        if woke > asking {
            let group = &group;
            scope.spawn(move || {
                std::thread::sleep(Duration::from_millis(5));
                group.not_asking();
            });
        }
        let handles: Vec<_> = (1..=asking)
            .map(|i| {
                let group = &group;
                scope.spawn(move || {
                    std::thread::sleep(Duration::from_millis(8 * i as u64));
                    group
                        .claim(store, 1, &format!("d-{i}"), &Actor("desk".into()), true)
                        .unwrap()
                        .map(|(card, _)| card.number)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let groups = store.inner.lock().unwrap().claim_groups.clone();
    (got, groups)
}

#[test]
fn stations_that_woke_together_claim_in_one_group() {
    let store = MemoryStore::with_order(4);
    // However slow the machine, the others ask within 10 s.
    let (got, groups) = woke_together(&store, 4, 4, Duration::from_secs(10));
    assert_eq!(
        groups,
        [4],
        "the first to ask waits for the others that woke with it: {got:?}"
    );
    let mut cards: Vec<String> = got.into_iter().flatten().collect();
    cards.sort();
    assert_eq!(cards, ["TMP-0001", "TMP-0002", "TMP-0003", "TMP-0004"]);
}

#[test]
fn a_station_that_woke_and_does_not_ask_holds_nobody_up_for_long() {
    let store = MemoryStore::with_order(4);
    // Four woke: two ask, one says it will not, one never answers (its printer hangs).
    // The group gives up on the silent one after 1 s (the second asks 8 ms after the first).
    let (got, groups) = woke_together(&store, 2, 4, Duration::from_secs(1));
    assert_eq!(groups, [2], "{got:?}");
    assert!(got.iter().all(Option::is_some), "{got:?}");
}
