//! `bench-busy [CARDS_PER_STATION]`: keeping printers busy (issue 6, benchmark 2). Simulated
//! stations with realistic per-phase timings scaled down 10× (a 225 cards/hour colour printer,
//! 2 s of on-card key generation) at 1, 4, 16 and 64 stations, 8 cards per station by default.
//!
//! The ideal device-bound time of a run is what its busiest station's devices spent working:
//! the simulated printer's own clock of motions and panels (scaled) plus each chip's key
//! generation. Achieved throughput as a share of ideal = that time / the measured wall time.
//! The share against N × the measured single-station rate is printed too. Target ≥ 97 %.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use cardline_benches::timed_sim_line;
use cardline_hil::TestLine;

fn main() {
    let per_station: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(8);
    let scale = 0.1;
    let keygen = Duration::from_millis(200); // 2 s at real speed, scaled 10×
    let mut single_rate = None;
    for (boot, n) in [1usize, 4, 16, 64].into_iter().enumerate() {
        let line = TestLine::new();
        let cards = per_station * n as u32;
        let order = line.order(cards);
        let (mut stations, printers) = timed_sim_line(n, boot as u64 + 1, scale, keygen);
        let started = Instant::now();
        let summary = line.produce_streamed(order, &mut stations, &AtomicBool::new(false), &|_| {});
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(summary.produced, cards);
        let device_secs = printers
            .iter()
            .map(|p| {
                let s = p.state();
                s.simulated_time.as_secs_f64() * scale
                    + f64::from(s.counters.cards_fed) * keygen.as_secs_f64()
            })
            .fold(0.0, f64::max);
        let rate = f64::from(cards) / secs;
        let single = *single_rate.get_or_insert(rate);
        println!(
            "{n:>3} stations × {per_station} cards: {secs:6.2} s (devices busy {device_secs:.2} s), \
             {:6.0} cards/h at this scale: {:5.1}% of ideal ({:5.1}% of {n} × 1 station)",
            rate * 3600.0,
            device_secs / secs * 100.0,
            rate / (single * n as f64) * 100.0,
        );
    }
}
