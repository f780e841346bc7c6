//! The store's interfaces, one per consumer. [`Store`] is all of them.

use std::time::Duration;

use super::*;
use crate::ca::IssuedRecord;

/// Cards: requests, lookups, the events of a produced card's life, sealed secrets.
pub trait CardStore: Send + Sync {
    /// Creates one card record in `requested` per row (who asked, for which desk, why),
    /// numbered by the numbering scheme, all in one transaction: all or none. Rows are checked
    /// ([`RequestData::normalised`](crate::requests::RequestData::normalised)) first.
    fn request_cards_with(
        &self,
        rows: &[crate::requests::RequestData],
        numbering: &crate::numbering::Numbering,
        actor: &Actor,
    ) -> Result<Vec<Card>, StoreError>;
    /// Creates `count` card records in `requested` that say nothing more.
    fn request_cards(
        &self,
        count: u32,
        numbering: &crate::numbering::Numbering,
        actor: &Actor,
    ) -> Result<Vec<Card>, StoreError> {
        let rows = vec![crate::requests::RequestData::default(); count as usize];
        self.request_cards_with(&rows, numbering, actor)
    }
    /// One card by number.
    fn card(&self, number: &str) -> Result<Card, StoreError>;
    /// Cards matching a filter, oldest first.
    fn list_cards(&self, filter: &CardFilter) -> Result<Vec<Card>, StoreError>;
    /// The numbering schemes cards were made with: each prefix and its numbers' length.
    fn numbering_schemes(&self) -> Result<Vec<crate::numbering::SchemeInUse>, StoreError>;
    /// One page of the cards matching `query`, with the total count and the next page's
    /// cursor ([`crate::search`]).
    fn search_cards(
        &self,
        query: &crate::search::CardQuery,
        page: &crate::search::Page,
    ) -> Result<crate::search::CardPage, StoreError>;
    /// Counts of cards per state (states with no card omitted), overall or of one order's
    /// cards.
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
    /// The cards [`expire_due`](Self::expire_due) would expire; nothing changes.
    fn preview_expire(&self, now: &str, actor: &Actor) -> Result<Vec<Card>, StoreError>;
    /// All attempts of a card, oldest first, with their steps.
    fn attempts_of_card(&self, number: &str) -> Result<Vec<Attempt>, StoreError>;
    /// The sealed initial PIN/PUK of a card, if it was encoded.
    fn card_secrets(&self, number: &str) -> Result<Option<SealedSecrets>, StoreError>;
}

