//! Conformance cases: the search model (filters, sort, keyset pages, totals) and order
//! selection by search, by exact count and as a dry run.

use super::*;
use crate::requests::RequestData;
use crate::search::{CardQuery, CardSort, Page};

fn op() -> Actor {
    Actor("olga".into())
}

/// 12 requests: requesters Ada ×5 (desk North), Bob ×4 (desk South), none ×3; requested on
/// Nov 1 … Nov 12.
fn requests(store: &dyn Store) -> Vec<Card> {
    let rows: Vec<RequestData> = (0..12)
        .map(|i| RequestData {
            requester: match i % 3 {
                0 | 1 if i < 8 => Some(if i % 3 == 0 { "Ada" } else { "Bob" }.into()),
                _ if (8..10).contains(&i) => Some("Ada".into()),
                _ => None,
            },
            desk: None,
            purpose: Some(format!("visit {i}")),
            note: None,
            requested_at: Some(format!("2026-11-{:02}", i + 1)),
        })
        .map(|mut r| {
            r.desk = match r.requester.as_deref() {
                Some("Ada") => Some("North".into()),
                Some("Bob") => Some("South".into()),
                _ => None,
            };
            r
        })
        .collect();
    store
        .request_cards_with(&rows, &Numbering::default(), &op())
        .unwrap()
}

fn numbers(cards: &[Card]) -> Vec<String> {
    cards.iter().map(|c| c.number.clone()).collect()
}

/// Conformance case.
pub fn search_filters_pages_and_counts(db: &dyn TestDatabase) {
    let store = db.open();
    let all = requests(&*store);
    let ada_count = all
        .iter()
        .filter(|c| c.request.requester.as_deref() == Some("Ada"))
        .count() as u64;
    let ada = CardQuery {
        requester: Some("ada".into()),
        ..Default::default()
    };
    let page = store.search_cards(&ada, &Page::default()).unwrap();
    assert_eq!(page.total, ada_count, "any case, counted");
    assert!(
        page.cards
            .iter()
            .all(|c| c.request.requester.as_deref() == Some("Ada"))
    );
    assert!(page.next.is_none(), "one page");
    // Date range: Nov 3 to Nov 6 inclusive.
    let range = CardQuery::default()
        .requested_between(Some("2026-11-03"), Some("2026-11-06"))
        .unwrap();
    let got = store.search_cards(&range, &Page::default()).unwrap();
    assert_eq!(numbers(&got.cards), numbers(&all[2..6]));
    // Keyset pages of 5 cover every card once, in order, and know the total.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let p = store
            .search_cards(
                &CardQuery::default(),
                &Page {
                    limit: 5,
                    after: after.clone(),
                    ..Page::default()
                },
            )
            .unwrap();
        assert_eq!(p.total, 12);
        seen.extend(numbers(&p.cards));
        match p.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, numbers(&all));
    // Newest first by number.
    let desc = store
        .search_cards(
            &CardQuery::default(),
            &Page {
                sort: CardSort::Number,
                descending: true,
                limit: 3,
                after: None,
                count_limit: None,
            },
        )
        .unwrap();
    assert_eq!(
        numbers(&desc.cards),
        numbers(&[all[11].clone(), all[10].clone(), all[9].clone()])
    );
    // Number range and prefix.
    let span = CardQuery {
        number_from: Some(all[3].number.to_lowercase()),
        number_to: Some(all[5].number.clone()),
        ..Default::default()
    };
    assert_eq!(
        numbers(&store.search_cards(&span, &Page::default()).unwrap().cards),
        numbers(&all[3..6])
    );
    let none = CardQuery {
        number_prefix: Some("ZZZ".into()),
        ..Default::default()
    };
    assert_eq!(
        store.search_cards(&none, &Page::default()).unwrap().total,
        0
    );
    // State, order and failure reason.
    let order = store
        .create_order(&OrderSelection::First(2), &op())
        .unwrap();
    let (_, attempt) = begin_attempt(&*store, order.id, "st1", &op())
        .unwrap()
        .unwrap();
    store
        .attempt_failed(attempt, "encode: chip 100% mute_ish", &op())
        .unwrap();
    let failed = CardQuery {
        states: vec![CardState::Failed],
        reason: Some("100% MUTE_".into()),
        ..Default::default()
    };
    let f = store.search_cards(&failed, &Page::default()).unwrap();
    assert_eq!(f.total, 1, "reason text matched literally, any case");
    let of_order = CardQuery {
        order: Some(order.id),
        ..Default::default()
    };
    assert_eq!(
        store
            .search_cards(&of_order, &Page::default())
            .unwrap()
            .total,
        2
    );
    // Bad pages are refused with the fix.
    let bad = store.search_cards(
        &CardQuery::default(),
        &Page {
            limit: 0,
            ..Page::default()
        },
    );
    assert!(matches!(bad, Err(StoreError::InvalidQuery(_))));
}

