//! Conformance cases: several handles to one database (as several processes would have)
//! never put a card in two orders or take a card twice.

use std::collections::HashSet;
use std::sync::Barrier;

use super::*;

/// Conformance case.
pub fn concurrent_orders_never_share_a_card(db: &dyn TestDatabase) {
    let setup = db.open();
    setup
        .request_cards(200, &Numbering::default(), &Actor("setup".into()))
        .unwrap();
    drop(setup);

    const WORKERS: usize = 4;
    let barrier = Barrier::new(WORKERS);
    let orders: Vec<Order> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..WORKERS)
            .map(|i| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let store = db.open();
                    let me = Actor(format!("op{i}"));
                    barrier.wait();
                    let mut mine = Vec::new();
                    loop {
                        match store.create_order(&OrderSelection::AtMost(7), &me) {
                            Ok(order) => mine.push(order),
                            Err(StoreError::NothingToOrder) => break,
                            Err(e) => panic!("worker {i}: {e}"),
                        }
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut seen = HashSet::new();
    for o in &orders {
        for c in &o.cards {
            assert!(
                seen.insert(c.number.clone()),
                "{} is in two orders",
                c.number
            );
            assert_eq!(c.order_id, Some(o.id));
        }
    }
    assert_eq!(seen.len(), 200, "every card ordered exactly once");
    let store = db.open();
    assert_eq!(
        store.count_by_state(None).unwrap(),
        [(CardState::InProduction, 200)]
    );
}

/// Conformance case.
pub fn concurrent_stations_never_take_the_same_card(db: &dyn TestDatabase) {
    let setup = db.open();
    let a = Actor("setup".into());
    setup.request_cards(60, &Numbering::default(), &a).unwrap();
    let order = setup.create_order(&OrderSelection::All, &a).unwrap();
    drop(setup);

    let produced: Vec<Vec<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|i| {
                let order = order.id;
                scope.spawn(move || {
                    let store = db.open();
                    let me = Actor(format!("station{i}"));
                    let mut produced = Vec::new();
                    while let Some((card, attempt)) =
                        begin_attempt(&*store, order, &format!("st{i}"), &me).unwrap()
                    {
                        store.step_started(attempt, ProductionStep::Feed).unwrap();
                        store
                            .step_finished(attempt, ProductionStep::Feed, None)
                            .unwrap();
                        store
                            .attempt_succeeded(attempt, &AttemptSuccess::default(), &me)
                            .unwrap();
                        produced.push(card.number);
                    }
                    produced
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut seen = HashSet::new();
    for n in produced.into_iter().flatten() {
        assert!(seen.insert(n.clone()), "{n} produced twice");
    }
    assert_eq!(seen.len(), 60);
    let store = db.open();
    assert_eq!(
        store.count_by_state(Some(order.id)).unwrap(),
        [(CardState::Unassigned, 60)]
    );
}

/// Conformance case.
pub fn one_store_is_shared_between_threads(db: &dyn TestDatabase) {
    let store = db.open();
    store
        .request_cards(40, &Numbering::default(), &Actor("s".into()))
        .unwrap();
    let total: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let store = store.clone();
                scope.spawn(move || {
                    let me = Actor(format!("t{i}"));
                    let mut n = 0;
                    while store.create_order(&OrderSelection::AtMost(3), &me).is_ok() {
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(total, 14, "40 cards in orders of 3: 13 full + 1 of one");
    assert_eq!(
        store.count_by_state(None).unwrap(),
        [(CardState::InProduction, 40)]
    );
}
