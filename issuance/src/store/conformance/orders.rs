//! Conformance cases: orders.

use std::sync::Arc;

use super::*;

fn op() -> Actor {
    Actor("olga".into())
}

fn store_with(db: &dyn TestDatabase, n: u32) -> (Arc<dyn Store>, Vec<Card>) {
    let store = db.open();
    let cards = store
        .request_cards(n, &Numbering::default(), &op())
        .unwrap();
    (store, cards)
}

fn numbers(cards: &[Card]) -> Vec<String> {
    cards.iter().map(|c| c.number.clone()).collect()
}

/// Produces the next waiting card of the order: success or failure.
fn produce_next(store: &dyn Store, order: OrderId, ok: bool) -> Card {
    let (_, attempt) = begin_attempt(store, order, "st1", &op()).unwrap().unwrap();
    if ok {
        store
            .attempt_succeeded(attempt, &AttemptSuccess::default(), &op())
            .unwrap()
    } else {
        store
            .attempt_failed(attempt, "chip did not answer", &op())
            .unwrap()
    }
}

/// Conformance case: the console's order page reads one page of an order's cards, in
/// production order (not card order), with the order's card count; other orders' cards never
/// show, and a page past the end is empty.
pub fn an_order_is_read_page_by_page_in_production_order(db: &dyn TestDatabase) {
    let (store, cards) = store_with(db, 30);
    // Another order first, so the paged order's memberships are not the table's first rows.
    store
        .create_order(&OrderSelection::Numbers(numbers(&cards[..5])), &op())
        .unwrap();
    // The paged order takes the other 25 cards in a shuffled order: its positions do not
    // follow the cards' ids.
    let mut picked = numbers(&cards[5..]);
    picked.reverse();
    picked.swap(3, 17);
    let order = store
        .create_order(&OrderSelection::Numbers(picked.clone()), &op())
        .unwrap();
    assert_eq!(
        numbers(&order.cards),
        picked,
        "production order is the selection's"
    );
    let mut seen = Vec::new();
    for (offset, expected) in [(0, 10), (10, 10), (20, 5), (30, 0)] {
        let (page, total) = store.order_cards_page(order.id, offset, 10).unwrap();
        assert_eq!(total, 25, "the order's card count on the page at {offset}");
        assert_eq!(page.id, order.id);
        assert_eq!(page.cards.len(), expected, "cards on the page at {offset}");
        seen.extend(numbers(&page.cards));
    }
    assert_eq!(
        seen, picked,
        "the pages together are the order in production order"
    );
    let (middle, _) = store.order_cards_page(order.id, 7, 3).unwrap();
    assert_eq!(numbers(&middle.cards), picked[7..10]);
}

/// Conformance case.
pub fn create_by_all_first_and_numbers(db: &dyn TestDatabase) {
    let (store, cards) = store_with(db, 6);
    let first = store
        .create_order(&OrderSelection::First(2), &op())
        .unwrap();
    assert_eq!(numbers(&first.cards), numbers(&cards[..2]));
    assert_eq!(first.state, OrderState::Open);
    assert_eq!(first.created_by, "olga");
    assert!(
        first
            .cards
            .iter()
            .all(|c| c.state == CardState::InProduction && c.order_id == Some(first.id))
    );

    let picked = vec![
        cards[4].number.clone(),
        cards[3].number.clone(),
        cards[4].number.clone(),
    ];
    let chosen = store
        .create_order(&OrderSelection::Numbers(picked), &op())
        .unwrap();
    assert_eq!(
        numbers(&chosen.cards),
        [cards[4].number.clone(), cards[3].number.clone()],
        "check-box order, duplicates once"
    );

    let rest = store.create_order(&OrderSelection::All, &op()).unwrap();
    assert_eq!(
        numbers(&rest.cards),
        [cards[2].number.clone(), cards[5].number.clone()]
    );
    assert!(matches!(
        store.create_order(&OrderSelection::All, &op()),
        Err(StoreError::NothingToOrder)
    ));
    assert!(matches!(
        store.create_order(&OrderSelection::First(0), &op()),
        Err(StoreError::NothingToOrder)
    ));

    let orders = store.list_orders().unwrap();
    assert_eq!(
        orders.iter().map(|o| o.id).collect::<Vec<_>>(),
        [rest.id, chosen.id, first.id],
        "newest first"
    );
    assert!(orders.iter().all(|o| o.cards.is_empty()));
    // The order creation returns is the order as read back, cards and their order included,
    // for every kind of selection.
    assert_eq!(store.order(first.id).unwrap(), first);
    assert_eq!(store.order(chosen.id).unwrap(), chosen);
    assert_eq!(store.order(rest.id).unwrap(), rest);
    assert!(matches!(
        store.order(999),
        Err(StoreError::OrderNotFound(999))
    ));
}

