//! `bench-desks [CARDS_PER_STATION] [RUNS] [COST_CARDS]`: many desks on one PostgreSQL database
//! (issue 12). 8 `cardline desk run` processes (the release binary next to this one, or
//! `CARDLINE_BIN`), each driving 8 simulated stations with the device timings of bench-busy
//! scaled down 10× (a 225 colour-cards/hour printer, 2 s of on-card key generation), share one
//! released order of 64 × CARDS_PER_STATION cards (default 8) in a fresh database on the
//! server named by `CARDLINE_TEST_POSTGRES` (scripts/with-postgres.sh starts one).
//!
//! Ideal device-bound throughput: 64 stations each making a card every T seconds, where T is
//! one card's device time (the simulated printer's own clock of motions and panels, scaled,
//! plus the key generation) measured in process on one station of the same timings. Achieved:
//! the cards over the wall time from `order release` (in process, through the store) to the
//! last attempt's `finished_at` (the desks write it when the card is out). Target ≥ 97 %.
//!
//! Then the database cost per card (claim + five journal commits + success), timed store call
//! by store call in process on COST_CARDS cards (default 2,000): see `cardline_benches::pg`.
//!
//! Without the server it prints `skipped: no postgres` and exits 0.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use cardline_app::SimParams;
use cardline_benches::pg::{BenchDb, admin_url, card_cost, median};
use cardline_benches::timed_sim_line;
use cardline_hil::TestLine;
use cardline_issuance::store::{Actor, OrderStore};
use cardline_postgres::PostgresStore;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const DESKS: usize = 8;
const STATIONS_PER_DESK: usize = 8;
const SCALE: f64 = 0.1;
const KEYGEN_MS: u64 = 200; // 2 s at real speed, scaled 10×

fn cardline_bin() -> PathBuf {
    if let Ok(p) = std::env::var("CARDLINE_BIN") {
        return PathBuf::from(p);
    }
    let me = std::env::current_exe().expect("own path");
    me.with_file_name("cardline")
}

fn cardline(home: &Path, database: &str) -> Command {
    let mut c = Command::new(cardline_bin());
    c.arg("--home")
        .arg(home)
        .env("CARDLINE_DATABASE", database)
        .env("CARDLINE_OPERATOR", "bench")
        .env_remove("RUST_LOG");
    c
}

fn ok(home: &Path, database: &str, args: &[&str]) {
    let out = cardline(home, database).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "cardline {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One card's device time at these timings: one simulated station in process (SQLite store),
/// its printer's clock over the cards it made plus their key generation.
fn device_seconds_per_card() -> f64 {
    let keygen = Duration::from_millis(KEYGEN_MS);
    let line = TestLine::new();
    let cards = 3;
    let order = line.order(cards);
    let (mut stations, printers) = timed_sim_line(1, 99, SCALE, keygen);
    let summary = line.produce_streamed(order, &mut stations, &AtomicBool::new(false), &|_| {});
    assert_eq!(summary.produced, cards);
    let s = printers[0].state();
    let fed = f64::from(s.counters.cards_fed);
    (s.simulated_time.as_secs_f64() * SCALE + fed * keygen.as_secs_f64()) / fed
}

/// A `desk run --json` process; `desk_started` has been read (stations claimed and open).
struct Desk {
    child: Child,
}

impl Desk {
    fn start(home: &Path, database: &str, name: &str) -> Desk {
        let mut child = cardline(home, database)
            .args(["--json", "desk", "run", "--desk", name, "--stations"])
            .arg(home.join(format!("{name}.toml")))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            let n = out.read_line(&mut line).unwrap();
            assert!(n > 0, "desk {name} exited before desk_started");
            if line.contains("\"desk_started\"") {
                break;
            }
        }
        // Keep reading (and dropping) its events so the pipe never fills.
        std::thread::spawn(move || for _ in out.lines() {});
        Desk { child }
    }

    /// CPU seconds (user + system) the process used so far.
    fn cpu_seconds(&self) -> f64 {
        process_cpu(&format!("/proc/{}/stat", self.child.id())).map_or(0.0, |(_, cpu)| cpu)
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "desk exited with {status}");
    }
}

/// A process's name and the CPU seconds (user + system) it used so far, from its
/// `/proc/PID/stat`.
fn process_cpu(stat_path: &str) -> Option<(String, f64)> {
    let stat = std::fs::read_to_string(stat_path).ok()?;
    let name = stat.get(stat.find('(')? + 1..stat.rfind(')')?)?.to_string();
    let after = stat.rfind(')').map_or("", |i| &stat[i + 2..]);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum();
    Some((name, ticks / 100.0))
}

