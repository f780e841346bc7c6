//! The embedded SQLite implementation of [`Store`](super::Store).
//!
//! One database file per home, created only by [`SqliteStore::create`] (`cardline init`, mode
//! 0600, marked with cardline's `application_id`); [`SqliteStore::open`] refuses a file that is
//! missing, empty or not cardline's, so an emptied database is never silently recreated.
//! Opened in WAL mode with foreign keys on, `synchronous = FULL` (a committed transition
//! survives a power cut) and a 5 s busy timeout. Every write runs in a `BEGIN IMMEDIATE`
//! transaction on a connection from a small pool; the writes that threads of one store start
//! while another is open join that transaction, each in its own savepoint, and share its
//! commit (group commit, `sqlite/group.rs`): one `fsync` for 64 stations claiming at once, and no write
//! returns before the commit that holds it. Reads take a connection of their own.
//! Every card state change goes through [`crate::lifecycle::next_state`] and writes its audit
//! entry in the same transaction.
//!
//! ```
//! use cardline_issuance::numbering::Numbering;
//! use cardline_issuance::model::OrderSelection;
//! use cardline_issuance::store::{Actor, CardStore, OrderStore, sqlite::SqliteStore};
//! let store = SqliteStore::open_in_memory().unwrap();
//! let alice = Actor("alice".into());
//! store.request_cards(3, &Numbering::default(), &alice).unwrap();
//! let order = store.create_order(&OrderSelection::First(2), &alice).unwrap();
//! assert_eq!(order.cards.len(), 2);
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, TransactionBehavior};

use super::*;
use crate::audit::AuditSealer;

mod cards;
mod certs;
mod changes;
mod desk_cas;
mod desks;
mod file;
mod group;
mod journal;
mod key_registry;
mod order_counts;
mod order_tx;
mod orders;
mod pool;
mod profiles;
mod rows;
mod runs;
mod schema;
mod search;
mod sessions;
pub mod timestamp;
mod users;
mod writer;

use group::GroupCommit;
use pool::Pool;
use writer::Writer;

/// The schema version of a database file and the one this build writes
/// ([`SqliteStore::inspect`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SchemaInfo {
    /// The version recorded in the file (0: no schema yet).
    pub found: i64,
    /// The version this build migrates to.
    pub supported: i64,
}

// Names, audit texts and small rules every backend writes exactly as SQLite does (the
// PostgreSQL backend uses them too, so the two cannot drift).
pub use cards::{happens_through, request_reason};
pub use order_counts::{
    CATEGORIES as ORDER_COUNT_CATEGORIES, SLOTS as ORDER_COUNT_SLOTS, new_order_waiting,
    outcome_of as outcome_of_counts,
};
pub use rows::{attempt_status_name, parse_attempt_status, parse_order_state, parse_step};
pub use writer::event_name;

/// How long a write waits for another process's write transaction before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections a store opens at most (one per thread writing at the same moment).
const MAX_CONNECTIONS: usize = 96;

/// The embedded SQLite store. Cheap to share: wrap it in an `Arc`.
#[derive(Debug)]
pub struct SqliteStore {
    pool: Pool,
    group: GroupCommit,
    path: Option<PathBuf>,
    migrated_from: i64,
    sealer: RwLock<Arc<AuditSealer>>,
}

/// The sealer of a store nobody gave a key: this host's chain, no MAC.
fn keyless_sealer() -> RwLock<Arc<AuditSealer>> {
    RwLock::new(Arc::new(AuditSealer::new(ownership::host_name(), None)))
}

/// What [`backend`] puts in [`StoreError::DiskFull`] before the store names its file.
const UNKNOWN_DATABASE: &str = "file";

