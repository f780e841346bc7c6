//! A station's printer status, reported to the store so `cardline desks`, the console and the
//! API show ribbon, cover, feeder and errors: read when the station starts, between cards
//! (never inside a job), while idle and while paused. A reading is written when it tells
//! something new ([`PrinterReport::nothing_new_since`]: a ribbon count that only went down
//! by printing is not), or every [`REFRESH`] to keep its time and counts recent.

use std::time::{Duration, Instant};

use cardline_device::{PrinterError, PrinterStatus};

use super::Station;
use super::run::Production;
use crate::printer_report::PrinterReport;
use crate::store::sqlite::timestamp;

/// An unchanged reading is written again after this long.
pub(super) const REFRESH: Duration = Duration::from_secs(15);
/// While a station waits for an operator's resume, its printer is read at most this often.
pub(super) const PAUSED_READ_EVERY: Duration = Duration::from_secs(2);

/// What the station last wrote, and when.
#[derive(Default)]
pub struct PrinterWatch {
    written: Option<(PrinterReport, Instant)>,
    read: Option<Instant>,
}

impl PrinterWatch {
    /// True when the printer was read less than `every` ago (a paused station reads it at
    /// most that often).
    pub(super) fn read_recently(&self, every: Duration) -> bool {
        self.read.is_some_and(|at| at.elapsed() < every)
    }
}

/// Records a status reading (or the failure to read one) of `station`'s printer, when it
/// changed or the last write is older than [`REFRESH`]. A store failure is logged, never
/// fatal: the status is a display.
pub(super) fn report(
    p: &Production<'_>,
    station: &mut Station,
    reading: &Result<PrinterStatus, PrinterError>,
) {
    let now = timestamp::now();
    let watch = &mut station.printer_watch;
    watch.read = Some(Instant::now());
    let report = match reading {
        Ok(status) => PrinterReport::from_status(status, &now),
        Err(e) => PrinterReport::unreadable(e, &now, watch.written.as_ref().map(|(r, _)| r)),
    };
    let due = match &watch.written {
        Some((last, at)) => !report.nothing_new_since(last) || at.elapsed() >= REFRESH,
        None => true,
    };
    if !due {
        return;
    }
    match p.journal.report_printer(p.run, &station.name, &report) {
        Ok(_) => watch.written = Some((report, Instant::now())),
        Err(e) => tracing::warn!(station = %station.name, "recording the printer status: {e}"),
    }
}

/// Reads `station`'s printer now and reports it (the station is between cards).
pub(super) fn read_and_report(p: &Production<'_>, station: &mut Station) {
    let reading = station.printer.status();
    report(p, station, &reading);
}
