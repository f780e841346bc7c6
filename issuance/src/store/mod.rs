//! The durable store of cards, orders, production attempts, secrets and the audit log.
//!
//! [`Store`] is the seam; [`sqlite::SqliteStore`] is the embedded default. Every state change
//! is one transaction together with its audit entry, committed before the call returns, so a
//! caller may report the physical step it guards as done only after the call succeeded.
//! A PostgreSQL implementation can follow without changing callers: nothing here names SQLite.

use crate::model::*;

/// One record of an attempt's production journal (see [`Store::journal`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JournalRecord<'a> {
    /// The intent of a physical step, committed before doing it.
    StepStarted(ProductionStep),
    /// The outcome of the latest unfinished step of that kind: `None` = ok, `Some(reason)`.
    StepFinished(ProductionStep, Option<&'a str>),
    /// The chip serial or planned GUID, as soon as it is known (so recovery can find the chip).
    Chip(&'a str),
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

/// Errors of the store. Each says what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No card with this number.
    #[error("no card numbered `{0}` (list cards with `cardline cards list`)")]
    CardNotFound(String),
    /// No order with this id.
    #[error("no order {0} (list orders with `cardline order list`)")]
    OrderNotFound(OrderId),
    /// No attempt with this id.
    #[error("no production attempt {0}")]
    AttemptNotFound(AttemptId),
    /// A transition the lifecycle does not allow.
    #[error(transparent)]
    Transition(#[from] crate::lifecycle::TransitionError),
    /// The order is not in a state that allows the operation.
    #[error("order {id} is {state}: {what}")]
    OrderState {
        /// The order.
        id: OrderId,
        /// Its state name.
        state: String,
        /// What was refused and why.
        what: String,
    },
    /// Another process took the card first, or a selected card is not available.
    #[error("card `{number}` cannot be taken into an order: {why}")]
    NotSelectable {
        /// The card.
        number: String,
        /// Why (state, already in order N).
        why: String,
    },
    /// The selection matched no card.
    #[error(
        "no requested card to put in an order (request some with `cardline request --count N`)"
    )]
    NothingToOrder,
    /// The database is newer than this program.
    #[error(
        "database schema version {found} is newer than this cardline ({supported}); upgrade cardline"
    )]
    SchemaTooNew {
        /// Version in the file.
        found: i64,
        /// Highest version this build knows.
        supported: i64,
    },
    /// The numbering scheme cannot give the numbers asked for.
    #[error(transparent)]
    Numbering(#[from] crate::numbering::NumberingError),
    /// The production attempt is already closed; it cannot be closed again.
    #[error("production attempt {id} is already closed ({status})")]
    AttemptClosed {
        /// The attempt.
        id: AttemptId,
        /// Its status name.
        status: String,
    },
    /// A value that must be an RFC 3339 time is not one.
    #[error("{field} `{value}` is not an RFC 3339 time (e.g. 2026-12-01T12:00:00Z)")]
    InvalidTime {
        /// Which value.
        field: String,
        /// What was given.
        value: String,
    },
    /// The event belongs to an order or production operation, not to `apply_event`.
    #[error("card `{number}`: {event:?} happens through {through}, not on its own")]
    NotADirectEvent {
        /// The card.
        number: String,
        /// The event.
        event: CardEvent,
        /// The operation that performs it.
        through: String,
    },
    /// The event needs a detail that was not given.
    #[error("card `{number}`: {what} is required")]
    MissingDetail {
        /// The card.
        number: String,
        /// What is missing (e.g. "the person to assign to").
        what: String,
    },
    /// Any SQLite/PostgreSQL failure, with the operation that failed.
    #[error("store error while {operation}: {detail}")]
    Backend {
        /// What was being done.
        operation: String,
        /// The database's message.
        detail: String,
    },
}

/// The issuance store. Implementations must be safe to use from several threads and several
/// processes at once (an order claims its cards atomically; a card is in at most one open order).
pub trait Store: Send + Sync {
    // ----- cards -----
    /// Creates `count` card records in `requested`, numbered by the numbering scheme, in one
    /// transaction. Returns the created cards.
    fn request_cards(
        &self,
        count: u32,
        numbering: &crate::numbering::Numbering,
        actor: &Actor,
    ) -> Result<Vec<Card>, StoreError>;
    /// One card by number.
    fn card(&self, number: &str) -> Result<Card, StoreError>;
    /// Cards matching a filter, oldest first.
    fn list_cards(&self, filter: &CardFilter) -> Result<Vec<Card>, StoreError>;
    /// Counts of cards per state (states with no card omitted).
    fn count_by_state(
        &self,
        order_id: Option<OrderId>,
    ) -> Result<Vec<(CardState, u64)>, StoreError>;
    /// Applies a lifecycle event to a card (assign, withdraw, lock ...) with its audit entry.
    /// `assigned_to` and `valid_until` are set for `Assign`.
    fn apply_event(
        &self,
        number: &str,
        event: CardEvent,
        detail: &EventDetail,
        actor: &Actor,
    ) -> Result<Card, StoreError>;
    /// Moves every `assigned` card whose validity ended before `now` (RFC 3339) to `expired`.
    fn expire_due(&self, now: &str, actor: &Actor) -> Result<Vec<Card>, StoreError>;

