//! Fault: the `cardline order produce` process SIGKILLed at seeded random points across whole
//! orders, restarted (`cardline recover`, then `order produce` again) until each order is done
//! (docs/faults.md).
//!
//! Every kill point: start `order produce`, let it print a seeded number of JSON events, wait a
//! seeded number of microseconds more, SIGKILL it. Then `cardline recover` must settle what was
//! in flight, and at once no card may be produced twice, no attempt left open, no key certified
//! twice. After a seeded number of kill points (1–4) the order is produced to the end and every
//! card must be `unassigned` exactly once. Then the next order, in the same home.
//!
//! `SOAK_POINTS` kill points (default 24, about half a minute in the debug build of `make
//! test`; `make soak` runs 1,000); `SOAK_SEED` picks the schedule (default fixed, printed; a
//! failure message names the seed and the point, and `SOAK_SEED=<seed>` replays it).

mod faults_support;

use std::time::{Duration, Instant};

use cardline_issuance::model::CardState;
use faults_support::SplitMix;
use faults_support::checks::{assert_nothing_to_recover, assert_settled, count_state, store};
use faults_support::cli::Cardline;

/// Cards per order.
const CARDS: usize = 6;
/// Stations producing each order at once.
const STATIONS: u64 = 2;
/// Default kill points (the bounded run of `make test`).
const DEFAULT_POINTS: u64 = 24;
/// Default seed of the bounded run.
const DEFAULT_SEED: u64 = 0x50A4_0014;

/// The stations file of process start `boot`: instant-ish simulated stations (delays at 1/200
/// of a real printer's) whose chip serials never repeat across starts.
fn stations(boot: u64) -> String {
    (0..STATIONS)
        .map(|i| {
            format!(
                "[[station]]\nname = \"sim-{n}\"\nprinter = \"sim://sim-{n}?time_scale=0.005&seed={seed}\"\nreader = \"sim\"\n\n",
                n = i + 1,
                seed = boot * 1_000_000 + i * 100_000
            )
        })
        .collect()
}

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a whole number")),
        Err(_) => default,
    }
}

#[test]
fn production_killed_at_seeded_random_points_ends_with_every_card_produced_once() {
    let points = env_u64("SOAK_POINTS", DEFAULT_POINTS);
    let seed = env_u64("SOAK_SEED", DEFAULT_SEED);
    println!("sigkill soak: {points} kill points, SOAK_SEED={seed}");
    let mut rng = SplitMix(seed);
    let dir = tempfile::tempdir().unwrap();
    let cli = Cardline::new(dir.path());
    cli.ok(&["init"]);
    cli.ok(&["keys", "init"]);
    cli.ok(&["ca", "init"]);
    let started = Instant::now();
    let (mut point, mut boot, mut order) = (0u64, 0u64, 0i64);
    let (mut finished_first, mut settled_by_recover) = (0u64, 0usize);
    while point < points {
        order += 1;
        cli.ok(&["request", "--count", &CARDS.to_string()]);
        cli.ok(&["order", "create", "--all"]);
        let id = order.to_string();
        let kills = 1 + rng.below(4);
        for _ in 0..kills.min(points - point) {
            point += 1;
            boot += 1;
            let what = format!("SOAK_SEED={seed} point {point} (order {order}, start {boot})");
            std::fs::write(dir.path().join("stations.toml"), stations(boot)).unwrap();
            // Up to every event of a whole order: station starts, card starts and ends, the end.
            let after = rng.below(2 * CARDS as u64 + STATIONS + 2);
            let delay = Duration::from_micros(rng.below(40_000));
            let mut run = cli.spawn(&["order", "produce", &id]);
            let mut seen = 0;
            while seen < after && run.next_event(Duration::from_secs(30)).is_some() {
                seen += 1;
            }
            std::thread::sleep(delay);
            let done = run.child.try_wait().unwrap().is_some();
            run.kill();
            finished_first += u64::from(done);
            // The next start: recovery settles what the killed run left in flight.
            let (code, out, err) = cli.run(&["--json", "recover"]);
            assert_eq!(code, Some(0), "{what}: recover failed: {out}{err}");
            let report: serde_json::Value = serde_json::from_str(&out)
                .unwrap_or_else(|e| panic!("{what}: recover printed no JSON ({e}): {out}"));
            settled_by_recover += report["outcomes"].as_array().map_or(0, Vec::len);
            assert_invariants(&cli, order, &what);
        }
        // Then the order is produced to its end (repeating any card the kills made fail).
        boot += 1;
        std::fs::write(dir.path().join("stations.toml"), stations(boot)).unwrap();
        let what = format!("SOAK_SEED={seed} order {order} (final start {boot})");
        let (code, out, err) = cli.run(&["order", "produce", &id]);
        assert!(
            matches!(code, Some(0 | 3)),
            "{what}: produce exited {code:?}: {out}{err}"
        );
        let failed = count_state(dir.path(), order, CardState::Failed);
        assert_eq!(
            failed, 0,
            "{what}: no fault but the kills, yet {failed} card(s) failed: {out}{err}"
        );
        let settled = assert_settled(dir.path(), order, CARDS, &what);
        assert_eq!(settled.produced, CARDS, "{what}: every card produced");
        assert_nothing_to_recover(&cli, &what);
        cli.ok(&["order", "complete", &id]);
    }
    println!(
        "sigkill soak: {points} kill points over {order} orders of {CARDS} cards in {:.1} s; \
         {finished_first} run(s) ended before their kill; recovery settled {settled_by_recover} \
         attempt(s) in flight",
        started.elapsed().as_secs_f64()
    );
}

/// What must hold after any kill and recovery: nothing in flight, nothing produced twice, no key
/// certified twice, every card of the order still in it.
fn assert_invariants(cli: &Cardline, order: i64, what: &str) {
    use cardline_issuance::model::AttemptStatus;
    use cardline_issuance::store::{CardStore, CertificateIndex, OrderStore, ProductionJournal};
    let store = store(&cli.home);
    assert!(
        store.in_flight_attempts().unwrap().is_empty(),
        "{what}: recover left attempts in flight"
    );
    let cards = store.order(order).unwrap().cards;
    assert_eq!(cards.len(), CARDS, "{what}: a card left the order");
    for c in &cards {
        let attempts = store.attempts_of_card(&c.number).unwrap();
        let succeeded = attempts
            .iter()
            .filter(|a| a.status == AttemptStatus::Succeeded)
            .count();
        let expected = usize::from(c.state == CardState::Unassigned);
        assert_eq!(
            succeeded, expected,
            "{what}: {} is {:?} with {succeeded} succeeded attempt(s): {attempts:?}",
            c.number, c.state
        );
        assert!(
            matches!(c.state, CardState::InProduction | CardState::Unassigned),
            "{what}: {} is {:?}: {attempts:?}",
            c.number,
            c.state
        );
    }
    let issued = store.issued_certificates().unwrap();
    let mut keys: Vec<_> = issued.iter().map(|r| r.spki_sha256.clone()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(
        keys.len(),
        issued.len(),
        "{what}: a key was certified twice"
    );
}
