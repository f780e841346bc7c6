//! The store interfaces implemented over the SQLite modules, one transaction per call.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::ca::IssuedRecord;
use crate::order_rules;

impl CardStore for SqliteStore {
    fn request_cards_with(
        &self,
        rows: &[crate::requests::RequestData],
        numbering: &crate::numbering::Numbering,
        actor: &Actor,
    ) -> Result<Vec<Card>, StoreError> {
        let rows = rows
            .iter()
            .cloned()
            .map(|r| r.normalised())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::InvalidRequest(e.to_string()))?;
        self.write("requesting cards", actor, |w| {
            cards::request(w, &rows, numbering)
        })
    }

    fn card(&self, number: &str) -> Result<Card, StoreError> {
        self.read("reading a card", |c| rows::card_by_number(c, number))
    }

    fn list_cards(&self, filter: &CardFilter) -> Result<Vec<Card>, StoreError> {
        self.read("listing cards", |c| cards::list(c, filter))
    }

    fn numbering_schemes(&self) -> Result<Vec<crate::numbering::SchemeInUse>, StoreError> {
        self.read("reading the numbering schemes", cards::schemes)
    }

    fn search_cards(
        &self,
        query: &crate::search::CardQuery,
        page: &crate::search::Page,
    ) -> Result<crate::search::CardPage, StoreError> {
        self.read("searching cards", |c| search::search(c, query, page))
    }

    fn count_by_state(
        &self,
        order_id: Option<OrderId>,
    ) -> Result<Vec<(CardState, u64)>, StoreError> {
        self.read("counting cards", |c| cards::count_by_state(c, order_id))
    }

    fn apply_event(
        &self,
        number: &str,
        event: CardEvent,
        detail: &EventDetail,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        self.write("changing a card", actor, |w| {
            cards::apply_event(w, number, event, detail)
        })
    }

    fn expire_due(&self, now: &str, actor: &Actor) -> Result<Vec<Card>, StoreError> {
        self.write("expiring cards", actor, |w| cards::expire_due(w, now))
    }

    fn preview_expire(&self, now: &str, actor: &Actor) -> Result<Vec<Card>, StoreError> {
        self.rehearse("previewing expiry", actor, |w| cards::expire_due(w, now))
    }

    fn attempts_of_card(&self, number: &str) -> Result<Vec<Attempt>, StoreError> {
        self.read("listing attempts", |c| journal::of_card(c, number))
    }

    fn card_secrets(&self, number: &str) -> Result<Option<SealedSecrets>, StoreError> {
        self.read("reading sealed secrets", |c| journal::secrets(c, number))
    }
}

impl OrderStore for SqliteStore {
    fn create_order_with(
        &self,
        selection: &OrderSelection,
        profile: Option<&str>,
        actor: &Actor,
    ) -> Result<Order, StoreError> {
        self.write("creating an order", actor, |w| {
            orders::create(w, selection, profile)
        })
    }

    fn preview_order(&self, selection: &OrderSelection) -> Result<Vec<Card>, StoreError> {
        self.read("previewing an order", |c| orders::selected(c, selection))
    }

    fn preview_complete(&self, id: OrderId, actor: &Actor) -> Result<Order, StoreError> {
        self.rehearse("previewing the completion of an order", actor, |w| {
            order_rules::complete(w, id)?;
            orders::get(w.conn, id)
        })
    }

    fn preview_repeat(
        &self,
        id: OrderId,
        misprinted: &[String],
        actor: &Actor,
    ) -> Result<Vec<Card>, StoreError> {
        self.rehearse("previewing a repeat", actor, |w| {
            order_rules::repeat(w, id, misprinted)
        })
    }

    fn order_outcome(&self, id: OrderId) -> Result<OrderOutcome, StoreError> {
        self.read("reading an order's counters", |c| {
            order_counts::outcome(c, id)
        })
    }

    fn recount_order_outcome(&self, id: OrderId) -> Result<OrderOutcome, StoreError> {
        self.read("counting an order's outcome", |c| orders::recount(c, id))
    }

    fn order_failures(&self, id: OrderId) -> Result<Vec<CardFailure>, StoreError> {
        self.read("listing an order's failures", |c| orders::failures(c, id))
    }

