//! The Users page (admins): add, disable and enable, set a password (lifting a lockout), all
//! audited as the admin.

use cardline_issuance::store::AuditFilter;

use crate::common::*;

#[test]
fn an_admin_adds_disables_enables_and_resets_users_from_the_console() {
    let c = Console::start(&[]);
    let adam = c.login("adam");
    let page = c.get("/users", Some(&adam.session));
    assert_eq!(page.status, 200, "{}", page.body);
    for name in ["olga", "audrey", "adam"] {
        assert!(
            page.body.contains(&format!("<td>{name}</td>")),
            "{}",
            page.body
        );
    }
    // Add nina, an operator.
    let r = c.post_form(
        "/users",
        Some(&adam.session),
        &[
            ("csrf", &adam.csrf),
            ("name", "nina"),
            ("role", "operator"),
            ("password", "nina's long password"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let nina = c.try_login("nina", "nina's long password", None).unwrap();
    assert_eq!(c.get("/search", Some(&nina.session)).status, 200);
    // Refusals name the problem and change nothing.
    for (form, says) in [
        (
            vec![
                ("name", "nina2"),
                ("role", "operator"),
                ("password", "short"),
            ],
            "10",
        ),
        (
            vec![
                ("name", "<b>x</b>"),
                ("role", "operator"),
                ("password", "a long password"),
            ],
            "name",
        ),
        (
            vec![
                ("name", "nina3"),
                ("role", "root"),
                ("password", "a long password"),
            ],
            "`root` is not a role",
        ),
        (
            vec![
                ("name", "nina"),
                ("role", "operator"),
                ("password", "a long password"),
            ],
            "nina",
        ),
    ] {
        let mut f = vec![("csrf", adam.csrf.as_str())];
        f.extend(form);
        let r = c.post_form("/users", Some(&adam.session), &f);
        assert!(
            matches!(r.status, 409 | 422),
            "{f:?}: {} {}",
            r.status,
            r.body
        );
        assert!(r.body.contains(says), "{f:?}: {}", r.body);
        assert!(!r.body.contains("<b>x</b>"), "escaped");
    }
    assert_eq!(c.store.users().unwrap().len(), 4);
    // Disable nina: her session ends at once, she cannot log in; enable her again.
    let r = c.post_form(
        "/users/nina/disable",
        Some(&adam.session),
        &[("csrf", &adam.csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = c.get("/users", Some(&adam.session));
    assert!(
        page.body.contains("disabled") && page.body.contains("Enable"),
        "{}",
        page.body
    );
    let r = c.get("/search", Some(&nina.session));
    assert_eq!(r.header("location"), Some("/login"));
    assert!(c.try_login("nina", "nina's long password", None).is_err());
    let r = c.post_form(
        "/users/nina/enable",
        Some(&adam.session),
        &[("csrf", &adam.csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    c.try_login("nina", "nina's long password", None).unwrap();
    // An admin does not lock themselves out.
    let r = c.post_form(
        "/users/adam/disable",
        Some(&adam.session),
        &[("csrf", &adam.csrf)],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    // A locked user gets a new password, which lifts the lock.
    for _ in 0..5 {
        assert!(c.try_login("olga", "wrong wrong wrong", None).is_err());
    }
    assert!(c.try_login("olga", PASSWORD, None).is_err(), "locked");
    let r = c.post_form(
        "/users/olga/password",
        Some(&adam.session),
        &[
            ("csrf", &adam.csrf),
            ("password", "olga's brand new password"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    c.try_login("olga", "olga's brand new password", None)
        .unwrap();
    assert!(
        c.try_login("olga", PASSWORD, None).is_err(),
        "the old password is gone"
    );
    // A user that does not exist.
    let r = c.post_form(
        "/users/nobody/disable",
        Some(&adam.session),
        &[("csrf", &adam.csrf)],
    );
    assert_eq!(r.status, 404, "{}", r.body);
    // All of it audited as adam.
    let log = c
        .store
        .audit(&AuditFilter {
            operator: Some("adam".into()),
            action: Some("user.".into()),
            ..AuditFilter::default()
        })
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    for a in ["user.add", "user.disable", "user.enable", "user.password"] {
        assert!(actions.contains(&a), "{a} not in {actions:?}");
    }
}
