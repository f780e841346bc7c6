//! A large store for the batch-order benchmarks (issue 11): requests spread over a year, 2,000
//! requesters, 20 desks, part of them in open orders, built quickly through
//! `request_cards_with` in batches of 100,000 (one transaction each).

use std::path::Path;
use std::time::{Duration, Instant};

use cardline_issuance::model::{CardState, OrderSelection};
use cardline_issuance::numbering::Numbering;
use cardline_issuance::requests::RequestData;
use cardline_issuance::search::{CardQuery, Page};
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::{Actor, CardStore, OrderStore};

/// Requesters in the store.
pub const REQUESTERS: u32 = 2000;
/// Desks in the store.
pub const DESKS: u32 = 20;
/// Desks whose cards are all put in open orders (40 % of the cards).
pub const ORDERED_DESKS: u32 = 8;
/// Rows per request transaction while building.
pub const BATCH: u32 = 100_000;

/// A small deterministic generator (xorshift), so every run builds the same store.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    /// Next number below `n`.
    pub fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % u64::from(n)) as u32
    }
}

/// The requester named `i`.
pub fn requester(i: u32) -> String {
    format!("requester-{i:04}")
}

/// The desk named `i`.
pub fn desk(i: u32) -> String {
    format!("desk-{i:02}")
}

/// `YYYY-MM-DDT..Z` of day `d` (0–364) of 2026 at a minute of the day.
pub fn day_time(d: u32, minute: u32) -> String {
    let date = time::Date::from_ordinal_date(2026, (d % 365 + 1) as u16).expect("a 2026 day");
    format!(
        "{date}T{:02}:{:02}:00.000Z",
        (minute / 60) % 24,
        minute % 60
    )
}

/// `n` request rows: random requester, desk and day of 2026.
pub fn rows(n: u32, rng: &mut Rng) -> Vec<RequestData> {
    (0..n)
        .map(|_| RequestData {
            requester: Some(requester(rng.below(REQUESTERS))),
            desk: Some(desk(rng.below(DESKS))),
            purpose: Some("visitor".into()),
            note: None,
            requested_at: Some(day_time(rng.below(365), rng.below(24 * 60))),
        })
        .collect()
}

/// How long the build took.
#[derive(Clone, Copy, Debug)]
pub struct BuildTimes {
    /// Requesting every card.
    pub request: Duration,
    /// Creating the orders of the ordered desks.
    pub orders: Duration,
}

/// Creates `path` holding `cards` cards: all requested, then the cards of
/// [`ORDERED_DESKS`] desks taken into one open order per desk (`in_production`).
pub fn build_store(path: &Path, cards: u32) -> (SqliteStore, BuildTimes) {
    let store = SqliteStore::create(path).expect("a new store");
    let actor = Actor("bench".into());
    let numbering = Numbering::default();
    let mut rng = Rng::new(11);
    let started = Instant::now();
    let mut left = cards;
    while left > 0 {
        let n = left.min(BATCH);
        store
            .request_cards_with(&rows(n, &mut rng), &numbering, &actor)
            .expect("requests");
        left -= n;
    }
    let request = started.elapsed();
    let started = Instant::now();
    for d in 0..ORDERED_DESKS {
        let selection = OrderSelection::Matching {
            query: Box::new(CardQuery {
                desk: Some(desk(d)),
                ..CardQuery::default()
            }),
            first: None,
            allow_fewer: true,
        };
        store
            .create_order_with(&selection, None, &actor)
            .expect("an order per desk");
    }
    let orders = started.elapsed();
    (store, BuildTimes { request, orders })
}

/// The operator's query of the target: requested cards of one requester in a 30-day window,
/// one page of 50 in request order.
pub fn operator_query(rng: &mut Rng) -> (CardQuery, Page) {
    let from = rng.below(335);
    let query = CardQuery {
        states: vec![CardState::Requested],
        requester: Some(requester(rng.below(REQUESTERS))),
        ..CardQuery::default()
    }
    .requested_between(
        Some(&day_time(from, 0)[..10]),
        Some(&day_time(from + 29, 0)[..10]),
    )
    .expect("dates");
    (query, Page::default())
}

/// The `p`-th percentile (0–100) of `samples` (sorted in place).
pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}
