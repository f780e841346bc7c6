//! Every route refuses no session, a foreign session, the wrong role and a missing or foreign
//! CSRF token; user text is escaped; every response carries the CSP.

use cardline_issuance::model::OrderSelection;
use cardline_issuance::store::Actor;

use crate::common::*;

/// The console's routes: method, path, the users (by role) who may use it.
fn routes(
    order: i64,
    card: &str,
    token: i64,
) -> Vec<(&'static str, String, &'static [&'static str])> {
    const ALL: &[&str] = &["olga", "audrey", "adam"];
    const READERS: &[&str] = &["olga", "audrey"];
    const OPERATOR: &[&str] = &["olga"];
    const ADMIN: &[&str] = &["adam"];
    vec![
        ("GET", "/".into(), ALL),
        ("GET", "/orders".into(), READERS),
        ("GET", format!("/orders/{order}"), READERS),
        ("GET", format!("/orders/{order}/events"), READERS),
        ("GET", "/search".into(), OPERATOR),
        ("GET", "/audit".into(), &["audrey"]),
        ("GET", "/stations".into(), ALL),
        ("GET", "/stations/events".into(), ALL),
        ("GET", "/cards".into(), READERS),
        ("GET", format!("/cards/{card}"), READERS),
        ("POST", "/stations/st-1/resume".into(), &["olga", "adam"]),
        ("POST", "/orders".into(), OPERATOR),
        ("POST", format!("/orders/{order}/release"), OPERATOR),
        ("POST", format!("/orders/{order}/complete"), OPERATOR),
        ("POST", format!("/orders/{order}/cancel"), OPERATOR),
        ("POST", format!("/orders/{order}/repeat"), OPERATOR),
        ("POST", "/logout".into(), ALL),
        ("POST", format!("/cards/{card}/assign"), OPERATOR),
        ("POST", format!("/cards/{card}/withdraw"), OPERATOR),
        ("POST", format!("/cards/{card}/lock"), OPERATOR),
        ("GET", "/options".into(), ADMIN),
        ("POST", "/options/default/set".into(), ADMIN),
        ("GET", "/users".into(), ADMIN),
        ("POST", "/users".into(), ADMIN),
        ("POST", "/users/olga/disable".into(), ADMIN),
        ("POST", "/users/audrey/enable".into(), ADMIN),
        ("POST", "/users/olga/password".into(), ADMIN),
        ("POST", "/users/olga/tokens".into(), ADMIN),
        ("POST", format!("/users/olga/tokens/{token}/revoke"), ADMIN),
        ("POST", "/options".into(), ADMIN),
        ("POST", "/options/default/edit".into(), ADMIN),
        ("POST", "/options/default/default".into(), ADMIN),
    ]
}

fn send(
    c: &Console,
    method: &str,
    path: &str,
    session: Option<&str>,
    form: &[(&str, &str)],
) -> Resp {
    if method == "GET" {
        c.get(path, session)
    } else {
        c.post_form(path, session, form)
    }
}

#[test]
fn every_route_refuses_no_session_a_foreign_session_the_wrong_role_and_a_bad_csrf_token() {
    let c = Console::start(&requests(3, "visitor desk"));
    let order = c
        .store
        .create_order(&OrderSelection::First(1), &Actor("root".into()))
        .unwrap();
    c.store
        .pause_station("st-1", "ribbon out", None, &Actor("desk".into()))
        .unwrap();
    let (_, token) =
        cardline_server::users::create_token(&*c.store, "olga", &Actor("root".into())).unwrap();
    let other = Console::start(&[]);
    let foreign = other.login("olga"); // a real session, of a server over another database
    let olga = c.login("olga");
    let audrey = c.login("audrey");
    let adam = c.login("adam");
    let ended = c.login("olga");
    assert_eq!(
        c.post_form("/logout", Some(&ended.session), &[("csrf", &ended.csrf)])
            .status,
        303
    );

    for (method, path, allowed) in routes(order.id, &order.cards[0].number, token.id) {
        let what = format!("{method} {path}");
        let card = order.cards[0].number.clone();
        let valid = |b: &Browser| -> Vec<(String, String)> {
            vec![
                ("csrf".into(), b.csrf.clone()),
                ("card".into(), card.clone()),
                ("confirm".into(), "yes".into()),
                ("toml".into(), "validity_days = 3\n".into()),
            ]
        };
        let olga_form = valid(&olga);
        let f: Vec<(&str, &str)> = olga_form
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        // No session, a made-up one, one of another server, one that logged out: to the login.
        for session in [
            None,
            Some("0".repeat(64).as_str()),
            Some(foreign.session.as_str()),
            Some(ended.session.as_str()),
        ] {
            let r = send(&c, method, &path, session, &f);
            assert_eq!(r.status, 303, "{what} with session {session:?}: {}", r.body);
            assert_eq!(r.header("location"), Some("/login"), "{what}");
        }
        // The wrong role.
        let users = [("olga", &olga), ("audrey", &audrey), ("adam", &adam)];
        for (name, b) in users.iter().filter(|(n, _)| !allowed.contains(n)) {
            let form = valid(b);
            let f: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let r = send(&c, method, &path, Some(&b.session), &f);
            assert_eq!(r.status, 403, "{what} by {name}: {}", r.body);
            assert!(r.body.contains("may not do this"), "{what}: {}", r.body);
        }
        // The right roles read the pages (the event stream never ends: tests/http/live.rs).
        if method == "GET" && !path.ends_with("/events") {
            for (name, b) in users.iter().filter(|(n, _)| allowed.contains(n)) {
                let r = c.get(&path, Some(&b.session));
                assert_eq!(r.status, 200, "{what} by {name}: {}", r.body);
            }
        }
        if method == "POST" {
            // No CSRF token, and the token of another session.
            // As a user the route allows, so the token is what is refused.
            let (me, other) = if allowed.contains(&"olga") {
                (&olga, &audrey)
            } else {
                (&adam, &audrey)
            };
            let no_csrf: Vec<(&str, &str)> = f
                .iter()
                .copied()
                .filter(|(k, _)| *k != "csrf")
                .chain([("password", "a fine new password"), ("name", "mallory")])
                .collect();
            let r = c.post_form(&path, Some(&me.session), &no_csrf);
            assert_eq!(r.status, 403, "{what} without CSRF: {}", r.body);
            assert!(r.body.contains("security token"), "{what}: {}", r.body);
            let mut foreign_csrf = no_csrf.clone();
            foreign_csrf.push(("csrf", other.csrf.as_str()));
            let r = c.post_form(&path, Some(&me.session), &foreign_csrf);
            assert_eq!(
                r.status, 403,
                "{what} with another session's CSRF: {}",
                r.body
            );
        }
    }
    // Nothing was done by any refused request: the order is open, not released, olga still
    // logged in, and no second order exists.
    assert!(
        c.store.station_pause("st-1").unwrap().is_some(),
        "still paused"
    );
    let now = c.store.order_header(order.id).unwrap();
    assert_eq!(now.state.as_str(), "open");
    assert!(now.released_at.is_none());
    assert_eq!(c.store.list_orders().unwrap().len(), 1);
    assert_eq!(c.get("/orders", Some(&olga.session)).status, 200);
    // No user added, disabled or given a new password.
    let users = c.store.users().unwrap();
    assert_eq!(users.len(), 3, "{users:?}");
    assert!(users.iter().all(|u| !u.disabled));
    c.login("olga"); // the old password still works
    // No token created or revoked, no profile created, edited or made the default.
    let tokens = c.store.api_tokens(None).unwrap();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert!(tokens[0].revoked_at.is_none());
    assert!(c.store.option_profile("mallory").unwrap().is_none());
    assert!(
        c.store
            .option_log(None, None)
            .unwrap()
            .iter()
            .all(|e| e.operator != "adam")
    );
}

#[test]
fn a_requester_named_like_a_script_is_escaped_everywhere() {
    let evil = "<script>alert(1)</script>";
    let c = Console::start(&requests(2, evil));
    let olga = c.login("olga");
    let search = c.get("/search", Some(&olga.session));
    assert_eq!(search.status, 200);
    assert!(!search.body.contains(evil), "raw script in the search page");
    assert!(
        search
            .body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        search.body
    );
    // The same text as a filter value is escaped in the form too.
    let q = format!(
        "/search?requester={}",
        encode(&[("x", evil)]).trim_start_matches("x=")
    );
    let filtered = c.get(&q, Some(&olga.session));
    assert!(!filtered.body.contains(evil));
    assert!(
        filtered.body.contains("2 requested cards match"),
        "{}",
        filtered.body
    );
    // And on the order page.
    let r = c.post_form(
        "/orders",
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("select", "matching")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = c.get(r.header("location").unwrap(), Some(&olga.session));
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(evil));
    assert!(page.body.contains("&lt;script&gt;"));
    // A user name with markup cannot even be created.
    let e = cardline_server::users::add(
        &*c.store,
        evil,
        cardline_issuance::store::users::Role::Admin,
        PASSWORD.into(),
        &Actor("root".into()),
    );
    assert!(e.is_err());
}

#[test]
fn every_response_carries_a_csp_without_unsafe_inline_and_no_sniffing() {
    let c = Console::start(&requests(1, "r"));
    let olga = c.login("olga");
    let adam = c.login("adam");
    let responses = [
        c.get("/login", None),
        c.get("/orders", None),
        c.get("/orders", Some(&olga.session)),
        c.get("/search", Some(&olga.session)),
        c.get("/search", Some(&adam.session)),
        c.get("/static/console.css", None),
        c.get("/orders/999", Some(&olga.session)),
        c.get("/api/v1/orders", None),
        c.get("/no/such/page", None),
    ];
    for r in &responses {
        let csp = r
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("no CSP: {r:?}"));
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }
    // No page has inline script or style the CSP would have to allow.
    for r in &responses[..5] {
        assert!(
            !r.body.contains("<script") && !r.body.contains("style="),
            "{}",
            r.body
        );
    }
    assert_eq!(responses[6].status, 404);
    assert!(
        responses[6].body.contains("no order 999"),
        "{}",
        responses[6].body
    );
}

