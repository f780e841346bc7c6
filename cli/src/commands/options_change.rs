//! `cardline options set | edit | log`: change a profile — one key, or its whole text in an
//! editor or from a file — always validated before it is saved, each changed key logged with
//! its old and new value and audited; and read that log.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use cardline_issuance::file_limits::{TOML_FILE_LIMIT, read_text};
use cardline_issuance::options::profiles::{self, Change, ProfileError};
use cardline_issuance::store::Store;
use serde::Serialize;

use crate::context::Context;
use crate::output::{Table, clean, or_dash};

/// Arguments of `cardline options set`.
#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// The profile (default: the default profile).
    #[arg(long)]
    pub profile: Option<String>,
    /// The dotted key: `pin_length`, `encode`, `numbering.prefix`, `pin_letters.include_puk`.
    pub key: String,
    /// The value, as TOML (`8`, `false`, `["piv-auth"]`) or plain text.
    pub value: String,
}

/// Arguments of `cardline options edit`.
#[derive(Debug, clap::Args)]
pub struct EditArgs {
    /// The profile (default: the default profile).
    #[arg(long)]
    pub profile: Option<String>,
    /// Replace the profile with this file instead of opening an editor.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Arguments of `cardline options log`.
#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// Only changes of this profile.
    #[arg(long)]
    pub profile: Option<String>,
    /// Only the newest N changes.
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
}

#[derive(Serialize)]
struct ChangeReport {
    key: String,
    old: Option<String>,
    new: Option<String>,
}

#[derive(Serialize)]
struct ChangesReport {
    profile: String,
    changes: Vec<ChangeReport>,
}

impl ChangesReport {
    fn new(profile: String, changes: Vec<Change>) -> Self {
        ChangesReport {
            profile,
            changes: changes
                .into_iter()
                .map(|(key, old, new)| ChangeReport { key, old, new })
                .collect(),
        }
    }

    fn text(&self) -> String {
        if self.changes.is_empty() {
            return format!("profile {}: nothing changed", self.profile);
        }
        let mut out = format!("profile {}: saved\n", self.profile);
        for c in &self.changes {
            out.push_str(&format!(
                "  {}: {} → {}\n",
                c.key,
                or_dash(c.old.as_deref()),
                or_dash(c.new.as_deref())
            ));
        }
        out
    }
}

/// The profile's name (`None`: the default one's), the home's legacy file imported first.
fn profile_name(ctx: &Context, store: &dyn Store, name: Option<&str>) -> anyhow::Result<String> {
    Ok(ctx.profile_options(store, name)?.0.name)
}

/// `options set [--profile P] KEY VALUE`.
pub fn set(ctx: &Context, args: SetArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let name = profile_name(ctx, store.as_ref(), args.profile.as_deref())?;
    let changes = profiles::set(store.as_ref(), &name, &args.key, &args.value, &ctx.actor())?;
    let report = ChangesReport::new(name, changes);
    ctx.emit(&report, || report.text())
}

/// `options edit [--profile P] [--file FILE]`.
pub fn edit(ctx: &Context, args: EditArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let name = profile_name(ctx, store.as_ref(), args.profile.as_deref())?;
    if let Some(file) = &args.file {
        let text = read_text(file, TOML_FILE_LIMIT, "an options file")
            .with_context(|| format!("cannot read {}", file.display()))?;
        let changes = profiles::replace(store.as_ref(), &name, &text, &ctx.actor())?;
        let report = ChangesReport::new(name, changes);
        return ctx.emit(&report, || report.text());
    }
    let original = profiles::profile(store.as_ref(), Some(&name), &ctx.actor())?.toml;
    let mut text = original.clone();
    loop {
        text = run_editor(&name, &text)?;
        if text == original {
            let report = ChangesReport::new(name, Vec::new());
            return ctx.emit(&report, || report.text());
        }
        match profiles::replace(store.as_ref(), &name, &text, &ctx.actor()) {
            Ok(changes) => {
                let report = ChangesReport::new(name, changes);
                return ctx.emit(&report, || report.text());
            }
            Err(ProfileError::Invalid(e)) => {
                eprintln!("{}", clean(&e.to_string()));
                if !ask_again()? {
                    anyhow::bail!("profile {name} was not changed: the edited text is not valid");
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Opens `text` in $VISUAL / $EDITOR (else `vi`) in a private temporary file; returns what
/// the editor saved.
fn run_editor(profile: &str, text: &str) -> anyhow::Result<String> {
    let mut file = tempfile::Builder::new()
        .prefix(&format!("cardline-{profile}-"))
        .suffix(".toml")
        .tempfile()
        .context("cannot create a temporary file to edit the profile in")?;
    file.write_all(text.as_bytes())?;
    file.flush()?;
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".into());
    // Through the shell, as git does, so `EDITOR="code --wait"` works.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("cardline-options-edit")
        .arg(file.path())
        .status()
        .with_context(|| format!("cannot start the editor `{editor}`"))?;
    if !status.success() {
        anyhow::bail!("the editor `{editor}` ended with {status}: nothing was saved");
    }
    read_back(file.path())
}

fn read_back(path: &Path) -> anyhow::Result<String> {
    read_text(path, TOML_FILE_LIMIT, "an options file")
        .with_context(|| format!("cannot read back {}", path.display()))
}

/// Asks on the terminal whether to edit again; `false` when not on a terminal.
fn ask_again() -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Ok(false);
    }
    eprint!("nothing was saved. Edit again? [Y/n] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(!matches!(answer.trim(), "n" | "N" | "no" | "No"))
}

/// `options log [--profile P] [--limit N]`.
pub fn log(ctx: &Context, args: LogArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    if let Some(name) = &args.profile {
        profiles::profile(store.as_ref(), Some(name), &ctx.actor())?;
    }
    let entries = store.option_log(args.profile.as_deref(), args.limit)?;
    ctx.emit(&entries, || {
        if entries.is_empty() {
            return "no option changes recorded".into();
        }
        let mut t = Table::new(["AT", "OPERATOR", "PROFILE", "KEY", "FROM", "TO"]);
        for e in &entries {
            t.row([
                e.at.clone(),
                e.operator.clone(),
                e.profile.clone(),
                e.key.clone(),
                or_dash(e.old_value.as_deref()),
                or_dash(e.new_value.as_deref()),
            ]);
        }
        t.render()
    })
}
