//! The command groups of `cardline`, one module each.
//!
//! To add a command group: create `commands/<name>.rs` exposing a clap `Args` or `Subcommand`
//! type and `pub fn run(ctx: &Context, args: ...) -> anyhow::Result<()>`, then add one `mod`
//! line, one [`Command`] variant and one dispatch line in [`run`] below.

use crate::context::Context;

mod audit;
mod audit_verify;
mod ca;
mod ca_desk_revoke;
mod card_filters;
mod cards;
mod completions;
mod db;
mod demo;
mod desk;
mod dist;
mod doctor;
mod dry_run;
mod encode;
mod face;
mod init;
mod keys;
mod options;
mod options_change;
mod options_profiles;
mod order;
mod order_create;
mod pin_letters;
mod printer;
mod printers;
mod produce;
mod recover;
mod request;
mod search;
mod secrets;
mod serve;
mod serve_demo;
mod serve_tls;
mod sim;
mod sim_card;
mod sim_magicard;
mod sim_printer;
mod sim_serve;
mod stations;
mod users;

/// Every `cardline` command.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create the home: the database with the default option profile (safe to repeat).
    Init(init::InitArgs),
    /// Request temporary cards (records in state `requested`): --count N or --from-csv FILE.
    Request(request::RequestArgs),
    /// Search, show, assign, withdraw, lock and expire cards; reveal PINs and PIN letters.
    #[command(subcommand)]
    Cards(cards::CardsCommand),
    /// Batch orders: create, show, list, cancel, complete, repeat.
    #[command(subcommand)]
    Order(order::OrderCommand),
    /// The administrator's option profiles: show, set, edit, log, profiles.
    #[command(subcommand)]
    Options(options::OptionsCommand),
    /// Read the audit log; `audit verify` and `audit checkpoint` check its chain.
    Audit(audit::AuditArgs),
    /// The database's schema: migrate it, show its status (SQLite or PostgreSQL).
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Production stations: list and check them.
    #[command(subcommand)]
    Stations(stations::StationsCommand),
    /// Settle production attempts a crash left in flight.
    Recover(recover::RecoverArgs),
    /// A desk daemon: this PC's stations producing every order released to the desks.
    #[command(subcommand)]
    Desk(desk::DeskCommand),
    /// Desks and production runs with their stations: producing, paused (why), idle, gone.
    Desks(desk::DesksArgs),
    /// Check what production on this PC needs (home, database, keys, CA, options, pcscd,
    /// stations, USB permissions, clock): one line each with ok / warning / problem and the fix;
    /// exits 1 when a problem stops production.
    Doctor(doctor::DoctorArgs),
    /// A whole batch order on three simulated stations, in a fresh temporary home.
    Demo(demo::DemoArgs),
    /// Print a shell completion script.
    Completions(completions::CompletionsArgs),
    /// Simulated devices: `sim printer --pty | --tcp ADDR | --replay FILE`.
    #[command(subcommand)]
    Sim(sim::SimCommand),
    /// Card face templates: preview a card as PNG, check a template.
    #[command(subcommand)]
    Face(face::FaceCommand),
    /// Find printers: USB (Evolis vendor id), serial ports, configured stations.
    #[command(subcommand)]
    Printers(printers::PrintersCommand),
    /// One printer: status, test card.
    #[command(subcommand)]
    Printer(printer::PrinterCommand),
    /// The local issuing CA: create it, show it.
    #[command(subcommand)]
    Ca(ca::CaCommand),
    /// Station keys: create the station key and the management-key master.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Encode-only station: personalise the PIV card in a PC/SC reader for a card record.
    Encode(encode::EncodeArgs),
    /// The operator console and REST API: HTTPS (`--cert/--key`) or plain HTTP on loopback.
    Serve(serve::ServeArgs),
    /// Console users: add, list, disable, enable, reset-password, API tokens.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Packaging files generated from the code: man pages, udev rules (for scripts/build-deb.sh).
    #[command(subcommand, hide = true)]
    Dist(dist::DistCommand),
}

/// Runs one command.
pub fn run(ctx: &Context, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Init(args) => init::run(ctx, args),
        Command::Ca(cmd) => ca::run(ctx, cmd),
        Command::Keys(cmd) => keys::run(ctx, cmd),
        Command::Encode(args) => encode::run(ctx, args),
        Command::Request(args) => request::run(ctx, args),
        Command::Cards(cmd) => cards::run(ctx, cmd),
        Command::Order(cmd) => order::run(ctx, cmd),
        Command::Options(cmd) => options::run(ctx, cmd),
        Command::Audit(args) => audit::run(ctx, args),
        Command::Db(cmd) => db::run(ctx, cmd),
        Command::Stations(cmd) => stations::run(ctx, cmd),
        Command::Recover(args) => recover::run(ctx, args),
        Command::Desk(cmd) => desk::run(ctx, cmd),
        Command::Desks(args) => desk::list(ctx, args),
        Command::Doctor(args) => doctor::run(ctx, args),
        Command::Demo(args) => demo::run(ctx, args),
        Command::Completions(args) => completions::run(ctx, args),
        Command::Sim(cmd) => sim::run(ctx, cmd),
        Command::Face(cmd) => face::run(ctx, cmd),
        Command::Printers(cmd) => printers::run(ctx, cmd),
        Command::Printer(cmd) => printer::run(ctx, cmd),
        Command::Serve(args) => serve::run(ctx, args),
        Command::Users(cmd) => users::run(ctx, cmd),
        Command::Dist(cmd) => dist::run(ctx, cmd),
    }
}
