//! Conformance cases: console users, the failed-login lockout, API tokens.

use super::*;
use crate::store::users::{LockoutRule, Role};

fn actions(store: &dyn Store, prefix: &str) -> Vec<(String, String, Option<String>)> {
    store
        .audit(&AuditFilter {
            action: Some(prefix.into()),
            ..AuditFilter::default()
        })
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.operator, e.reason))
        .collect()
}

/// Conformance case.
pub fn users_are_added_once_disabled_and_their_password_replaced(db: &dyn TestDatabase) {
    let store = db.open();
    let root = Actor("root".into());
    let alice = store
        .add_user("alice", Role::Operator, "$argon2id$hash-1", &root)
        .unwrap();
    assert_eq!((alice.role, alice.disabled), (Role::Operator, false));
    store
        .add_user("bob", Role::Auditor, "$argon2id$hash-2", &root)
        .unwrap();
    let e = store
        .add_user("alice", Role::Admin, "$argon2id$x", &root)
        .unwrap_err();
    assert!(
        matches!(e, StoreError::UserExists(ref n) if n == "alice"),
        "{e}"
    );
    let e = store
        .add_user("<script>", Role::Admin, "$argon2id$x", &root)
        .unwrap_err();
    assert!(matches!(e, StoreError::InvalidUserName { .. }), "{e}");
    let names: Vec<String> = store.users().unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["alice", "bob"]);
    let (_, hash) = store.user_with_password("alice").unwrap().unwrap();
    assert_eq!(hash, "$argon2id$hash-1");
    assert!(store.user("carol").unwrap().is_none());

    assert!(
        store
            .set_user_disabled("bob", true, &root)
            .unwrap()
            .disabled
    );
    assert!(store.user("bob").unwrap().unwrap().disabled);
    assert!(
        !store
            .set_user_disabled("bob", false, &root)
            .unwrap()
            .disabled
    );
    let e = store.set_user_disabled("carol", true, &root).unwrap_err();
    assert!(matches!(e, StoreError::UserNotFound(_)), "{e}");

    store
        .set_password_hash("alice", "$argon2id$hash-3", &root)
        .unwrap();
    let (_, hash) = store.user_with_password("alice").unwrap().unwrap();
    assert_eq!(hash, "$argon2id$hash-3");
    let audited: Vec<String> = actions(&*store, "user.")
        .into_iter()
        .map(|(a, who, _)| format!("{a} by {who}"))
        .collect();
    assert_eq!(
        audited,
        [
            "user.add by root",
            "user.add by root",
            "user.disable by root",
            "user.enable by root",
            "user.password by root"
        ]
    );
    // No hash ever reaches the audit log.
    assert!(
        actions(&*store, "user.")
            .iter()
            .all(|(_, _, r)| !r.as_deref().unwrap_or("").contains("argon2"))
    );
}

/// Conformance case.
pub fn failed_logins_lock_the_user_and_a_success_or_reset_clears_them(db: &dyn TestDatabase) {
    let store = db.open();
    let root = Actor("root".into());
    store
        .add_user("alice", Role::Operator, "$argon2id$h", &root)
        .unwrap();
    let rule = LockoutRule {
        max_failures: 3,
        lock_ms: 60_000,
    };
    let now = 1_000_000;
    let web = Actor("alice".into());
    for n in 1..=2 {
        let u = store
            .record_login_failure("alice", now, &rule, &web)
            .unwrap();
        assert_eq!(u.failed_logins, n);
        assert!(!u.is_locked_at(now));
    }
    // A success in between clears the count.
    store.record_login_success("alice", &web).unwrap();
    assert_eq!(store.user("alice").unwrap().unwrap().failed_logins, 0);
    for _ in 0..3 {
        store
            .record_login_failure("alice", now, &rule, &web)
            .unwrap();
    }
    let u = store.user("alice").unwrap().unwrap();
    assert!(u.is_locked_at(now + 59_999), "{u:?}");
    assert!(!u.is_locked_at(now + 60_000), "{u:?}");
    assert_eq!(actions(&*store, "login.failure").len(), 5);
    let lockouts = actions(&*store, "user.lockout");
    assert_eq!(lockouts.len(), 1, "{lockouts:?}");
    assert!(lockouts[0].2.as_deref().unwrap().contains("alice"));
    // An administrator's password reset lifts the lock.
    store
        .set_password_hash("alice", "$argon2id$new", &root)
        .unwrap();
    assert!(!store.user("alice").unwrap().unwrap().is_locked_at(now));
}

