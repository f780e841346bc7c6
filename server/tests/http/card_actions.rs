//! The card page's actions (operators): assign, withdraw, lock, each by the lifecycle rule and
//! audited as the user; the Cards page's date filters.

use cardline_issuance::model::OrderSelection;
use cardline_issuance::store::conformance::begin_attempt;
use cardline_issuance::store::{Actor, AttemptSuccess, AuditFilter};

use crate::common::*;

#[test]
fn an_operator_assigns_withdraws_and_locks_a_card_by_the_lifecycle_rule() {
    let c = Console::start(&requests(1, "Ada"));
    let root = Actor("root".into());
    let desk = Actor("desk".into());
    let order = c
        .store
        .create_order(&OrderSelection::First(1), &root)
        .unwrap();
    let (card, a) = begin_attempt(&*c.store, order.id, "st-1", &desk)
        .unwrap()
        .unwrap();
    c.store
        .attempt_succeeded(a, &AttemptSuccess::default(), &desk)
        .unwrap();
    c.store.complete_order(order.id, &root).unwrap();
    let n = card.number.clone();
    let page_path = format!("/cards/{n}");
    let olga = c.login("olga");
    let audrey = c.login("audrey");
    // The auditor sees the card, no actions.
    let page = c.get(&page_path, Some(&audrey.session));
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("/assign\""), "{}", page.body);
    let page = c.get(&page_path, Some(&olga.session));
    assert!(
        page.body.contains(&format!("action=\"/cards/{n}/assign\"")),
        "{}",
        page.body
    );
    assert!(!page.body.contains("/withdraw\""));

    // Assign, to a name with markup (escaped on the page).
    let who = "<i>Ada Lovelace</i>";
    let r = c.post_form(
        &format!("/cards/{n}/assign"),
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("to", who), ("reason", "visitor")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let now = c.store.card(&n).unwrap();
    assert_eq!(now.state.as_str(), "assigned");
    assert_eq!(now.assigned_to.as_deref(), Some(who));
    assert!(now.valid_until.is_some());
    let page = c.get(&page_path, Some(&olga.session));
    assert!(!page.body.contains(who) && page.body.contains("&lt;i&gt;Ada Lovelace"));
    assert!(page.body.contains("/withdraw\""), "{}", page.body);
    // Assigning again is refused by the lifecycle rule and changes nothing.
    let r = c.post_form(
        &format!("/cards/{n}/assign"),
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("to", "Bob")],
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(c.store.card(&n).unwrap().assigned_to.as_deref(), Some(who));
    // Withdraw.
    let r = c.post_form(
        &format!("/cards/{n}/withdraw"),
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("reason", "left early")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(c.store.card(&n).unwrap().state.as_str(), "unassigned");
    // Lock needs the confirmation and a reason.
    let lock = format!("/cards/{n}/lock");
    let r = c.post_form(
        &lock,
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("reason", "lost")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("confirmation"), "{}", r.body);
    let r = c.post_form(
        &lock,
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("confirm", "yes")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(c.store.card(&n).unwrap().state.as_str(), "unassigned");
    let r = c.post_form(
        &lock,
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("reason", "lost"), ("confirm", "yes")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(c.store.card(&n).unwrap().state.as_str(), "locked");
    let page = c.get(&page_path, Some(&olga.session));
    assert!(!page.body.contains("/lock\"") && !page.body.contains("/assign\""));
    // Audited as olga.
    let log = c
        .store
        .audit(&AuditFilter {
            card_number: Some(n.clone()),
            operator: Some("olga".into()),
            ..AuditFilter::default()
        })
        .unwrap();
    let states: Vec<_> = log.iter().filter_map(|e| e.to_state.as_deref()).collect();
    assert_eq!(states, ["assigned", "unassigned", "locked"], "{log:?}");
}

#[test]
fn the_cards_page_filters_by_request_date() {
    let c = Console::start(&requests(2, "Ada"));
    let olga = c.login("olga");
    let all = c.get("/cards?requested_from=2000-01-01", Some(&olga.session));
    assert_eq!(all.status, 200, "{}", all.body);
    assert!(all.body.contains("2 cards match"), "{}", all.body);
    let none = c.get("/cards?requested_to=2000-01-01", Some(&olga.session));
    assert!(none.body.contains("0 cards match"), "{}", none.body);
    assert!(
        none.body.contains("value=\"2000-01-01\""),
        "the filter stays in the form"
    );
    let bad = c.get("/cards?requested_from=yesterday", Some(&olga.session));
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("yesterday"), "{}", bad.body);
}
