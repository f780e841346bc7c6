//! Recognising cardline's database, applying migrations, and the status report
//! (`cardline db migrate`, `cardline db status`).

use std::fmt;

use cardline_issuance::store::{Actor, StoreError};

use crate::error::{PostgresError, db};
use crate::pool::{Conn, Manager};
use crate::schema::{APPLICATION, LATEST, MIGRATIONS, MIGRATIONS_TABLE, Migration};
use crate::url::DatabaseUrl;

/// The advisory lock two `db migrate` runs take so that one waits for the other ("CLN1").
const MIGRATION_LOCK: i64 = 0x434C_4E31;

/// What a database holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// No table at all: a new database.
    Empty,
    /// cardline's schema at this version.
    Cardline(i64),
    /// Another application's tables; why we think so.
    Foreign(String),
}

/// One migration, as reports show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationInfo {
    /// The version it brings the schema to.
    pub version: i64,
    /// What it adds.
    pub name: String,
}

impl From<&Migration> for MigrationInfo {
    fn from(m: &Migration) -> MigrationInfo {
        MigrationInfo {
            version: m.version,
            name: m.name.to_string(),
        }
    }
}

/// What [`crate::PostgresStore::migrate`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationReport {
    /// The database (URL, password hidden).
    pub database: String,
    /// The schema version before (0: the database was empty).
    pub from: i64,
    /// The schema version now.
    pub to: i64,
    /// The migrations applied, in order (empty: it was up to date).
    pub applied: Vec<MigrationInfo>,
}

impl fmt::Display for MigrationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.applied.is_empty() {
            return write!(
                f,
                "{}: schema version {}, up to date",
                self.database, self.to
            );
        }
        writeln!(
            f,
            "{}: schema version {} → {}",
            self.database, self.from, self.to
        )?;
        for m in &self.applied {
            writeln!(f, "  applied {}: {}", m.version, m.name)?;
        }
        Ok(())
    }
}

/// What [`crate::PostgresStore::status`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaStatus {
    /// `postgresql`.
    pub backend: &'static str,
    /// The server's version (`15.18`).
    pub server_version: String,
    /// The database (URL, password hidden).
    pub database: String,
    /// The schema version of the database (0: empty, no cardline schema yet).
    pub schema_version: i64,
    /// The schema version this build writes.
    pub latest: i64,
    /// Migrations `cardline db migrate` would apply, in order.
    pub pending: Vec<MigrationInfo>,
}

impl SchemaStatus {
    /// True when the store opens this database as it is.
    pub fn is_current(&self) -> bool {
        self.schema_version == self.latest
    }
}

impl fmt::Display for SchemaStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "backend: {} {}", self.backend, self.server_version)?;
        writeln!(f, "database: {}", self.database)?;
        writeln!(
            f,
            "schema version: {} (this cardline: {})",
            self.schema_version, self.latest
        )?;
        if self.pending.is_empty() {
            if self.schema_version > self.latest {
                write!(
                    f,
                    "the database is newer than this cardline: upgrade cardline"
                )
            } else {
                write!(f, "pending migrations: none")
            }
        } else {
            writeln!(
                f,
                "pending migrations ({}), applied by `cardline db migrate`:",
                self.pending.len()
            )?;
            for m in &self.pending {
                writeln!(f, "  {}: {}", m.version, m.name)?;
            }
            Ok(())
        }
    }
}

/// What the database the connection is on holds.
pub(crate) fn inspect(client: &mut impl postgres::GenericClient) -> Result<Found, StoreError> {
    const OP: &str = "reading the schema version";
    let columns: Vec<String> = client
        .query(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = 'schema_migrations' \
             ORDER BY ordinal_position",
            &[],
        )
        .map_err(db(OP))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if !columns.is_empty() {
        if !columns.iter().any(|c| c == "application") {
            return Ok(Found::Foreign(format!(
                "its schema_migrations table is another tool's (columns {})",
                columns.join(", ")
            )));
        }
        let row = client
            .query_one(
                "SELECT count(*) FILTER (WHERE application <> $1), max(version) \
                 FROM schema_migrations",
                &[&APPLICATION],
            )
            .map_err(db(OP))?;
        let foreign: i64 = row.get(0);
        if foreign > 0 {
            return Ok(Found::Foreign(format!(
                "{foreign} of its schema_migrations rows are another application's"
            )));
        }
        return Ok(Found::Cardline(row.get::<_, Option<i64>>(1).unwrap_or(0)));
    }
    let tables: Vec<String> = client
        .query(
            "SELECT table_schema::text || '.' || table_name::text FROM information_schema.tables \
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema') \
               AND table_schema NOT LIKE 'pg\\_%' ORDER BY 1",
            &[],
        )
        .map_err(db(OP))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if tables.is_empty() {
        return Ok(Found::Empty);
    }
    let shown: Vec<&str> = tables.iter().take(5).map(String::as_str).collect();
    Ok(Found::Foreign(format!(
        "it holds {} table(s) of another application ({}{}) and no cardline schema",
        tables.len(),
        shown.join(", "),
        if tables.len() > 5 { ", ..." } else { "" }
    )))
}

