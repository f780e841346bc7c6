//! `cardline stations list|check`: the production stations declared in `<home>/stations.toml`.

use cardline_app::{LineOptions, error_chain, load_stations, open_station};
use cardline_device::PrinterStatus;
use cardline_issuance::stations::StationSpec;
use serde::Serialize;

use crate::context::Context;

/// `stations` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum StationsCommand {
    /// List the declared stations (printer URI, reader, encoding).
    List,
    /// Open each station and report its status and problems.
    Check,
}

/// Runs a `stations` subcommand.
pub fn run(ctx: &Context, cmd: StationsCommand) -> anyhow::Result<()> {
    let path = ctx.home.stations_file();
    let file = load_stations(&path)?;
    match cmd {
        StationsCommand::List => ctx.emit(&file.stations, || list_text(&file.stations, &path)),
        StationsCommand::Check => {
            let checks: Vec<StationCheck> = file.stations.iter().map(check).collect();
            ctx.emit(&checks, || check_text(&checks, &path))?;
            let bad = checks.iter().filter(|c| !c.problems.is_empty()).count();
            if bad > 0 {
                anyhow::bail!("{bad} of {} station(s) have problems", checks.len());
            }
            Ok(())
        }
    }
}

fn list_text(stations: &[StationSpec], path: &std::path::Path) -> String {
    if stations.is_empty() {
        return format!("no station declared in {}", path.display());
    }
    let mut out = String::new();
    for s in stations {
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
    }
    out
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
}

fn check(spec: &StationSpec) -> StationCheck {
    let mut out = StationCheck {
        name: spec.name.clone(),
        printer: spec.printer_uri.clone(),
        status: None,
        reader: None,
        problems: Vec::new(),
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
                    out.problems.extend(s.faults.iter().cloned());
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
