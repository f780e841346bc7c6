//! The production journal: attempts, their steps (intent, then outcome), the chip serial, and
//! the sealed secrets and certificate fingerprints of a produced card.

use rusqlite::{Connection, OptionalExtension, params};

use super::backend;
use super::rows::{
    ATTEMPT_SELECT, CARD_SELECT, attempt_from_row, attempt_status_name, card_from_row, parse_step,
};
use super::writer::Writer;
use crate::model::*;
use crate::store::{AttemptKeys, AttemptSuccess, JournalRecord, SealedSecrets, StoreError};

/// The state of an order, or `OrderNotFound`.
pub fn order_state(conn: &Connection, order_id: OrderId) -> Result<OrderState, StoreError> {
    let state: String = conn
        .prepare_cached("SELECT state FROM orders WHERE id = ?1")
        .and_then(|mut st| st.query_row([order_id], |r| r.get(0)).optional())
        .map_err(backend("reading an order"))?
        .ok_or(StoreError::OrderNotFound(order_id))?;
    super::rows::parse_order_state(&state).ok_or_else(|| StoreError::Backend {
        operation: "reading an order".into(),
        detail: format!("unknown order state `{state}`"),
    })
}

fn require_open(conn: &Connection, order_id: OrderId) -> Result<(), StoreError> {
    let state = order_state(conn, order_id)?;
    if state != OrderState::Open {
        return Err(StoreError::OrderState {
            id: order_id,
            state: state.as_str().into(),
            what: "only open orders can be produced".into(),
        });
    }
    Ok(())
}

/// Takes the next card of the order waiting for production (or the card numbered `only`)
/// and opens an attempt for it on `station`, owned by `run`.
pub fn begin(
    w: &Writer<'_>,
    run: RunId,
    order_id: OrderId,
    station: &str,
    only: Option<&str>,
) -> Result<Option<(Card, AttemptId)>, StoreError> {
    const OP: &str = "starting a production attempt";
    require_open(w.conn, order_id)?;
    super::runs::require_owner(w.conn, run, station)?;
    // The partial index cards_production_queue makes this one index lookup; only cards with
    // an attempt in flight on another station are skipped.
    let found = match only {
        None => w
            .conn
            .prepare_cached(&format!(
                "{CARD_SELECT} WHERE c.order_id = ?1 AND {WAITING} ORDER BY c.order_position LIMIT 1"
            ))
            .and_then(|mut st| st.query_row([order_id], card_from_row).optional()),
        Some(number) => w
            .conn
            .prepare_cached(&format!(
                "{CARD_SELECT} WHERE c.order_id = ?1 AND {WAITING} AND c.number = ?2"
            ))
            .and_then(|mut st| {
                st.query_row(params![order_id, number], card_from_row)
                    .optional()
            }),
    };
    let Some(card) = found.map_err(backend(OP))? else {
        return Ok(None);
    };
    open_attempt(w, run, card, order_id, station).map(Some)
}

/// A card waits for production: `in_production` with no attempt in flight.
const WAITING: &str = "c.state = 'in_production' \
     AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.card_id = c.id AND a.status = 'in_flight')";

/// Takes the next waiting card of the oldest released open order (skipping the orders in
/// `skip`) and opens an attempt for it on `station`, owned by `run`.
pub fn begin_released(
    w: &Writer<'_>,
    run: RunId,
    station: &str,
    skip: &[OrderId],
) -> Result<Option<(Card, AttemptId)>, StoreError> {
    const OP: &str = "starting a production attempt";
    super::runs::require_owner(w.conn, run, station)?;
    let orders: Vec<OrderId> = w
        .conn
        .prepare_cached(
            "SELECT id FROM orders WHERE state = 'open' AND released_at IS NOT NULL ORDER BY id",
        )
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .map_err(backend(OP))?;
    for order_id in orders.into_iter().filter(|o| !skip.contains(o)) {
        let found = w
            .conn
            .prepare_cached(&format!(
                "{CARD_SELECT} WHERE c.order_id = ?1 AND {WAITING} ORDER BY c.order_position LIMIT 1"
            ))
            .and_then(|mut st| st.query_row([order_id], card_from_row).optional())
            .map_err(backend(OP))?;
        if let Some(card) = found {
            return open_attempt(w, run, card, order_id, station).map(Some);
        }
    }
    Ok(None)
}