/// Opens one connection for migrating or inspecting.
pub(crate) fn connect(url: &DatabaseUrl) -> Result<Conn, PostgresError> {
    Manager::new(url)?.open()
}

/// Applies the migrations up to `target` (at most [`LATEST`]) in one transaction, holding an
/// advisory lock so that two runs at once apply each migration once.
pub(crate) fn migrate(
    url: &DatabaseUrl,
    target: i64,
    actor: &Actor,
) -> Result<MigrationReport, PostgresError> {
    const OP: &str = "migrating the schema";
    let target = target.clamp(0, LATEST);
    let mut conn = connect(url)?;
    let mut tx = conn.client.transaction().map_err(db(OP))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(db(OP))?;
    let from = match inspect(&mut tx)? {
        Found::Foreign(why) => {
            return Err(PostgresError::Foreign {
                url: url.shown().to_string(),
                why,
            });
        }
        Found::Empty => 0,
        Found::Cardline(v) => v,
    };
    if from > LATEST {
        return Err(PostgresError::SchemaTooNew {
            url: url.shown().to_string(),
            found: from,
            supported: LATEST,
        });
    }
    let pending: Vec<&Migration> = MIGRATIONS
        .iter()
        .filter(|m| m.version > from && m.version <= target)
        .collect();
    if pending.is_empty() {
        return Ok(MigrationReport {
            database: url.shown().to_string(),
            from,
            to: from,
            applied: Vec::new(),
        });
    }
    tx.batch_execute(MIGRATIONS_TABLE).map_err(db(OP))?;
    let now: String = tx
        .query_one(
            "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
            &[],
        )
        .map_err(db(OP))?
        .get(0);
    for m in &pending {
        tracing::info!(
            version = m.version,
            name = m.name,
            "applying schema migration"
        );
        tx.batch_execute(m.sql).map_err(|e| {
            PostgresError::Store(StoreError::Backend {
                operation: format!("applying schema migration {} ({})", m.version, m.name),
                detail: crate::error::describe(&e),
            })
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, application, applied_at, applied_by) \
             VALUES ($1, $2, $3, $4, $5)",
            &[&m.version, &m.name, &APPLICATION, &now, &actor.0],
        )
        .map_err(db(OP))?;
    }
    let to = pending.last().map_or(from, |m| m.version);
    tx.commit().map_err(db(OP))?;
    Ok(MigrationReport {
        database: url.shown().to_string(),
        from,
        to,
        applied: pending.into_iter().map(MigrationInfo::from).collect(),
    })
}

/// The schema version, the server's version and the pending migrations.
pub(crate) fn status(url: &DatabaseUrl) -> Result<SchemaStatus, PostgresError> {
    let mut conn = connect(url)?;
    let server_version: String = conn
        .client
        .query_one("SHOW server_version", &[])
        .map_err(db("reading the server version"))?
        .get(0);
    let schema_version = match inspect(&mut conn.client)? {
        Found::Foreign(why) => {
            return Err(PostgresError::Foreign {
                url: url.shown().to_string(),
                why,
            });
        }
        Found::Empty => 0,
        Found::Cardline(v) => v,
    };
    Ok(SchemaStatus {
        backend: "postgresql",
        server_version: server_version
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string(),
        database: url.shown().to_string(),
        schema_version,
        latest: LATEST,
        pending: MIGRATIONS
            .iter()
            .filter(|m| m.version > schema_version)
            .map(MigrationInfo::from)
            .collect(),
    })
}

/// Refuses a database the store cannot work on: empty, foreign, older or newer schema.
pub(crate) fn require_current(url: &DatabaseUrl, conn: &mut Conn) -> Result<i64, PostgresError> {
    match inspect(&mut conn.client)? {
        Found::Empty | Found::Cardline(0) => Err(PostgresError::NoSchema {
            url: url.shown().to_string(),
        }),
        Found::Foreign(why) => Err(PostgresError::Foreign {
            url: url.shown().to_string(),
            why,
        }),
        Found::Cardline(v) if v < LATEST => Err(PostgresError::SchemaBehind {
            url: url.shown().to_string(),
            found: v,
            latest: LATEST,
        }),
        Found::Cardline(v) if v > LATEST => Err(PostgresError::SchemaTooNew {
            url: url.shown().to_string(),
            found: v,
            supported: LATEST,
        }),
        Found::Cardline(v) => Ok(v),
    }
}
