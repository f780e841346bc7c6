//! `cardline sim …`: run simulated devices.

use crate::context::Context;

use super::sim_card;
use super::sim_printer;

/// Simulated devices.
#[derive(Debug, clap::Subcommand)]
pub enum SimCommand {
    /// Run a simulated Evolis printer on a pseudo-terminal or TCP port, or replay a byte stream.
    Printer(sim_printer::SimPrinterArgs),
    /// Run a simulated PIV card plugged into pcscd through vpcd (`--vpcd [--port P] [--state FILE]`).
    Card(sim_card::SimCardArgs),
    /// Run N simulated stations as real devices (printers on pseudo-terminals or TCP, chips in
    /// pcscd's vpcd readers) and print the stations file that uses them.
    Serve(super::sim_serve::SimServeArgs),
}

/// Runs one `sim` subcommand.
pub fn run(ctx: &Context, command: SimCommand) -> anyhow::Result<()> {
    match command {
        SimCommand::Printer(args) => sim_printer::run(ctx, args),
        SimCommand::Card(args) => sim_card::run(ctx, args),
        SimCommand::Serve(args) => super::sim_serve::run(ctx, args),
    }
}
