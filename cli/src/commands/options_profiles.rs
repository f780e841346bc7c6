//! `cardline options profiles` and `options profile create | default`: the named option
//! profiles (e.g. `visitor-print-only`, `contractor-piv`) and which one orders get unless
//! they name another.

use cardline_issuance::options::profiles;
use serde::Serialize;

use crate::context::Context;
use crate::output::Table;

/// Subcommands of `cardline options profile`.
#[derive(Debug, clap::Subcommand)]
pub enum ProfileCommand {
    /// Create a profile as a copy of another (default: of the default profile).
    Create {
        /// The new profile's name (1–64 letters, digits, `-`, `_`).
        name: String,
        /// The profile to copy.
        #[arg(long, value_name = "PROFILE")]
        from: Option<String>,
    },
    /// Make a profile the default one.
    Default {
        /// The profile.
        name: String,
    },
}

#[derive(Serialize)]
struct ProfileSummary {
    name: String,
    is_default: bool,
    updated_at: String,
    updated_by: String,
}

/// `options profiles`.
pub fn list(ctx: &Context) -> anyhow::Result<()> {
    let store = ctx.store()?;
    ctx.profile_options(store.as_ref(), None)?;
    let list: Vec<ProfileSummary> = store
        .option_profiles()?
        .into_iter()
        .map(|p| ProfileSummary {
            name: p.name,
            is_default: p.is_default,
            updated_at: p.updated_at,
            updated_by: p.updated_by,
        })
        .collect();
    ctx.emit(&list, || {
        let mut t = Table::new(["PROFILE", "DEFAULT", "CHANGED", "BY"]);
        for p in &list {
            t.row([
                p.name.clone(),
                if p.is_default { "*" } else { "" }.to_string(),
                p.updated_at.clone(),
                p.updated_by.clone(),
            ]);
        }
        t.render()
    })
}

/// Runs `options profile ...`.
pub fn run(ctx: &Context, cmd: ProfileCommand) -> anyhow::Result<()> {
    let store = ctx.store()?;
    // The home's legacy options file becomes the default profile before anything else.
    ctx.profile_options(store.as_ref(), None)?;
    let actor = ctx.actor();
    match cmd {
        ProfileCommand::Create { name, from } => {
            let p = profiles::create_from(store.as_ref(), &name, from.as_deref(), &actor)?;
            let summary = ProfileSummary {
                name: p.name,
                is_default: p.is_default,
                updated_at: p.updated_at,
                updated_by: p.updated_by,
            };
            ctx.emit(&summary, || {
                format!(
                    "created option profile {} (a copy of {}); change it with `cardline options \
                     set --profile {} KEY VALUE`",
                    summary.name,
                    from.as_deref().unwrap_or("the default profile"),
                    summary.name
                )
            })
        }
        ProfileCommand::Default { name } => {
            profiles::make_default(store.as_ref(), &name, &actor)?;
            let report = serde_json::json!({ "default_profile": name });
            ctx.emit(&report, || {
                format!("{name} is the default option profile now")
            })
        }
    }
}
