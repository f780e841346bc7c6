//! Conformance cases: the per-order counters behind [`Store::order_outcome`] stay equal to a
//! recount of the order's cards and attempts ([`Store::recount_order_outcome`]) after every
//! kind of change — order created, attempt begun, succeeded, failed, voided, repeat (failed
//! and misprinted cards), cancel, complete, a card's later life, a cancelled card ordered
//! again.

use super::*;

fn op() -> Actor {
    Actor("olga".into())
}

/// The counters of every order equal the recount; returns the first order's outcome.
fn check(store: &dyn Store, orders: &[OrderId], after: &str) -> OrderOutcome {
    for id in orders {
        let counted = store.order_outcome(*id).unwrap();
        let recount = store.recount_order_outcome(*id).unwrap();
        assert_eq!(counted, recount, "order {id} after {after}");
    }
    store.order_outcome(orders[0]).unwrap()
}

fn counts(o: &OrderOutcome) -> [u64; 6] {
    [
        o.produced,
        o.failed,
        o.waiting,
        o.in_production,
        o.cancelled,
        o.released,
    ]
}

/// Conformance case.
pub fn order_counters_equal_a_recount_after_every_change(db: &dyn TestDatabase) {
    let store = db.open();
    let cards = store
        .request_cards(8, &Numbering::default(), &op())
        .unwrap();
    let a = store
        .create_order(&OrderSelection::First(5), &op())
        .unwrap()
        .id;
    let o = check(&*store, &[a], "create");
    assert_eq!(counts(&o), [0, 0, 5, 0, 0, 0]);
    let run = station_run(&*store, "st1");
    let take = |order| {
        store
            .begin_attempt(run, order, "st1", &op())
            .unwrap()
            .unwrap()
    };
    let (_, at) = take(a);
    assert_eq!(counts(&check(&*store, &[a], "begin")), [0, 0, 4, 1, 0, 0]);
    store
        .attempt_succeeded(at, &AttemptSuccess::default(), &op())
        .unwrap();
    assert_eq!(counts(&check(&*store, &[a], "success")), [1, 0, 4, 0, 0, 0]);
    let (_, at) = take(a);
    store.attempt_voided(at, "rejected blank", &op()).unwrap();
    assert_eq!(counts(&check(&*store, &[a], "void")), [1, 0, 4, 0, 0, 0]);
    let (_, at) = take(a);
    let failed = store
        .attempt_failed(at, "chip did not answer", &op())
        .unwrap();
    assert_eq!(counts(&check(&*store, &[a], "failure")), [1, 1, 3, 0, 0, 0]);
    let (_, at) = take(a);
    let produced = store
        .attempt_succeeded(at, &AttemptSuccess::default(), &op())
        .unwrap();
    assert_eq!(counts(&check(&*store, &[a], "success")), [2, 1, 2, 0, 0, 0]);
    // Repeat: the failed card and one misprinted produced card wait again.
    let again = store
        .repeat_order(a, std::slice::from_ref(&produced.number), &op())
        .unwrap();
    assert!(again.iter().any(|c| c.number == failed.number));
    check(&*store, &[a], "repeat");
    // A desk's claim of the order released to the desks, and its success (on PostgreSQL the
    // store counts both moves itself, the triggers standing aside).
    store.release_order(a, &op()).unwrap();
    let (_, at) = store
        .begin_released_attempt(run, "st1", &[], &op())
        .unwrap()
        .unwrap();
    check(&*store, &[a], "a desk's claim");
    store
        .attempt_succeeded(at, &AttemptSuccess::default(), &op())
        .unwrap();
    check(&*store, &[a], "a desk's success");
    // A second order, then cancel it with one card in flight.
    let b = store
        .create_order(&OrderSelection::First(3), &op())
        .unwrap()
        .id;
    check(&*store, &[a, b], "second order");
    let (_, in_flight) = take(b);
    check(&*store, &[b, a], "begin in the second order");
    store
        .attempt_failed(in_flight, "printer jam", &op())
        .unwrap();
    store.cancel_order(b, &op()).unwrap();
    let ob = check(&*store, &[b, a], "cancel");
    assert_eq!(ob.cancelled, 3, "every card of the cancelled order left it");
    assert_eq!(ob.total(), 3);
    // The cancelled cards ordered again: the old order's counts do not move.
    let c = store.create_order(&OrderSelection::All, &op()).unwrap().id;
    let after = check(&*store, &[b, a, c], "ordered again");
    assert_eq!(counts(&after), counts(&ob));
    // Finish the first order: everything produced (failures repeated), then complete.
    loop {
        let waiting = store.order_outcome(a).unwrap();
        if waiting.waiting == 0 && waiting.failed == 0 {
            break;
        }
        if waiting.waiting == 0 {
            store.repeat_order(a, &[], &op()).unwrap();
            continue;
        }
        let (_, at) = take(a);
        store
            .attempt_succeeded(at, &AttemptSuccess::default(), &op())
            .unwrap();
        check(&*store, &[a, b, c], "producing");
    }
    store.complete_order(a, &op()).unwrap();
    let done = check(&*store, &[a, b, c], "complete");
    assert_eq!(done.produced, 5);
    // A produced card's later life leaves the order's outcome as it was.
    store
        .apply_event(
            &cards[0].number,
            CardEvent::Lock,
            &EventDetail::default(),
            &op(),
        )
        .unwrap();
    let later = check(&*store, &[a, b, c], "lock");
    assert_eq!(counts(&later), counts(&done));
}