/// Maps a SQLite error to a [`StoreError`] naming the operation: a lock held too long is
/// [`StoreError::Busy`], a broken uniqueness rule [`StoreError::Conflict`], a full disk
/// [`StoreError::DiskFull`] (the store's [`SqliteStore::locate`] then names the file), anything
/// else [`StoreError::Backend`].
pub(crate) fn backend(operation: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy {
            operation: operation.to_string(),
        },
        Some(ErrorCode::DiskFull) => StoreError::DiskFull {
            operation: operation.to_string(),
            database: UNKNOWN_DATABASE.to_string(),
        },
        Some(ErrorCode::ConstraintViolation) => StoreError::Conflict {
            operation: operation.to_string(),
            detail: e.to_string(),
        },
        _ => StoreError::Backend {
            operation: operation.to_string(),
            detail: e.to_string(),
        },
    }
}

impl SqliteStore {
    /// Opens the cardline database at `path` and brings its schema up to date. Refuses a
    /// missing, empty or foreign file ([`StoreError::NoDatabase`], [`StoreError::NotADatabase`]).
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        file::check_existing(path)?;
        Self::open_file(path)
    }

    /// Creates the database at `path` (mode 0600) when no file is there, else opens it like
    /// [`open`](Self::open) (so `cardline init` is safe to repeat and never replaces a file).
    pub fn create(path: &Path) -> Result<SqliteStore, StoreError> {
        let created = !path.exists();
        if created {
            file::create_complete(path, |tmp| {
                let mut conn = Connection::open(tmp).map_err(backend("creating the database"))?;
                configure(&conn)?;
                schema::migrate(&mut conn, true, &path.display().to_string())?;
                conn.close()
                    .map_err(|(_, e)| backend("creating the database")(e))
            })?;
        }
        let mut store = Self::open(path)?;
        if created {
            store.migrated_from = 0;
        }
        Ok(store)
    }

    fn open_file(path: &Path) -> Result<SqliteStore, StoreError> {
        let p = path.to_path_buf();
        let open = move || -> Result<Connection, StoreError> {
            let conn = Connection::open(&p).map_err(backend("opening the database"))?;
            configure(&conn)?;
            Ok(conn)
        };
        let mut first = open()?;
        let mode: String = first
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(backend("opening the database"))?;
        tracing::debug!(path = %path.display(), journal_mode = %mode, "opened database");
        let migrated_from = schema::migrate(&mut first, false, &path.display().to_string())?;
        Ok(SqliteStore {
            pool: Pool::new(first, Box::new(open), MAX_CONNECTIONS),
            group: GroupCommit::default(),
            path: Some(path.to_path_buf()),
            migrated_from,
            sealer: keyless_sealer(),
        })
    }

    /// Reads the schema version of the database at `path` without changing anything (opened
    /// read-only, no migration): what `cardline doctor` reports before any command migrates
    /// it. Refuses a missing, empty or foreign file like [`open`](Self::open).
    pub fn inspect(path: &Path) -> Result<SchemaInfo, StoreError> {
        file::check_existing(path)?;
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(backend("inspecting the database"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(backend("inspecting the database"))?;
        Ok(SchemaInfo {
            found: schema::version_of(&conn)?,
            supported: schema::LATEST,
        })
    }

    /// A private in-memory database (tests, examples). It has a single connection.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let mut conn = Connection::open_in_memory().map_err(backend("opening the database"))?;
        configure(&conn)?;
        let migrated_from = schema::migrate(&mut conn, true, ":memory:")?;
        let refuse: pool::Opener = Box::new(|| {
            Err(StoreError::Backend {
                operation: "opening the database".into(),
                detail: "an in-memory database has a single connection".into(),
            })
        });
        Ok(SqliteStore {
            pool: Pool::new(conn, refuse, 1),
            group: GroupCommit::default(),
            path: None,
            migrated_from,
            sealer: keyless_sealer(),
        })
    }

    /// The database file (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version this build writes.
    pub const LATEST_SCHEMA: i64 = schema::LATEST;

    /// The schema version of the file at `path` (0: no file yet), without changing it; a
    /// version above [`LATEST_SCHEMA`](Self::LATEST_SCHEMA) is one this build refuses to open.
    pub fn file_schema_version(path: &Path) -> Result<i64, StoreError> {
        schema::version_of_file(path)
    }

    /// The schema version this build writes.
    pub fn schema_version(&self) -> i64 {
        schema::LATEST
    }

    /// The schema version the file had before this open (0 = it was new).
    pub fn migrated_from(&self) -> i64 {
        self.migrated_from
    }

    fn current_sealer(&self) -> Arc<AuditSealer> {
        self.sealer
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction and commits it (rolls `f`'s writes back on
    /// error); writes other threads start meanwhile share that commit (`sqlite/group.rs`).
    fn write<T>(
        &self,
        operation: &'static str,
        actor: &Actor,
        f: impl FnOnce(&Writer<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.group
            .run(&self.pool, operation, |conn| {
                f(&Writer::new(conn, &actor.0, self.current_sealer()))
            })
            .map_err(|e| self.locate(e))
    }

    /// Like [`write`](Self::write), for production's hot writes, which own their inputs: when
    /// a batch of the group commit is open, its leader runs `f` (`group.rs`, `run_owned`).
    fn write_owned<T: Send + 'static>(
        &self,
        operation: &'static str,
        actor: &Actor,
        f: impl FnOnce(&Writer<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let operator = actor.0.clone();
        let sealer = self.current_sealer();
        self.group
            .run_owned(&self.pool, operation, move |conn| {
                f(&Writer::new(conn, &operator, sealer))
            })
            .map_err(|e| self.locate(e))
    }

    /// Names this store's file in a [`StoreError::DiskFull`], so the operator learns which disk
    /// is full.
    fn locate(&self, e: StoreError) -> StoreError {
        match (e, &self.path) {
            (
                StoreError::DiskFull {
                    operation,
                    database,
                },
                Some(path),
            ) if database == UNKNOWN_DATABASE => StoreError::DiskFull {
                operation,
                database: path.display().to_string(),
            },
            (e, _) => e,
        }
    }

    /// Runs `f` in one write transaction and rolls it back: a dry run computed by exactly the
    /// code that would change the store.
    fn rehearse<T>(
        &self,
        operation: &'static str,
        actor: &Actor,
        f: impl FnOnce(&Writer<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let run = || {
            let mut conn = self.pool.get()?;
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend(operation))?;
            let value = f(&Writer::new(&tx, &actor.0, self.current_sealer()));
            tx.rollback().map_err(backend(operation))?;
            value
        };
        run().map_err(|e| self.locate(e))
    }

    /// Runs `f` in one read transaction (a consistent snapshot).
    fn read<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let run = || {
            let mut conn = self.pool.get()?;
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Deferred)
                .map_err(backend(operation))?;
            let value = f(&tx)?;
            tx.finish().map_err(backend(operation))?;
            Ok(value)
        };
        run().map_err(|e| self.locate(e))
    }
}

/// Settings every connection gets.
fn configure(conn: &Connection) -> Result<(), StoreError> {
    const OP: &str = "configuring the database";
    conn.busy_timeout(BUSY_TIMEOUT).map_err(backend(OP))?;
    // A 64 MiB page cache (SQLite's default is 2 MiB): bulk requests, order creation and searches
    // on stores of 100,000s of cards otherwise read most b-tree pages back from the OS cache.
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536;",
    )
    .map_err(backend(OP))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

mod store_impl;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_disk_full_naming_the_database_file() {
        let full = || {
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
                None,
            )
        };
        let e = backend("journaling a step")(full());
        assert!(matches!(e, StoreError::DiskFull { .. }), "{e:?}");
        assert!(!e.is_transient());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cardline.db");
        let store = SqliteStore::create(&path).unwrap();
        let msg = store.locate(e).to_string();
        assert!(
            msg.contains(&format!(
                "the disk holding the database {} is full",
                path.display()
            )) && msg.contains("journaling a step was not written")
                && msg.contains("cardline recover"),
            "{msg}"
        );
        // Other errors pass through untouched.
        let busy = StoreError::Busy {
            operation: "x".into(),
        };
        assert!(matches!(store.locate(busy), StoreError::Busy { .. }));
    }
}
