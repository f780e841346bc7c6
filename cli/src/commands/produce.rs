//! `cardline order produce ID` (the operator's "Next"): recovers what a crash left in flight,
//! then produces the order on every station of the stations file, with live progress.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use cardline_app::{
    LineOptions, OpenedLine, ProductionKit, StationsFileReopener, error_chain, load_stations,
    open_line,
};
use cardline_issuance::model::OrderId;
use cardline_issuance::production::{
    Production, ProductionEvent, ProductionSummary, RunGuard, Station, produce_order, recover,
};
use cardline_issuance::store::{ProductionJournal, Store, StoreError};

use crate::context::Context;
use progress::Progress;

mod progress;

/// `order produce` arguments.
#[derive(Debug, clap::Args)]
pub struct ProduceArgs {
    /// The order to produce.
    pub id: OrderId,
    /// Produce only on these stations (repeatable; default: every station of the file). Lets
    /// several processes share one order, each driving its own stations.
    #[arg(long = "station", value_name = "NAME")]
    pub stations: Vec<String>,
}

/// Runs `order produce`.
pub fn run(ctx: &Context, args: ProduceArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    // The order first: `order produce 99` says there is no order 99, whatever the stations.
    store.order(args.id)?;
    let mut line = open_home_line(ctx, &args.stations, ctx.json)?;
    let kit = load_kit(ctx, &store)?;
    let summary = run_production(
        ctx,
        &store,
        &kit,
        args.id,
        &mut line.stations,
        ctx.json,
        !args.stations.is_empty(),
    )?;
    if !ctx.json {
        ctx.print_text(&summary_text(&summary))?;
    }
    if summary.remaining > 0 && !summary.cancelled {
        anyhow::bail!(
            "{} card(s) of order {} are still in production: a station stopped (see above)",
            summary.remaining,
            args.id
        );
    }
    Ok(())
}

/// This process as a production run: claims the stations (those another live run holds are
/// left out and named; when the operator named them, refused), recovers what a gone run left
/// in flight on them, then produces with progress output (JSON lines or a progress bar).
pub(crate) fn run_production(
    ctx: &Context,
    store: &std::sync::Arc<dyn Store>,
    kit: &ProductionKit,
    order_id: OrderId,
    stations: &mut Vec<Station>,
    json_lines: bool,
    named: bool,
) -> anyhow::Result<ProductionSummary> {
    let journal: std::sync::Arc<dyn ProductionJournal> = store.clone();
    let run = RunGuard::start(journal, "produce", &ctx.actor())?;
    let mut claimed = Vec::with_capacity(stations.len());
    for station in stations.drain(..) {
        match run.claim(&station.name, &ctx.actor()) {
            Ok(()) => claimed.push(station),
            Err(e @ StoreError::StationInUse { .. }) if named => return Err(e.into()),
            Err(e @ StoreError::StationInUse { .. }) => {
                eprintln!("note: {e}; producing without it");
            }
            Err(e) => return Err(e.into()),
        }
    }
    *stations = claimed;
    if stations.is_empty() {
        anyhow::bail!(
            "every station of the stations file is in use by another production run (see the notes above)"
        );
    }
    let report = recover(store.as_journal(), stations, &ctx.actor())?;
    for outcome in &report.outcomes {
        if json_lines {
            writeln!(
                std::io::stdout(),
                "{}",
                serde_json::json!({"event": "recovered", "recovery": outcome})
            )?;
        } else {
            eprintln!("recovery: {}", serde_json::to_string(outcome)?);
        }
    }
    let total = store.waiting_cards(order_id)?;
    let names: Vec<String> = stations.iter().map(|s| s.name.clone()).collect();
    let progress = Mutex::new(Progress::new(total, &names, json_lines));
    let sink = |e: &ProductionEvent| progress.lock().expect("progress lock").show(e);
    let cancel = cancel_flag();
    cancel.store(false, Ordering::SeqCst);
    let issuer = kit.issuer();
    // A station resumed after a pause is opened again as the stations file declares it then.
    let reopener = StationsFileReopener::new(ctx.home.stations_file(), home_line_options(ctx, &[]));
    let p = Production {
        journal: store.as_journal(),
        run: run.id(),
        settings: &kit.settings,
        issuer: &issuer,
        sealer: &kit.sealer,
        face: &kit.face,
        cancel,
        events: &sink,
        reopen: Some(&reopener),
    };
    let summary = produce_order(&p, order_id, stations)?;
    progress.into_inner().expect("progress lock").finish();
    run.end()?;
    Ok(summary)
}

