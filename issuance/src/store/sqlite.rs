//! The embedded SQLite implementation of [`Store`](super::Store). (Being written.)

/// The embedded SQLite store.
#[derive(Debug)]
pub struct SqliteStore;
