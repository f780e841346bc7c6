//! [`Writer`]: the context of one write transaction: the only place that changes a card's
//! state (through [`crate::lifecycle::next_state`]) and appends to the audit log.

use rusqlite::{Connection, params};

use super::{backend, rows, timestamp};
use crate::lifecycle::next_state;
use crate::model::*;
use crate::store::{AuditFilter, StoreError};

/// One write transaction: the connection, its timestamp and its operator.
pub struct Writer<'t> {
    /// The open `BEGIN IMMEDIATE` transaction.
    pub conn: &'t Connection,
    /// The time every row written in this transaction carries.
    pub now: String,
    operator: &'t str,
}

/// The stable name of an event, used in audit actions (`card.assign`).
pub fn event_name(e: CardEvent) -> &'static str {
    match e {
        CardEvent::AddToOrder => "add_to_order",
        CardEvent::CancelFromOrder => "cancel_from_order",
        CardEvent::Produced => "produced",
        CardEvent::ProductionFailed => "production_failed",
        CardEvent::Repeat => "repeat",
        CardEvent::Release => "release",
        CardEvent::Assign => "assign",
        CardEvent::Withdraw => "withdraw",
        CardEvent::Lock => "lock",
        CardEvent::Expire => "expire",
    }
}

impl<'t> Writer<'t> {
    /// A writer for the transaction `conn`, acting as `operator`.
    pub fn new(conn: &'t Connection, operator: &'t str) -> Writer<'t> {
        Writer {
            conn,
            now: timestamp::now(),
            operator,
        }
    }

    /// Appends an audit entry.
    pub fn audit(
        &self,
        action: &str,
        card_number: Option<&str>,
        order_id: Option<OrderId>,
        from: Option<CardState>,
        to: Option<CardState>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO audit (at, operator, action, card_number, order_id, from_state, \
                 to_state, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    self.now,
                    self.operator,
                    action,
                    card_number,
                    order_id,
                    from.map(CardState::as_str),
                    to.map(CardState::as_str),
                    reason
                ])
            })
            .map_err(backend("writing the audit log"))?;
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
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE cards SET state = ?1, updated_at = ?2 WHERE id = ?3 AND state = ?4",
            )
            .and_then(|mut st| {
                st.execute(params![to.as_str(), self.now, card.id, card.state.as_str()])
            })
            .map_err(backend("changing a card's state"))?;
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
        Ok(to)
    }

    /// Puts a card in an open order at `position` (membership row plus the card's mirror).
    pub fn join_order(
        &self,
        card_id: CardId,
        order_id: OrderId,
        position: i64,
    ) -> Result<(), StoreError> {
        const OP: &str = "putting a card in an order";
        self.conn
            .prepare_cached(
                "INSERT INTO order_cards (order_id, card_id, position, open) VALUES (?1, ?2, ?3, 1)",
            )
            .and_then(|mut st| st.execute(params![order_id, card_id, position]))
            .map_err(backend(OP))?;
        self.conn
            .prepare_cached("UPDATE cards SET order_id = ?1, order_position = ?2 WHERE id = ?3")
            .and_then(|mut st| st.execute(params![order_id, position, card_id]))
            .map_err(backend(OP))?;
        Ok(())
    }

    /// Takes a card out of its open order (the membership stays as history).
    pub fn leave_order(&self, card_id: CardId) -> Result<(), StoreError> {
        const OP: &str = "taking a card out of an order";
        self.conn
            .prepare_cached("UPDATE order_cards SET open = 0 WHERE card_id = ?1 AND open = 1")
            .and_then(|mut st| st.execute([card_id]))
            .map_err(backend(OP))?;
        self.conn
            .prepare_cached("UPDATE cards SET order_id = NULL, order_position = NULL WHERE id = ?1")
            .and_then(|mut st| st.execute([card_id]))
            .map_err(backend(OP))?;
        Ok(())
    }

    /// The operator of this transaction.
    pub fn operator(&self) -> &str {
        self.operator
    }

    /// Re-reads a card after changes.
    pub fn reload(&self, card_id: CardId) -> Result<Card, StoreError> {
        rows::card_by_id(self.conn, card_id)
    }
}

/// Reads the audit log (oldest first; with a limit, the newest `limit` entries).
pub fn read_audit(conn: &Connection, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
    let mut sql = String::from(
        "SELECT id, at, operator, action, card_number, order_id, from_state, to_state, reason \
         FROM audit WHERE 1 = 1",
    );
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(card) = &filter.card_number {
        args.push(card.clone().into());
        sql.push_str(&format!(" AND card_number = ?{}", args.len()));
    }
    if let Some(order) = filter.order_id {
        args.push(order.into());
        sql.push_str(&format!(" AND order_id = ?{}", args.len()));
    }
    if let Some(operator) = &filter.operator {
        args.push(operator.clone().into());
        sql.push_str(&format!(" AND operator = ?{}", args.len()));
    }
    match filter.action.as_deref() {
        Some(prefix) if prefix.ends_with('.') => {
            args.push(format!("{prefix}%").into());
            sql.push_str(&format!(" AND action LIKE ?{}", args.len()));
        }
        Some(action) => {
            args.push(action.to_string().into());
            sql.push_str(&format!(" AND action = ?{}", args.len()));
        }
        None => {}
    }
    sql.push_str(" ORDER BY id DESC");
    if let Some(limit) = filter.limit {
        args.push(i64::from(limit).into());
        sql.push_str(&format!(" LIMIT ?{}", args.len()));
    }
    let mut entries = conn
        .prepare(&sql)
        .and_then(|mut st| {
            st.query_map(rusqlite::params_from_iter(args), rows::audit_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(backend("reading the audit log"))?;
    entries.reverse();
    Ok(entries)
}
