//! The store interfaces over the PostgreSQL modules, one short transaction per call (the
//! production journal is in `store_journal`).

use cardline_issuance::ca::IssuedRecord;
use cardline_issuance::model::*;
use cardline_issuance::options::profiles::{Change, OptionChange, ProfileRecord};
use cardline_issuance::order_rules;
use cardline_issuance::store::*;

use crate::search::Args;
use crate::tx::Tx;
use crate::{PostgresStore, cards, certs, journal, orders, profiles, rows, search};

impl CardStore for PostgresStore {
    fn request_cards_with(
        &self,
        rows: &[cardline_issuance::requests::RequestData],
        numbering: &cardline_issuance::numbering::Numbering,
        actor: &Actor,
    ) -> Result<Vec<Card>, StoreError> {
        let rows = rows
            .iter()
            .cloned()
            .map(|r| r.normalised())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::InvalidRequest(e.to_string()))?;
        self.write("requesting cards", actor, |tx| {
            cards::request(tx, &rows, numbering)
        })
    }

    fn card(&self, number: &str) -> Result<Card, StoreError> {
        self.read("reading a card", |tx| rows::card_by_number(tx, number))
    }

    fn list_cards(&self, filter: &CardFilter) -> Result<Vec<Card>, StoreError> {
        self.read("listing cards", |tx| cards::list(tx, filter))
    }

    fn numbering_schemes(
        &self,
    ) -> Result<Vec<cardline_issuance::numbering::SchemeInUse>, StoreError> {
        self.read("reading the numbering schemes", cards::schemes)
    }

    fn search_cards(
        &self,
        query: &cardline_issuance::search::CardQuery,
        page: &cardline_issuance::search::Page,
    ) -> Result<cardline_issuance::search::CardPage, StoreError> {
        self.read("searching cards", |tx| search::search(tx, query, page))
    }

    fn count_by_state(
        &self,
        order_id: Option<OrderId>,
    ) -> Result<Vec<(CardState, u64)>, StoreError> {
        self.read("counting cards", |tx| cards::count_by_state(tx, order_id))
    }

    fn apply_event(
        &self,
        number: &str,
        event: CardEvent,
        detail: &EventDetail,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        self.write("changing a card", actor, |tx| {
            cards::apply_event(tx, number, event, detail)
        })
    }

    fn expire_due(&self, now: &str, actor: &Actor) -> Result<Vec<Card>, StoreError> {
        self.write("expiring cards", actor, |tx| cards::expire_due(tx, now))
    }

    fn preview_expire(&self, now: &str, actor: &Actor) -> Result<Vec<Card>, StoreError> {
        self.rehearse("previewing expiry", actor, |tx| cards::expire_due(tx, now))
    }

    fn attempts_of_card(&self, number: &str) -> Result<Vec<Attempt>, StoreError> {
        self.read("listing attempts", |tx| journal::of_card(tx, number))
    }

    fn card_secrets(&self, number: &str) -> Result<Option<SealedSecrets>, StoreError> {
        self.read("reading sealed secrets", |tx| journal::secrets(tx, number))
    }
}

impl OrderStore for PostgresStore {
    fn create_order_with(
        &self,
        selection: &OrderSelection,
        profile: Option<&str>,
        actor: &Actor,
    ) -> Result<Order, StoreError> {
        self.write("creating an order", actor, |tx| {
            orders::create(tx, selection, profile)
        })
    }

    fn preview_order(&self, selection: &OrderSelection) -> Result<Vec<Card>, StoreError> {
        self.read("previewing an order", |tx| orders::selected(tx, selection))
    }

    fn preview_complete(&self, id: OrderId, actor: &Actor) -> Result<Order, StoreError> {
        self.rehearse("previewing the completion of an order", actor, |tx| {
            order_rules::complete(tx, id)?;
            orders::get_order(tx, id)
        })
    }

    fn preview_repeat(
        &self,
        id: OrderId,
        misprinted: &[String],
        actor: &Actor,
    ) -> Result<Vec<Card>, StoreError> {
        self.rehearse("previewing a repeat", actor, |tx| {
            order_rules::repeat(tx, id, misprinted)
        })
    }

