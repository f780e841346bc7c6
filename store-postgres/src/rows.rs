//! Row mapping shared by the store's modules: cards, attempts, audit entries, orders.

use cardline_issuance::model::*;
use cardline_issuance::store::StoreError;
use cardline_issuance::store::sqlite::{parse_attempt_status, parse_order_state};
use postgres::Row;
use postgres::types::FromSql;

use crate::tx::Tx;

/// The card columns (alias `c`), in the order [`card`] reads them.
macro_rules! card_columns {
    () => {
        "c.id, c.number, c.state, c.order_id, c.assigned_to, c.valid_until, c.failure_reason, \
         c.chip_id, c.created_at, c.updated_at, c.requester, c.desk, c.purpose, c.note, \
         c.requested_at, c.produced_in_order"
    };
}

/// The card columns (alias `c`); use with [`card`].
pub const CARD_SELECT: &str = concat!("SELECT ", card_columns!(), " FROM cards c");

/// An attempt's card (columns 0–15, as [`CARD_SELECT`]), then the attempt's status (16) and
/// order (17): what every write of an attempt reads first, in one statement.
pub const ATTEMPT_CARD_SELECT: &str = concat!(
    "SELECT ",
    card_columns!(),
    ", a.status, a.order_id FROM attempts a JOIN cards c ON c.id = a.card_id"
);

/// Maps a row of [`ATTEMPT_CARD_SELECT`]: the card, the attempt's status and its order.
pub fn attempt_card(r: &Row) -> Result<(Card, AttemptStatus, OrderId), StoreError> {
    let status: String = get(r, 16)?;
    Ok((
        card(r)?,
        parse_attempt_status(&status).ok_or_else(|| bad_value("status", &status))?,
        get(r, 17)?,
    ))
}

/// Column `i` of a row, or a [`StoreError::Backend`] naming it.
pub fn get<'a, T: FromSql<'a>>(row: &'a Row, i: usize) -> Result<T, StoreError> {
    row.try_get(i).map_err(|e| StoreError::Backend {
        operation: "reading a row".into(),
        detail: format!("column {i}: {e}"),
    })
}

fn bad_value(what: &str, value: &str) -> StoreError {
    StoreError::Backend {
        operation: "reading a row".into(),
        detail: format!("unknown {what} `{value}` in the database"),
    }
}

/// Maps a row of [`CARD_SELECT`].
pub fn card(r: &Row) -> Result<Card, StoreError> {
    let state: String = get(r, 2)?;
    Ok(Card {
        id: get(r, 0)?,
        number: get(r, 1)?,
        state: CardState::parse(&state).ok_or_else(|| bad_value("card state", &state))?,
        order_id: get(r, 3)?,
        assigned_to: get(r, 4)?,
        valid_until: get(r, 5)?,
        failure_reason: get(r, 6)?,
        chip_id: get(r, 7)?,
        created_at: get(r, 8)?,
        updated_at: get(r, 9)?,
        request: RequestInfo {
            requester: get(r, 10)?,
            desk: get(r, 11)?,
            purpose: get(r, 12)?,
            note: get(r, 13)?,
            requested_at: get(r, 14)?,
        },
        produced_in_order: get(r, 15)?,
    })
}

/// A card by number, matched exactly, else in any case (`tmp000000018` finds
/// `TMP000000018`).
pub fn card_by_number(tx: &Tx<'_>, number: &str) -> Result<Card, StoreError> {
    const OP: &str = "reading a card";
    if let Some(row) = tx.query_opt(
        OP,
        &format!("{CARD_SELECT} WHERE c.number = $1"),
        &[&number],
    )? {
        return card(&row);
    }
    tx.query_opt(
        OP,
        &format!("{CARD_SELECT} WHERE upper(c.number) = upper($1) ORDER BY c.id LIMIT 1"),
        &[&number],
    )?
    .map(|r| card(&r))
    .transpose()?
    .ok_or_else(|| StoreError::CardNotFound(number.to_string()))
}

