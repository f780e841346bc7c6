//! [`Tx`]: one short transaction on one pooled connection — the only place that changes a
//! card's state (through [`cardline_issuance::lifecycle::next_state`]) and appends to the
//! audit log — and the runner that begins, commits, rolls back and retries it.
//!
//! Writes run at READ COMMITTED with explicit row locks where two writers race (see
//! docs/postgres.md); a transaction the server aborted as a deadlock or serialization
//! failure is run again from the start (a few times, with a short random pause). Reads run
//! in one REPEATABLE READ READ ONLY transaction: a consistent snapshot. The time every row of
//! a transaction carries is the server's, so several desks write one clock.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::Duration;

use cardline_issuance::audit::{AuditSealer, WriterHead};
use cardline_issuance::ca::revocation::revocation_for_event;

use cardline_issuance::lifecycle::next_state;
use cardline_issuance::model::*;
use cardline_issuance::store::sqlite::event_name;
use cardline_issuance::store::{Actor, StoreError};
use postgres::Row;
use postgres::types::ToSql;

use crate::error::{is_connection_failure, is_retryable, store_error};
use crate::pool::{Conn, Manager};

/// Parameters of a statement.
pub(crate) type Params<'a> = [&'a (dyn ToSql + Sync)];

/// How often a transaction the server aborted (deadlock, serialization failure) is run.
const TRIES: u32 = 8;

/// The server's time as the store writes it (`2026-11-24T00:03:51.123Z`) and as epoch
/// milliseconds, in one row.
const NOW: &str = "SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), \
     (extract(epoch FROM t) * 1000)::bigint::text FROM (SELECT now() AS t) s";

/// One transaction: its connection, its time and its operator.
pub(crate) struct Tx<'c> {
    conn: RefCell<&'c mut Conn>,
    /// The time every row written in this transaction carries (RFC 3339, server clock).
    pub now: String,
    /// The same time in epoch milliseconds.
    pub now_ms: i64,
    operator: &'c str,
    retry: Cell<bool>,
    /// Who seals the audit entries of this transaction.
    pub(crate) sealer: Arc<AuditSealer>,
    /// The writer's audit head once read (and locked) in this transaction (`Some(None)`: no
    /// entry yet).
    pub(crate) head: RefCell<Option<Option<WriterHead>>>,
    /// Whether this transaction writes the order counters' moves itself (the counter
    /// triggers stand aside: [`Mode::WriteCounted`]) rather than leaving them to the triggers.
    counts_moves: Cell<bool>,
    /// The connection's audit lane ([`crate::pool::Lane`]).
    pub(crate) lane: usize,
    /// Audit entries of this transaction not written yet ([`Tx::audit`]).
    pub(crate) pending_audit: RefCell<Vec<cardline_issuance::audit::EntryContent>>,
    /// Order counter moves this transaction counts itself, not written yet.
    pub(crate) pending_moves: RefCell<Vec<crate::order_counts::Move>>,
}

impl<'c> Tx<'c> {
    fn fail(&self, operation: &str, e: postgres::Error) -> StoreError {
        if is_retryable(&e) {
            self.retry.set(true);
        }
        if is_connection_failure(&e) {
            self.conn.borrow_mut().broken = true;
        }
        store_error(operation, &e)
    }

    /// Runs a statement (prepared once per connection) and returns its rows.
    pub fn query(&self, op: &str, sql: &str, params: &Params<'_>) -> Result<Vec<Row>, StoreError> {
        let mut conn = self.conn.borrow_mut();
        let result = conn
            .statement(sql)
            .and_then(|st| conn.client.query(&st, params));
        drop(conn);
        result.map_err(|e| self.fail(op, e))
    }