#[test]
fn the_session_cookie_is_strict_http_only_and_a_login_never_keeps_an_old_id() {
    let c = Console::start(&[]);
    let first = c.login("olga");
    let cookie = first
        .set_cookie
        .iter()
        .find(|h| h.starts_with("cardline_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP on loopback: no Secure flag yet: {cookie}"
    );
    // Logging in again from the same browser gives a new id and ends the old one.
    let second = c.try_login("olga", PASSWORD, Some(&first.session)).unwrap();
    assert_ne!(first.session, second.session);
    assert_ne!(first.csrf, second.csrf);
    assert_eq!(c.get("/orders", Some(&first.session)).status, 303);
    assert_eq!(c.get("/orders", Some(&second.session)).status, 200);
    // A session id offered before login (fixation) is not adopted: the server makes its own.
    let planted = "a".repeat(64);
    let third = c.try_login("olga", PASSWORD, Some(&planted)).unwrap();
    assert_ne!(third.session, planted);
    assert_eq!(c.get("/orders", Some(&planted)).status, 303);
}

#[test]
fn logout_ends_the_session_and_is_audited_as_the_user() {
    let c = Console::start(&[]);
    let b = c.login("audrey");
    let r = c.post_form("/logout", Some(&b.session), &[("csrf", &b.csrf)]);
    assert_eq!(r.status, 303);
    assert!(
        r.header_all("set-cookie")
            .iter()
            .any(|h| h.starts_with("cardline_session=;") && h.contains("Max-Age=0"))
    );
    assert_eq!(c.get("/orders", Some(&b.session)).status, 303);
    let audit = c.store.audit(&Default::default()).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "login" && e.operator == "audrey")
    );
    assert!(
        audit
            .iter()
            .any(|e| e.action == "logout" && e.operator == "audrey")
    );
}

