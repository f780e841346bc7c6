//! Each station of the stations file, opened through the registries exactly as production
//! opens it: the printer link opens, its status (cover, feeder, reject box, ribbon, faults),
//! the contact reader is there and whether a card is in it. A station a live production run
//! drives is not opened (that would disturb the run); a paused station is a warning.

use std::time::Duration;

use cardline_device::{PrinterStatus, TransportError};
use cardline_issuance::home::Home;
use cardline_issuance::stations::StationSpec;
use cardline_issuance::store::ProductionJournal;
use cardline_issuance::store::ownership::{host_name, is_gone};

use super::{Check, Found, Level};
use crate::encoders::ReaderChoice;
use crate::line::{LineOptions, error_chain, open_station};
use crate::stations::load_stations;

const FAMILY: &str = "station";
/// Fewer prints left on the ribbon than this is a warning.
pub const LOW_RIBBON: u32 = 20;

/// Checks every declared station.
pub(crate) fn check(home: &Home, found: &Found, out: &mut Vec<Check>) {
    let path = home.stations_file();
    let file = match load_stations(&path) {
        Ok(f) => f,
        Err(e) => {
            out.push(Check::problem(
                FAMILY,
                "stations file",
                e.to_string(),
                format!("correct {} (docs/production.md)", path.display()),
            ));
            return;
        }
    };
    if file.stations.is_empty() {
        out.push(Check::warning(
            FAMILY,
            "stations file",
            format!("no station declared in {}", path.display()),
            "declare this PC's printers there (docs/production.md); `cardline printers list` shows what is connected",
        ));
        return;
    }
    let host = host_name();
    for spec in &file.stations {
        if let Some(store) = &found.store {
            if let Ok(Some(run)) = store.station_owner(&spec.name)
                && !is_gone(&run, &host)
            {
                out.push(Check::ok(
                    FAMILY,
                    format!("{} printer", spec.name),
                    format!(
                        "in use by run {} on host {}, pid {}: not opened",
                        run.id, run.host, run.pid
                    ),
                ));
                continue;
            }
            if let Ok(Some(pause)) = store.station_pause(&spec.name) {
                out.push(Check::warning(
                    FAMILY,
                    format!("{} pause", spec.name),
                    format!("paused since {}: {}", pause.paused_at, pause.reason),
                    format!(
                        "once the cause is fixed: `cardline stations resume {}`",
                        spec.name
                    ),
                ));
            }
        }
        one(spec, out);
    }
}

fn one(spec: &StationSpec, out: &mut Vec<Check>) {
    let name = &spec.name;
    let mut opened = match open_station(spec, &LineOptions::default()) {
        Ok(o) => o,
        Err(e) => {
            out.push(Check::problem(
                FAMILY,
                format!("{name} printer"),
                format!("{} does not open: {}", spec.printer_uri, error_chain(&e)),
                "check power, cable and the URI in stations.toml; `cardline printers list` shows the printers this PC sees",
            ));
            return;
        }
    };
    let station = &mut opened.station;
    match station.printer.status() {
        Ok(status) => {
            let contact = station.printer.capabilities().contact_station;
            out.push(printer_check(spec, &status, contact));
        }
        Err(e) => out.push(Check::problem(
            FAMILY,
            format!("{name} printer"),
            format!(
                "{} opens but its status cannot be read: {e}",
                spec.printer_uri
            ),
            "switch the printer off and on, then run `cardline doctor` again",
        )),
    }
    if ReaderChoice::of(spec) == ReaderChoice::None {
        out.push(Check::ok(
            FAMILY,
            format!("{name} reader"),
            "print-only station: no reader",
        ));
        return;
    }
    let reader = station.reader.name();
    let card = match station.reader.connect(Duration::ZERO) {
        Ok(_) => "a card is in it",
        Err(TransportError::NoCard { .. }) => "no card in it",
        Err(TransportError::Mute { .. } | TransportError::BadAtr { .. }) => {
            "a card that does not answer is in it"
        }
        Err(TransportError::Busy { .. }) => "a card is in it, held by another program",
        Err(e) => {
            out.push(Check::problem(
                FAMILY,
                format!("{name} reader"),
                format!("reader `{reader}`: {e}"),
                "check the reader's USB cable and pcscd (`pcsc_scan` lists what it sees)",
            ));
            return;
        }
    };
    out.push(Check::ok(
        FAMILY,
        format!("{name} reader"),
        format!("`{reader}` present, {card}"),
    ));
}

/// The printer line of a station: every finding in one line, at the worst level found.
pub(crate) fn printer_check(spec: &StationSpec, s: &PrinterStatus, contact_station: bool) -> Check {
    let mut found: Vec<(Level, String, &str)> = Vec::new();
    if s.cover_open {
        found.push((Level::Problem, "cover open".into(), "close the cover"));
    }
    if s.feeder_empty {
        found.push((Level::Problem, "feeder empty".into(), "load blank cards"));
    }
    if s.reject_box_full {
        found.push((
            Level::Problem,
            "reject box full".into(),
            "empty the reject box",
        ));
    }
    match (&s.ribbon.kind, s.ribbon.remaining) {
        (None, _) => found.push((Level::Problem, "no ribbon".into(), "install a ribbon")),
        (Some(kind), Some(0)) => found.push((
            Level::Problem,
            format!("{kind} ribbon used up"),
            "replace the ribbon",
        )),
        (Some(kind), Some(n)) if n < LOW_RIBBON => found.push((
            Level::Warning,
            format!("{kind} ribbon: {n} prints left"),
            "keep a new ribbon at hand",
        )),
        _ => {}
    }
    for fault in &s.faults {
        found.push((
            Level::Problem,
            format!("fault: {fault}"),
            "clear it on the printer (its display or manual says how)",
        ));
    }
    if spec.encode && !contact_station {
        found.push((
            Level::Problem,
            "no smart-card contact station".into(),
            "use a printer with a contact station, or declare the station encode = false",
        ));
    }
    let model = s.model.as_deref().unwrap_or("printer");
    let ribbon = match (&s.ribbon.kind, s.ribbon.remaining) {
        (Some(kind), Some(n)) => format!("{kind} ribbon {n} prints left"),
        (Some(kind), None) => format!("{kind} ribbon"),
        (None, _) => "no ribbon".into(),
    };
    let name = format!("{} printer", spec.name);
    let level = found.iter().map(|f| f.0).max().unwrap_or(Level::Ok);
    if level == Level::Ok {
        return Check::ok(
            FAMILY,
            name,
            format!(
                "{model} at {}: ready, cover closed, feeder loaded, {ribbon}",
                spec.printer_uri
            ),
        );
    }
    let what: Vec<&str> = found.iter().map(|f| f.1.as_str()).collect();
    let fix: Vec<&str> = found.iter().map(|f| f.2).collect();
    Check {
        family: FAMILY,
        name,
        level,
        detail: format!("{model} at {}: {}", spec.printer_uri, what.join(", ")),
        fix: Some(fix.join("; ")),
    }
}