fn open_attempt(
    w: &Writer<'_>,
    run: RunId,
    card: Card,
    order_id: OrderId,
    station: &str,
) -> Result<(Card, AttemptId), StoreError> {
    w.conn
        .prepare_cached(
            "INSERT INTO attempts (card_id, order_id, station, status, started_at, run_id) \
             VALUES (?1, ?2, ?3, 'in_flight', ?4, ?5)",
        )
        .and_then(|mut st| st.execute(params![card.id, order_id, station, w.now, run]))
        .map_err(backend("starting a production attempt"))?;
    let attempt = w.conn.last_insert_rowid();
    let reason = format!("attempt {attempt} on station {station} (run {run})");
    w.audit(
        "attempt.begin",
        Some(&card.number),
        Some(order_id),
        None,
        None,
        Some(&reason),
    )?;
    Ok((card, attempt))
}

/// Cards of the order waiting for production (no attempt in flight).
pub fn waiting(conn: &Connection, order_id: OrderId) -> Result<u64, StoreError> {
    conn.prepare_cached(
        "SELECT COUNT(*) FROM cards c WHERE c.order_id = ?1 AND c.state = 'in_production' \
         AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.card_id = c.id AND a.status = 'in_flight')",
    )
    .and_then(|mut st| st.query_row([order_id], |r| r.get::<_, i64>(0)))
    .map(|n| u64::try_from(n).unwrap_or(0))
    .map_err(backend("counting waiting cards"))
}

/// (card id, card number, status) of an attempt.
fn attempt_head(
    conn: &Connection,
    id: AttemptId,
) -> Result<(Card, AttemptStatus, OrderId), StoreError> {
    let sql = format!("{ATTEMPT_SELECT} WHERE a.id = ?1");
    let attempt = conn
        .prepare_cached(&sql)
        .and_then(|mut st| st.query_row([id], attempt_from_row).optional())
        .map_err(backend("reading an attempt"))?
        .ok_or(StoreError::AttemptNotFound(id))?;
    let card = super::rows::card_by_id(conn, attempt.card_id)?;
    Ok((card, attempt.status, attempt.order_id))
}

/// The card of an attempt, as it is now.
pub fn card_of(conn: &Connection, id: AttemptId) -> Result<Card, StoreError> {
    attempt_head(conn, id).map(|(card, _, _)| card)
}

fn require_in_flight(conn: &Connection, id: AttemptId) -> Result<(Card, OrderId), StoreError> {
    let (card, status, order) = attempt_head(conn, id)?;
    if status != AttemptStatus::InFlight {
        return Err(StoreError::AttemptClosed {
            id,
            status: attempt_status_name(status).into(),
        });
    }
    Ok((card, order))
}

