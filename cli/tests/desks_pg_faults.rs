//! Desk daemons failing on a real PostgreSQL server, through the real binary (docs/desks.md,
//! "Failure tests on PostgreSQL"): three desks sharing a 300-card order; a desk SIGKILLed
//! mid-run and restarted; the server restarted mid-run; one desk's connection cut and
//! restored through a TCP proxy; two operators releasing and cancelling one order at once.
//! Each test has a database of its own (the server restart test a server of its own) and ends
//! with every card of its order exactly once in a final state, every attempt closed, the
//! counts adding up and `cardline audit verify` exiting 0.
//!
//! Needs `CARDLINE_TEST_POSTGRES` (scripts/with-postgres.sh); without it each test prints
//! `skipped: no postgres` (under `CI=true` it fails).

#[path = "../../store-postgres/tests/common/mod.rs"]
mod pg;

mod desks_pg_support;

use std::time::{Duration, Instant};

use cardline_issuance::model::AttemptStatus;
use cardline_issuance::store::{CardStore, ProductionJournal};
use serde_json::Value;

use desks_pg_support::checks::{assert_settled, stations_of_attempts, store};
use desks_pg_support::desk::DeskProcess;
use desks_pg_support::proxy::CutProxy;
use desks_pg_support::server::PrivateServer;
use desks_pg_support::{Site, address, one_at_a_time, via, with_database};

/// Generous bound on waiting for an order, only so a broken build cannot hang the suite.
const SETTLE_WITHIN: Duration = Duration::from_secs(400);

/// A fresh database on the shared test server, dropped with the value.
struct SharedDb {
    _db: pg::TempDb,
    url: String,
}

fn shared_db() -> Option<SharedDb> {
    let server = pg::server()?;
    let db = pg::TempDb::empty(&server);
    let url = with_database(&std::env::var(pg::VAR).unwrap(), &db.name);
    Some(SharedDb { _db: db, url })
}

fn produced_in(summary: &Value) -> u64 {
    summary["produced"].as_u64().unwrap()
}

fn is_card_produced(v: &Value) -> bool {
    v["event"] == "card_produced"
}

fn all_alive(desks: &[&DeskProcess]) {
    for d in desks {
        d.assert_alive();
    }
}

#[test]
fn three_desks_of_three_stations_produce_a_300_card_order_together() {
    let _one = one_at_a_time();
    let Some(db) = shared_db() else { return };
    let site = Site::new(&db.url);
    const CARDS: usize = 300;
    site.prepare(
        CARDS as u32,
        &[
            ("desk-a", &["a1", "a2", "a3"]),
            ("desk-b", &["b1", "b2", "b3"]),
            ("desk-c", &["c1", "c2", "c3"]),
        ],
    );
    let desks: Vec<DeskProcess> = ["desk-a", "desk-b", "desk-c"]
        .iter()
        .map(|n| DeskProcess::start(&site, n))
        .collect();
    let started = Instant::now();
    site.ok(&["order", "release", "1"]);
    let refs: Vec<&DeskProcess> = desks.iter().collect();
    site.wait_until_settled(1, SETTLE_WITHIN, || all_alive(&refs));
    let took = started.elapsed();
    let listed = site.json(&["desks"]);
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");

    let summaries: Vec<Value> = desks.into_iter().map(DeskProcess::stop).collect();
    let settled = assert_settled(&site, 1, CARDS, "300 cards on three desks");
    for (name, s) in ["desk-a", "desk-b", "desk-c"].iter().zip(&summaries) {
        assert!(produced_in(s) > 0, "{name} produced no card: {s}");
    }
    let total: u64 = summaries.iter().map(produced_in).sum();
    assert_eq!(
        total as usize, settled.produced,
        "the desks' own counts add up: {summaries:?}"
    );
    let stations = stations_of_attempts(&site);
    for prefix in ['a', 'b', 'c'] {
        assert!(
            stations.iter().any(|s| s.starts_with(prefix)),
            "desk {prefix} took cards: {stations:?}"
        );
    }
    eprintln!(
        "300 cards on 3 desks x 3 stations: {:.1} s from release to the last card; per desk {:?}; {} attempts",
        took.as_secs_f64(),
        summaries.iter().map(produced_in).collect::<Vec<_>>(),
        settled.attempts
    );
}

