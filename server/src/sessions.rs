//! Console sessions: a random id in an HttpOnly, SameSite=Strict cookie, a CSRF token bound
//! to the session, idle and absolute expiry. Kept in the store ([`SessionStore`]) as the
//! SHA-256 of the id: every `cardline serve` over the same database shares them, a restart
//! keeps them, and a reader of the database cannot use one. The CSRF token is derived from the
//! id (SHA-256 of a label and the id), so it needs no storage and dies with the session.
//!
//! The methods do blocking store I/O: call them off the async workers
//! ([`crate::AppState::with_sessions`]).

use std::sync::Arc;
use std::time::Duration;

use cardline_issuance::store::{SessionRecord, Store, StoreError};
use zeroize::Zeroizing;

use crate::secret::{random_token, same, token_sha256};

/// When sessions end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionRule {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after login, used or not.
    pub absolute: Duration,
    /// Live sessions at most (a login beyond it ends the least recently used session).
    pub max_sessions: usize,
}

impl Default for SessionRule {
    /// 30 minutes idle, 12 hours absolute, 10,000 sessions.
    fn default() -> Self {
        SessionRule {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 3600),
            max_sessions: 10_000,
        }
    }
}

/// A logged-in user's session.
#[derive(Clone)]
pub struct Session {
    /// The user.
    pub user: String,
    /// The CSRF token every form of this session carries.
    pub csrf: Zeroizing<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Session({}, csrf ***)", self.user)
    }
}

impl Session {
    /// True when `token` is this session's CSRF token.
    pub fn csrf_matches(&self, token: &str) -> bool {
        same(&self.csrf, token)
    }
}

