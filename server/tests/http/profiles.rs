//! The option profile chosen when issuing an order, in the console and the API.

use cardline_issuance::options::profiles;
use cardline_issuance::store::Actor;

use crate::common::*;

#[test]
fn an_order_is_issued_with_the_chosen_option_profile() {
    let c = Console::start(&requests(3, "Ada"));
    let root = Actor("root".into());
    let olga = c.login("olga");
    // One profile: no choice shown.
    profiles::default_profile(&*c.store, &root).unwrap();
    let page = c.get("/search", Some(&olga.session));
    assert!(!page.body.contains("name=\"profile\""), "{}", page.body);
    profiles::create_from(&*c.store, "night", None, &root).unwrap();
    let page = c.get("/search", Some(&olga.session));
    assert!(page.body.contains("name=\"profile\""), "{}", page.body);
    assert!(
        page.body.contains("<option value=\"night\">night</option>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("selected>default (default)"),
        "{}",
        page.body
    );
    // Issue one card with the night profile.
    let card = c
        .store
        .search_cards(&Default::default(), &Default::default())
        .unwrap()
        .cards[0]
        .number
        .clone();
    let r = c.post_form(
        "/orders",
        Some(&olga.session),
        &[
            ("csrf", &olga.csrf),
            ("select", "checked"),
            ("card", &card),
            ("profile", "night"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let orders = c.store.list_orders().unwrap();
    assert_eq!(orders[0].profile.as_deref(), Some("night"));
    // An unknown profile is refused and takes no card.
    let r = c.post_form(
        "/orders",
        Some(&olga.session),
        &[
            ("csrf", &olga.csrf),
            ("select", "matching"),
            ("profile", "<b>day</b>"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("&lt;b&gt;day&lt;/b&gt;") && !r.body.contains("<b>day"),
        "{}",
        r.body
    );
    assert_eq!(c.store.list_orders().unwrap().len(), 1);
    // The API too.
    let (t, _) = cardline_server::users::create_token(&*c.store, "olga", &root).unwrap();
    let auth = format!("Bearer {}", &*t);
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let r = c.send(
        "POST",
        "/api/v1/orders",
        &headers,
        br#"{"matching":{},"profile":"day"}"#,
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("`day`"), "{}", r.body);
    let r = c.send(
        "POST",
        "/api/v1/orders",
        &headers,
        br#"{"matching":{},"profile":"night"}"#,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["profile"], "night");
    assert_eq!(v["cards"].as_array().unwrap().len(), 2);
}
