//! Console sessions in SQLite ([`SessionStore`]): the SHA-256 of each id, its user, when it
//! started and was last used.

use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, backend};
use crate::store::sessions::{SessionRecord, SessionStore};
use crate::store::{Actor, StoreError};

/// The sessions migration.
pub const MIGRATION: &str = r#"
CREATE TABLE console_sessions (
    id_sha256    TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL REFERENCES users (name),
    created_ms   INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL
);
CREATE INDEX console_sessions_by_user ON console_sessions (user_name);
CREATE INDEX console_sessions_by_use ON console_sessions (last_seen_ms);
"#;

fn actor() -> Actor {
    Actor("console".into())
}

impl SessionStore for SqliteStore {
    fn create_session(&self, s: &SessionRecord, max: u32) -> Result<(), StoreError> {
        const OP: &str = "starting a session";
        self.write(OP, &actor(), |w| {
            let inserted = w
                .conn
                .execute(
                    "INSERT INTO console_sessions (id_sha256, user_name, created_ms, last_seen_ms) \
                     SELECT ?1, name, ?3, ?4 FROM users WHERE name = ?2",
                    params![s.id_sha256, s.user, s.created_ms, s.last_seen_ms],
                )
                .map_err(backend(OP))?;
            if inserted == 0 {
                return Err(StoreError::UserNotFound(s.user.clone()));
            }
            w.conn
                .execute(
                    "DELETE FROM console_sessions WHERE id_sha256 IN (SELECT id_sha256 FROM \
                     console_sessions ORDER BY last_seen_ms DESC, created_ms DESC LIMIT -1 OFFSET ?1)",
                    params![i64::from(max)],
                )
                .map_err(backend(OP))?;
            Ok(())
        })
    }

    fn session(&self, id_sha256: &str) -> Result<Option<SessionRecord>, StoreError> {
        const OP: &str = "reading a session";
        self.read(OP, |c| {
            c.prepare_cached(
                "SELECT id_sha256, user_name, created_ms, last_seen_ms FROM console_sessions \
                 WHERE id_sha256 = ?1",
            )
            .and_then(|mut st| {
                st.query_row([id_sha256], |r| {
                    Ok(SessionRecord {
                        id_sha256: r.get(0)?,
                        user: r.get(1)?,
                        created_ms: r.get(2)?,
                        last_seen_ms: r.get(3)?,
                    })
                })
                .optional()
            })
            .map_err(backend(OP))
        })
    }

    fn touch_session(&self, id_sha256: &str, last_seen_ms: i64) -> Result<(), StoreError> {
        const OP: &str = "marking a session used";
        self.write(OP, &actor(), |w| {
            w.conn
                .execute(
                    "UPDATE console_sessions SET last_seen_ms = ?2 \
                     WHERE id_sha256 = ?1 AND last_seen_ms < ?2",
                    params![id_sha256, last_seen_ms],
                )
                .map_err(backend(OP))?;
            Ok(())
        })
    }

    fn end_session(&self, id_sha256: &str) -> Result<bool, StoreError> {
        const OP: &str = "ending a session";
        self.write(OP, &actor(), |w| {
            let n = w
                .conn
                .execute(
                    "DELETE FROM console_sessions WHERE id_sha256 = ?1",
                    [id_sha256],
                )
                .map_err(backend(OP))?;
            Ok(n > 0)
        })
    }

    fn end_sessions_of(&self, user: &str) -> Result<u64, StoreError> {
        const OP: &str = "ending a user's sessions";
        self.write(OP, &actor(), |w| {
            let n = w
                .conn
                .execute("DELETE FROM console_sessions WHERE user_name = ?1", [user])
                .map_err(backend(OP))?;
            Ok(n as u64)
        })
    }

    fn end_expired_sessions(
        &self,
        idle_before_ms: i64,
        created_before_ms: i64,
    ) -> Result<u64, StoreError> {
        const OP: &str = "ending expired sessions";
        self.write(OP, &actor(), |w| {
            let n = w
                .conn
                .execute(
                    "DELETE FROM console_sessions WHERE last_seen_ms < ?1 OR created_ms < ?2",
                    params![idle_before_ms, created_before_ms],
                )
                .map_err(backend(OP))?;
            Ok(n as u64)
        })
    }
}
