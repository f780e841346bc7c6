//! The operator's flow through the pages: search, tick, issue, the order page, Next,
//! Complete (with its confirmation), Cancel — each audited as the logged-in user.

use cardline_issuance::model::OrderId;
use cardline_issuance::store::AuditFilter;

use crate::common::*;

fn order_id(location: &str) -> OrderId {
    location.trim_start_matches("/orders/").parse().unwrap()
}

#[test]
fn search_tick_issue_release_and_complete_as_the_logged_in_operator() {
    let mut rows = requests(3, "Ada");
    rows.extend(requests(2, "Bob"));
    let c = Console::start(&rows);
    let olga = c.login("olga");
    let all = c.get("/search", Some(&olga.session));
    assert_eq!(all.status, 200);
    assert!(all.body.contains("5 requested cards match"), "{}", all.body);
    let ada = c.get("/search?requester=ada", Some(&olga.session));
    assert!(ada.body.contains("3 requested cards match"), "{}", ada.body);
    // Tick two of Ada's cards.
    let ada_cards: Vec<String> = ada
        .body
        .match_indices("name=\"card\" value=\"")
        .map(|(i, m)| {
            ada.body[i + m.len()..]
                .split('"')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ada_cards.len(), 3);
    let r = c.post_form(
        "/orders",
        Some(&olga.session),
        &[
            ("csrf", &olga.csrf),
            ("select", "checked"),
            ("card", &ada_cards[0]),
            ("card", &ada_cards[2]),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let id = order_id(r.header("location").unwrap());
    let order = c.store.order(id).unwrap();
    let numbers: Vec<&str> = order.cards.iter().map(|c| c.number.as_str()).collect();
    assert_eq!(numbers, [ada_cards[0].as_str(), ada_cards[2].as_str()]);
    assert_eq!(order.created_by, "olga");
    // The order page lists its cards and offers Next.
    let page = c.get(&format!("/orders/{id}"), Some(&olga.session));
    assert!(page.body.contains(&ada_cards[0]) && !page.body.contains(&ada_cards[1]));
    assert!(page.body.contains("Next: release to the desks"));
    // Next.
    let r = c.post_form(
        &format!("/orders/{id}/release"),
        Some(&olga.session),
        &[("csrf", &olga.csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let released = c.store.order_header(id).unwrap();
    assert_eq!(released.released_by.as_deref(), Some("olga"));
    let page = c.get(&format!("/orders/{id}"), Some(&olga.session));
    assert!(!page.body.contains("Next: release"), "released once");
    // Releasing again is refused with the store's reason.
    let r = c.post_form(
        &format!("/orders/{id}/release"),
        Some(&olga.session),
        &[("csrf", &olga.csrf)],
    );
    assert_eq!(r.status, 409, "{}", r.body);
    // The list shows it.
    let list = c.get("/orders", Some(&olga.session));
    assert!(list.body.contains(&format!("/orders/{id}")));
    // Complete without the confirmation is refused; with it, the store decides (the cards
    // were not produced, so it refuses to complete with cards still waiting).
    let r = c.post_form(
        &format!("/orders/{id}/complete"),
        Some(&olga.session),
        &[("csrf", &olga.csrf)],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("All is well"));
    let r = c.post_form(
        &format!("/orders/{id}/complete"),
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("confirm", "yes")],
    );
    assert_eq!(
        c.store.order_header(id).unwrap().state.as_str() == "completed",
        r.status == 303,
        "{} {}",
        r.status,
        r.body
    );
    // Audited as olga.
    let audit = c
        .store
        .audit(&AuditFilter {
            order_id: Some(id),
            ..AuditFilter::default()
        })
        .unwrap();
    for action in ["order.create", "order.release"] {
        assert!(
            audit
                .iter()
                .any(|e| e.action == action && e.operator == "olga"),
            "{action}: {audit:?}"
        );
    }
}

#[test]
fn issue_all_matching_then_cancel_returns_the_cards_to_the_search() {
    let mut rows = requests(4, "Ada");
    rows.extend(requests(2, "Bob"));
    let c = Console::start(&rows);
    let olga = c.login("olga");
    let r = c.post_form(
        "/orders",
        Some(&olga.session),
        &[
            ("csrf", &olga.csrf),
            ("select", "matching"),
            ("requester", "bob"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let id = order_id(r.header("location").unwrap());
    assert_eq!(c.store.order(id).unwrap().cards.len(), 2);
    let left = c.get("/search", Some(&olga.session));
    assert!(
        left.body.contains("4 requested cards match"),
        "{}",
        left.body
    );
    // Nothing ticked: a clear refusal, no order.
    let r = c.post_form(
        "/orders",
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("select", "checked")],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("No card is ticked"));
    // A card already in an order cannot be ticked into another.
    let taken = c.store.order(id).unwrap().cards[0].number.clone();
    let r = c.post_form(
        "/orders",
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("card", &taken)],
    );
    assert_eq!(r.status, 409, "{}", r.body);
    // Cancel.
    let r = c.post_form(
        &format!("/orders/{id}/cancel"),
        Some(&olga.session),
        &[("csrf", &olga.csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        c.store.order_header(id).unwrap().state.as_str(),
        "cancelled"
    );
    let back = c.get("/search", Some(&olga.session));
    assert!(
        back.body.contains("6 requested cards match"),
        "{}",
        back.body
    );
    // An auditor reads the order page without any action button.
    let audrey = c.login("audrey");
    let page = c.get(&format!("/orders/{id}"), Some(&audrey.session));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("cancelled") && !page.body.contains("Cancel order"));
    let audit = c
        .store
        .audit(&AuditFilter {
            order_id: Some(id),
            ..AuditFilter::default()
        })
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action.starts_with("order.cancel") && e.operator == "olga"),
        "{audit:?}"
    );
}

#[test]
fn the_auditor_finds_an_order_in_the_audit_by_user_order_and_action() {
    let c = Console::start(&requests(2, "<b>Ada</b>"));
    let olga = c.login("olga");
    let r = c.post_form(
        "/orders",
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("select", "matching")],
    );
    let id = order_id(r.header("location").unwrap());
    let r = c.post_form(
        &format!("/orders/{id}/release"),
        Some(&olga.session),
        &[("csrf", &olga.csrf)],
    );
    assert_eq!(r.status, 303);
    let audrey = c.login("audrey");
    let page = c.get(
        &format!("/audit?order={id}&user=olga&action=order."),
        Some(&audrey.session),
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("order.create") && page.body.contains("order.release"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("login"),
        "filtered by action: {}",
        page.body
    );
    let logins = c.get("/audit?action=login", Some(&audrey.session));
    assert!(
        logins.body.contains(">olga<") && logins.body.contains(">audrey<"),
        "{}",
        logins.body
    );
    let bad = c.get("/audit?order=seven", Some(&audrey.session));
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("`seven` is not an order number"),
        "{}",
        bad.body
    );
}

#[test]
fn repeat_production_takes_the_failed_and_the_ticked_misprinted_cards() {
    use cardline_issuance::store::conformance::begin_attempt;
    use cardline_issuance::store::{Actor, AttemptSuccess};
    let c = Console::start(&requests(3, "Ada"));
    let desk = Actor("desk".into());
    let olga = c.login("olga");
    let r = c.post_form(
        "/orders",
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("select", "matching")],
    );
    let id = order_id(r.header("location").unwrap());
    // A desk produces two cards: the first fails (a jam), the second comes out.
    let (failed, a) = begin_attempt(&*c.store, id, "st-1", &desk)
        .unwrap()
        .unwrap();
    c.store
        .attempt_failed(a, "jam at the contact station", &desk)
        .unwrap();
    let (printed, b) = begin_attempt(&*c.store, id, "st-1", &desk)
        .unwrap()
        .unwrap();
    c.store
        .attempt_succeeded(b, &AttemptSuccess::default(), &desk)
        .unwrap();
    let page = c.get(&format!("/orders/{id}"), Some(&olga.session));
    assert!(
        page.body.contains("jam at the contact station"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("name=\"misprinted\" value=\"{}\"", printed.number)),
        "{}",
        page.body
    );
    // Repeat with the printed card ticked as misprinted.
    let r = c.post_form(
        &format!("/orders/{id}/repeat"),
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("misprinted", &printed.number)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    for number in [&failed.number, &printed.number] {
        assert_eq!(
            c.store.card(number).unwrap().state.as_str(),
            "in_production",
            "{number}"
        );
    }
    assert_eq!(c.store.order_outcome(id).unwrap().waiting, 3);
    // A card of another order cannot be named misprinted.
    let r = c.post_form(
        &format!("/orders/{id}/repeat"),
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("misprinted", "TMP999")],
    );
    assert!(
        r.status == 404 || r.status == 409 || r.status == 422,
        "{} {}",
        r.status,
        r.body
    );
    let audit = c
        .store
        .audit(&AuditFilter {
            order_id: Some(id),
            ..AuditFilter::default()
        })
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action.starts_with("order.repeat") && e.operator == "olga"),
        "{audit:?}"
    );
}

#[test]
fn a_paused_station_is_shown_with_its_reason_and_resumed_as_the_user() {
    use cardline_issuance::store::Actor;
    let c = Console::start(&[]);
    c.store
        .pause_station(
            "front-1",
            "the cover is open: close it",
            None,
            &Actor("desk".into()),
        )
        .unwrap();
    let audrey = c.login("audrey");
    let page = c.get("/stations", Some(&audrey.session));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("front-1") && page.body.contains("the cover is open"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Resume"),
        "an auditor gets no Resume button"
    );
    let olga = c.login("olga");
    let page = c.get("/stations", Some(&olga.session));
    assert!(page.body.contains("/stations/front-1/resume"));
    let r = c.post_form(
        "/stations/front-1/resume",
        Some(&olga.session),
        &[("csrf", &olga.csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(c.store.station_pause("front-1").unwrap().is_none());
    let r = c.post_form(
        "/stations/front-1/resume",
        Some(&olga.session),
        &[("csrf", &olga.csrf)],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("is not paused"));
    let audit = c
        .store
        .audit(&AuditFilter {
            operator: Some("olga".into()),
            ..AuditFilter::default()
        })
        .unwrap();
    assert!(
        audit.iter().any(|e| e.action.starts_with("station.resume")),
        "{audit:?}"
    );
}

#[test]
fn a_card_shows_its_attempts_and_audit_trail_and_cards_are_searched_in_every_state() {
    use cardline_issuance::store::Actor;
    use cardline_issuance::store::conformance::begin_attempt;
    let c = Console::start(&requests(3, "<i>Ada</i>"));
    let desk = Actor("desk".into());
    let olga = c.login("olga");
    let r = c.post_form(
        "/orders",
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("select", "matching")],
    );
    let id = order_id(r.header("location").unwrap());
    let (card, a) = begin_attempt(&*c.store, id, "st-1", &desk)
        .unwrap()
        .unwrap();
    c.store.attempt_failed(a, "ribbon <torn>", &desk).unwrap();
    let audrey = c.login("audrey");
    let failed = c.get("/cards?state=failed", Some(&audrey.session));
    assert_eq!(failed.status, 200, "{}", failed.body);
    assert!(
        failed.body.contains("1 cards match") && failed.body.contains(&card.number),
        "{}",
        failed.body
    );
    let all = c.get("/cards", Some(&audrey.session));
    assert!(all.body.contains("3 cards match"), "{}", all.body);
    let bad = c.get("/cards?state=lost", Some(&audrey.session));
    assert_eq!(bad.status, 422);
    let page = c.get(&format!("/cards/{}", card.number), Some(&audrey.session));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("st-1") && page.body.contains("ribbon &lt;torn&gt;"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("&lt;i&gt;Ada&lt;/i&gt;") && !page.body.contains("<i>Ada"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("card.add_to_order") || page.body.contains("order"),
        "{}",
        page.body
    );
    assert_eq!(c.get("/cards/TMP404", Some(&audrey.session)).status, 404);
}
