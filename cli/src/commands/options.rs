//! `cardline options ...`.

use crate::context::Context;

/// Subcommands of `cardline options`.
#[derive(Debug, clap::Subcommand)]
pub enum OptionsCommand {
    /// Placeholder while the group is written.
    Pending,
}

/// Runs a `cardline options` subcommand.
pub fn run(_ctx: &Context, _cmd: OptionsCommand) -> anyhow::Result<()> {
    anyhow::bail!("`cardline options` is being written")
}
