//! [`PostgresError`]: what can go wrong opening, migrating or inspecting a PostgreSQL
//! database (each variant says what to do), and the mapping of the client library's errors
//! to the store's [`StoreError`].

use cardline_issuance::store::StoreError;
use postgres::error::SqlState;

/// Errors of opening, migrating and inspecting a database. The store's own operations
/// return [`StoreError`].
#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    /// The URL is not acceptable.
    #[error("bad database URL `{url}`: {problem}")]
    BadUrl {
        /// The URL, password hidden.
        url: String,
        /// What is wrong and how to write it.
        problem: String,
    },
    /// The server could not be reached or refused the login. Often transient (server down).
    #[error(
        "cannot connect to {url}: {detail}; check that the server runs and that the URL's host, \
         port, user, password and database are right (docs/postgres.md)"
    )]
    Connect {
        /// The URL, password hidden.
        url: String,
        /// What the client library reported (password scrubbed).
        detail: String,
        /// True when the server was unreachable (rather than refusing the login).
        unreachable: bool,
    },
    /// TLS could not be set up or the server's certificate was refused.
    #[error("TLS to {url} failed: {detail}")]
    Tls {
        /// The URL, password hidden.
        url: String,
        /// What failed and what to check.
        detail: String,
    },
    /// The CA file named by `sslrootcert` cannot be used.
    #[error("sslrootcert {path}: {problem}")]
    CaFile {
        /// The file.
        path: String,
        /// Why it cannot be used.
        problem: String,
    },
    /// The database is empty: no cardline schema yet.
    #[error("{url} has no cardline schema yet: create it with `cardline db migrate`")]
    NoSchema {
        /// The URL, password hidden.
        url: String,
    },
    /// The schema is older than this build.
    #[error(
        "the schema of {url} is at version {found}, this cardline needs {latest}: \
         upgrade it with `cardline db migrate` (back the database up first)"
    )]
    SchemaBehind {
        /// The URL, password hidden.
        url: String,
        /// The database's version.
        found: i64,
        /// This build's version.
        latest: i64,
    },
    /// The schema is newer than this build.
    #[error(
        "the schema of {url} is at version {found}, newer than this cardline ({supported}): \
         upgrade cardline on this desk"
    )]
    SchemaTooNew {
        /// The URL, password hidden.
        url: String,
        /// The database's version.
        found: i64,
        /// This build's version.
        supported: i64,
    },
    /// The database belongs to another application.
    #[error(
        "{url} is not a cardline database: {why}. cardline never writes into another \
         application's database: point the URL at cardline's database, or at a new empty one \
         (`CREATE DATABASE cardline`) and run `cardline db migrate`"
    )]
    Foreign {
        /// The URL, password hidden.
        url: String,
        /// What was found.
        why: String,
    },
    /// A store operation failed (migrating, reading the schema version).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PostgresError {
    /// True when trying again later may succeed (the server was unreachable).
    pub fn is_transient(&self) -> bool {
        match self {
            PostgresError::Connect { unreachable, .. } => *unreachable,
            PostgresError::Store(e) => e.is_transient(),
            _ => false,
        }
    }

    /// True when an operator must act (fix the URL, the certificate, migrate) before trying
    /// again.
    pub fn needs_operator(&self) -> bool {
        !self.is_transient()
    }
}

impl From<PostgresError> for StoreError {
    fn from(e: PostgresError) -> StoreError {
        match e {
            PostgresError::Store(inner) => inner,
            PostgresError::Connect {
                detail,
                unreachable: true,
                ..
            } => StoreError::Unavailable {
                operation: "connecting to the database".into(),
                detail,
            },
            other => StoreError::Backend {
                operation: "opening the database".into(),
                detail: other.to_string(),
            },
        }
    }
}

/// The SQLSTATE of a server error, if it is one.
pub(crate) fn sql_state(e: &postgres::Error) -> Option<&SqlState> {
    e.code()
}

/// True when the whole transaction may simply be run again (a serialization failure or a
/// deadlock the server broke by aborting this transaction).
pub(crate) fn is_retryable(e: &postgres::Error) -> bool {
    matches!(
        sql_state(e),
        Some(&SqlState::T_R_SERIALIZATION_FAILURE) | Some(&SqlState::T_R_DEADLOCK_DETECTED)
    )
}

/// True when the connection itself failed (closed, reset, I/O): the server is unreachable or
/// restarted, and the connection must be dropped.
pub(crate) fn is_connection_failure(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(code) => {
            let c = code.code();
            // 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot
            // connect now (server starting or stopping).
            c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03")
        }
        // No SQLSTATE: an I/O or protocol error of the connection.
        None => std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()),
    }
}

/// The server's message with its detail and hint, or the client library's.
pub(crate) fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{} ({})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(&format!("; {detail}"));
            }
            if let Some(hint) = db.hint() {
                text.push_str(&format!("; hint: {hint}"));
            }
            text
        }
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                let more = s.to_string();
                if !text.contains(&more) {
                    text.push_str(&format!(": {more}"));
                }
                source = s.source();
            }
            text
        }
    }
}

/// Maps a client error to a [`StoreError`] naming the operation: a lock or statement timeout
/// or a conflict the retries did not settle is [`StoreError::Busy`], a broken uniqueness or
/// integrity rule [`StoreError::Conflict`], a lost connection [`StoreError::Unavailable`],
/// anything else [`StoreError::Backend`].
pub(crate) fn store_error(operation: &str, e: &postgres::Error) -> StoreError {
    let operation = operation.to_string();
    if is_connection_failure(e) {
        return StoreError::Unavailable {
            operation,
            detail: describe(e),
        };
    }
    match e.code().map(SqlState::code) {
        Some(c) if c.starts_with("23") => StoreError::Conflict {
            operation,
            detail: describe(e),
        },
        Some("55P03" | "57014" | "40001" | "40P01") => StoreError::Busy { operation },
        _ => StoreError::Backend {
            operation,
            detail: describe(e),
        },
    }
}

/// A closure mapping a client error for `operation` (for `map_err`).
pub(crate) fn db(operation: &'static str) -> impl Fn(postgres::Error) -> StoreError {
    move |e| store_error(operation, &e)
}
