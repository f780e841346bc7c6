//! Desks: orders released to desk daemons, the runs and station claims `cardline desks`
//! shows, and the attempts of lapsed runs that never touched a card (back to the queue).

use rusqlite::{Connection, params};

use super::rows::{ATTEMPT_SELECT, attempt_from_row};
use super::writer::Writer;
use super::{backend, timestamp};
use crate::model::*;
use crate::store::StoreError;

/// Releases an open order to the desks (audited `order.release`).
pub fn release(w: &Writer<'_>, id: OrderId) -> Result<Order, StoreError> {
    let order = super::orders::header(w.conn, id)?;
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
    w.conn
        .execute(
            "UPDATE orders SET released_at = ?1, released_by = ?2 WHERE id = ?3 \
             AND state = 'open' AND released_at IS NULL",
            params![w.now, w.operator(), id],
        )
        .map_err(backend("releasing an order"))?;
    w.audit("order.release", None, Some(id), None, None, None)?;
    super::orders::get(w.conn, id)
}

/// Open orders released to the desks, oldest first.
pub fn released(conn: &Connection) -> Result<Vec<OrderId>, StoreError> {
    conn.prepare_cached(
        "SELECT id FROM orders WHERE state = 'open' AND released_at IS NOT NULL ORDER BY id",
    )
    .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
    .map_err(backend("listing released orders"))
}

/// Voids the in-flight attempts of runs that ended or whose lease ran out, when the attempt
/// never started a physical step: the card never left the store, so it simply waits again
/// (audited `attempt.requeue`). Attempts that touched a card are left for recovery.
pub fn requeue_untouched(w: &Writer<'_>) -> Result<Vec<Attempt>, StoreError> {
    let now = timestamp::now_ms();
    let sql = format!(
        "{ATTEMPT_SELECT} JOIN runs r ON r.id = a.run_id \
         WHERE a.status = 'in_flight' AND (r.ended_at IS NOT NULL OR r.lease_until_ms < ?1) \
         AND NOT EXISTS (SELECT 1 FROM attempt_steps s WHERE s.attempt_id = a.id) \
         ORDER BY a.id"
    );
    let found: Vec<Attempt> = w
        .conn
        .prepare_cached(&sql)
        .and_then(|mut st| st.query_map([now], attempt_from_row)?.collect())
        .map_err(backend("finding attempts of lapsed runs"))?;
    for a in &found {
        let reason = format!(
            "run {} stopped renewing its lease before card {} was touched; it waits again",
            a.run_id.unwrap_or_default(),
            a.card_number
        );
        super::journal::voided(w, a.id, &reason, "attempt.requeue")?;
    }
    Ok(found)
}

/// Runs, newest first: the live ones (and dead ones not ended), or every run.
pub fn runs(conn: &Connection, include_ended: bool) -> Result<Vec<Run>, StoreError> {
    let ids: Vec<RunId> = conn
        .prepare_cached(if include_ended {
            "SELECT id FROM runs ORDER BY id DESC"
        } else {
            "SELECT id FROM runs WHERE ended_at IS NULL ORDER BY id DESC"
        })
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .map_err(backend("listing runs"))?;
    ids.into_iter()
        .map(|id| super::runs::get(conn, id))
        .collect()
}

/// Every station claim, with its printer's last report.
pub fn claims(conn: &Connection) -> Result<Vec<StationClaim>, StoreError> {
    conn.prepare_cached(
        "SELECT station, run_id, claimed_at, printer_status FROM station_claims ORDER BY station",
    )
    .and_then(|mut st| {
        st.query_map([], |r| {
            let printer: Option<String> = r.get(3)?;
            Ok(StationClaim {
                station: r.get(0)?,
                run: r.get(1)?,
                claimed_at: r.get(2)?,
                printer: printer
                    .as_deref()
                    .and_then(crate::printer_report::parse_stored),
            })
        })?
        .collect()
    })
    .map_err(backend("listing station claims"))
}

/// Stores a printer report on the claim `run` holds on `station`; false when it holds none.
pub fn report_printer(
    w: &Writer<'_>,
    run: RunId,
    station: &str,
    json: &str,
) -> Result<bool, StoreError> {
    let n = w
        .conn
        .execute(
            "UPDATE station_claims SET printer_status = ?1 WHERE station = ?2 AND run_id = ?3",
            params![json, station, run],
        )
        .map_err(backend("recording a printer status"))?;
    Ok(n == 1)
}
