//! `cardline completions SHELL`: a shell completion script on stdout.

use clap::CommandFactory;

use crate::context::Context;

/// Arguments of `cardline completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell (bash, zsh, fish, elvish, powershell).
    pub shell: clap_complete::Shell,
}

/// Prints the completion script.
pub fn run(_ctx: &Context, args: CompletionsArgs) -> anyhow::Result<()> {
    let mut cmd = crate::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "cardline", &mut std::io::stdout());
    Ok(())
}
