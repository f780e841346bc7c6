//! The domain model of temporary card issuance: cards, orders, production attempts, and the
//! names of their states. The transition rules live in [`crate::lifecycle`], in one place.

use serde::{Deserialize, Serialize};

/// Database id of a card record.
pub type CardId = i64;
/// Database id (and operator-facing number) of a batch order.
pub type OrderId = i64;
/// Database id of one physical production attempt.
pub type AttemptId = i64;
/// Database id of one production run (a process producing on its stations).
pub type RunId = i64;

/// The state of a temporary card record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CardState {
    /// Requested, not yet in any order.
    #[default]
    Requested,
    /// In an open batch order, waiting for or going through production.
    InProduction,
    /// Produced (encoded and printed), in stock, not yet given to anyone.
    Unassigned,
    /// Production failed; the physical card went to the reject box. Repeat production or
    /// release it back to `requested` when the order completes.
    Failed,
    /// Given to a person until its validity ends.
    Assigned,
    /// Locked for good (lost, stolen, destroyed). Final.
    Locked,
    /// Validity ended while assigned. Final.
    Expired,
}

impl CardState {
    /// All states, for exhaustive tests and help texts.
    pub const ALL: [CardState; 7] = [
        CardState::Requested,
        CardState::InProduction,
        CardState::Unassigned,
        CardState::Failed,
        CardState::Assigned,
        CardState::Locked,
        CardState::Expired,
    ];
    /// The stable lower-case name (`in_production`).
    pub fn as_str(self) -> &'static str {
        match self {
            CardState::Requested => "requested",
            CardState::InProduction => "in_production",
            CardState::Unassigned => "unassigned",
            CardState::Failed => "failed",
            CardState::Assigned => "assigned",
            CardState::Locked => "locked",
            CardState::Expired => "expired",
        }
    }
    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<CardState> {
        CardState::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl std::fmt::Display for CardState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What can happen to a card. Every (state, event) pair is either a transition in
/// [`crate::lifecycle::next_state`] or a typed error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardEvent {
    /// A batch order claims the card (`requested` → `in_production`).
    AddToOrder,
    /// The order is cancelled before the card was produced (`in_production` → `requested`).
    CancelFromOrder,
    /// Production finished and verified (`in_production` → `unassigned`).
    Produced,
    /// Production failed, card rejected (`in_production` → `failed`).
    ProductionFailed,
    /// Repeat production of a failed card, or of an `unassigned` card flagged as misprinted
    /// (→ `in_production`).
    Repeat,
    /// Order completed with the card still failed: the request goes back (`failed` → `requested`).
    Release,
    /// Given to a person (`unassigned` → `assigned`).
    Assign,
    /// Taken back from the person (`assigned` → `unassigned`).
    Withdraw,
    /// Locked for good (`unassigned`/`assigned` → `locked`).
    Lock,
    /// Validity ended (`assigned` → `expired`).
    Expire,
}

impl CardEvent {
    /// All events, for exhaustive tests.
    pub const ALL: [CardEvent; 10] = [
        CardEvent::AddToOrder,
        CardEvent::CancelFromOrder,
        CardEvent::Produced,
        CardEvent::ProductionFailed,
        CardEvent::Repeat,
        CardEvent::Release,
        CardEvent::Assign,
        CardEvent::Withdraw,
        CardEvent::Lock,
        CardEvent::Expire,
    ];
}

/// A temporary card record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Card {
    /// Database id.
    pub id: CardId,
    /// The card number printed on the card (prefix + sequence + check digit).
    pub number: String,
    /// Current state.
    pub state: CardState,
    /// The open order holding the card, if any.
    pub order_id: Option<OrderId>,
    /// The person the card is assigned to.
    pub assigned_to: Option<String>,
    /// End of validity (RFC 3339, UTC) once assigned.
    pub valid_until: Option<String>,
    /// Why the last production failed, while `failed`.
    pub failure_reason: Option<String>,
    /// The chip serial/GUID of the produced card, once produced.
    pub chip_id: Option<String>,
    /// When the record was created (RFC 3339, UTC).
    pub created_at: String,
    /// When the state last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Who asked for the card, where and why.
    #[serde(flatten)]
    pub request: RequestInfo,
    /// The order whose production made the current physical card; it stays when the order
    /// is completed (the card no longer belongs to an open order, but was made in this one).
    pub produced_in_order: Option<OrderId>,
}

