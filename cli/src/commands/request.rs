//! `cardline request`.

use crate::context::Context;

/// Arguments of `cardline request`.
#[derive(Debug, clap::Args)]
pub struct RequestArgs {}

/// Runs `cardline request`.
pub fn run(_ctx: &Context, _args: RequestArgs) -> anyhow::Result<()> {
    anyhow::bail!("`cardline request` is being written")
}
