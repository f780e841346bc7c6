//! Console sessions kept in the store, so that two `cardline serve` processes over one
//! database share them and a restart keeps them. Only the SHA-256 of a session id is stored:
//! a reader of the database cannot use a session. Times are milliseconds since the Unix epoch
//! (wall clock: the processes sharing the database compare them).

use super::StoreError;

/// One live session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 (hex) of the session id.
    pub id_sha256: String,
    /// The user it belongs to.
    pub user: String,
    /// When it started (login).
    pub created_ms: i64,
    /// When it was last used.
    pub last_seen_ms: i64,
}

/// Console sessions.
pub trait SessionStore: Send + Sync {
    /// Stores a new session; when more than `max` sessions then exist, the least recently used
    /// ones end.
    fn create_session(&self, session: &SessionRecord, max: u32) -> Result<(), StoreError>;
    /// The session with this id hash, if it exists.
    fn session(&self, id_sha256: &str) -> Result<Option<SessionRecord>, StoreError>;
    /// Marks the session used at `last_seen_ms` (never moves it back).
    fn touch_session(&self, id_sha256: &str, last_seen_ms: i64) -> Result<(), StoreError>;
    /// Ends one session; `false` when there was none.
    fn end_session(&self, id_sha256: &str) -> Result<bool, StoreError>;
    /// Ends every session of `user`; how many ended.
    fn end_sessions_of(&self, user: &str) -> Result<u64, StoreError>;
    /// Ends the sessions last used before `idle_before_ms` or started before
    /// `created_before_ms` (expired ones); how many ended.
    fn end_expired_sessions(
        &self,
        idle_before_ms: i64,
        created_before_ms: i64,
    ) -> Result<u64, StoreError>;
}