    fn order_outcome(&self, id: OrderId) -> Result<OrderOutcome, StoreError> {
        self.read("reading an order's counters", |tx| {
            crate::order_counts::outcome(tx, id)
        })
    }

    fn recount_order_outcome(&self, id: OrderId) -> Result<OrderOutcome, StoreError> {
        self.read("counting an order's outcome", |tx| orders::recount(tx, id))
    }

    fn order_failures(&self, id: OrderId) -> Result<Vec<CardFailure>, StoreError> {
        self.read("listing an order's failures", |tx| orders::failures(tx, id))
    }

    fn order_header(&self, id: OrderId) -> Result<Order, StoreError> {
        self.read("reading an order", |tx| orders::header(tx, id, false))
    }

    fn order_cards_page(
        &self,
        id: OrderId,
        offset: usize,
        limit: usize,
    ) -> Result<(Order, u64), StoreError> {
        self.read("reading an order", |tx| {
            orders::cards_page(tx, id, offset, limit)
        })
    }

    fn release_order(&self, id: OrderId, actor: &Actor) -> Result<Order, StoreError> {
        self.write("releasing an order", actor, |tx| {
            crate::desks::release(tx, id)
        })
    }

    fn order(&self, id: OrderId) -> Result<Order, StoreError> {
        self.read("reading an order", |tx| orders::get_order(tx, id))
    }

    fn list_orders(&self) -> Result<Vec<Order>, StoreError> {
        self.read("listing orders", orders::list)
    }

    fn cancel_order(&self, id: OrderId, actor: &Actor) -> Result<Order, StoreError> {
        self.write("cancelling an order", actor, |tx| {
            order_rules::cancel(tx, id)?;
            orders::get_order(tx, id)
        })
    }

    fn complete_order(&self, id: OrderId, actor: &Actor) -> Result<Order, StoreError> {
        self.write("completing an order", actor, |tx| {
            order_rules::complete(tx, id)?;
            orders::get_order(tx, id)
        })
    }

    fn repeat_order(
        &self,
        id: OrderId,
        misprinted: &[String],
        actor: &Actor,
    ) -> Result<Vec<Card>, StoreError> {
        self.write("repeating production", actor, |tx| {
            order_rules::repeat(tx, id, misprinted)
        })
    }
}

/// Reads the audit log (oldest first; with a limit, the newest `limit` entries).
fn read_audit(tx: &Tx<'_>, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
    let mut args = Args::default();
    let mut sql = format!("{} WHERE true", rows::AUDIT_SELECT);
    if let Some(card) = &filter.card_number {
        let p = args.push(card.clone());
        sql.push_str(&format!(" AND card_number = {p}"));
    }
    if let Some(order) = filter.order_id {
        let p = args.push(order);
        sql.push_str(&format!(" AND order_id = {p}"));
    }
    if let Some(operator) = &filter.operator {
        let p = args.push(operator.clone());
        sql.push_str(&format!(" AND operator = {p}"));
    }
    match filter.action.as_deref() {
        Some(prefix) if prefix.ends_with('.') => {
            let p = args.push(prefix.to_string());
            sql.push_str(&format!(" AND starts_with(action, {p})"));
        }
        Some(action) => {
            let p = args.push(action.to_string());
            sql.push_str(&format!(" AND action = {p}"));
        }
        None => {}
    }
    if let Some(from) = &filter.at_from {
        let p = args.push(from.clone());
        sql.push_str(&format!(" AND at >= {p}"));
    }
    if let Some(before) = &filter.at_before {
        let p = args.push(before.clone());
        sql.push_str(&format!(" AND at < {p}"));
    }
    if let Some(id) = filter.before_id {
        let p = args.push(id);
        sql.push_str(&format!(" AND id < {p}"));
    }
    sql.push_str(" ORDER BY id DESC");
    if let Some(limit) = filter.limit {
        let p = args.push(i64::from(limit));
        sql.push_str(&format!(" LIMIT {p}"));
    }
    let mut entries = tx
        .query("reading the audit log", &sql, &args.refs())?
        .iter()
        .map(rows::audit_entry)
        .collect::<Result<Vec<_>, _>>()?;
    entries.reverse();
    Ok(entries)
}