/// Journals the records of one attempt, in order.
pub fn records(
    w: &Writer<'_>,
    attempt: AttemptId,
    records: &[JournalRecord<'_>],
) -> Result<(), StoreError> {
    // Fencing: once recovery (or anyone) closed the attempt, its old owner may not write.
    let (card, order) = require_in_flight(w.conn, attempt)?;
    for r in records {
        match *r {
            JournalRecord::StepStarted(step) => step_started(w, attempt, step)?,
            JournalRecord::StepFinished(step, error) => step_finished(w, attempt, step, error)?,
            JournalRecord::Chip(chip) => set_chip(w, attempt, chip)?,
            JournalRecord::Keys(keys) => set_keys(w, attempt, &card, order, keys)?,
        }
    }
    Ok(())
}

/// Records the keys of an attempt, after checking the management-key master against the one
/// the database registered (the first attempt that encodes registers it).
fn set_keys(
    w: &Writer<'_>,
    attempt: AttemptId,
    card: &Card,
    order: OrderId,
    keys: &AttemptKeys,
) -> Result<(), StoreError> {
    if let Some(issuer) = &keys.issuer
        && let Some(revoked) = super::desk_cas::revoked_issuer(w.conn, issuer)?
    {
        return Err(crate::ca::desk_ca_issuer_revoked(&revoked));
    }
    super::key_registry::check_or_register(
        w,
        AttemptKeys::MANAGEMENT_MASTER,
        &keys.management_master,
        || {
            Ok(crate::store::KeyRegistrant {
                card: Some(card.number.clone()),
                order: Some(order),
                note: "the first attempt that encodes in this database",
            })
        },
    )?;
    w.conn
        .prepare_cached("UPDATE attempts SET key_ids = ?2 WHERE id = ?1")
        .and_then(|mut st| st.execute(params![attempt, keys.to_text()]))
        .map_err(backend("recording an attempt's key ids"))?;
    Ok(())
}

/// Journals the intent of a step.
fn step_started(
    w: &Writer<'_>,
    attempt: AttemptId,
    step: ProductionStep,
) -> Result<(), StoreError> {
    w.conn
        .prepare_cached(
            "INSERT INTO attempt_steps (attempt_id, step, started_at) VALUES (?1, ?2, ?3)",
        )
        .and_then(|mut st| st.execute(params![attempt, step.as_str(), w.now]))
        .map_err(backend("journaling a step"))?;
    Ok(())
}

/// Journals the outcome of the latest unfinished `step` of the attempt (or a new finished row
/// when the intent was never journaled).
fn step_finished(
    w: &Writer<'_>,
    attempt: AttemptId,
    step: ProductionStep,
    error: Option<&str>,
) -> Result<(), StoreError> {
    const OP: &str = "journaling a step";
    let outcome = error.unwrap_or("ok");
    let changed = w
        .conn
        .prepare_cached(
            "UPDATE attempt_steps SET finished_at = ?1, outcome = ?2 WHERE id = \
             (SELECT id FROM attempt_steps WHERE attempt_id = ?3 AND step = ?4 \
              AND finished_at IS NULL ORDER BY id DESC LIMIT 1)",
        )
        .and_then(|mut st| st.execute(params![w.now, outcome, attempt, step.as_str()]))
        .map_err(backend(OP))?;
    if changed == 0 {
        w.conn
            .prepare_cached(
                "INSERT INTO attempt_steps (attempt_id, step, started_at, finished_at, outcome) \
                 VALUES (?1, ?2, ?3, ?3, ?4)",
            )
            .and_then(|mut st| st.execute(params![attempt, step.as_str(), w.now, outcome]))
            .map_err(backend(OP))?;
    }
    Ok(())
}

/// Records the chip serial of an attempt.
fn set_chip(w: &Writer<'_>, attempt: AttemptId, chip_id: &str) -> Result<(), StoreError> {
    w.conn
        .prepare_cached("UPDATE attempts SET chip_id = ?1 WHERE id = ?2")
        .and_then(|mut st| st.execute(params![chip_id, attempt]))
        .map_err(backend("recording the chip"))?;
    Ok(())
}

fn close(
    w: &Writer<'_>,
    attempt: AttemptId,
    status: AttemptStatus,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    w.conn
        .prepare_cached(
            "UPDATE attempts SET status = ?1, reason = ?2, finished_at = ?3 WHERE id = ?4",
        )
        .and_then(|mut st| st.execute(params![attempt_status_name(status), reason, w.now, attempt]))
        .map_err(backend("closing a production attempt"))?;
    Ok(())
}

/// Closes the attempt as succeeded; the card goes to `unassigned` with its chip, certificate
/// fingerprints and sealed secrets.
pub fn succeeded(
    w: &Writer<'_>,
    attempt: AttemptId,
    success: &AttemptSuccess,
) -> Result<Card, StoreError> {
    const OP: &str = "closing a production attempt";
    let (card, order) = require_in_flight(w.conn, attempt)?;
    close(w, attempt, AttemptStatus::Succeeded, None)?;
    if let Some(chip) = &success.chip_id {
        w.conn
            .execute(
                "UPDATE attempts SET chip_id = ?1 WHERE id = ?2",
                params![chip, attempt],
            )
            .map_err(backend(OP))?;
    }
    let chip = match &success.chip_id {
        Some(c) => Some(c.clone()),
        None => w
            .conn
            .query_row(
                "SELECT chip_id FROM attempts WHERE id = ?1",
                [attempt],
                |r| r.get(0),
            )
            .map_err(backend(OP))?,
    };
    w.transition(&card, CardEvent::Produced, Some(order), None)?;
    w.conn
        .execute(
            "UPDATE cards SET chip_id = ?1, failure_reason = NULL, produced_in_order = ?2 \
             WHERE id = ?3",
            params![chip, order, card.id],
        )
        .map_err(backend(OP))?;
    for fp in &success.certificate_fingerprints {
        w.conn
            .prepare_cached(
                "INSERT INTO attempt_certificates (attempt_id, fingerprint) VALUES (?1, ?2)",
            )
            .and_then(|mut st| st.execute(params![attempt, fp]))
            .map_err(backend(OP))?;
    }
    if let Some(s) = &success.secrets {
        w.conn
            .execute(
                "INSERT INTO card_secrets (card_id, key_id, nonce, ciphertext, sealed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (card_id) DO UPDATE SET \
                 key_id = excluded.key_id, nonce = excluded.nonce, \
                 ciphertext = excluded.ciphertext, sealed_at = excluded.sealed_at",
                params![card.id, s.key_id, s.nonce, s.ciphertext, w.now],
            )
            .map_err(backend(OP))?;
    }
    w.reload(card.id)
}

/// Closes the attempt as failed; the card goes to `failed` with the reason.
pub fn failed(w: &Writer<'_>, attempt: AttemptId, reason: &str) -> Result<Card, StoreError> {
    let (card, order) = require_in_flight(w.conn, attempt)?;
    close(w, attempt, AttemptStatus::Failed, Some(reason))?;
    w.transition(
        &card,
        CardEvent::ProductionFailed,
        Some(order),
        Some(reason),
    )?;
    w.conn
        .execute(
            "UPDATE cards SET failure_reason = ?1 WHERE id = ?2",
            params![reason, card.id],
        )
        .map_err(backend("closing a production attempt"))?;
    w.reload(card.id)
}

/// Closes the attempt as void; the card stays `in_production` to be produced again. The
/// audit entry is `action` (`attempt.void`, or `attempt.lost` when the physical card cannot be
/// found).
pub fn voided(
    w: &Writer<'_>,
    attempt: AttemptId,
    reason: &str,
    action: &str,
) -> Result<Card, StoreError> {
    let (card, order) = require_in_flight(w.conn, attempt)?;
    close(w, attempt, AttemptStatus::Void, Some(reason))?;
    w.audit(
        action,
        Some(&card.number),
        Some(order),
        None,
        None,
        Some(reason),
    )?;
    super::certs::revoke_card(
        w,
        &card.number,
        crate::ca::revocation::SPOILED_ATTEMPT,
        true,
        &format!("{action} of attempt {attempt}"),
    )?;
    Ok(card)
}

fn with_steps(conn: &Connection, mut attempts: Vec<Attempt>) -> Result<Vec<Attempt>, StoreError> {
    let mut st = conn
        .prepare_cached(
            "SELECT step, started_at, finished_at, outcome FROM attempt_steps \
             WHERE attempt_id = ?1 ORDER BY id",
        )
        .map_err(backend("reading steps"))?;
    for a in &mut attempts {
        let raw: Vec<(String, String, Option<String>, Option<String>)> = st
            .query_map([a.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .and_then(|rows| rows.collect())
            .map_err(backend("reading steps"))?;
        a.steps = raw
            .into_iter()
            .filter_map(|(step, started_at, finished_at, outcome)| {
                Some(StepRecord {
                    step: parse_step(&step)?,
                    started_at,
                    finished_at,
                    outcome,
                })
            })
            .collect();
    }
    Ok(attempts)
}

/// Attempts in flight, oldest first.
pub fn in_flight(conn: &Connection) -> Result<Vec<Attempt>, StoreError> {
    let sql = format!("{ATTEMPT_SELECT} WHERE a.status = 'in_flight' ORDER BY a.id");
    let attempts = conn
        .prepare(&sql)
        .and_then(|mut st| st.query_map([], attempt_from_row)?.collect())
        .map_err(backend("listing attempts in flight"))?;
    with_steps(conn, attempts)
}

/// A card's attempts, oldest first.
pub fn of_card(conn: &Connection, number: &str) -> Result<Vec<Attempt>, StoreError> {
    let id = super::cards::id_of(conn, number)?
        .ok_or_else(|| StoreError::CardNotFound(number.into()))?;
    let sql = format!("{ATTEMPT_SELECT} WHERE a.card_id = ?1 ORDER BY a.id");
    let attempts = conn
        .prepare(&sql)
        .and_then(|mut st| st.query_map([id], attempt_from_row)?.collect())
        .map_err(backend("listing attempts"))?;
    with_steps(conn, attempts)
}

/// The sealed secrets of a card's current physical card.
pub fn secrets(conn: &Connection, number: &str) -> Result<Option<SealedSecrets>, StoreError> {
    let id = super::cards::id_of(conn, number)?
        .ok_or_else(|| StoreError::CardNotFound(number.into()))?;
    conn.query_row(
        "SELECT key_id, nonce, ciphertext FROM card_secrets WHERE card_id = ?1",
        [id],
        |r| {
            Ok(SealedSecrets {
                key_id: r.get(0)?,
                nonce: r.get(1)?,
                ciphertext: r.get(2)?,
            })
        },
    )
    .optional()
    .map_err(backend("reading sealed secrets"))
}

/// Journal records that own their text, for a write handed to another thread (the group
/// commit's leader runs production's writes, `group.rs`).
pub(super) struct OwnedRecords(Vec<Owned>);

enum Owned {
    Started(ProductionStep),
    Finished(ProductionStep, Option<String>),
    Chip(String),
    Keys(AttemptKeys),
}

impl OwnedRecords {
    /// Copies `records`.
    pub(super) fn of(records: &[JournalRecord<'_>]) -> OwnedRecords {
        OwnedRecords(
            records
                .iter()
                .map(|r| match r {
                    JournalRecord::StepStarted(s) => Owned::Started(*s),
                    JournalRecord::StepFinished(s, e) => Owned::Finished(*s, e.map(String::from)),
                    JournalRecord::Chip(c) => Owned::Chip(c.to_string()),
                    JournalRecord::Keys(k) => Owned::Keys((*k).clone()),
                })
                .collect(),
        )
    }

    /// The records, borrowed again.
    pub(super) fn records(&self) -> Vec<JournalRecord<'_>> {
        self.0
            .iter()
            .map(|r| match r {
                Owned::Started(s) => JournalRecord::StepStarted(*s),
                Owned::Finished(s, e) => JournalRecord::StepFinished(*s, e.as_deref()),
                Owned::Chip(c) => JournalRecord::Chip(c),
                Owned::Keys(k) => JournalRecord::Keys(k),
            })
            .collect()
    }
}