/// The CSRF token of the session `id`.
fn csrf_of(id: &str) -> Zeroizing<String> {
    Zeroizing::new(token_sha256(&format!("cardline console csrf\n{id}")))
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The sessions of a store.
pub struct Sessions {
    rule: SessionRule,
    store: Arc<dyn Store>,
}

impl Sessions {
    /// Sessions kept in `store` under `rule`.
    pub fn new(rule: SessionRule, store: Arc<dyn Store>) -> Sessions {
        Sessions { rule, store }
    }

    fn live(&self, s: &SessionRecord, now: i64) -> bool {
        now.saturating_sub(s.last_seen_ms) < ms(self.rule.idle)
            && now.saturating_sub(s.created_ms) < ms(self.rule.absolute)
    }

    /// Starts a session of `user` at `now` (ms) with a new random id (returned, for the
    /// cookie). `replaces` (the id the browser sent, if any) ends: a login never keeps an old
    /// id. Expired sessions are cleared out first.
    pub fn start(
        &self,
        user: &str,
        replaces: Option<&str>,
        now: i64,
    ) -> Result<Zeroizing<String>, StoreError> {
        if let Some(old) = replaces {
            self.store.end_session(&token_sha256(old))?;
        }
        self.store.end_expired_sessions(
            now.saturating_sub(ms(self.rule.idle)),
            now.saturating_sub(ms(self.rule.absolute)),
        )?;
        let id = random_token();
        let max = u32::try_from(self.rule.max_sessions).unwrap_or(u32::MAX);
        self.store.create_session(
            &SessionRecord {
                id_sha256: token_sha256(&id),
                user: user.to_string(),
                created_ms: now,
                last_seen_ms: now,
            },
            max,
        )?;
        Ok(id)
    }

    /// The live session with this id at `now` (ms), marked used; an expired one ends.
    pub fn touch(&self, id: &str, now: i64) -> Result<Option<Session>, StoreError> {
        if id.is_empty() || id.len() > 256 {
            return Ok(None);
        }
        let hash = token_sha256(id);
        let Some(s) = self.store.session(&hash)? else {
            return Ok(None);
        };
        if !self.live(&s, now) {
            self.store.end_session(&hash)?;
            return Ok(None);
        }
        // One write per second at most per session: the idle clock needs no finer grain.
        if now - s.last_seen_ms >= 1000 {
            self.store.touch_session(&hash, now)?;
        }
        Ok(Some(Session {
            user: s.user,
            csrf: csrf_of(id),
        }))
    }

    /// Ends a session (logout); `false` when there was none.
    pub fn end(&self, id: &str) -> Result<bool, StoreError> {
        self.store.end_session(&token_sha256(id))
    }

    /// Ends every session of `user` (disabled, password reset).
    pub fn end_user(&self, user: &str) -> Result<u64, StoreError> {
        self.store.end_sessions_of(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cardline_issuance::store::Actor;
    use cardline_issuance::store::sqlite::SqliteStore;
    use cardline_issuance::store::users::Role;

    fn rule() -> SessionRule {
        SessionRule {
            idle: Duration::from_secs(60),
            absolute: Duration::from_secs(300),
            max_sessions: 3,
        }
    }

    fn sessions(dir: &tempfile::TempDir) -> Sessions {
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::create(&dir.path().join("cardline.db")).unwrap());
        let root = Actor("root".into());
        for u in ["alice", "u0", "u1", "u2", "u3"] {
            store
                .add_user(u, Role::Operator, "$argon2id$x", &root)
                .unwrap();
        }
        Sessions::new(rule(), store)
    }

    const T0: i64 = 1_800_000_000_000;
    const S: i64 = 1000;

    #[test]
    fn idle_and_absolute_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = sessions(&dir);
        let id = sessions.start("alice", None, T0).unwrap();
        // Used every 50 s: idle never reached...
        for k in 1..=5 {
            assert!(sessions.touch(&id, T0 + 50 * S * k).unwrap().is_some());
        }
        // ...but the absolute limit ends it.
        assert!(sessions.touch(&id, T0 + 300 * S).unwrap().is_none());
        let id = sessions.start("alice", None, T0).unwrap();
        assert!(sessions.touch(&id, T0 + 59 * S).unwrap().is_some());
        assert!(sessions.touch(&id, T0 + 119 * S).unwrap().is_none());
        // An expired session stays gone.
        assert!(sessions.touch(&id, T0 + 120 * S).unwrap().is_none());
    }

    #[test]
    fn login_replaces_the_old_id_and_logout_ends_it() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = sessions(&dir);
        let first = sessions.start("alice", None, T0).unwrap();
        let second = sessions.start("alice", Some(&first), T0).unwrap();
        assert_ne!(*first, *second);
        assert!(sessions.touch(&first, T0).unwrap().is_none());
        let s = sessions.touch(&second, T0).unwrap().unwrap();
        assert!(s.csrf_matches(&s.csrf.clone()));
        assert!(!s.csrf_matches("forged"));
        assert_ne!(*s.csrf, *second, "the CSRF token is not the session id");
        assert!(!format!("{s:?}").contains(s.csrf.as_str()));
        // Only the hash of the id is stored.
        assert!(sessions.store.session(&second).unwrap().is_none());
        assert!(
            sessions
                .store
                .session(&token_sha256(&second))
                .unwrap()
                .is_some()
        );
        assert!(sessions.end(&second).unwrap());
        assert!(sessions.touch(&second, T0).unwrap().is_none());
    }

    #[test]
    fn the_table_is_bounded_and_a_user_can_be_logged_out_everywhere() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = sessions(&dir);
        let ids: Vec<_> = (0..4i64)
            .map(|i| sessions.start(&format!("u{i}"), None, T0 + i * S).unwrap())
            .collect();
        let now = T0 + 5 * S;
        assert!(
            sessions.touch(&ids[0], now).unwrap().is_none(),
            "the oldest made room"
        );
        assert!(
            ids[1..]
                .iter()
                .all(|id| sessions.touch(id, now).unwrap().is_some())
        );
        sessions.end_user("u2").unwrap();
        assert!(sessions.touch(&ids[2], now).unwrap().is_none());
        assert!(sessions.touch(&ids[3], now).unwrap().is_some());
    }
}
