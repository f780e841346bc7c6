//! The home and its database: the directory exists; the database file is cardline's, its
//! schema is the one this binary writes (read without migrating it), and it opens.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use cardline_issuance::home::Home;
use cardline_issuance::options::Options;
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::{OptionProfileStore, StoreError};

use super::{Check, Found};

const FAMILY: &str = "home";

/// Checks the home directory and its database; returns the store for the later checks when
/// the database is current and opens.
pub(crate) fn check(home: &Home, out: &mut Vec<Check>) -> Found {
    let root = home.root();
    let shown = root.display();
    let init = format!("create it: `cardline --home {shown} init`");
    match std::fs::metadata(root) {
        Err(e) => {
            out.push(Check::problem(
                FAMILY,
                "directory",
                format!("{shown}: {e}"),
                init.clone(),
            ));
            return no_store(out, home, "the home does not exist");
        }
        Ok(m) if !m.is_dir() => {
            out.push(Check::problem(
                FAMILY,
                "directory",
                format!("{shown} is not a directory"),
                "point --home (or CARDLINE_HOME) at the home directory",
            ));
            return no_store(out, home, "the home is not a directory");
        }
        Ok(_) => out.push(Check::ok(FAMILY, "directory", format!("{shown}"))),
    }
    database(home, out)
}

/// The database check (the home exists).
fn database(home: &Home, out: &mut Vec<Check>) -> Found {
    let path = home.database();
    let shown = path.display().to_string();
    let info = match SqliteStore::inspect(&path) {
        Ok(info) => info,
        Err(StoreError::NoDatabase { .. }) => {
            out.push(Check::problem(
                FAMILY,
                "database",
                format!("sqlite: no database at {shown}"),
                format!(
                    "create it with `cardline --home {} init` (or point --home at the home that has it)",
                    home.root().display()
                ),
            ));
            return Found::none("the home has no database");
        }
        Err(e @ StoreError::NotADatabase { .. }) => {
            out.push(Check::problem(
                FAMILY,
                "database",
                format!("sqlite: {e}"),
                "restore the database from a backup of the home; cardline never recreates it (card numbers would be issued twice)",
            ));
            return Found::none("the database is not usable");
        }
        Err(e) => {
            out.push(Check::problem(
                FAMILY,
                "database",
                format!("sqlite {shown} is not reachable: {e}"),
                "check the owner and modes of the home and its files (the services run as user `cardline`)",
            ));
            return Found::none("the database is not reachable");
        }
    };
    if info.found > info.supported {
        out.push(Check::problem(
            FAMILY,
            "database",
            format!(
                "sqlite {shown}: database schema version {} is newer than this cardline ({}); daemons refuse to start on it",
                info.found, info.supported
            ),
            "upgrade cardline to the version that wrote this database (a downgrade cannot read it)",
        ));
        return Found::none("the database schema is newer than this cardline");
    }
    if info.found < info.supported {
        out.push(Check::warning(
            FAMILY,
            "database",
            format!(
                "sqlite {shown}: schema version {}, this cardline migrates it to {} on first start",
                info.found, info.supported
            ),
            "back up the home, then start the desk daemon (or run any cardline command on the home) to migrate it",
        ));
        return Found::none("the database is not migrated yet");
    }
    if let Ok(m) = std::fs::metadata(&path)
        && m.permissions().mode() & 0o077 != 0
    {
        out.push(Check::warning(
            FAMILY,
            "database file",
            format!(
                "{shown} has mode {:o}: other users can read the cards, the journal and the audit log",
                m.permissions().mode() & 0o7777
            ),
            format!("chmod 600 {shown}"),
        ));
    }
    match SqliteStore::open(&path) {
        Ok(store) => {
            out.push(Check::ok(
                FAMILY,
                "database",
                format!(
                    "sqlite {shown}: schema version {} (current), opens",
                    info.found
                ),
            ));
            Found {
                print_only: print_only(home, &store),
                store: Some(Arc::new(store)),
                no_store: String::new(),
            }
        }
        Err(e) => {
            out.push(Check::problem(
                FAMILY,
                "database",
                format!("sqlite {shown} does not open: {e}"),
                "check the owner and modes of the home and its files, and that no other program locks it",
            ));
            Found::none("the database does not open")
        }
    }
}

fn no_store(out: &mut Vec<Check>, home: &Home, why: &str) -> Found {
    out.push(Check::problem(
        FAMILY,
        "database",
        format!("sqlite {}: not checked ({why})", home.database().display()),
        format!(
            "create the home with `cardline --home {} init`",
            home.root().display()
        ),
    ));
    Found::none(why)
}

impl Found {
    /// No store, for `why`.
    pub(crate) fn none(why: &str) -> Found {
        Found {
            store: None,
            no_store: why.to_string(),
            print_only: false,
        }
    }
}

/// True when the default profile (or the legacy `options.toml` that becomes it) validly says
/// `encode = false`; unknown or invalid counts as encoding (the stricter checks).
fn print_only(home: &Home, store: &SqliteStore) -> bool {
    let profiles = store.option_profiles().unwrap_or_default();
    let options = match profiles.iter().find(|p| p.is_default) {
        Some(p) => p.options().ok(),
        None if home.options_file().is_file() => Options::load(&home.options_file()).ok(),
        None => Some(Options::default()),
    };
    options.is_some_and(|o| !o.encode)
}
