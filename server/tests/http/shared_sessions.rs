//! Sessions live in the store: a second `serve` over the same database (or the same one
//! restarted) accepts them, and a logout on one ends them on both; a server over another
//! database refuses them.

use cardline_issuance::store::Actor;

use crate::common::*;

#[test]
fn a_session_of_one_server_is_accepted_by_another_over_the_same_store_until_logout() {
    let a = Console::start(&requests(1, "Ada"));
    let olga = a.login("olga");
    // Started after the login: as a restart of `serve`, or a second machine.
    let b = a.reopen();
    let page = b.get("/orders", Some(&olga.session));
    assert_eq!(page.status, 200, "{}", page.body);
    // The CSRF token of the session works on both.
    let r = b.post_form(
        "/orders",
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("select", "matching")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    // Only the hash of the session id is in the database.
    assert!(b.store.session(&olga.session).unwrap().is_none());
    assert!(
        b.store
            .session(&cardline_server::secret::token_sha256(&olga.session))
            .unwrap()
            .is_some()
    );
    // A logout on B ends it on A too.
    let r = b.post_form("/logout", Some(&olga.session), &[("csrf", &olga.csrf)]);
    assert_eq!(r.status, 303);
    let r = a.get("/orders", Some(&olga.session));
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/login"));
    // A user disabled through one store handle is logged out on both servers.
    let again = a.login("olga");
    assert_eq!(b.get("/orders", Some(&again.session)).status, 200);
    b.store
        .set_user_disabled("olga", true, &Actor("root".into()))
        .unwrap();
    assert_eq!(a.get("/orders", Some(&again.session)).status, 303);
    assert_eq!(b.get("/orders", Some(&again.session)).status, 303);
    // A server over another database knows none of them.
    let other = Console::start(&[]);
    let audrey = a.login("audrey");
    let r = other.get("/orders", Some(&audrey.session));
    assert_eq!(r.header("location"), Some("/login"));
}
