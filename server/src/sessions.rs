//! Console sessions: a random id in an HttpOnly, SameSite=Strict cookie, a CSRF token bound
//! to the session, idle and absolute expiry. Kept in memory: a restart of `cardline serve`
//! logs everyone out (documented in docs/console.md).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cardline_issuance::store::users::Role;
use zeroize::Zeroizing;

use crate::secret::{random_token, same};

/// When sessions end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionRule {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after login, used or not.
    pub absolute: Duration,
    /// Live sessions at most (a login beyond it ends the oldest session).
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
    /// Their role at login (re-read from the store on every request).
    pub role: Role,
    /// The CSRF token every form of this session carries.
    pub csrf: Zeroizing<String>,
    created: Instant,
    last_used: Instant,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Session({} as {}, csrf ***)", self.user, self.role)
    }
}

impl Session {
    /// True when `token` is this session's CSRF token.
    pub fn csrf_matches(&self, token: &str) -> bool {
        same(&self.csrf, token)
    }
}

/// The session table.
pub struct Sessions {
    rule: SessionRule,
    table: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// An empty table.
    pub fn new(rule: SessionRule) -> Sessions {
        Sessions {
            rule,
            table: Mutex::new(HashMap::new()),
        }
    }

    fn live(&self, s: &Session, now: Instant) -> bool {
        now.saturating_duration_since(s.last_used) < self.rule.idle
            && now.saturating_duration_since(s.created) < self.rule.absolute
    }

    /// Starts a session at `now` with a new random id (returned, for the cookie). `replaces`
    /// (the id the browser sent, if any) ends: a login never keeps an old id.
    pub fn start(
        &self,
        user: &str,
        role: Role,
        replaces: Option<&str>,
        now: Instant,
    ) -> Zeroizing<String> {
        let id = random_token();
        let mut table = self.table.lock().expect("session table");
        if let Some(old) = replaces {
            table.remove(old);
        }
        table.retain(|_, s| self.live(s, now));
        if table.len() >= self.rule.max_sessions
            && let Some(oldest) = table
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(k, _)| k.clone())
        {
            table.remove(&oldest);
        }
        table.insert(
            id.to_string(),
            Session {
                user: user.to_string(),
                role,
                csrf: random_token(),
                created: now,
                last_used: now,
            },
        );
        id
    }

    /// The live session with this id at `now`, marked used; an expired one is removed.
    pub fn touch(&self, id: &str, now: Instant) -> Option<Session> {
        let mut table = self.table.lock().expect("session table");
        let live = table.get(id).map(|s| self.live(s, now))?;
        if !live {
            table.remove(id);
            return None;
        }
        let s = table.get_mut(id)?;
        s.last_used = now;
        Some(s.clone())
    }

    /// Ends a session (logout); `false` when there was none.
    pub fn end(&self, id: &str) -> bool {
        self.table
            .lock()
            .expect("session table")
            .remove(id)
            .is_some()
    }

    /// Ends every session of `user` (disabled, password reset).
    pub fn end_user(&self, user: &str) {
        self.table
            .lock()
            .expect("session table")
            .retain(|_, s| s.user != user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> SessionRule {
        SessionRule {
            idle: Duration::from_secs(60),
            absolute: Duration::from_secs(300),
            max_sessions: 3,
        }
    }

    #[test]
    fn idle_and_absolute_expiry() {
        let sessions = Sessions::new(rule());
        let t0 = Instant::now();
        let id = sessions.start("alice", Role::Operator, None, t0);
        // Used every 50 s: idle never reached...
        for k in 1..=5 {
            assert!(
                sessions
                    .touch(&id, t0 + Duration::from_secs(50 * k))
                    .is_some()
            );
        }
        // ...but the absolute limit ends it.
        assert!(sessions.touch(&id, t0 + Duration::from_secs(300)).is_none());
        let id = sessions.start("alice", Role::Operator, None, t0);
        assert!(sessions.touch(&id, t0 + Duration::from_secs(59)).is_some());
        assert!(sessions.touch(&id, t0 + Duration::from_secs(119)).is_none());
        // An expired session stays gone.
        assert!(sessions.touch(&id, t0 + Duration::from_secs(120)).is_none());
    }

    #[test]
    fn login_replaces_the_old_id_and_logout_ends_it() {
        let sessions = Sessions::new(rule());
        let t0 = Instant::now();
        let first = sessions.start("alice", Role::Operator, None, t0);
        let second = sessions.start("alice", Role::Operator, Some(&first), t0);
        assert_ne!(*first, *second);
        assert!(sessions.touch(&first, t0).is_none());
        let s = sessions.touch(&second, t0).unwrap();
        assert!(s.csrf_matches(&s.csrf.clone()));
        assert!(!s.csrf_matches("forged"));
        assert!(!format!("{s:?}").contains(s.csrf.as_str()));
        assert!(sessions.end(&second));
        assert!(sessions.touch(&second, t0).is_none());
    }

    #[test]
    fn the_table_is_bounded_and_a_user_can_be_logged_out_everywhere() {
        let sessions = Sessions::new(rule());
        let t0 = Instant::now();
        let ids: Vec<_> = (0..4u64)
            .map(|i| {
                sessions.start(
                    &format!("u{i}"),
                    Role::Auditor,
                    None,
                    t0 + Duration::from_secs(i),
                )
            })
            .collect();
        let now = t0 + Duration::from_secs(5);
        assert!(
            sessions.touch(&ids[0], now).is_none(),
            "the oldest made room"
        );
        assert!(ids[1..].iter().all(|id| sessions.touch(id, now).is_some()));
        sessions.end_user("u2");
        assert!(sessions.touch(&ids[2], now).is_none());
        assert!(sessions.touch(&ids[3], now).is_some());
    }
}
