//! Conformance cases: runs, leases, station claims and pauses, fencing, the certificate
//! index, waiting cards.

use std::time::Duration;

use super::*;
use crate::ca::IssuedRecord;
use crate::store::ownership::RunStart;

fn op() -> Actor {
    Actor("olga".into())
}

fn run(store: &dyn Store, lease: Duration) -> Run {
    let start = RunStart {
        lease,
        ..RunStart::this_process("produce")
    };
    store.start_run(&start, &op()).unwrap()
}

fn order_of(store: &dyn Store, n: u32) -> Order {
    store
        .request_cards(n, &Numbering::default(), &op())
        .unwrap();
    store.create_order(&OrderSelection::All, &op()).unwrap()
}

/// Conformance case.
pub fn a_station_is_driven_by_one_live_run(db: &dyn TestDatabase) {
    let store = db.open();
    let a = run(&*store, Duration::from_secs(60));
    let b = run(&*store, Duration::from_secs(60));
    assert_ne!(a.id, b.id);
    assert_eq!(a.host, crate::store::ownership::host_name());
    assert_eq!(a.pid, std::process::id());
    assert!(!a.lease_expired && a.ended_at.is_none());
    assert_eq!(
        store.claim_station(a.id, "desk-1", None, &op()).unwrap(),
        Ok(())
    );
    assert_eq!(
        store.claim_station(a.id, "desk-1", None, &op()).unwrap(),
        Ok(()),
        "claiming again is a no-op"
    );
    let owner = store.claim_station(b.id, "desk-1", None, &op()).unwrap();
    assert_eq!(owner.map_err(|r| r.id), Err(a.id), "the owner is reported");
    assert_eq!(
        store.station_owner("desk-1").unwrap().map(|r| r.id),
        Some(a.id)
    );
    // A take-over must name the current owner: naming another run changes nothing.
    let wrong = store
        .claim_station(b.id, "desk-1", Some(b.id), &op())
        .unwrap();
    assert!(wrong.is_err());
    // Through the rule: a live owner on this host refuses with its identity.
    let refused = ownership::claim_station(&*store, b.id, "desk-1", &op()).unwrap_err();
    assert!(
        matches!(&refused, StoreError::StationInUse { run, pid, .. } if *run == a.id && *pid == std::process::id()),
        "{refused}"
    );
    assert!(refused.to_string().contains("is in use by run"));
    // Ending the run releases its stations.
    store.end_run(a.id).unwrap();
    assert!(store.run(a.id).unwrap().ended_at.is_some());
    assert_eq!(store.station_owner("desk-1").unwrap(), None);
    assert_eq!(
        store.claim_station(b.id, "desk-1", None, &op()).unwrap(),
        Ok(())
    );
    // An ended run may not claim nor renew.
    assert!(matches!(
        store.claim_station(a.id, "desk-2", None, &op()),
        Err(StoreError::RunEnded(_))
    ));
    assert!(matches!(
        store.renew_lease(a.id, Duration::from_secs(5)),
        Err(StoreError::RunEnded(_))
    ));
    assert!(matches!(
        store.run(99_999),
        Err(StoreError::RunNotFound(99_999))
    ));
}

/// Conformance case.
pub fn fencing_refuses_a_run_without_its_station_and_a_closed_attempt(db: &dyn TestDatabase) {
    let store = db.open();
    let order = order_of(&*store, 3);
    let a = run(&*store, Duration::from_secs(60));
    let b = run(&*store, Duration::from_secs(60));
    store
        .claim_station(a.id, "desk-1", None, &op())
        .unwrap()
        .unwrap();
    let not_owner = store
        .begin_attempt(b.id, order.id, "desk-1", &op())
        .unwrap_err();
    assert!(
        matches!(not_owner, StoreError::NotStationOwner { .. }),
        "{not_owner}"
    );
    let (_, attempt) = store
        .begin_attempt(a.id, order.id, "desk-1", &op())
        .unwrap()
        .unwrap();
    let steps = store.attempts_of_card(&order.cards[0].number).unwrap();
    assert_eq!(steps[0].run_id, Some(a.id), "the attempt records its run");
    // Recovery closed it: the old owner may not journal into it any more.
    store.attempt_voided(attempt, "recovered", &op()).unwrap();
    let fenced = store
        .step_started(attempt, ProductionStep::Print)
        .unwrap_err();
    assert!(
        matches!(fenced, StoreError::AttemptClosed { .. }),
        "{fenced}"
    );
    // A run that ended may not take cards.
    store.end_run(a.id).unwrap();
    assert!(
        store
            .begin_attempt(a.id, order.id, "desk-1", &op())
            .is_err()
    );
}

/// Conformance case.
pub fn leases_are_renewed_and_expire(db: &dyn TestDatabase) {
    let store = db.open();
    let short = run(&*store, Duration::from_millis(1));
    std::thread::sleep(Duration::from_millis(20));
    let read = store.run(short.id).unwrap();
    assert!(read.lease_expired, "a lease not renewed runs out");
    store
        .renew_lease(short.id, Duration::from_secs(60))
        .unwrap();
    let renewed = store.run(short.id).unwrap();
    assert!(!renewed.lease_expired, "a renewed lease holds");
    assert!(renewed.lease_until > read.lease_until);
    // An expired owner is gone: another run takes the station over, and it is audited.
    let other = run(&*store, Duration::from_secs(60));
    store
        .renew_lease(short.id, Duration::from_millis(1))
        .unwrap();
    store
        .claim_station(short.id, "desk-9", None, &op())
        .unwrap()
        .unwrap();
    std::thread::sleep(Duration::from_millis(20));
    ownership::claim_station(&*store, other.id, "desk-9", &op()).unwrap();
    assert_eq!(
        store.station_owner("desk-9").unwrap().map(|r| r.id),
        Some(other.id)
    );
    let audit = store.audit(&AuditFilter::default()).unwrap();
    assert!(
        audit.iter().any(|e| e.action == "station.take_over"
            && e.reason.as_deref().unwrap_or("").starts_with("desk-9")),
        "the take-over is audited"
    );
}

