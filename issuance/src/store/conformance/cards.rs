//! Conformance cases: cards.

use super::*;
use crate::numbering::NumberingError;

fn alice() -> Actor {
    Actor("alice".into())
}

fn produced_card(store: &dyn Store) -> Card {
    store
        .request_cards(1, &Numbering::default(), &alice())
        .unwrap();
    let order = store.create_order(&OrderSelection::All, &alice()).unwrap();
    let (card, attempt) = begin_attempt(store, order.id, "st1", &alice())
        .unwrap()
        .unwrap();
    store
        .attempt_succeeded(attempt, &AttemptSuccess::default(), &alice())
        .unwrap();
    store.card(&card.number).unwrap()
}

fn assign(store: &dyn Store, number: &str, until: &str) -> Result<Card, StoreError> {
    store.apply_event(
        number,
        CardEvent::Assign,
        &EventDetail {
            reason: None,
            assigned_to: Some("Bob Example".into()),
            valid_until: Some(until.into()),
        },
        &alice(),
    )
}

/// Conformance case.
pub fn requested_cards_are_numbered_and_the_sequence_continues(db: &dyn TestDatabase) {
    let store = db.open();
    let n = Numbering::default();
    let first = store.request_cards(3, &n, &alice()).unwrap();
    let numbers: Vec<_> = first.iter().map(|c| c.number.as_str()).collect();
    assert_eq!(numbers, ["TMP000000018", "TMP000000026", "TMP000000034"]);
    assert!(first.iter().all(|c| c.state == CardState::Requested));
    let more = store.request_cards(2, &n, &alice()).unwrap();
    assert_eq!(n.validate(&more[0].number), Ok(4));
    assert_eq!(n.validate(&more[1].number), Ok(5));
    // Another prefix has its own sequence.
    let other = Numbering::new("X-", 4).unwrap();
    let x = store.request_cards(1, &other, &alice()).unwrap();
    assert_eq!(x[0].number, "X-00018");
    assert_eq!(store.list_cards(&CardFilter::default()).unwrap().len(), 6);
    assert!(store.request_cards(0, &n, &alice()).unwrap().is_empty());
}

/// Conformance case.
pub fn request_refuses_what_the_numbering_cannot_hold(db: &dyn TestDatabase) {
    let store = db.open();
    let tiny = Numbering::new("T", 4).unwrap();
    store.request_cards(9990, &tiny, &alice()).unwrap();
    let err = store.request_cards(10, &tiny, &alice()).unwrap_err();
    assert!(
        matches!(err, StoreError::Numbering(NumberingError::Exhausted { .. })),
        "{err}"
    );
    // Nothing of the refused request was written.
    assert_eq!(
        store.list_cards(&CardFilter::default()).unwrap().len(),
        9990
    );
    store.request_cards(9, &tiny, &alice()).unwrap();
    let bad = Numbering {
        prefix: "T".into(),
        digits: 2,
    };
    assert!(matches!(
        store.request_cards(1, &bad, &alice()),
        Err(StoreError::Numbering(NumberingError::Digits { digits: 2 }))
    ));
}

