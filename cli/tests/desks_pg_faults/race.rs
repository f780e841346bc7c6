//! Two operators release and cancel the same order at once, round after round, while a desk
//! waits for work: each round ends either cancelled with nothing produced after the cancel, or
//! released and produced; never a card produced for a cancelled order.

use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::desks_pg_support::checks::{assert_audit_verifies, assert_settled};
use super::desks_pg_support::desk::DeskProcess;
use super::desks_pg_support::{Site, one_at_a_time};
use super::{SETTLE_WITHIN, shared_db};

const ROUNDS: usize = 12;
const CARDS: usize = 4;
/// How long after the release the cancel starts, per round: at once (the two processes race
/// from their start), or once the desk may have taken a card or two.
const CANCEL_DELAY_MS: [u64; ROUNDS] = [0, 0, 0, 5, 10, 20, 40, 60, 100, 150, 250, 0];

fn operator(site: &Site, who: &str, args: &[&str]) -> std::process::Child {
    site.command()
        .env("CARDLINE_OPERATOR", who)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The audit entries of `order` (oldest first).
fn audit_of(site: &Site, order: usize) -> Vec<Value> {
    site.json(&["audit", "--order", &order.to_string()])
        .as_array()
        .unwrap()
        .clone()
}

fn id_of(entries: &[Value], action: &str) -> Option<i64> {
    entries
        .iter()
        .find(|e| e["action"] == action)
        .map(|e| e["id"].as_i64().unwrap())
}

/// A cancelled order (from its audit entries; its unproduced cards went back to `requested`
/// and later rounds may have taken them): no attempt begun and no card produced after its
/// cancel; each of its cards either produced once before the cancel, or given back.
fn assert_cancelled_cleanly(site: &Site, order: usize, what: &str) {
    let audit = audit_of(site, order);
    let cancel = id_of(&audit, "order.cancel").unwrap_or_else(|| panic!("{what}: {audit:?}"));
    let of =
        |action: &str| -> Vec<&Value> { audit.iter().filter(|e| e["action"] == action).collect() };
    for e in of("attempt.begin").into_iter().chain(of("card.produced")) {
        assert!(
            e["id"].as_i64().unwrap() < cancel,
            "{what}: {} after the cancel: {audit:?}",
            e["action"]
        );
    }
    let added = of("card.add_to_order");
    assert_eq!(added.len(), CARDS, "{what}: {audit:?}");
    for card in added {
        let number = &card["card_number"];
        let produced = of("card.produced")
            .iter()
            .filter(|e| e["card_number"] == *number)
            .count();
        let given_back = of("card.cancel_from_order")
            .iter()
            .filter(|e| e["card_number"] == *number)
            .count();
        assert_eq!(
            (produced, given_back),
            if produced > 0 { (1, 0) } else { (0, 1) },
            "{what}: {number}: produced once before the cancel, or given back: {audit:?}"
        );
    }
}

#[test]
fn two_operators_release_and_cancel_one_order_at_once_and_it_ends_consistent() {
    let _one = one_at_a_time();
    let Some(db) = shared_db() else { return };
    let site = Site::new(&db.url);
    site.setup(&[("desk-a", &["a1", "a2"])]);
    let desk = DeskProcess::start(&site, "desk-a");
    let (mut cancelled, mut produced, mut cancelled_after_release) = (vec![], vec![], 0);
    for (round, delay) in CANCEL_DELAY_MS.iter().enumerate() {
        let order = round + 1;
        let what = format!("round {order} (cancel {delay} ms after the release)");
        site.ok(&["request", "--count", &CARDS.to_string()]);
        site.ok(&["order", "create", "--first", &CARDS.to_string()]);
        let id = order.to_string();
        let release = operator(&site, "alice", &["order", "release", &id]);
        std::thread::sleep(Duration::from_millis(*delay));
        let cancel = operator(&site, "bob", &["order", "cancel", &id]);
        let released = release.wait_with_output().unwrap();
        let cancel_out = cancel.wait_with_output().unwrap();
        desk.assert_alive();
        let shown = site.json(&["order", "show", &id]);
        match (released.status.success(), cancel_out.status.success()) {
            (_, true) => {
                assert_eq!(shown["state"], "cancelled", "{what}: {shown}");
                if released.status.success() {
                    cancelled_after_release += 1;
                    let audit = audit_of(&site, order);
                    assert!(
                        id_of(&audit, "order.release") < id_of(&audit, "order.cancel"),
                        "{what}: the release came first: {audit:?}"
                    );
                } else {
                    let err = stderr(&released);
                    assert!(err.contains("cancelled"), "{what}: release refused: {err}");
                    assert!(shown["released_at"].is_null(), "{what}: {shown}");
                }
                cancelled.push(order);
            }
            (true, false) => {
                // The desk took a card first: the cancel is refused while it is in production.
                let err = stderr(&cancel_out);
                assert!(
                    err.contains("being produced") || err.contains("in production"),
                    "{what}: cancel refused: {err}"
                );
                assert_eq!(shown["state"], "open", "{what}: {shown}");
                site.wait_until_settled(order as i64, SETTLE_WITHIN, || desk.assert_alive());
                produced.push(order);
            }
            (false, false) => panic!(
                "{what}: both refused: {} / {}",
                stderr(&released),
                stderr(&cancel_out)
            ),
        }
    }
    // The desk had time to (wrongly) take cards of cancelled orders; it stops cleanly.
    std::thread::sleep(Duration::from_millis(500));
    let summary = desk.stop();
    for order in &cancelled {
        assert_cancelled_cleanly(&site, *order, &format!("cancelled order {order}"));
    }
    let mut made = 0;
    for order in &produced {
        made += assert_settled(&site, *order as i64, CARDS, &format!("order {order}")).produced;
    }
    let before_cancel: usize = cancelled
        .iter()
        .map(|o| {
            audit_of(&site, *o)
                .iter()
                .filter(|e| e["action"] == "card.produced")
                .count()
        })
        .sum();
    assert_eq!(
        summary["produced"].as_u64().unwrap() as usize,
        made + before_cancel,
        "the desk's count adds up: {summary}"
    );
    assert_audit_verifies(&site, "release and cancel racing");
    eprintln!(
        "release/cancel race, {ROUNDS} rounds: {} cancelled ({} of them after the release, {} cards produced before a cancel), {} released and produced",
        cancelled.len(),
        cancelled_after_release,
        before_cancel,
        produced.len()
    );
}