#[test]
fn five_failed_logins_lock_the_user_audited_and_a_disabled_user_is_logged_out() {
    let c = Console::start(&[]);
    for _ in 0..5 {
        let r = c
            .try_login("olga", "wrong password!", None)
            .err()
            .expect("refused");
        assert_eq!(r.status, 401);
        assert!(r.body.contains("Login refused"), "{}", r.body);
    }
    // The right password is refused now, with the same message.
    let r = c.try_login("olga", PASSWORD, None).err().expect("locked");
    assert_eq!(r.status, 401);
    let audit = c.store.audit(&Default::default()).unwrap();
    assert_eq!(
        audit.iter().filter(|e| e.action == "login.failure").count(),
        5
    );
    assert!(
        audit
            .iter()
            .any(|e| e.action == "user.lockout"
                && e.reason.as_deref().unwrap_or("").contains("olga"))
    );
    assert!(audit.iter().any(|e| e.action == "login.refused"));
    // An unknown name gets the same answer and is audited without a user.
    let r = c
        .try_login("nobody", PASSWORD, None)
        .err()
        .expect("refused");
    assert!(r.body.contains("Login refused"));
    // A password reset lifts the lock.
    cardline_server::users::reset_password(
        &*c.store,
        "olga",
        "another long password".into(),
        &Actor("root".into()),
    )
    .unwrap();
    assert!(c.try_login("olga", "another long password", None).is_ok());
    // Disabling a user ends their live session at its next request.
    let b = c.login("audrey");
    c.store
        .set_user_disabled("audrey", true, &Actor("root".into()))
        .unwrap();
    assert_eq!(c.get("/orders", Some(&b.session)).status, 303);
    assert!(c.try_login("audrey", PASSWORD, None).is_err());
}

#[test]
fn the_login_form_needs_its_own_csrf_cookie_and_bodies_are_bounded() {
    let c = Console::start(&[]);
    let form = c.get("/login", None);
    let csrf = form.csrf().unwrap();
    // The form's token without its cookie (a cross-site form post): refused.
    let r = c.post_form(
        "/login",
        None,
        &[("csrf", &csrf), ("user", "olga"), ("password", PASSWORD)],
    );
    assert_eq!(r.status, 403);
    assert!(r.cookie("cardline_session").is_none());
    // A body over 64 KiB is refused before it is read whole.
    let big = "x".repeat(200 * 1024);
    let r = c.post_form("/login", None, &[("user", &big)]);
    assert_eq!(r.status, 413, "{}", r.body);
}

/// True when `html` has an inline event handler attribute (` onclick=`, ` onload=` ...).
fn has_event_handler(html: &str) -> bool {
    html.match_indices(" on").any(|(i, _)| {
        let rest = &html[i + 3..];
        let name_len = rest.chars().take_while(|c| c.is_ascii_lowercase()).count();
        name_len > 0 && rest[name_len..].starts_with('=')
    })
}

#[test]
fn the_event_handler_check_finds_handlers_and_only_them() {
    assert!(has_event_handler("<body onload=x()>"));
    assert!(has_event_handler("<a href=/ onclick=\"x\">"));
    assert!(!has_event_handler("<p>only on the order page</p>"));
}
