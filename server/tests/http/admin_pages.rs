//! The Users page's API tokens (created and shown once, their last use, revoked) and the Options page's
//! profile forms (create, make the default, edit the whole text with inline problems), each a
//! CSRF-checked form audited as the admin.

use cardline_issuance::options::profiles;
use cardline_issuance::store::{Actor, AuditFilter};

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

fn bearer(c: &Console, token: &str) -> u16 {
    let auth = format!("Bearer {token}");
    c.send("GET", "/api/v1/orders", &[("Authorization", &auth)], b"")
        .status
}

#[test]
fn an_admin_creates_a_token_on_the_users_page_sees_it_once_and_revokes_it() {
    let c = Console::start(&[]);
    let adam = c.login("adam");
    let page = c.get("/users", Some(&adam.session));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("action=\"/users/olga/tokens\""),
        "{}",
        page.body
    );
    // Without the CSRF token: refused, nothing created.
    let r = c.post_form("/users/olga/tokens", Some(&adam.session), &[]);
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(c.store.api_tokens(None).unwrap().is_empty());
    // Created: shown once, with the note, not cached.
    let r = c.post_form(
        "/users/olga/tokens",
        Some(&adam.session),
        &[("csrf", &adam.csrf)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Copy it now"), "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let at = r.body.find("cl_").expect("the token is shown");
    let token: String = r.body[at..].chars().take(67).collect();
    assert!(
        token[3..].chars().all(|ch| ch.is_ascii_hexdigit()),
        "{token}"
    );
    let page = c.get("/users", Some(&adam.session));
    assert!(
        page.body
            .contains("last used <span class=\"last-used\">never</span>"),
        "not used yet: {}",
        page.body
    );
    assert_eq!(bearer(&c, &token), 200, "the token works as olga");
    assert_eq!(audited(&c, "token.create", "adam"), 1);
    // Never shown again: the Users page lists its id, not the token, and its last use.
    let record = c.store.api_tokens(Some("olga")).unwrap().remove(0);
    let id = record.id;
    let used = record
        .last_used_at
        .expect("the API call marked the token used");
    let page = c.get("/users", Some(&adam.session));
    assert!(
        page.body
            .contains(&format!("<span class=\"last-used\">{used}</span>")),
        "{}",
        page.body
    );
    assert!(!page.body.contains(&token[3..]), "{}", page.body);
    let revoke = format!("/users/olga/tokens/{id}/revoke");
    assert!(page.body.contains(&revoke), "{}", page.body);
    // Revoke: without CSRF refused; with it, the token is refused at once.
    let r = c.post_form(&revoke, Some(&adam.session), &[]);
    assert_eq!(r.status, 403);
    assert_eq!(bearer(&c, &token), 200);
    let r = c.post_form(&revoke, Some(&adam.session), &[("csrf", &adam.csrf)]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(bearer(&c, &token), 401);
    assert_eq!(audited(&c, "token.revoke", "adam"), 1);
    let page = c.get("/users", Some(&adam.session));
    assert!(page.body.contains("revoked"), "{}", page.body);
    assert!(
        !page.body.contains(&revoke),
        "no revoke form for a revoked token"
    );
    // A token id of another user is not found under this one.
    let r = c.post_form(
        &format!("/users/audrey/tokens/{id}/revoke"),
        Some(&adam.session),
        &[("csrf", &adam.csrf)],
    );
    assert_eq!(r.status, 404, "{}", r.body);
}

#[test]
fn an_admin_creates_a_profile_makes_it_the_default_and_edits_its_text_inline() {
    let c = Console::start(&[]);
    profiles::default_profile(&*c.store, &Actor("root".into())).unwrap();
    let adam = c.login("adam");
    let page = c.get("/options", Some(&adam.session));
    assert!(page.body.contains("action=\"/options\""), "{}", page.body);
    assert!(
        page.body.contains("action=\"/options/default/edit\""),
        "{}",
        page.body
    );
    let form = |path: &str, fields: &[(&str, &str)]| {
        let mut all = vec![("csrf", adam.csrf.as_str())];
        all.extend_from_slice(fields);
        c.post_form(path, Some(&adam.session), &all)
    };
    // A bad name: shown next to the form, kept, nothing created.
    let r = form("/options", &[("name", "no way<b>"), ("from", "default")]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("is not allowed"), "{}", r.body);
    assert!(!r.body.contains("no way<b>"), "escaped: {}", r.body);
    assert_eq!(c.store.option_profiles().unwrap().len(), 1);
    // Created as a copy; made the default.
    let r = form("/options", &[("name", "night"), ("from", "default")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let night = c.store.option_profile("night").unwrap().unwrap();
    assert_eq!(
        night.toml,
        c.store.option_profile("default").unwrap().unwrap().toml
    );
    let r = form("/options/night/default", &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(c.store.option_profile("night").unwrap().unwrap().is_default);
    // A bad text: each problem with its line, the text kept, nothing saved.
    let bad = "pin_length = 6\nvalidity_days = 9999\n";
    let r = form("/options/night/edit", &[("toml", bad)]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("line 2"), "{}", r.body);
    assert!(r.body.contains("validity_days = 9999"), "{}", r.body);
    assert!(r.body.contains("Not saved"), "{}", r.body);
    assert_eq!(
        c.store.option_profile("night").unwrap().unwrap().toml,
        night.toml
    );
    // A syntax error names its line too.
    let r = form(
        "/options/night/edit",
        &[("toml", "pin_length = 6\nvalidity_days = \n")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("line 2"), "{}", r.body);
    // Without CSRF: refused.
    let r = c.post_form(
        "/options/night/edit",
        Some(&adam.session),
        &[("toml", "validity_days = 3\n")],
    );
    assert_eq!(r.status, 403);
    // A good text: saved (the browser's CRLF as LF), logged and audited as adam.
    let r = form("/options/night/edit", &[("toml", "validity_days = 30\r\n")]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        c.store.option_profile("night").unwrap().unwrap().toml,
        "validity_days = 30\n"
    );
    let log = c.store.option_log(Some("night"), None).unwrap();
    assert!(
        log.iter()
            .any(|e| e.key == "validity_days" && e.operator == "adam"),
        "{log:?}"
    );
    assert!(audited(&c, "options.change", "adam") >= 3);
}