#[test]
fn a_desk_sigkilled_mid_run_and_restarted_recovers_its_cards_in_hand() {
    let _one = one_at_a_time();
    let Some(db) = shared_db() else { return };
    let site = Site::new(&db.url);
    const CARDS: usize = 60;
    site.prepare(
        CARDS as u32,
        &[
            ("desk-a", &["a1", "a2", "a3"]),
            ("desk-b", &["b1", "b2", "b3"]),
        ],
    );
    let mut a = DeskProcess::start(&site, "desk-a");
    let b = DeskProcess::start(&site, "desk-b");
    let a_run = a
        .events()
        .iter()
        .find(|v| v["event"] == "desk_started")
        .and_then(|v| v["run"].as_i64())
        .expect("desk A said which run it is");
    site.ok(&["order", "release", "1"]);
    for _ in 0..3 {
        a.wait_for("a card produced on desk A", is_card_produced);
    }
    // Kill desk A while it holds cards: just after a station took one (it is being fed).
    loop {
        a.wait_for("a card started on desk A", |v| v["event"] == "card_started");
        std::thread::sleep(Duration::from_millis(100));
        if a.in_hand().len() >= 2 {
            break;
        }
    }
    let before_kill = a.kill();
    let produced_before = before_kill.iter().filter(|v| is_card_produced(v)).count();

    // Its cards in hand stay its own: in flight, owned by the dead run, while desk B goes on.
    let journal = store(&site);
    let held: Vec<_> = journal
        .in_flight_attempts()
        .unwrap()
        .into_iter()
        .filter(|x| x.run_id == Some(a_run))
        .collect();
    assert!(!held.is_empty(), "desk A held no card when it was killed");
    let listed = site.json(&["desks"]);
    let dead = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["desk"] == "desk-a")
        .unwrap_or_else(|| panic!("the killed desk is listed: {listed}"));
    assert_eq!(dead["state"], "gone", "{listed}");
    std::thread::sleep(Duration::from_secs(1));
    b.assert_alive();
    for h in &held {
        let now = journal.attempts_of_card(&h.card_number).unwrap();
        let same = now.iter().find(|x| x.id == h.id).unwrap();
        assert_eq!(
            same.status,
            AttemptStatus::InFlight,
            "no other desk takes a card out of a dead desk's printer: {same:?}"
        );
    }

    // Restarted: it takes its stations back and settles what it held before producing.
    let again = DeskProcess::start(&site, "desk-a");
    let recovered: Vec<Value> = again
        .events()
        .into_iter()
        .filter(|v| v["event"] == "recovered" && v["recovery"]["outcome"] != "live_run")
        .collect();
    assert_eq!(
        recovered.len(),
        held.len(),
        "one recovery per card desk A held (desk B's live attempts are left alone): {recovered:?}"
    );
    site.wait_until_settled(1, SETTLE_WITHIN, || {
        again.assert_alive();
        b.assert_alive();
    });
    let summary_a = again.stop();
    let summary_b = b.stop();
    let settled = assert_settled(&site, 1, CARDS, "a desk killed and restarted");

    // Each card it held: its blank voided by the recovery (audited), then produced again as
    // a new attempt.
    let voids = site.json(&["audit", "--action", "attempt.void"]);
    for h in &held {
        let attempts = &settled.by_card[&h.card_number];
        let old = attempts.iter().find(|x| x.id == h.id).unwrap();
        assert_eq!(old.status, AttemptStatus::Void, "{old:?}");
        assert!(
            old.reason
                .as_deref()
                .unwrap_or_default()
                .contains("recovered after a crash"),
            "{old:?}"
        );
        assert!(
            voids
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["card_number"] == h.card_number.as_str()
                    && e["reason"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("recovered after a crash")),
            "the void of {} is audited: {voids}",
            h.card_number
        );
        let new = attempts
            .iter()
            .find(|x| x.status == AttemptStatus::Succeeded)
            .unwrap_or_else(|| panic!("{} produced again: {attempts:?}", h.card_number));
        assert!(new.id > old.id, "a new attempt: {attempts:?}");
    }
    let counted = produced_before as u64 + produced_in(&summary_a) + produced_in(&summary_b);
    assert_eq!(
        counted as usize, settled.produced,
        "the desks' own counts add up (A before the kill, A after, B)"
    );
    eprintln!(
        "kill: desk A held {} card(s); {} attempts in all, {} void",
        held.len(),
        settled.attempts,
        settled.void
    );
}

/// After the database came back (`since`: the desk's event count then), the desk produced
/// again, and every pause it announced for the database ended with its station resumed.
/// Returns the stations paused for the database.
fn assert_resumed(desk: &DeskProcess, since: usize) -> usize {
    let events = desk.events();
    assert!(
        events[since..].iter().any(is_card_produced),
        "{} produced after the database came back; {}",
        desk.name,
        desk.story()
    );
    let mut paused = std::collections::BTreeSet::new();
    for v in &events {
        let station = v["station"].as_str().unwrap_or_default();
        if v["event"] == "station_paused" && v["until"] == "store_available" {
            paused.insert(station.to_string());
        } else if v["event"] == "station_resumed" {
            paused.remove(station);
        }
    }
    assert!(
        paused.is_empty(),
        "{}: stations paused for the database and never resumed: {paused:?}; {}",
        desk.name,
        desk.story()
    );
    desk.count(|v| v["event"] == "station_paused" && v["until"] == "store_available")
}

