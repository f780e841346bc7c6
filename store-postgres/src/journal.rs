//! The production journal: the claim of a card (an attempt), its steps (intent, then
//! outcome), the chip serial, and the sealed secrets and certificate fingerprints of a
//! produced card.
//!
//! A claim is one short transaction: the order's row share-locked and checked open, the
//! run's row and the station's claim share-locked and checked (fencing), then the next
//! waiting card of the order taken with `FOR UPDATE SKIP LOCKED` — a desk never waits for
//! another desk's claim, it takes the next card — and marked with the new attempt
//! (`cards.attempt_in_flight`), so the queue condition lives on the card's own row. Every
//! later write of the attempt locks the attempt's row and refuses once it is closed.

use std::collections::HashMap;

use cardline_issuance::model::*;
use cardline_issuance::store::sqlite::{attempt_status_name, parse_step};
use cardline_issuance::store::{
    AttemptKeys, AttemptSuccess, JournalRecord, SealedSecrets, StoreError,
};

use crate::rows::{
    ATTEMPT_CARD_SELECT, ATTEMPT_SELECT, CARD_SELECT, attempt, card, card_id_of, get,
};
use crate::tx::Tx;

/// The state of an order, or `OrderNotFound`; with `share`, the order's row stays
/// share-locked until commit (it cannot be cancelled or completed meanwhile).
pub fn order_state(tx: &Tx<'_>, order_id: OrderId, share: bool) -> Result<OrderState, StoreError> {
    let sql = if share {
        "SELECT state FROM orders WHERE id = $1 FOR SHARE"
    } else {
        "SELECT state FROM orders WHERE id = $1"
    };
    let state: String = get(
        &tx.query_opt("reading an order", sql, &[&order_id])?
            .ok_or(StoreError::OrderNotFound(order_id))?,
        0,
    )?;
    cardline_issuance::store::sqlite::parse_order_state(&state).ok_or_else(|| StoreError::Backend {
        operation: "reading an order".into(),
        detail: format!("unknown order state `{state}`"),
    })
}

/// Takes the next card of the order waiting for production (or the card numbered `only`)
/// and opens an attempt for it on `station`, owned by `run`.
pub fn begin(
    tx: &Tx<'_>,
    run: RunId,
    order_id: OrderId,
    station: &str,
    only: Option<&str>,
) -> Result<Option<(Card, AttemptId)>, StoreError> {
    const OP: &str = "starting a production attempt";
    let state = order_state(tx, order_id, true)?;
    if state != OrderState::Open {
        return Err(StoreError::OrderState {
            id: order_id,
            state: state.as_str().into(),
            what: "only open orders can be produced".into(),
        });
    }
    crate::runs::require_owner(tx, run, station)?;
    let found = match only {
        None => lock_waiting(tx, order_id, 1)?.pop(),
        Some(number) => tx
            .query_opt(
                OP,
                &format!("{CARD_SELECT} WHERE {WAITING} AND c.number = $2 FOR UPDATE SKIP LOCKED"),
                &[&order_id, &number],
            )?
            .map(|r| card(&r))
            .transpose()?,
    };
    let Some(card) = found else {
        return Ok(None);
    };
    open_attempt(tx, run, card, order_id, station).map(Some)
}

/// The condition of a card of order `$1` waiting for production.
const WAITING: &str =
    "c.order_id = $1 AND c.state = 'in_production' AND c.attempt_in_flight IS NULL";

/// The next `n` waiting cards of an open order in the order of production, their rows locked
/// (`SKIP LOCKED`: a card another desk is claiming right now is passed over). The order's row
/// is share-locked first, so it cannot be closed before this transaction commits; none when
/// the order is closed by now or no card waits.
pub fn next_waiting(tx: &Tx<'_>, order_id: OrderId, n: usize) -> Result<Vec<Card>, StoreError> {
    if order_state(tx, order_id, true)? != OrderState::Open {
        return Ok(Vec::new());
    }
    lock_waiting(tx, order_id, n)
}

