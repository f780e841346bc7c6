//! Shared setup of cardline's benchmarks: a whole production line in a temporary home on
//! zero-latency simulated stations through the real drivers (Evolis over in-process links,
//! PIV with one P-256 key and certificate, CHUID, CCC, read-back, SQLite journal, card face).

pub mod batch;

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use cardline_hil::TestLine;
use cardline_hil::rig::sim_station_seeded;
use cardline_issuance::production::{ProductionSummary, Station};

/// `n` zero-latency simulated stations; `boot` keeps chip serials unique across calls.
pub fn sim_line(n: usize, boot: u64) -> Vec<Station> {
    (0..n)
        .map(|i| {
            sim_station_seeded(
                &format!("bench-{}", i + 1),
                vec![],
                vec![],
                boot * 1_000_000 + i as u64 * 100_000,
                0,
            )
            .station
        })
        .collect()
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
    use cardline_evolis::{EvolisConfig, EvolisPrinter};
    use cardline_sim::card::{SimCard, SimCardConfig};
    use cardline_sim::clock::TimeModel;
    use cardline_sim::printer::{RibbonLoad, SimPrinter, SimPrinterConfig, SimPrinterHandle};
    use cardline_sim::station::SimStation;
    (0..n)
        .map(|i| {
            let handle = SimPrinterHandle::new(SimPrinter::new(SimPrinterConfig {
                serial: format!("BUSY-{i}"),
                feeder_cards: 100_000,
                ribbon: Some(RibbonLoad::fresh("ymcko", 100_000)),
                time: TimeModel::scaled(time_scale),
                keep_printed: 0,
                ..SimPrinterConfig::default()
            }));
            let seed = boot * 1_000_000 + i as u64 * 10_000;
            let reader = SimStation::new(handle.clone(), move |c: u32| {
                let mut card = SimCard::new(SimCardConfig::from_seed(seed + u64::from(c)));
                card.faults_mut().slow_key_generation = Some(keygen);
                card
            })
            .keeping_chips(1);
            let config = EvolisConfig {
                poll_interval: Duration::from_millis(5),
                ..EvolisConfig::default()
            };
            let station = Station::new(
                format!("busy-{}", i + 1),
                Box::new(EvolisPrinter::connect(handle.link(), config).expect("driver connects")),
                Box::new(reader),
                Some(Box::new(cardline_piv::PivEncoder::new())),
            );
            (station, handle)
        })
        .unzip()
}