/// Conformance case.
pub fn pauses_are_recorded_listed_resumed_and_audited(db: &dyn TestDatabase) {
    let store = db.open();
    let r = run(&*store, Duration::from_secs(60));
    assert_eq!(store.station_pause("desk-1").unwrap(), None);
    store
        .pause_station("desk-1", "3 cards in a row rejected", Some(r.id), &op())
        .unwrap();
    store
        .pause_station("desk-1", "4 cards in a row rejected", Some(r.id), &op())
        .unwrap();
    store
        .pause_station("desk-2", "no reader", None, &op())
        .unwrap();
    let p = store.station_pause("desk-1").unwrap().unwrap();
    assert_eq!(
        p.reason, "4 cards in a row rejected",
        "the latest reason stands"
    );
    assert_eq!(p.run_id, Some(r.id));
    let all: Vec<String> = store
        .station_pauses()
        .unwrap()
        .into_iter()
        .map(|p| p.station)
        .collect();
    assert_eq!(all, ["desk-1", "desk-2"]);
    assert!(
        store
            .resume_station("desk-1", &Actor("sam".into()))
            .unwrap()
    );
    assert!(
        !store.resume_station("desk-1", &op()).unwrap(),
        "not paused any more"
    );
    assert_eq!(store.station_pause("desk-1").unwrap(), None);
    let audit = store.audit(&AuditFilter::default()).unwrap();
    let resume = audit.iter().find(|e| e.action == "station.resume").unwrap();
    assert_eq!(resume.operator, "sam");
    assert!(
        resume
            .reason
            .as_deref()
            .unwrap()
            .contains("4 cards in a row")
    );
    assert_eq!(
        audit.iter().filter(|e| e.action == "station.pause").count(),
        3
    );
}

fn record(spki: &str, card: &str) -> IssuedRecord {
    IssuedRecord {
        spki_sha256: spki.into(),
        card_number: card.into(),
        profile: "piv-auth".into(),
        chip_id: Some("chip".into()),
        serial: format!("{spki}01"),
        fingerprint: format!("{spki}ff"),
        issued_at: "2026-11-29T10:00:00Z".into(),
        not_after: "2026-12-29T10:00:00Z".into(),
        der: "3082".into(),
        revoked_at: None,
        revocation_reason: None,
    }
}

/// Conformance case.
pub fn a_key_is_recorded_once(db: &dyn TestDatabase) {
    let store = db.open();
    assert_eq!(store.issued_for_key("aa").unwrap(), None);
    assert_eq!(store.record_issued(&record("aa", "TMP1")).unwrap(), None);
    let again = store.record_issued(&record("aa", "TMP2")).unwrap();
    assert_eq!(
        again.map(|r| r.card_number),
        Some("TMP1".into()),
        "the first record of a key stands"
    );
    assert_eq!(store.record_issued(&record("bb", "TMP2")).unwrap(), None);
    assert_eq!(store.issued_count().unwrap(), 2);
    let all = store.issued_certificates().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        all[0],
        record("aa", "TMP1"),
        "records round-trip, oldest first"
    );
    assert_eq!(
        store.issued_for_key("bb").unwrap().unwrap().card_number,
        "TMP2"
    );
}

/// Conformance case.
pub fn waiting_cards_and_a_named_card_attempt(db: &dyn TestDatabase) {
    let store = db.open();
    let order = order_of(&*store, 3);
    assert_eq!(store.waiting_cards(order.id).unwrap(), 3);
    assert_eq!(store.order_state(order.id).unwrap(), OrderState::Open);
    let r = station_run(&*store, "enc");
    let third = &order.cards[2].number;
    let (card, attempt) = store
        .begin_attempt_for(r, order.id, third, "enc", &op())
        .unwrap()
        .unwrap();
    assert_eq!(&card.number, third, "the named card, not the next in order");
    assert_eq!(store.waiting_cards(order.id).unwrap(), 2);
    assert_eq!(
        store
            .begin_attempt_for(r, order.id, third, "enc", &op())
            .unwrap(),
        None,
        "a card in flight is not waiting"
    );
    store
        .attempt_succeeded(attempt, &AttemptSuccess::default(), &op())
        .unwrap();
    assert_eq!(store.waiting_cards(order.id).unwrap(), 2);
    assert!(matches!(
        store.order_state(424_242),
        Err(StoreError::OrderNotFound(_))
    ));
}

/// Conformance case.
pub fn lost_attempts_are_audited_apart(db: &dyn TestDatabase) {
    let store = db.open();
    let order = order_of(&*store, 1);
    let (card, attempt) = begin_attempt(&*store, order.id, "old-desk", &op())
        .unwrap()
        .unwrap();
    let c = store
        .attempt_lost(attempt, "station old-desk removed", &op())
        .unwrap();
    assert_eq!(
        c.state,
        CardState::InProduction,
        "the card waits for a new blank"
    );
    let audit = store
        .audit(&AuditFilter {
            card_number: Some(card.number.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(audit.last().unwrap().action, "attempt.lost");
    assert_eq!(store.waiting_cards(order.id).unwrap(), 1);
    let attempts = store.attempts_of_card(&card.number).unwrap();
    assert_eq!(attempts[0].status, AttemptStatus::Void);
}
