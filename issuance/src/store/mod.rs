//! The durable store of cards, orders, production attempts, secrets and the audit log.
//!
//! The store is split by consumer ([`traits`]): the production journal the orchestrator uses
//! ([`ProductionJournal`]: runs and their leases, station claims and pauses, attempts and their
//! steps), the cards and orders the operator works with ([`CardStore`], [`OrderStore`]), the
//! audit log ([`AuditLog`]) and the CA's issued-certificates index ([`CertificateIndex`]).
//! [`Store`] is all of them; [`sqlite::SqliteStore`] is the embedded backend. The rules of
//! orders (cancel, complete, repeat) live once, backend-free, in [`crate::order_rules`] over a
//! thin transaction repository; every backend must pass the [`conformance`] suite.
//!
//! Every state change is one transaction together with its audit entry, committed before the
//! call returns, so a caller may report the physical step it guards as done only after the
//! call succeeded. Nothing here names a database.

use crate::model::*;

pub mod conformance;
mod error;
pub mod ownership;
pub mod sessions;
mod traits;
pub mod users;

pub use error::StoreError;
pub use sessions::{SessionRecord, SessionStore};
pub use traits::{
    AuditLog, AuditRecords, CardStore, CertificateIndex, ChangeMark, OptionProfileStore,
    OrderStore, ProductionJournal, Store,
};
pub use users::UserStore;

/// One record of an attempt's production journal (see [`ProductionJournal::journal`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JournalRecord<'a> {
    /// The intent of a physical step, committed before doing it.
    StepStarted(ProductionStep),
    /// The outcome of the latest unfinished step of that kind: `None` = ok, `Some(reason)`.
    StepFinished(ProductionStep, Option<&'a str>),
    /// The chip serial or planned GUID, as soon as it is known (so recovery can find the chip).
    Chip(&'a str),
    /// The keys the attempt uses, by key id, journaled before the blank is fed. The store
    /// refuses it ([`StoreError::KeyReplaced`]) when the management-key master is not the one
    /// the database has seen on every attempt before.
    Keys(&'a AttemptKeys),
}

/// The keys an attempt used, by key id (never the keys): recorded on the attempt, so a card
/// can later be managed with the right master and a replaced key is detected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptKeys {
    /// The management-key master the card's management key is derived from.
    pub management_master: String,
    /// The key that sealed the initial PIN and PUK (station key id, or `escrow-…`).
    pub seal: String,
    /// The issuing CA's key id, when the issuer reports one.
    pub issuer: Option<String>,
}

impl AttemptKeys {
    /// The registry kind of the management-key master.
    pub const MANAGEMENT_MASTER: &'static str = "management-master";

    /// The form stored on the attempt: `management=ID seal=ID [issuer=ID]`.
    pub fn to_text(&self) -> String {
        let mut text = format!("management={} seal={}", self.management_master, self.seal);
        if let Some(issuer) = &self.issuer {
            text.push_str(&format!(" issuer={issuer}"));
        }
        text
    }
}

/// Who registers an office key in the key registry, for the audit entry: an attempt (its card
/// and order) or a desk that starts (neither). Both backends' registries take one.
pub struct KeyRegistrant {
    /// The card of the attempt that registers it.
    pub card: Option<String>,
    /// The order of that card.
    pub order: Option<crate::model::OrderId>,
    /// Why, for the audit entry (after the key id).
    pub note: &'static str,
}

impl KeyRegistrant {
    /// The audit entry's reason for registering `key_id` as the office's `kind`.
    pub fn reason(&self, kind: &str, key_id: &str) -> String {
        format!("{kind} key id {key_id} ({})", self.note)
    }
}

/// Compares `key_id` with the key the registry holds for `kind` (its id and registration
/// time): [`StoreError::KeyReplaced`] when they differ.
pub fn check_registered_key(
    kind: &str,
    key_id: &str,
    (registered, since): (String, String),
) -> Result<(), StoreError> {
    if registered == key_id {
        return Ok(());
    }
    Err(StoreError::KeyReplaced {
        kind: kind.into(),
        registered,
        found: key_id.into(),
        since,
    })
}

pub mod sqlite;

/// Who does something: recorded on every audit entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor(pub String);

impl Actor {
    /// The actor for automatic work (expiry sweeps, crash recovery).
    pub fn system() -> Actor {
        Actor("system".into())
    }
}

/// Filter for listing cards.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CardFilter {
    /// Only cards in this state.
    pub state: Option<CardState>,
    /// Only cards in this order.
    pub order_id: Option<OrderId>,
    /// At most this many (oldest first).
    pub limit: Option<u32>,
}

/// Filter for the audit log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only entries about this card.
    pub card_number: Option<String>,
    /// Only entries about this order.
    pub order_id: Option<OrderId>,
    /// Only entries written by this operator.
    pub operator: Option<String>,
    /// Only entries of this action (`card.assign`), or of every action under a prefix ending
    /// in `.` (`card.`).
    pub action: Option<String>,
    /// Only entries at or after this time (RFC 3339 in the store's format: see
    /// [`crate::search::CardQuery::requested_between`] for turning dates into it).
    pub at_from: Option<String>,
    /// Only entries before this time (same format).
    pub at_before: Option<String>,
    /// Only entries older than this id: the cursor of the next (older) page.
    pub before_id: Option<i64>,
    /// At most this many (newest last).
    pub limit: Option<u32>,
}

/// A card's initial PIN and PUK, sealed (AES-256-GCM under the station key). The store keeps
/// only ciphertext.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecrets {
    /// Identifies the key that sealed it (fingerprint of the station key).
    pub key_id: String,
    /// The GCM nonce.
    pub nonce: Vec<u8>,
    /// Ciphertext and tag.
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for SealedSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SealedSecrets(key {}, {} bytes)",
            self.key_id,
            self.ciphertext.len()
        )
    }
}

/// What a successful attempt produced, recorded with the transition to `unassigned`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttemptSuccess {
    /// Chip serial/GUID (None when encoding is off).
    pub chip_id: Option<String>,
    /// SHA-256 fingerprints (hex) of the certificates written.
    pub certificate_fingerprints: Vec<String>,
    /// Sealed initial PIN/PUK, when the card was encoded.
    pub secrets: Option<SealedSecrets>,
}

/// How an order's own cards ended in it, whatever happened to them later.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderOutcome {
    /// Produced in this order (a succeeded attempt of the order).
    pub produced: u64,
    /// Still `failed` in the open order.
    pub failed: u64,
    /// Waiting for production (in the open order, no attempt in flight).
    pub waiting: u64,
    /// Being produced right now.
    pub in_production: u64,
    /// Left the order unproduced when it was cancelled.
    pub cancelled: u64,
    /// Left the order unproduced (failed, not repeated) when it was completed.
    pub released: u64,
}

impl OrderOutcome {
    /// Every card the order ever held.
    pub fn total(&self) -> u64 {
        self.produced
            + self.failed
            + self.waiting
            + self.in_production
            + self.cancelled
            + self.released
    }
}

/// A failed card of an order and where it failed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CardFailure {
    /// The card number.
    pub card: String,
    /// The station of its last failed attempt.
    pub station: String,
    /// The step that failed (`encode`, `print` ...), when journaled.
    pub step: Option<String>,
    /// Why.
    pub reason: String,
    /// When the attempt ended.
    pub at: Option<String>,
}

/// Extra data of a lifecycle event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventDetail {
    /// Operator's reason text.
    pub reason: Option<String>,
    /// For `Assign`: the person.
    pub assigned_to: Option<String>,
    /// For `Assign`: end of validity (RFC 3339).
    pub valid_until: Option<String>,
}
