//! `cardline stations list|check|pause|resume`: the production stations declared in
//! `<home>/stations.toml`, who drives them now, and the pauses an operator lifts.
//!
//! A station paused by its breaker (N cards in a row rejected) or by a setup fault (wrong
//! reader, refused transport PIN, CA down) stays paused — in the store, for every process and
//! desk — until `cardline stations resume NAME`; a run waiting on it re-opens the station as
//! the stations file declares it then, and goes on.

use cardline_app::{LineOptions, error_chain, load_stations, open_station};
use cardline_device::PrinterStatus;
use cardline_issuance::model::{Run, StationPause};
use cardline_issuance::stations::StationSpec;
use cardline_issuance::store::Store;
use cardline_issuance::store::ownership::{host_name, is_gone};
use serde::Serialize;

use crate::context::Context;

/// `stations` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum StationsCommand {
    /// List the declared stations (printer URI, reader, encoding), the run driving each, and
    /// the pauses waiting for an operator.
    List,
    /// Open each station not in use by a production run and report its status and problems.
    Check,
    /// Resume a paused station once its cause is fixed (a run waiting on it re-opens it).
    Resume {
        /// The station.
        name: String,
    },
    /// Pause a station: production takes no more card on it until it is resumed.
    Pause {
        /// The station.
        name: String,
        /// Why (shown to whoever looks at the station).
        #[arg(long)]
        reason: String,
    },
}

/// One station as `stations list` shows it.
#[derive(Debug, Serialize)]
struct Listed<'a> {
    #[serde(flatten)]
    spec: &'a StationSpec,
    /// The live run driving it, if any.
    driven_by: Option<Run>,
    /// Its pause, if it is paused.
    paused: Option<StationPause>,
}

