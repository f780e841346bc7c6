//! `cardline init`: create the home: the database, holding the default option profile (the
//! commented built-in template, or the home's old `options.toml` when there is one).

use serde::Serialize;

use crate::context::Context;
use cardline_issuance::options::DEFAULT_PROFILE_TEXT;
use cardline_issuance::options::profiles::{self, DEFAULT_PROFILE};
use std::sync::Arc;

use cardline_app::database::Database;
use cardline_issuance::store::Store;
use cardline_issuance::store::sqlite::SqliteStore;

/// Arguments of `cardline init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {}

#[derive(Serialize)]
struct InitReport {
    home: String,
    database: String,
    /// The default option profile.
    default_profile: String,
    /// The old options file the default profile was imported from, this time.
    imported_from: Option<String>,
    already_initialised: bool,
    schema_version: i64,
}

/// Creates what is missing; never overwrites a profile or the database. With a PostgreSQL
/// database (`--database`, `CARDLINE_DATABASE`, config.toml) the home holds the keys and
/// stations only: the database's schema is migrated there instead of a SQLite file.
pub fn run(ctx: &Context, _args: InitArgs) -> anyhow::Result<()> {
    let home = &ctx.home;
    std::fs::create_dir_all(home.root())
        .map_err(|e| anyhow::anyhow!("cannot create the home {}: {e}", home.root().display()))?;
    let choice = ctx.database()?;
    let (store, migrated_from, schema_version): (Arc<dyn Store>, i64, i64) = match &choice.database
    {
        Database::Sqlite(path) => {
            let store = SqliteStore::create(path)?;
            let (from, to) = (store.migrated_from(), store.schema_version());
            (Arc::new(store), from, to)
        }
        Database::Postgres(_) => {
            let (from, to) = choice.migrate(&ctx.actor())?;
            (choice.open()?, from, to)
        }
    };
    let store = store.as_ref();
    store.set_audit_sealer(ctx.audit_sealer()?);
    if migrated_from == 0 {
        store.audit_note(
            "home.init",
            None,
            None,
            Some(&format!("schema version {schema_version}")),
            &ctx.actor(),
        )?;
    }
    let had_profiles = !store.option_profiles()?.is_empty();
    let legacy = home.options_file();
    let mut imported_from = None;
    if !had_profiles {
        if profiles::import_legacy_file(store, &legacy, &ctx.actor())? {
            imported_from = Some(legacy.display().to_string());
        } else {
            profiles::import_text(store, DEFAULT_PROFILE, DEFAULT_PROFILE_TEXT, &ctx.actor())?;
        }
    }
    let default = profiles::default_profile(store, &ctx.actor())?;
    let report = InitReport {
        home: home.root().display().to_string(),
        database: choice.database.shown(),
        default_profile: default.name,
        imported_from,
        already_initialised: migrated_from != 0 && had_profiles,
        schema_version,
    };
    ctx.emit(&report, || {
        let head = if report.already_initialised {
            format!("{} is already initialised; nothing changed", report.home)
        } else {
            format!("initialised cardline home {}", report.home)
        };
        let mut out = format!(
            "{head}\n  database  {} (schema version {})\n  options   profile `{}` in the database \
             (`cardline options show`, `options edit`)\n",
            report.database, report.schema_version, report.default_profile
        );
        if let Some(file) = &report.imported_from {
            out.push_str(&format!(
                "  imported  {file} as the default profile (the file is no longer read)\n"
            ));
        }
        out
    })
}
