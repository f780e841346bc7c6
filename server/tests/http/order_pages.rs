//! The order page of a large order in pages of a hundred cards: every card on exactly one
//! page, in production order, with page links; the live stream follows the page shown.

use crate::common::*;

/// The card numbers a page lists (its `card-state-…` cells), in order.
fn listed(body: &str) -> Vec<String> {
    body.match_indices("id=\"card-state-")
        .map(|(i, m)| body[i + m.len()..].split('"').next().unwrap().to_string())
        .collect()
}

#[test]
fn an_order_of_250_cards_is_listed_in_three_pages_each_card_once() {
    let c = Console::start(&requests(250, "Ada"));
    let olga = c.login("olga");
    let order = c
        .store
        .create_order(
            &cardline_issuance::model::OrderSelection::All,
            &cardline_issuance::store::Actor("olga".into()),
        )
        .unwrap();
    let id = order.id;
    let mut seen = Vec::new();
    for page in 1..=3 {
        let r = c.get(&format!("/orders/{id}?page={page}"), Some(&olga.session));
        assert_eq!(r.status, 200, "{}", r.body);
        let cards = listed(&r.body);
        assert_eq!(cards.len(), if page < 3 { 100 } else { 50 }, "page {page}");
        assert!(
            r.body
                .contains(&format!("data-live=\"/orders/{id}/events?page={page}\"")),
            "the live stream of page {page}"
        );
        assert_eq!(
            r.body
                .contains(&format!("href=\"/orders/{id}?page={}\"", page + 1)),
            page < 3,
            "a Next link on page {page} unless it is the last"
        );
        assert!(
            r.body.contains("id=\"out-total\">250<"),
            "counts of the whole order"
        );
        seen.extend(cards);
    }
    let all: Vec<String> = order.cards.iter().map(|c| c.number.clone()).collect();
    assert_eq!(seen, all, "every card once, in production order");
    // Without `page`: the first page; past the end: no card, and a way back.
    let first = c.get(&format!("/orders/{id}"), Some(&olga.session));
    assert_eq!(listed(&first.body), all[..100].to_vec());
    let past = c.get(&format!("/orders/{id}?page=9"), Some(&olga.session));
    assert_eq!(past.status, 200);
    assert!(listed(&past.body).is_empty());
    assert!(past.body.contains(&format!("href=\"/orders/{id}?page=3\"")));
    for bad in ["0", "x", "-1"] {
        let r = c.get(&format!("/orders/{id}?page={bad}"), Some(&olga.session));
        assert_eq!(r.status, 422, "page={bad}");
        assert!(r.body.contains("not a page number"), "{}", r.body);
    }
}
