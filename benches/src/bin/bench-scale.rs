//! `bench-scale SMALL LARGE`: request, order and produce SMALL then LARGE cards on 4
//! zero-latency simulated stations; prints per-card cost at both sizes and peak memory.
//! Targets (issue 6): peak memory under 200 MB; per-card cost at LARGE within 10% of SMALL.

use cardline_benches::{cpu_time, peak_rss_kb, produce_cards};
use cardline_hil::TestLine;

fn main() {
    let args: Vec<u32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (small, large) = match args.as_slice() {
        [s, l] => (*s, *l),
        _ => (1_000, 100_000),
    };
    let stations = 4;
    let mut per_card = Vec::new();
    for (boot, n) in [(1, small), (2, large)] {
        let line = TestLine::new();
        let request = std::time::Instant::now();
        let cpu_before = cpu_time().unwrap_or_default();
        let (elapsed, summary) = produce_cards(&line, n, stations, boot);
        let cpu = cpu_time().unwrap_or_default().saturating_sub(cpu_before);
        let total = request.elapsed();
        assert_eq!(summary.produced, n, "every card produced");
        let us = elapsed.as_secs_f64() * 1e6 / f64::from(n);
        per_card.push(us);
        println!(
            "{n:>7} cards on {stations} stations: production {:.1} s, {:.0} cards/s, {us:.0} µs/card wall, {:.1} ms CPU/card (request+order+produce {:.1} s)",
            elapsed.as_secs_f64(),
            f64::from(n) / elapsed.as_secs_f64(),
            cpu.as_secs_f64() * 1e3 / f64::from(n),
            total.as_secs_f64()
        );
    }
    let ratio = per_card[1] / per_card[0];
    println!("per-card cost ratio {large}/{small}: {ratio:.3} (target ≤ 1.10)");
    match peak_rss_kb() {
        Some(kb) => println!(
            "peak memory: {:.1} MB (target < 200 MB)",
            kb as f64 / 1024.0
        ),
        None => println!("peak memory: unknown (no /proc/self/status)"),
    }
}
