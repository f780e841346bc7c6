//! `bench-batch [N]`: the two bulk steps of the operator's Batch orders page at N = 100,000
//! (issue 11 targets: each ≤ 5 s), through the code the CLI runs:
//!
//! 1. `request --from-csv` of N rows: parse and check the file (`read_requests`), then create
//!    the cards in one transaction (`request_cards_with`);
//! 2. `order create` from a search matching N cards (`--desk`), in a store of 2·N requested
//!    cards: the dry run (`preview_order`) and the real order (`create_order_with`).

use std::time::Instant;

use cardline_benches::batch::{Rng, desk, rows};
use cardline_benches::{cpu_time, peak_rss_kb};
use cardline_issuance::model::OrderSelection;
use cardline_issuance::numbering::Numbering;
use cardline_issuance::requests::csv::read_requests;
use cardline_issuance::search::CardQuery;
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::{Actor, CardStore, OrderStore};

fn csv_file(n: u32, path: &std::path::Path) {
    let mut rng = Rng::new(5);
    let mut text = String::from("requester,desk,purpose,note,requested_at\n");
    for (i, r) in rows(n, &mut rng).into_iter().enumerate() {
        text.push_str(&format!(
            "{},{},{},row {i},{}\n",
            r.requester.unwrap(),
            r.desk.unwrap(),
            r.purpose.unwrap(),
            r.requested_at.unwrap()
        ));
    }
    std::fs::write(path, text).unwrap();
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let actor = Actor("bench".into());
    let numbering = Numbering::default();

    // 1. request --from-csv
    let csv = dir.path().join("requests.csv");
    csv_file(n, &csv);
    let size = std::fs::metadata(&csv).unwrap().len();
    let store = SqliteStore::create(&dir.path().join("requests.db")).unwrap();
    let started = Instant::now();
    let cpu = cpu_time().unwrap_or_default();
    let file = std::io::BufReader::new(std::fs::File::open(&csv).unwrap());
    let requests = read_requests(file, &csv.display().to_string()).unwrap();
    let parsed = started.elapsed();
    let cards = store
        .request_cards_with(&requests, &numbering, &actor)
        .unwrap();
    let total = started.elapsed();
    let cpu = cpu_time().unwrap_or_default().saturating_sub(cpu);
    assert_eq!(cards.len() as u32, n);
    println!(
        "request --from-csv {n} rows ({:.1} MB): {:.2} s, {:.2} s CPU (parse and check {:.2} s, store {:.2} s; target ≤ 5 s)",
        size as f64 / 1e6,
        total.as_secs_f64(),
        cpu.as_secs_f64(),
        parsed.as_secs_f64(),
        (total - parsed).as_secs_f64()
    );
    drop((store, cards, requests));

    // 2. order create from a search matching n cards, in a store of 2n requested cards.
    let store = SqliteStore::create(&dir.path().join("orders.db")).unwrap();
    let mut rng = Rng::new(9);
    for (i, chunk) in [n, n].into_iter().enumerate() {
        let mut batch = rows(chunk, &mut rng);
        for r in &mut batch {
            r.desk = Some(if i == 0 { desk(1) } else { desk(2) });
        }
        store
            .request_cards_with(&batch, &numbering, &actor)
            .unwrap();
    }
    let selection = OrderSelection::Matching {
        query: Box::new(CardQuery {
            desk: Some(desk(1)),
            ..CardQuery::default()
        }),
        first: None,
        allow_fewer: false,
    };
    let started = Instant::now();
    let preview = store.preview_order(&selection).unwrap();
    let dry = started.elapsed();
    assert_eq!(preview.len() as u32, n);
    drop(preview);
    let started = Instant::now();
    let cpu = cpu_time().unwrap_or_default();
    let order = store.create_order_with(&selection, None, &actor).unwrap();
    let create = started.elapsed();
    let cpu = cpu_time().unwrap_or_default().saturating_sub(cpu);
    assert_eq!(order.cards.len() as u32, n);
    println!(
        "order create --desk {} matching {n} of {} requested cards: {:.2} s, {:.2} s CPU (dry run {:.2} s; target ≤ 5 s)",
        desk(1),
        2 * n,
        create.as_secs_f64(),
        cpu.as_secs_f64(),
        dry.as_secs_f64()
    );
    if let Some(kb) = peak_rss_kb() {
        println!("peak memory {:.1} MB", kb as f64 / 1024.0);
    }
}
