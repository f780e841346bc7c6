//! Shared setup of cardline's benchmarks: a whole production line in a temporary home on
//! zero-latency simulated stations through the real drivers (Evolis over in-process links,
//! PIV with one P-256 key and certificate, CHUID, CCC, read-back, SQLite journal, card face).
//!
//! The stations are `sim://` declarations opened by `cardline-app` as `cardline order produce`
//! opens them (registry, reconnecting printer, counted link), with `time_scale`, `keygen_ms`,
//! `keep` and `poll_ms` parameters instead of a wiring of their own.

pub mod batch;
pub mod pg;

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use cardline_app::registry::OWN_READER;
use cardline_app::{LineOptions, OpenedLine, SimParams, error_chain, open_line};
use cardline_hil::TestLine;
use cardline_issuance::production::{ProductionSummary, Station};
use cardline_issuance::stations::{StationSpec, StationsFile};

/// Opens a line of simulated stations declared by `params`; panics when one cannot be opened.
pub fn open_sim_line(params: impl IntoIterator<Item = SimParams>) -> OpenedLine {
    let stations = params
        .into_iter()
        .map(|p| StationSpec::new(p.name.clone(), p.to_uri(), Some(OWN_READER)))
        .collect();
    let line = open_line(&StationsFile { stations }, &LineOptions::default())
        .expect("no --station filter");
    if let Some(m) = line.missing.first() {
        panic!("simulated station {}: {}", m.name, error_chain(&m.error));
    }
    line
}

/// `n` zero-latency simulated stations; `boot` keeps chip serials unique across calls.
pub fn sim_line(n: usize, boot: u64) -> Vec<Station> {
    open_sim_line((0..n).map(|i| SimParams {
        seed: Some(boot * 1_000_000 + i as u64 * 100_000),
        feeder: 1_000_000,
        ribbon: 1_000_000,
        keep: Some(0),
        poll_ms: Some(2),
        ..SimParams::new(format!("bench-{}", i + 1))
    }))
    .stations
}

/// Requests `cards`, orders them and produces the order on `stations` new simulated stations.
/// Returns the production wall time (request and order excluded) and the summary.
pub fn produce_cards(
    line: &TestLine,
    cards: u32,
    stations: usize,
    boot: u64,
) -> (Duration, ProductionSummary) {
    let order = line.order(cards);
    let mut st = sim_line(stations, boot);
    let started = Instant::now();
    let summary = line.produce_streamed(order, &mut st, &AtomicBool::new(false), &|_| {});
    (started.elapsed(), summary)
}

/// Peak resident memory of this process in kB (`VmHWM`), when /proc tells.
pub fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// CPU time (user + system) this process has used so far, from `/proc/self/stat`.
pub fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// `n` simulated stations with realistic device timings scaled by `time_scale` (a 225
/// colour-cards/hour printer; `keygen` models the chip's on-card key generation).
pub fn timed_sim_line(
    n: usize,
    boot: u64,
    time_scale: f64,
    keygen: Duration,
) -> (Vec<Station>, Vec<cardline_sim::printer::SimPrinterHandle>) {
    let line = open_sim_line((0..n).map(|i| SimParams {
        seed: Some(boot * 1_000_000 + i as u64 * 10_000),
        time_scale,
        keep: Some(0),
        keygen_ms: Some(keygen.as_millis() as u64),
        poll_ms: Some(5),
        ..SimParams::new(format!("busy-{}", i + 1))
    }));
    let printers = line
        .sims
        .into_iter()
        .filter_map(|d| d.printer.evolis().cloned())
        .collect();
    (line.stations, printers)
}