/// Conformance case.
pub fn api_tokens_are_found_by_hash_until_revoked(db: &dyn TestDatabase) {
    let store = db.open();
    let root = Actor("root".into());
    store
        .add_user("robot", Role::Operator, "$argon2id$h", &root)
        .unwrap();
    let e = store.add_api_token("nobody", "aa", &root).unwrap_err();
    assert!(matches!(e, StoreError::UserNotFound(_)), "{e}");
    let t1 = store
        .add_api_token("robot", "11".repeat(32).as_str(), &root)
        .unwrap();
    let t2 = store
        .add_api_token("robot", "22".repeat(32).as_str(), &root)
        .unwrap();
    assert_ne!(t1.id, t2.id);
    let (found, user) = store.api_token_by_hash(&"11".repeat(32)).unwrap().unwrap();
    assert_eq!((found.id, user.name.as_str()), (t1.id, "robot"));
    assert!(store.api_token_by_hash(&"33".repeat(32)).unwrap().is_none());
    assert!(store.revoke_api_token(t1.id, &root).unwrap());
    assert!(!store.revoke_api_token(t1.id, &root).unwrap());
    assert!(store.api_token_by_hash(&"11".repeat(32)).unwrap().is_none());
    assert!(store.api_token_by_hash(&"22".repeat(32)).unwrap().is_some());
    let e = store.revoke_api_token(9999, &root).unwrap_err();
    assert!(matches!(e, StoreError::TokenNotFound(9999)), "{e}");
    let listed = store.api_tokens(Some("robot")).unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed[0].revoked_at.is_some() && listed[1].revoked_at.is_none());
    // Two creations and one revocation (the repeated revoke changed nothing).
    assert_eq!(actions(&*store, "token.").len(), 3);
}

/// Conformance case.
pub fn api_tokens_record_their_last_use_at_most_once_per_interval(db: &dyn TestDatabase) {
    use std::time::Duration;
    let store = db.open();
    let root = Actor("root".into());
    store
        .add_user("robot", Role::Operator, "$argon2id$h", &root)
        .unwrap();
    let hash = "44".repeat(32);
    let t = store.add_api_token("robot", &hash, &root).unwrap();
    let listed = |store: &dyn Store| store.api_tokens(Some("robot")).unwrap().remove(0);
    assert_eq!(t.last_used_at, None, "never used yet");
    assert_eq!(listed(&*store).last_used_at, None);

    // The first use writes the mark; a second within the interval does not rewrite it.
    let minute = Duration::from_secs(60);
    assert!(store.mark_api_token_used(t.id, minute).unwrap());
    let first = listed(&*store).last_used_at.expect("marked");
    assert!(first.len() == 24 && first.ends_with('Z'), "{first}");
    assert!(first >= t.created_at, "{first} {}", t.created_at);
    let (found, _) = store.api_token_by_hash(&hash).unwrap().unwrap();
    assert_eq!(found.last_used_at.as_deref(), Some(first.as_str()));
    std::thread::sleep(Duration::from_millis(20));
    assert!(!store.mark_api_token_used(t.id, minute).unwrap());
    assert_eq!(
        listed(&*store).last_used_at.as_deref(),
        Some(first.as_str())
    );
    // Once the interval has passed (a short one here), the next use moves the mark.
    assert!(
        store
            .mark_api_token_used(t.id, Duration::from_millis(1))
            .unwrap()
    );
    let second = listed(&*store).last_used_at.unwrap();
    assert!(second > first, "{second} after {first}");
    // Uses are not audited; an unknown token marks nothing.
    assert_eq!(actions(&*store, "token.").len(), 1);
    assert!(!store.mark_api_token_used(9999, minute).unwrap());

    // A revoked token still refuses, and a late use of it marks nothing.
    assert!(store.revoke_api_token(t.id, &root).unwrap());
    std::thread::sleep(Duration::from_millis(20));
    assert!(
        !store
            .mark_api_token_used(t.id, Duration::from_millis(1))
            .unwrap()
    );
    assert!(store.api_token_by_hash(&hash).unwrap().is_none());
    let revoked = listed(&*store);
    assert!(revoked.revoked_at.is_some());
    assert_eq!(revoked.last_used_at.as_deref(), Some(second.as_str()));
}

