//! Conformance cases: journal.

use std::sync::Arc;

use super::*;

fn op() -> Actor {
    Actor("olga".into())
}

/// Each journaled step of an attempt with its outcome (`None` while in flight).
fn outcomes(attempt: &Attempt) -> Vec<(ProductionStep, Option<String>)> {
    attempt
        .steps
        .iter()
        .map(|s| (s.step, s.outcome.clone()))
        .collect()
}

fn order_of(db: &dyn TestDatabase, n: u32) -> (Arc<dyn Store>, Order) {
    let store = db.open();
    store
        .request_cards(n, &Numbering::default(), &op())
        .unwrap();
    let order = store.create_order(&OrderSelection::All, &op()).unwrap();
    (store, order)
}

/// Conformance case.
pub fn attempts_take_cards_in_order_and_skip_cards_in_flight(db: &dyn TestDatabase) {
    let (store, order) = order_of(db, 3);
    let (c1, a1) = begin_attempt(&*store, order.id, "st1", &op())
        .unwrap()
        .unwrap();
    let (c2, a2) = begin_attempt(&*store, order.id, "st2", &op())
        .unwrap()
        .unwrap();
    assert_eq!(c1.number, order.cards[0].number);
    assert_eq!(
        c2.number, order.cards[1].number,
        "a card in flight is not taken twice"
    );
    assert_ne!(a1, a2);
    store.attempt_voided(a1, "jam", &op()).unwrap();
    let (again, _) = begin_attempt(&*store, order.id, "st1", &op())
        .unwrap()
        .unwrap();
    assert_eq!(
        again.number, c1.number,
        "a voided attempt's card is produced again"
    );
    let (c3, _) = begin_attempt(&*store, order.id, "st3", &op())
        .unwrap()
        .unwrap();
    assert_eq!(c3.number, order.cards[2].number);
    assert!(
        begin_attempt(&*store, order.id, "st1", &op())
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        begin_attempt(&*store, 99, "st1", &op()),
        Err(StoreError::OrderNotFound(99))
    ));
    let inflight = store.in_flight_attempts().unwrap();
    assert_eq!(
        inflight
            .iter()
            .map(|a| a.card_number.clone())
            .collect::<Vec<_>>(),
        [c2.number, c1.number, c3.number]
    );
}

/// Conformance case.
pub fn an_outcome_and_the_next_intent_commit_together(db: &dyn TestDatabase) {
    let (store, order) = order_of(db, 1);
    let (_, a) = begin_attempt(&*store, order.id, "st1", &op())
        .unwrap()
        .unwrap();
    use JournalRecord::*;
    store
        .journal(a, &[Chip("PLANNED"), StepStarted(ProductionStep::Feed)])
        .unwrap();
    store
        .journal(
            a,
            &[
                StepFinished(ProductionStep::Feed, None),
                Chip("GUID-2"),
                StepStarted(ProductionStep::Encode),
            ],
        )
        .unwrap();
    let inflight = &store.in_flight_attempts().unwrap()[0];
    assert_eq!(
        inflight.chip_id.as_deref(),
        Some("GUID-2"),
        "records apply in order"
    );
    let steps = outcomes(inflight);
    assert_eq!(
        steps,
        [
            (ProductionStep::Feed, Some("ok".to_string())),
            (ProductionStep::Encode, None)
        ]
    );
    // A batch for an attempt that does not exist writes nothing.
    assert!(matches!(
        store.journal(a + 1, &[StepStarted(ProductionStep::Print)]),
        Err(StoreError::AttemptNotFound(_))
    ));
}

/// Conformance case: the eject's outcome and the success commit together, or neither does.
pub fn the_last_outcome_and_the_success_commit_together(db: &dyn TestDatabase) {
    let (store, order) = order_of(db, 1);
    let (card, a) = begin_attempt(&*store, order.id, "st1", &op())
        .unwrap()
        .unwrap();
    use JournalRecord::*;
    store
        .journal(a, &[StepStarted(ProductionStep::Eject)])
        .unwrap();
    let success = AttemptSuccess {
        chip_id: Some("CHIP-1".into()),
        ..AttemptSuccess::default()
    };
    let done = store
        .journal_and_succeed(
            a,
            &[StepFinished(ProductionStep::Eject, None)],
            &success,
            &op(),
        )
        .unwrap();
    assert_eq!(done.state, CardState::Unassigned);
    let attempts = store.attempts_of_card(&card.number).unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status, AttemptStatus::Succeeded);
    assert_eq!(
        outcomes(&attempts[0]),
        [(ProductionStep::Eject, Some("ok".to_string()))]
    );
    // Again on the closed attempt: refused, and its record is not written either.
    assert!(matches!(
        store.journal_and_succeed(a, &[StepStarted(ProductionStep::Reject)], &success, &op()),
        Err(StoreError::AttemptClosed { .. })
    ));
    let attempts = store.attempts_of_card(&card.number).unwrap();
    assert_eq!(
        attempts[0].steps.len(),
        1,
        "nothing written after the close"
    );
}