    // ----- orders -----
    /// Creates an order claiming the selected `requested` cards atomically (→ `in_production`).
    fn create_order(&self, selection: &OrderSelection, actor: &Actor) -> Result<Order, StoreError>;
    /// One order with its cards.
    fn order(&self, id: OrderId) -> Result<Order, StoreError>;
    /// All orders, newest first, without their cards (`cards` empty).
    fn list_orders(&self) -> Result<Vec<Order>, StoreError>;
    /// Cancels an open order: cards not produced (`in_production` without an attempt in
    /// flight, or `failed`) return to `requested`; the order is closed. Refused while an attempt
    /// is in flight (production must stop first).
    fn cancel_order(&self, id: OrderId, actor: &Actor) -> Result<Order, StoreError>;
    /// Completes an open order: refused while any card is `in_production`; `failed` cards are
    /// released to `requested`; produced cards leave the order.
    fn complete_order(&self, id: OrderId, actor: &Actor) -> Result<Order, StoreError>;
    /// Selects the order's `failed` cards and the `misprinted` (produced, `unassigned`) ones for
    /// a new run (→ `in_production`); a misprinted card's successful attempt is marked void.
    fn repeat_order(
        &self,
        id: OrderId,
        misprinted: &[String],
        actor: &Actor,
    ) -> Result<Vec<Card>, StoreError>;

    // ----- production journal -----
    /// Atomically takes the next card of the order that is `in_production` and has no
    /// attempt in flight, and opens an attempt for it on `station`. `None` when no card waits.
    fn begin_attempt(
        &self,
        order_id: OrderId,
        station: &str,
        actor: &Actor,
    ) -> Result<Option<(Card, AttemptId)>, StoreError>;
    /// Commits `records` of one attempt in one transaction, in order. Production commits a
    /// step's outcome together with the next step's intent (nothing physical happens between
    /// them): one synced commit instead of two.
    fn journal(&self, attempt: AttemptId, records: &[JournalRecord<'_>]) -> Result<(), StoreError>;
    /// Commits the intent of a physical step (before doing it).
    fn step_started(&self, attempt: AttemptId, step: ProductionStep) -> Result<(), StoreError> {
        self.journal(attempt, &[JournalRecord::StepStarted(step)])
    }
    /// Commits the outcome of a physical step (`None` = ok, `Some(reason)` = failed).
    fn step_finished(
        &self,
        attempt: AttemptId,
        step: ProductionStep,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.journal(attempt, &[JournalRecord::StepFinished(step, error)])
    }
    /// Records the chip serial as soon as it is known (so recovery can find the chip).
    fn set_attempt_chip(&self, attempt: AttemptId, chip_id: &str) -> Result<(), StoreError> {
        self.journal(attempt, &[JournalRecord::Chip(chip_id)])
    }
    /// Closes the attempt as succeeded and moves the card to `unassigned`, in one transaction.
    fn attempt_succeeded(
        &self,
        attempt: AttemptId,
        success: &AttemptSuccess,
        actor: &Actor,
    ) -> Result<Card, StoreError>;
    /// Closes the attempt as failed and moves the card to `failed` with the reason.
    fn attempt_failed(
        &self,
        attempt: AttemptId,
        reason: &str,
        actor: &Actor,
    ) -> Result<Card, StoreError>;
    /// Closes an in-flight attempt as void (crash recovery: card rejected) and leaves the card
    /// `in_production` so it is produced again.
    fn attempt_voided(
        &self,
        attempt: AttemptId,
        reason: &str,
        actor: &Actor,
    ) -> Result<Card, StoreError>;
    /// Attempts still in flight (a process died during them), oldest first.
    fn in_flight_attempts(&self) -> Result<Vec<Attempt>, StoreError>;
    /// All attempts of a card, oldest first, with their steps.
    fn attempts_of_card(&self, number: &str) -> Result<Vec<Attempt>, StoreError>;

    // ----- secrets -----
    /// The sealed initial PIN/PUK of a card, if it was encoded.
    fn card_secrets(&self, number: &str) -> Result<Option<SealedSecrets>, StoreError>;

    // ----- audit -----
    /// Appends a free-form audit entry (e.g. `secrets.reveal`, `ca.init`).
    fn audit_note(
        &self,
        action: &str,
        card_number: Option<&str>,
        order_id: Option<OrderId>,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), StoreError>;
    /// Reads the audit log.
    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError>;
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
