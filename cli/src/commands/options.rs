//! `cardline options show | check FILE`: the administrator's options profile.

use std::path::PathBuf;

use cardline_issuance::options::{EffectiveOption, Options, OptionsError, Problem};
use serde::Serialize;

use crate::context::Context;
use crate::output::Table;

/// Subcommands of `cardline options`.
#[derive(Debug, clap::Subcommand)]
pub enum OptionsCommand {
    /// Print the effective options and where each value comes from (default or file).
    Show,
    /// Validate a profile file (non-zero exit when it is invalid).
    Check {
        /// The profile file.
        file: PathBuf,
    },
}

#[derive(Serialize)]
struct ShowReport {
    file: Option<String>,
    options: Vec<EffectiveOption>,
}

#[derive(Serialize)]
struct CheckReport<'a> {
    file: String,
    valid: bool,
    problems: Vec<ProblemReport<'a>>,
}

#[derive(Serialize)]
struct ProblemReport<'a> {
    line: Option<usize>,
    key: &'a str,
    value: Option<&'a str>,
    message: &'a str,
}

/// Runs a `cardline options` subcommand.
pub fn run(ctx: &Context, cmd: OptionsCommand) -> anyhow::Result<()> {
    match cmd {
        OptionsCommand::Show => {
            let options = ctx.options()?;
            let file = ctx.home.options_file();
            let report = ShowReport {
                file: file.is_file().then(|| file.display().to_string()),
                options: options.effective_with_sources(),
            };
            ctx.emit(&report, || {
                let mut t = Table::new(["KEY", "VALUE", "SOURCE"]);
                for o in &report.options {
                    t.row([o.key.clone(), o.value.to_string(), o.source.as_str().into()]);
                }
                let head = match &report.file {
                    Some(f) => format!("options profile {f}"),
                    None => format!(
                        "no options profile at {}: built-in defaults",
                        file.display()
                    ),
                };
                format!("{head}\n{}", t.render())
            })
        }
        OptionsCommand::Check { file } => {
            let shown = file.display().to_string();
            match Options::load(&file) {
                Ok(o) => {
                    let report = CheckReport {
                        file: shown.clone(),
                        valid: true,
                        problems: Vec::new(),
                    };
                    let set = o.file_keys.len();
                    ctx.emit(&report, || {
                        format!("{shown}: valid ({set} key(s) set, the rest default)")
                    })
                }
                Err(e) => {
                    if ctx.json
                        && let OptionsError::Invalid { problems, .. } = &e
                    {
                        ctx.print_json(&CheckReport {
                            file: shown,
                            valid: false,
                            problems: problems.iter().map(problem_report).collect(),
                        })?;
                    }
                    Err(e.into())
                }
            }
        }
    }
}

fn problem_report(p: &Problem) -> ProblemReport<'_> {
    ProblemReport {
        line: p.line,
        key: &p.key,
        value: p.value.as_deref(),
        message: &p.message,
    }
}
