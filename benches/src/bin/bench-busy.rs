//! `bench-busy [CARDS_PER_STATION]`: keeping printers busy (issue 6, benchmark 2). Simulated
//! stations with realistic per-phase timings scaled down 10× (a 225 cards/hour colour printer,
//! 2 s of on-card key generation) at 1, 4, 16 and 64 stations; prints achieved throughput as a
//! share of the ideal device-bound throughput (N × the single-station rate). Target ≥ 97%.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use cardline_benches::timed_sim_line;
use cardline_hil::TestLine;

fn main() {
    let per_station: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(4);
    let scale = 0.1;
    let keygen = Duration::from_millis(200); // 2 s at real speed, scaled 10×
    let mut single_rate = None;
    for (boot, n) in [1usize, 4, 16, 64].into_iter().enumerate() {
        let line = TestLine::new();
        let cards = per_station * n as u32;
        let order = line.order(cards);
        let mut stations = timed_sim_line(n, boot as u64 + 1, scale, keygen);
        let started = Instant::now();
        let run = line.produce(order, &mut stations, &AtomicBool::new(false));
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(run.summary.produced, cards);
        let rate = f64::from(cards) / secs;
        let ideal = single_rate.get_or_insert(rate);
        let share = rate / (*ideal * n as f64) * 100.0;
        println!(
            "{n:>3} stations × {per_station} cards: {secs:6.2} s, {:7.0} cards/h at this scale, {share:5.1}% of ideal",
            rate * 3600.0
        );
    }
}
