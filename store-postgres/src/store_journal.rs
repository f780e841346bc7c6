//! [`ProductionJournal`] over the PostgreSQL modules: runs, station claims and pauses,
//! attempts and their journal, one short transaction per call.

use std::time::Duration;

use cardline_issuance::model::*;
use cardline_issuance::store::*;

use crate::{PostgresStore, desks, journal, runs};

impl ProductionJournal for PostgresStore {
    fn start_run(&self, start: &ownership::RunStart, actor: &Actor) -> Result<Run, StoreError> {
        self.journal_write("registering a production run", actor, |tx| {
            runs::start(tx, start)
        })
    }

    fn renew_lease(&self, run: RunId, lease: Duration) -> Result<(), StoreError> {
        self.journal_write("renewing a lease", &Actor::system(), |tx| {
            runs::renew(tx, run, lease)
        })
    }

    fn end_run(&self, run: RunId) -> Result<(), StoreError> {
        self.journal_write("ending a production run", &Actor::system(), |tx| {
            runs::end(tx, run)
        })
    }

    fn run(&self, id: RunId) -> Result<Run, StoreError> {
        self.journal_read("reading a production run", |tx| runs::get_one(tx, id))
    }

    fn claim_station(
        &self,
        run: RunId,
        station: &str,
        take_over_from: Option<RunId>,
        actor: &Actor,
    ) -> Result<Result<(), Run>, StoreError> {
        self.journal_write("claiming a station", actor, |tx| {
            runs::claim(tx, run, station, take_over_from)
        })
    }

    fn release_station(&self, run: RunId, station: &str) -> Result<(), StoreError> {
        self.journal_write("releasing a station", &Actor::system(), |tx| {
            runs::release(tx, run, station)
        })
    }

    fn station_owner(&self, station: &str) -> Result<Option<Run>, StoreError> {
        self.journal_read("reading a station claim", |tx| runs::owner(tx, station))
    }

    fn pause_station(
        &self,
        station: &str,
        reason: &str,
        run: Option<RunId>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        self.journal_write("pausing a station", actor, |tx| {
            runs::pause(tx, station, reason, run)
        })
    }

    fn station_pause(&self, station: &str) -> Result<Option<StationPause>, StoreError> {
        self.journal_read("reading a station pause", |tx| runs::pause_of(tx, station))
    }

    fn station_pauses(&self) -> Result<Vec<StationPause>, StoreError> {
        self.journal_read("listing station pauses", runs::pauses)
    }

    fn resume_station(&self, station: &str, actor: &Actor) -> Result<bool, StoreError> {
        self.journal_write("resuming a station", actor, |tx| runs::resume(tx, station))
    }

    fn begin_attempt(
        &self,
        run: RunId,
        order_id: OrderId,
        station: &str,
        actor: &Actor,
    ) -> Result<Option<(Card, AttemptId)>, StoreError> {
        self.journal_write_counted("starting a production attempt", actor, |tx| {
            journal::begin(tx, run, order_id, station, None)
        })
    }

    fn begin_attempt_for(
        &self,
        run: RunId,
        order_id: OrderId,
        card_number: &str,
        station: &str,
        actor: &Actor,
    ) -> Result<Option<(Card, AttemptId)>, StoreError> {
        self.journal_write_counted("starting a production attempt", actor, |tx| {
            journal::begin(tx, run, order_id, station, Some(card_number))
        })
    }

    fn begin_released_attempt(
        &self,
        run: RunId,
        station: &str,
        skip: &[OrderId],
        actor: &Actor,
    ) -> Result<Option<(Card, AttemptId)>, StoreError> {
        self.journal_write_counted("starting a production attempt", actor, |tx| {
            desks::begin_released(tx, run, station, skip)
        })
    }

    /// One transaction for every station: one `BEGIN`, one audit flush and one commit (one
    /// WAL flush) instead of one each.
    fn begin_released_attempts(
        &self,
        run: RunId,
        stations: &[&str],
        actor: &Actor,
    ) -> Result<Vec<Option<(Card, AttemptId)>>, StoreError> {
        self.journal_write_counted("starting production attempts", actor, |tx| {
            desks::begin_released_for(tx, run, stations, &[])
        })
    }

    fn released_orders(&self) -> Result<Vec<OrderId>, StoreError> {
        self.journal_read("listing released orders", desks::released)
    }

