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
