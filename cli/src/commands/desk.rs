//! `cardline desk run`: this PC's stations as a long-lived desk daemon producing every order
//! released to the desks (`cardline order release ID`); `cardline desks`: every desk and
//! production run with its stations.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context as _;
use cardline_app::{ProfileKits, StationsFileReopener};
use cardline_issuance::production::{
    Desk, DeskState, DeskSummary, DeskView, ProductionEvent, RunGuard, desks, recover, run_desk,
};
use cardline_issuance::secrets::KeyFiles;
use cardline_issuance::store::ownership::{RunStart, host_name, is_gone};
use cardline_issuance::store::{AttemptKeys, ProductionJournal, Store};

use crate::commands::produce::progress::line;
use crate::commands::produce::{
    cancel_flag, claim_and_open_from, flush, home_line_options, tune_settings,
};
use crate::context::Context;
use crate::output::Table;

/// `desk` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum DeskCommand {
    /// Run this desk's stations until stopped (SIGTERM or Ctrl-C: the cards in hand are
    /// finished first), producing the cards of every released order.
    Run(RunArgs),
}

/// `desk run` arguments.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The desk's name, shown by `cardline desks` (default: this host's name). A desk that
    /// starts again under the same name takes over its stations and settles what it left.
    #[arg(long, value_name = "NAME")]
    pub desk: Option<String>,
    /// The stations file (default: the home's stations.toml).
    #[arg(long, value_name = "FILE")]
    pub stations: Option<PathBuf>,
    /// Only these stations of the file (repeatable).
    #[arg(long = "station", value_name = "NAME")]
    pub only: Vec<String>,
    /// How often an idle station looks for work, in milliseconds, when the database cannot
    /// wake it (SQLite); 50–60000.
    #[arg(long, value_name = "MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(50..=60_000))]
    pub idle_poll_ms: u64,
}

/// `desks` arguments.
#[derive(Debug, clap::Args)]
pub struct DesksArgs {}

/// Runs a `desk` subcommand.
pub fn run(ctx: &Context, cmd: DeskCommand) -> anyhow::Result<()> {
    match cmd {
        DeskCommand::Run(args) => run_daemon(ctx, args),
    }
}

/// Registers this desk's management-key master in the database (the first desk to start does,
/// the others compare): a desk with a replaced master is refused before it claims a station or
/// a card, and the first attempts after a release never wait on each other to register it. A
/// home without a master (it does not encode) registers nothing.
fn register_master(ctx: &Context, store: &dyn Store) -> anyhow::Result<()> {
    let keys = KeyFiles::in_home(ctx.home.root());
    if !keys.master_key_path().exists() {
        return Ok(());
    }
    let id = keys
        .master_key_id()
        .context("reading this desk's management-key master")?;
    let kind = AttemptKeys::MANAGEMENT_MASTER;
    if store.as_journal().register_key(kind, &id, &ctx.actor())? {
        say(
            ctx,
            serde_json::json!({"event": "key_registered", "kind": kind, "key_id": id}),
            || format!("registered this desk's {kind} (key id {id}) as the office's"),
        );
    }
    Ok(())
}

fn run_daemon(ctx: &Context, args: RunArgs) -> anyhow::Result<()> {
    let name = args.desk.clone().unwrap_or_else(host_name);
    anyhow::ensure!(
        !name.trim().is_empty() && name.len() <= 64 && !name.chars().any(char::is_control),
        "desk name `{}` is not usable: 1–64 printable characters",
        name.escape_debug()
    );
    let store = ctx.store()?;
    // A desk daemon's audit entries form their own chain, `host/desk`.
    let mut sealer = ctx.audit_sealer()?;
    sealer.writer = format!("{}/{name}", host_name());
    store.set_audit_sealer(sealer);
    // The default profile must load (this also imports a legacy options.toml once).
    ctx.options()?;
    register_master(ctx, &*store)?;
    let journal: Arc<dyn ProductionJournal> = store.clone();
    let run = RunGuard::start_with(journal, &RunStart::desk(&name), &ctx.actor())?;
    let path = args
        .stations
        .clone()
        .unwrap_or_else(|| ctx.home.stations_file());
    let (mut line_, _left_out) = claim_and_open_from(ctx, &path, &run, &args.only, ctx.json, true)?;
    let report = recover(store.as_journal(), &mut line_.stations, &ctx.actor())?;
    for outcome in &report.outcomes {
        say(
            ctx,
            serde_json::json!({"event": "recovered", "recovery": outcome}),
            || {
                format!(
                    "recovery: {}",
                    serde_json::to_string(outcome).unwrap_or_default()
                )
            },
        );
    }
    end_superseded(&*store, &name, run.id())?;
    let kits = ProfileKits::new(
        ctx.home.clone(),
        store.clone(),
        ctx.actor(),
        Box::new(tune_settings),
    );
    let reopener = StationsFileReopener::new(path.clone(), home_line_options(ctx, &[]));
    let stop = cancel_flag();
    stop.store(false, Ordering::SeqCst);
    let sink = |e: &ProductionEvent| show(ctx, e);
    let desk = Desk {
        journal: store.as_journal(),
        run: run.id(),
        actor: ctx.actor(),
        kits: &kits,
        stop,
        events: &sink,
        reopen: Some(&reopener),
        idle_poll: Duration::from_millis(args.idle_poll_ms),
        retry: retry_delay(),
    };
    let names: Vec<&str> = line_.stations.iter().map(|s| s.name.as_str()).collect();
    say(
        ctx,
        serde_json::json!({"event": "desk_started", "desk": name, "run": run.id(), "stations": names}),
        || {
            format!(
                "desk {name} (run {}) producing released orders on {}; stop with Ctrl-C or SIGTERM",
                run.id(),
                names.join(", ")
            )
        },
    );
    let summary = run_desk(&desk, &mut line_.stations);
    run.end()?;
    say(
        ctx,
        serde_json::json!({"event": "desk_stopped", "desk": name, "summary": summary}),
        || summary_text(&name, &summary),
    );
    Ok(())
}