/// Conformance case.
pub fn steps_are_journaled_as_intent_then_outcome(db: &dyn TestDatabase) {
    let (store, order) = order_of(db, 1);
    let (card, a) = begin_attempt(&*store, order.id, "st1", &op())
        .unwrap()
        .unwrap();
    store.step_started(a, ProductionStep::Feed).unwrap();
    store.step_finished(a, ProductionStep::Feed, None).unwrap();
    store.step_started(a, ProductionStep::Encode).unwrap();
    store.set_attempt_chip(a, "GUID-1").unwrap();
    let inflight = &store.in_flight_attempts().unwrap()[0];
    assert_eq!(inflight.chip_id.as_deref(), Some("GUID-1"));
    assert_eq!(inflight.steps.len(), 2);
    assert_eq!(inflight.steps[1].finished_at, None, "encode is in flight");
    store
        .step_finished(a, ProductionStep::Encode, Some("6982 security status"))
        .unwrap();
    // An outcome without a journaled intent still lands in the journal.
    store
        .step_finished(a, ProductionStep::Reject, None)
        .unwrap();
    let failed = store.attempt_failed(a, "encode failed", &op()).unwrap();
    assert_eq!(failed.state, CardState::Failed);
    assert_eq!(failed.failure_reason.as_deref(), Some("encode failed"));

    let attempts = store.attempts_of_card(&card.number).unwrap();
    assert_eq!(attempts.len(), 1);
    let at = &attempts[0];
    assert_eq!(
        (at.status, at.station.as_str(), at.order_id),
        (AttemptStatus::Failed, "st1", order.id)
    );
    assert!(at.finished_at.is_some());
    let steps = outcomes(at);
    assert_eq!(
        steps,
        [
            (ProductionStep::Feed, Some("ok".into())),
            (ProductionStep::Encode, Some("6982 security status".into())),
            (ProductionStep::Reject, Some("ok".into())),
        ]
    );
    assert!(store.in_flight_attempts().unwrap().is_empty());
    assert!(matches!(
        store.step_started(777, ProductionStep::Feed),
        Err(StoreError::AttemptNotFound(777))
    ));
    assert!(matches!(
        store.attempts_of_card("NOPE"),
        Err(StoreError::CardNotFound(_))
    ));
}

/// Conformance case.
pub fn success_records_chip_and_secrets_and_a_closed_attempt_cannot_close_again(
    db: &dyn TestDatabase,
) {
    let (store, order) = order_of(db, 1);
    let (card, a) = begin_attempt(&*store, order.id, "st1", &op())
        .unwrap()
        .unwrap();
    assert_eq!(store.card_secrets(&card.number).unwrap(), None);
    store.set_attempt_chip(a, "GUID-7").unwrap();
    let sealed = SealedSecrets {
        key_id: "station-key-1".into(),
        nonce: vec![9; 12],
        ciphertext: vec![7; 48],
    };
    let done = store
        .attempt_succeeded(
            a,
            &AttemptSuccess {
                chip_id: None,
                certificate_fingerprints: vec!["ab".repeat(32)],
                secrets: Some(sealed.clone()),
            },
            &op(),
        )
        .unwrap();
    assert_eq!(done.state, CardState::Unassigned);
    assert_eq!(
        done.chip_id.as_deref(),
        Some("GUID-7"),
        "the chip recorded during the attempt"
    );
    assert_eq!(store.card_secrets(&card.number).unwrap(), Some(sealed));
    for r in [
        store.attempt_succeeded(a, &AttemptSuccess::default(), &op()),
        store.attempt_failed(a, "x", &op()),
        store.attempt_voided(a, "x", &op()),
    ] {
        assert!(
            matches!(r, Err(StoreError::AttemptClosed { ref status, .. }) if status == "succeeded"),
            "{r:?}"
        );
    }
    assert_eq!(
        store.card(&card.number).unwrap().state,
        CardState::Unassigned
    );
    assert!(matches!(
        store.card_secrets("NOPE"),
        Err(StoreError::CardNotFound(_))
    ));
}

/// Conformance case.
pub fn production_of_a_closed_order_is_refused(db: &dyn TestDatabase) {
    let (store, order) = order_of(db, 1);
    store.cancel_order(order.id, &op()).unwrap();
    assert!(matches!(
        begin_attempt(&*store, order.id, "st1", &op()),
        Err(StoreError::OrderState { .. })
    ));
}

