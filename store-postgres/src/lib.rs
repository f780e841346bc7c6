//! The PostgreSQL store of cardline: every store interface of
//! [`cardline_issuance::store`] over one PostgreSQL database that several desks share, with
//! the same rules as the embedded SQLite store (both pass the same conformance suite).
//!
//! * **Chosen by URL** ([`DatabaseUrl`]): `postgres://USER:PASSWORD@HOST:PORT/DATABASE`, with
//!   `sslmode=disable|prefer|require|verify-ca|verify-full`, `sslrootcert=FILE` (TLS with
//!   rustls) and `pool_max_size=N`. The password never appears in `Debug`, logs or errors.
//! * **Migrations** embedded in this build and recorded in the database's
//!   `schema_migrations` table: [`PostgresStore::migrate`] applies them (`cardline db
//!   migrate`), [`PostgresStore::status`] reports them (`cardline db status`), and
//!   [`PostgresStore::open`] refuses an empty database, an older or newer schema, or another
//!   application's database, with the error that names the fix.
//! * **Short transactions only**, one per call, on a pooled connection; none is held while a
//!   physical step runs. Row locks where writers race: a production claim
//!   ([`ProductionJournal::begin_attempt`](cardline_issuance::store::ProductionJournal::begin_attempt))
//!   takes the next waiting card of the order with `FOR UPDATE SKIP LOCKED` after checking,
//!   under share locks, that the order is open, the run live and the station its own
//!   (fencing); every later write of the attempt locks the attempt and refuses once it is
//!   closed. The rules of orders are [`cardline_issuance::order_rules`], run over this
//!   backend's transaction.
//!
//! The client is the synchronous `postgres` crate, which runs its own small runtime per
//! connection: call the store from plain threads, never from a tokio worker (use
//! `spawn_blocking` there).
//!
//! ```no_run
//! use cardline_issuance::model::OrderSelection;
//! use cardline_issuance::numbering::Numbering;
//! use cardline_issuance::store::{Actor, CardStore, OrderStore};
//! use cardline_postgres::{DatabaseUrl, PostgresStore};
//!
//! let url: DatabaseUrl = "postgres://cardline:secret@db.example/cardline?sslmode=verify-full&sslrootcert=/etc/cardline/db-ca.pem"
//!     .parse()
//!     .unwrap();
//! let admin = Actor("admin".into());
//! println!("{}", PostgresStore::migrate(&url, &admin).unwrap());
//! let store = PostgresStore::open(&url).unwrap();
//! store.request_cards(3, &Numbering::default(), &admin).unwrap();
//! let order = store.create_order(&OrderSelection::All, &admin).unwrap();
//! assert_eq!(order.cards.len(), 3);
//! ```

use cardline_issuance::store::{Actor, StoreError};

mod audit;
mod cards;
mod certs;
mod changes;
mod desk_cas;
mod desks;
mod error;
mod journal;
mod key_registry;
mod migrate;
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
mod store_impl;
mod store_journal;
mod tls;
mod tx;
mod url;
mod users;

pub use desks::WORK_CHANNEL;
pub use error::PostgresError;
pub use migrate::{MigrationInfo, MigrationReport, SchemaStatus};
pub use pool::{CONNECTION_TIMEOUT, IDLE_IN_TRANSACTION_TIMEOUT, LOCK_TIMEOUT};
pub use url::{DEFAULT_POOL_MAX_SIZE, DatabaseUrl, MAX_POOL_MAX_SIZE, SslMode, is_postgres_url};

use tx::{Mode, Plans, Tx};

/// The PostgreSQL store. Cheap to share: wrap it in an `Arc`; every handle has its own pool.
pub struct PostgresStore {
    pool: r2d2::Pool<pool::Manager>,
    url: DatabaseUrl,
    /// Work announcements (`wait_for_work`): LISTEN on a connection outside the pool.
    work: std::sync::Arc<desks::WorkSignal>,
    /// Who seals the audit entries this handle writes (this host without a key until
    /// [`AuditLog::set_audit_sealer`](cardline_issuance::store::AuditLog::set_audit_sealer)).
    sealer: std::sync::RwLock<std::sync::Arc<cardline_issuance::audit::AuditSealer>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.pool.state();
        write!(
            f,
            "PostgresStore({}, {} of at most {} connections open)",
            self.url,
            state.connections,
            self.pool.max_size()
        )
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.work.stop();
    }
}

impl PostgresStore {
    /// Opens the cardline database at `url`. Refuses (without writing anything) a database
    /// with no cardline schema or an older one ([`PostgresError::NoSchema`],
    /// [`PostgresError::SchemaBehind`]: run `cardline db migrate`), a newer one, and another
    /// application's database ([`PostgresError::Foreign`]).
    pub fn open(url: &DatabaseUrl) -> Result<PostgresStore, PostgresError> {
        let mut first = migrate::connect(url)?;
        migrate::require_current(url, &mut first)?;
        drop(first);
        Ok(PostgresStore {
            pool: pool::build(url)?,
            url: url.clone(),
            work: desks::WorkSignal::new(),
            sealer: std::sync::RwLock::new(std::sync::Arc::new(
                cardline_issuance::audit::AuditSealer::new(
                    cardline_issuance::store::ownership::host_name(),
                    None,
                ),
            )),
        })
    }

