//! Console sessions in PostgreSQL ([`SessionStore`]): the SHA-256 of each id, its user, when
//! it started and was last used; shared by every `cardline serve` over the database.

use cardline_issuance::store::sessions::{SessionRecord, SessionStore};
use cardline_issuance::store::{Actor, StoreError};

use crate::PostgresStore;
use crate::rows::get;

fn actor() -> Actor {
    Actor("console".into())
}

impl SessionStore for PostgresStore {
    fn create_session(&self, s: &SessionRecord, max: u32) -> Result<(), StoreError> {
        const OP: &str = "starting a session";
        self.write(OP, &actor(), |tx| {
            let inserted = tx.execute(
                OP,
                "INSERT INTO console_sessions (id_sha256, user_name, created_ms, last_seen_ms) \
                 SELECT $1, name, $3, $4 FROM users WHERE name = $2",
                &[&s.id_sha256, &s.user, &s.created_ms, &s.last_seen_ms],
            )?;
            if inserted == 0 {
                return Err(StoreError::UserNotFound(s.user.clone()));
            }
            tx.execute(
                OP,
                "DELETE FROM console_sessions WHERE id_sha256 IN (SELECT id_sha256 FROM \
                 console_sessions ORDER BY last_seen_ms DESC, created_ms DESC OFFSET $1)",
                &[&i64::from(max)],
            )?;
            Ok(())
        })
    }

    fn session(&self, id_sha256: &str) -> Result<Option<SessionRecord>, StoreError> {
        const OP: &str = "reading a session";
        self.read(OP, |tx| {
            tx.query_opt(
                OP,
                "SELECT id_sha256, user_name, created_ms, last_seen_ms FROM console_sessions \
                 WHERE id_sha256 = $1",
                &[&id_sha256],
            )?
            .map(|r| {
                Ok(SessionRecord {
                    id_sha256: get(&r, 0)?,
                    user: get(&r, 1)?,
                    created_ms: get(&r, 2)?,
                    last_seen_ms: get(&r, 3)?,
                })
            })
            .transpose()
        })
    }

    fn touch_session(&self, id_sha256: &str, last_seen_ms: i64) -> Result<(), StoreError> {
        const OP: &str = "marking a session used";
        self.write(OP, &actor(), |tx| {
            tx.execute(
                OP,
                "UPDATE console_sessions SET last_seen_ms = $2 \
                 WHERE id_sha256 = $1 AND last_seen_ms < $2",
                &[&id_sha256, &last_seen_ms],
            )?;
            Ok(())
        })
    }

    fn end_session(&self, id_sha256: &str) -> Result<bool, StoreError> {
        const OP: &str = "ending a session";
        self.write(OP, &actor(), |tx| {
            Ok(tx.execute(
                OP,
                "DELETE FROM console_sessions WHERE id_sha256 = $1",
                &[&id_sha256],
            )? > 0)
        })
    }

    fn end_sessions_of(&self, user: &str) -> Result<u64, StoreError> {
        const OP: &str = "ending a user's sessions";
        self.write(OP, &actor(), |tx| {
            tx.execute(
                OP,
                "DELETE FROM console_sessions WHERE user_name = $1",
                &[&user],
            )
        })
    }

    fn end_expired_sessions(
        &self,
        idle_before_ms: i64,
        created_before_ms: i64,
    ) -> Result<u64, StoreError> {
        const OP: &str = "ending expired sessions";
        self.write(OP, &actor(), |tx| {
            tx.execute(
                OP,
                "DELETE FROM console_sessions WHERE last_seen_ms < $1 OR created_ms < $2",
                &[&idle_before_ms, &created_before_ms],
            )
        })
    }
}
