//! The checks every fault test ends with, read straight from the home's SQLite database: every
//! card of the order in a final production state, each produced exactly once, no attempt left
//! in flight, no key certified twice, and `cardline recover` finding nothing to settle.

use std::collections::BTreeSet;
use std::path::Path;

use cardline_issuance::model::{AttemptStatus, CardState};
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::{CardStore, CertificateIndex, OrderStore, ProductionJournal};

use super::cli::Cardline;

/// What an order ended with.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Settled {
    /// Cards `unassigned` (produced once).
    pub produced: usize,
    /// Cards `failed` (rejected, none produced).
    pub failed: usize,
    /// Attempts of the order's cards, all statuses.
    pub attempts: usize,
    /// Void attempts (settled by recovery, or put back).
    pub void: usize,
}

/// Opens the home's database (read by the test, as the next `cardline` would).
pub fn store(home: &Path) -> SqliteStore {
    SqliteStore::open(&home.join("cardline.db")).expect("the home's database opens")
}

/// Asserts the end state of `order` in `home`: every card `unassigned` or `failed`; an
/// `unassigned` card has exactly one succeeded attempt and a chip no other card has; a `failed`
/// card none; no attempt in flight; no key certified twice; `cards` cards in the order. `what`
/// names the run in the messages (a seed, a fault).
pub fn assert_settled(home: &Path, order: i64, cards: usize, what: &str) -> Settled {
    let store = store(home);
    let order = store.order(order).expect("the order");
    assert_eq!(order.cards.len(), cards, "{what}: cards in the order");
    let in_flight = store.in_flight_attempts().expect("in-flight attempts");
    assert!(
        in_flight.is_empty(),
        "{what}: attempts left in flight: {in_flight:?}"
    );
    let mut settled = Settled::default();
    let mut chips = BTreeSet::new();
    for card in &order.cards {
        let attempts = store.attempts_of_card(&card.number).expect("attempts");
        let succeeded: Vec<_> = attempts
            .iter()
            .filter(|a| a.status == AttemptStatus::Succeeded)
            .collect();
        settled.attempts += attempts.len();
        settled.void += attempts
            .iter()
            .filter(|a| a.status == AttemptStatus::Void)
            .count();
        match card.state {
            CardState::Unassigned => {
                settled.produced += 1;
                assert_eq!(
                    succeeded.len(),
                    1,
                    "{what}: {} is unassigned and must be produced exactly once: {attempts:?}",
                    card.number
                );
                if let Some(chip) = &card.chip_id {
                    assert!(
                        chips.insert(chip.clone()),
                        "{what}: chip {chip} belongs to two cards"
                    );
                    assert_eq!(
                        succeeded[0].chip_id.as_deref(),
                        Some(chip.as_str()),
                        "{what}: {}: the card's chip is its succeeded attempt's",
                        card.number
                    );
                }
            }
            CardState::Failed => {
                settled.failed += 1;
                assert!(
                    succeeded.is_empty(),
                    "{what}: {} failed but an attempt succeeded: {attempts:?}",
                    card.number
                );
                assert!(
                    attempts.iter().any(|a| a.status == AttemptStatus::Failed),
                    "{what}: {} failed without a failed attempt: {attempts:?}",
                    card.number
                );
            }
            other => panic!(
                "{what}: {} is {other:?}, not in a final production state",
                card.number
            ),
        }
    }
    let issued = store.issued_certificates().expect("issued certificates");
    let keys: BTreeSet<&str> = issued.iter().map(|r| r.spki_sha256.as_str()).collect();
    assert_eq!(
        keys.len(),
        issued.len(),
        "{what}: a key was certified twice"
    );
    settled
}

/// Runs `cardline recover`, which must succeed and find nothing left in flight.
pub fn assert_nothing_to_recover(cli: &Cardline, what: &str) {
    let (code, out, err) = cli.run(&["recover"]);
    assert_eq!(code, Some(0), "{what}: recover failed: {out}{err}");
    assert!(
        out.contains("nothing to recover"),
        "{what}: recover found work after the order was settled: {out}"
    );
}

/// How many cards of `order` are in `state`.
pub fn count_state(home: &Path, order: i64, state: CardState) -> usize {
    store(home)
        .order(order)
        .expect("the order")
        .cards
        .iter()
        .filter(|c| c.state == state)
        .count()
}
