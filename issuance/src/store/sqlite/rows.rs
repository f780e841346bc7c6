//! Row mapping and timestamps shared by the SQLite store's modules.

use rusqlite::{Connection, OptionalExtension, Row};

use super::backend;
use crate::model::*;
use crate::store::StoreError;

/// The card columns (alias `c`); use with [`card_from_row`].
pub const CARD_SELECT: &str = "SELECT c.id, c.number, c.state, c.order_id, c.assigned_to, \
     c.valid_until, c.failure_reason, c.chip_id, c.created_at, c.updated_at, c.requester, \
     c.desk, c.purpose, c.note, c.requested_at, c.produced_in_order FROM cards c";

/// Maps a row of [`CARD_SELECT`].
pub fn card_from_row(r: &Row<'_>) -> rusqlite::Result<Card> {
    let state: String = r.get(2)?;
    Ok(Card {
        id: r.get(0)?,
        number: r.get(1)?,
        state: CardState::parse(&state).ok_or_else(|| bad_value(2, "card state", &state))?,
        order_id: r.get(3)?,
        assigned_to: r.get(4)?,
        valid_until: r.get(5)?,
        failure_reason: r.get(6)?,
        chip_id: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
        request: RequestInfo {
            requester: r.get(10)?,
            desk: r.get(11)?,
            purpose: r.get(12)?,
            note: r.get(13)?,
            requested_at: r.get(14)?,
        },
        produced_in_order: r.get(15)?,
    })
}

/// A card by number, inside a transaction. The number is matched exactly, else in any case
/// (`tmp000000018` finds `TMP000000018`; numbers differing only by case cannot both exist).
pub fn card_by_number(conn: &Connection, number: &str) -> Result<Card, StoreError> {
    let exact = format!("{CARD_SELECT} WHERE c.number = ?1");
    let found = conn
        .prepare_cached(&exact)
        .and_then(|mut st| st.query_row([number], card_from_row).optional())
        .map_err(backend("reading a card"))?;
    if let Some(card) = found {
        return Ok(card);
    }
    let any_case = format!("{CARD_SELECT} WHERE upper(c.number) = upper(?1) ORDER BY c.id LIMIT 1");
    conn.prepare_cached(&any_case)
        .and_then(|mut st| st.query_row([number], card_from_row).optional())
        .map_err(backend("reading a card"))?
        .ok_or_else(|| StoreError::CardNotFound(number.to_string()))
}

/// A card by id, inside a transaction.
pub fn card_by_id(conn: &Connection, id: CardId) -> Result<Card, StoreError> {
    let sql = format!("{CARD_SELECT} WHERE c.id = ?1");
    conn.prepare_cached(&sql)
        .and_then(|mut st| st.query_row([id], card_from_row))
        .map_err(backend("reading a card"))
}

/// The attempt columns; use with [`attempt_from_row`] (steps are filled in separately).
pub const ATTEMPT_SELECT: &str = "SELECT a.id, a.card_id, c.number, a.order_id, a.station, \
     a.status, a.chip_id, a.reason, a.started_at, a.finished_at, a.run_id, a.key_ids \
     FROM attempts a JOIN cards c ON c.id = a.card_id";

/// Maps a row of [`ATTEMPT_SELECT`].
pub fn attempt_from_row(r: &Row<'_>) -> rusqlite::Result<Attempt> {
    let status: String = r.get(5)?;
    Ok(Attempt {
        id: r.get(0)?,
        card_id: r.get(1)?,
        card_number: r.get(2)?,
        order_id: r.get(3)?,
        station: r.get(4)?,
        run_id: r.get(10)?,
        status: parse_attempt_status(&status).ok_or_else(|| bad_value(5, "status", &status))?,
        chip_id: r.get(6)?,
        reason: r.get(7)?,
        key_ids: r.get(11)?,
        started_at: r.get(8)?,
        finished_at: r.get(9)?,
        steps: Vec::new(),
    })
}

/// The stable name of an attempt status.
pub fn attempt_status_name(s: AttemptStatus) -> &'static str {
    match s {
        AttemptStatus::InFlight => "in_flight",
        AttemptStatus::Succeeded => "succeeded",
        AttemptStatus::Failed => "failed",
        AttemptStatus::Void => "void",
    }
}

/// Parses an attempt status name.
pub fn parse_attempt_status(s: &str) -> Option<AttemptStatus> {
    [
        AttemptStatus::InFlight,
        AttemptStatus::Succeeded,
        AttemptStatus::Failed,
        AttemptStatus::Void,
    ]
    .into_iter()
    .find(|st| attempt_status_name(*st) == s)
}

/// Parses a step name.
pub fn parse_step(s: &str) -> Option<ProductionStep> {
    use ProductionStep as P;
    [P::Feed, P::Encode, P::Print, P::Eject, P::Reject]
        .into_iter()
        .find(|st| st.as_str() == s)
}

/// Maps a row of `SELECT id, at, operator, action, card_number, order_id, from_state,
/// to_state, reason, os_user, writer, seq FROM audit`.
pub fn audit_from_row(r: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.get(0)?,
        at: r.get(1)?,
        operator: r.get(2)?,
        action: r.get(3)?,
        card_number: r.get(4)?,
        order_id: r.get(5)?,
        from_state: r.get(6)?,
        to_state: r.get(7)?,
        reason: r.get(8)?,
        os_user: r.get(9)?,
        writer: r.get(10)?,
        seq: r.get(11)?,
    })
}

/// The stable name of an order state.
pub fn parse_order_state(s: &str) -> Option<OrderState> {
    [
        OrderState::Open,
        OrderState::Completed,
        OrderState::Cancelled,
    ]
    .into_iter()
    .find(|st| st.as_str() == s)
}

fn bad_value(col: usize, what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        col,
        rusqlite::types::Type::Text,
        format!("unknown {what} `{value}` in the database").into(),
    )
}
