//! Crash safety: production is SIGKILLed at seeded random points of its journal, then
//! recovery and a new run must leave every card in a definite state — none lost, none produced
//! twice, no key certified twice.
//!
//! The test re-runs its own binary as the producing child (`HIL_CRASH_CHILD=<home>`), reads the
//! child's progress lines (one per journaled event), and kills it with SIGKILL after a seeded
//! number of lines plus a seeded delay, so the kill lands between or inside journal writes.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use cardline_hil::rig::sim_station_seeded;
use cardline_hil::{Rig, TestLine};
use cardline_issuance::model::CardState;
use cardline_issuance::production::{ProductionEvent, RecoveryOutcome, Station, recover};
use cardline_issuance::store::{Actor, OrderStore, ProductionJournal};

const CARDS: u32 = 6;
const STATIONS: usize = 2;
const SEEDS: [u64; 6] = [1, 2, 3, 5, 8, 13];

/// The simulated line of one process start (`boot`): chip serials never repeat across boots.
fn stations(boot: u64) -> Vec<Station> {
    (0..STATIONS)
        .map(|i| {
            let seed = boot * 100_000 + i as u64 * 10_000;
            sim_station_seeded(&format!("sim-{}", i + 1), vec![], vec![], seed, 1).station
        })
        .collect()
}

/// The child: produce the order in the home named by `HIL_CRASH_CHILD`, printing one line per
/// event, until killed.
fn child(home: &str) {
    let line = TestLine::in_dir(std::path::Path::new(home));
    let mut st = stations(1);
    let out = std::sync::Mutex::new(std::io::stdout());
    let watch = |e: &ProductionEvent| {
        let mut o = out.lock().unwrap();
        let _ = writeln!(o, "EVENT {}", serde_json::to_string(e).unwrap());
        let _ = o.flush();
    };
    line.produce_watched(1, &mut st, &AtomicBool::new(false), &watch);
    println!("EVENT done");
}

/// A small deterministic generator (SplitMix64).
fn next(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn sigkill_at_random_journal_points_then_recover() {
    if let Ok(home) = std::env::var("HIL_CRASH_CHILD") {
        child(&home);
        return;
    }
    let rig = Rig::from_env();
    if !rig.allows("sigkill_and_recover", true) {
        return;
    }
    for seed in SEEDS {
        let dir = tempfile::tempdir().unwrap();
        let order = TestLine::in_dir(dir.path()).order(CARDS);
        assert_eq!(order, 1);
        let mut rng = seed;
        let kill_after = 1 + next(&mut rng) % 14;
        let delay_us = next(&mut rng) % 30_000;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "sigkill_at_random_journal_points_then_recover",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("HIL_CRASH_CHILD", dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = 0;
        let mut finished = false;
        while seen < kill_after {
            match lines.next() {
                Some(Ok(l)) if l == "EVENT done" => {
                    finished = true;
                    break;
                }
                Some(Ok(l)) if l.starts_with("EVENT ") => seen += 1,
                Some(Ok(_)) => {}
                _ => break,
            }
        }
        std::thread::sleep(Duration::from_micros(delay_us));
        child.kill().unwrap(); // SIGKILL
        let _ = child.wait();
        println!(
            "seed {seed}: killed after {seen} events + {delay_us} µs (finished first: {finished})"
        );

        // Next start: recovery settles everything in flight, then production finishes the order.
        let line = TestLine::in_dir(dir.path());
        let mut st = stations(2);
        let report = recover(&*line.store, &mut st, &Actor::system()).unwrap();
        assert_eq!(report.unsettled(), 0, "seed {seed}: {report:?}");
        println!(
            "seed {seed}: recovery settled {} attempt(s) in flight",
            report.outcomes.len()
        );
        for o in &report.outcomes {
            assert!(
                matches!(
                    o,
                    RecoveryOutcome::Voided { .. } | RecoveryOutcome::Completed { .. }
                ),
                "seed {seed}: {o:?}"
            );
        }
        assert!(
            line.store.in_flight_attempts().unwrap().is_empty(),
            "seed {seed}"
        );
        line.assert_consistent(order);
        let cancel = AtomicBool::new(false);
        line.produce(order, &mut st, &cancel);
        for _ in 0..3 {
            if line.count(order, CardState::Failed) == 0 {
                break;
            }
            line.store
                .repeat_order(order, &[], &Actor::system())
                .unwrap();
            line.produce(order, &mut st, &cancel);
        }
        assert_eq!(
            line.count(order, CardState::Unassigned),
            u64::from(CARDS),
            "seed {seed}: no card lost"
        );
        line.assert_consistent(order);
        // Every produced card has its own chip and its own certificate.
        let cards = line.store.order(order).unwrap().cards;
        let mut chips: Vec<_> = cards.iter().filter_map(|c| c.chip_id.clone()).collect();
        chips.sort();
        chips.dedup();
        assert_eq!(
            chips.len(),
            CARDS as usize,
            "seed {seed}: one chip per card"
        );
    }
}
