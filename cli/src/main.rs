//! `cardline`: batch issuance of temporary smart ID cards, from the operator's terminal.
//!
//! The binary is argument parsing and output only: the composition root (printer and encoder
//! registries, station opener, production kit) is the `cardline-app` library. It parses the
//! command line ([`Cli`]), builds a [`context::Context`] (home directory, operator, output
//! mode) and dispatches to one module per command group in [`commands`].
//!
//! Exit codes: 0 ok, 1 operational error (`error: ...` with its causes on stderr), 2 usage error.

mod commands;
#[allow(dead_code)] // helpers offered to every command module; not all are used by each
mod context;
mod identity;
#[allow(dead_code)] // helpers offered to every command module; not all are used by each
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Batch issuance of temporary smart ID cards.
#[derive(Debug, Parser)]
#[command(name = "cardline", version, about, propagate_version = true)]
pub struct Cli {
    /// The cardline home (database, options profile, keys).
    #[arg(
        long,
        global = true,
        env = "CARDLINE_HOME",
        default_value = "./.cardline"
    )]
    home: PathBuf,
    /// The operator recorded on every audit entry (default: the OS user).
    #[arg(long, global = true, env = "CARDLINE_OPERATOR")]
    operator: Option<String>,
    /// The database: postgres://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=verify-full&sslrootcert=FILE]
    /// or sqlite:PATH (default: $CARDLINE_DATABASE, else `database` in the home's config.toml,
    /// else <home>/cardline.db).
    #[arg(long, global = true)]
    database: Option<String>,
    /// Print machine-readable JSON instead of human-readable text.
    #[arg(long, global = true)]
    json: bool,
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// What to do.
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let ctx = context::Context::new(cli.home, cli.operator, cli.json, cli.verbose)
        .with_database(cli.database);
    match commands::run(&ctx, cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        // `cardline cards list | head`: the reader went away; that is not an error to report.
        Err(err) if broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) if err.downcast_ref::<output::Exit>().is_some() => {
            let exit = err.downcast_ref::<output::Exit>().expect("checked");
            if let Some(message) = &exit.message {
                eprintln!("{}", output::clean(message));
            }
            ExitCode::from(exit.code)
        }
        Err(err) => {
            let mut shown = err.to_string();
            eprintln!("error: {}", output::clean(&shown));
            for cause in err.chain().skip(1) {
                // A message that already ends with its cause's text is not repeated.
                let text = cause.to_string();
                if !shown.ends_with(&text) {
                    eprintln!("  caused by: {}", output::clean(&text));
                }
                shown = text;
            }
            ExitCode::from(1)
        }
    }
}

/// True when the error is a write to a closed pipe.
fn broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Logs to stderr: `RUST_LOG` if set, else a level from `-v` (default warnings only).
fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(verbose >= 2)
        .try_init();
}