/// CPU seconds used so far by the processes of the PostgreSQL server (on this machine), by
/// process id: its backends start and end with the desks' connections.
fn postgres_cpu() -> std::collections::HashMap<u32, f64> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let (name, cpu) = process_cpu(&format!("/proc/{pid}/stat"))?;
            (name == "postgres").then_some((pid, cpu))
        })
        .collect()
}

fn parse_time(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &Rfc3339).expect("a store timestamp")
}

/// One run: a fresh database and home, the desks started, the order released and produced.
/// Returns the seconds from release to the last card out.
fn run_once(admin: &cardline_postgres::DatabaseUrl, run: u32, cards: u32) -> f64 {
    let db = BenchDb::new(admin, &format!("desks{run}"));
    // The URL with its password (DatabaseUrl's Display hides it) for the desks' environment.
    let server = std::env::var("CARDLINE_TEST_POSTGRES").unwrap();
    let (base, _) = server.rsplit_once('/').expect("a URL with a database");
    let database = format!("{base}/{}", db.name);
    let home_dir = tempfile::tempdir().unwrap();
    let home = home_dir.path();
    for args in [&["init"][..], &["keys", "init"], &["ca", "init"]] {
        ok(home, &database, args);
    }
    for d in 0..DESKS {
        let mut file = String::new();
        for s in 0..STATIONS_PER_DESK {
            let params = SimParams {
                seed: Some(1_000_000 * (u64::from(run) + 1) + (d * 16 + s) as u64 * 10_000),
                time_scale: SCALE,
                keep: Some(0),
                keygen_ms: Some(KEYGEN_MS),
                poll_ms: Some(5),
                // As in bench-busy: no PNG of each printed card (host work a real printer
                // never does; `cardline desk run` would write them under the home).
                pngs: false,
                ..SimParams::new(format!("d{d}s{s}"))
            };
            file.push_str(&format!(
                "[[station]]\nname = \"d{d}s{s}\"\nprinter = \"{}\"\nreader = \"sim\"\n",
                params.to_uri()
            ));
        }
        std::fs::write(home.join(format!("desk{d}.toml")), file).unwrap();
    }
    ok(home, &database, &["request", "--count", &cards.to_string()]);
    ok(home, &database, &["order", "create", "--all"]);
    let desks: Vec<Desk> = (0..DESKS)
        .map(|d| Desk::start(home, &database, &format!("desk{d}")))
        .collect();
    let store = PostgresStore::open(&db.url).unwrap();
    let mut client = PostgresStore::client(&db.url).unwrap();
    // Let the desks settle into waiting for work: a fixed second was not enough on a slower
    // machine (their start-up — stations claimed, kits loaded, connections opened — ran into
    // the release); wait until their CPU time stops moving (under 5 % of a core), at most 20 s.
    std::thread::sleep(Duration::from_secs(1));
    let settling = Instant::now();
    let mut cpu = desks.iter().map(Desk::cpu_seconds).sum::<f64>();
    while settling.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(400));
        let now: f64 = desks.iter().map(Desk::cpu_seconds).sum();
        let busy = now - cpu;
        cpu = now;
        if busy < 0.02 {
            break;
        }
    }
    eprintln!(
        "  desks idle {:.1} s after they started",
        1.0 + settling.elapsed().as_secs_f64()
    );
    // The desks' CPU per card counts from here: their start-up is not a card's.
    let cpu_before: f64 = desks.iter().map(Desk::cpu_seconds).sum();
    let pg_before = postgres_cpu();
    let released_at = OffsetDateTime::now_utc();
    let order = store.release_order(1, &Actor("bench".into())).unwrap();
    assert_eq!(order.cards.len(), cards as usize);
    let deadline = Instant::now() + Duration::from_secs(600);
    let last = loop {
        let row = client
            .query_one(
                "SELECT count(*) FILTER (WHERE status = 'succeeded'), \
                 count(*) FILTER (WHERE status IN ('failed', 'void')), max(finished_at) \
                 FROM attempts WHERE order_id = 1",
                &[],
            )
            .unwrap();
        let (done, bad): (i64, i64) = (row.get(0), row.get(1));
        assert_eq!(bad, 0, "no attempt fails or is voided in this bench");
        if done == i64::from(cards) {
            break row.get::<_, Option<String>>(2).unwrap();
        }
        assert!(Instant::now() < deadline, "only {done} of {cards} produced");
        std::thread::sleep(Duration::from_millis(50));
    };
    let cpu: f64 = desks.iter().map(Desk::cpu_seconds).sum::<f64>() - cpu_before;
    // Backends that ended during the run are missed (the desks keep their connections).
    let pg_cpu: f64 = postgres_cpu()
        .iter()
        .map(|(pid, cpu)| cpu - pg_before.get(pid).copied().unwrap_or(0.0))
        .sum();
    let wall = (parse_time(&last) - released_at).as_seconds_f64();
    println!(
        "  the 8 desk processes used {cpu:.1} s of CPU from the release on ({:.2} cores over the \
         run, {:.1} ms per card)",
        cpu / wall,
        cpu * 1e3 / f64::from(cards)
    );
    println!(
        "  PostgreSQL used {pg_cpu:.1} s of CPU meanwhile ({:.1} ms per card)",
        pg_cpu * 1e3 / f64::from(cards)
    );
    for d in desks {
        d.stop();
    }
    let attempts: Vec<(String, String, String)> = client
        .query(
            // A card's time runs from its feed's intent: a desk claims a station's next card
            // while the previous one ejects, so the claim says nothing about the station.
            "SELECT a.station, (SELECT min(s.started_at) FROM attempt_steps s \
             WHERE s.attempt_id = a.id), a.finished_at FROM attempts a WHERE a.order_id = 1 \
             ORDER BY a.station, a.id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    where_the_time_went(&attempts, released_at);
    let legs: Vec<(String, f64, f64, f64)> = client
        .query(&legs_sql(), &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let legs: Vec<String> = legs
        .iter()
        .map(|(leg, p50, p90, max)| format!("{leg} {p50:.0}/{p90:.0}/{max:.0}"))
        .collect();
    println!("  legs of a card, ms (median/p90/max): {}", legs.join(", "));
    (parse_time(&last) - released_at).as_seconds_f64()
}

/// Medians and p90s of each leg of a card, from the journal's own timestamps: claim to the
/// feed's intent (face rendered, intent committed), each step from its intent to the next
/// one's (the device's work plus the next commit), the last step to the attempt's end.
fn legs_sql() -> String {
    let ms = "(extract(epoch from (b::timestamptz - a::timestamptz)) * 1000)::float8";
    // A station's first card is shown apart: its process renders its first face, opens its
    // reader and its pool connections then.
    format!(
        "WITH firsts AS (SELECT min(id) AS id FROM attempts GROUP BY station), \
         legs AS ( \
           SELECT 'claim→feed' AS leg, a.id, a.started_at AS a, s.started_at AS b \
             FROM attempts a JOIN attempt_steps s ON s.attempt_id = a.id AND s.step = 'feed' \
           UNION ALL SELECT s.step, s.attempt_id, s.started_at, s.finished_at \
             FROM attempt_steps s \
           UNION ALL SELECT 'eject→end', a.id, s.finished_at, a.finished_at FROM attempts a \
             JOIN attempt_steps s ON s.attempt_id = a.id AND s.step = 'eject') \
         SELECT leg || CASE WHEN id IN (SELECT id FROM firsts) THEN ' (1st card)' ELSE '' END, \
                percentile_cont(0.5) WITHIN GROUP (ORDER BY {ms}), \
                percentile_cont(0.9) WITHIN GROUP (ORDER BY {ms}), max({ms}) \
         FROM legs GROUP BY 1 ORDER BY min(a)"
    )
}

/// Seconds between two store timestamps.
fn secs(from: OffsetDateTime, to: &str) -> f64 {
    (parse_time(to) - from).as_seconds_f64()
}

/// Prints how the wall time splits per station: the first feed after the release, each
/// card from its feed to out (the devices' work plus the store's writes), and the gaps between
/// one card out and the next one fed.
fn where_the_time_went(rows: &[(String, String, String)], released_at: OffsetDateTime) {
    let mut first = Vec::new();
    let mut card = Vec::new();
    let mut gap = Vec::new();
    let mut cards_per_station = std::collections::BTreeMap::<String, u32>::new();
    let mut previous: Option<(String, String)> = None;
    for (station, started, finished) in rows {
        *cards_per_station.entry(station.clone()).or_default() += 1;
        card.push(Duration::from_secs_f64(secs(parse_time(started), finished)));
        match &previous {
            Some((s, out)) if s == station => {
                gap.push(Duration::from_secs_f64(
                    secs(parse_time(out), started).max(0.0),
                ));
            }
            _ => first.push(Duration::from_secs_f64(secs(released_at, started).max(0.0))),
        }
        previous = Some((station.clone(), finished.clone()));
    }
    let mut last_out: std::collections::BTreeMap<&str, &str> = Default::default();
    for (station, _, finished) in rows {
        last_out.insert(station, finished);
    }
    let done: Vec<Duration> = last_out
        .values()
        .map(|out| Duration::from_secs_f64(secs(released_at, out)))
        .collect();
    println!(
        "  a station's last card out after the release: median {:.2} s, slowest {:.2} s; \
         slowest card from feed to out {:.0} ms",
        median(done.clone()).as_secs_f64(),
        done.iter().max().unwrap().as_secs_f64(),
        card.iter().max().unwrap().as_secs_f64() * 1e3,
    );
    // The station whose last card came out last sets the wall time: where did its time go?
    let (slow_station, slow_out) = last_out
        .iter()
        .max_by(|a, b| a.1.cmp(b.1))
        .map(|(s, o)| (s.to_string(), o.to_string()))
        .unwrap();
    let mine: Vec<&(String, String, String)> =
        rows.iter().filter(|r| r.0 == slow_station).collect();
    let its_cards: f64 = mine.iter().map(|r| secs(parse_time(&r.1), &r.2)).sum();
    let its_gaps: f64 = mine
        .windows(2)
        .map(|w| secs(parse_time(&w[0].2), &w[1].1).max(0.0))
        .sum();
    let mut sorted_cards = card.clone();
    sorted_cards.sort();
    println!(
        "  the slowest station ({slow_station}): first feed {:.0} ms + its {} cards {:.0} ms + \
         gaps {:.0} ms = {:.0} ms; cards from feed to out: p90 {:.0} ms, p99 {:.0} ms",
        secs(released_at, &mine[0].1) * 1e3,
        mine.len(),
        its_cards * 1e3,
        its_gaps * 1e3,
        secs(released_at, &slow_out) * 1e3,
        sorted_cards[sorted_cards.len() * 9 / 10].as_secs_f64() * 1e3,
        sorted_cards[sorted_cards.len() * 99 / 100].as_secs_f64() * 1e3,
    );
    let counts: Vec<u32> = cards_per_station.values().copied().collect();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "  {} stations, {}–{} cards each; first feed after the release: median {:.0} ms, last \
         {:.0} ms; a card from feed to out: median {:.0} ms; out to the next feed: median \
         {:.1} ms, max {:.0} ms",
        counts.len(),
        counts.iter().min().unwrap(),
        counts.iter().max().unwrap(),
        ms(median(first.clone())),
        ms(*first.iter().max().unwrap()),
        ms(median(card)),
        ms(median(gap.clone())),
        ms(gap.iter().max().copied().unwrap_or_default()),
    );
}