    fn requeue_untouched(&self, actor: &Actor) -> Result<Vec<Attempt>, StoreError> {
        self.journal_write(
            "requeueing attempts of lapsed runs",
            actor,
            desks::requeue_untouched,
        )
    }

    fn runs(&self, include_ended: bool) -> Result<Vec<Run>, StoreError> {
        self.journal_read("listing runs", |tx| runs::list(tx, include_ended))
    }

    fn station_claims(&self) -> Result<Vec<StationClaim>, StoreError> {
        self.journal_read("listing station claims", desks::claims)
    }

    fn report_printer(
        &self,
        run: RunId,
        station: &str,
        report: &cardline_issuance::printer_report::PrinterReport,
    ) -> Result<bool, StoreError> {
        let json = report.to_stored();
        self.journal_write("recording a printer status", &Actor::system(), |tx| {
            desks::report_printer(tx, run, station, &json)
        })
    }

    /// Opens connections until the pool holds `writers` (at most its `pool_max_size`); a
    /// connection that cannot be opened now is left for later (the stations' own calls report
    /// the database being away).
    fn prepare_writers(&self, writers: usize) {
        self.fill_pool(writers);
    }

    /// Waits on LISTEN `cardline_work` (a connection of its own, outside the pool): wakes as
    /// soon as an order is released or a card is put back, by any desk.
    fn wait_for_work(&self, timeout: Duration) {
        self.work.wait(&self.url, timeout);
    }

    fn register_key(&self, kind: &str, key_id: &str, actor: &Actor) -> Result<bool, StoreError> {
        self.journal_write("registering a key", actor, |tx| {
            crate::key_registry::check_or_register(tx, kind, key_id, || {
                Ok(cardline_issuance::store::KeyRegistrant {
                    card: None,
                    order: None,
                    note: "registered by a desk as it started",
                })
            })
        })
    }

    fn journal(&self, attempt: AttemptId, records: &[JournalRecord<'_>]) -> Result<(), StoreError> {
        self.journal_write("journaling a step", &Actor::system(), |tx| {
            journal::records(tx, attempt, records)
        })
    }

    fn attempt_succeeded(
        &self,
        attempt: AttemptId,
        success: &AttemptSuccess,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        self.journal_write_counted("closing a production attempt", actor, |tx| {
            journal::succeeded(tx, attempt, success)
        })
    }

    fn journal_and_succeed(
        &self,
        attempt: AttemptId,
        records: &[JournalRecord<'_>],
        success: &AttemptSuccess,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        self.journal_write_counted("closing a production attempt", actor, |tx| {
            journal::records(tx, attempt, records)?;
            journal::succeeded(tx, attempt, success)
        })
    }

    fn attempt_failed(
        &self,
        attempt: AttemptId,
        reason: &str,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        self.journal_write("closing a production attempt", actor, |tx| {
            journal::failed(tx, attempt, reason)
        })
    }

    fn attempt_voided(
        &self,
        attempt: AttemptId,
        reason: &str,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        self.journal_write("voiding a production attempt", actor, |tx| {
            journal::voided(tx, attempt, reason, "attempt.void")
        })
    }

    fn attempt_lost(
        &self,
        attempt: AttemptId,
        reason: &str,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        self.journal_write("settling a lost attempt", actor, |tx| {
            journal::voided(tx, attempt, reason, "attempt.lost")
        })
    }

    fn card_of_attempt(&self, attempt: AttemptId) -> Result<Card, StoreError> {
        self.journal_read("reading an attempt's card", |tx| {
            journal::card_of(tx, attempt)
        })
    }

    fn in_flight_attempts(&self) -> Result<Vec<Attempt>, StoreError> {
        self.journal_read("listing attempts in flight", journal::in_flight)
    }

    fn waiting_cards(&self, order_id: OrderId) -> Result<u64, StoreError> {
        self.journal_read("counting waiting cards", |tx| {
            journal::waiting(tx, order_id)
        })
    }

    fn order_state(&self, id: OrderId) -> Result<OrderState, StoreError> {
        self.journal_read("reading an order", |tx| journal::order_state(tx, id, false))
    }

    fn change_mark(&self) -> Result<Option<cardline_issuance::store::ChangeMark>, StoreError> {
        self.journal_read("reading the change mark", crate::changes::mark)
            .map(Some)
    }
}