/// Conformance case.
pub fn sessions_are_shared_by_handles_end_and_expire_and_stay_bounded(db: &dyn TestDatabase) {
    use crate::store::sessions::SessionRecord;
    let a = db.open();
    let b = db.open(); // another process over the same database
    let root = Actor("root".into());
    a.add_user("alice", Role::Operator, "$argon2id$h", &root)
        .unwrap();
    a.add_user("bob", Role::Auditor, "$argon2id$h", &root)
        .unwrap();
    let rec = |id: &str, user: &str, t: i64| SessionRecord {
        id_sha256: id.into(),
        user: user.into(),
        created_ms: t,
        last_seen_ms: t,
    };
    a.create_session(&rec("s1", "alice", 1_000), 10).unwrap();
    assert_eq!(b.session("s1").unwrap(), Some(rec("s1", "alice", 1_000)));
    assert!(b.session("s2").unwrap().is_none());
    // Touching moves it forward only.
    b.touch_session("s1", 5_000).unwrap();
    a.touch_session("s1", 2_000).unwrap();
    let s = a.session("s1").unwrap().unwrap();
    assert_eq!((s.created_ms, s.last_seen_ms), (1_000, 5_000));
    // Ended by one handle, gone for the other.
    assert!(b.end_session("s1").unwrap());
    assert!(!b.end_session("s1").unwrap());
    assert!(a.session("s1").unwrap().is_none());
    // A user's sessions end together.
    a.create_session(&rec("a1", "alice", 10_000), 10).unwrap();
    a.create_session(&rec("a2", "alice", 10_001), 10).unwrap();
    a.create_session(&rec("b1", "bob", 10_002), 10).unwrap();
    assert_eq!(b.end_sessions_of("alice").unwrap(), 2);
    assert!(a.session("a2").unwrap().is_none() && a.session("b1").unwrap().is_some());
    // Expiry: idle (last used before) or absolute (started before).
    a.create_session(&rec("old", "bob", 100), 10).unwrap();
    a.touch_session("old", 20_000).unwrap();
    a.create_session(&rec("idle", "bob", 15_000), 10).unwrap();
    assert_eq!(
        a.end_expired_sessions(16_000, 1_000).unwrap(),
        3,
        "b1, idle (idle), old (absolute)"
    );
    assert!(a.session("old").unwrap().is_none());
    // Bounded: the least recently used make room.
    for i in 0..4 {
        a.create_session(&rec(&format!("n{i}"), "bob", 30_000 + i), 3)
            .unwrap();
    }
    assert!(b.session("n0").unwrap().is_none(), "the oldest made room");
    assert!((1..4).all(|i| b.session(&format!("n{i}")).unwrap().is_some()));
    // A session of a user that does not exist is refused.
    let e = a.create_session(&rec("x", "nobody", 1), 10).unwrap_err();
    assert!(matches!(e, StoreError::UserNotFound(_)), "{e}");
}

/// Conformance case.
pub fn the_audit_log_is_filtered_by_time_and_paged_older_by_id(db: &dyn TestDatabase) {
    let store = db.open();
    let root = Actor("root".into());
    for i in 0..5 {
        store
            .audit_note("page.test", None, None, Some(&format!("n{i}")), &root)
            .unwrap();
    }
    let only = |f: AuditFilter| -> Vec<String> {
        store
            .audit(&AuditFilter {
                action: Some("page.test".into()),
                ..f
            })
            .unwrap()
            .into_iter()
            .map(|e| e.reason.unwrap_or_default())
            .collect()
    };
    let all = store
        .audit(&AuditFilter {
            action: Some("page.test".into()),
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(all.len(), 5);
    // The newest two, then the two before them (a cursor on the id), then the last one.
    let page1 = only(AuditFilter {
        limit: Some(2),
        ..AuditFilter::default()
    });
    assert_eq!(page1, ["n3", "n4"]);
    let cursor = all[3].id;
    let page2 = only(AuditFilter {
        limit: Some(2),
        before_id: Some(cursor),
        ..AuditFilter::default()
    });
    assert_eq!(page2, ["n1", "n2"]);
    let page3 = only(AuditFilter {
        limit: Some(2),
        before_id: Some(all[1].id),
        ..AuditFilter::default()
    });
    assert_eq!(page3, ["n0"]);
    // Time: from the first entry's time on takes all; before it none; the far future none.
    let first_at = all[0].at.clone();
    assert_eq!(
        only(AuditFilter {
            at_from: Some(first_at.clone()),
            ..AuditFilter::default()
        })
        .len(),
        5
    );
    assert!(
        only(AuditFilter {
            at_before: Some(first_at),
            ..AuditFilter::default()
        })
        .is_empty()
    );
    let future = "2999-01-01T00:00:00Z".to_string();
    assert!(
        only(AuditFilter {
            at_from: Some(future.clone()),
            ..AuditFilter::default()
        })
        .is_empty()
    );
    assert_eq!(
        only(AuditFilter {
            at_before: Some(future),
            ..AuditFilter::default()
        })
        .len(),
        5
    );
}
