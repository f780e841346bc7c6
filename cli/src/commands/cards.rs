//! `cardline cards ...`.

use crate::context::Context;

/// Subcommands of `cardline cards`.
#[derive(Debug, clap::Subcommand)]
pub enum CardsCommand {
    /// Placeholder while the group is written.
    Pending,
}

/// Runs a `cardline cards` subcommand.
pub fn run(_ctx: &Context, _cmd: CardsCommand) -> anyhow::Result<()> {
    anyhow::bail!("`cardline cards` is being written")
}
