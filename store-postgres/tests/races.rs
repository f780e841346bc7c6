//! Races two desks run into on one database: many station threads of two store handles
//! claiming cards of one order, orders created at once over the same cards, cancel against
//! complete and against claims.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Barrier};

use cardline_issuance::model::*;
use cardline_issuance::numbering::Numbering;
use cardline_issuance::store::conformance::station_run;
use cardline_issuance::store::*;
use cardline_postgres::PostgresStore;
use common::TempDb;

fn op(name: &str) -> Actor {
    Actor(name.into())
}

#[test]
fn two_desks_of_many_stations_claim_every_card_exactly_once() {
    let Some(server) = common::server() else {
        return;
    };
    let db = TempDb::migrated(&server);
    let setup = PostgresStore::open(&db.url).unwrap();
    setup
        .request_cards(240, &Numbering::default(), &op("setup"))
        .unwrap();
    let order = setup
        .create_order(&OrderSelection::All, &op("setup"))
        .unwrap();
    const DESKS: usize = 2;
    const STATIONS: usize = 6;
    let key = || cardline_issuance::audit::AuditKey::from_bytes([9; 32]);
    let desks: Vec<Arc<PostgresStore>> = (0..DESKS)
        .map(|d| {
            let desk = PostgresStore::open(&db.url).unwrap();
            desk.set_audit_sealer(cardline_issuance::audit::AuditSealer::new(
                format!("host/desk{d}"),
                Some(key()),
            ));
            Arc::new(desk)
        })
        .collect();
    let barrier = Barrier::new(DESKS * STATIONS);
    let produced: Vec<(String, AttemptId)> = std::thread::scope(|s| {
        let mut handles = Vec::new();
        for (d, desk) in desks.iter().enumerate() {
            for st in 0..STATIONS {
                let desk = desk.clone();
                let barrier = &barrier;
                let order = order.id;
                handles.push(s.spawn(move || {
                    let station = format!("desk{d}-st{st}");
                    let me = op(&station);
                    let run = station_run(&*desk, &station);
                    barrier.wait();
                    let mut mine = Vec::new();
                    while let Some((card, attempt)) =
                        desk.begin_attempt(run, order, &station, &me).unwrap()
                    {
                        desk.journal(attempt, &[JournalRecord::StepStarted(ProductionStep::Feed)])
                            .unwrap();
                        desk.journal(
                            attempt,
                            &[
                                JournalRecord::StepFinished(ProductionStep::Feed, None),
                                JournalRecord::StepStarted(ProductionStep::Print),
                            ],
                        )
                        .unwrap();
                        desk.step_finished(attempt, ProductionStep::Print, None)
                            .unwrap();
                        desk.attempt_succeeded(attempt, &AttemptSuccess::default(), &me)
                            .unwrap();
                        mine.push((card.number, attempt));
                    }
                    mine
                }));
            }
        }
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut per_card: HashMap<&str, usize> = HashMap::new();
    for (card, _) in &produced {
        *per_card.entry(card).or_default() += 1;
    }
    assert_eq!(per_card.len(), 240, "every card claimed");
    assert!(per_card.values().all(|&n| n == 1), "no card produced twice");
    assert_eq!(
        setup.count_by_state(Some(order.id)).unwrap(),
        [(CardState::Unassigned, 240)]
    );
    assert!(setup.in_flight_attempts().unwrap().is_empty());
    let begins = setup
        .audit(&AuditFilter {
            action: Some("attempt.begin".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(begins.len(), 240, "one claim per card in the audit");
    let outcome = setup.order_outcome(order.id).unwrap();
    assert_eq!((outcome.produced, outcome.waiting), (240, 0));
    // A desk's stations write at once on their own connections, each in its own audit
    // chain (its lane: `host/desk0#1`, ...), instead of queueing on one head: the desks'
    // entries span several chains, and every chain is whole and authentic.
    let records = setup.audit_records().unwrap();
    let desk_entries: Vec<_> = records
        .entries
        .iter()
        .filter(|e| {
            e.chain
                .as_ref()
                .is_some_and(|c| c.writer.starts_with("host/desk"))
        })
        .cloned()
        .collect();
    let heads: Vec<_> = records
        .heads
        .iter()
        .filter(|h| h.writer.starts_with("host/desk"))
        .cloned()
        .collect();
    let report = cardline_issuance::audit::verify::verify(&desk_entries, &[key()], &heads, None);
    assert!(report.is_clean(), "{:#?}", report.findings);
    assert_eq!(report.entries, 480, "a claim and a success per card");
    for d in 0..DESKS {
        let chains = report
            .writers
            .keys()
            .filter(|w| w.starts_with(&format!("host/desk{d}")))
            .count();
        // At most one chain per connection its pool ever held at once (r2d2 may open a
        // connection more than the stations use at once).
        let most = cardline_postgres::DEFAULT_POOL_MAX_SIZE as usize;
        assert!(
            (2..=most).contains(&chains),
            "desk {d}: {chains} chains ({:?})",
            report.writers
        );
    }
}

#[test]
fn orders_created_at_once_over_the_same_cards_never_share_one() {
    let Some(server) = common::server() else {
        return;
    };
    let db = TempDb::migrated(&server);
    let setup = PostgresStore::open(&db.url).unwrap();
    let cards = setup
        .request_cards(60, &Numbering::default(), &op("setup"))
        .unwrap();
    let numbers: Vec<String> = cards.iter().map(|c| c.number.clone()).collect();
    let barrier = Barrier::new(4);
    // Two operators tick overlapping boxes in opposite orders; two more take the first 20.
    let outcomes: Vec<Result<Order, StoreError>> = std::thread::scope(|s| {
        let selections = [
            OrderSelection::Numbers(numbers[0..30].to_vec()),
            OrderSelection::Numbers(numbers[10..40].iter().rev().cloned().collect()),
            OrderSelection::First(20),
            OrderSelection::First(20),
        ];
        let handles: Vec<_> = selections
            .into_iter()
            .enumerate()
            .map(|(i, sel)| {
                let barrier = &barrier;
                let url = &db.url;
                s.spawn(move || {
                    let store = PostgresStore::open(url).unwrap();
                    barrier.wait();
                    store.create_order(&sel, &op(&format!("op{i}")))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut owner: HashMap<String, OrderId> = HashMap::new();
    for o in outcomes.iter().flatten() {
        for c in &o.cards {
            assert!(
                owner.insert(c.number.clone(), o.id).is_none(),
                "{} twice",
                c.number
            );
        }
    }
    for e in outcomes.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(
                e,
                StoreError::NotSelectable { .. } | StoreError::TooFewCards { .. }
            ),
            "a lost race is a clear refusal, not a database error: {e}"
        );
    }
    assert!(outcomes.iter().filter(|r| r.is_ok()).count() >= 2);
    let in_production = setup
        .list_cards(&CardFilter {
            state: Some(CardState::InProduction),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        in_production.len(),
        owner.len(),
        "the store agrees with the orders"
    );
    for c in in_production {
        assert_eq!(Some(owner[&c.number]), c.order_id);
    }
}

#[test]
fn cancel_and_complete_at_once_close_an_order_once_and_claims_never_outlive_a_cancel() {
    let Some(server) = common::server() else {
        return;
    };
    let db = TempDb::migrated(&server);
    let a = Arc::new(PostgresStore::open(&db.url).unwrap());
    let b = Arc::new(PostgresStore::open(&db.url).unwrap());
    for round in 0..6 {
        a.request_cards(3, &Numbering::default(), &op("setup"))
            .unwrap();
        let order = a.create_order(&OrderSelection::All, &op("setup")).unwrap();
        let station = format!("st{round}");
        let run = station_run(&*a, &station);
        while let Some((_, at)) = a.begin_attempt(run, order.id, &station, &op("s")).unwrap() {
            a.attempt_succeeded(at, &AttemptSuccess::default(), &op("s"))
                .unwrap();
        }
        let barrier = Barrier::new(2);
        let (cancel, complete) = std::thread::scope(|s| {
            let c1 = s.spawn(|| {
                barrier.wait();
                a.cancel_order(order.id, &op("ann"))
            });
            let c2 = s.spawn(|| {
                barrier.wait();
                b.complete_order(order.id, &op("bob"))
            });
            (c1.join().unwrap(), c2.join().unwrap())
        });
        assert!(
            cancel.is_ok() != complete.is_ok(),
            "exactly one closes it: {cancel:?} {complete:?}"
        );
        for e in [cancel.err(), complete.err()].into_iter().flatten() {
            assert!(matches!(e, StoreError::OrderState { .. }), "{e}");
        }
        let closes = a
            .audit(&AuditFilter {
                order_id: Some(order.id),
                action: Some("order.".into()),
                ..Default::default()
            })
            .unwrap()
            .iter()
            .filter(|e| e.action != "order.create")
            .count();
        assert_eq!(closes, 1);
    }
    // Claims against a cancel: when the cancel wins no claim is left on the order; when a
    // claim wins, the cancel is refused.
    for round in 0..8 {
        a.request_cards(2, &Numbering::default(), &op("setup"))
            .unwrap();
        let order = a.create_order(&OrderSelection::All, &op("setup")).unwrap();
        let station = format!("race{round}");
        let run = station_run(&*b, &station);
        let barrier = Barrier::new(2);
        let (claimed, cancelled) = std::thread::scope(|s| {
            let t1 = s.spawn(|| {
                barrier.wait();
                b.begin_attempt(run, order.id, &station, &op("desk"))
            });
            let t2 = s.spawn(|| {
                barrier.wait();
                a.cancel_order(order.id, &op("ann"))
            });
            (t1.join().unwrap(), t2.join().unwrap())
        });
        let state = a.order_state(order.id).unwrap();
        let in_flight = a
            .in_flight_attempts()
            .unwrap()
            .into_iter()
            .filter(|at| at.order_id == order.id)
            .count();
        match (claimed, cancelled) {
            (Ok(Some(_)), Err(StoreError::OrderState { .. })) => {
                assert_eq!((state, in_flight), (OrderState::Open, 1));
            }
            (Err(StoreError::OrderState { .. }), Ok(_)) => {
                assert_eq!((state, in_flight), (OrderState::Cancelled, 0));
            }
            other => panic!("round {round}: {other:?}"),
        }
        for at in a.in_flight_attempts().unwrap() {
            a.attempt_voided(at.id, "test", &op("t")).unwrap();
        }
    }
}
