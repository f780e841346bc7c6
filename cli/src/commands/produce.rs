//! `cardline order produce ID` (the operator's "Next"): recovers what a crash left in flight,
//! then produces the order on every station of the stations file, with live progress.

use std::io::{IsTerminal, Write};

use anyhow::Context as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use cardline_app::{
    LineOptions, OpenedLine, ProductionKit, StationsFileReopener, error_chain, load_stations,
    open_line,
};

use crate::output::{EXIT_CANCELLED, EXIT_DEGRADED, Exit};
use cardline_issuance::model::OrderId;
use cardline_issuance::production::{
    Production, ProductionEvent, ProductionSummary, RunGuard, Station, produce_order, recover,
};
use cardline_issuance::store::{ProductionJournal, Store, StoreError};

use crate::context::Context;
use progress::Progress;

pub(crate) mod progress;

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

/// A station left out of the run, and why.
#[derive(Debug, serde::Serialize)]
pub(crate) struct LeftOut {
    /// The station.
    pub station: String,
    /// Why: `missing` (could not be opened) or `in_use` (another live run drives it).
    pub kind: &'static str,
    /// The reason, for people.
    pub reason: String,
}

/// Runs `order produce`.
pub fn run(ctx: &Context, args: ProduceArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    // The order first: `order produce 99` says there is no order 99, whatever the stations.
    let order = store.order_header(args.id)?;
    let journal: Arc<dyn ProductionJournal> = store.clone();
    let run = RunGuard::start(journal, "produce", &ctx.actor())?;
    // Claim before opening: a station another live run drives is never opened, so that run
    // is never disturbed.
    let (mut line, left_out) = claim_and_open(ctx, &run, &args.stations, ctx.json, true)?;
    // The order's own option profile decides encoding, PIN/PUK lengths, certificates, face.
    let kit = load_kit(ctx, &store, order.profile.as_deref())?;
    let summary = run_production(
        ctx,
        &store,
        &kit,
        args.id,
        &mut line.stations,
        ctx.json,
        &run,
    )?;
    run.end()?;
    if !ctx.json {
        ctx.print_text(&summary_text(&summary, &left_out))?;
    }
    verdict(&summary, &left_out)
}

/// The exit of a run from its summary: cancelled (130), cards still waiting or a store
/// failure (1), done but degraded — a station missing, in use, stopped or left paused (3), or
/// done (0).
pub(crate) fn verdict(summary: &ProductionSummary, left_out: &[LeftOut]) -> anyhow::Result<()> {
    if summary.cancelled {
        return Err(Exit {
            code: EXIT_CANCELLED,
            message: Some(format!(
                "cancelled: {} card(s) of order {} still wait for production",
                summary.remaining, summary.order_id
            )),
        }
        .into());
    }
    if summary.store_failed() {
        anyhow::bail!(
            "a station failed on the store (see above); `cardline recover` settles its card in hand"
        );
    }
    if summary.remaining > 0 {
        anyhow::bail!(
            "{} card(s) of order {} still wait for production: a station stopped or is paused (see above)",
            summary.remaining,
            summary.order_id
        );
    }
    if summary.degraded() || !left_out.is_empty() {
        let names: Vec<&str> = left_out
            .iter()
            .map(|l| l.station.as_str())
            .chain(
                summary
                    .stations
                    .iter()
                    .filter(|s| s.stopped.is_some() || s.paused.is_some())
                    .map(|s| s.name.as_str()),
            )
            .collect();
        return Err(Exit {
            code: EXIT_DEGRADED,
            message: Some(format!(
                "order {} done, but check these stations: {}",
                summary.order_id,
                names.join(", ")
            )),
        }
        .into());
    }
    Ok(())
}

/// Claims the home's stations for `run` (all, or those named in `only`: naming one a live run
/// drives is refused with its owner), then opens the claimed ones; a station that cannot be
/// opened is released and left out. Each left-out station is reported — as a JSON line with
/// `json_lines`, else on stderr. Fails when no station is left.
pub(crate) fn claim_and_open(
    ctx: &Context,
    run: &RunGuard,
    only: &[String],
    json_lines: bool,
    need_one: bool,
) -> anyhow::Result<(OpenedLine, Vec<LeftOut>)> {
    claim_and_open_from(
        ctx,
        &ctx.home.stations_file(),
        run,
        only,
        json_lines,
        need_one,
    )
}

