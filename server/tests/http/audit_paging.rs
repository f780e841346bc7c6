//! The Audit page and `/api/v1/audit`: time filters and paging to older entries.

use cardline_issuance::store::Actor;

use crate::common::*;

#[test]
fn the_audit_is_filtered_by_time_and_paged_to_older_entries() {
    let c = Console::start(&[]);
    let root = Actor("root".into());
    for i in 0..505 {
        c.store
            .audit_note(
                "test.note",
                None,
                None,
                Some(&format!("note-{i:03}")),
                &root,
            )
            .unwrap();
    }
    let audrey = c.login("audrey");
    let page = c.get("/audit?action=test.", Some(&audrey.session));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("500 entries"), "{}", page.body);
    assert!(page.body.contains("note-504") && page.body.contains("note-005"));
    assert!(!page.body.contains("note-004"));
    // The link to older entries keeps the filters.
    let start = page
        .body
        .find("href=\"/audit?")
        .expect("a link to older entries")
        + 6;
    let link =
        page.body[start..page.body[start..].find('"').unwrap() + start].replace("&amp;", "&");
    assert!(
        link.contains("action=test.") && link.contains("before="),
        "{link}"
    );
    let older = c.get(&link, Some(&audrey.session));
    assert_eq!(older.status, 200, "{}", older.body);
    assert!(older.body.contains("5 entries"), "{}", older.body);
    assert!(older.body.contains("note-004") && older.body.contains("note-000"));
    assert!(!older.body.contains("note-005") && !older.body.contains("Older entries"));
    // Time filters: today on has them all, before 2000 none; a bad date names itself.
    let all = c.get("/audit?action=test.&from=2000-01-01", Some(&audrey.session));
    assert!(all.body.contains("500 entries"), "{}", all.body);
    let none = c.get("/audit?action=test.&to=2000-01-01", Some(&audrey.session));
    assert!(none.body.contains("0 entries"), "{}", none.body);
    let bad = c.get("/audit?from=soon", Some(&audrey.session));
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("soon"), "{}", bad.body);
    let bad = c.get("/audit?before=x", Some(&audrey.session));
    assert_eq!(bad.status, 422);
    // The API pages the same way.
    let (t, _) = cardline_server::users::create_token(&*c.store, "audrey", &root).unwrap();
    let auth = format!("Bearer {}", &*t);
    let get = |path: &str| {
        let r = c.send("GET", path, &[("Authorization", &auth)], b"");
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        serde_json::from_str::<serde_json::Value>(&r.body).unwrap()
    };
    let first = get("/api/v1/audit?action=test.");
    assert_eq!(first.as_array().unwrap().len(), 500);
    let cursor = first[0]["id"].as_i64().unwrap();
    let next = get(&format!("/api/v1/audit?action=test.&before={cursor}"));
    assert_eq!(next.as_array().unwrap().len(), 5);
    assert_eq!(next[4]["reason"], "note-004");
    let none = get("/api/v1/audit?action=test.&to=2000-01-01");
    assert!(none.as_array().unwrap().is_empty());
}