/// Conformance case.
pub fn a_card_already_ordered_or_unknown_cannot_be_selected_and_nothing_is_half_done(
    db: &dyn TestDatabase,
) {
    let (store, cards) = store_with(db, 3);
    let o = store
        .create_order(&OrderSelection::First(1), &op())
        .unwrap();
    let sel = OrderSelection::Numbers(vec![cards[1].number.clone(), cards[0].number.clone()]);
    let err = store.create_order(&sel, &op()).unwrap_err();
    assert!(
        matches!(&err, StoreError::NotSelectable { number, why } if *number == cards[0].number && why.contains(&format!("order {}", o.id))),
        "{err}"
    );
    assert_eq!(
        store.card(&cards[1].number).unwrap().state,
        CardState::Requested,
        "rolled back"
    );
    let sel = OrderSelection::Numbers(vec!["TMP000000992".into()]);
    assert!(matches!(
        store.create_order(&sel, &op()),
        Err(StoreError::CardNotFound(_))
    ));
    assert_eq!(store.list_orders().unwrap().len(), 1);
}

/// Conformance case.
pub fn cancel_returns_unproduced_cards_and_keeps_the_history(db: &dyn TestDatabase) {
    let (store, cards) = store_with(db, 4);
    let o = store.create_order(&OrderSelection::All, &op()).unwrap();
    let produced = produce_next(&*store, o.id, true);
    let failed = produce_next(&*store, o.id, false);
    assert_eq!(failed.state, CardState::Failed);

    // Refused while an attempt is in flight.
    let (busy, attempt) = begin_attempt(&*store, o.id, "st2", &op()).unwrap().unwrap();
    let err = store.cancel_order(o.id, &op()).unwrap_err();
    assert!(
        matches!(&err, StoreError::OrderState { what, .. } if what.contains(&busy.number)),
        "{err}"
    );
    store
        .attempt_voided(attempt, "operator stopped", &op())
        .unwrap();

    let cancelled = store.cancel_order(o.id, &op()).unwrap();
    assert_eq!(cancelled.state, OrderState::Cancelled);
    assert!(cancelled.closed_at.is_some());
    assert_eq!(
        cancelled.cards.len(),
        4,
        "the order still shows what it held"
    );
    for c in &cancelled.cards {
        assert_eq!(c.order_id, None);
        let want = if c.number == produced.number {
            CardState::Unassigned
        } else {
            CardState::Requested
        };
        assert_eq!(c.state, want, "{}", c.number);
    }
    assert_eq!(store.card(&failed.number).unwrap().failure_reason, None);
    assert!(matches!(
        store.cancel_order(o.id, &op()),
        Err(StoreError::OrderState { .. })
    ));
    assert!(matches!(
        store.complete_order(o.id, &op()),
        Err(StoreError::OrderState { .. })
    ));
    // The cancelled cards can be ordered again.
    let again = store.create_order(&OrderSelection::All, &op()).unwrap();
    assert_eq!(again.cards.len(), 3);
    assert_eq!(numbers(&again.cards)[0], cards[1].number);
}