/// The process-wide cancellation flag, set by Ctrl-C (the handler is installed once).
fn cancel_flag() -> &'static AtomicBool {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        let _ = ctrlc::set_handler(move || {
            if f.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\ncancelling: finishing the cards in hand (Ctrl-C again to quit now)");
        });
        flag
    })
}

/// The human summary of a run.
pub(crate) fn summary_text(s: &ProductionSummary) -> String {
    let secs = s.elapsed_ms as f64 / 1000.0;
    let mut out = format!(
        "order {}: {} produced, {} failed, {} still in production{} ({secs:.1} s)\n",
        s.order_id,
        s.produced,
        s.failed,
        s.remaining,
        if s.cancelled { ", cancelled" } else { "" }
    );
    for st in &s.stations {
        let rate = st.cards_per_hour(std::time::Duration::from_millis(s.elapsed_ms));
        out.push_str(&format!(
            "  {:<12} {:>4} produced {:>3} failed  {:>7.0} cards/h  paused {:.1} s{}\n",
            st.name,
            st.produced,
            st.failed,
            rate,
            st.paused_ms as f64 / 1000.0,
            st.stopped
                .as_ref()
                .map(|r| format!("  stopped: {r}"))
                .unwrap_or_default()
        ));
    }
    out
}

/// Opens the stations of the home's stations file (all, or those named in `only`), reporting
/// each station that cannot be opened — as a `station_missing` JSON line with `json_lines`,
/// else on stderr — and failing when none could be opened. Keep the line alive while
/// producing: it owns the simulated devices.
pub(crate) fn open_home_line(
    ctx: &Context,
    only: &[String],
    json_lines: bool,
) -> anyhow::Result<OpenedLine> {
    let path = ctx.home.stations_file();
    let file = load_stations(&path)?;
    if file.stations.is_empty() {
        anyhow::bail!(
            "no station is configured: declare printers in {} (see docs/production.md, or try `cardline demo`)",
            path.display()
        );
    }
    let line = open_line(&file, &home_line_options(ctx, only))?;
    for m in &line.missing {
        let error = error_chain(&m.error);
        if json_lines {
            writeln!(
                std::io::stdout(),
                "{}",
                serde_json::json!({"event": "station_missing", "station": m.name, "uri": m.uri, "error": error})
            )?;
        } else {
            eprintln!("station {} ({}) left out: {error}", m.name, m.uri);
        }
    }
    if line.stations.is_empty() {
        anyhow::bail!(
            "none of the {} station(s) could be opened (see above; `cardline stations check` tells more)",
            line.missing.len()
        );
    }
    Ok(line)
}

/// How the home's stations are opened: simulated printers' PNGs under `<home>/printed/`.
fn home_line_options(ctx: &Context, only: &[String]) -> LineOptions {
    LineOptions {
        png_root: Some(ctx.home.path("printed")),
        only: only.to_vec(),
        ..LineOptions::default()
    }
}

/// Loads the production kit of the home; `CARDLINE_RETRY_DELAY_MS` and
/// `CARDLINE_OPERATOR_POLL_MS` shorten the orchestrator's waits (tests, demos).
pub(crate) fn load_kit(
    ctx: &Context,
    store: &std::sync::Arc<dyn Store>,
) -> anyhow::Result<ProductionKit> {
    let mut kit = ProductionKit::load(&ctx.home, &ctx.options()?, ctx.actor(), store.clone())?;
    if let Ok(v) = std::env::var("CARDLINE_RETRY_DELAY_MS") {
        kit.settings.retry_delay = std::time::Duration::from_millis(v.parse().unwrap_or(1000));
    }
    if let Ok(v) = std::env::var("CARDLINE_OPERATOR_POLL_MS") {
        kit.settings.operator_poll = std::time::Duration::from_millis(v.parse().unwrap_or(1000));
    }
    Ok(kit)
}

/// Flushes stdout (JSON lines must reach a reading parent process at once).
pub(crate) fn flush() {
    let _ = std::io::stdout().flush();
}

/// True when stderr is a terminal (progress bars only then).
pub(crate) fn interactive() -> bool {
    std::io::stderr().is_terminal()
}