/// The next `n` waiting cards of order `order_id` in the order of production, their rows
/// locked (`SKIP LOCKED`); the caller checked the order open under a share lock.
fn lock_waiting(tx: &Tx<'_>, order_id: OrderId, n: usize) -> Result<Vec<Card>, StoreError> {
    tx.query(
        "starting a production attempt",
        // The limit is written out, not a parameter: a generic plan ([`crate::tx::Plans`])
        // would assume a tenth of the order's cards.
        &format!(
            "{CARD_SELECT} WHERE {WAITING} ORDER BY c.order_position LIMIT {n} \
             FOR UPDATE SKIP LOCKED"
        ),
        &[&order_id],
    )?
    .iter()
    .map(card)
    .collect()
}

/// Opens an attempt on `station` owned by `run` for `card` (locked by the caller, taken by
/// the waiting condition) and marks the card with it; counts the card's move last when the
/// transaction counts its own ([`crate::tx::Mode::WriteCounted`]).
pub fn open_attempt(
    tx: &Tx<'_>,
    run: RunId,
    card: Card,
    order_id: OrderId,
    station: &str,
) -> Result<(Card, AttemptId), StoreError> {
    Ok(open_attempts(tx, run, vec![card], order_id, &[station])?
        .pop()
        .expect("one attempt for one card"))
}

/// [`open_attempt`] for several cards of one order, the i-th on `stations[i]`, in two
/// statements (the attempts, then the cards' marks); audited and counted card by card.
pub fn open_attempts(
    tx: &Tx<'_>,
    run: RunId,
    cards: Vec<Card>,
    order_id: OrderId,
    stations: &[&str],
) -> Result<Vec<(Card, AttemptId)>, StoreError> {
    const OP: &str = "starting a production attempt";
    debug_assert_eq!(cards.len(), stations.len());
    if cards.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<CardId> = cards.iter().map(|c| c.id).collect();
    let opened: HashMap<CardId, AttemptId> = tx
        .query(
            OP,
            "INSERT INTO attempts (card_id, order_id, station, status, started_at, run_id) \
             SELECT c, $3, s, 'in_flight', $4, $5 \
             FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS t (c, s, n) ORDER BY n \
             RETURNING card_id, id",
            &[&ids, &stations, &order_id, &tx.now, &run],
        )?
        .iter()
        .map(|r| Ok((get(r, 0)?, get(r, 1)?)))
        .collect::<Result<_, StoreError>>()?;
    let attempts: Vec<AttemptId> = ids.iter().map(|c| opened[c]).collect();
    tx.execute(
        OP,
        "UPDATE cards SET attempt_in_flight = t.a \
         FROM unnest($1::bigint[], $2::bigint[]) AS t (c, a) WHERE cards.id = t.c",
        &[&ids, &attempts],
    )?;
    let mut out = Vec::with_capacity(cards.len());
    for ((card, attempt), station) in cards.into_iter().zip(attempts).zip(stations) {
        let reason = format!("attempt {attempt} on station {station} (run {run})");
        tx.audit(
            "attempt.begin",
            Some(&card.number),
            Some(order_id),
            None,
            None,
            Some(&reason),
        )?;
        crate::order_counts::claim_moves(tx, order_id, card.id, attempt);
        out.push((card, attempt));
    }
    Ok(out)
}

/// Cards of the order waiting for production (no attempt in flight).
pub fn waiting(tx: &Tx<'_>, order_id: OrderId) -> Result<u64, StoreError> {
    crate::rows::count(
        &tx.query_one(
            "counting waiting cards",
            "SELECT COUNT(*) FROM cards c WHERE c.order_id = $1 AND c.state = 'in_production' \
             AND c.attempt_in_flight IS NULL",
            &[&order_id],
        )?,
        0,
    )
}

