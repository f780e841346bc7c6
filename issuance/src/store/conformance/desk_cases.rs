//! Conformance cases of desks: releasing orders, desks taking cards of released orders, the
//! untouched attempts of lapsed runs going back to the queue, runs and claims as `desks`
//! lists them.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use super::TestDatabase;
use crate::model::*;
use crate::numbering::Numbering;
use crate::store::ownership::RunStart;
use crate::store::*;

fn op() -> Actor {
    Actor("dora".into())
}

fn order_of(store: &dyn Store, n: u32) -> Order {
    store
        .request_cards(n, &Numbering::default(), &op())
        .unwrap();
    store.create_order(&OrderSelection::All, &op()).unwrap()
}

fn desk_run(store: &dyn Store, desk: &str, lease: Duration, stations: &[&str]) -> Run {
    let start = RunStart {
        lease,
        ..RunStart::desk(desk)
    };
    let run = store.start_run(&start, &op()).unwrap();
    for s in stations {
        store
            .claim_station(run.id, s, None, &op())
            .unwrap()
            .expect("a free station is claimed");
    }
    run
}

/// Conformance case.
pub fn orders_are_released_once_and_only_open(db: &dyn TestDatabase) {
    let store = db.open();
    let first = order_of(&*store, 2);
    let second = order_of(&*store, 2);
    assert_eq!(first.released_at, None);
    assert!(store.released_orders().unwrap().is_empty());
    let released = store.release_order(second.id, &op()).unwrap();
    assert!(released.released_at.is_some());
    assert_eq!(released.released_by.as_deref(), Some("dora"));
    assert_eq!(
        released.cards.len(),
        2,
        "the released order comes back whole"
    );
    store.release_order(first.id, &op()).unwrap();
    assert_eq!(
        store.released_orders().unwrap(),
        vec![first.id, second.id],
        "oldest first"
    );
    let again = store
        .release_order(first.id, &Actor("eve".into()))
        .unwrap_err();
    let text = again.to_string();
    assert!(
        text.contains("dora released it"),
        "who released it is named: {text}"
    );
    // A closed order cannot be released, and a cancelled released order leaves the queue.
    store.cancel_order(second.id, &op()).unwrap();
    assert_eq!(store.released_orders().unwrap(), vec![first.id]);
    let closed = store.release_order(second.id, &op()).unwrap_err();
    assert!(
        matches!(&closed, StoreError::OrderState { state, .. } if state == "cancelled"),
        "{closed}"
    );
    assert!(matches!(
        store.release_order(999, &op()),
        Err(StoreError::OrderNotFound(999))
    ));
    let audited = store
        .audit(&AuditFilter {
            action: Some("order.release".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(audited.len(), 2, "one entry per release");
    let whole = store.order(first.id).unwrap();
    assert_eq!(whole.released_at, audited[1].at.clone().into());
    let header = store.order_header(first.id).unwrap();
    assert!(header.cards.is_empty(), "a header carries no cards");
    assert_eq!(
        (header.id, header.state, header.released_at, header.profile),
        (whole.id, whole.state, whole.released_at, whole.profile)
    );
    assert!(matches!(
        store.order_header(999),
        Err(StoreError::OrderNotFound(999))
    ));
}

/// Conformance case.
pub fn desks_take_released_orders_oldest_first_and_skip_what_they_cannot_do(db: &dyn TestDatabase) {
    let store = db.open();
    let held = order_of(&*store, 1);
    let older = order_of(&*store, 2);
    let newer = order_of(&*store, 1);
    let run = desk_run(&*store, "desk-a", Duration::from_secs(60), &["a1"]);
    assert_eq!(
        store
            .begin_released_attempt(run.id, "a1", &[], &op())
            .unwrap(),
        None,
        "nothing is released yet"
    );
    store.release_order(newer.id, &op()).unwrap();
    store.release_order(older.id, &op()).unwrap();
    let mut taken = Vec::new();
    while let Some((card, attempt)) = store
        .begin_released_attempt(run.id, "a1", &[], &op())
        .unwrap()
    {
        taken.push((card.order_id, card.number.clone()));
        store
            .attempt_succeeded(attempt, &AttemptSuccess::default(), &op())
            .unwrap();
    }
    let want: Vec<(Option<OrderId>, String)> = older
        .cards
        .iter()
        .chain(&newer.cards)
        .map(|c| (Some(c.order_id.unwrap()), c.number.clone()))
        .collect();
    assert_eq!(taken, want, "older order first, cards in order");
    assert_eq!(
        store.order(held.id).unwrap().cards[0].state,
        CardState::InProduction,
        "an order not released is never taken"
    );
    // A station that cannot produce an order skips it.
    let skipped = order_of(&*store, 1);
    store.release_order(skipped.id, &op()).unwrap();
    assert_eq!(
        store
            .begin_released_attempt(run.id, "a1", &[skipped.id], &op())
            .unwrap(),
        None
    );
    // Fencing as for one order: a station the run does not hold is refused.
    assert!(matches!(
        store.begin_released_attempt(run.id, "not-mine", &[], &op()),
        Err(StoreError::NotStationOwner { .. })
    ));
}

/// Conformance case.
pub fn a_desk_claims_for_several_stations_at_once(db: &dyn TestDatabase) {
    let store = db.open();
    let order = order_of(&*store, 3);
    let run = desk_run(
        &*store,
        "desk-a",
        Duration::from_secs(60),
        &["a1", "a2", "a3", "a4"],
    );
    assert_eq!(
        store
            .begin_released_attempts(run.id, &["a1", "a2"], &op())
            .unwrap(),
        vec![None, None],
        "nothing is released yet"
    );
    store.release_order(order.id, &op()).unwrap();
    let claims = store
        .begin_released_attempts(run.id, &["a1", "a2", "a3", "a4"], &op())
        .unwrap();
    assert_eq!(claims.len(), 4, "one entry per station");
    let taken: Vec<String> = claims
        .iter()
        .flatten()
        .map(|(c, _)| c.number.clone())
        .collect();
    let want: Vec<String> = order.cards.iter().map(|c| c.number.clone()).collect();
    assert_eq!(
        taken, want,
        "each card once, in order, to the stations in order"
    );
    assert!(claims[3].is_none(), "the fourth station finds no card left");
    let in_flight = store.in_flight_attempts().unwrap();
    for (station, claim) in ["a1", "a2", "a3"].iter().zip(&claims) {
        let (card, attempt) = claim.as_ref().unwrap();
        let a = in_flight.iter().find(|a| a.id == *attempt).unwrap();
        assert_eq!(
            (a.station.as_str(), a.card_number.as_str(), a.run_id),
            (*station, card.number.as_str(), Some(run.id))
        );
    }
    let begun = store
        .audit(&AuditFilter {
            action: Some("attempt.begin".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(begun.len(), 3, "each claim audited");
    // Fencing: one station the run does not hold refuses the whole group, which claims nothing.
    let more = order_of(&*store, 2);
    store.release_order(more.id, &op()).unwrap();
    assert!(matches!(
        store.begin_released_attempts(run.id, &["a4", "not-mine"], &op()),
        Err(StoreError::NotStationOwner { .. })
    ));
    assert_eq!(
        store.in_flight_attempts().unwrap().len(),
        3,
        "the refused group took no card"
    );
}

/// Conformance case.
pub fn many_desks_take_each_card_once(db: &dyn TestDatabase) {
    let setup = db.open();
    let a = order_of(&*setup, 30);
    let b = order_of(&*setup, 30);
    setup.release_order(a.id, &op()).unwrap();
    setup.release_order(b.id, &op()).unwrap();
    let seen = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for d in 0..3 {
            let store = db.open();
            let seen = &seen;
            scope.spawn(move || {
                let stations: Vec<String> = (0..2).map(|s| format!("d{d}-s{s}")).collect();
                let names: Vec<&str> = stations.iter().map(String::as_str).collect();
                let run = desk_run(
                    &*store,
                    &format!("desk-{d}"),
                    Duration::from_secs(60),
                    &names,
                );
                std::thread::scope(|inner| {
                    for station in &stations {
                        let store = &store;
                        inner.spawn(move || {
                            loop {
                                let got =
                                    match store.begin_released_attempt(run.id, station, &[], &op())
                                    {
                                        Ok(got) => got,
                                        Err(e) if e.is_transient() => continue,
                                        Err(e) => panic!("{e}"),
                                    };
                                let Some((card, attempt)) = got else { break };
                                seen.lock().unwrap().push(card.number.clone());
                                store
                                    .attempt_succeeded(attempt, &AttemptSuccess::default(), &op())
                                    .unwrap();
                            }
                        });
                    }
                });
            });
        }
    });
    let seen = seen.into_inner().unwrap();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 60, "every card taken");
    assert_eq!(unique.len(), 60, "no card taken twice");
    for order in [a.id, b.id] {
        assert_eq!(setup.waiting_cards(order).unwrap(), 0);
        assert!(
            setup
                .order(order)
                .unwrap()
                .cards
                .iter()
                .all(|c| c.state == CardState::Unassigned)
        );
    }
}

/// Conformance case.
pub fn untouched_attempts_of_lapsed_runs_go_back_to_the_queue(db: &dyn TestDatabase) {
    let store = db.open();
    let order = order_of(&*store, 3);
    store.release_order(order.id, &op()).unwrap();
    let lapsing = desk_run(&*store, "desk-x", Duration::from_millis(1), &["x1", "x2"]);
    let live = desk_run(&*store, "desk-y", Duration::from_secs(60), &["y1"]);
    let (untouched, a1) = store
        .begin_released_attempt(lapsing.id, "x1", &[], &op())
        .unwrap()
        .unwrap();
    let (touched, a2) = store
        .begin_released_attempt(lapsing.id, "x2", &[], &op())
        .unwrap()
        .unwrap();
    store.step_started(a2, ProductionStep::Feed).unwrap();
    let (_, a3) = store
        .begin_released_attempt(live.id, "y1", &[], &op())
        .unwrap()
        .unwrap();
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(store.waiting_cards(order.id).unwrap(), 0);
    let requeued = store.requeue_untouched(&op()).unwrap();
    let ids: Vec<AttemptId> = requeued.iter().map(|a| a.id).collect();
    assert_eq!(ids, vec![a1], "only the lapsed run's untouched attempt");
    assert_eq!(requeued[0].card_number, untouched.number);
    assert_eq!(store.waiting_cards(order.id).unwrap(), 1);
    // The lapsed desk may not write to it any more (fencing)...
    assert!(matches!(
        store.step_started(a1, ProductionStep::Feed),
        Err(StoreError::AttemptClosed { .. })
    ));
    // ...while the touched card stays with it for its recovery, and the live run keeps its own.
    let in_flight: Vec<AttemptId> = store
        .in_flight_attempts()
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect();
    assert!(in_flight.contains(&a2) && in_flight.contains(&a3) && !in_flight.contains(&a1));
    assert_eq!(
        store.card(&touched.number).unwrap().state,
        CardState::InProduction
    );
    assert!(
        store.requeue_untouched(&op()).unwrap().is_empty(),
        "requeued once"
    );
    // The card is taken again, by a live desk, as a new attempt.
    let (again, a4) = store
        .begin_released_attempt(live.id, "y1", &[], &op())
        .unwrap()
        .unwrap();
    assert_eq!(again.number, untouched.number);
    assert_ne!(a4, a1);
    let audit = store
        .audit(&AuditFilter {
            card_number: Some(untouched.number.clone()),
            action: Some("attempt.requeue".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert!(
        audit[0]
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("stopped renewing its lease"),
        "{:?}",
        audit[0].reason
    );
}

/// Conformance case.
pub fn runs_and_claims_are_listed_for_desks(db: &dyn TestDatabase) {
    let store = db.open();
    let desk = desk_run(
        &*store,
        "front-desk",
        Duration::from_secs(60),
        &["f1", "f2"],
    );
    let other = desk_run(&*store, "back-desk", Duration::from_secs(60), &["b1"]);
    assert_eq!(desk.desk.as_deref(), Some("front-desk"));
    assert_eq!(desk.kind, "desk");
    let live: Vec<RunId> = store.runs(false).unwrap().iter().map(|r| r.id).collect();
    assert_eq!(live, vec![other.id, desk.id], "newest first");
    let read = store.run(desk.id).unwrap();
    assert_eq!(read.desk.as_deref(), Some("front-desk"));
    let claims: Vec<(String, RunId)> = store
        .station_claims()
        .unwrap()
        .into_iter()
        .map(|c| (c.station, c.run))
        .collect();
    assert_eq!(
        claims,
        vec![
            ("b1".to_string(), other.id),
            ("f1".to_string(), desk.id),
            ("f2".to_string(), desk.id)
        ]
    );
    store.end_run(other.id).unwrap();
    let live: Vec<RunId> = store.runs(false).unwrap().iter().map(|r| r.id).collect();
    assert_eq!(live, vec![desk.id], "an ended run is not live");
    assert_eq!(store.runs(true).unwrap().len(), 2);
    assert_eq!(store.station_claims().unwrap().len(), 2);
}

/// The change mark moves on every step of production a console shows (a card taken, a step
/// begun and ended, a failure, a pause and its resume) and not otherwise, and names the time
/// of the newest change.
pub fn the_change_mark_moves_with_production_and_only_then(db: &dyn TestDatabase) {
    let store = db.open();
    let order = order_of(&*store, 2);
    store.release_order(order.id, &op()).unwrap();
    let run = desk_run(&*store, "front", Duration::from_secs(30), &["a1"]);
    let Some(first) = store.change_mark().unwrap() else {
        return; // a backend without a cheap mark: the console re-reads instead
    };
    assert_eq!(
        store.change_mark().unwrap().as_ref(),
        Some(&first),
        "nothing changed"
    );
    let mut marks = vec![first];
    let mut moved = |what: &str| {
        let now = store.change_mark().unwrap().unwrap();
        let last = marks.last().unwrap();
        assert_ne!(now.mark, last.mark, "{what} moves the mark");
        assert!(now.at >= last.at, "{what}: {} then {}", last.at, now.at);
        assert!(now.at.ends_with('Z') && now.at.len() == 24, "{}", now.at);
        marks.push(now);
    };
    let (_card, attempt) = store
        .begin_released_attempt(run.id, "a1", &[], &op())
        .unwrap()
        .expect("a card to produce");
    moved("taking a card");
    store.step_started(attempt, ProductionStep::Feed).unwrap();
    moved("a step begun");
    store
        .step_finished(attempt, ProductionStep::Feed, None)
        .unwrap();
    moved("a step ended");
    store
        .attempt_failed(attempt, "jam at the contact station", &op())
        .unwrap();
    moved("a failed attempt");
    store
        .pause_station("a1", "check the feeder", Some(run.id), &op())
        .unwrap();
    moved("a pause");
    store.resume_station("a1", &op()).unwrap();
    moved("a resume");
    let last = marks.last().unwrap().clone();
    assert_eq!(store.change_mark().unwrap(), Some(last));
}
