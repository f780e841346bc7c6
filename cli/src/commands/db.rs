//! `cardline db migrate | status`: the schema of the database this invocation uses (the
//! home's SQLite file, or the PostgreSQL database named by `--database`, `CARDLINE_DATABASE`
//! or the home's `config.toml`).

use serde::Serialize;

use crate::context::Context;

/// `cardline db ...`.
#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {
    /// Bring the database's schema up to this cardline's version (creates an empty SQLite
    /// file or an empty PostgreSQL database's schema). Back the database up first.
    Migrate,
    /// The backend, the schema version of the database and the migrations pending.
    Status,
}

#[derive(Serialize)]
struct MigrateReport {
    backend: &'static str,
    database: String,
    from: i64,
    to: i64,
}

/// Runs one `db` command.
pub fn run(ctx: &Context, cmd: DbCommand) -> anyhow::Result<()> {
    let choice = ctx.database()?;
    match cmd {
        DbCommand::Migrate => {
            if !choice.is_shared() {
                std::fs::create_dir_all(ctx.home_dir()).map_err(|e| {
                    anyhow::anyhow!("cannot create the home {}: {e}", ctx.home_dir().display())
                })?;
            }
            let (from, to) = choice.migrate(&ctx.actor())?;
            let report = MigrateReport {
                backend: choice.database.backend(),
                database: choice.database.shown(),
                from,
                to,
            };
            ctx.emit(&report, || {
                if from == to {
                    format!(
                        "{} ({}) is up to date: schema version {to}",
                        report.database, report.backend
                    )
                } else {
                    format!(
                        "migrated {} ({}) from schema version {from} to {to}",
                        report.database, report.backend
                    )
                }
            })
        }
        DbCommand::Status => {
            let s = choice.status()?;
            ctx.emit(&s, || {
                let mut out = format!(
                    "backend   {}{}\ndatabase  {}\nschema    version {} (this cardline writes {})\n",
                    s.backend,
                    s.server_version
                        .as_deref()
                        .map(|v| format!(" {v}"))
                        .unwrap_or_default(),
                    s.database,
                    s.schema_version,
                    s.latest
                );
                if s.too_new {
                    out.push_str(
                        "the database is newer than this cardline: upgrade cardline on this desk\n",
                    );
                } else if s.pending.is_empty() {
                    out.push_str("pending   none\n");
                } else {
                    out.push_str(&format!(
                        "pending   {} migration(s); apply with `cardline db migrate`\n",
                        s.pending.len()
                    ));
                    for m in &s.pending {
                        out.push_str(&format!(
                            "  {:>3}  {}\n",
                            m.version,
                            m.name.as_deref().unwrap_or("")
                        ));
                    }
                }
                out
            })
        }
    }
}