/// The id of a card by number (exact, else in any case), if it exists.
pub fn card_id_of(tx: &Tx<'_>, number: &str) -> Result<Option<CardId>, StoreError> {
    const OP: &str = "reading a card";
    if let Some(row) = tx.query_opt(OP, "SELECT id FROM cards WHERE number = $1", &[&number])? {
        return get(&row, 0).map(Some);
    }
    tx.query_opt(
        OP,
        "SELECT id FROM cards WHERE upper(number) = upper($1) ORDER BY id LIMIT 1",
        &[&number],
    )?
    .map(|r| get(&r, 0))
    .transpose()
}

/// A card by id.
pub fn card_by_id(tx: &Tx<'_>, id: CardId) -> Result<Card, StoreError> {
    let row = tx.query_one(
        "reading a card",
        &format!("{CARD_SELECT} WHERE c.id = $1"),
        &[&id],
    )?;
    card(&row)
}

/// The attempt columns; use with [`attempt`] (steps are filled in separately).
pub const ATTEMPT_SELECT: &str = "SELECT a.id, a.card_id, c.number, a.order_id, a.station, \
     a.status, a.chip_id, a.reason, a.started_at, a.finished_at, a.run_id, a.key_ids \
     FROM attempts a JOIN cards c ON c.id = a.card_id";

/// Maps a row of [`ATTEMPT_SELECT`].
pub fn attempt(r: &Row) -> Result<Attempt, StoreError> {
    let status: String = get(r, 5)?;
    Ok(Attempt {
        id: get(r, 0)?,
        card_id: get(r, 1)?,
        card_number: get(r, 2)?,
        order_id: get(r, 3)?,
        station: get(r, 4)?,
        run_id: get(r, 10)?,
        status: parse_attempt_status(&status).ok_or_else(|| bad_value("status", &status))?,
        chip_id: get(r, 6)?,
        reason: get(r, 7)?,
        key_ids: get(r, 11)?,
        started_at: get(r, 8)?,
        finished_at: get(r, 9)?,
        steps: Vec::new(),
    })
}

/// The audit columns; use with [`audit_entry`].
pub const AUDIT_SELECT: &str = "SELECT id, at, operator, action, card_number, order_id, \
     from_state, to_state, reason, os_user, writer, seq FROM audit";

/// Maps a row of [`AUDIT_SELECT`].
pub fn audit_entry(r: &Row) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        id: get(r, 0)?,
        at: get(r, 1)?,
        operator: get(r, 2)?,
        action: get(r, 3)?,
        card_number: get(r, 4)?,
        order_id: get(r, 5)?,
        from_state: get(r, 6)?,
        to_state: get(r, 7)?,
        reason: get(r, 8)?,
        os_user: get(r, 9)?,
        writer: get(r, 10)?,
        seq: get(r, 11)?,
    })
}

/// The order columns; use with [`order`].
pub const ORDER_SELECT: &str = "SELECT id, state, created_by, created_at, closed_at, profile, released_at, released_by \
     FROM orders";

/// Maps a row of [`ORDER_SELECT`] (without cards).
pub fn order(r: &Row) -> Result<Order, StoreError> {
    let state: String = get(r, 1)?;
    Ok(Order {
        id: get(r, 0)?,
        state: parse_order_state(&state).ok_or_else(|| bad_value("order state", &state))?,
        created_by: get(r, 2)?,
        created_at: get(r, 3)?,
        closed_at: get(r, 4)?,
        profile: get(r, 5)?,
        released_at: get(r, 6)?,
        released_by: get(r, 7)?,
        cards: Vec::new(),
    })
}

/// A count column as `u64`.
pub fn count(r: &Row, i: usize) -> Result<u64, StoreError> {
    Ok(u64::try_from(get::<Option<i64>>(r, i)?.unwrap_or(0)).unwrap_or(0))
}
