//! Group commit: the write transactions that threads of one store start while another one is
//! open share its commit, so N stations asking for their first card at the same moment cost
//! one `fsync` instead of N serialized ones.
//!
//! The first thread to write when no transaction is open is the batch's *leader*: it takes a
//! connection, opens `BEGIN IMMEDIATE`, runs its own operation (without a savepoint: it is the
//! first of the transaction, so if it fails the transaction is rolled back and the batch ends
//! there), then lets every thread already waiting to write run its operation in the same
//! transaction, each in a savepoint of its own, one after the other. Then the leader commits
//! once and wakes them. A member waits parked on its own batch's outcome, not on the store's
//! lock: with 64 stations journaling at once, members that had to take the lock again to read
//! their outcome queued behind the next batch's commit, and one write took up to 100 ms.
//!
//! The guarantees of a write are unchanged:
//! - **Durable before return.** No operation returns `Ok` before the `COMMIT` that holds it
//!   succeeded (`synchronous = FULL`); if that commit fails, every member gets the error and
//!   none of their effects exist. A claim is therefore still committed before the physical
//!   step it precedes.
//! - **Isolated.** The operations run one at a time on one connection, each seeing the ones
//!   before it: a fencing check (is the attempt still in flight?) sees every earlier write of
//!   the batch, exactly as if each had committed alone in that order.
//! - **All or nothing per operation.** An operation that fails (or panics) is rolled back to
//!   its savepoint; the others of the batch commit without it.
//!
//! An operation that owns its inputs ([`GroupCommit::run_owned`]: production's claims and
//! journal writes) does not even run on its own thread when a batch is open: it is handed to
//! the batch's leader, which runs it in its savepoint next to its own, while the member waits
//! parked. At a burst — 64 stations claiming their next card at the same moment — a member
//! that ran its operation itself first had to be scheduled onto a core, one after the other:
//! 64 claims of 0.2 ms of CPU each took 35 ms. The leader, already running, takes them in a row.
//!
//! Nobody waits for company: a leader commits as soon as no other thread is waiting to write,
//! so a lone writer pays exactly what it paid before. A batch holds at most one operation per
//! writing thread (a member waits for the commit before it can write again).

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::Thread;
use std::time::Duration;

use rusqlite::Connection;

use super::backend;
use super::pool::Pool;
use crate::store::StoreError;

/// How a batch's commit ended.
#[derive(Clone, Debug)]
enum Outcome {
    Committed,
    /// The commit (or the transaction) failed: the extended SQLite code and message.
    Failed(i32, String),
}

/// How one batch ended, set once by its leader and read by its members without the store's
/// lock: a member waiting for its commit needs nothing the next batch holds.
#[derive(Default)]
struct BatchEnd {
    outcome: OnceLock<Outcome>,
}

#[derive(Default)]
struct State {
    /// The open transaction's connection (`None` between batches).
    conn: Option<Connection>,
    /// A savepoint could not be rolled back: the open transaction must not commit.
    broken: Option<(i32, String)>,
    /// Where the open batch's outcome will be set.
    end: Arc<BatchEnd>,
    /// Members of the open batch besides its leader, unparked once its outcome is set.
    followers: Vec<Thread>,
    /// Operations handed to the open batch's leader ([`GroupCommit::run_owned`]), in order.
    handed: Vec<Handed>,
}

/// An operation handed to a batch's leader: runs it in a savepoint of the open transaction
/// and leaves the result where its member will read it.
type Handed = Box<dyn FnOnce(&GroupCommit, &mut State) + Send>;

/// The group-commit writer of one store.
#[derive(Default)]
pub(super) struct GroupCommit {
    state: Mutex<State>,
    /// Signalled when a member's operation ended: only the open batch's leader waits on it.
    joined: Condvar,
    /// Threads waiting for [`GroupCommit::state`] to write.
    queued: AtomicUsize,
    /// Batches opened so far, readable without the lock.
    opened: AtomicU64,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupCommit")
    }
}

fn failure(e: &rusqlite::Error) -> (i32, String) {
    let code = match e {
        rusqlite::Error::SqliteFailure(f, _) => f.extended_code,
        _ => rusqlite::ffi::SQLITE_ERROR,
    };
    (code, e.to_string())
}