/// Conformance case.
pub fn orders_select_by_search_exact_count_or_dry_run(db: &dyn TestDatabase) {
    let store = db.open();
    let all = requests(&*store);
    let bob = CardQuery {
        requester: Some("Bob".into()),
        ..Default::default()
    };
    let bobs: Vec<String> = all
        .iter()
        .filter(|c| c.request.requester.as_deref() == Some("Bob"))
        .map(|c| c.number.clone())
        .collect();
    // A dry run changes nothing.
    let selection = OrderSelection::Matching {
        query: Box::new(bob.clone()),
        first: None,
        allow_fewer: false,
    };
    let preview = store.preview_order(&selection).unwrap();
    assert_eq!(numbers(&preview), bobs);
    assert_eq!(store.list_orders().unwrap().len(), 0);
    assert!(
        store
            .list_cards(&CardFilter::default())
            .unwrap()
            .iter()
            .all(|c| c.state == CardState::Requested)
    );
    // More than match: refused, unless fewer are allowed.
    let too_many = OrderSelection::Matching {
        query: Box::new(bob.clone()),
        first: Some(10),
        allow_fewer: false,
    };
    let e = store.create_order(&too_many, &op()).unwrap_err();
    assert!(
        matches!(e, StoreError::TooFewCards { asked: 10, found } if found == bobs.len() as u64),
        "{e}"
    );
    assert!(e.to_string().contains("--allow-fewer"));
    let fewer = OrderSelection::Matching {
        query: Box::new(bob),
        first: Some(10),
        allow_fewer: true,
    };
    let order = store
        .create_order_with(&fewer, Some("visitors"), &op())
        .unwrap();
    assert_eq!(numbers(&order.cards), bobs);
    assert_eq!(order.profile.as_deref(), Some("visitors"));
    // --first N is exact.
    let e = store
        .create_order(&OrderSelection::First(100), &op())
        .unwrap_err();
    assert!(
        matches!(e, StoreError::TooFewCards { asked: 100, .. }),
        "{e}"
    );
    let rest = store
        .create_order(&OrderSelection::AtMost(100), &op())
        .unwrap();
    assert_eq!(rest.cards.len(), all.len() - bobs.len());
}

/// Conformance case: a total counted up to a bound is exact below it and `bound + 1` above,
/// filters and pages unchanged.
pub fn search_totals_are_counted_up_to_a_bound(db: &dyn TestDatabase) {
    let store = db.open();
    requests(&*store);
    let ada = CardQuery {
        requester: Some("Ada".into()),
        ..CardQuery::default()
    };
    let bounded = |limit: u64, query: &CardQuery| {
        let page = Page {
            limit: 2,
            count_limit: Some(limit),
            ..Page::default()
        };
        store.search_cards(query, &page).unwrap()
    };
    let exact = store.search_cards(&ada, &Page::default()).unwrap().total;
    assert!(exact >= 4, "Ada has several requests: {exact}");
    assert_eq!(bounded(exact, &ada).total, exact, "at the bound: exact");
    assert_eq!(bounded(100, &ada).total, exact, "below the bound: exact");
    let over = bounded(exact - 2, &ada);
    assert_eq!(
        over.total,
        exact - 1,
        "above the bound: bound + 1 (\"more than\")"
    );
    assert_eq!(over.cards.len(), 2, "the page itself is unchanged");
    assert!(over.next.is_some());
    assert_eq!(bounded(0, &CardQuery::default()).total, 1);
    assert_eq!(bounded(20, &CardQuery::default()).total, 12);
}
