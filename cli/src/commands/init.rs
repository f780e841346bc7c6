//! `cardline init`: create the home (database and commented default options profile).

use serde::Serialize;

use crate::context::Context;
use cardline_issuance::options::DEFAULT_PROFILE_TEXT;
use cardline_issuance::store::AuditLog;
use cardline_issuance::store::sqlite::SqliteStore;

/// Arguments of `cardline init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {}

#[derive(Serialize)]
struct InitReport {
    home: String,
    database: String,
    options: String,
    already_initialised: bool,
    schema_version: i64,
}

/// Creates what is missing; never overwrites the options profile or the database.
pub fn run(ctx: &Context, _args: InitArgs) -> anyhow::Result<()> {
    let home = &ctx.home;
    let was_initialised = home.is_initialised() && home.options_file().is_file();
    std::fs::create_dir_all(home.root())
        .map_err(|e| anyhow::anyhow!("cannot create the home {}: {e}", home.root().display()))?;
    let options = home.options_file();
    if !options.exists() {
        std::fs::write(&options, DEFAULT_PROFILE_TEXT)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", options.display()))?;
    }
    let db = home.database();
    let store = SqliteStore::create(&db)?;
    if store.migrated_from() == 0 {
        store.audit_note(
            "home.init",
            None,
            None,
            Some(&format!("schema version {}", store.schema_version())),
            &ctx.actor(),
        )?;
    }
    let report = InitReport {
        home: home.root().display().to_string(),
        database: db.display().to_string(),
        options: options.display().to_string(),
        already_initialised: was_initialised,
        schema_version: store.schema_version(),
    };
    ctx.emit(&report, || {
        let head = if was_initialised {
            format!("{} is already initialised; nothing changed", report.home)
        } else {
            format!("initialised cardline home {}", report.home)
        };
        format!(
            "{head}\n  database  {} (schema version {})\n  options   {}\n",
            report.database, report.schema_version, report.options
        )
    })
}
