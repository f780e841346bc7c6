//! `bench-pg-order [CARDS] [RUNS] [COST_CARDS]`: on the PostgreSQL server named by
//! `CARDLINE_TEST_POSTGRES` (scripts/with-postgres.sh starts one), each run requests CARDS
//! cards in a fresh database and creates one order of all of them
//! (`create_order_with(OrderSelection::All)`), timing both; prints every run and the medians.
//! Target (issue 12): the order of 1,000,000 cards in ≤ 30 s.
//!
//! Then the database cost of producing one card, measured on COST_CARDS cards: the claim
//! (`begin_attempt`), the journal records production commits (feed, encode with the chip,
//! print, eject's start: four `journal` calls) and the eject's outcome with the success
//! (`journal_and_succeed`, a certificate fingerprint and sealed secrets) — six short
//! transactions — from one station, then from 8 stations of two store handles at once.
//! Prints the median and 90th percentile per card.
//!
//! Without the server it prints `skipped: no postgres` and exits 0.

use std::time::Instant;

use cardline_benches::pg::{BenchDb, admin_url, card_cost, median};
use cardline_issuance::model::OrderSelection;
use cardline_issuance::numbering::Numbering;
use cardline_issuance::store::{Actor, CardStore, OrderStore};
use cardline_postgres::PostgresStore;

fn main() {
    let args: Vec<u32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let cards = args.first().copied().unwrap_or(1_000_000);
    let runs = args.get(1).copied().unwrap_or(3).max(1);
    let cost_cards = args.get(2).copied().unwrap_or(2_000).max(2);
    let Some(admin) = admin_url() else {
        return;
    };
    let mut requests = Vec::new();
    let mut orders = Vec::new();
    for run in 0..runs {
        let db = BenchDb::new(&admin, &format!("order{run}"));
        let store = PostgresStore::open(&db.url).unwrap();
        let op = Actor("bench".into());
        let t = Instant::now();
        store
            .request_cards(cards, &Numbering::default(), &op)
            .unwrap();
        let request = t.elapsed();
        let t = Instant::now();
        let order = store
            .create_order_with(&OrderSelection::All, None, &op)
            .unwrap();
        let create = t.elapsed();
        assert_eq!(order.cards.len(), cards as usize, "every card in the order");
        println!(
            "run {}: request {cards} cards {:.1} s; create_order_with(All) {:.1} s",
            run + 1,
            request.as_secs_f64(),
            create.as_secs_f64()
        );
        requests.push(request);
        orders.push(create);
    }
    let order_median = median(orders);
    println!(
        "median of {runs}: request {:.1} s; order of {cards} cards {:.1} s (target ≤ 30 s)",
        median(requests).as_secs_f64(),
        order_median.as_secs_f64()
    );
    card_cost(&admin, cost_cards);
}
