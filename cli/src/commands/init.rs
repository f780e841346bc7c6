//! `cardline init`.

use crate::context::Context;

/// Arguments of `cardline init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {}

/// Runs `cardline init`.
pub fn run(_ctx: &Context, _args: InitArgs) -> anyhow::Result<()> {
    anyhow::bail!("`cardline init` is being written")
}
