//! LISTEN/NOTIFY: a desk waiting for work (`wait_for_work`) wakes when another desk's store
//! handle releases an order or puts a card back, not at the end of its timeout; a rolled
//! back release wakes nobody.

mod common;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cardline_issuance::model::*;
use cardline_issuance::numbering::Numbering;
use cardline_issuance::store::conformance::station_run;
use cardline_issuance::store::*;
use cardline_postgres::PostgresStore;
use common::TempDb;

fn op(name: &str) -> Actor {
    Actor(name.into())
}

/// A long timeout: a wake-up must come from a notification, far before it ends.
const LONG: Duration = Duration::from_secs(60);

/// Starts `wait_for_work(LONG)` on `desk` in a thread; the receiver gets how long it waited.
fn waiting(desk: Arc<PostgresStore>) -> mpsc::Receiver<Duration> {
    // The first wait starts the listening connection: give it time to connect.
    desk.wait_for_work(Duration::from_millis(500));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let start = Instant::now();
        desk.wait_for_work(LONG);
        let _ = tx.send(start.elapsed());
    });
    rx
}

#[test]
fn a_release_and_a_voided_attempt_wake_a_waiting_desk_of_another_handle() {
    let Some(server) = common::server() else {
        return;
    };
    let db = TempDb::migrated(&server);
    let office = PostgresStore::open(&db.url).unwrap();
    let desk = Arc::new(PostgresStore::open(&db.url).unwrap());
    office
        .request_cards(2, &Numbering::default(), &op("office"))
        .unwrap();
    let order = office
        .create_order(&OrderSelection::All, &op("office"))
        .unwrap();

    // Nothing happens: the wait lasts until its (short) timeout.
    let start = Instant::now();
    desk.wait_for_work(Duration::from_millis(300));
    assert!(start.elapsed() >= Duration::from_millis(300));

    let woke = waiting(desk.clone());
    std::thread::sleep(Duration::from_millis(200));
    office.release_order(order.id, &op("office")).unwrap();
    let waited = woke
        .recv_timeout(LONG)
        .expect("the release wakes the waiting desk");
    assert!(waited < LONG / 2, "woke after {waited:?}");

    // The desk takes a card, then gives it back (voided): a waiting desk wakes again.
    let run = station_run(&*desk, "st1");
    let (_, attempt) = desk
        .begin_released_attempt(run, "st1", &[], &op("desk"))
        .unwrap()
        .expect("a released card");
    let woke = waiting(desk.clone());
    std::thread::sleep(Duration::from_millis(200));
    office
        .attempt_voided(attempt, "card rejected", &op("office"))
        .unwrap();
    let waited = woke
        .recv_timeout(LONG)
        .expect("the voided attempt wakes the waiting desk");
    assert!(waited < LONG / 2, "woke after {waited:?}");
}

#[test]
fn a_refused_release_wakes_nobody() {
    let Some(server) = common::server() else {
        return;
    };
    let db = TempDb::migrated(&server);
    let office = PostgresStore::open(&db.url).unwrap();
    let desk = Arc::new(PostgresStore::open(&db.url).unwrap());
    office
        .request_cards(1, &Numbering::default(), &op("office"))
        .unwrap();
    let order = office
        .create_order(&OrderSelection::All, &op("office"))
        .unwrap();
    office.release_order(order.id, &op("office")).unwrap();
    // Listen after the first release, so only what follows can wake the desk.
    desk.wait_for_work(Duration::from_millis(500));
    let err = office.release_order(order.id, &op("office")).unwrap_err();
    assert!(err.to_string().contains("released it at"), "{err}");
    let start = Instant::now();
    desk.wait_for_work(Duration::from_millis(700));
    assert!(
        start.elapsed() >= Duration::from_millis(700),
        "a rolled-back release must not notify"
    );
}