/// Batch orders. The rules of cancel, complete and repeat are [`crate::order_rules`].
pub trait OrderStore: Send + Sync {
    /// Creates an order claiming the selected `requested` cards atomically (→ `in_production`).
    fn create_order(&self, selection: &OrderSelection, actor: &Actor) -> Result<Order, StoreError> {
        self.create_order_with(selection, None, actor)
    }
    /// Creates an order like [`create_order`](Self::create_order), produced with the option
    /// profile `profile` (recorded on the order; the default profile when `None`).
    fn create_order_with(
        &self,
        selection: &OrderSelection,
        profile: Option<&str>,
        actor: &Actor,
    ) -> Result<Order, StoreError>;
    /// The cards an order created with `selection` would take now, in order; nothing changes
    /// (a dry run).
    fn preview_order(&self, selection: &OrderSelection) -> Result<Vec<Card>, StoreError>;
    /// What completing the order would do (the order as it would be), or why it is refused;
    /// nothing changes.
    fn preview_complete(&self, id: OrderId, actor: &Actor) -> Result<Order, StoreError>;
    /// The cards repeating the order would select, or why it is refused; nothing changes.
    fn preview_repeat(
        &self,
        id: OrderId,
        misprinted: &[String],
        actor: &Actor,
    ) -> Result<Vec<Card>, StoreError>;
    /// How the order's own cards ended in it ([`OrderOutcome`]).
    /// Read from per-order counters that the transactions moving a card keep: a few rows
    /// whatever the order's size.
    fn order_outcome(&self, id: OrderId) -> Result<OrderOutcome, StoreError>;
    /// The same outcome counted from every card of the order and its attempts (O(order
    /// size)): the check that the counters of [`Store::order_outcome`] equal a recount.
    fn recount_order_outcome(&self, id: OrderId) -> Result<OrderOutcome, StoreError>;
    /// The order's cards that are `failed` in it, each with the station, step and reason of
    /// its last failed attempt.
    fn order_failures(&self, id: OrderId) -> Result<Vec<CardFailure>, StoreError>;
    /// One order with its cards.
    fn order(&self, id: OrderId) -> Result<Order, StoreError>;
    /// All orders, newest first, without their cards (`cards` empty).
    fn list_orders(&self) -> Result<Vec<Order>, StoreError>;
    /// One order without its cards (`cards` is empty): cheap for large orders.
    fn order_header(&self, id: OrderId) -> Result<Order, StoreError>;
    /// One order with `limit` of its cards from the `offset`-th on (0: the first) in
    /// production order — a page of the console's order page — and how many cards it has in
    /// all. Backends read only that page (the default loads the whole order).
    fn order_cards_page(
        &self,
        id: OrderId,
        offset: usize,
        limit: usize,
    ) -> Result<(Order, u64), StoreError> {
        let mut order = self.order(id)?;
        let total = order.cards.len() as u64;
        order.cards = order.cards.into_iter().skip(offset).take(limit).collect();
        Ok((order, total))
    }
    /// Cancels an open order ([`crate::order_rules::cancel`]).
    fn cancel_order(&self, id: OrderId, actor: &Actor) -> Result<Order, StoreError>;
    /// Releases an open order to the desk daemons (`order release`): any desk may now take
    /// its waiting cards. Refused when the order is closed or already released (naming who
    /// released it and when). Audited `order.release`.
    fn release_order(&self, id: OrderId, actor: &Actor) -> Result<Order, StoreError>;
    /// Completes an open order ([`crate::order_rules::complete`]).
    fn complete_order(&self, id: OrderId, actor: &Actor) -> Result<Order, StoreError>;
    /// Selects the order's failed and misprinted cards for a new run
    /// ([`crate::order_rules::repeat`]).
    fn repeat_order(
        &self,
        id: OrderId,
        misprinted: &[String],
        actor: &Actor,
    ) -> Result<Vec<Card>, StoreError>;
}

/// What the production orchestrator and crash recovery use: runs with leases, station claims
/// and pauses, attempts and their journal.
pub trait ProductionJournal: Send + Sync {
    /// Registers a run (this process) with a lease of `lease` from now (the store's clock).
    fn start_run(&self, start: &ownership::RunStart, actor: &Actor) -> Result<Run, StoreError>;
    /// Renews a live run's lease (the heartbeat). Refused when the run has ended.
    fn renew_lease(&self, run: RunId, lease: Duration) -> Result<(), StoreError>;
    /// Ends a run: it releases its station claims and may not write any more.
    fn end_run(&self, run: RunId) -> Result<(), StoreError>;
    /// One run, with whether its lease has run out by the store's clock.
    fn run(&self, id: RunId) -> Result<Run, StoreError>;
    /// Claims `station` for `run`. When another run holds it: `Ok(Err(owner))`, unless
    /// `take_over_from` names that run (then the claim moves to `run`; use it only when the
    /// owner is provably gone, see [`ownership::claim_station`]).
    fn claim_station(
        &self,
        run: RunId,
        station: &str,
        take_over_from: Option<RunId>,
        actor: &Actor,
    ) -> Result<Result<(), Run>, StoreError>;
    /// Releases a station claim held by `run` (nothing when it does not hold it).
    fn release_station(&self, run: RunId, station: &str) -> Result<(), StoreError>;
    /// The run holding `station`, if any.
    fn station_owner(&self, station: &str) -> Result<Option<Run>, StoreError>;
    /// Pauses `station` until an operator resumes it (audited).
    fn pause_station(
        &self,
        station: &str,
        reason: &str,
        run: Option<RunId>,
        actor: &Actor,
    ) -> Result<(), StoreError>;
    /// The pause of a station, if it is paused.
    fn station_pause(&self, station: &str) -> Result<Option<StationPause>, StoreError>;
    /// Every paused station.
    fn station_pauses(&self) -> Result<Vec<StationPause>, StoreError>;
    /// Resumes a paused station (audited); `false` when it was not paused.
    fn resume_station(&self, station: &str, actor: &Actor) -> Result<bool, StoreError>;