/// Conformance case.
pub fn complete_is_refused_while_cards_wait_and_releases_failed_ones(db: &dyn TestDatabase) {
    let (store, _) = store_with(db, 3);
    let o = store.create_order(&OrderSelection::All, &op()).unwrap();
    let good = produce_next(&*store, o.id, true);
    let bad = produce_next(&*store, o.id, false);
    let err = store.complete_order(o.id, &op()).unwrap_err();
    assert!(
        matches!(&err, StoreError::OrderState { what, .. } if what.contains("1 card(s) are still in production")),
        "{err}"
    );
    produce_next(&*store, o.id, true);

    let done = store.complete_order(o.id, &op()).unwrap();
    assert_eq!(done.state, OrderState::Completed);
    assert_eq!(store.card(&bad.number).unwrap().state, CardState::Requested);
    let g = store.card(&good.number).unwrap();
    assert_eq!((g.state, g.order_id), (CardState::Unassigned, None));
    let release = store
        .audit(&AuditFilter {
            card_number: Some(bad.number.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(release.last().unwrap().action, "card.release");
    assert!(matches!(
        store.repeat_order(o.id, &[], &op()),
        Err(StoreError::OrderState { .. })
    ));
}

/// Conformance case.
pub fn repeat_takes_failed_and_misprinted_cards_and_voids_the_misprint(db: &dyn TestDatabase) {
    let (store, cards) = store_with(db, 4);
    let o = store
        .create_order(&OrderSelection::First(3), &op())
        .unwrap();
    let secrets = SealedSecrets {
        key_id: "k1".into(),
        nonce: vec![1; 12],
        ciphertext: vec![2; 40],
    };
    let (_, a1) = begin_attempt(&*store, o.id, "st1", &op()).unwrap().unwrap();
    let misprint = store
        .attempt_succeeded(
            a1,
            &AttemptSuccess {
                chip_id: Some("CHIP1".into()),
                secrets: Some(secrets),
                ..Default::default()
            },
            &op(),
        )
        .unwrap();
    let failed = produce_next(&*store, o.id, false);
    let fine = produce_next(&*store, o.id, true);

    let err = store
        .repeat_order(o.id, &[cards[3].number.clone()], &op())
        .unwrap_err();
    assert!(matches!(err, StoreError::NotSelectable { .. }), "{err}");

    let again = store
        .repeat_order(o.id, std::slice::from_ref(&misprint.number), &op())
        .unwrap();
    assert_eq!(
        numbers(&again),
        [misprint.number.clone(), failed.number.clone()]
    );
    assert!(
        again
            .iter()
            .all(|c| c.state == CardState::InProduction && c.failure_reason.is_none())
    );
    let m = store.card(&misprint.number).unwrap();
    assert_eq!(m.chip_id, None);
    assert_eq!(store.card_secrets(&misprint.number).unwrap(), None);
    let attempts = store.attempts_of_card(&misprint.number).unwrap();
    assert_eq!(attempts[0].status, AttemptStatus::Void);
    assert!(
        attempts[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("misprinted")
    );
    assert_eq!(
        store.card(&fine.number).unwrap().state,
        CardState::Unassigned
    );

    // An assigned card cannot be flagged as misprinted, and the refusal undoes the whole
    // selection (the failed card stays failed).
    produce_next(&*store, o.id, true);
    let again_failed = produce_next(&*store, o.id, false);
    let until = "2030-01-01T00:00:00Z";
    let detail = EventDetail {
        assigned_to: Some("p".into()),
        valid_until: Some(until.into()),
        ..Default::default()
    };
    store
        .apply_event(&fine.number, CardEvent::Assign, &detail, &op())
        .unwrap();
    let err = store
        .repeat_order(o.id, std::slice::from_ref(&fine.number), &op())
        .unwrap_err();
    assert!(matches!(err, StoreError::Transition(_)), "{err}");
    let f = store.card(&again_failed.number).unwrap();
    assert_eq!(f.state, CardState::Failed);
    // Nothing to repeat is an empty selection, not an error.
    let again = store.repeat_order(o.id, &[], &op()).unwrap();
    assert_eq!(numbers(&again), vec![again_failed.number.clone()]);
    produce_next(&*store, o.id, true);
    assert!(store.repeat_order(o.id, &[], &op()).unwrap().is_empty());
}

/// Conformance case.
pub fn an_order_counts_its_own_outcome_lists_failures_and_previews_changes(db: &dyn TestDatabase) {
    let (store, cards) = store_with(db, 5);
    let order = store.create_order(&OrderSelection::All, &op()).unwrap();
    let run = station_run(&*store, "st1");
    let take = || {
        store
            .begin_attempt(run, order.id, "st1", &op())
            .unwrap()
            .unwrap()
    };
    for _ in 0..2 {
        let (_, a) = take();
        store
            .attempt_succeeded(a, &AttemptSuccess::default(), &op())
            .unwrap();
    }
    let (failed_card, a) = take();
    store.step_started(a, ProductionStep::Encode).unwrap();
    store
        .step_finished(
            a,
            ProductionStep::Encode,
            Some("encode: card refused GENERATE 9A: 6A84"),
        )
        .unwrap();
    store.step_started(a, ProductionStep::Reject).unwrap();
    store
        .step_finished(a, ProductionStep::Reject, None)
        .unwrap();
    store
        .attempt_failed(a, "encode: card refused GENERATE 9A: 6A84", &op())
        .unwrap();
    let outcome = store.order_outcome(order.id).unwrap();
    assert_eq!(
        (
            outcome.produced,
            outcome.failed,
            outcome.waiting,
            outcome.in_production
        ),
        (2, 1, 2, 0)
    );
    let failures = store.order_failures(order.id).unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].card, failed_card.number);
    assert_eq!(failures[0].station, "st1");
    assert_eq!(
        failures[0].step.as_deref(),
        Some("encode"),
        "the failed step, not the reject"
    );
    assert!(failures[0].reason.contains("6A84"));
    // Completing now is refused, and the preview says so without changing anything.
    assert!(matches!(
        store.preview_complete(order.id, &op()),
        Err(StoreError::OrderState { .. })
    ));
    let repeat = store.preview_repeat(order.id, &[], &op()).unwrap();
    assert_eq!(numbers(&repeat), std::slice::from_ref(&failed_card.number));
    assert_eq!(
        store.card(&failed_card.number).unwrap().state,
        CardState::Failed,
        "unchanged"
    );
    for _ in 0..2 {
        let (_, a) = take();
        store
            .attempt_succeeded(a, &AttemptSuccess::default(), &op())
            .unwrap();
    }
    let preview = store.preview_complete(order.id, &op()).unwrap();
    assert_eq!(
        preview.state,
        OrderState::Completed,
        "what completing would do"
    );
    assert_eq!(
        store.order(order.id).unwrap().state,
        OrderState::Open,
        "but nothing changed"
    );
    let audit_before = store.audit(&AuditFilter::default()).unwrap().len();
    store.complete_order(order.id, &op()).unwrap();
    assert!(store.audit(&AuditFilter::default()).unwrap().len() > audit_before);
    // Later life does not change the order's outcome.
    let produced = store.card(&cards[0].number).unwrap();
    store
        .apply_event(
            &produced.number,
            CardEvent::Lock,
            &EventDetail::default(),
            &op(),
        )
        .unwrap();
    let outcome = store.order_outcome(order.id).unwrap();
    assert_eq!(
        (outcome.produced, outcome.released, outcome.total()),
        (4, 1, 5)
    );
}
