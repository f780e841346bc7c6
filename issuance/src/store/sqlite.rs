//! The embedded SQLite implementation of [`Store`](super::Store).
//!
//! One database file per home, opened in WAL mode with foreign keys on, `synchronous = FULL`
//! (a committed transition survives a power cut) and a 5 s busy timeout. Every write runs in a
//! `BEGIN IMMEDIATE` transaction, so two processes never interleave writes: the second waits
//! for the first, then sees its result (an order claims its cards atomically). Every card state
//! change goes through [`crate::lifecycle::next_state`] and writes its audit entry in the same
//! transaction.
//!
//! ```
//! use cardline_issuance::numbering::Numbering;
//! use cardline_issuance::model::OrderSelection;
//! use cardline_issuance::store::{Actor, Store, sqlite::SqliteStore};
//! let store = SqliteStore::open_in_memory().unwrap();
//! let alice = Actor("alice".into());
//! store.request_cards(3, &Numbering::default(), &alice).unwrap();
//! let order = store.create_order(&OrderSelection::First(2), &alice).unwrap();
//! assert_eq!(order.cards.len(), 2);
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use super::*;

mod cards;
mod journal;
mod orders;
mod rows;
mod schema;
pub mod timestamp;
mod writer;

use writer::Writer;

/// How long a write waits for another process's write transaction before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The embedded SQLite store. Cheap to share: wrap it in an `Arc`.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
    migrated_from: i64,
}

/// Maps a SQLite error to [`StoreError::Backend`] naming the operation.
pub(crate) fn backend(operation: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::Backend {
        operation: operation.to_string(),
        detail: e.to_string(),
    }
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        const OP: &str = "opening the database";
        let conn = Connection::open(path).map_err(backend(OP))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(backend(OP))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(backend(OP))?;
        tracing::debug!(path = %path.display(), journal_mode = %mode, "opened database");
        Self::setup(conn, Some(path.to_path_buf()))
    }

    /// A private in-memory database (tests, examples).
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory().map_err(backend("opening the database"))?;
        Self::setup(conn, None)
    }

    fn setup(mut conn: Connection, path: Option<PathBuf>) -> Result<SqliteStore, StoreError> {
        const OP: &str = "configuring the database";
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")
            .map_err(backend(OP))?;
        conn.set_prepared_statement_cache_capacity(64);
        let migrated_from = schema::migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path,
            migrated_from,
        })
    }

    /// The database file (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version this build writes.
    pub fn schema_version(&self) -> i64 {
        schema::LATEST
    }

    /// The schema version the file had before this open (0 = it was new).
    pub fn migrated_from(&self) -> i64 {
        self.migrated_from
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction and commits it; rolls back on error.
    fn write<T>(
        &self,
        operation: &'static str,
        actor: &Actor,
        f: impl FnOnce(&Writer<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend(operation))?;
        let value = f(&Writer::new(&tx, &actor.0))?;
        tx.commit().map_err(backend(operation))?;
        Ok(value)
    }

    /// Runs `f` in one read transaction (a consistent snapshot).
    fn read<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(backend(operation))?;
        let value = f(&tx)?;
        tx.finish().map_err(backend(operation))?;
        Ok(value)
    }
}

impl Store for SqliteStore {
    fn request_cards(
        &self,
        count: u32,
        numbering: &crate::numbering::Numbering,
        actor: &Actor,
    ) -> Result<Vec<Card>, StoreError> {
        self.write("requesting cards", actor, |w| {
            cards::request(w, count, numbering)
        })
    }

    fn card(&self, number: &str) -> Result<Card, StoreError> {
        self.read("reading a card", |c| rows::card_by_number(c, number))
    }

    fn list_cards(&self, filter: &CardFilter) -> Result<Vec<Card>, StoreError> {
        self.read("listing cards", |c| cards::list(c, filter))
    }

    fn count_by_state(
        &self,
        order_id: Option<OrderId>,
    ) -> Result<Vec<(CardState, u64)>, StoreError> {
        self.read("counting cards", |c| cards::count_by_state(c, order_id))
    }

    fn apply_event(
        &self,
        number: &str,
        event: CardEvent,
        detail: &EventDetail,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        self.write("changing a card", actor, |w| {
            cards::apply_event(w, number, event, detail)
        })
    }

    fn expire_due(&self, now: &str, actor: &Actor) -> Result<Vec<Card>, StoreError> {
        self.write("expiring cards", actor, |w| cards::expire_due(w, now))
    }

    fn create_order(&self, selection: &OrderSelection, actor: &Actor) -> Result<Order, StoreError> {
        self.write("creating an order", actor, |w| orders::create(w, selection))
    }

    fn order(&self, id: OrderId) -> Result<Order, StoreError> {
        self.read("reading an order", |c| orders::get(c, id))
    }

    fn list_orders(&self) -> Result<Vec<Order>, StoreError> {
        self.read("listing orders", orders::list)
    }

    fn cancel_order(&self, id: OrderId, actor: &Actor) -> Result<Order, StoreError> {
        self.write("cancelling an order", actor, |w| orders::cancel(w, id))
    }

    fn complete_order(&self, id: OrderId, actor: &Actor) -> Result<Order, StoreError> {
        self.write("completing an order", actor, |w| orders::complete(w, id))
    }

    fn repeat_order(
        &self,
        id: OrderId,
        misprinted: &[String],
        actor: &Actor,
    ) -> Result<Vec<Card>, StoreError> {
        self.write("repeating production", actor, |w| {
            orders::repeat(w, id, misprinted)
        })
    }

    fn begin_attempt(
        &self,
        order_id: OrderId,
        station: &str,
        actor: &Actor,
    ) -> Result<Option<(Card, AttemptId)>, StoreError> {
        self.write("starting a production attempt", actor, |w| {
            journal::begin(w, order_id, station)
        })
    }

    fn journal(&self, attempt: AttemptId, records: &[JournalRecord<'_>]) -> Result<(), StoreError> {
        self.write("journaling a step", &Actor::system(), |w| {
            journal::records(w, attempt, records)
        })
    }

    fn attempt_succeeded(
        &self,
        attempt: AttemptId,
        success: &AttemptSuccess,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        self.write("closing a production attempt", actor, |w| {
            journal::succeeded(w, attempt, success)
        })
    }

    fn attempt_failed(
        &self,
        attempt: AttemptId,
        reason: &str,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        self.write("closing a production attempt", actor, |w| {
            journal::failed(w, attempt, reason)
        })
    }

    fn attempt_voided(
        &self,
        attempt: AttemptId,
        reason: &str,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        self.write("voiding a production attempt", actor, |w| {
            journal::voided(w, attempt, reason)
        })
    }

    fn in_flight_attempts(&self) -> Result<Vec<Attempt>, StoreError> {
        self.read("listing attempts in flight", journal::in_flight)
    }

    fn attempts_of_card(&self, number: &str) -> Result<Vec<Attempt>, StoreError> {
        self.read("listing attempts", |c| journal::of_card(c, number))
    }

    fn card_secrets(&self, number: &str) -> Result<Option<SealedSecrets>, StoreError> {
        self.read("reading sealed secrets", |c| journal::secrets(c, number))
    }

    fn audit_note(
        &self,
        action: &str,
        card_number: Option<&str>,
        order_id: Option<OrderId>,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        self.write("writing the audit log", actor, |w| {
            w.audit(action, card_number, order_id, None, None, reason)
        })
    }

    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        self.read("reading the audit log", |c| writer::read_audit(c, filter))
    }
}