    fn order(&self, id: OrderId) -> Result<Order, StoreError> {
        self.read("reading an order", |c| orders::get(c, id))
    }

    fn list_orders(&self) -> Result<Vec<Order>, StoreError> {
        self.read("listing orders", orders::list)
    }

    fn cancel_order(&self, id: OrderId, actor: &Actor) -> Result<Order, StoreError> {
        self.write("cancelling an order", actor, |w| {
            order_rules::cancel(w, id)?;
            orders::get(w.conn, id)
        })
    }

    fn order_header(&self, id: OrderId) -> Result<Order, StoreError> {
        self.read("reading an order", |c| orders::header(c, id))
    }

    fn order_cards_page(
        &self,
        id: OrderId,
        offset: usize,
        limit: usize,
    ) -> Result<(Order, u64), StoreError> {
        self.read("reading an order", |c| {
            orders::cards_page(c, id, offset, limit)
        })
    }

    fn release_order(&self, id: OrderId, actor: &Actor) -> Result<Order, StoreError> {
        self.write("releasing an order", actor, |w| desks::release(w, id))
    }

    fn complete_order(&self, id: OrderId, actor: &Actor) -> Result<Order, StoreError> {
        self.write("completing an order", actor, |w| {
            order_rules::complete(w, id)?;
            orders::get(w.conn, id)
        })
    }

    fn repeat_order(
        &self,
        id: OrderId,
        misprinted: &[String],
        actor: &Actor,
    ) -> Result<Vec<Card>, StoreError> {
        self.write("repeating production", actor, |w| {
            order_rules::repeat(w, id, misprinted)
        })
    }
}

impl ProductionJournal for SqliteStore {
    fn start_run(&self, start: &ownership::RunStart, actor: &Actor) -> Result<Run, StoreError> {
        self.write("registering a production run", actor, |w| {
            runs::start(w, start)
        })
    }

    fn renew_lease(&self, run: RunId, lease: Duration) -> Result<(), StoreError> {
        self.write("renewing a lease", &Actor::system(), |w| {
            runs::renew(w, run, lease)
        })
    }

    fn end_run(&self, run: RunId) -> Result<(), StoreError> {
        self.write("ending a production run", &Actor::system(), |w| {
            runs::end(w, run)
        })
    }

    fn run(&self, id: RunId) -> Result<Run, StoreError> {
        self.read("reading a production run", |c| runs::get(c, id))
    }

    fn claim_station(
        &self,
        run: RunId,
        station: &str,
        take_over_from: Option<RunId>,
        actor: &Actor,
    ) -> Result<Result<(), Run>, StoreError> {
        self.write("claiming a station", actor, |w| {
            runs::claim(w, run, station, take_over_from)
        })
    }

    fn release_station(&self, run: RunId, station: &str) -> Result<(), StoreError> {
        self.write("releasing a station", &Actor::system(), |w| {
            runs::release(w, run, station)
        })
    }

    fn station_owner(&self, station: &str) -> Result<Option<Run>, StoreError> {
        self.read("reading a station claim", |c| runs::owner(c, station))
    }

    fn pause_station(
        &self,
        station: &str,
        reason: &str,
        run: Option<RunId>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        self.write("pausing a station", actor, |w| {
            runs::pause(w, station, reason, run)
        })
    }

    fn station_pause(&self, station: &str) -> Result<Option<StationPause>, StoreError> {
        self.read("reading a station pause", |c| runs::pause_of(c, station))
    }

    fn station_pauses(&self) -> Result<Vec<StationPause>, StoreError> {
        self.read("listing station pauses", runs::pauses)
    }

    fn resume_station(&self, station: &str, actor: &Actor) -> Result<bool, StoreError> {
        self.write("resuming a station", actor, |w| runs::resume(w, station))
    }

    fn begin_attempt(
        &self,
        run: RunId,
        order_id: OrderId,
        station: &str,
        actor: &Actor,
    ) -> Result<Option<(Card, AttemptId)>, StoreError> {
        let station = station.to_string();
        self.write_owned("starting a production attempt", actor, move |w| {
            journal::begin(w, run, order_id, &station, None)
        })
    }