    /// Runs a statement that returns at most one row.
    pub fn query_opt(
        &self,
        op: &str,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<Option<Row>, StoreError> {
        let mut rows = self.query(op, sql, params)?;
        if rows.len() > 1 {
            return Err(StoreError::Backend {
                operation: op.to_string(),
                detail: format!("{} rows where at most one was expected", rows.len()),
            });
        }
        Ok(rows.pop())
    }

    /// Runs a statement that returns exactly one row.
    pub fn query_one(&self, op: &str, sql: &str, params: &Params<'_>) -> Result<Row, StoreError> {
        self.query_opt(op, sql, params)?
            .ok_or_else(|| StoreError::Backend {
                operation: op.to_string(),
                detail: "no row where one was expected".into(),
            })
    }

    /// Runs a statement and returns how many rows it changed.
    pub fn execute(&self, op: &str, sql: &str, params: &Params<'_>) -> Result<u64, StoreError> {
        let mut conn = self.conn.borrow_mut();
        let result = conn
            .statement(sql)
            .and_then(|st| conn.client.execute(&st, params));
        drop(conn);
        result.map_err(|e| self.fail(op, e))
    }

    /// Runs `f` with the client itself (COPY).
    pub fn with_client<T>(
        &self,
        op: &str,
        f: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.borrow_mut();
        let result = f(&mut conn.client);
        drop(conn);
        result.map_err(|e| self.fail(op, e))
    }

    /// The operator of this transaction.
    pub fn operator(&self) -> &str {
        self.operator
    }

    /// Whether this transaction writes its order counters' moves itself (see
    /// [`crate::order_counts::claim_moves`]); false: the triggers write them.
    pub fn counts_moves(&self) -> bool {
        self.counts_moves.get()
    }

    /// Gives the counters' moves of the rest of this transaction back to the triggers (for a
    /// case the store's own counting does not cover; moves kept so far are still written).
    /// Nothing when they have them already.
    pub fn leave_counts_to_triggers(&self) -> Result<(), StoreError> {
        if self.counts_moves.replace(false) {
            self.execute(
                "handing the order counters to the triggers",
                "SELECT set_config('cardline.order_counts', '', true)",
                &[],
            )?;
        }
        Ok(())
    }

    /// Moves `card` by `event` (refused with the lifecycle's typed error), writes the audit
    /// entry `card.<event>`, and returns the new state. `order_id` names the order concerned
    /// (defaults to the card's open order).
    pub fn transition(
        &self,
        card: &Card,
        event: CardEvent,
        order_id: Option<OrderId>,
        reason: Option<&str>,
    ) -> Result<CardState, StoreError> {
        let to = next_state(card.state, event)?;
        let changed = self.execute(
            "changing a card's state",
            "UPDATE cards SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4",
            &[&to.as_str(), &self.now, &card.id, &card.state.as_str()],
        )?;
        if changed != 1 {
            return Err(StoreError::Backend {
                operation: "changing a card's state".into(),
                detail: format!("card `{}` changed underneath this transaction", card.number),
            });
        }
        let action = format!("card.{}", event_name(event));
        self.audit(
            &action,
            Some(&card.number),
            order_id.or(card.order_id),
            Some(card.state),
            Some(to),
            reason,
        )?;
        if let Some(why) = revocation_for_event(event) {
            crate::certs::revoke_card(self, &card.number, why, false, &action)?;
        }
        Ok(to)
    }

    /// Takes a card out of its open order (the membership stays as history).
    pub fn leave_order(&self, card_id: CardId) -> Result<(), StoreError> {
        const OP: &str = "taking a card out of an order";
        self.execute(
            OP,
            "UPDATE order_cards SET open = false WHERE card_id = $1 AND open",
            &[&card_id],
        )?;
        self.execute(
            OP,
            "UPDATE cards SET order_id = NULL, order_position = NULL WHERE id = $1",
            &[&card_id],
        )?;
        Ok(())
    }

    /// Re-reads a card after changes.
    pub fn reload(&self, card_id: CardId) -> Result<Card, StoreError> {
        crate::rows::card_by_id(self, card_id)
    }
}

/// What kind of transaction to run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// READ COMMITTED, committed at the end.
    Write,
    /// As `Write`, but the order counter triggers of a card's state and an attempt's
    /// insertion and status stand aside (`cardline.order_counts = 'app'`, migration 14): the
    /// transaction writes those moves itself, last, so the counter rows are locked only for
    /// its commit.
    WriteCounted,
    /// READ COMMITTED, rolled back at the end (a dry run by the code that would write).
    Rehearse,
    /// REPEATABLE READ READ ONLY: one snapshot.
    Read,
}

/// How the server plans the (prepared) statements of a transaction.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plans {
    /// The server's default: a plan for the parameters of each of a statement's first five
    /// executions on a connection, then a generic one if it is not worse — right for searches
    /// whose parameters change the best plan (a `LIKE` prefix, a range).
    Custom,
    /// One generic plan per statement and connection (`plan_cache_mode =
    /// force_generic_plan`): for the production journal's keyed statements, whose best plan
    /// never depends on their parameters. Each runs only a few times on each of a desk's
    /// pooled connections in an order, so under the default nearly every execution was
    /// planned again (a fifth of the server's CPU in the burst after a release,
    /// docs/PERFORMANCE.md).
    Generic,
}

/// Marks a connection broken unless its transaction was finished, so a panic inside a
/// transaction never hands a connection with an open transaction back to the pool.
struct Unfinished<'a> {
    conn: &'a mut Conn,
    finished: bool,
}

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.conn.broken = true;
        }
    }
}

