//! Which database a front end uses, and opening it: the embedded SQLite file of the home (the
//! default), or a PostgreSQL database several desks share, chosen by URL — in this order:
//!
//! 1. the `--database URL` option of the front end,
//! 2. the environment variable [`DATABASE_ENV`] (`CARDLINE_DATABASE`),
//! 3. `database = "URL"` in the home's configuration file [`CONFIG_FILE`] (`config.toml`),
//! 4. else `<home>/cardline.db`.
//!
//! URL forms: `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=verify-full&sslrootcert=FILE`
//! (also `postgresql://`, see docs/postgres.md) and `sqlite:PATH` (`sqlite://PATH`) for a SQLite
//! file elsewhere than the home.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cardline_issuance::home::Home;
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::{Actor, Store, StoreError};
use cardline_postgres::{DatabaseUrl, PostgresError, PostgresStore};
use serde::Serialize;

/// The environment variable naming the database URL.
pub const DATABASE_ENV: &str = "CARDLINE_DATABASE";
/// The home's configuration file (`database = "URL"`).
pub const CONFIG_FILE: &str = "config.toml";
/// The largest configuration file read.
const MAX_CONFIG_BYTES: u64 = 64 * 1024;

/// A database: the SQLite file or a PostgreSQL URL.
#[derive(Clone, Debug)]
pub enum Database {
    /// An embedded SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database (its password never shown).
    Postgres(DatabaseUrl),
}

impl Database {
    /// `sqlite` or `postgresql`.
    pub fn backend(&self) -> &'static str {
        match self {
            Database::Sqlite(_) => "sqlite",
            Database::Postgres(_) => "postgresql",
        }
    }

    /// The file or the URL, password hidden.
    pub fn shown(&self) -> String {
        match self {
            Database::Sqlite(p) => p.display().to_string(),
            Database::Postgres(u) => u.shown().to_string(),
        }
    }

    /// Parses a database URL; `origin` says where it was written (for the error).
    pub fn parse(text: &str, origin: &str) -> Result<Database, DatabaseError> {
        let t = text.trim();
        if cardline_postgres::is_postgres_url(t) {
            return DatabaseUrl::parse(t).map(Database::Postgres).map_err(|e| {
                DatabaseError::Postgres {
                    origin: origin.into(),
                    error: e,
                }
            });
        }
        if let Some(path) = t
            .strip_prefix("sqlite://")
            .or_else(|| t.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(DatabaseError::BadUrl {
                    origin: origin.into(),
                    problem:
                        "`sqlite:` needs a file path, e.g. sqlite:/var/lib/cardline/cardline.db"
                            .into(),
                });
            }
            return Ok(Database::Sqlite(PathBuf::from(path)));
        }
        let scheme = t.split_once(':').map(|(s, _)| s).unwrap_or("");
        let shown: String = scheme.chars().take(32).collect();
        Err(DatabaseError::BadUrl {
            origin: origin.into(),
            problem: if t.is_empty() {
                "the URL is empty".into()
            } else if shown.is_empty() {
                "it has no scheme".into()
            } else {
                format!("unknown scheme `{shown}`")
            } + "; write postgres://USER:PASSWORD@HOST:PORT/DATABASE (PostgreSQL) or \
                 sqlite:PATH (a SQLite file), or leave it out to use the home's cardline.db",
        })
    }
}

/// Where the choice came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseSource {
    /// `--database`.
    Option,
    /// `CARDLINE_DATABASE`.
    Environment,
    /// The home's `config.toml`.
    ConfigFile,
    /// The default: the home's `cardline.db`.
    Home,
}

/// The database chosen and where the choice came from.
#[derive(Clone, Debug)]
pub struct DatabaseChoice {
    /// The database.
    pub database: Database,
    /// Where it was named.
    pub source: DatabaseSource,
}

