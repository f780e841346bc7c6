//! A small pool of SQLite connections: each thread takes its own connection for one
//! transaction, so a thread waiting for another process's write lock waits inside SQLite's
//! busy handler on its own connection — never on a mutex that other threads need.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::store::StoreError;

/// How long a thread waits for a connection to come back before it opens one more (past the
/// pool's eager size). Opening costs 0.6 ms of CPU and more (the schema parsed, every statement
/// prepared again on the new connection) while a read holds a connection for tens of
/// microseconds: when 64 stations start at once and each reads, 64 connections opened together
/// held the first card back 60 ms (docs/PERFORMANCE.md).
const RETURN_WAIT: Duration = Duration::from_millis(20);

/// Opens one more connection to the database.
pub(super) type Opener = Box<dyn Fn() -> Result<Connection, StoreError> + Send + Sync>;

/// Connections to one database, opened on demand up to `max`.
pub(super) struct Pool {
    open: Opener,
    max: usize,
    /// Beyond this many open connections, a thread finding none idle first waits
    /// [`RETURN_WAIT`] for one to come back before it opens another.
    eager: usize,
    state: Mutex<PoolState>,
    returned: Condvar,
}

struct PoolState {
    idle: Vec<Connection>,
    opened: usize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        write!(f, "Pool({} of at most {} open)", s.opened, self.max)
    }
}

impl Pool {
    /// A pool holding `first` (already opened and migrated), opening more with `open` up to
    /// `max` connections in all.
    pub(super) fn new(first: Connection, open: Opener, max: usize) -> Pool {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Pool {
            open,
            max: max.max(1),
            eager: (2 * cores).max(4).min(max.max(1)),
            state: Mutex::new(PoolState {
                idle: vec![first],
                opened: 1,
            }),
            returned: Condvar::new(),
        }
    }

    /// Takes a connection: an idle one; else, below the eager size, a new one; else the next
    /// one returned within [`RETURN_WAIT`], or a new one; at `max`, the next one returned.
    pub(super) fn get(&self) -> Result<PooledConnection<'_>, StoreError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut patient_until = None;
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(PooledConnection {
                    pool: self,
                    conn: Some(conn),
                });
            }
            if state.opened >= self.eager && state.opened < self.max {
                let until = *patient_until.get_or_insert_with(|| Instant::now() + RETURN_WAIT);
                let left = until.saturating_duration_since(Instant::now());
                if !left.is_zero() {
                    state = self
                        .returned
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    continue;
                }
            }
            if state.opened < self.max {
                state.opened += 1;
                drop(state);
                return match (self.open)() {
                    Ok(conn) => Ok(PooledConnection {
                        pool: self,
                        conn: Some(conn),
                    }),
                    Err(e) => {
                        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                        s.opened -= 1;
                        Err(e)
                    }
                };
            }
            state = self
                .returned
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Sets the eager size (tests: it is otherwise twice the cores).
    #[cfg(test)]
    fn with_eager(mut self, eager: usize) -> Pool {
        self.eager = eager.clamp(1, self.max);
        self
    }

    /// Takes a connection out of the pool until [`give_back`](Self::give_back) (the group
    /// commit holds one across threads for the length of a batch).
    pub(super) fn take(&self) -> Result<Connection, StoreError> {
        let mut pooled = self.get()?;
        Ok(pooled
            .conn
            .take()
            .expect("a pooled connection is present until dropped"))
    }

    /// Returns a connection [`take`](Self::take) handed out.
    pub(super) fn give_back(&self, conn: Connection) {
        self.put_back(conn);
    }

    fn put_back(&self, conn: Connection) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.idle.push(conn);
        drop(state);
        self.returned.notify_one();
    }
}

/// A connection taken from the pool; goes back on drop.
pub(super) struct PooledConnection<'p> {
    pool: &'p Pool,
    conn: Option<Connection>,
}

impl std::ops::Deref for PooledConnection<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a pooled connection is present until dropped")
    }
}

impl std::ops::DerefMut for PooledConnection<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
            .as_mut()
            .expect("a pooled connection is present until dropped")
    }
}

impl Drop for PooledConnection<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.put_back(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A pool of in-memory connections that counts the ones it opened.
    fn counting_pool(eager: usize) -> (Pool, Arc<AtomicUsize>) {
        let opened = Arc::new(AtomicUsize::new(1));
        let count = opened.clone();
        let open: Opener = Box::new(move || {
            count.fetch_add(1, Ordering::SeqCst);
            Ok(Connection::open_in_memory().expect("in-memory connection"))
        });
        let first = Connection::open_in_memory().expect("in-memory connection");
        (Pool::new(first, open, 8).with_eager(eager), opened)
    }

    #[test]
    fn below_the_eager_size_a_connection_is_opened_at_once() {
        let (pool, opened) = counting_pool(3);
        let a = pool.get().unwrap();
        let b = pool.get().unwrap();
        let started = Instant::now();
        let c = pool.get().unwrap();
        assert!(
            started.elapsed() < RETURN_WAIT,
            "no wait below the eager size"
        );
        assert_eq!(opened.load(Ordering::SeqCst), 3);
        drop((a, b, c));
        let _again = [
            pool.get().unwrap(),
            pool.get().unwrap(),
            pool.get().unwrap(),
        ];
        assert_eq!(
            opened.load(Ordering::SeqCst),
            3,
            "idle ones are taken first"
        );
    }

    #[test]
    fn past_the_eager_size_a_connection_returned_meanwhile_is_taken_instead_of_a_new_one() {
        let (pool, opened) = counting_pool(2);
        let a = pool.get().unwrap();
        let b = pool.get().unwrap();
        std::thread::scope(|s| {
            s.spawn(move || {
                std::thread::sleep(Duration::from_millis(5));
                drop(a);
            });
            let started = Instant::now();
            let c = pool.get().unwrap();
            assert!(started.elapsed() >= Duration::from_millis(4), "it waited");
            assert_eq!(opened.load(Ordering::SeqCst), 2, "nothing opened");
            drop(c);
        });
        drop(b);
    }

    #[test]
    fn past_the_eager_size_a_connection_is_opened_when_none_comes_back_in_time() {
        let (pool, opened) = counting_pool(2);
        let held = [pool.get().unwrap(), pool.get().unwrap()];
        let started = Instant::now();
        let c = pool.get().unwrap();
        assert!(started.elapsed() >= RETURN_WAIT, "it waited first");
        assert_eq!(opened.load(Ordering::SeqCst), 3);
        drop((held, c));
    }
}
