//! PostgreSQL benchmark helpers (`bench-pg-order`, `bench-desks`): a fresh database per run
//! on the server named by `CARDLINE_TEST_POSTGRES`, and the database cost of producing one
//! card, timed store call by store call in process.

use std::time::{Duration, Instant};

use cardline_issuance::model::{OrderSelection, ProductionStep};
use cardline_issuance::numbering::Numbering;
use cardline_issuance::store::conformance::station_run;
use cardline_issuance::store::{
    Actor, AttemptSuccess, CardStore, JournalRecord, OrderStore, ProductionJournal, SealedSecrets,
};
use cardline_postgres::{DatabaseUrl, PostgresStore};

/// The server of `CARDLINE_TEST_POSTGRES`, or `None` after printing `skipped: no postgres`.
pub fn admin_url() -> Option<DatabaseUrl> {
    match std::env::var("CARDLINE_TEST_POSTGRES") {
        Ok(u) if !u.trim().is_empty() => {
            Some(DatabaseUrl::parse(&u).expect("CARDLINE_TEST_POSTGRES"))
        }
        _ => {
            println!(
                "skipped: no postgres (CARDLINE_TEST_POSTGRES unset; run under scripts/with-postgres.sh)"
            );
            None
        }
    }
}

/// A fresh database on the server, dropped at the end.
pub struct BenchDb {
    admin: DatabaseUrl,
    /// The database's name.
    pub name: String,
    /// The URL of the fresh database.
    pub url: DatabaseUrl,
}

impl BenchDb {
    /// Creates `cardline_bench_<pid>_<tag>` (dropping a leftover of that name) and migrates it.
    pub fn new(admin: &DatabaseUrl, tag: &str) -> BenchDb {
        let name = format!("cardline_bench_{}_{tag}", std::process::id());
        let mut client = PostgresStore::client(admin).expect("the server accepts connections");
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
        let url = admin.with_database(&name).unwrap();
        PostgresStore::migrate(&url, &Actor("bench".into())).unwrap();
        BenchDb {
            admin: admin.clone(),
            name,
            url,
        }
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        if let Ok(mut c) = PostgresStore::client(&self.admin) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// The median of `v` (the upper one of an even count).
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The `p` quantile of `v` (nearest rank).
pub fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The time of each store call production makes for one good card: the claim, four journal
/// commits, the eject's outcome with the success.
type CardTimes = [Duration; 6];

/// The store calls production makes for one good card, timed one by one.
fn produce_one(store: &PostgresStore, run: i64, order: i64, station: &str) -> Option<CardTimes> {
    use JournalRecord::*;
    use ProductionStep::*;
    let me = Actor(station.to_string());
    let mut times = [Duration::ZERO; 6];
    let t = Instant::now();
    let (_, a) = store.begin_attempt(run, order, station, &me).unwrap()?;
    times[0] = t.elapsed();
    let chip = "3019d4e7392b2c4a";
    let batches: [&[JournalRecord<'_>]; 4] = [
        &[StepStarted(Feed)],
        &[StepFinished(Feed, None), StepStarted(Encode)],
        &[StepFinished(Encode, None), Chip(chip), StepStarted(Print)],
        &[StepFinished(Print, None), StepStarted(Eject)],
    ];
    for (i, records) in batches.iter().enumerate() {
        let t = Instant::now();
        store.journal(a, records).unwrap();
        times[i + 1] = t.elapsed();
    }
    let success = AttemptSuccess {
        chip_id: Some(chip.into()),
        certificate_fingerprints: vec!["ab".repeat(32)],
        secrets: Some(SealedSecrets {
            key_id: "station-key".into(),
            nonce: vec![7; 12],
            ciphertext: vec![9; 48],
        }),
    };
    let t = Instant::now();
    store
        .journal_and_succeed(a, &[StepFinished(Eject, None)], &success, &me)
        .unwrap();
    times[5] = t.elapsed();
    Some(times)
}

/// Prints the median and p90 per card and the median of the claim, a journal commit and the
/// success.
fn report(what: &str, cards: &[CardTimes]) {
    let total: Vec<Duration> = cards.iter().map(|t| t.iter().sum()).collect();
    let claim: Vec<Duration> = cards.iter().map(|t| t[0]).collect();
    let journal: Vec<Duration> = cards.iter().flat_map(|t| t[1..5].to_vec()).collect();
    let success: Vec<Duration> = cards.iter().map(|t| t[5]).collect();
    println!(
        "database cost per card, {what}: median {:.2} ms, p90 {:.2} ms ({} cards; medians: \
         claim {:.2} ms, journal commit {:.2} ms ×4, eject + success {:.2} ms)",
        ms(median(total.clone())),
        ms(percentile(total, 0.9)),
        cards.len(),
        ms(median(claim)),
        ms(median(journal)),
        ms(median(success)),
    );
}

/// Measures the database cost of producing a card on `cards` cards: half from one station,
/// half from 8 stations on two store handles at once; prints the medians.
pub fn card_cost(admin: &DatabaseUrl, cards: u32) {
    let db = BenchDb::new(admin, "cost");
    let store = PostgresStore::open(&db.url).unwrap();
    let op = Actor("bench".into());
    store
        .request_cards(cards, &Numbering::default(), &op)
        .unwrap();
    let half = cards / 2;
    let first = store
        .create_order(&OrderSelection::First(half), &op)
        .unwrap();
    let run = station_run(&store, "st-1");
    let mut one = Vec::new();
    while let Some(d) = produce_one(&store, run, first.id, "st-1") {
        one.push(d);
    }
    report("1 station", &one);
    let second = store.create_order(&OrderSelection::All, &op).unwrap();
    let desks = [
        PostgresStore::open(&db.url).unwrap(),
        PostgresStore::open(&db.url).unwrap(),
    ];
    let started = Instant::now();
    let all: Vec<CardTimes> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let desk = &desks[i % 2];
                let order = second.id;
                s.spawn(move || {
                    let station = format!("desk{}-st{i}", i % 2);
                    let run = station_run(desk, &station);
                    let mut mine = Vec::new();
                    while let Some(d) = produce_one(desk, run, order, &station) {
                        mine.push(d);
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let wall = started.elapsed();
    report("8 stations on 2 handles at once", &all);
    println!(
        "8 stations on 2 handles: {:.0} cards/s",
        all.len() as f64 / wall.as_secs_f64()
    );
}