#[test]
fn the_server_restarted_mid_run_desks_pause_reconnect_and_finish() {
    let _one = one_at_a_time();
    let Some(mut server) = PrivateServer::start() else {
        return;
    };
    server.create_database("cardline");
    let site = Site::new(&server.url("cardline"));
    const CARDS: usize = 60;
    site.prepare(
        CARDS as u32,
        &[("desk-a", &["a1", "a2", "a3"]), ("desk-b", &["b1", "b2"])],
    );
    let a = DeskProcess::start(&site, "desk-a");
    let b = DeskProcess::start(&site, "desk-b");
    site.ok(&["order", "release", "1"]);
    loop {
        if site.settled_count(1).is_some_and(|(done, _)| done >= 10) {
            break;
        }
        all_alive(&[&a, &b]);
        std::thread::sleep(Duration::from_millis(100));
    }
    server.stop();
    std::thread::sleep(Duration::from_secs(3));
    all_alive(&[&a, &b]);
    server.start_again();
    let marks = (a.events().len(), b.events().len());
    site.wait_until_settled(1, SETTLE_WITHIN, || all_alive(&[&a, &b]));
    let pauses = assert_resumed(&a, marks.0) + assert_resumed(&b, marks.1);
    let summaries = [a.stop(), b.stop()];
    let settled = assert_settled(&site, 1, CARDS, "the server restarted");
    let total: u64 = summaries.iter().map(produced_in).sum();
    assert_eq!(
        total as usize, settled.produced,
        "the desks' own counts add up: {summaries:?}"
    );
    let came_back = settled
        .by_card
        .values()
        .flatten()
        .filter(|x| {
            x.reason
                .as_deref()
                .is_some_and(|r| r.contains("the database came back"))
        })
        .count();
    eprintln!(
        "server restart: {pauses} station pause(s) for the database; {} attempts, {} void, {} settled after the database came back",
        settled.attempts, settled.void, came_back
    );
}

#[test]
fn one_desk_cut_off_the_database_by_a_proxy_resumes_when_restored() {
    let _one = one_at_a_time();
    let Some(db) = shared_db() else { return };
    let site = Site::new(&db.url);
    // Enough cards that desk A is still producing after desk B's first refused reconnection
    // (under load B may take seconds to try; A makes about 6 cards a second).
    const CARDS: usize = 200;
    site.prepare(
        CARDS as u32,
        &[("desk-a", &["a1", "a2"]), ("desk-b", &["b1", "b2", "b3"])],
    );
    let proxy = CutProxy::start(address(&site.url));
    let mut a = DeskProcess::start(&site, "desk-a");
    let mut b = DeskProcess::start_via(&site, "desk-b", &via(&site.url, proxy.addr()));
    site.ok(&["order", "release", "1"]);
    for _ in 0..3 {
        b.wait_for("a card produced on desk B", is_card_produced);
    }
    // Cut at B's next byte to the server: every connection of B (pool and LISTEN) is shut
    // down, and new ones are closed at once until restored.
    proxy.cut_after(0);
    b.wait_for("desk B pausing for the database", |v| {
        v["event"] == "station_paused" && v["until"] == "store_available"
    });
    assert!(proxy.is_cut());
    // Desk B tries to reconnect, and is refused, while desk A, on its own connections, goes on
    // producing.
    a.skip_seen();
    let deadline = Instant::now() + Duration::from_secs(120);
    while proxy.refused() == 0 {
        assert!(
            Instant::now() < deadline,
            "desk B never tried to reconnect; {}",
            b.story()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    a.wait_for("a card produced on desk A", is_card_produced);
    a.wait_for("a card produced on desk A", is_card_produced);
    let refused_during_cut = proxy.refused();
    proxy.restore();
    let mark = b.events().len();
    site.wait_until_settled(1, SETTLE_WITHIN, || all_alive(&[&a, &b]));
    assert_resumed(&b, mark);
    let summaries = [a.stop(), b.stop()];
    let settled = assert_settled(&site, 1, CARDS, "one desk cut off");
    let total: u64 = summaries.iter().map(produced_in).sum();
    assert_eq!(
        total as usize, settled.produced,
        "the desks' own counts add up: {summaries:?}"
    );
    eprintln!(
        "proxy cut: {} reconnections refused while cut; per desk {:?}; {} attempts, {} void",
        refused_during_cut,
        summaries.iter().map(produced_in).collect::<Vec<_>>(),
        settled.attempts,
        settled.void
    );
}

#[path = "desks_pg_faults/race.rs"]
mod race;