/// Like [`claim_and_open`], from the stations file at `path`.
pub(crate) fn claim_and_open_from(
    ctx: &Context,
    path: &std::path::Path,
    run: &RunGuard,
    only: &[String],
    json_lines: bool,
    need_one: bool,
) -> anyhow::Result<(OpenedLine, Vec<LeftOut>)> {
    let mut file = load_stations(path)?;
    if file.stations.is_empty() {
        anyhow::bail!(
            "no station is configured: declare printers in {} (see docs/production.md, or try `cardline demo`)",
            path.display()
        );
    }
    if let Some(name) = only
        .iter()
        .find(|n| !file.stations.iter().any(|s| &s.name == *n))
    {
        let declared: Vec<&str> = file.stations.iter().map(|s| s.name.as_str()).collect();
        anyhow::bail!(
            "no station named `{name}` in {} (declared: {})",
            path.display(),
            declared.join(", ")
        );
    }
    if !only.is_empty() {
        file.stations.retain(|s| only.contains(&s.name));
    }
    let mut left_out = Vec::new();
    let mut claimed = Vec::new();
    let names: Vec<&str> = file.stations.iter().map(|s| s.name.as_str()).collect();
    let results = run.claim_each(&names, &ctx.actor());
    for (spec, result) in file.stations.into_iter().zip(results) {
        match result {
            Ok(()) => claimed.push(spec),
            Err(e @ StoreError::StationInUse { .. }) if !only.is_empty() => return Err(e.into()),
            Err(e @ StoreError::StationInUse { .. }) => left_out.push(LeftOut {
                station: spec.name.clone(),
                kind: "in_use",
                reason: e.to_string(),
            }),
            Err(e) => return Err(e.into()),
        }
    }
    file.stations = claimed;
    let line = open_line(&file, &home_line_options(ctx, &[]))?;
    for m in &line.missing {
        run.release(&m.name)?;
        left_out.push(LeftOut {
            station: m.name.clone(),
            kind: "missing",
            reason: format!("{} could not be opened: {}", m.uri, error_chain(&m.error)),
        });
    }
    for l in &left_out {
        if json_lines {
            writeln!(
                std::io::stdout(),
                "{}",
                serde_json::json!({"event": "station_left_out", "station": l.station, "kind": l.kind, "reason": l.reason})
            )?;
        } else {
            eprintln!("station {} left out: {}", l.station, l.reason);
        }
    }
    if need_one && line.stations.is_empty() {
        anyhow::bail!(
            "no station is left to produce on (see above; `cardline stations list` and `stations check` tell more)"
        );
    }
    Ok((line, left_out))
}

/// Recovers what a gone run left in flight on the stations `run` holds, then produces with
/// progress output (JSON lines or a progress bar). The stations must be claimed by `run`.
pub(crate) fn run_production(
    ctx: &Context,
    store: &Arc<dyn Store>,
    kit: &ProductionKit,
    order_id: OrderId,
    stations: &mut [Station],
    json_lines: bool,
    run: &RunGuard,
) -> anyhow::Result<ProductionSummary> {
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
    Ok(summary)
}

/// The process-wide cancellation flag, set by Ctrl-C (the handler is installed once).
pub(crate) fn cancel_flag() -> &'static AtomicBool {
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
pub(crate) fn summary_text(s: &ProductionSummary, left_out: &[LeftOut]) -> String {
    let secs = s.elapsed_ms as f64 / 1000.0;
    let mut out = format!(
        "order {}: {} produced, {} failed, {} waiting{}{} ({secs:.1} s)\n",
        s.order_id,
        s.produced,
        s.failed,
        s.remaining,
        if s.in_other_runs > 0 {
            format!(", {} in the hands of other runs", s.in_other_runs)
        } else {
            String::new()
        },
        if s.cancelled {
            ", cancelled"
        } else if s.order_closed {
            ", the order was closed meanwhile"
        } else {
            ""
        }
    );
    for st in &s.stations {
        let rate = st.cards_per_hour(std::time::Duration::from_millis(s.elapsed_ms));
        out.push_str(&format!(
            "  {:<12} {:>4} produced {:>3} failed  {:>7.0} cards/h  paused {:.1} s\n",
            st.name,
            st.produced,
            st.failed,
            rate,
            st.paused_ms as f64 / 1000.0,
        ));
        for (what, why) in [
            ("stopped", &st.stopped),
            ("PAUSED", &st.paused),
            ("store failure", &st.error),
        ] {
            if let Some(why) = why {
                out.push_str(&format!("  {:<12} {what}: {why}\n", ""));
            }
        }
    }
    for l in left_out {
        let what = if l.kind == "missing" {
            "MISSING"
        } else {
            "in use elsewhere"
        };
        out.push_str(&format!("  {:<12} {what}: {}\n", l.station, l.reason));
    }
    out
}

/// How the home's stations are opened: simulated printers' PNGs under `<home>/printed/`.
pub(crate) fn home_line_options(ctx: &Context, only: &[String]) -> LineOptions {
    LineOptions {
        png_root: Some(ctx.home.path("printed")),
        only: only.to_vec(),
        ..LineOptions::default()
    }
}

/// Loads the production kit of the home for option profile `profile` (`None`: the default
/// profile); `CARDLINE_RETRY_DELAY_MS` and `CARDLINE_OPERATOR_POLL_MS` shorten the
/// orchestrator's waits (tests, demos).
pub(crate) fn load_kit(
    ctx: &Context,
    store: &std::sync::Arc<dyn Store>,
    profile: Option<&str>,
) -> anyhow::Result<ProductionKit> {
    let options = ctx.options_for(profile)?;
    let mut kit = ProductionKit::load(&ctx.home, &options, ctx.actor(), store.clone())
        .with_context(|| match profile {
            Some(p) => format!("the production kit of option profile `{p}`"),
            None => "the production kit of the default option profile".to_string(),
        })?;
    tune_settings(&mut kit.settings);
    Ok(kit)
}

/// `CARDLINE_RETRY_DELAY_MS` and `CARDLINE_OPERATOR_POLL_MS` shorten the orchestrator's
/// waits (tests, demos).
pub(crate) fn tune_settings(settings: &mut cardline_issuance::production::ProductionSettings) {
    if let Ok(v) = std::env::var("CARDLINE_RETRY_DELAY_MS") {
        settings.retry_delay = std::time::Duration::from_millis(v.parse().unwrap_or(1000));
    }
    if let Ok(v) = std::env::var("CARDLINE_OPERATOR_POLL_MS") {
        settings.operator_poll = std::time::Duration::from_millis(v.parse().unwrap_or(1000));
    }
}

/// Flushes stdout (JSON lines must reach a reading parent process at once).
pub(crate) fn flush() {
    let _ = std::io::stdout().flush();
}

/// True when stderr is a terminal (progress bars only then).
pub(crate) fn interactive() -> bool {
    std::io::stderr().is_terminal()
}
