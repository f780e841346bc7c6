//! SQLite store: several threads, each with its own connection to the same file (as two
//! processes would have), never put a card in two orders or take a card twice.

use std::collections::HashSet;
use std::sync::{Arc, Barrier};

use cardline_issuance::model::*;
use cardline_issuance::numbering::Numbering;
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::*;

#[test]
fn concurrent_orders_never_share_a_card() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cardline.db");
    let setup = SqliteStore::open(&path).unwrap();
    setup
        .request_cards(200, &Numbering::default(), &Actor("setup".into()))
        .unwrap();
    drop(setup);

    const WORKERS: usize = 4;
    let barrier = Arc::new(Barrier::new(WORKERS));
    let handles: Vec<_> = (0..WORKERS)
        .map(|i| {
            let path = path.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let store = SqliteStore::open(&path).unwrap();
                let me = Actor(format!("op{i}"));
                barrier.wait();
                let mut mine = Vec::new();
                loop {
                    match store.create_order(&OrderSelection::First(7), &me) {
                        Ok(order) => mine.push(order),
                        Err(StoreError::NothingToOrder) => break,
                        Err(e) => panic!("worker {i}: {e}"),
                    }
                }
                mine
            })
        })
        .collect();
    let orders: Vec<Order> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
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
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.count_by_state(None).unwrap(),
        [(CardState::InProduction, 200)]
    );
}

#[test]
fn concurrent_stations_never_take_the_same_card() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cardline.db");
    let setup = SqliteStore::open(&path).unwrap();
    let a = Actor("setup".into());
    setup.request_cards(60, &Numbering::default(), &a).unwrap();
    let order = setup.create_order(&OrderSelection::All, &a).unwrap();
    drop(setup);

    let stations: Vec<_> = (0..3)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                let store = Arc::new(SqliteStore::open(&path).unwrap());
                let me = Actor(format!("station{i}"));
                let mut produced = Vec::new();
                while let Some((card, attempt)) = store
                    .begin_attempt(order.id, &format!("st{i}"), &me)
                    .unwrap()
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
    let mut seen = HashSet::new();
    for h in stations {
        for n in h.join().unwrap() {
            assert!(seen.insert(n.clone()), "{n} produced twice");
        }
    }
    assert_eq!(seen.len(), 60);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.count_by_state(Some(order.id)).unwrap(),
        [(CardState::Unassigned, 60)]
    );
}

#[test]
fn one_store_is_shared_between_threads() {
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    store
        .request_cards(40, &Numbering::default(), &Actor("s".into()))
        .unwrap();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let store = store.clone();
            std::thread::spawn(move || {
                let me = Actor(format!("t{i}"));
                let mut n = 0;
                while store.create_order(&OrderSelection::First(3), &me).is_ok() {
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(total, 14, "40 cards in orders of 3: 13 full + 1 of one");
    assert_eq!(
        store.count_by_state(None).unwrap(),
        [(CardState::InProduction, 40)]
    );
}
