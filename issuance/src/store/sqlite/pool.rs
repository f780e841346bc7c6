//! A small pool of SQLite connections: each thread takes its own connection for one
//! transaction, so a thread waiting for another process's write lock waits inside SQLite's
//! busy handler on its own connection — never on a mutex that other threads need.

use std::sync::{Condvar, Mutex, PoisonError};

use rusqlite::Connection;

use crate::store::StoreError;

/// Opens one more connection to the database.
pub(super) type Opener = Box<dyn Fn() -> Result<Connection, StoreError> + Send + Sync>;

/// Connections to one database, opened on demand up to `max`.
pub(super) struct Pool {
    open: Opener,
    max: usize,
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
        Pool {
            open,
            max: max.max(1),
            state: Mutex::new(PoolState {
                idle: vec![first],
                opened: 1,
            }),
            returned: Condvar::new(),
        }
    }

    /// Takes a connection: an idle one, a new one, or (at `max`) the next one returned.
    pub(super) fn get(&self) -> Result<PooledConnection<'_>, StoreError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(PooledConnection {
                    pool: self,
                    conn: Some(conn),
                });
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