fn main() {
    let args: Vec<u32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let per_station = args.first().copied().unwrap_or(8).max(1);
    let runs = args.get(1).copied().unwrap_or(3).max(1);
    let cost_cards = args.get(2).copied().unwrap_or(2_000).max(2);
    let Some(admin) = admin_url() else {
        return;
    };
    assert!(
        cardline_bin().exists(),
        "no cardline binary at {} (build it: cargo build --release -p cardline, or set CARDLINE_BIN)",
        cardline_bin().display()
    );
    let per_card = device_seconds_per_card();
    let stations = DESKS * STATIONS_PER_DESK;
    let cards = per_station * stations as u32;
    let ideal = cards as f64 * per_card / stations as f64;
    println!(
        "one card's device time {per_card:.3} s; {DESKS} desks × {STATIONS_PER_DESK} stations, \
         {cards} cards: ideal {ideal:.2} s ({:.1} cards/s)",
        stations as f64 / per_card
    );
    let mut walls = Vec::new();
    for run in 0..runs {
        let secs = run_once(&admin, run, cards);
        println!(
            "run {}: {secs:.2} s from release to the last card out, {:.1} cards/s: {:.1}% of ideal",
            run + 1,
            f64::from(cards) / secs,
            ideal / secs * 100.0
        );
        walls.push(Duration::from_secs_f64(secs));
    }
    let wall = median(walls).as_secs_f64();
    println!(
        "median of {runs}: {wall:.2} s, {:.1}% of ideal device-bound throughput (target ≥ 97 %)",
        ideal / wall * 100.0
    );
    card_cost(&admin, cost_cards);
}