    fn begin_released_attempt(
        &self,
        run: RunId,
        station: &str,
        skip: &[OrderId],
        actor: &Actor,
    ) -> Result<Option<(Card, AttemptId)>, StoreError> {
        self.write("starting a production attempt", actor, |w| {
            journal::begin_released(w, run, station, skip)
        })
    }

    fn begin_released_attempts(
        &self,
        run: RunId,
        stations: &[&str],
        actor: &Actor,
    ) -> Result<Vec<Option<(Card, AttemptId)>>, StoreError> {
        self.write("starting production attempts", actor, |w| {
            stations
                .iter()
                .map(|s| journal::begin_released(w, run, s, &[]))
                .collect()
        })
    }

    fn released_orders(&self) -> Result<Vec<OrderId>, StoreError> {
        self.read("listing released orders", desks::released)
    }

    fn requeue_untouched(&self, actor: &Actor) -> Result<Vec<Attempt>, StoreError> {
        self.write(
            "requeueing attempts of lapsed runs",
            actor,
            desks::requeue_untouched,
        )
    }

    fn runs(&self, include_ended: bool) -> Result<Vec<Run>, StoreError> {
        self.read("listing runs", |c| desks::runs(c, include_ended))
    }

    fn station_claims(&self) -> Result<Vec<StationClaim>, StoreError> {
        self.read("listing station claims", desks::claims)
    }

