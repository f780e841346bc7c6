//! [`Context`]: what every command gets: the home, the operator, the output mode, and helpers to
//! open the store, load the options profile and print results as text or JSON.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use cardline_app::database::{self, Database, DatabaseChoice};
use cardline_issuance::audit::{AuditKey, AuditSealer};
use cardline_issuance::home::Home;
use cardline_issuance::options::Options;
use cardline_issuance::options::profiles::{self, ProfileError, ProfileRecord};
use cardline_issuance::store::ownership::host_name;
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::{Actor, AuditLog, Store};

use crate::identity::Identity;

/// The environment of one `cardline` invocation.
#[derive(Debug)]
pub struct Context {
    /// The home directory (database, options profile, keys).
    pub home: Home,
    /// The operator recorded on audit entries.
    pub operator: String,
    /// `--json`: print machine-readable JSON on stdout.
    pub json: bool,
    /// `-v` count.
    pub verbose: u8,
    /// `--database` / `CARDLINE_DATABASE`: the database URL given on this invocation.
    pub database_url: Option<String>,
    /// The OS user running this invocation.
    pub os_user: String,
    /// Who runs it, as the database sees it: worked out when the store is first opened
    /// ([`crate::identity`]).
    identity: std::sync::OnceLock<Identity>,
}

impl Context {
    /// Builds the context; `operator` defaults to the OS user.
    pub fn new(
        home: std::path::PathBuf,
        operator: Option<String>,
        json: bool,
        verbose: u8,
    ) -> Self {
        let os_user = os_user();
        let operator = operator
            .filter(|o| !o.trim().is_empty())
            .unwrap_or_else(|| os_user.clone());
        Context {
            home: Home::new(home),
            operator,
            json,
            verbose,
            database_url: None,
            os_user,
            identity: std::sync::OnceLock::new(),
        }
    }

    /// Uses the database `url` (`--database`, `CARDLINE_DATABASE`) instead of the home's.
    pub fn with_database(mut self, url: Option<String>) -> Self {
        self.database_url = url.filter(|u| !u.trim().is_empty());
        self
    }

    /// The database this invocation uses ([`cardline_app::database::choose`]).
    pub fn database(&self) -> anyhow::Result<DatabaseChoice> {
        Ok(database::choose(&self.home, self.database_url.as_deref())?)
    }

    /// True when the store can be opened: a shared (PostgreSQL) database is named, or
    /// `cardline init` made the home's SQLite file.
    pub fn has_store(&self) -> bool {
        self.home.is_initialised() || self.database().is_ok_and(|c| c.is_shared())
    }

    /// The operator as the store's [`Actor`].
    pub fn actor(&self) -> Actor {
        Actor(self.operator.clone())
    }

    /// The home directory path.
    pub fn home_dir(&self) -> &Path {
        self.home.root()
    }

    /// Fails with a hint to run `cardline init` when the home has no database yet.
    pub fn require_home(&self) -> anyhow::Result<()> {
        if !self.home.is_initialised() {
            anyhow::bail!(
                "{} is not a cardline home (run `cardline --home {} init` first)",
                self.home.root().display(),
                self.home.root().display()
            );
        }
        Ok(())
    }

    /// Opens the store: the PostgreSQL database when one is named, else the home's SQLite
    /// file (the home must be initialised).
    pub fn store(&self) -> anyhow::Result<Arc<dyn Store>> {
        let choice = self.database()?;
        let other = choice.is_shared()
            || matches!(&choice.database, Database::Sqlite(path) if *path != self.home.database());
        if other {
            let store = choice.open()?;
            store.set_audit_sealer(self.audit_sealer()?);
            self.identity(store.as_ref())?;
            return Ok(store);
        }
        Ok(self.sqlite_store()?)
    }

    /// Who runs this invocation ([`crate::identity::resolve`], once per process): refuses
    /// `--operator` naming someone else without the right to.
    pub fn identity(&self, store: &dyn Store) -> anyhow::Result<&Identity> {
        if let Some(found) = self.identity.get() {
            return Ok(found);
        }
        let found = crate::identity::resolve(store, &self.operator, &self.os_user)?;
        Ok(self.identity.get_or_init(|| found))
    }

