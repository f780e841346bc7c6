//! `cardline options ...`: the administrator's option profiles, kept in the store: show the
//! effective values of one, check a file, change one (`set`, `edit`), read the change log,
//! list, create and choose the default profile. Every change is validated before it is saved
//! and audited (`options.change`, old and new value). Restricting changes to administrators
//! comes with users (issue 13).

use std::path::PathBuf;

use cardline_issuance::options::{EffectiveOption, Options, OptionsError, Problem, Source};
use serde::Serialize;

use crate::context::Context;
use crate::output::Table;

/// Subcommands of `cardline options`.
#[derive(Debug, clap::Subcommand)]
pub enum OptionsCommand {
    /// Print a profile's effective options and whether each is the default or set in it.
    Show {
        /// The profile (default: the default profile).
        #[arg(long)]
        profile: Option<String>,
    },
    /// Validate a profile file (non-zero exit when it is invalid).
    Check {
        /// The profile file.
        file: PathBuf,
    },
    /// Set one option of a profile: `options set pin_length 8`.
    Set(super::options_change::SetArgs),
    /// Edit a profile in $VISUAL / $EDITOR (validated before it is saved), or replace it from
    /// a file with --file.
    Edit(super::options_change::EditArgs),
    /// Who changed which option when, from which value to which.
    Log(super::options_change::LogArgs),
    /// List the profiles, marking the default.
    Profiles,
    /// Create a profile or choose the default one.
    #[command(subcommand)]
    Profile(super::options_profiles::ProfileCommand),
}

#[derive(Serialize)]
struct ShowReport {
    /// The profile shown (`None` when the home has none yet: built-in defaults).
    profile: Option<String>,
    is_default: bool,
    updated_at: Option<String>,
    updated_by: Option<String>,
    options: Vec<ShownOption>,
}

#[derive(Serialize)]
struct ShownOption {
    key: String,
    value: serde_json::Value,
    /// The value as TOML writes it (text output).
    #[serde(skip)]
    text: String,
    /// `default` or `profile` (set in the profile).
    source: &'static str,
}

impl From<EffectiveOption> for ShownOption {
    fn from(o: EffectiveOption) -> Self {
        ShownOption {
            text: o.value.to_string(),
            value: serde_json::to_value(&o.value).unwrap_or(serde_json::Value::Null),
            key: o.key,
            source: match o.source {
                Source::Default => "default",
                Source::File => "profile",
            },
        }
    }
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
        OptionsCommand::Show { profile } => show(ctx, profile.as_deref()),
        OptionsCommand::Check { file } => check(ctx, file),
        OptionsCommand::Set(args) => super::options_change::set(ctx, args),
        OptionsCommand::Edit(args) => super::options_change::edit(ctx, args),
        OptionsCommand::Log(args) => super::options_change::log(ctx, args),
        OptionsCommand::Profiles => super::options_profiles::list(ctx),
        OptionsCommand::Profile(cmd) => super::options_profiles::run(ctx, cmd),
    }
}

fn show(ctx: &Context, name: Option<&str>) -> anyhow::Result<()> {
    let report = if ctx.has_store() {
        let store = ctx.store()?;
        let (record, options) = ctx.profile_options(store.as_ref(), name)?;
        ShowReport {
            profile: Some(record.name),
            is_default: record.is_default,
            updated_at: Some(record.updated_at),
            updated_by: Some(record.updated_by),
            options: shown(&options),
        }
    } else {
        ShowReport {
            profile: None,
            is_default: true,
            updated_at: None,
            updated_by: None,
            options: shown(&ctx.options_for(name)?),
        }
    };
    ctx.emit(&report, || {
        let mut t = Table::new(["KEY", "VALUE", "SOURCE"]);
        for o in &report.options {
            t.row([o.key.clone(), o.text.clone(), o.source.into()]);
        }
        let head = match (&report.profile, &report.updated_by, &report.updated_at) {
            (Some(p), Some(by), Some(at)) => format!(
                "option profile {p}{}, last changed by {by} at {at}",
                if report.is_default {
                    " (the default)"
                } else {
                    ""
                }
            ),
            _ => format!(
                "no cardline home at {}: built-in defaults",
                ctx.home_dir().display()
            ),
        };
        format!("{head}\n{}", t.render())
    })
}

fn shown(options: &Options) -> Vec<ShownOption> {
    options
        .effective_with_sources()
        .into_iter()
        .map(ShownOption::from)
        .collect()
}

fn check(ctx: &Context, file: PathBuf) -> anyhow::Result<()> {
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
            print_problems(ctx, &shown, &e)?;
            Err(e.into())
        }
    }
}

/// With --json, prints `{file, valid: false, problems}` for an invalid profile.
pub fn print_problems(ctx: &Context, file: &str, e: &OptionsError) -> anyhow::Result<()> {
    if ctx.json
        && let OptionsError::Invalid { problems, .. } = e
    {
        ctx.print_json(&CheckReport {
            file: file.to_string(),
            valid: false,
            problems: problems.iter().map(problem_report).collect(),
        })?;
    }
    Ok(())
}

fn problem_report(p: &Problem) -> ProblemReport<'_> {
    ProblemReport {
        line: p.line,
        key: &p.key,
        value: p.value.as_deref(),
        message: &p.message,
    }
}
