//! The connection pool (r2d2): each store call takes one connection for one short
//! transaction and gives it back. Connections are opened on demand up to the URL's
//! `pool_max_size`, keep their prepared statements, and are dropped when they broke (server
//! restarted, network cut), so the next call connects afresh.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use postgres::{Client, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::PostgresError;
use crate::url::DatabaseUrl;

/// How long a call waits for a free connection (or for the server to accept one).
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a statement waits for a row lock another transaction holds.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(5);
/// The server ends a session that sits in an open transaction this long (a client that hung
/// mid-transaction must not hold row locks).
pub const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(60);
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;

/// One connection with its prepared statements.
pub struct Conn {
    /// The client.
    pub client: Client,
    statements: HashMap<String, Statement>,
    /// Set when a statement failed because the connection did: the pool drops it.
    pub broken: bool,
    /// This connection's audit lane: its transactions chain their audit entries in the
    /// writer's chain number `lane` (see [`Lane`]).
    pub lane: Lane,
}

/// The number of a connection's own audit chain among its pool's: the lowest number no
/// other open connection of the pool holds, given back when the connection closes. A
/// connection runs one transaction at a time, so the transactions of one desk's stations
/// (each on its connection) no longer queue on one chain head (docs/audit.md); the chains of
/// a pool stay as few as its connections ever open at once.
pub struct Lane {
    /// 0 for the writer's own chain, `n` for `writer#n`.
    pub n: usize,
    taken: Arc<Mutex<BTreeSet<usize>>>,
}

impl Lane {
    fn take(taken: &Arc<Mutex<BTreeSet<usize>>>) -> Lane {
        let mut set = taken.lock().unwrap_or_else(PoisonError::into_inner);
        let n = (0..).find(|n| !set.contains(n)).expect("a free lane");
        set.insert(n);
        Lane {
            n,
            taken: Arc::clone(taken),
        }
    }
}

impl Drop for Lane {
    fn drop(&mut self) {
        self.taken
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.n);
    }
}

impl Conn {
    /// The prepared statement for `sql`, preparing it once per connection.
    pub fn statement(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.client.prepare(sql)?;
        if self.statements.len() >= STATEMENT_CACHE {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

/// Opens connections to one database.
pub struct Manager {
    url: DatabaseUrl,
    config: postgres::Config,
    tls: MakeRustlsConnect,
    lanes: Arc<Mutex<BTreeSet<usize>>>,
}

impl Manager {
    /// A manager for `url` (TLS set up from its `sslmode` and `sslrootcert`).
    pub fn new(url: &DatabaseUrl) -> Result<Manager, PostgresError> {
        Ok(Manager {
            config: url.client_config()?,
            tls: crate::tls::connector(url)?,
            url: url.clone(),
            lanes: Arc::default(),
        })
    }

    /// Opens one connection and sets the session up.
    pub fn open(&self) -> Result<Conn, PostgresError> {
        let mut client = self
            .config
            .connect(self.tls.clone())
            .map_err(|e| crate::tls::connect_error(&self.url, &e))?;
        client
            .batch_execute(&format!(
                "SET lock_timeout = {}; SET idle_in_transaction_session_timeout = {}",
                LOCK_TIMEOUT.as_millis(),
                IDLE_IN_TRANSACTION_TIMEOUT.as_millis()
            ))
            .map_err(|e| crate::tls::connect_error(&self.url, &e))?;
        Ok(Conn {
            client,
            statements: HashMap::new(),
            broken: false,
            lane: Lane::take(&self.lanes),
        })
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = PostgresError;

    fn connect(&self) -> Result<Conn, PostgresError> {
        self.open()
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), PostgresError> {
        conn.client
            .simple_query("")
            .map(|_| ())
            .map_err(|e| crate::tls::connect_error(&self.url, &e))
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.broken || conn.client.is_closed()
    }
}

/// One thread, shared by every pool of the process, for the pool's housekeeping.
fn housekeeping() -> Arc<scheduled_thread_pool::ScheduledThreadPool> {
    static POOL: OnceLock<Arc<scheduled_thread_pool::ScheduledThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        Arc::new(
            scheduled_thread_pool::ScheduledThreadPool::builder()
                .num_threads(1)
                .thread_name_pattern("cardline-pg-pool")
                .build(),
        )
    })
    .clone()
}

/// A pool of at most `url.pool_max_size()` connections, none opened yet.
pub fn build(url: &DatabaseUrl) -> Result<r2d2::Pool<Manager>, PostgresError> {
    let manager = Manager::new(url)?;
    Ok(r2d2::Pool::builder()
        .max_size(url.pool_max_size())
        .min_idle(Some(0))
        .test_on_check_out(false)
        .connection_timeout(CONNECTION_TIMEOUT)
        .idle_timeout(Some(Duration::from_secs(300)))
        .thread_pool(housekeeping())
        .error_handler(Box::new(LogErrors))
        .build_unchecked(manager))
}

/// Logs connection failures of the pool at debug level (the caller gets the error).
#[derive(Debug)]
struct LogErrors;

impl r2d2::HandleError<PostgresError> for LogErrors {
    fn handle_error(&self, error: PostgresError) {
        tracing::debug!("database connection failed: {error}");
    }
}