/// Conformance case.
pub fn card_lookup_and_filters(db: &dyn TestDatabase) {
    let store = db.open();
    let cards = store
        .request_cards(5, &Numbering::default(), &alice())
        .unwrap();
    assert_eq!(store.card(&cards[2].number).unwrap(), cards[2]);
    assert!(matches!(store.card("TMP999"), Err(StoreError::CardNotFound(n)) if n == "TMP999"));
    let order = store
        .create_order(&OrderSelection::First(2), &alice())
        .unwrap();

    let requested = store
        .list_cards(&CardFilter {
            state: Some(CardState::Requested),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(requested.len(), 3);
    assert_eq!(requested[0].number, cards[2].number, "oldest first");
    let limited = store
        .list_cards(&CardFilter {
            state: Some(CardState::Requested),
            limit: Some(2),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(limited.len(), 2);
    let in_order = store
        .list_cards(&CardFilter {
            order_id: Some(order.id),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(in_order.len(), 2);
    assert!(in_order.iter().all(|c| c.order_id == Some(order.id)));
    assert!(
        store
            .list_cards(&CardFilter {
                order_id: Some(order.id),
                state: Some(CardState::Requested),
                ..Default::default()
            })
            .unwrap()
            .is_empty()
    );

    let counts = store.count_by_state(None).unwrap();
    assert_eq!(
        counts,
        [(CardState::Requested, 3), (CardState::InProduction, 2)]
    );
    assert_eq!(
        store.count_by_state(Some(order.id)).unwrap(),
        [(CardState::InProduction, 2)]
    );
    assert!(store.count_by_state(Some(999)).unwrap().is_empty());
}

/// Conformance case.
pub fn assign_withdraw_lock(db: &dyn TestDatabase) {
    let store = db.open();
    let card = produced_card(&*store);
    assert_eq!(card.state, CardState::Unassigned);

    let a = assign(&*store, &card.number, "2030-01-02T03:04:05+01:00").unwrap();
    assert_eq!(a.state, CardState::Assigned);
    assert_eq!(a.assigned_to.as_deref(), Some("Bob Example"));
    assert_eq!(a.valid_until.as_deref(), Some("2030-01-02T02:04:05.000Z"));
    // Assigning twice is a typed lifecycle error, and nothing changes.
    let err = assign(&*store, &card.number, "2030-01-01T00:00:00Z").unwrap_err();
    assert!(
        matches!(err, StoreError::Transition(ref t) if t.from == CardState::Assigned),
        "{err}"
    );

    let w = store
        .apply_event(
            &card.number,
            CardEvent::Withdraw,
            &EventDetail::default(),
            &alice(),
        )
        .unwrap();
    assert_eq!(
        (w.state, w.assigned_to.clone(), w.valid_until.clone()),
        (CardState::Unassigned, None, None)
    );

    let detail = EventDetail {
        reason: Some("lost".into()),
        ..Default::default()
    };
    let l = store
        .apply_event(&card.number, CardEvent::Lock, &detail, &alice())
        .unwrap();
    assert_eq!(l.state, CardState::Locked);
    for e in [
        CardEvent::Assign,
        CardEvent::Withdraw,
        CardEvent::Lock,
        CardEvent::Expire,
    ] {
        let err = store
            .apply_event(&card.number, e, &detail, &alice())
            .unwrap_err();
        assert!(err.to_string().contains("final"), "{err}");
    }

    let history = store
        .audit(&AuditFilter {
            card_number: Some(card.number.clone()),
            ..Default::default()
        })
        .unwrap();
    let actions: Vec<_> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "card.request",
            "card.add_to_order",
            "attempt.begin",
            "card.produced",
            "card.assign",
            "card.withdraw",
            "card.lock"
        ]
    );
    let lock = history.last().unwrap();
    assert_eq!(lock.operator, "alice");
    assert_eq!(
        (lock.from_state.as_deref(), lock.to_state.as_deref()),
        (Some("unassigned"), Some("locked"))
    );
    assert_eq!(lock.reason.as_deref(), Some("lost"));
}

/// Conformance case.
pub fn assign_needs_a_person_and_a_time_and_order_events_are_refused(db: &dyn TestDatabase) {
    let store = db.open();
    let card = produced_card(&*store);
    let no_person = EventDetail {
        valid_until: Some("2030-01-01T00:00:00Z".into()),
        ..Default::default()
    };
    assert!(matches!(
        store.apply_event(&card.number, CardEvent::Assign, &no_person, &alice()),
        Err(StoreError::MissingDetail { .. })
    ));
    assert!(matches!(
        assign(&*store, &card.number, "next tuesday"),
        Err(StoreError::InvalidTime { .. })
    ));
    for e in [
        CardEvent::AddToOrder,
        CardEvent::CancelFromOrder,
        CardEvent::Produced,
        CardEvent::ProductionFailed,
        CardEvent::Repeat,
        CardEvent::Release,
    ] {
        let err = store
            .apply_event(&card.number, e, &EventDetail::default(), &alice())
            .unwrap_err();
        assert!(
            matches!(err, StoreError::NotADirectEvent { .. }),
            "{e:?}: {err}"
        );
    }
    assert_eq!(
        store.card(&card.number).unwrap().state,
        CardState::Unassigned
    );
    assert!(matches!(
        store.apply_event("NOPE", CardEvent::Lock, &EventDetail::default(), &alice()),
        Err(StoreError::CardNotFound(_))
    ));
}

/// Conformance case.
pub fn expiry_sweep_moves_only_assigned_cards_past_their_validity(db: &dyn TestDatabase) {
    let store = db.open();
    let past = produced_card(&*store);
    let future = produced_card(&*store);
    let unassigned = produced_card(&*store);
    assign(&*store, &past.number, "2026-01-01T00:00:00Z").unwrap();
    assign(&*store, &future.number, "2027-01-01T00:00:00Z").unwrap();
    let expired = store
        .expire_due("2026-06-01T00:00:00Z", &Actor::system())
        .unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].number, past.number);
    assert_eq!(expired[0].state, CardState::Expired);
    assert_eq!(
        store.card(&future.number).unwrap().state,
        CardState::Assigned
    );
    assert_eq!(
        store.card(&unassigned.number).unwrap().state,
        CardState::Unassigned
    );
    assert!(
        store
            .expire_due("2026-06-01T00:00:00Z", &Actor::system())
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.expire_due("soon", &Actor::system()),
        Err(StoreError::InvalidTime { .. })
    ));
    let last = store
        .audit(&AuditFilter {
            limit: Some(1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(last[0].operator, "system");
    assert_eq!(last[0].action, "card.expire");
}

/// Conformance case.
pub fn audit_notes_filters_and_limits(db: &dyn TestDatabase) {
    let store = db.open();
    let cards = store
        .request_cards(2, &Numbering::default(), &alice())
        .unwrap();
    store
        .audit_note(
            "secrets.reveal",
            Some(&cards[0].number),
            Some(7),
            Some("help desk"),
            &Actor("carol".into()),
        )
        .unwrap();
    let by_card = store
        .audit(&AuditFilter {
            card_number: Some(cards[0].number.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_card.len(), 2);
    assert_eq!(by_card[1].action, "secrets.reveal");
    assert_eq!(by_card[1].operator, "carol");
    let by_order = store
        .audit(&AuditFilter {
            order_id: Some(7),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_order.len(), 1);
    let all = store.audit(&AuditFilter::default()).unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
    let newest = store
        .audit(&AuditFilter {
            limit: Some(2),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        newest.iter().map(|e| e.id).collect::<Vec<_>>(),
        [all[1].id, all[2].id]
    );
    let by_carol = store
        .audit(&AuditFilter {
            operator: Some("carol".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_carol.len(), 1);
    assert_eq!(by_carol[0].action, "secrets.reveal");
    let requests = store
        .audit(&AuditFilter {
            action: Some("card.request".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(requests.len(), 2);
    let under_secrets = store
        .audit(&AuditFilter {
            action: Some("secrets.".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(under_secrets.len(), 1);
}

/// Conformance case.
pub fn requests_carry_their_data_and_numbers_are_found_in_any_case(db: &dyn TestDatabase) {
    use crate::requests::RequestData;
    let store = db.open();
    let rows = vec![
        RequestData {
            requester: Some(" Ada Lovelace ".into()),
            desk: Some("Front desk".into()),
            purpose: Some("visitor".into()),
            note: Some("escort needed".into()),
            requested_at: Some("2026-11-20".into()),
        },
        RequestData::default(),
    ];
    let cards = store
        .request_cards_with(&rows, &Numbering::default(), &alice())
        .unwrap();
    let first = store.card(&cards[0].number).unwrap();
    assert_eq!(first.request.requester.as_deref(), Some("Ada Lovelace"));
    assert_eq!(first.request.desk.as_deref(), Some("Front desk"));
    assert_eq!(first.request.purpose.as_deref(), Some("visitor"));
    assert_eq!(first.request.note.as_deref(), Some("escort needed"));
    assert_eq!(first.request.requested_at, "2026-11-20T00:00:00.000Z");
    let second = store.card(&cards[1].number).unwrap();
    assert_eq!(
        second.request.requested_at, second.created_at,
        "now by default"
    );
    let lower = cards[0].number.to_lowercase();
    assert_eq!(
        store.card(&lower).unwrap().id,
        first.id,
        "any case finds the card"
    );
    let audit = store
        .audit(&AuditFilter {
            card_number: Some(cards[0].number.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        audit[0].reason.as_deref(),
        Some("for Ada Lovelace at Front desk (visitor)")
    );
    // A bad row refuses the whole request.
    let bad = vec![
        RequestData::default(),
        RequestData {
            requested_at: Some("31/12/2026".into()),
            ..Default::default()
        },
    ];
    let before = store.list_cards(&CardFilter::default()).unwrap().len();
    assert!(matches!(
        store.request_cards_with(&bad, &Numbering::default(), &alice()),
        Err(StoreError::InvalidRequest(_))
    ));
    assert_eq!(
        store.list_cards(&CardFilter::default()).unwrap().len(),
        before
    );
}

/// Conformance case.
pub fn a_produced_card_keeps_its_order_after_the_order_is_completed(db: &dyn TestDatabase) {
    let store = db.open();
    let card = produced_card(&*store);
    let order = card.order_id.unwrap();
    assert_eq!(card.produced_in_order, Some(order));
    store.complete_order(order, &alice()).unwrap();
    let after = store.card(&card.number).unwrap();
    assert_eq!(after.order_id, None, "no longer in an open order");
    assert_eq!(after.produced_in_order, Some(order), "but made in this one");
    assert_eq!(after.shown_order(), Some(order));
}