    /// Atomically takes the next card of the order that is `in_production` and has no
    /// attempt in flight, and opens an attempt for it on `station` owned by `run`. `None` when
    /// no card waits. Refused unless `run` is live and holds `station` (fencing).
    fn begin_attempt(
        &self,
        run: RunId,
        order_id: OrderId,
        station: &str,
        actor: &Actor,
    ) -> Result<Option<(Card, AttemptId)>, StoreError>;
    /// Like [`begin_attempt`](Self::begin_attempt) but for one given card of the order (an
    /// encode-only station personalises the card the operator names). `None` when that card is
    /// not waiting.
    fn begin_attempt_for(
        &self,
        run: RunId,
        order_id: OrderId,
        card_number: &str,
        station: &str,
        actor: &Actor,
    ) -> Result<Option<(Card, AttemptId)>, StoreError>;
    /// Like [`begin_attempt`](Self::begin_attempt), for a desk: the next waiting card of the
    /// oldest open order released to the desks, skipping the orders in `skip` (this station
    /// cannot produce them). Any number of desks may call it at once; each card goes to one.
    fn begin_released_attempt(
        &self,
        run: RunId,
        station: &str,
        skip: &[OrderId],
        actor: &Actor,
    ) -> Result<Option<(Card, AttemptId)>, StoreError>;
    /// [`begin_released_attempt`](Self::begin_released_attempt) for each of `stations` of
    /// `run` (skipping no order), in one transaction where the store can: the stations of a
    /// desk that all wake for a release claim together. One entry per station, in order;
    /// an error claims nothing (the default, one station after the other, keeps the claims
    /// made before the error: a store whose claims can be grouped overrides it).
    fn begin_released_attempts(
        &self,
        run: RunId,
        stations: &[&str],
        actor: &Actor,
    ) -> Result<Vec<Option<(Card, AttemptId)>>, StoreError> {
        stations
            .iter()
            .map(|s| self.begin_released_attempt(run, s, &[], actor))
            .collect()
    }
    /// Open orders released to the desks, oldest first.
    fn released_orders(&self) -> Result<Vec<OrderId>, StoreError>;
    /// Voids every in-flight attempt whose run ended or let its lease run out *before the
    /// attempt started any physical step*: its card never left the store, so it waits again
    /// (audited `attempt.requeue`). Attempts that touched a card are left for the recovery of
    /// the desk that holds it. Returns the requeued attempts.
    fn requeue_untouched(&self, actor: &Actor) -> Result<Vec<Attempt>, StoreError>;
    /// Runs, newest first: those not ended (live, or dead and not yet cleared), or all.
    fn runs(&self, include_ended: bool) -> Result<Vec<Run>, StoreError>;
    /// Every station claim.
    fn station_claims(&self) -> Result<Vec<StationClaim>, StoreError>;
    /// Records what `station`'s printer reported on its claim row, when `run` holds the
    /// station; `false` (nothing written) when it does not. Not audited: a reading, not an
    /// action. A new claim (or a take-over) starts without a report.
    fn report_printer(
        &self,
        run: RunId,
        station: &str,
        report: &crate::printer_report::PrinterReport,
    ) -> Result<bool, StoreError>;
    /// Readies the store for `writers` threads writing at once (a desk's stations and its
    /// housekeeping): a backend with a connection pool opens that many connections now, so
    /// that the stations' first claims after a release do not queue for connections being
    /// opened one after the other (TLS and password authentication each). The default does
    /// nothing (one SQLite file needs no connections opened ahead).
    fn prepare_writers(&self, writers: usize) {
        let _ = writers;
    }
    /// Blocks until work may have arrived for the desks (an order released, a card put back)
    /// or `timeout` passed. Backends that can be told (PostgreSQL LISTEN/NOTIFY) wake at once;
    /// the default polls by sleeping.
    fn wait_for_work(&self, timeout: Duration) {
        std::thread::sleep(timeout);
    }
    /// Commits `records` of one attempt in one transaction, in order. Production commits a
    /// step's outcome together with the next step's intent (nothing physical happens between
    /// them): one synced commit instead of two.
    fn journal(&self, attempt: AttemptId, records: &[JournalRecord<'_>]) -> Result<(), StoreError>;
    /// Registers `key_id` as the office's key of `kind` ([`AttemptKeys::MANAGEMENT_MASTER`])
    /// when the database has none yet (audited `key.register`, no card), or checks it against
    /// the registered one ([`StoreError::KeyReplaced`] when they differ). A desk calls it when
    /// it starts: a replaced key is refused before any card is claimed, and the first attempts
    /// after a release never wait on each other to register it. True when this call
    /// registered it.
    fn register_key(&self, kind: &str, key_id: &str, actor: &Actor) -> Result<bool, StoreError>;
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
    /// Commits the last `records` of the attempt (the eject's outcome) and closes it as
    /// succeeded, in one transaction: production's last physical step is done, so nothing
    /// happens between the two, and a card costs one synced commit fewer. A crash before the
    /// commit leaves the eject journaled as started, exactly as a crash during the eject. The
    /// default commits them one after the other.
    fn journal_and_succeed(
        &self,
        attempt: AttemptId,
        records: &[JournalRecord<'_>],
        success: &AttemptSuccess,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        if !records.is_empty() {
            self.journal(attempt, records)?;
        }
        self.attempt_succeeded(attempt, success, actor)
    }
    /// Closes the attempt as failed and moves the card to `failed` with the reason.
    fn attempt_failed(
        &self,
        attempt: AttemptId,
        reason: &str,
        actor: &Actor,
    ) -> Result<Card, StoreError>;
    /// Closes an in-flight attempt as void (the physical card does not count: rejected, lost)
    /// and leaves the card `in_production` so it is produced again (audited `attempt.void`).
    fn attempt_voided(
        &self,
        attempt: AttemptId,
        reason: &str,
        actor: &Actor,
    ) -> Result<Card, StoreError>;
    /// Voids an attempt whose physical card cannot be found (its station was renamed or
    /// removed after a crash): audited as `attempt.lost`; the card waits for a new blank.
    fn attempt_lost(
        &self,
        attempt: AttemptId,
        reason: &str,
        actor: &Actor,
    ) -> Result<Card, StoreError>;
    /// The card of an attempt, as it is now.
    fn card_of_attempt(&self, attempt: AttemptId) -> Result<Card, StoreError>;
    /// Attempts still in flight (their run is producing, or died), oldest first.
    fn in_flight_attempts(&self) -> Result<Vec<Attempt>, StoreError>;
    /// Cards of an open order waiting for production: `in_production` with no attempt in
    /// flight.
    fn waiting_cards(&self, order_id: OrderId) -> Result<u64, StoreError>;
    /// The state of an order (to stop producing a closed one).
    fn order_state(&self, id: OrderId) -> Result<OrderState, StoreError>;
    /// A cheap mark of the newest change to production and orders (attempts begun and ended,
    /// steps journaled, stations paused or resumed, anything audited), for a watcher that
    /// polls often: it differs whenever one of these changed. `None` when the backend has no
    /// cheap mark (the watcher then re-reads what it shows).
    fn change_mark(&self) -> Result<Option<ChangeMark>, StoreError> {
        Ok(None)
    }
}

/// What [`ProductionJournal::change_mark`] returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeMark {
    /// Opaque: equal marks mean nothing changed.
    pub mark: String,
    /// The store time (RFC 3339) of the newest change the mark covers.
    pub at: String,
}

/// The audit log.
pub trait AuditLog: Send + Sync {
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
    /// Seals every audit entry this handle writes from now on with `sealer` (its writer name,
    /// audit key and OS user). Without one, entries are chained but carry no MAC.
    fn set_audit_sealer(&self, sealer: crate::audit::AuditSealer);
    /// Every audit row with its chain fields, oldest first, and every writer's recorded head:
    /// what [`crate::audit::verify::verify`] checks and a checkpoint signs.
    fn audit_records(&self) -> Result<AuditRecords, StoreError>;
}

/// The raw audit chain of a store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditRecords {
    /// Every row, in row-id order.
    pub entries: Vec<crate::audit::StoredEntry>,
    /// The head each writer recorded.
    pub heads: Vec<crate::audit::WriterHead>,
}

/// The CA's issued-certificates index: a key is certified once, across every process and
/// host sharing the store.
pub trait CertificateIndex: Send + Sync {
    /// The record of the certificate issued for this key (SHA-256 of its SPKI), if any.
    fn issued_for_key(&self, spki_sha256: &str) -> Result<Option<IssuedRecord>, StoreError>;
    /// Records a newly issued certificate. When a record for the same key exists already (a
    /// race with another process), nothing is written and that record is returned.
    fn record_issued(&self, record: &IssuedRecord) -> Result<Option<IssuedRecord>, StoreError>;
    /// Every issued certificate, oldest first.
    fn issued_certificates(&self) -> Result<Vec<IssuedRecord>, StoreError>;
    /// How many certificates were issued.
    fn issued_count(&self) -> Result<u64, StoreError>;
    /// The certificates issued for one card (every chip it had), oldest first, with their
    /// revocation status.
    fn certificates_of_card(&self, card_number: &str) -> Result<Vec<IssuedRecord>, StoreError>;
    /// Records a desk CA certificate (nothing when its fingerprint is recorded already).
    fn record_desk_ca(&self, record: &crate::ca::DeskCaRecord) -> Result<(), StoreError>;
    /// Every desk CA certificate recorded, oldest first, with its revocation status.
    fn desk_cas(&self) -> Result<Vec<crate::ca::DeskCaRecord>, StoreError>;
    /// Revokes every CA certificate of `desk` not yet revoked, audited `ca.desk_revoke`, and
    /// returns them; [`StoreError::UnknownDeskCa`] when none is recorded,
    /// [`StoreError::DeskCaAlreadyRevoked`] when all are revoked already.
    fn revoke_desk_ca(
        &self,
        desk: &str,
        reason: crate::ca::revocation::RevocationReason,
        actor: &Actor,
    ) -> Result<Vec<crate::ca::DeskCaRecord>, StoreError>;
}

/// Named option profiles and their change log ([`crate::options::profiles`] holds the rules).
pub trait OptionProfileStore: Send + Sync {
    /// Every profile, by name.
    fn option_profiles(&self) -> Result<Vec<crate::options::profiles::ProfileRecord>, StoreError>;
    /// One profile.
    fn option_profile(
        &self,
        name: &str,
    ) -> Result<Option<crate::options::profiles::ProfileRecord>, StoreError>;
    /// Inserts or replaces profile `name` with `toml` (already validated), making it the
    /// default when `make_default`; logs `changes` and audits each as `options.change`, all in
    /// one transaction.
    fn save_option_profile(
        &self,
        name: &str,
        toml: &str,
        make_default: bool,
        changes: &[crate::options::profiles::Change],
        actor: &Actor,
    ) -> Result<crate::options::profiles::ProfileRecord, StoreError>;
    /// The change log, newest last: of one profile or all, the newest `limit` changes.
    fn option_log(
        &self,
        profile: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<crate::options::profiles::OptionChange>, StoreError>;
}

/// The whole store: every interface, one backend.
pub trait Store:
    CardStore
    + OrderStore
    + ProductionJournal
    + AuditLog
    + CertificateIndex
    + OptionProfileStore
    + super::users::UserStore
    + super::sessions::SessionStore
{
    /// This store as the production journal (for the orchestrator).
    fn as_journal(&self) -> &dyn ProductionJournal;
    /// This store as the CA's index.
    fn as_certificate_index(&self) -> &dyn CertificateIndex;
    /// A short description: backend and location (`sqlite:/home/.cardline/cardline.db`).
    fn describe(&self) -> String;
}