/// Why the database cannot be chosen or opened.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// A URL that is neither PostgreSQL nor SQLite.
    #[error("bad database URL in {origin}: {problem}")]
    BadUrl {
        /// Where it was written.
        origin: String,
        /// What is wrong and how to write it.
        problem: String,
    },
    /// A PostgreSQL URL that does not parse, or a database that cannot be opened.
    #[error("{origin}: {error}")]
    Postgres {
        /// Where the URL was written.
        origin: String,
        /// What went wrong (names the fix).
        #[source]
        error: PostgresError,
    },
    /// The configuration file cannot be read or is not valid.
    #[error("{path}: {problem}")]
    Config {
        /// The file.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// The SQLite store.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Chooses the database: `option` (`--database`), else the environment variable, else the
/// home's configuration file, else the home's SQLite file.
pub fn choose(home: &Home, option: Option<&str>) -> Result<DatabaseChoice, DatabaseError> {
    if let Some(url) = option {
        return Ok(DatabaseChoice {
            database: Database::parse(url, "--database")?,
            source: DatabaseSource::Option,
        });
    }
    if let Ok(url) = std::env::var(DATABASE_ENV)
        && !url.trim().is_empty()
    {
        return Ok(DatabaseChoice {
            database: Database::parse(&url, DATABASE_ENV)?,
            source: DatabaseSource::Environment,
        });
    }
    let config = home.path(CONFIG_FILE);
    if let Some(url) = configured_url(&config)? {
        return Ok(DatabaseChoice {
            database: Database::parse(&url, &format!("{} (database)", config.display()))?,
            source: DatabaseSource::ConfigFile,
        });
    }
    Ok(DatabaseChoice {
        database: Database::Sqlite(home.database()),
        source: DatabaseSource::Home,
    })
}

/// The `database` key of the configuration file, when the file exists and has it.
fn configured_url(path: &Path) -> Result<Option<String>, DatabaseError> {
    let bad = |problem: String| DatabaseError::Config {
        path: path.display().to_string(),
        problem,
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(bad(format!("cannot read it: {e}"))),
    };
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(bad(format!(
            "{} bytes; a configuration file holds at most {MAX_CONFIG_BYTES}",
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| bad(format!("not valid TOML: {}", e.message())))?;
    match table.get("database") {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(bad(format!(
            "`database` must be a string URL such as \"postgres://cardline@db.example/cardline\", \
             not a {}",
            other.type_str()
        ))),
    }
}

impl DatabaseChoice {
    /// True when the store can be opened without `cardline init` having made the SQLite file.
    pub fn is_shared(&self) -> bool {
        matches!(self.database, Database::Postgres(_))
    }

    fn origin(&self) -> String {
        match self.source {
            DatabaseSource::Option => "--database".into(),
            DatabaseSource::Environment => DATABASE_ENV.into(),
            DatabaseSource::ConfigFile => CONFIG_FILE.into(),
            DatabaseSource::Home => "the home".into(),
        }
    }

    /// Opens the store. SQLite: the file must exist (`cardline init`); its schema is brought
    /// up to date. PostgreSQL: the schema must be this build's (`cardline db migrate`).
    pub fn open(&self) -> Result<Arc<dyn Store>, DatabaseError> {
        match &self.database {
            Database::Sqlite(path) => Ok(Arc::new(SqliteStore::open(path)?)),
            Database::Postgres(url) => Ok(Arc::new(PostgresStore::open(url).map_err(|error| {
                DatabaseError::Postgres {
                    origin: self.origin(),
                    error,
                }
            })?)),
        }
    }

    /// The schema of the database without changing it.
    pub fn status(&self) -> Result<SchemaReport, DatabaseError> {
        match &self.database {
            Database::Sqlite(path) => {
                let found = SqliteStore::file_schema_version(path)?;
                let latest = SqliteStore::LATEST_SCHEMA;
                Ok(SchemaReport {
                    backend: "sqlite",
                    server_version: None,
                    database: path.display().to_string(),
                    source: self.source.clone(),
                    schema_version: found,
                    latest,
                    pending: (found + 1..=latest)
                        .map(|v| PendingMigration {
                            version: v,
                            name: None,
                        })
                        .collect(),
                    too_new: found > latest,
                })
            }
            Database::Postgres(url) => {
                let s = PostgresStore::status(url).map_err(|error| DatabaseError::Postgres {
                    origin: self.origin(),
                    error,
                })?;
                Ok(SchemaReport {
                    backend: "postgresql",
                    server_version: Some(s.server_version.clone()),
                    database: s.database.clone(),
                    source: self.source.clone(),
                    schema_version: s.schema_version,
                    latest: s.latest,
                    pending: s
                        .pending
                        .iter()
                        .map(|m| PendingMigration {
                            version: m.version,
                            name: Some(m.name.to_string()),
                        })
                        .collect(),
                    too_new: s.schema_version > s.latest,
                })
            }
        }
    }

    /// Brings the schema up to this build's version; returns the version before and after.
    /// A SQLite file is created when missing; a schema newer than this build is refused.
    pub fn migrate(&self, actor: &Actor) -> Result<(i64, i64), DatabaseError> {
        match &self.database {
            Database::Sqlite(path) => {
                let store = SqliteStore::create(path)?;
                Ok((store.migrated_from(), store.schema_version()))
            }
            Database::Postgres(url) => {
                let r = PostgresStore::migrate(url, actor).map_err(|error| {
                    DatabaseError::Postgres {
                        origin: self.origin(),
                        error,
                    }
                })?;
                Ok((r.from, r.to))
            }
        }
    }
}

/// `cardline db status`: the backend, the schema version of the database and what
/// `cardline db migrate` would apply.
#[derive(Clone, Debug, Serialize)]
pub struct SchemaReport {
    /// `sqlite` or `postgresql`.
    pub backend: &'static str,
    /// The PostgreSQL server's version.
    pub server_version: Option<String>,
    /// The file, or the URL with its password hidden.
    pub database: String,
    /// Where the database was named.
    pub source: DatabaseSource,
    /// The database's schema version (0: no schema yet).
    pub schema_version: i64,
    /// The version this build writes.
    pub latest: i64,
    /// The migrations `cardline db migrate` would apply.
    pub pending: Vec<PendingMigration>,
    /// The database is newer than this build: it refuses to open it.
    pub too_new: bool,
}

/// A migration not applied yet.
#[derive(Clone, Debug, Serialize)]
pub struct PendingMigration {
    /// The version it brings the schema to.
    pub version: i64,
    /// What it adds (PostgreSQL names its migrations).
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_backend_and_bad_ones_name_the_forms() {
        assert!(matches!(
            Database::parse("postgres://u:p@h:5432/db", "t").unwrap(),
            Database::Postgres(_)
        ));
        match Database::parse("sqlite:/tmp/x.db", "t").unwrap() {
            Database::Sqlite(p) => assert_eq!(p, PathBuf::from("/tmp/x.db")),
            other => panic!("{other:?}"),
        }
        let err = Database::parse("mysql://h/db", "--database")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--database") && err.contains("unknown scheme `mysql`"),
            "{err}"
        );
        assert!(err.contains("postgres://USER:PASSWORD@HOST"), "{err}");
        let err = Database::parse("sqlite:", "x").unwrap_err().to_string();
        assert!(err.contains("needs a file path"), "{err}");
        let err = Database::parse("postgres://u:secret@h:99999/db", "x").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("secret"), "{err:?}");
    }

    #[test]
    fn the_option_wins_over_the_config_file_and_the_home_is_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        if std::env::var(DATABASE_ENV).is_ok() {
            cardline_device::skipped!("CARDLINE_DATABASE is set in this environment");
            return;
        }
        let c = choose(&home, None).unwrap();
        assert_eq!(c.source, DatabaseSource::Home);
        std::fs::write(
            home.path(CONFIG_FILE),
            "database = \"postgres://cardline@db.example/cardline\"\n",
        )
        .unwrap();
        let c = choose(&home, None).unwrap();
        assert_eq!(c.source, DatabaseSource::ConfigFile);
        assert!(c.is_shared());
        let c = choose(&home, Some("sqlite:/tmp/other.db")).unwrap();
        assert_eq!(c.source, DatabaseSource::Option);
        std::fs::write(home.path(CONFIG_FILE), "database = 3\n").unwrap();
        let err = choose(&home, None).unwrap_err().to_string();
        assert!(
            err.contains("config.toml") && err.contains("must be a string"),
            "{err}"
        );
    }
}