    fn report_printer(
        &self,
        run: RunId,
        station: &str,
        report: &crate::printer_report::PrinterReport,
    ) -> Result<bool, StoreError> {
        let json = report.to_stored();
        self.write("recording a printer status", &Actor::system(), |w| {
            desks::report_printer(w, run, station, &json)
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
        self.write("starting a production attempt", actor, |w| {
            journal::begin(w, run, order_id, station, Some(card_number))
        })
    }

    fn register_key(&self, kind: &str, key_id: &str, actor: &Actor) -> Result<bool, StoreError> {
        self.write("registering a key", actor, |w| {
            super::key_registry::check_or_register(w, kind, key_id, || {
                Ok(crate::store::KeyRegistrant {
                    card: None,
                    order: None,
                    note: "registered by a desk as it started",
                })
            })
        })
    }

    fn journal(&self, attempt: AttemptId, records: &[JournalRecord<'_>]) -> Result<(), StoreError> {
        let records = journal::OwnedRecords::of(records);
        self.write_owned("journaling a step", &Actor::system(), move |w| {
            journal::records(w, attempt, &records.records())
        })
    }

    fn attempt_succeeded(
        &self,
        attempt: AttemptId,
        success: &AttemptSuccess,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        self.write("closing a production attempt", actor, |w| {
            journal::succeeded(w, attempt, success)
        })
    }

    fn journal_and_succeed(
        &self,
        attempt: AttemptId,
        records: &[JournalRecord<'_>],
        success: &AttemptSuccess,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        let records = journal::OwnedRecords::of(records);
        let success = success.clone();
        self.write_owned("closing a production attempt", actor, move |w| {
            journal::records(w, attempt, &records.records())?;
            journal::succeeded(w, attempt, &success)
        })
    }

    fn attempt_failed(
        &self,
        attempt: AttemptId,
        reason: &str,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        self.write("closing a production attempt", actor, |w| {
            journal::failed(w, attempt, reason)
        })
    }

    fn attempt_voided(
        &self,
        attempt: AttemptId,
        reason: &str,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        self.write("voiding a production attempt", actor, |w| {
            journal::voided(w, attempt, reason, "attempt.void")
        })
    }

    fn attempt_lost(
        &self,
        attempt: AttemptId,
        reason: &str,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        self.write("settling a lost attempt", actor, |w| {
            journal::voided(w, attempt, reason, "attempt.lost")
        })
    }

    fn card_of_attempt(&self, attempt: AttemptId) -> Result<Card, StoreError> {
        self.read("reading an attempt's card", |c| {
            journal::card_of(c, attempt)
        })
    }

    fn in_flight_attempts(&self) -> Result<Vec<Attempt>, StoreError> {
        self.read("listing attempts in flight", journal::in_flight)
    }

    fn waiting_cards(&self, order_id: OrderId) -> Result<u64, StoreError> {
        self.read("counting waiting cards", |c| journal::waiting(c, order_id))
    }

    fn order_state(&self, id: OrderId) -> Result<OrderState, StoreError> {
        self.read("reading an order", |c| journal::order_state(c, id))
    }

    fn change_mark(&self) -> Result<Option<crate::store::traits::ChangeMark>, StoreError> {
        self.read("reading the change mark", super::changes::mark)
            .map(Some)
    }
}

impl AuditLog for SqliteStore {
    fn audit_note(
        &self,
        action: &str,
        card_number: Option<&str>,
        order_id: Option<OrderId>,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        self.write("writing the audit log", actor, |w| {
            w.audit(action, card_number, order_id, None, None, reason)
        })
    }

    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        self.read("reading the audit log", |c| writer::read_audit(c, filter))
    }

    fn set_audit_sealer(&self, sealer: crate::audit::AuditSealer) {
        *self
            .sealer
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(sealer);
    }

    fn audit_records(&self) -> Result<AuditRecords, StoreError> {
        self.read("reading the audit chain", writer::audit_records)
    }
}

impl CertificateIndex for SqliteStore {
    fn issued_for_key(&self, spki_sha256: &str) -> Result<Option<IssuedRecord>, StoreError> {
        self.read("reading the issued-certificates index", |c| {
            certs::by_key(c, spki_sha256)
        })
    }

    fn record_issued(&self, record: &IssuedRecord) -> Result<Option<IssuedRecord>, StoreError> {
        self.write("recording an issued certificate", &Actor::system(), |w| {
            certs::record(w, record)
        })
    }

    fn issued_certificates(&self) -> Result<Vec<IssuedRecord>, StoreError> {
        self.read("reading the issued-certificates index", certs::all)
    }

    fn issued_count(&self) -> Result<u64, StoreError> {
        self.read("counting issued certificates", certs::count)
    }

    fn certificates_of_card(&self, card_number: &str) -> Result<Vec<IssuedRecord>, StoreError> {
        self.read("reading a card's certificates", |c| {
            certs::of_card(c, card_number)
        })
    }
    fn record_desk_ca(&self, record: &crate::ca::DeskCaRecord) -> Result<(), StoreError> {
        self.write("recording a desk CA certificate", &Actor::system(), |w| {
            desk_cas::record(w, record)
        })
    }

    fn desk_cas(&self) -> Result<Vec<crate::ca::DeskCaRecord>, StoreError> {
        self.read("reading the desk CA certificates", desk_cas::all)
    }

    fn revoke_desk_ca(
        &self,
        desk: &str,
        reason: crate::ca::revocation::RevocationReason,
        actor: &Actor,
    ) -> Result<Vec<crate::ca::DeskCaRecord>, StoreError> {
        self.write("revoking a desk CA certificate", actor, |w| {
            desk_cas::revoke(w, desk, reason)
        })
    }
}

impl OptionProfileStore for SqliteStore {
    fn option_profiles(&self) -> Result<Vec<crate::options::profiles::ProfileRecord>, StoreError> {
        self.read("listing option profiles", profiles::all)
    }

    fn option_profile(
        &self,
        name: &str,
    ) -> Result<Option<crate::options::profiles::ProfileRecord>, StoreError> {
        self.read("reading an option profile", |c| profiles::one(c, name))
    }

    fn save_option_profile(
        &self,
        name: &str,
        toml: &str,
        make_default: bool,
        changes: &[crate::options::profiles::Change],
        actor: &Actor,
    ) -> Result<crate::options::profiles::ProfileRecord, StoreError> {
        self.write("saving an option profile", actor, |w| {
            profiles::save(w, name, toml, make_default, changes)
        })
    }

    fn option_log(
        &self,
        profile: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<crate::options::profiles::OptionChange>, StoreError> {
        self.read("reading the options log", |c| {
            profiles::log(c, profile, limit)
        })
    }
}

impl Store for SqliteStore {
    fn as_journal(&self) -> &dyn ProductionJournal {
        self
    }

    fn as_certificate_index(&self) -> &dyn CertificateIndex {
        self
    }

    fn describe(&self) -> String {
        match &self.path {
            Some(p) => format!("sqlite:{}", p.display()),
            None => "sqlite::memory:".into(),
        }
    }
}