/// An attempt and its card; with `lock`, the attempt's row locked until commit.
fn attempt_head(
    tx: &Tx<'_>,
    id: AttemptId,
    lock: bool,
) -> Result<(Card, AttemptStatus, OrderId), StoreError> {
    // The attempt's row and its card's in one statement (was two: every journal write and
    // close of an attempt reads them first).
    let sql = if lock {
        format!("{ATTEMPT_CARD_SELECT} WHERE a.id = $1 FOR UPDATE OF a")
    } else {
        format!("{ATTEMPT_CARD_SELECT} WHERE a.id = $1")
    };
    tx.query_opt("reading an attempt", &sql, &[&id])?
        .map(|r| crate::rows::attempt_card(&r))
        .transpose()?
        .ok_or(StoreError::AttemptNotFound(id))
}

/// The card of an attempt, as it is now.
pub fn card_of(tx: &Tx<'_>, id: AttemptId) -> Result<Card, StoreError> {
    attempt_head(tx, id, false).map(|(card, _, _)| card)
}

/// Fencing: locks the attempt and refuses unless it is still in flight.
fn require_in_flight(tx: &Tx<'_>, id: AttemptId) -> Result<(Card, OrderId), StoreError> {
    let (card, status, order) = attempt_head(tx, id, true)?;
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
    tx: &Tx<'_>,
    attempt: AttemptId,
    records: &[JournalRecord<'_>],
) -> Result<(), StoreError> {
    const OP: &str = "journaling a step";
    // Once recovery (or anyone) closed the attempt, its old owner may not write.
    let (card, order) = require_in_flight(tx, attempt)?;
    for r in records {
        match *r {
            JournalRecord::StepStarted(step) => {
                tx.execute(
                    OP,
                    "INSERT INTO attempt_steps (attempt_id, step, started_at) VALUES ($1, $2, $3)",
                    &[&attempt, &step.as_str(), &tx.now],
                )?;
            }
            JournalRecord::StepFinished(step, error) => {
                let outcome = error.unwrap_or("ok");
                let changed = tx.execute(
                    OP,
                    "UPDATE attempt_steps SET finished_at = $1, outcome = $2 WHERE id = \
                     (SELECT id FROM attempt_steps WHERE attempt_id = $3 AND step = $4 \
                      AND finished_at IS NULL ORDER BY id DESC LIMIT 1)",
                    &[&tx.now, &outcome, &attempt, &step.as_str()],
                )?;
                if changed == 0 {
                    tx.execute(
                        OP,
                        "INSERT INTO attempt_steps (attempt_id, step, started_at, finished_at, \
                         outcome) VALUES ($1, $2, $3, $3, $4)",
                        &[&attempt, &step.as_str(), &tx.now, &outcome],
                    )?;
                }
            }
            JournalRecord::Chip(chip) => {
                tx.execute(
                    "recording the chip",
                    "UPDATE attempts SET chip_id = $1 WHERE id = $2",
                    &[&chip, &attempt],
                )?;
            }
            JournalRecord::Keys(keys) => set_keys(tx, attempt, &card, order, keys)?,
        }
    }
    Ok(())
}

/// Records the keys of an attempt, after checking the management-key master against the one
/// the database registered (the first attempt that encodes registers it; two desks doing so
/// at once: `ON CONFLICT DO NOTHING` makes the second compare with the first's).
fn set_keys(
    tx: &Tx<'_>,
    attempt: AttemptId,
    card: &Card,
    order: OrderId,
    keys: &AttemptKeys,
) -> Result<(), StoreError> {
    if let Some(issuer) = &keys.issuer
        && let Some(revoked) = crate::desk_cas::revoked_issuer(tx, issuer)?
    {
        return Err(cardline_issuance::ca::desk_ca_issuer_revoked(&revoked));
    }
    crate::key_registry::check_or_register(
        tx,
        AttemptKeys::MANAGEMENT_MASTER,
        &keys.management_master,
        || {
            Ok(cardline_issuance::store::KeyRegistrant {
                card: Some(card.number.clone()),
                order: Some(order),
                note: "the first attempt that encodes in this database",
            })
        },
    )?;
    tx.execute(
        "recording an attempt's key ids",
        "UPDATE attempts SET key_ids = $1 WHERE id = $2",
        &[&keys.to_text(), &attempt],
    )?;
    Ok(())
}

/// Closes the attempt with `status`; its card is no longer claimed. Returns the chip id the
/// attempt recorded.
fn close(
    tx: &Tx<'_>,
    attempt: AttemptId,
    card: CardId,
    status: AttemptStatus,
    reason: Option<&str>,
    chip: Option<&str>,
) -> Result<Option<String>, StoreError> {
    const OP: &str = "closing a production attempt";
    let row = tx.query_one(
        OP,
        "UPDATE attempts SET status = $1, reason = $2, finished_at = $3, \
         chip_id = COALESCE($4, chip_id) WHERE id = $5 RETURNING chip_id",
        &[
            &attempt_status_name(status),
            &reason,
            &tx.now,
            &chip,
            &attempt,
        ],
    )?;
    tx.execute(
        OP,
        "UPDATE cards SET attempt_in_flight = NULL WHERE id = $1 AND attempt_in_flight = $2",
        &[&card, &attempt],
    )?;
    get(&row, 0)
}

/// Closes the attempt as succeeded; the card goes to `unassigned` with its chip, certificate
/// fingerprints and sealed secrets.
pub fn succeeded(
    tx: &Tx<'_>,
    attempt: AttemptId,
    success: &AttemptSuccess,
) -> Result<Card, StoreError> {
    const OP: &str = "closing a production attempt";
    let (card, order) = require_in_flight(tx, attempt)?;
    if card.order_id != Some(order) {
        // Not the case the store counts itself: the triggers count whatever moves. (A card
        // out of production is refused by the transition below, and nothing is written.)
        tx.leave_counts_to_triggers()?;
    }
    let chip = close(
        tx,
        attempt,
        card.id,
        AttemptStatus::Succeeded,
        None,
        success.chip_id.as_deref(),
    )?;
    tx.transition(&card, CardEvent::Produced, Some(order), None)?;
    tx.execute(
        OP,
        "UPDATE cards SET chip_id = $1, failure_reason = NULL, produced_in_order = $2 \
         WHERE id = $3",
        &[&chip, &order, &card.id],
    )?;
    if !success.certificate_fingerprints.is_empty() {
        tx.execute(
            OP,
            "INSERT INTO attempt_certificates (attempt_id, fingerprint) \
             SELECT $1, f FROM unnest($2::text[]) WITH ORDINALITY AS t (f, n) ORDER BY n",
            &[&attempt, &success.certificate_fingerprints],
        )?;
    }
    if let Some(s) = &success.secrets {
        tx.execute(
            OP,
            "INSERT INTO card_secrets (card_id, key_id, nonce, ciphertext, sealed_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (card_id) DO UPDATE SET \
             key_id = excluded.key_id, nonce = excluded.nonce, \
             ciphertext = excluded.ciphertext, sealed_at = excluded.sealed_at",
            &[&card.id, &s.key_id, &s.nonce, &s.ciphertext, &tx.now],
        )?;
    }
    let produced = tx.reload(card.id)?;
    crate::order_counts::success_moves(tx, order, card.id, attempt);
    Ok(produced)
}

/// Closes the attempt as failed; the card goes to `failed` with the reason.
pub fn failed(tx: &Tx<'_>, attempt: AttemptId, reason: &str) -> Result<Card, StoreError> {
    let (card, order) = require_in_flight(tx, attempt)?;
    close(
        tx,
        attempt,
        card.id,
        AttemptStatus::Failed,
        Some(reason),
        None,
    )?;
    tx.transition(
        &card,
        CardEvent::ProductionFailed,
        Some(order),
        Some(reason),
    )?;
    tx.execute(
        "closing a production attempt",
        "UPDATE cards SET failure_reason = $1 WHERE id = $2",
        &[&reason, &card.id],
    )?;
    tx.reload(card.id)
}

/// Closes the attempt as void; the card stays `in_production` to be produced again. The
/// audit entry is `action` (`attempt.void`, or `attempt.lost` when the physical card cannot be
/// found).
pub fn voided(
    tx: &Tx<'_>,
    attempt: AttemptId,
    reason: &str,
    action: &str,
) -> Result<Card, StoreError> {
    let (card, order) = require_in_flight(tx, attempt)?;
    close(
        tx,
        attempt,
        card.id,
        AttemptStatus::Void,
        Some(reason),
        None,
    )?;
    tx.audit(
        action,
        Some(&card.number),
        Some(order),
        None,
        None,
        Some(reason),
    )?;
    crate::certs::revoke_card(
        tx,
        &card.number,
        cardline_issuance::ca::revocation::SPOILED_ATTEMPT,
        true,
        &format!("{action} of attempt {attempt}"),
    )?;
    // The card waits again: desks waiting for work wake (delivered at commit).
    crate::desks::notify_work(tx)?;
    Ok(card)
}

/// Fills in the steps of `attempts` (one query for all of them).
fn with_steps(tx: &Tx<'_>, mut attempts: Vec<Attempt>) -> Result<Vec<Attempt>, StoreError> {
    if attempts.is_empty() {
        return Ok(attempts);
    }
    let ids: Vec<AttemptId> = attempts.iter().map(|a| a.id).collect();
    let rows = tx.query(
        "reading steps",
        "SELECT attempt_id, step, started_at, finished_at, outcome FROM attempt_steps \
         WHERE attempt_id = ANY($1) ORDER BY attempt_id, id",
        &[&ids],
    )?;
    let mut by_attempt: std::collections::HashMap<AttemptId, Vec<StepRecord>> =
        std::collections::HashMap::new();
    for r in &rows {
        let step: String = get(r, 1)?;
        let Some(step) = parse_step(&step) else {
            continue;
        };
        by_attempt.entry(get(r, 0)?).or_default().push(StepRecord {
            step,
            started_at: get(r, 2)?,
            finished_at: get(r, 3)?,
            outcome: get(r, 4)?,
        });
    }
    for a in &mut attempts {
        a.steps = by_attempt.remove(&a.id).unwrap_or_default();
    }
    Ok(attempts)
}

/// Attempts in flight, oldest first.
pub fn in_flight(tx: &Tx<'_>) -> Result<Vec<Attempt>, StoreError> {
    let attempts = tx
        .query(
            "listing attempts in flight",
            &format!("{ATTEMPT_SELECT} WHERE a.status = 'in_flight' ORDER BY a.id"),
            &[],
        )?
        .iter()
        .map(attempt)
        .collect::<Result<Vec<_>, _>>()?;
    with_steps(tx, attempts)
}

/// A card's attempts, oldest first.
pub fn of_card(tx: &Tx<'_>, number: &str) -> Result<Vec<Attempt>, StoreError> {
    let id = card_id_of(tx, number)?.ok_or_else(|| StoreError::CardNotFound(number.to_string()))?;
    let attempts = tx
        .query(
            "listing attempts",
            &format!("{ATTEMPT_SELECT} WHERE a.card_id = $1 ORDER BY a.id"),
            &[&id],
        )?
        .iter()
        .map(attempt)
        .collect::<Result<Vec<_>, _>>()?;
    with_steps(tx, attempts)
}

/// The sealed secrets of a card's current physical card.
pub fn secrets(tx: &Tx<'_>, number: &str) -> Result<Option<SealedSecrets>, StoreError> {
    let id = card_id_of(tx, number)?.ok_or_else(|| StoreError::CardNotFound(number.to_string()))?;
    tx.query_opt(
        "reading sealed secrets",
        "SELECT key_id, nonce, ciphertext FROM card_secrets WHERE card_id = $1",
        &[&id],
    )?
    .map(|r| {
        Ok(SealedSecrets {
            key_id: get(&r, 0)?,
            nonce: get(&r, 1)?,
            ciphertext: get(&r, 2)?,
        })
    })
    .transpose()
}