/// The error a member gets when its batch did not commit, mapped like any SQLite error.
fn failed(operation: &'static str, code: i32, message: &str) -> StoreError {
    backend(operation)(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(code),
        Some(format!("the group commit failed: {message}")),
    ))
}

impl GroupCommit {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` in a write transaction on a connection of `pool`, sharing the commit with the
    /// writes other threads start meanwhile; returns once that commit is durable.
    pub(super) fn run<T>(
        &self,
        pool: &Pool,
        operation: &'static str,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let mut st = self.lock();
        self.queued.fetch_sub(1, Ordering::SeqCst);
        let leader = st.conn.is_none();
        if leader {
            let conn = pool.take()?;
            if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
                pool.give_back(conn);
                return Err(backend(operation)(e));
            }
            st.conn = Some(conn);
            self.opened.fetch_add(1, Ordering::SeqCst);
            st.end = Arc::default();
            st.followers.clear();
            st.broken = None;
        } else {
            st.followers.push(std::thread::current());
        }
        let end = st.end.clone();
        if leader {
            let result = self.first(&mut st, f);
            if !matches!(result, Ok(Ok(_))) {
                return self.abandon(st, pool, result);
            }
            self.commit(st, pool, operation, result)
        } else {
            let result = self.in_savepoint(&mut st, operation, f);
            drop(st);
            self.joined.notify_one();
            await_commit(&end, result, operation)
        }
    }

    /// Like [`run`](Self::run), for an operation that owns what it needs: when a batch is
    /// open, its leader runs it (in a savepoint of its own) instead of this thread; otherwise
    /// this thread leads a batch of its own. The same guarantees either way.
    pub(super) fn run_owned<T: Send + 'static>(
        &self,
        pool: &Pool,
        operation: &'static str,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let mut st = self.lock();
        self.queued.fetch_sub(1, Ordering::SeqCst);
        if st.conn.is_none() {
            drop(st);
            return self.run(pool, operation, f);
        }
        type Slot<T> = Arc<Mutex<Option<std::thread::Result<Result<T, StoreError>>>>>;
        let slot: Slot<T> = Arc::default();
        let filled = Arc::clone(&slot);
        st.handed
            .push(Box::new(move |gc: &GroupCommit, st: &mut State| {
                let result = gc.in_savepoint(st, operation, f);
                *filled.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
            }));
        st.followers.push(std::thread::current());
        let end = st.end.clone();
        drop(st);
        self.joined.notify_one();
        let outcome = wait_for_outcome(&end);
        let result = slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .expect("the leader runs every handed operation before it sets the outcome");
        settle(result, outcome, operation)
    }

    /// Runs the leader's `f`, the first operation of the transaction, without a savepoint:
    /// nobody can join before it ends (the leader holds the lock), so undoing it is rolling the
    /// transaction back ([`abandon`](Self::abandon)). A savepoint would make SQLite copy every
    /// page the operation changes to a temporary sub-journal first: 28 % of the time of an order
    /// of 100,000 cards (docs/PERFORMANCE.md, issue 11).
    fn first<T>(
        &self,
        st: &mut State,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> std::thread::Result<Result<T, StoreError>> {
        let conn = st.conn.as_ref().expect("a batch is open");
        catch_unwind(AssertUnwindSafe(|| f(conn)))
    }

    /// The leader's own operation failed (or panicked) before anyone joined: rolls the whole
    /// transaction back and ends the batch without a commit; the threads queued meanwhile
    /// start a batch of their own.
    fn abandon<T>(
        &self,
        mut st: MutexGuard<'_, State>,
        pool: &Pool,
        result: std::thread::Result<Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let conn = st.conn.take().expect("the leader's batch is open");
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        pool.give_back(conn);
        st.broken = None;
        drop(st);
        match result {
            Ok(r) => r,
            Err(panic) => resume_unwind(panic),
        }
    }

    /// Runs `f` inside a savepoint of the open transaction; rolls back to it when `f` fails.
    fn in_savepoint<T>(
        &self,
        st: &mut State,
        operation: &'static str,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> std::thread::Result<Result<T, StoreError>> {
        let conn = st.conn.as_ref().expect("a batch is open");
        // A transaction SQLite rolled back by itself (a full disk, an I/O error) fails the
        // batch: running on would start a transaction of its own outside the batch.
        if let Some((code, message)) = &st.broken {
            return Ok(Err(failed(operation, *code, message)));
        }
        if conn.is_autocommit() {
            let e = "the batch's transaction ended early".to_string();
            st.broken = Some((rusqlite::ffi::SQLITE_ABORT, e.clone()));
            return Ok(Err(failed(operation, rusqlite::ffi::SQLITE_ABORT, &e)));
        }
        if let Err(e) = conn.execute_batch("SAVEPOINT op") {
            return Ok(Err(backend(operation)(e)));
        }
        let result = catch_unwind(AssertUnwindSafe(|| f(conn)));
        let end = match &result {
            Ok(Ok(_)) => conn.execute_batch("RELEASE op"),
            _ => conn.execute_batch("ROLLBACK TO op; RELEASE op"),
        };
        if let Err(e) = end {
            st.broken.get_or_insert(failure(&e));
            if matches!(result, Ok(Ok(_))) {
                return Ok(Err(backend(operation)(e)));
            }
        }
        result
    }

    /// The leader: lets the threads already waiting join, commits, wakes the members.
    fn commit<T>(
        &self,
        mut st: MutexGuard<'_, State>,
        pool: &Pool,
        operation: &'static str,
        result: std::thread::Result<Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        loop {
            // The handed operations, in the order they came, each in its savepoint.
            while !st.handed.is_empty() {
                let handed = std::mem::take(&mut st.handed);
                for op in handed {
                    op(self, &mut st);
                }
            }
            if self.queued.load(Ordering::SeqCst) == 0 {
                break;
            }
            st = self
                .joined
                .wait_timeout(st, Duration::from_millis(1))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        let conn = st.conn.take().expect("the leader's batch is open");
        let outcome = match st.broken.take() {
            Some((code, message)) => Outcome::Failed(code, message),
            None => match conn.execute_batch("COMMIT") {
                Ok(()) => Outcome::Committed,
                Err(e) => {
                    let (code, message) = failure(&e);
                    Outcome::Failed(code, message)
                }
            },
        };
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        pool.give_back(conn);
        let end = std::mem::take(&mut st.end);
        let followers = std::mem::take(&mut st.followers);
        drop(st);
        let _ = end.outcome.set(outcome.clone());
        for member in followers {
            member.unpark();
        }
        settle(result, &outcome, operation)
    }
}

/// A member: waits (parked, holding no lock) until its batch's leader set the outcome.
fn await_commit<T>(
    end: &BatchEnd,
    result: std::thread::Result<Result<T, StoreError>>,
    operation: &'static str,
) -> Result<T, StoreError> {
    settle(result, wait_for_outcome(end), operation)
}

/// Parks until the batch's outcome is set.
fn wait_for_outcome(end: &BatchEnd) -> &Outcome {
    loop {
        match end.outcome.get() {
            Some(o) => return o,
            // A stray unpark token only makes this look again.
            None => std::thread::park(),
        }
    }
}

/// A member's own result once its batch ended: its own error or panic first, then the
/// commit's failure.
fn settle<T>(
    result: std::thread::Result<Result<T, StoreError>>,
    outcome: &Outcome,
    operation: &'static str,
) -> Result<T, StoreError> {
    let own = match result {
        Ok(r) => r,
        Err(panic) => resume_unwind(panic),
    };
    match (own, outcome) {
        (Err(e), _) => Err(e),
        (Ok(_), Outcome::Failed(code, message)) => Err(failed(operation, *code, message)),
        (Ok(v), Outcome::Committed) => Ok(v),
    }
}

#[cfg(test)]
impl GroupCommit {
    /// Batches opened so far (each ends in one commit).
    pub(super) fn batches(&self) -> u64 {
        self.opened.load(Ordering::SeqCst)
    }

    /// Threads waiting to write right now.
    pub(super) fn waiting(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
#[path = "group_tests.rs"]
mod tests;