impl Card {
    /// The order shown for the card: its open order, else the order that produced it.
    pub fn shown_order(&self) -> Option<OrderId> {
        self.order_id.or(self.produced_in_order)
    }
}

/// What a request says about the card: who asked, for which desk or site, why, a note, and
/// when it was asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestInfo {
    /// Who asked for the card (a person or a system).
    pub requester: Option<String>,
    /// The desk or site the card is for.
    pub desk: Option<String>,
    /// Why it is needed (visitor, contractor ...).
    pub purpose: Option<String>,
    /// A free note.
    pub note: Option<String>,
    /// When it was requested (RFC 3339, UTC; the record's creation unless imported with its
    /// own date).
    pub requested_at: String,
}

/// The state of a batch order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Created; production may run (and run again for repeats).
    Open,
    /// The operator confirmed the order. Closed.
    Completed,
    /// Cancelled. Closed.
    Cancelled,
}

impl OrderState {
    /// The stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Open => "open",
            OrderState::Completed => "completed",
            OrderState::Cancelled => "cancelled",
        }
    }
}

/// A batch order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Order {
    /// Order id.
    pub id: OrderId,
    /// State.
    pub state: OrderState,
    /// Who created it.
    pub created_by: String,
    /// When (RFC 3339, UTC).
    pub created_at: String,
    /// When it was completed or cancelled.
    pub closed_at: Option<String>,
    /// The option profile it is produced with (`None`: the default profile).
    pub profile: Option<String>,
    /// When it was released to the desks (`order release`), if it was: desk daemons produce
    /// only released orders.
    #[serde(default)]
    pub released_at: Option<String>,
    /// Who released it.
    #[serde(default)]
    pub released_by: Option<String>,
    /// The cards of the order, in production order.
    pub cards: Vec<Card>,
}

/// Which requested cards a new order takes (the operator's check boxes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderSelection {
    /// Every requested card.
    All,
    /// Exactly the first N requested cards, oldest first; refused when fewer are requested.
    First(u32),
    /// The first N requested cards, or all of them when fewer are requested.
    AtMost(u32),
    /// These card numbers (each must be `requested` and in no open order).
    Numbers(Vec<String>),
    /// The requested cards matching a search ([`crate::search::CardQuery`]; its state filter
    /// is always `requested`), oldest request first; with `first`, only that many, refused
    /// when fewer match unless `allow_fewer`.
    Matching {
        /// The filters.
        query: Box<crate::search::CardQuery>,
        /// At most this many.
        first: Option<u32>,
        /// Take fewer than `first` when fewer match.
        allow_fewer: bool,
    },
}

/// A physical step of one production attempt, journaled as intent then outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProductionStep {
    /// Feed a blank and park it at the contact station.
    Feed,
    /// Encode and verify the chip.
    Encode,
    /// Print the card face.
    Print,
    /// Eject to the output hopper.
    Eject,
    /// Move to the reject box.
    Reject,
}

impl ProductionStep {
    /// The stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductionStep::Feed => "feed",
            ProductionStep::Encode => "encode",
            ProductionStep::Print => "print",
            ProductionStep::Eject => "eject",
            ProductionStep::Reject => "reject",
        }
    }
}

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    /// Still going (or the process died: recovery settles it).
    InFlight,
    /// Card produced and ejected.
    Succeeded,
    /// Card rejected; the card record went to `failed`.
    Failed,
    /// The physical card does not count (misprint flagged by the operator, or settled by
    /// recovery as rejected).
    Void,
}

