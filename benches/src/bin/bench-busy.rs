//! `bench-busy [CARDS_PER_STATION]`: keeping printers busy (issue 6, benchmark 2). Simulated
//! stations with realistic per-phase timings scaled down 10× (a 225 cards/hour colour printer,
//! 2 s of on-card key generation) at 1, 4, 16 and 64 stations, 8 cards per station by default.
//!
//! The ideal device-bound time of a run is what its busiest station's devices spent working:
//! the simulated printer's own clock of motions and panels (scaled) plus each chip's key
//! generation. Achieved throughput as a share of ideal = that time / the measured wall time.
//! The share against N × the measured single-station rate is printed too. Target ≥ 97 %.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use cardline_issuance::production::ProductionEvent;

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
        let timeline = Timeline::default();
        let summary = line.produce_streamed(order, &mut stations, &AtomicBool::new(false), &|e| {
            timeline.note(started, e)
        });
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
        println!("      {}", timeline.report(secs));
    }
}

/// When each station started and finished its cards, to say where the wall time beyond the
/// devices' went: the start-up burst, the gaps between cards, or the cards themselves.
#[derive(Default)]
struct Timeline {
    /// Per station: (card started, card produced) offsets in ms, in order.
    stations: Mutex<HashMap<String, Vec<(f64, f64)>>>,
}

impl Timeline {
    fn note(&self, t0: Instant, e: &ProductionEvent) {
        let at = t0.elapsed().as_secs_f64() * 1000.0;
        let mut map = self.stations.lock().expect("timeline");
        match e {
            ProductionEvent::CardStarted { station, .. } => {
                map.entry(station.clone()).or_default().push((at, f64::NAN))
            }
            ProductionEvent::CardProduced { station, .. } => {
                if let Some(last) = map.get_mut(station).and_then(|v| v.last_mut()) {
                    last.1 = at;
                }
            }
            _ => {}
        }
    }

    fn report(&self, wall_secs: f64) -> String {
        let map = self.stations.lock().expect("timeline");
        let mut first: Vec<f64> = map
            .values()
            .filter_map(|v| v.first())
            .map(|c| c.0)
            .collect();
        let mut gaps: Vec<f64> = map
            .values()
            .flat_map(|v| v.windows(2).map(|w| w[1].0 - w[0].1))
            .collect();
        let mut cards: Vec<f64> = map.values().flatten().map(|c| c.1 - c.0).collect();
        // The station that finished last sets the wall time: where did its time go?
        let (crit_name, crit) = map
            .iter()
            .max_by(|a, b| last_end(a.1).total_cmp(&last_end(b.1)))
            .map(|(n, v)| (n.clone(), v.clone()))
            .unwrap_or_default();
        let crit_cards: f64 = crit.iter().map(|c| c.1 - c.0).sum();
        let crit_gaps: f64 = crit.windows(2).map(|w| w[1].0 - w[0].1).sum();
        format!(
            "first card started: median {:.0} ms, last {:.0} ms; between cards: median {:.1} ms, \
             max {:.0} ms; card: median {:.0} ms, max {:.0} ms\n      last station done \
             ({crit_name}): first card at {:.0} ms + its {} cards {:.0} ms + gaps {:.0} ms = \
             {:.0} ms; the run ended at {:.0} ms",
            pct(&mut first, 0.5),
            pct(&mut first, 1.0),
            pct(&mut gaps, 0.5),
            pct(&mut gaps, 1.0),
            pct(&mut cards, 0.5),
            pct(&mut cards, 1.0),
            crit.first().map_or(0.0, |c| c.0),
            crit.len(),
            crit_cards,
            crit_gaps,
            last_end(&crit),
            wall_secs * 1000.0,
        )
    }
}

/// When a station's last card was produced.
fn last_end(cards: &[(f64, f64)]) -> f64 {
    cards.last().map_or(0.0, |c| c.1)
}

/// The `q` quantile of `v` (0 when empty).
fn pct(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}