/// Runs a `stations` subcommand.
pub fn run(ctx: &Context, cmd: StationsCommand) -> anyhow::Result<()> {
    let path = ctx.home.stations_file();
    match cmd {
        StationsCommand::Resume { name } => return resume(ctx, &name),
        StationsCommand::Pause { name, reason } => return pause(ctx, &name, &reason),
        _ => {}
    }
    let file = load_stations(&path)?;
    match cmd {
        StationsCommand::List => {
            let store = ctx.store()?;
            let listed = file
                .stations
                .iter()
                .map(|spec| {
                    Ok(Listed {
                        spec,
                        driven_by: live_owner(store.as_ref(), &spec.name)?,
                        paused: store.station_pause(&spec.name)?,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            ctx.emit(&listed, || list_text(&listed, &path))
        }
        StationsCommand::Resume { .. } | StationsCommand::Pause { .. } => unreachable!(),
        StationsCommand::Check => {
            if file.stations.is_empty() {
                anyhow::bail!(
                    "no station declared in {}: declare stations (docs/production.md) or try `cardline demo`",
                    path.display()
                );
            }
            let store = ctx.store().ok();
            let checks: Vec<StationCheck> = file
                .stations
                .iter()
                .map(|spec| {
                    let busy = store
                        .as_ref()
                        .and_then(|s| live_owner(s.as_ref(), &spec.name).ok().flatten());
                    match busy {
                        // Never disturb a live run: its printer is not opened.
                        Some(run) => in_use(spec, &run),
                        None => check(spec),
                    }
                })
                .collect();
            ctx.emit(&checks, || check_text(&checks, &path))?;
            let bad = checks.iter().filter(|c| !c.problems.is_empty()).count();
            if bad > 0 {
                anyhow::bail!("{bad} of {} station(s) have problems", checks.len());
            }
            Ok(())
        }
    }
}

/// The live run holding `station`, if one does (a gone run's claim is not shown).
fn live_owner(store: &dyn Store, station: &str) -> anyhow::Result<Option<Run>> {
    let host = host_name();
    Ok(store
        .station_owner(station)?
        .filter(|run| !is_gone(run, &host)))
}

fn resume(ctx: &Context, name: &str) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let pause = store.station_pause(name)?;
    let resumed = store.resume_station(name, &ctx.actor())?;
    let report = serde_json::json!({"station": name, "resumed": resumed, "was": pause});
    ctx.emit(&report, || match &pause {
        Some(p) if resumed => format!(
            "station {name} resumed (it was paused since {}: {}); a run waiting on it re-opens it now",
            p.paused_at, p.reason
        ),
        _ => format!("station {name} was not paused; nothing to do"),
    })
}

fn pause(ctx: &Context, name: &str, reason: &str) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let reason = format!("paused by {}: {reason}", ctx.operator);
    store.pause_station(name, &reason, None, &ctx.actor())?;
    let report = serde_json::json!({"station": name, "paused": true, "reason": reason});
    ctx.emit(&report, || {
        format!(
            "station {name} paused ({reason}); a run finishes the card in hand and takes no more \
             until `cardline stations resume {name}`"
        )
    })
}

fn list_text(stations: &[Listed<'_>], path: &std::path::Path) -> String {
    if stations.is_empty() {
        return format!("no station declared in {}", path.display());
    }
    let mut out = String::new();
    for l in stations {
        let s = l.spec;
        let reader = match s.reader.as_deref() {
            Some(cardline_app::registry::OWN_READER) => "sim".to_string(),
            Some(p) => format!("reader matching `{p}`"),
            None => "no reader".to_string(),
        };
        out.push_str(&format!(
            "{:<12} {}  {}{}\n",
            s.name,
            s.printer_uri,
            reader,
            if s.encode { "" } else { "  (print only)" }
        ));
        if let Some(run) = &l.driven_by {
            out.push_str(&format!(
                "             in use by run {} on host {}, pid {} (since {})\n",
                run.id, run.host, run.pid, run.started_at
            ));
        }
        if let Some(p) = &l.paused {
            out.push_str(&format!(
                "             PAUSED since {}: {}\n",
                p.paused_at, p.reason
            ));
        }
    }
    out
}

/// A station a live run drives: reported, not opened.
fn in_use(spec: &StationSpec, run: &Run) -> StationCheck {
    StationCheck {
        name: spec.name.clone(),
        printer: spec.printer_uri.clone(),
        status: None,
        reader: None,
        problems: Vec::new(),
        in_use_by: Some(format!(
            "run {} on host {}, pid {}",
            run.id, run.host, run.pid
        )),
    }
}

/// The result of checking one station.
#[derive(Debug, Serialize)]
pub struct StationCheck {
    /// The station.
    pub name: String,
    /// The printer URI.
    pub printer: String,
    /// The printer's status, when it could be read.
    pub status: Option<PrinterStatus>,
    /// The reader's name, when it could be opened.
    pub reader: Option<String>,
    /// What is wrong (empty when the station is ready).
    pub problems: Vec<String>,
    /// The live run driving the station (then it was not opened, so as not to disturb it).
    pub in_use_by: Option<String>,
}

fn check(spec: &StationSpec) -> StationCheck {
    let mut out = StationCheck {
        name: spec.name.clone(),
        printer: spec.printer_uri.clone(),
        status: None,
        reader: None,
        problems: Vec::new(),
        in_use_by: None,
    };
    match open_station(spec, &LineOptions::default()) {
        Err(e) => out.problems.push(error_chain(&e)),
        Ok(opened) => {
            let mut station = opened.station;
            out.reader = Some(station.reader.name());
            match station.printer.status() {
                Ok(s) => {
                    if s.cover_open {
                        out.problems.push("cover is open".into());
                    }
                    if s.feeder_empty {
                        out.problems.push("feeder is empty".into());
                    }
                    if s.reject_box_full {
                        out.problems.push("reject box is full".into());
                    }
                    out.problems.extend(s.faults.iter().map(|f| f.to_string()));
                    if spec.encode && !station.printer.capabilities().contact_station {
                        out.problems
                            .push("the printer has no smart-card contact station".into());
                    }
                    out.status = Some(s);
                }
                Err(e) => out.problems.push(format!("status: {e}")),
            }
        }
    }
    out
}

fn check_text(checks: &[StationCheck], path: &std::path::Path) -> String {
    if checks.is_empty() {
        return format!("no station declared in {}", path.display());
    }
    let mut out = String::new();
    for c in checks {
        if let Some(by) = &c.in_use_by {
            out.push_str(&format!(
                "{:<12} {:<9} in use by {by}: not opened\n",
                c.name, "producing"
            ));
            continue;
        }
        let state = if c.problems.is_empty() {
            "ready"
        } else {
            "NOT READY"
        };
        let model = c
            .status
            .as_ref()
            .and_then(|s| s.model.clone())
            .unwrap_or_else(|| "?".into());
        out.push_str(&format!(
            "{:<12} {state:<9} {model}  {}\n",
            c.name, c.printer
        ));
        if let Some(r) = &c.reader {
            out.push_str(&format!("             reader: {r}\n"));
        }
        for p in &c.problems {
            out.push_str(&format!("             problem: {p}\n"));
        }
    }
    out
}