/// Runs `f` in one transaction of `mode` on a connection of `pool`.
pub(crate) fn run<T>(
    pool: &r2d2::Pool<Manager>,
    sealer: &Arc<AuditSealer>,
    operation: &str,
    actor: &Actor,
    mode: Mode,
    plans: Plans,
    f: impl Fn(&Tx<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let begin = match mode {
        Mode::Write | Mode::Rehearse => "BEGIN;",
        Mode::WriteCounted => "BEGIN; SET LOCAL cardline.order_counts = 'app';",
        Mode::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;",
    };
    let plan = match plans {
        Plans::Custom => "",
        Plans::Generic => " SET LOCAL plan_cache_mode = force_generic_plan;",
    };
    let begin = format!("{begin}{plan} {NOW}");
    let mut fresh_connections = 0;
    let mut tries = 0;
    loop {
        tries += 1;
        let mut pooled = pool.get().map_err(|e| StoreError::Unavailable {
            operation: operation.to_string(),
            detail: e.to_string(),
        })?;
        let mut guard = Unfinished {
            conn: &mut pooled,
            finished: false,
        };
        let (now, now_ms) = match begin_transaction(guard.conn, &begin) {
            Ok(now) => now,
            Err(e) if is_connection_failure(&e) => {
                // An idle connection the server (or the network) closed: nothing was sent
                // that could have changed anything, so take another.
                guard.conn.broken = true;
                guard.finished = true;
                fresh_connections += 1;
                if fresh_connections <= pool.max_size() {
                    continue;
                }
                return Err(store_error(operation, &e));
            }
            Err(e) => return Err(store_error(operation, &e)),
        };
        let lane = guard.conn.lane.n;
        let tx = Tx {
            lane,
            conn: RefCell::new(&mut *guard.conn),
            now,
            now_ms,
            operator: &actor.0,
            retry: Cell::new(false),
            sealer: Arc::clone(sealer),
            head: RefCell::new(None),
            counts_moves: Cell::new(mode == Mode::WriteCounted),
            pending_audit: RefCell::new(Vec::new()),
            pending_moves: RefCell::new(Vec::new()),
        };
        // The rows every transaction of a writer (its audit head) or of an order (its
        // counters) must lock are written last, so they stay locked for the commit only.
        let result = f(&tx).and_then(|v| {
            tx.flush_audit()?;
            crate::order_counts::write_moves(&tx)?;
            Ok(v)
        });
        let retry = tx.retry.get();
        drop(tx);
        let end = match (&result, mode) {
            (Ok(_), Mode::Write | Mode::WriteCounted) => "COMMIT",
            _ => "ROLLBACK",
        };
        match guard.conn.client.batch_execute(end) {
            Ok(()) => guard.finished = true,
            Err(e) => {
                guard.conn.broken = is_connection_failure(&e) || guard.conn.broken;
                guard.finished = !guard.conn.broken;
                if end == "COMMIT" {
                    if is_retryable(&e) && tries < TRIES {
                        pause(tries);
                        continue;
                    }
                    return Err(store_error(operation, &e));
                }
            }
        }
        match result {
            Err(_) if retry && tries < TRIES => {
                tracing::debug!(operation, tries, "transaction aborted by the server; again");
                drop(guard);
                pause(tries);
            }
            other => return other,
        }
    }
}

/// Sends BEGIN and reads the server's time in one round trip.
fn begin_transaction(conn: &mut Conn, begin: &str) -> Result<(String, i64), postgres::Error> {
    let messages = conn.client.simple_query(begin)?;
    for m in messages {
        if let postgres::SimpleQueryMessage::Row(row) = m {
            let now = row.get(0).unwrap_or_default().to_string();
            let ms = row.get(1).and_then(|t| t.parse().ok()).unwrap_or_default();
            return Ok((now, ms));
        }
    }
    Ok((
        cardline_issuance::store::sqlite::timestamp::now(),
        cardline_issuance::store::sqlite::timestamp::now_ms(),
    ))
}

/// A short pause growing with the tries, jittered so that two aborted writers do not meet
/// again at once.
fn pause(tries: u32) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let base = 2u64 << tries.min(6);
    std::thread::sleep(Duration::from_millis(base + u64::from(nanos % 7)));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How often the statement `SQL`, run three times in one transaction planned as `plans`
    /// on a fresh connection, was planned generically and for its parameters — by the server.
    fn plan_counts(url: &crate::DatabaseUrl, plans: Plans) -> (i64, i64) {
        const SQL: &str = "SELECT oid FROM pg_class WHERE relname = $1";
        let pool = crate::pool::build(url).unwrap();
        let sealer = Arc::new(AuditSealer::new(String::from("test"), None));
        run(
            &pool,
            &sealer,
            "test",
            &Actor::system(),
            Mode::Read,
            plans,
            |tx| {
                for _ in 0..3 {
                    tx.query("test", SQL, &[&"pg_class"])?;
                }
                let row = tx.query_one(
                    "test",
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements \
                 WHERE statement = $1",
                    &[&SQL],
                )?;
                Ok((get_i64(&row, 0), get_i64(&row, 1)))
            },
        )
        .unwrap()
    }

    fn get_i64(row: &Row, i: usize) -> i64 {
        row.get(i)
    }

    #[test]
    fn journal_statements_are_planned_once_others_for_their_parameters() {
        let Ok(url) = std::env::var("CARDLINE_TEST_POSTGRES") else {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
            assert!(
                !ci,
                "CI is set but CARDLINE_TEST_POSTGRES is not: run under scripts/with-postgres.sh"
            );
            cardline_device::skipped!("no postgres (CARDLINE_TEST_POSTGRES unset)");
            return;
        };
        let url = crate::DatabaseUrl::parse(&url).unwrap();
        assert_eq!(
            plan_counts(&url, Plans::Generic),
            (3, 0),
            "one generic plan, reused"
        );
        assert_eq!(
            plan_counts(&url, Plans::Custom),
            (0, 3),
            "the server's default"
        );
    }
}