/// One journaled step of an attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepRecord {
    /// The step.
    pub step: ProductionStep,
    /// When the intent was committed (RFC 3339).
    pub started_at: String,
    /// When the outcome was committed; `None` while the step is in flight.
    pub finished_at: Option<String>,
    /// `ok`, or the error text.
    pub outcome: Option<String>,
}

/// One physical production attempt of a card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attempt {
    /// Attempt id.
    pub id: AttemptId,
    /// The card record.
    pub card_id: CardId,
    /// The card number.
    pub card_number: String,
    /// The order.
    pub order_id: OrderId,
    /// The station that held the physical card.
    pub station: String,
    /// The production run that owned the attempt (`None` for attempts older than runs).
    pub run_id: Option<RunId>,
    /// Status.
    pub status: AttemptStatus,
    /// The chip serial/GUID, once read.
    pub chip_id: Option<String>,
    /// Failure or void reason.
    pub reason: Option<String>,
    /// The keys it used, by key id ([`crate::store::AttemptKeys::to_text`]); `None` when it
    /// encoded nothing (or predates key ids).
    pub key_ids: Option<String>,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// When it ended.
    pub finished_at: Option<String>,
    /// The journaled steps, in order.
    pub steps: Vec<StepRecord>,
}

/// One append-only audit log entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Sequence number.
    pub id: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The operator (or `system` for sweeps and recovery).
    pub operator: String,
    /// What happened (`card.transition`, `order.create`, `secrets.reveal`, ...).
    pub action: String,
    /// The card concerned.
    pub card_number: Option<String>,
    /// The order concerned.
    pub order_id: Option<OrderId>,
    /// State before, for transitions.
    pub from_state: Option<String>,
    /// State after, for transitions.
    pub to_state: Option<String>,
    /// Why (operator text, failure reason).
    pub reason: Option<String>,
    /// The OS user of the process, recorded when the operator named someone else
    /// (`--operator`); `None` when they are the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_user: Option<String>,
    /// The writer (host, or host/desk) whose audit chain holds the entry (`None` before v5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writer: Option<String>,
    /// The entry's sequence number in its writer's chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
}

/// One production run: a process driving stations (`order produce`, `encode`, a desk).
/// Attempts belong to a run; recovery settles only attempts whose run is provably gone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Run {
    /// Run id.
    pub id: RunId,
    /// What kind of process (`produce`, `encode`, `recover`, `desk`).
    pub kind: String,
    /// The host it runs on.
    pub host: String,
    /// Its process id on that host.
    pub pid: u32,
    /// The process's start time (clock ticks since boot, `/proc/PID/stat`), so a reused pid is
    /// not mistaken for the run's process.
    pub pid_started: Option<u64>,
    /// Who started it.
    pub operator: String,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// The desk it is (`desk run --desk NAME`), for desk daemons.
    #[serde(default)]
    pub desk: Option<String>,
    /// Until when its lease holds unless renewed (RFC 3339, the store's clock).
    pub lease_until: String,
    /// True when the lease had run out when this record was read (the store's clock).
    pub lease_expired: bool,
    /// When it ended, if it did.
    pub ended_at: Option<String>,
}

/// A station held by a run (one run drives a station at a time).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StationClaim {
    /// The station.
    pub station: String,
    /// The run holding it.
    pub run: RunId,
    /// Since when (RFC 3339).
    pub claimed_at: String,
    /// What the station's printer last reported (ribbon, cover, feeder, errors), read by the
    /// desk at start, between cards and while paused; `null` until it was read.
    #[serde(default)]
    pub printer: Option<crate::printer_report::PrinterReport>,
}

/// A station paused until an operator resumes it (the breaker, or a setup problem).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StationPause {
    /// The station.
    pub station: String,
    /// What the operator must check or fix.
    pub reason: String,
    /// When it paused (RFC 3339).
    pub paused_at: String,
    /// The run that paused it.
    pub run_id: Option<RunId>,
}
