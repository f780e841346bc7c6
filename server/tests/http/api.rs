//! The REST API: bearer tokens, roles, RFC 9457 problems, the order actions.

use cardline_issuance::store::Actor;

use crate::common::*;

pub fn token(c: &Console, user: &str) -> String {
    let (t, _) =
        cardline_server::users::create_token(&*c.store, user, &Actor("root".into())).unwrap();
    t.to_string()
}

pub fn call(
    c: &Console,
    method: &str,
    path: &str,
    token: Option<&str>,
    json: Option<&str>,
) -> (u16, serde_json::Value, Resp) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![];
    if let Some(a) = &auth {
        headers.push(("Authorization", a.as_str()));
    }
    if json.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    let r = c.send(method, path, &headers, json.unwrap_or("").as_bytes());
    let v = serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null);
    (r.status, v, r)
}

pub fn assert_problem(r: &Resp, v: &serde_json::Value, status: u16) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{r:?}"
    );
    assert_eq!(v["status"], status);
    assert!(
        v["title"].is_string() && v["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{v}"
    );
}

#[test]
fn tokens_roles_and_problems() {
    let c = Console::start(&requests(3, "Ada"));
    let olga = token(&c, "olga");
    let audrey = token(&c, "audrey");
    let adam = token(&c, "adam");
    // No token, a made-up one, a session cookie instead of a token.
    let (_, v, r) = call(&c, "GET", "/api/v1/orders", None, None);
    assert_problem(&r, &v, 401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    let (_, v, r) = call(&c, "GET", "/api/v1/orders", Some("cl_forged"), None);
    assert_problem(&r, &v, 401);
    let browser = c.login("olga");
    let r = c.get("/api/v1/orders", Some(&browser.session));
    assert_eq!(
        r.status, 401,
        "the API takes tokens, not cookies (no CSRF exposure)"
    );
    // Roles: the auditor reads, may not act; the admin may do neither.
    assert_eq!(
        call(&c, "GET", "/api/v1/orders", Some(&audrey), None).0,
        200
    );
    let (_, v, r) = call(&c, "GET", "/api/v1/orders", Some(&adam), None);
    assert_problem(&r, &v, 403);
    let (_, v, r) = call(
        &c,
        "POST",
        "/api/v1/orders",
        Some(&audrey),
        Some(r#"{"matching":{}}"#),
    );
    assert_problem(&r, &v, 403);
    assert!(c.store.list_orders().unwrap().is_empty());
    // Bad bodies.
    let (_, v, r) = call(&c, "POST", "/api/v1/orders", Some(&olga), Some("{not json"));
    assert_problem(&r, &v, 400);
    let (_, v, r) = call(
        &c,
        "POST",
        "/api/v1/orders",
        Some(&olga),
        Some(r#"{"cards":["X"],"matching":{}}"#),
    );
    assert_problem(&r, &v, 422);
    let (_, v, r) = call(
        &c,
        "POST",
        "/api/v1/orders",
        Some(&olga),
        Some(r#"{"matching":{"colour":"red"}}"#),
    );
    assert_problem(&r, &v, 422);
    let big = format!(r#"{{"cards":["{}"]}}"#, "9".repeat(100 * 1024));
    let (status, _, _) = call(&c, "POST", "/api/v1/orders", Some(&olga), Some(&big));
    assert_eq!(status, 413);
    let (_, v, r) = call(&c, "GET", "/api/v1/orders/77", Some(&olga), None);
    assert_problem(&r, &v, 404);
    let (_, v, r) = call(&c, "GET", "/api/v1/nothing", Some(&olga), None);
    assert_problem(&r, &v, 404);
    // axum's own rejections answer as problems too: a path parameter that is not a number,
    // a method the route does not take (its Allow header kept), a body over the limit.
    let (_, v, r) = call(&c, "GET", "/api/v1/orders/seven", Some(&olga), None);
    assert_problem(&r, &v, 400);
    assert!(v["detail"].as_str().unwrap().contains("seven"), "{v}");
    let (_, v, r) = call(&c, "DELETE", "/api/v1/orders", Some(&olga), None);
    assert_problem(&r, &v, 405);
    assert!(
        r.header("allow").is_some_and(|a| a.contains("GET")),
        "{r:?}"
    );
    let (_, v, r) = call(&c, "POST", "/api/v1/orders", Some(&olga), Some(&big));
    assert_problem(&r, &v, 413);
    // A revoked token and a disabled user's token are refused.
    let id = c.store.api_tokens(Some("audrey")).unwrap()[0].id;
    c.store.revoke_api_token(id, &Actor("root".into())).unwrap();
    assert_eq!(
        call(&c, "GET", "/api/v1/orders", Some(&audrey), None).0,
        401
    );
    c.store
        .set_user_disabled("olga", true, &Actor("root".into()))
        .unwrap();
    assert_eq!(call(&c, "GET", "/api/v1/orders", Some(&olga), None).0, 401);
}

#[test]
fn an_integrator_searches_orders_releases_and_cancels() {
    let mut rows = requests(3, "Ada");
    rows.extend(requests(2, "Bob"));
    let c = Console::start(&rows);
    let t = token(&c, "olga");
    let (status, page, _) = call(
        &c,
        "GET",
        "/api/v1/cards/requested?requester=bob&limit=1",
        Some(&t),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(page["total"], 2);
    assert_eq!(page["cards"].as_array().unwrap().len(), 1);
    assert!(page["next"].is_string());
    let (status, v, r) = call(&c, "GET", "/api/v1/cards/requested?limit=0", Some(&t), None);
    assert_problem(&r, &v, 422);
    assert_eq!(status, 422);
    let first = page["cards"][0]["number"].as_str().unwrap().to_string();
    let (status, order, r) = call(
        &c,
        "POST",
        "/api/v1/orders",
        Some(&t),
        Some(&format!(r#"{{"cards":["{first}"]}}"#)),
    );
    assert_eq!(status, 201, "{}", r.body);
    let id = order["id"].as_i64().unwrap();
    assert_eq!(order["created_by"], "olga");
    let (status, order, _) = call(
        &c,
        "POST",
        "/api/v1/orders",
        Some(&t),
        Some(r#"{"matching":{"requester":"ada"},"first":2}"#),
    );
    assert_eq!(status, 201);
    assert_eq!(order["cards"].as_array().unwrap().len(), 2);
    let (status, released, _) = call(
        &c,
        "POST",
        &format!("/api/v1/orders/{id}/release"),
        Some(&t),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(released["released_by"], "olga");
    let (_, v, r) = call(
        &c,
        "POST",
        &format!("/api/v1/orders/{id}/release"),
        Some(&t),
        None,
    );
    assert_problem(&r, &v, 409);
    let (status, shown, _) = call(&c, "GET", &format!("/api/v1/orders/{id}"), Some(&t), None);
    assert_eq!(status, 200);
    assert_eq!(shown["outcome"]["waiting"], 1);
    let (status, cancelled, _) = call(
        &c,
        "POST",
        &format!("/api/v1/orders/{id}/cancel"),
        Some(&t),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(cancelled["state"], "cancelled");
    let (status, list, _) = call(&c, "GET", "/api/v1/orders", Some(&t), None);
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 2);
    // The auditor reads the audit through the API; the operator may not.
    let auditor = token(&c, "audrey");
    let (status, entries, _) = call(
        &c,
        "GET",
        &format!("/api/v1/audit?order={id}&action=order.release"),
        Some(&auditor),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(entries.as_array().unwrap().len(), 1, "{entries}");
    assert_eq!(entries[0]["operator"], "olga");
    let (_, v, r) = call(&c, "GET", "/api/v1/audit", Some(&t), None);
    assert_problem(&r, &v, 403);
    // Audited as the token's user.
    let audit = c.store.audit(&Default::default()).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "order.release" && e.operator == "olga")
    );
    // The token itself is never stored or audited.
    assert!(
        audit
            .iter()
            .all(|e| !e.reason.as_deref().unwrap_or("").contains(&t[3..]))
    );
    assert!(
        c.store.api_token_by_hash(&t).unwrap().is_none(),
        "stored hashed, not as is"
    );
}

/// Every `/api/v1` route but the OpenAPI document: method, path, body, the users allowed.
pub fn api_routes(
    id: i64,
    card: &str,
) -> Vec<(
    &'static str,
    String,
    Option<&'static str>,
    &'static [&'static str],
)> {
    let body = r#"{"matching":{}}"#;
    vec![
        ("GET", "/api/v1/orders".into(), None, &["olga", "audrey"]),
        (
            "GET",
            format!("/api/v1/orders/{id}"),
            None,
            &["olga", "audrey"],
        ),
        ("POST", "/api/v1/orders".into(), Some(body), &["olga"]),
        (
            "POST",
            format!("/api/v1/orders/{id}/release"),
            None,
            &["olga"],
        ),
        (
            "POST",
            format!("/api/v1/orders/{id}/complete"),
            None,
            &["olga"],
        ),
        (
            "POST",
            format!("/api/v1/orders/{id}/cancel"),
            None,
            &["olga"],
        ),
        (
            "POST",
            format!("/api/v1/orders/{id}/repeat"),
            Some("{}"),
            &["olga"],
        ),
        ("GET", "/api/v1/cards/requested".into(), None, &["olga"]),
        ("GET", "/api/v1/cards".into(), None, &["olga", "audrey"]),
        (
            "GET",
            format!("/api/v1/cards/{card}"),
            None,
            &["olga", "audrey"],
        ),
        ("GET", "/api/v1/audit".into(), None, &["audrey"]),
        (
            "GET",
            "/api/v1/stations".into(),
            None,
            &["olga", "audrey", "adam"],
        ),
        (
            "POST",
            format!("/api/v1/cards/{card}/assign"),
            Some(r#"{"to":"Ada"}"#),
            &["olga"],
        ),
        (
            "POST",
            format!("/api/v1/cards/{card}/withdraw"),
            None,
            &["olga"],
        ),
        (
            "POST",
            format!("/api/v1/cards/{card}/lock"),
            Some(r#"{"reason":"lost","confirm":true}"#),
            &["olga"],
        ),
        ("GET", "/api/v1/users".into(), None, &["adam"]),
        (
            "POST",
            "/api/v1/users".into(),
            Some(r#"{"name":"mallory","role":"admin","password":"a fine long password"}"#),
            &["adam"],
        ),
        ("POST", "/api/v1/users/olga/disable".into(), None, &["adam"]),
        (
            "POST",
            "/api/v1/users/audrey/enable".into(),
            None,
            &["adam"],
        ),
        (
            "POST",
            "/api/v1/users/olga/password".into(),
            Some(r#"{"password":"a fine long password"}"#),
            &["adam"],
        ),
        ("GET", "/api/v1/users/olga/tokens".into(), None, &["adam"]),
        ("POST", "/api/v1/users/olga/tokens".into(), None, &["adam"]),
        (
            "DELETE",
            "/api/v1/users/olga/tokens/1".into(),
            None,
            &["adam"],
        ),
        ("GET", "/api/v1/options".into(), None, &["adam"]),
        (
            "POST",
            "/api/v1/options".into(),
            Some(r#"{"name":"night"}"#),
            &["adam"],
        ),
        ("GET", "/api/v1/options/default".into(), None, &["adam"]),
        (
            "PUT",
            "/api/v1/options/default".into(),
            Some(r#"{"set":{"validity_days":3}}"#),
            &["adam"],
        ),
        (
            "POST",
            "/api/v1/options/default/default".into(),
            None,
            &["adam"],
        ),
        ("GET", "/api/v1/options/default/log".into(), None, &["adam"]),
        (
            "POST",
            "/api/v1/stations/s1/resume".into(),
            None,
            &["olga", "adam"],
        ),
    ]
}

#[test]
fn every_api_route_refuses_no_token_a_forged_revoked_or_disabled_users_token_and_the_wrong_role() {
    let c = Console::start(&requests(2, "Ada"));
    let order = c
        .store
        .create_order(
            &cardline_issuance::model::OrderSelection::First(1),
            &Actor("root".into()),
        )
        .unwrap();
    let id = order.id;
    cardline_issuance::options::profiles::default_profile(&*c.store, &Actor("root".into()))
        .unwrap();
    let olga = token(&c, "olga");
    let audrey = token(&c, "audrey");
    let adam = token(&c, "adam");
    let revoked = token(&c, "olga");
    let revoked_id = c.store.api_tokens(Some("olga")).unwrap()[1].id;
    c.store
        .revoke_api_token(revoked_id, &Actor("root".into()))
        .unwrap();
    // An admin's token whose user is then disabled.
    let root = Actor("root".into());
    cardline_server::users::add(
        &*c.store,
        "dora",
        cardline_issuance::store::users::Role::Admin,
        PASSWORD.into(),
        &root,
    )
    .unwrap();
    let disabled = token(&c, "dora");
    c.store.set_user_disabled("dora", true, &root).unwrap();
    let card_before = c.store.card(&order.cards[0].number).unwrap();
    let routes = api_routes(id, &order.cards[0].number);
    for (method, path, json, allowed) in &routes {
        for bad in [
            None,
            Some("cl_forged"),
            Some(revoked.as_str()),
            Some(disabled.as_str()),
            Some(""),
        ] {
            let (_, v, r) = call(&c, method, path, bad, *json);
            assert_problem(&r, &v, 401);
        }
        for (name, t) in [("olga", &olga), ("audrey", &audrey), ("adam", &adam)] {
            if allowed.contains(&name) {
                continue;
            }
            let (_, v, r) = call(&c, method, path, Some(t), *json);
            assert_problem(&r, &v, 403);
            assert!(
                v["detail"].as_str().unwrap().contains("may not do this"),
                "{method} {path}: {v}"
            );
        }
        // A cookie session is no key to the API.
        let b = c.login("olga");
        let r = c.send(
            method,
            path,
            &[("Cookie", &format!("cardline_session={}", b.session))],
            b"",
        );
        assert_eq!(r.status, 401, "{method} {path}");
    }
    // Nothing changed.
    let users = c.store.users().unwrap();
    assert_eq!(users.len(), 4);
    assert!(users.iter().all(|u| u.disabled == (u.name == "dora")));
    assert_eq!(c.store.api_tokens(None).unwrap().len(), 5);
    assert_eq!(c.store.option_profiles().unwrap().len(), 1);
    assert_eq!(c.store.card(&order.cards[0].number).unwrap(), card_before);
    let now = c.store.order_header(id).unwrap();
    assert_eq!(now.state.as_str(), "open");
    assert!(now.released_at.is_none());
    assert_eq!(c.store.list_orders().unwrap().len(), 1);
    // The allowed users get in.
    for (method, path, json, allowed) in &routes {
        if *method == "GET" {
            for name in *allowed {
                let t = match *name {
                    "olga" => &olga,
                    "audrey" => &audrey,
                    _ => &adam,
                };
                assert_eq!(
                    call(&c, method, path, Some(t), *json).0,
                    200,
                    "{method} {path} by {name}"
                );
            }
        }
    }
}
