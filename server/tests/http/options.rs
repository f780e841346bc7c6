//! The Options page (admins): profiles with their values, one option set with inline
//! validation (nothing saved on a bad value), the change log, audited as the admin.

use cardline_issuance::options::profiles;
use cardline_issuance::store::{Actor, AuditFilter};

use crate::common::*;

#[test]
fn an_admin_sets_an_option_and_a_bad_value_is_shown_inline_and_not_saved() {
    let c = Console::start(&[]);
    let root = Actor("root".into());
    profiles::default_profile(&*c.store, &root).unwrap();
    let adam = c.login("adam");
    let page = c.get("/options", Some(&adam.session));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Profile default (default)"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<code>validity_days</code>"),
        "{}",
        page.body
    );
    let before = c.store.option_profile("default").unwrap().unwrap();
    // A value out of range: refused next to the form, with the value kept, nothing saved.
    let set = |key: &str, value: &str| {
        c.post_form(
            "/options/default/set",
            Some(&adam.session),
            &[("csrf", &adam.csrf), ("key", key), ("value", value)],
        )
    };
    let r = set("validity_days", "9999");
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("role=\"alert\""), "{}", r.body);
    assert!(
        r.body.contains("validity_days") && r.body.contains("9999"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("value=\"9999\""),
        "the value stays in the form: {}",
        r.body
    );
    assert_eq!(
        c.store.option_profile("default").unwrap().unwrap().toml,
        before.toml
    );
    // Markup in a value is escaped wherever it shows.
    let r = set("validity_days", "<script>x</script>");
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(!r.body.contains("<script>x"), "{}", r.body);
    // A good value is saved, logged and audited as adam.
    let r = set("validity_days", "30");
    assert_eq!(r.status, 303, "{}", r.body);
    let (_, o) = profiles::options(&*c.store, None, &root).unwrap();
    assert_eq!(o.validity_days, 30);
    let page = c.get("/options", Some(&adam.session));
    assert!(
        page.body
            .contains("<td>adam</td><td>default</td><td><code>validity_days</code></td>"),
        "{}",
        page.body
    );
    let audit = c
        .store
        .audit(&AuditFilter {
            operator: Some("adam".into()),
            action: Some("options.".into()),
            ..AuditFilter::default()
        })
        .unwrap();
    assert!(!audit.is_empty());
    // An unknown profile.
    let r = c.post_form(
        "/options/nope/set",
        Some(&adam.session),
        &[
            ("csrf", &adam.csrf),
            ("key", "validity_days"),
            ("value", "30"),
        ],
    );
    assert!(
        r.status == 422 || r.status == 404,
        "{} {}",
        r.status,
        r.body
    );
    assert!(r.body.contains("nope"), "{}", r.body);
}
