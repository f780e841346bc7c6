//! `cardline order ...`.

use crate::context::Context;

/// Subcommands of `cardline order`.
#[derive(Debug, clap::Subcommand)]
pub enum OrderCommand {
    /// Placeholder while the group is written.
    Pending,
}

/// Runs a `cardline order` subcommand.
pub fn run(_ctx: &Context, _cmd: OrderCommand) -> anyhow::Result<()> {
    anyhow::bail!("`cardline order` is being written")
}
