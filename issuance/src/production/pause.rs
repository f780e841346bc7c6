//! Pauses: waiting for the printer to be ready again, or for an operator to resume a station.

use std::time::{Duration, Instant};

use cardline_device::PrinterStatus;

use super::policy::{Disposition, StepError};
use super::printer_watch::{PAUSED_READ_EVERY, read_and_report};
use super::run::Production;
use super::{PauseUntil, ProductionEvent, Station};

/// Whether a station may take a card.
pub(super) enum Readiness {
    /// Ready, after having been paused this long.
    Ready(Duration),
    /// Stopped waiting (cancelled, or nothing left to do), after this long.
    GaveUp(Duration),
    /// The printer cannot be used (a driver or model problem): the reason.
    Broken(String),
}

/// Polls the printer until it is ready, pausing the station (with events) meanwhile.
/// `give_up` is checked on every poll, besides cancellation; `already_paused_for` is the
/// reason of a pause the caller already announced. A printer that does not answer (link
/// timeout, disconnected) is a pause for a person to check it, not the end of the station.
pub(super) fn wait_until_ready(
    p: &Production<'_>,
    station: &mut Station,
    give_up: impl Fn() -> bool,
    already_paused_for: Option<String>,
) -> Readiness {
    let since = Instant::now();
    let mut paused_for: Option<String> = already_paused_for;
    let mut transient_failures = 0;
    loop {
        let reading = station.printer.status();
        super::printer_watch::report(p, station, &reading);
        let problem = match reading {
            Ok(status) if status.is_ready() => None,
            Ok(status) => Some(operator_message(&status)),
            Err(e) => {
                let e = StepError::from(e);
                match e.disposition() {
                    Disposition::PauseStation => Some(e.to_string()),
                    Disposition::Retry if transient_failures < p.settings.step_retries => {
                        transient_failures += 1;
                        std::thread::sleep(p.settings.retry_delay);
                        continue;
                    }
                    Disposition::Retry if e.lost_printer() => Some(format!(
                        "the printer does not answer ({e}): check that it is switched on and connected"
                    )),
                    Disposition::Retry => Some(e.to_string()),
                    _ => return Readiness::Broken(format!("status: {e}")),
                }
            }
        };
        match problem {
            None => {
                if paused_for.is_some() {
                    p.emit(ProductionEvent::StationResumed {
                        station: station.name.clone(),
                    });
                    return Readiness::Ready(since.elapsed());
                }
                return Readiness::Ready(Duration::ZERO);
            }
            Some(reason) => {
                if paused_for.as_deref() != Some(reason.as_str()) {
                    p.emit(ProductionEvent::StationPaused {
                        station: station.name.clone(),
                        reason: reason.clone(),
                        until: PauseUntil::PrinterReady,
                    });
                    paused_for = Some(reason);
                }
                if p.cancelled() || give_up() {
                    return Readiness::GaveUp(since.elapsed());
                }
                std::thread::sleep(p.settings.operator_poll);
            }
        }
    }
}

/// How a wait for an operator's resume ended.
pub(super) enum Resumed {
    /// The station was resumed (and re-opened when a reopener is known) after this long.
    Yes(Duration),
    /// Cancelled or nothing left to do, after this long; the pause stays recorded.
    GaveUp(Duration),
}

/// Waits until the station's pause is lifted in the store (`cardline stations resume NAME`),
/// then re-opens the station from its declaration when the run has a reopener (the operator
/// may have fixed the stations file). A store failure while polling is logged and polled again.
pub(super) fn wait_for_resume(
    p: &Production<'_>,
    station: &mut Station,
    give_up: impl Fn() -> bool,
) -> Resumed {
    let since = Instant::now();
    loop {
        // The printer is idle while the station waits: show what it says now (a cover
        // closed again shows before the resume).
        if !station.printer_watch.read_recently(PAUSED_READ_EVERY) {
            read_and_report(p, station);
        }
        match p.journal.station_pause(&station.name) {
            Ok(None) => break,
            Ok(Some(_)) => {}
            Err(e) => tracing::warn!(station = %station.name, "reading the station's pause: {e}"),
        }
        if p.cancelled() || give_up() {
            return Resumed::GaveUp(since.elapsed());
        }
        std::thread::sleep(p.settings.operator_poll);
    }
    if let Some(reopener) = p.reopen {
        let name = station.name.clone();
        station.close_devices();
        match reopener.reopen(&name) {
            Ok(fresh) => *station = fresh,
            Err(why) => {
                let reason = format!("cannot re-open the station after the resume: {why}");
                pause_for_operator(p, station, &reason);
                return wait_for_resume(p, station, give_up);
            }
        }
    }
    p.emit(ProductionEvent::StationResumed {
        station: station.name.clone(),
    });
    Resumed::Yes(since.elapsed())
}

/// Records a pause the operator must lift, and announces it.
pub(super) fn pause_for_operator(p: &Production<'_>, station: &Station, reason: &str) {
    let full = format!(
        "{reason} — fix it, then run `cardline stations resume {}`",
        station.name
    );
    if let Err(e) = p
        .journal
        .pause_station(&station.name, &full, Some(p.run), &p.settings.actor)
    {
        tracing::warn!(station = %station.name, "recording the pause failed: {e}");
    }
    p.emit(ProductionEvent::StationPaused {
        station: station.name.clone(),
        reason: full,
        until: PauseUntil::OperatorResumes,
    });
}

/// What the operator must do, from a status that is not ready.
pub(super) fn operator_message(status: &PrinterStatus) -> String {
    use cardline_device::PrinterError as E;
    let mut parts = Vec::new();
    if status.cover_open {
        parts.push(E::CoverOpen.to_string());
    }
    if status.feeder_empty {
        parts.push(E::FeederEmpty.to_string());
    }
    if status.reject_box_full {
        parts.push(E::RejectBoxFull.to_string());
    }
    parts.extend(status.faults.iter().map(|f| f.to_string()));
    parts.join("; ")
}