impl AuditLog for PostgresStore {
    fn audit_note(
        &self,
        action: &str,
        card_number: Option<&str>,
        order_id: Option<OrderId>,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        self.write("writing the audit log", actor, |tx| {
            tx.audit(action, card_number, order_id, None, None, reason)
        })
    }

    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        self.read("reading the audit log", |tx| read_audit(tx, filter))
    }

    fn set_audit_sealer(&self, sealer: cardline_issuance::audit::AuditSealer) {
        *self
            .sealer
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = std::sync::Arc::new(sealer);
    }

    fn audit_records(&self) -> Result<AuditRecords, StoreError> {
        self.read("reading the audit chain", crate::audit::records)
    }
}

impl CertificateIndex for PostgresStore {
    fn issued_for_key(&self, spki_sha256: &str) -> Result<Option<IssuedRecord>, StoreError> {
        self.read("reading the issued-certificates index", |tx| {
            certs::by_key(tx, spki_sha256)
        })
    }

    fn record_issued(&self, record: &IssuedRecord) -> Result<Option<IssuedRecord>, StoreError> {
        self.write("recording an issued certificate", &Actor::system(), |tx| {
            certs::record(tx, record)
        })
    }

    fn issued_certificates(&self) -> Result<Vec<IssuedRecord>, StoreError> {
        self.read("reading the issued-certificates index", certs::all)
    }

    fn issued_count(&self) -> Result<u64, StoreError> {
        self.read("counting issued certificates", certs::count)
    }

    fn certificates_of_card(&self, card_number: &str) -> Result<Vec<IssuedRecord>, StoreError> {
        self.read("reading a card's certificates", |tx| {
            certs::of_card(tx, card_number)
        })
    }
    fn record_desk_ca(
        &self,
        record: &cardline_issuance::ca::DeskCaRecord,
    ) -> Result<(), StoreError> {
        self.write("recording a desk CA certificate", &Actor::system(), |tx| {
            crate::desk_cas::record(tx, record)
        })
    }

    fn desk_cas(&self) -> Result<Vec<cardline_issuance::ca::DeskCaRecord>, StoreError> {
        self.read("reading the desk CA certificates", crate::desk_cas::all)
    }

    fn revoke_desk_ca(
        &self,
        desk: &str,
        reason: cardline_issuance::ca::revocation::RevocationReason,
        actor: &Actor,
    ) -> Result<Vec<cardline_issuance::ca::DeskCaRecord>, StoreError> {
        self.write("revoking a desk CA certificate", actor, |tx| {
            crate::desk_cas::revoke(tx, desk, reason)
        })
    }
}

impl OptionProfileStore for PostgresStore {
    fn option_profiles(&self) -> Result<Vec<ProfileRecord>, StoreError> {
        self.read("listing option profiles", profiles::all)
    }

    fn option_profile(&self, name: &str) -> Result<Option<ProfileRecord>, StoreError> {
        self.read("reading an option profile", |tx| profiles::one(tx, name))
    }

    fn save_option_profile(
        &self,
        name: &str,
        toml: &str,
        make_default: bool,
        changes: &[Change],
        actor: &Actor,
    ) -> Result<ProfileRecord, StoreError> {
        self.write("saving an option profile", actor, |tx| {
            profiles::save(tx, name, toml, make_default, changes)
        })
    }

    fn option_log(
        &self,
        profile: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<OptionChange>, StoreError> {
        self.read("reading the options log", |tx| {
            profiles::log(tx, profile, limit)
        })
    }
}

impl Store for PostgresStore {
    fn as_journal(&self) -> &dyn ProductionJournal {
        self
    }

    fn as_certificate_index(&self) -> &dyn CertificateIndex {
        self
    }

    fn describe(&self) -> String {
        format!("postgresql:{}", self.url)
    }
}
