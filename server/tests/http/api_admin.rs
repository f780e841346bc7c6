//! The API's card actions, users, API tokens and option profiles: the pages' actions over
//! `/api/v1`, with their checks, problems and audit entries naming the token's user.

use cardline_issuance::model::OrderSelection;
use cardline_issuance::options::profiles;
use cardline_issuance::store::conformance::begin_attempt;
use cardline_issuance::store::{Actor, AttemptSuccess, AuditFilter};

use crate::api::{assert_problem, call, token};
use crate::common::*;

fn audited(c: &Console, action: &str, by: &str) -> usize {
    c.store
        .audit(&AuditFilter {
            action: Some(action.into()),
            operator: Some(by.into()),
            ..AuditFilter::default()
        })
        .unwrap()
        .len()
}

/// A produced (`unassigned`) card.
fn produced(c: &Console) -> String {
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
    card.number
}

#[test]
fn an_integrator_assigns_withdraws_and_locks_a_card_audited_as_the_token_user() {
    let c = Console::start(&requests(1, "Ada"));
    let n = produced(&c);
    let olga = token(&c, "olga");
    let post = |what: &str, json: Option<&str>| {
        call(
            &c,
            "POST",
            &format!("/api/v1/cards/{n}/{what}"),
            Some(&olga),
            json,
        )
    };
    // Bad bodies: not JSON, no person, a blank person, too long a reason.
    let (_, v, r) = post("assign", Some("{to"));
    assert_problem(&r, &v, 400);
    let (_, v, r) = post("assign", Some(r#"{"reason":"x"}"#));
    assert_problem(&r, &v, 422);
    assert!(v["detail"].as_str().unwrap().contains("`to`"), "{v}");
    let (_, v, r) = post("assign", Some(r#"{"to":"   "}"#));
    assert_problem(&r, &v, 422);
    assert!(v["detail"].as_str().unwrap().contains("person"), "{v}");
    let long = format!(r#"{{"to":"Ada","reason":"{}"}}"#, "r".repeat(201));
    let (_, v, r) = post("assign", Some(&long));
    assert_problem(&r, &v, 422);
    assert!(v["detail"].as_str().unwrap().contains("200"), "{v}");
    assert_eq!(c.store.card(&n).unwrap().state.as_str(), "unassigned");
    // Assign.
    let (status, v, r) = post(
        "assign",
        Some(r#"{"to":"Ada Lovelace","reason":"visitor"}"#),
    );
    assert_eq!(status, 200, "{}", r.body);
    assert_eq!(v["state"], "assigned", "{v}");
    let card = c.store.card(&n).unwrap();
    assert_eq!(card.state.as_str(), "assigned");
    assert!(card.valid_until.is_some(), "{card:?}");
    // Withdraw (no body), then lock needs its confirmation and reason.
    let (status, _, r) = post("withdraw", None);
    assert_eq!(status, 200, "{}", r.body);
    let (_, v, r) = post("lock", Some(r#"{"reason":"lost","confirm":false}"#));
    assert_problem(&r, &v, 422);
    assert!(v["detail"].as_str().unwrap().contains("for good"), "{v}");
    let (_, v, r) = post("lock", Some(r#"{"reason":" ","confirm":true}"#));
    assert_problem(&r, &v, 422);
    let (status, v, r) = post("lock", Some(r#"{"reason":"lost","confirm":true}"#));
    assert_eq!(status, 200, "{}", r.body);
    assert_eq!(v["state"], "locked");
    // A locked card refuses the rest: the lifecycle rule, 409.
    let (_, v, r) = post("assign", Some(r#"{"to":"Ada"}"#));
    assert_problem(&r, &v, 409);
    let (_, v, r) = call(&c, "POST", "/api/v1/cards/NOPE/withdraw", Some(&olga), None);
    assert_problem(&r, &v, 404);
    let trail = c
        .store
        .audit(&AuditFilter {
            card_number: Some(n.clone()),
            operator: Some("olga".into()),
            ..AuditFilter::default()
        })
        .unwrap();
    let states: Vec<_> = trail.iter().filter_map(|e| e.to_state.as_deref()).collect();
    assert_eq!(states, ["assigned", "unassigned", "locked"], "{trail:?}");
}

#[test]
fn an_admin_manages_users_over_the_api_with_the_pages_checks() {
    let c = Console::start(&[]);
    let adam = token(&c, "adam");
    let olga = token(&c, "olga");
    let (status, v, r) = call(&c, "GET", "/api/v1/users", Some(&adam), None);
    assert_eq!(status, 200, "{}", r.body);
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(v[0]["state"], "active");
    assert!(!r.body.contains("argon2"), "no hash: {}", r.body);
    let add = |json: &str| call(&c, "POST", "/api/v1/users", Some(&adam), Some(json));
    // Bad role, short password, bad name, a taken name, an unknown field.
    let (_, v, r) = add(r#"{"name":"eve","role":"root","password":"a fine long password"}"#);
    assert_problem(&r, &v, 422);
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("operator, auditor or admin"),
        "{v}"
    );
    let (_, v, r) = add(r#"{"name":"eve","role":"operator","password":"short"}"#);
    assert_problem(&r, &v, 422);
    assert!(v["detail"].as_str().unwrap().contains("10"), "{v}");
    let (_, v, r) = add(r#"{"name":"-eve","role":"operator","password":"a fine long password"}"#);
    assert_problem(&r, &v, 422);
    let (_, v, r) = add(r#"{"name":"olga","role":"operator","password":"a fine long password"}"#);
    assert_problem(&r, &v, 409);
    let (_, v, r) =
        add(r#"{"name":"eve","role":"operator","password":"a fine long password","x":1}"#);
    assert_problem(&r, &v, 422);
    assert!(c.store.user("eve").unwrap().is_none());
    // Added, audited as adam; eve logs in with that password.
    let (status, v, r) =
        add(r#"{"name":"eve","role":"auditor","password":"a fine long password"}"#);
    assert_eq!(status, 201, "{}", r.body);
    assert_eq!(v["role"], "auditor");
    assert_eq!(audited(&c, "user.add", "adam"), 1);
    assert!(c.try_login("eve", "a fine long password", None).is_ok());
    // A new password: checked, then set.
    let pw = |json: &str| {
        call(
            &c,
            "POST",
            "/api/v1/users/eve/password",
            Some(&adam),
            Some(json),
        )
    };
    let (_, v, r) = pw(r#"{"password":"short"}"#);
    assert_problem(&r, &v, 422);
    let (status, _, r) = pw(r#"{"password":"another long password"}"#);
    assert_eq!(status, 200, "{}", r.body);
    assert!(c.try_login("eve", "another long password", None).is_ok());
    assert_eq!(audited(&c, "user.password", "adam"), 1);
    // Disable: not oneself; a disabled user's token is refused, until enabled.
    let (_, v, r) = call(&c, "POST", "/api/v1/users/adam/disable", Some(&adam), None);
    assert_problem(&r, &v, 422);
    assert!(v["detail"].as_str().unwrap().contains("yourself"), "{v}");
    let (_, v, r) = call(
        &c,
        "POST",
        "/api/v1/users/nobody/disable",
        Some(&adam),
        None,
    );
    assert_problem(&r, &v, 404);
    let (status, v, _) = call(&c, "POST", "/api/v1/users/olga/disable", Some(&adam), None);
    assert_eq!((status, v["state"].as_str()), (200, Some("disabled")));
    let (_, v, r) = call(&c, "GET", "/api/v1/orders", Some(&olga), None);
    assert_problem(&r, &v, 401);
    assert_eq!(audited(&c, "user.disable", "adam"), 1);
    let (status, _, _) = call(&c, "POST", "/api/v1/users/olga/enable", Some(&adam), None);
    assert_eq!(status, 200);
    assert_eq!(call(&c, "GET", "/api/v1/orders", Some(&olga), None).0, 200);
    assert_eq!(audited(&c, "user.enable", "adam"), 1);
}

#[test]
fn an_admin_creates_a_token_shown_once_stored_hashed_and_revokes_it() {
    let c = Console::start(&[]);
    let adam = token(&c, "adam");
    let (status, v, r) = call(&c, "POST", "/api/v1/users/audrey/tokens", Some(&adam), None);
    assert_eq!(status, 201, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let secret = v["token"].as_str().unwrap().to_string();
    let id = v["id"].as_i64().unwrap();
    assert!(secret.starts_with("cl_") && secret.len() == 67, "{secret}");
    assert_eq!(v["user"], "audrey");
    assert!(v["last_used_at"].is_null(), "not used yet: {v}");
    assert_eq!(audited(&c, "token.create", "adam"), 1);
    // It works, as audrey, and the use is recorded (once: the second call is within the
    // minute and leaves the mark as it was).
    let (status, _, r) = call(&c, "GET", "/api/v1/audit", Some(&secret), None);
    assert_eq!(status, 200, "{}", r.body);
    let (_, list, _) = call(&c, "GET", "/api/v1/users/audrey/tokens", Some(&adam), None);
    let used = list[0]["last_used_at"]
        .as_str()
        .expect("marked")
        .to_string();
    assert!(used.len() == 24 && used.ends_with('Z'), "{used}");
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(call(&c, "GET", "/api/v1/audit", Some(&secret), None).0, 200);
    let (_, list, _) = call(&c, "GET", "/api/v1/users/audrey/tokens", Some(&adam), None);
    assert_eq!(list[0]["last_used_at"], used.as_str(), "{list}");
    // Stored hashed only: not in the database files, not in the list.
    let bytes = c.database_bytes();
    assert!(!bytes.is_empty());
    let plain = secret.as_bytes();
    assert!(
        !bytes.windows(plain.len()).any(|w| w == plain),
        "the token is in the database in plain text"
    );
    let hex = &secret.as_bytes()[3..];
    assert!(!bytes.windows(hex.len()).any(|w| w == hex));
    let (status, list, r) = call(&c, "GET", "/api/v1/users/audrey/tokens", Some(&adam), None);
    assert_eq!(status, 200);
    assert!(!r.body.contains(&secret[3..]), "{}", r.body);
    assert_eq!(list[0]["id"], id);
    assert!(list[0]["revoked_at"].is_null());
    // Unknown user; another user's token id is not found under this user.
    let (_, v, r) = call(&c, "GET", "/api/v1/users/nobody/tokens", Some(&adam), None);
    assert_problem(&r, &v, 404);
    let (_, v, r) = call(&c, "POST", "/api/v1/users/nobody/tokens", Some(&adam), None);
    assert_problem(&r, &v, 404);
    let path = format!("/api/v1/users/olga/tokens/{id}");
    let (_, v, r) = call(&c, "DELETE", &path, Some(&adam), None);
    assert_problem(&r, &v, 404);
    assert_eq!(call(&c, "GET", "/api/v1/audit", Some(&secret), None).0, 200);
    // Revoked: refused at once, audited as adam.
    let path = format!("/api/v1/users/audrey/tokens/{id}");
    let (status, v, r) = call(&c, "DELETE", &path, Some(&adam), None);
    assert_eq!(status, 200, "{}", r.body);
    assert!(v["revoked_at"].is_string(), "{v}");
    let (_, v, r) = call(&c, "GET", "/api/v1/audit", Some(&secret), None);
    assert_problem(&r, &v, 401);
    assert_eq!(audited(&c, "token.revoke", "adam"), 1);
}

#[test]
fn an_admin_creates_sets_edits_and_defaults_profiles_with_field_problems() {
    let c = Console::start(&[]);
    profiles::default_profile(&*c.store, &Actor("root".into())).unwrap();
    let adam = token(&c, "adam");
    let a = Some(adam.as_str());
    let (status, v, _) = call(&c, "GET", "/api/v1/options", a, None);
    assert_eq!(status, 200);
    assert_eq!(v[0]["name"], "default");
    assert_eq!(v[0]["is_default"], true);
    // Create: a bad name, from an unknown profile, then a copy, then the same name again.
    let (_, v, r) = call(
        &c,
        "POST",
        "/api/v1/options",
        a,
        Some(r#"{"name":"no way"}"#),
    );
    assert_problem(&r, &v, 422);
    assert!(
        v["detail"].as_str().unwrap().contains("letters, digits"),
        "{v}"
    );
    let (_, v, r) = call(
        &c,
        "POST",
        "/api/v1/options",
        a,
        Some(r#"{"name":"night","from":"nope"}"#),
    );
    assert_problem(&r, &v, 404);
    let (status, v, r) = call(
        &c,
        "POST",
        "/api/v1/options",
        a,
        Some(r#"{"name":"night"}"#),
    );
    assert_eq!(status, 201, "{}", r.body);
    assert_eq!(v["is_default"], false);
    let (_, v, r) = call(
        &c,
        "POST",
        "/api/v1/options",
        a,
        Some(r#"{"name":"night"}"#),
    );
    assert_problem(&r, &v, 409);
    // Show.
    let (status, v, _) = call(&c, "GET", "/api/v1/options/night", a, None);
    assert_eq!(status, 200);
    assert!(
        v["effective"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["key"] == "validity_days"),
        "{v}"
    );
    let (_, v, r) = call(&c, "GET", "/api/v1/options/nope", a, None);
    assert_problem(&r, &v, 404);
    // Set: out of range → 422 naming the key and the range, nothing saved.
    let before = c.store.option_profile("night").unwrap().unwrap().toml;
    let put = |json: &str| call(&c, "PUT", "/api/v1/options/night", a, Some(json));
    let (_, v, r) = put(r#"{"set":{"validity_days":9999}}"#);
    assert_problem(&r, &v, 422);
    assert_eq!(v["errors"][0]["key"], "validity_days", "{v}");
    assert_eq!(v["errors"][0]["value"], "9999", "{v}");
    let message = v["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.chars().any(|ch| ch.is_ascii_digit()),
        "a range: {v}"
    );
    let (_, v, r) = put(r#"{"set":{"validity_days":null}}"#);
    assert_problem(&r, &v, 422);
    let (_, v, r) = put(r#"{"set":{"validity_days":3},"toml":"x = 1"}"#);
    assert_problem(&r, &v, 422);
    let (_, v, r) = put(r#"{"toml":"validity_days = \n"}"#);
    assert_problem(&r, &v, 422);
    assert_eq!(v["errors"][0]["line"], 1, "{v}");
    let (_, v, r) = put(r#"{"toml":"validity_days = 9999\n"}"#);
    assert_problem(&r, &v, 422);
    assert_eq!(
        v["detail"],
        "the change was not saved: options profile `night`:1: `validity_days = 9999`: out of \
         range: allowed 1–366 days",
        "as docs/console.md shows it"
    );
    assert_eq!(v["errors"][0]["line"], 1, "{v}");
    assert_eq!(
        v["errors"][0]["message"],
        "out of range: allowed 1–366 days"
    );
    assert_eq!(
        c.store.option_profile("night").unwrap().unwrap().toml,
        before
    );
    // Good values: saved, each change logged as adam.
    let (status, v, r) = put(r#"{"set":{"validity_days":30}}"#);
    assert_eq!(status, 200, "{}", r.body);
    assert_eq!(v["changes"][0]["key"], "validity_days", "{v}");
    assert_eq!(v["changes"][0]["new_value"], "30", "{v}");
    let (_, o) = profiles::options(&*c.store, Some("night"), &Actor("x".into())).unwrap();
    assert_eq!(o.validity_days, 30);
    let (status, _, r) = put(r#"{"toml":"validity_days = 12\n"}"#);
    assert_eq!(status, 200, "{}", r.body);
    assert_eq!(
        c.store.option_profile("night").unwrap().unwrap().toml,
        "validity_days = 12\n"
    );
    // The default, then the log.
    let (status, v, _) = call(&c, "POST", "/api/v1/options/night/default", a, None);
    assert_eq!((status, &v["is_default"]), (200, &serde_json::json!(true)));
    let default = profiles::default_profile(&*c.store, &Actor("x".into())).unwrap();
    assert_eq!(default.name, "night");
    let (status, log, _) = call(&c, "GET", "/api/v1/options/night/log", a, None);
    assert_eq!(status, 200);
    let log = log.as_array().unwrap();
    assert!(log.iter().all(|e| e["operator"] == "adam"), "{log:?}");
    assert!(log.iter().any(|e| e["key"] == "validity_days"), "{log:?}");
    assert!(
        log.iter().any(|e| e["new_value"] == "made the default"),
        "{log:?}"
    );
    assert!(audited(&c, "options.change", "adam") >= 4);
}