    /// Brings the schema of the database at `url` up to this build's version, in one
    /// transaction; `schema_migrations` records each migration with `actor` and the time. An
    /// empty database gets the whole schema; another application's database is refused.
    pub fn migrate(url: &DatabaseUrl, actor: &Actor) -> Result<MigrationReport, PostgresError> {
        migrate::migrate(url, schema::LATEST, actor)
    }

    /// Like [`migrate`](Self::migrate), but only up to schema version `target` (staged
    /// upgrades and tests).
    pub fn migrate_to(
        url: &DatabaseUrl,
        target: i64,
        actor: &Actor,
    ) -> Result<MigrationReport, PostgresError> {
        migrate::migrate(url, target, actor)
    }

    /// The backend, the server's version, the schema version of the database and the
    /// migrations pending. Refuses another application's database.
    pub fn status(url: &DatabaseUrl) -> Result<SchemaStatus, PostgresError> {
        migrate::status(url)
    }

    /// One plain connection to `url` with its TLS settings, outside any pool (administration:
    /// creating and dropping databases, tests).
    pub fn client(url: &DatabaseUrl) -> Result<postgres::Client, PostgresError> {
        Ok(migrate::connect(url)?.client)
    }

    /// The schema version this build writes.
    pub fn schema_version() -> i64 {
        schema::LATEST
    }

    /// Every migration of this build, in order.
    pub fn migrations() -> Vec<MigrationInfo> {
        schema::MIGRATIONS.iter().map(MigrationInfo::from).collect()
    }

    /// The URL of the database (password hidden when shown).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The sealer of the audit entries written now.
    fn current_sealer(&self) -> std::sync::Arc<cardline_issuance::audit::AuditSealer> {
        self.sealer
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Runs `f` in one write transaction and commits it; rolls back on error.
    fn write<T>(
        &self,
        operation: &'static str,
        actor: &Actor,
        f: impl Fn(&Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(operation, actor, Mode::Write, Plans::Custom, f)
    }

    /// As [`write`](Self::write), for the production journal ([`Plans::Generic`]).
    fn journal_write<T>(
        &self,
        operation: &'static str,
        actor: &Actor,
        f: impl Fn(&Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(operation, actor, Mode::Write, Plans::Generic, f)
    }

    /// As [`read`](Self::read), for the production journal ([`Plans::Generic`]).
    fn journal_read<T>(
        &self,
        operation: &'static str,
        f: impl Fn(&Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(operation, &Actor::system(), Mode::Read, Plans::Generic, f)
    }

    /// Opens connections until the pool holds `want` (at most its size). The idle ones are
    /// held meanwhile, so that each further call opens a new one; nothing is taken once the
    /// pool holds `want`, so stations producing meanwhile never wait for this (a call only
    /// waits while the pool is below `want`, where a new connection can always be opened).
    fn fill_pool(&self, want: usize) {
        let want = want.min(self.pool.max_size() as usize);
        let mut held = Vec::with_capacity(want);
        while (self.pool.state().connections as usize) < want && held.len() < want {
            // A short wait: with the server away this gives up soon (the desk's housekeeping
            // and its stop are not held up), and the next pass tries again.
            let next = match self.pool.try_get() {
                Some(idle) => Ok(idle),
                None => self.pool.get_timeout(std::time::Duration::from_secs(2)),
            };
            match next {
                Ok(conn) => held.push(conn),
                Err(e) => {
                    tracing::debug!("opening the desk's database connections ahead: {e}");
                    break;
                }
            }
        }
    }

    /// Runs `f` in one write transaction of the production journal that writes its order
    /// counters' moves itself ([`Mode::WriteCounted`], [`Plans::Generic`]): a claim, a success.
    fn journal_write_counted<T>(
        &self,
        operation: &'static str,
        actor: &Actor,
        f: impl Fn(&Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(operation, actor, Mode::WriteCounted, Plans::Generic, f)
    }

    /// Runs `f` in one write transaction and rolls it back: a dry run computed by exactly the
    /// code that would change the store.
    fn rehearse<T>(
        &self,
        operation: &'static str,
        actor: &Actor,
        f: impl Fn(&Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(operation, actor, Mode::Rehearse, Plans::Custom, f)
    }

    /// Runs `f` in one read-only snapshot.
    fn read<T>(
        &self,
        operation: &'static str,
        f: impl Fn(&Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(operation, &Actor::system(), Mode::Read, Plans::Custom, f)
    }

    /// Runs `f` in one transaction of `mode` on a pooled connection, its statements planned
    /// as `plans` says.
    fn transaction<T>(
        &self,
        operation: &'static str,
        actor: &Actor,
        mode: Mode,
        plans: Plans,
        f: impl Fn(&Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        tx::run(
            &self.pool,
            &self.current_sealer(),
            operation,
            actor,
            mode,
            plans,
            f,
        )
    }
}
