//! The checks every desk failure test ends with, once its desks are stopped: read straight
//! from PostgreSQL and through the binary (`cards list --json`, `audit`, `audit verify`,
//! `recover`): every card of the order exactly once in a final state, no card produced twice,
//! every attempt closed, no key certified twice, the counts adding up, the audit chains intact.

use std::collections::{BTreeMap, BTreeSet};

use cardline_issuance::model::{Attempt, AttemptStatus, CardState};
use cardline_issuance::store::{
    AuditFilter, AuditLog, CardStore, CertificateIndex, OrderStore, ProductionJournal,
};
use cardline_postgres::{DatabaseUrl, PostgresStore};

use super::Site;

/// What an order ended with.
#[derive(Debug, Default)]
pub struct Settled {
    /// Cards `unassigned` (each produced exactly once).
    pub produced: usize,
    /// Cards `failed` (none produced).
    pub failed: usize,
    /// Attempts of the order's cards, every status.
    pub attempts: usize,
    /// Void attempts (put back, recovered, requeued).
    pub void: usize,
    /// Every attempt of the order's cards, by card number.
    pub by_card: BTreeMap<String, Vec<Attempt>>,
}

/// The site's database, opened by the test as a desk would.
pub fn store(site: &Site) -> PostgresStore {
    let url = DatabaseUrl::parse(&site.url).unwrap();
    PostgresStore::open(&url).expect("the test database opens")
}

/// Asserts the end state of `order` (which holds `cards` cards); `what` names the test in
/// the messages.
pub fn assert_settled(site: &Site, order: i64, cards: usize, what: &str) -> Settled {
    let store = store(site);
    let shown = store.order(order).expect("the order");
    assert_eq!(shown.cards.len(), cards, "{what}: cards in the order");
    let in_flight = store.in_flight_attempts().expect("in-flight attempts");
    assert!(
        in_flight.is_empty(),
        "{what}: attempts left in flight: {in_flight:?}"
    );
    let mut settled = Settled::default();
    let mut chips = BTreeSet::new();
    for card in &shown.cards {
        let attempts = store.attempts_of_card(&card.number).expect("attempts");
        for a in &attempts {
            assert!(
                a.status != AttemptStatus::InFlight && a.finished_at.is_some(),
                "{what}: attempt {} of {} is not closed: {a:?}",
                a.id,
                card.number
            );
        }
        let succeeded: Vec<&Attempt> = attempts
            .iter()
            .filter(|a| a.status == AttemptStatus::Succeeded)
            .collect();
        assert!(
            succeeded.len() <= 1,
            "{what}: {} produced twice: {attempts:?}",
            card.number
        );
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
                    "{what}: {} is unassigned without a succeeded attempt: {attempts:?}",
                    card.number
                );
                if let Some(chip) = &card.chip_id {
                    assert!(
                        chips.insert(chip.clone()),
                        "{what}: chip {chip} is on two cards"
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
        settled.by_card.insert(card.number.clone(), attempts);
    }
    assert_eq!(settled.produced + settled.failed, cards, "{what}: counts");

    // No key was certified twice.
    let issued = store.issued_certificates().expect("issued certificates");
    let keys: BTreeSet<&str> = issued.iter().map(|r| r.spki_sha256.as_str()).collect();
    assert_eq!(
        keys.len(),
        issued.len(),
        "{what}: a key was certified twice"
    );

    // The audit log: one `card.produced` per produced card, none for a failed one.
    let produced = store
        .audit(&AuditFilter {
            action: Some("card.produced".into()),
            ..Default::default()
        })
        .expect("the audit log");
    let mut per_card: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &produced {
        if let Some(n) = e.card_number.as_deref() {
            *per_card.entry(n).or_default() += 1;
        }
    }
    for card in &shown.cards {
        let expected = usize::from(card.state == CardState::Unassigned);
        assert_eq!(
            per_card.get(card.number.as_str()).copied().unwrap_or(0),
            expected,
            "{what}: card.produced entries of {}",
            card.number
        );
    }

    // The same through the binary.
    let listed = site.json(&[
        "cards",
        "list",
        "--order",
        &order.to_string(),
        "--all-pages",
    ]);
    assert_eq!(
        listed["total"], cards as u64,
        "{what}: cards list: {listed}"
    );
    let count = |state: &str| {
        listed["cards"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["state"] == state)
            .count()
    };
    assert_eq!(
        (count("unassigned"), count("failed")),
        (settled.produced, settled.failed),
        "{what}: cards list agrees with the database"
    );
    assert_audit_verifies(site, what);
    let (code, out, err) = site.run(&["recover"]);
    assert_eq!(code, Some(0), "{what}: recover failed: {out}{err}");
    assert!(
        out.contains("nothing to recover"),
        "{what}: recover found work once the desks were stopped: {out}"
    );
    settled
}

/// `cardline audit verify` exits 0 with no finding.
pub fn assert_audit_verifies(site: &Site, what: &str) {
    let (code, out, err) = site.run(&["--json", "audit", "verify"]);
    assert_eq!(code, Some(0), "{what}: audit verify: {out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        report["findings"].as_array().unwrap().is_empty(),
        "{what}: {report}"
    );
}

/// The stations named in `attempt.begin` entries (`... on station NAME ...`), one per
/// attempt begun.
pub fn stations_of_attempts(site: &Site) -> Vec<String> {
    let begun = site.json(&["audit", "--action", "attempt.begin"]);
    begun
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let reason = e["reason"].as_str().unwrap();
            reason
                .split("on station ")
                .nth(1)
                .unwrap()
                .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}
