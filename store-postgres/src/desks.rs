//! Desks: orders released to desk daemons, the claim of their cards, the runs and station
//! claims `cardline desks` shows, the attempts of lapsed runs that never touched a card, and
//! the work notifications (LISTEN/NOTIFY on [`WORK_CHANNEL`]) that wake waiting desks.

use std::time::{Duration, Instant};

use cardline_issuance::model::*;
use cardline_issuance::store::StoreError;
use postgres::fallible_iterator::FallibleIterator;

use crate::rows::{ATTEMPT_SELECT, attempt, get};
use crate::tx::Tx;

/// The channel on which work for the desks is announced: an order released, a card put back
/// in the queue (attempt voided, lost or requeued). The payload is empty.
pub const WORK_CHANNEL: &str = "cardline_work";

/// Announces work to every desk listening; PostgreSQL delivers it when the transaction
/// commits (and not at all if it rolls back).
pub fn notify_work(tx: &Tx<'_>) -> Result<(), StoreError> {
    tx.execute(
        "announcing work to the desks",
        "SELECT pg_notify($1, '')",
        &[&WORK_CHANNEL],
    )
    .map(drop)
}

/// Releases an open order to the desks (audited `order.release`), its row locked meanwhile.
pub fn release(tx: &Tx<'_>, id: OrderId) -> Result<Order, StoreError> {
    let order = crate::orders::header(tx, id, true)?;
    if order.state != OrderState::Open {
        return Err(StoreError::OrderState {
            id,
            state: order.state.as_str().into(),
            what: "only an open order can be released to the desks".into(),
        });
    }
    if let (Some(at), Some(by)) = (&order.released_at, &order.released_by) {
        return Err(StoreError::OrderState {
            id,
            state: "released".into(),
            what: format!("{by} released it at {at}; the desks are producing it already"),
        });
    }
    tx.execute(
        "releasing an order",
        "UPDATE orders SET released_at = $1, released_by = $2 WHERE id = $3",
        &[&tx.now, &tx.operator(), &id],
    )?;
    tx.audit("order.release", None, Some(id), None, None, None)?;
    notify_work(tx)?;
    crate::orders::get_order(tx, id)
}

/// Open orders released to the desks, oldest first.
pub fn released(tx: &Tx<'_>) -> Result<Vec<OrderId>, StoreError> {
    tx.query(
        "listing released orders",
        "SELECT id FROM orders WHERE state = 'open' AND released_at IS NOT NULL ORDER BY id",
        &[],
    )?
    .iter()
    .map(|r| get(r, 0))
    .collect()
}

/// Takes the next waiting card of the oldest released open order (skipping the orders in
/// `skip`) and opens an attempt for it on `station`, owned by `run`: the run and its claim
/// of the station checked under share locks (fencing), each order share-locked and checked
/// open, its next card taken with `FOR UPDATE SKIP LOCKED` — desks claiming at once never
/// wait for each other's cards and never take the same one.
pub fn begin_released(
    tx: &Tx<'_>,
    run: RunId,
    station: &str,
    skip: &[OrderId],
) -> Result<Option<(Card, AttemptId)>, StoreError> {
    crate::runs::require_owner(tx, run, station)?;
    for order_id in released(tx)?.into_iter().filter(|o| !skip.contains(o)) {
        if let Some(card) = crate::journal::next_waiting(tx, order_id)? {
            return crate::journal::open_attempt(tx, run, card, order_id, station).map(Some);
        }
    }
    Ok(None)
}

/// Voids the in-flight attempts of runs that ended or whose lease ran out (by the server's
/// clock), when the attempt never started a physical step: the card never left the store, so
/// it simply waits again (audited `attempt.requeue`, desks notified). Attempts that touched a
/// card are left for recovery. The attempts are locked with `SKIP LOCKED`: one being closed
/// right now by its desk is left alone.
pub fn requeue_untouched(tx: &Tx<'_>) -> Result<Vec<Attempt>, StoreError> {
    let found: Vec<Attempt> = tx
        .query(
            "finding attempts of lapsed runs",
            &format!(
                "{ATTEMPT_SELECT} JOIN runs r ON r.id = a.run_id \
                 WHERE a.status = 'in_flight' AND (r.ended_at IS NOT NULL OR \
                 r.lease_until_ms < (extract(epoch FROM clock_timestamp()) * 1000)::bigint) \
                 AND NOT EXISTS (SELECT 1 FROM attempt_steps s WHERE s.attempt_id = a.id) \
                 ORDER BY a.id FOR UPDATE OF a SKIP LOCKED"
            ),
            &[],
        )?
        .iter()
        .map(attempt)
        .collect::<Result<_, _>>()?;
    for a in &found {
        let reason = format!(
            "run {} stopped renewing its lease before card {} was touched; it waits again",
            a.run_id.unwrap_or_default(),
            a.card_number
        );
        crate::journal::voided(tx, a.id, &reason, "attempt.requeue")?;
    }
    Ok(found)
}

/// Every station claim, by station name.
pub fn claims(tx: &Tx<'_>) -> Result<Vec<StationClaim>, StoreError> {
    tx.query(
        "listing station claims",
        "SELECT station, run_id, claimed_at FROM station_claims ORDER BY station",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(StationClaim {
            station: get(r, 0)?,
            run: get(r, 1)?,
            claimed_at: get(r, 2)?,
        })
    })
    .collect()
}

/// The connection that listens on [`WORK_CHANNEL`], opened on first use and kept: a
/// notification arriving between two waits is buffered by it and wakes the next wait at once.
pub(crate) struct Listener {
    client: Option<postgres::Client>,
}

impl Listener {
    /// No connection yet.
    pub(crate) fn new() -> Listener {
        Listener { client: None }
    }

    /// Blocks until a notification arrives or `timeout` passes; drains the notifications
    /// already buffered. Without a connection (the server unreachable) it sleeps `timeout`,
    /// so a desk falls back to polling and tries to listen again next time.
    pub(crate) fn wait(&mut self, url: &crate::DatabaseUrl, timeout: Duration) {
        let start = Instant::now();
        if self.client.is_none() {
            match crate::migrate::connect(url).and_then(|mut c| {
                c.client
                    .batch_execute(&format!("LISTEN {WORK_CHANNEL}"))
                    .map_err(|e| crate::error::store_error("listening for work", &e))?;
                Ok(c.client)
            }) {
                Ok(c) => self.client = Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for work; polling instead");
                    std::thread::sleep(timeout);
                    return;
                }
            }
        }
        let Some(client) = self.client.as_mut() else {
            return;
        };
        let woke = {
            let mut notes = client.notifications();
            let first = notes.timeout_iter(timeout).next();
            match first {
                Ok(Some(_)) => {
                    // Several releases at once wake one wait, not one each.
                    while let Ok(Some(_)) = notes.iter().next() {}
                    Ok(true)
                }
                Ok(None) => Ok(false),
                Err(e) => Err(e),
            }
        };
        if let Err(e) = woke {
            tracing::warn!(error = %e, "the work listener's connection failed; reconnecting");
            self.client = None;
            std::thread::sleep(timeout.saturating_sub(start.elapsed()));
        }
    }
}