/// Ends earlier runs of this desk whose process is gone and that hold no attempt any more,
/// so `cardline desks` does not list them forever.
fn end_superseded(store: &dyn Store, desk: &str, me: i64) -> anyhow::Result<()> {
    let host = host_name();
    let in_flight = store.in_flight_attempts()?;
    for r in store.runs(false)? {
        if r.id != me
            && r.desk.as_deref() == Some(desk)
            && is_gone(&r, &host)
            && !in_flight.iter().any(|a| a.run_id == Some(r.id))
        {
            store.end_run(r.id)?;
            tracing::info!(run = r.id, desk, "ended a gone run of this desk");
        }
    }
    Ok(())
}

/// The wait before trying a failed database or station again (`CARDLINE_DESK_RETRY_MS`
/// shortens it for tests).
fn retry_delay() -> Duration {
    std::env::var("CARDLINE_DESK_RETRY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(5))
}

fn say(ctx: &Context, json: serde_json::Value, text: impl FnOnce() -> String) {
    if ctx.json {
        let _ = writeln!(std::io::stdout(), "{json}");
        flush();
    } else {
        eprintln!("{} {}", clock(), crate::output::clean(&text()));
    }
}

fn show(ctx: &Context, e: &ProductionEvent) {
    if ctx.json {
        if let Ok(l) = serde_json::to_string(e) {
            let _ = writeln!(std::io::stdout(), "{l}");
            flush();
        }
    } else if let Some(text) = line(e) {
        eprintln!("{} {}", clock(), crate::output::clean(&text));
    }
}

fn clock() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!("{:02}:{:02}:{:02}", now.hour(), now.minute(), now.second())
}

/// Runs `desks`.
pub fn list(ctx: &Context, _args: DesksArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let views = desks(store.as_journal())?;
    ctx.emit(&views, || text(&views))
}

fn text(views: &[DeskView]) -> String {
    if views.is_empty() {
        return "no desk or production run is live (start one with `cardline desk run`)".into();
    }
    let mut t = Table::new([
        "desk",
        "run",
        "host",
        "pid",
        "state",
        "last heartbeat",
        "stations",
    ]);
    for v in views {
        let stations: Vec<String> = v
            .stations
            .iter()
            .map(|s| match (&s.card, &s.reason) {
                (Some(card), _) => format!("{} producing {card}", s.name),
                (None, Some(reason)) => format!("{} PAUSED: {reason}", s.name),
                (None, None) => format!("{} idle", s.name),
            })
            .collect();
        let state = match v.state {
            DeskState::Producing => "producing",
            DeskState::Paused => "PAUSED",
            DeskState::Idle => "idle",
            DeskState::Gone => "GONE",
        };
        t.row(vec![
            v.desk.clone().unwrap_or_else(|| format!("({})", v.kind)),
            v.run.to_string(),
            v.host.clone(),
            v.pid.to_string(),
            state.to_string(),
            v.heartbeat_at.clone().unwrap_or_else(|| "-".into()),
            if stations.is_empty() {
                "-".into()
            } else {
                stations.join("; ")
            },
        ]);
    }
    let mut out = t.render();
    let printers = printers_text(views);
    if !printers.is_empty() {
        out.push('\n');
        out.push_str(&printers);
    }
    out
}

/// The stations' printers: what each last reported, its warnings, when it was read.
fn printers_text(views: &[DeskView]) -> String {
    let mut t = Table::new(["station", "printer", "attention", "read at"]);
    let mut any = false;
    for s in views.iter().flat_map(|v| &v.stations) {
        any = true;
        match &s.printer {
            Some(p) => t.row(vec![
                s.name.clone(),
                p.summary(),
                if s.printer_warnings.is_empty() {
                    "-".into()
                } else {
                    format!("!! {}", s.printer_warnings.join("; "))
                },
                p.read_at.clone(),
            ]),
            None => t.row(vec![
                s.name.clone(),
                "not read yet".into(),
                "-".into(),
                "-".into(),
            ]),
        }
    }
    if any { t.render() } else { String::new() }
}

/// The summary of a stopped desk, for people.
pub(crate) fn summary_text(desk: &str, s: &DeskSummary) -> String {
    format!(
        "desk {desk} stopped: {} produced, {} failed, {} untouched card(s) of lapsed desks requeued",
        s.produced, s.failed, s.requeued
    )
}