    /// Opens the store of the home as the concrete SQLite store.
    pub fn sqlite_store(&self) -> anyhow::Result<Arc<SqliteStore>> {
        self.require_home()?;
        let path = self.home.database();
        let store = SqliteStore::open(&path)
            .with_context(|| format!("cannot open the database {}", path.display()))?;
        store.set_audit_sealer(self.audit_sealer()?);
        self.identity(&store)?;
        Ok(Arc::new(store))
    }

    /// The home's audit key (`keys/audit.key`), created on first use (mode 0600).
    pub fn audit_key(&self) -> anyhow::Result<AuditKey> {
        let dir = self.home.keys_dir();
        let (key, created) = AuditKey::load_or_create(&dir)
            .context("the audit key protects every audit entry; it cannot be used")?;
        if created {
            tracing::info!(key_id = %key.key_id(), "created the audit key {}", AuditKey::path_in(&dir).display());
        }
        Ok(key)
    }

    /// What seals this process's audit entries: this host's chain, the home's audit key, and
    /// the OS user (recorded beside the operator when `--operator` names someone else).
    pub fn audit_sealer(&self) -> anyhow::Result<AuditSealer> {
        Ok(AuditSealer::new(host_name(), Some(self.audit_key()?))
            .with_os_user(self.os_user.clone()))
    }

    /// The options of the home's default profile (built-in defaults when the home has no
    /// database yet).
    pub fn options(&self) -> anyhow::Result<Options> {
        self.options_for(None)
    }

    /// The options of profile `name` (`None`: the default profile), read from the store. A
    /// home made before profiles lived in the store has `options.toml`: it becomes the
    /// `default` profile the first time (the file stays, and is not read again).
    pub fn options_for(&self, name: Option<&str>) -> anyhow::Result<Options> {
        if !self.has_store() {
            if let Some(n) = name {
                self.require_home()
                    .with_context(|| format!("option profile `{n}` lives in the home's store"))?;
            }
            let path = self.home.options_file();
            if path.is_file() {
                return Options::load(&path)
                    .context("the options profile of this home is not usable");
            }
            return Ok(Options::default());
        }
        let store = self.store()?;
        Ok(self.profile_options(store.as_ref(), name)?.1)
    }

    /// Profile `name` (`None`: the default one) and its options, importing the home's legacy
    /// `options.toml` first when the store holds no profile yet.
    pub fn profile_options(
        &self,
        store: &dyn Store,
        name: Option<&str>,
    ) -> anyhow::Result<(ProfileRecord, Options)> {
        let actor = self.actor();
        let legacy = self.home.options_file();
        profiles::import_legacy_file(store, &legacy, &actor).with_context(|| {
            format!(
                "the home's options file {} could not become the default profile",
                legacy.display()
            )
        })?;
        match profiles::options(store, name, &actor) {
            Ok(found) => Ok(found),
            // Two processes creating the default profile of an old home at once: one wins.
            Err(ProfileError::Store(_)) if name.is_none() => {
                Ok(profiles::options(store, None, &actor)?)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Prints `value` as JSON with `--json`, else the text `human` renders.
    pub fn emit<T: serde::Serialize + ?Sized>(
        &self,
        value: &T,
        human: impl FnOnce() -> String,
    ) -> anyhow::Result<()> {
        if self.json {
            self.print_json(value)
        } else {
            self.print_text(&human())
        }
    }

    /// Prints `value` as pretty JSON on stdout, newline-terminated.
    pub fn print_json<T: serde::Serialize + ?Sized>(&self, value: &T) -> anyhow::Result<()> {
        // Serialised first, so a closed pipe is an I/O error main() recognises.
        let mut text = serde_json::to_vec_pretty(value)?;
        text.push(b'\n');
        std::io::stdout().lock().write_all(&text)?;
        Ok(())
    }

    /// Prints human-readable text on stdout (adds a final newline when missing); control
    /// characters other than newline and tab are escaped.
    pub fn print_text(&self, text: &str) -> anyhow::Result<()> {
        let text = crate::output::clean(text);
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        if !text.ends_with('\n') && !text.is_empty() {
            writeln!(out)?;
        }
        Ok(())
    }
}

/// The OS user: `$USER`, `$LOGNAME`, else `id -un`, else `unknown`.
fn os_user() -> String {
    for var in ["USER", "LOGNAME"] {
        if let Ok(v) = std::env::var(var)
            && !v.trim().is_empty()
        {
            return v;
        }
    }
    std::process::Command::new("id")
        .arg("-un")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}
