//! `cardline audit`.

use crate::context::Context;

/// Arguments of `cardline audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {}

/// Runs `cardline audit`.
pub fn run(_ctx: &Context, _args: AuditArgs) -> anyhow::Result<()> {
    anyhow::bail!("`cardline audit` is being written")
}