/// Conformance case.
pub fn a_desk_registers_its_master_at_start_and_attempts_compare_with_it(db: &dyn TestDatabase) {
    let (store, order) = order_of(db, 2);
    let kind = AttemptKeys::MANAGEMENT_MASTER;
    let key_register = |store: &dyn Store| -> Vec<AuditEntry> {
        store
            .audit(&AuditFilter::default())
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "key.register")
            .collect()
    };
    // The first desk to start registers it, audited without a card.
    assert!(store.register_key(kind, "aaaa000011112222", &op()).unwrap());
    let registered = key_register(&*store);
    assert_eq!(registered.len(), 1);
    assert_eq!(registered[0].card_number, None);
    assert_eq!(registered[0].operator, op().0);
    let reason = registered[0].reason.as_deref().unwrap();
    assert!(
        reason.contains("aaaa000011112222") && reason.contains("desk"),
        "{reason}"
    );
    // The next desk with the same master: checked, not registered again.
    assert!(!store.register_key(kind, "aaaa000011112222", &op()).unwrap());
    // A desk with another master is refused before it claims anything.
    match store.register_key(kind, "bbbb000011112222", &op()) {
        Err(StoreError::KeyReplaced {
            registered, found, ..
        }) => {
            assert_eq!(registered, "aaaa000011112222");
            assert_eq!(found, "bbbb000011112222");
        }
        other => panic!("a replaced master must be refused, got {other:?}"),
    }
    // Attempts compare with the master the desk registered; none registers it again.
    let keys = |master: &str| AttemptKeys {
        management_master: master.into(),
        seal: "5eal5eal5eal5eal".into(),
        issuer: None,
    };
    let (_, a1) = begin_attempt(&*store, order.id, "st1", &op())
        .unwrap()
        .unwrap();
    store
        .journal(a1, &[JournalRecord::Keys(&keys("aaaa000011112222"))])
        .unwrap();
    let (_, a2) = begin_attempt(&*store, order.id, "st2", &op())
        .unwrap()
        .unwrap();
    assert!(matches!(
        store.journal(a2, &[JournalRecord::Keys(&keys("bbbb000011112222"))]),
        Err(StoreError::KeyReplaced { .. })
    ));
    assert_eq!(key_register(&*store).len(), 1);
}

/// Conformance case.
pub fn attempts_record_key_ids_and_refuse_a_replaced_management_master(db: &dyn TestDatabase) {
    let (store, order) = order_of(db, 3);
    let keys = |master: &str| AttemptKeys {
        management_master: master.into(),
        seal: "5eal5eal5eal5eal".into(),
        issuer: Some("ca-0123456789abcdef".into()),
    };
    let (c1, a1) = begin_attempt(&*store, order.id, "st1", &op())
        .unwrap()
        .unwrap();
    // The first attempt that encodes registers the master (audited), with the feed's intent.
    store
        .journal(
            a1,
            &[
                JournalRecord::Keys(&keys("aaaa000011112222")),
                JournalRecord::StepStarted(ProductionStep::Feed),
            ],
        )
        .unwrap();
    let recorded = store.attempts_of_card(&c1.number).unwrap();
    assert_eq!(
        recorded[0].key_ids.as_deref(),
        Some("management=aaaa000011112222 seal=5eal5eal5eal5eal issuer=ca-0123456789abcdef")
    );
    let registered: Vec<_> = store
        .audit(&AuditFilter::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "key.register")
        .collect();
    assert_eq!(registered.len(), 1);
    assert!(
        registered[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("aaaa000011112222")
    );

    // The same master again: accepted, not registered twice.
    let (_, a2) = begin_attempt(&*store, order.id, "st2", &op())
        .unwrap()
        .unwrap();
    store
        .journal(a2, &[JournalRecord::Keys(&keys("aaaa000011112222"))])
        .unwrap();

    // Another master: refused, and the feed's intent that came with it is not written.
    let (c3, a3) = begin_attempt(&*store, order.id, "st3", &op())
        .unwrap()
        .unwrap();
    let refused = store.journal(
        a3,
        &[
            JournalRecord::Keys(&keys("bbbb000011112222")),
            JournalRecord::StepStarted(ProductionStep::Feed),
        ],
    );
    match refused {
        Err(StoreError::KeyReplaced {
            kind,
            registered,
            found,
            ..
        }) => {
            assert_eq!(kind, "management-master");
            assert_eq!(registered, "aaaa000011112222");
            assert_eq!(found, "bbbb000011112222");
        }
        other => panic!("a replaced master must be refused, got {other:?}"),
    }
    let third = store.attempts_of_card(&c3.number).unwrap();
    assert_eq!(third[0].key_ids, None);
    assert!(
        third[0].steps.is_empty(),
        "nothing of the refused commit stays"
    );
    let registered = store
        .audit(&AuditFilter::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "key.register")
        .count();
    assert_eq!(registered, 1);
}
