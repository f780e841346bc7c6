//! [`Writer`]: the context of one write transaction: the only place that changes a card's
//! state (through [`crate::lifecycle::next_state`]) and appends to the audit log.

use std::cell::RefCell;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};

use super::{backend, rows, timestamp};
use crate::audit::{AuditSealer, ChainFields, EntryContent, StoredEntry, WriterHead};
use crate::ca::revocation::revocation_for_event;
use crate::lifecycle::next_state;
use crate::model::*;
use crate::store::{AuditFilter, StoreError};

/// One write transaction: the connection, its timestamp, its operator and the audit sealer.
pub struct Writer<'t> {
    /// The open `BEGIN IMMEDIATE` transaction.
    pub conn: &'t Connection,
    /// The time every row written in this transaction carries.
    pub now: String,
    operator: &'t str,
    sealer: Arc<AuditSealer>,
    /// The writer's audit head once read in this transaction (`Some(None)`: no entry yet).
    head: RefCell<Option<Option<WriterHead>>>,
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
    /// A writer for the transaction `conn`, acting as `operator`, sealing audit entries with
    /// `sealer`.
    pub fn new(conn: &'t Connection, operator: &'t str, sealer: Arc<AuditSealer>) -> Writer<'t> {
        Writer {
            conn,
            now: timestamp::now(),
            operator,
            sealer,
            head: RefCell::new(None),
        }
    }

    /// Appends an audit entry, chained after this writer's head (read once per transaction;
    /// the transaction's write lock keeps it current) and MACed by the store's sealer.
    pub fn audit(
        &self,
        action: &str,
        card_number: Option<&str>,
        order_id: Option<OrderId>,
        from: Option<CardState>,
        to: Option<CardState>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        const OP: &str = "writing the audit log";
        let content = EntryContent {
            at: self.now.clone(),
            operator: self.operator.to_string(),
            os_user: self.sealer.os_user_for(self.operator),
            action: action.to_string(),
            card_number: card_number.map(str::to_string),
            order_id,
            from_state: from.map(|s| s.as_str().to_string()),
            to_state: to.map(|s| s.as_str().to_string()),
            reason: reason.map(str::to_string),
        };
        let mut head = self.head.borrow_mut();
        if head.is_none() {
            *head = Some(audit_head(self.conn, &self.sealer.writer).map_err(backend(OP))?);
        }
        let chain = self
            .sealer
            .seal(&content, head.as_ref().and_then(Option::as_ref));
        self.conn
            .prepare_cached(
                "INSERT INTO audit (at, operator, action, card_number, order_id, from_state, \
                 to_state, reason, os_user, writer, seq, prev_hash, entry_hash, mac, key_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    content.at,
                    content.operator,
                    content.action,
                    content.card_number,
                    content.order_id,
                    content.from_state,
                    content.to_state,
                    content.reason,
                    content.os_user,
                    chain.writer,
                    chain.seq,
                    chain.prev_hash,
                    chain.entry_hash,
                    chain.mac,
                    chain.key_id
                ])
            })
            .map_err(backend(OP))?;
        self.conn
            .prepare_cached(
                "INSERT INTO audit_heads (writer, seq, hash) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (writer) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            )
            .and_then(|mut st| st.execute(params![chain.writer, chain.seq, chain.entry_hash]))
            .map_err(backend(OP))?;
        *head = Some(Some(WriterHead {
            writer: chain.writer,
            seq: chain.seq,
            hash: chain.entry_hash,
        }));
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
        if let Some(why) = revocation_for_event(event) {
            super::certs::revoke_card(self, &card.number, why, false, &action)?;
        }
        Ok(to)
    }

    /// Puts `cards` (each `requested`) into the new open order `order_id` at positions 1, 2, …
    /// (membership rows and the cards' mirror of their open order) and moves each by
    /// [`CardEvent::AddToOrder`] with its audit entry `card.add_to_order`, in two statements
    /// for the whole order (was: an insert and two updates per card, the state through
    /// [`transition`](Self::transition)). Per card, each statement on `cards` paid a
    /// statement journal (the order counters' trigger on `cards` makes SQLite copy every page
    /// an `UPDATE OF state` changes before changing it, although the trigger stands aside for
    /// cards leaving `requested`): 2 s of an order of 100,000 cards (docs/PERFORMANCE.md).
    pub fn join_new_order(&self, cards: &[Card], order_id: OrderId) -> Result<(), StoreError> {
        const OP: &str = "putting cards in an order";
        let event = CardEvent::AddToOrder;
        let from = CardState::Requested;
        let to = next_state(from, event)?;
        let mut ids = String::with_capacity(cards.len() * 8 + 2);
        ids.push('[');
        for (i, card) in cards.iter().enumerate() {
            next_state(card.state, event)?;
            if card.state != from {
                return Err(StoreError::NotSelectable {
                    number: card.number.clone(),
                    why: format!(
                        "it is `{}`, only `requested` cards can be ordered",
                        card.state
                    ),
                });
            }
            if i > 0 {
                ids.push(',');
            }
            ids.push_str(&card.id.to_string());
        }
        ids.push(']');
        self.conn
            .prepare_cached(
                "INSERT INTO order_cards (order_id, card_id, position, open) \
                 SELECT ?1, j.value, j.key + 1, 1 FROM json_each(?2) j",
            )
            .and_then(|mut st| st.execute(params![order_id, ids]))
            .map_err(backend(OP))?;
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE cards SET order_id = ?1, order_position = m.position, state = ?2, \
                 updated_at = ?3 FROM order_cards m \
                 WHERE m.order_id = ?1 AND m.card_id = cards.id AND cards.state = ?4",
            )
            .and_then(|mut st| st.execute(params![order_id, to.as_str(), self.now, from.as_str()]))
            .map_err(backend("changing cards' state"))?;
        if changed != cards.len() {
            return Err(StoreError::Backend {
                operation: "changing cards' state".into(),
                detail: format!(
                    "{} of {} cards changed underneath this transaction",
                    cards.len().saturating_sub(changed),
                    cards.len()
                ),
            });
        }
        let action = format!("card.{}", event_name(event));
        for card in cards {
            self.audit(
                &action,
                Some(&card.number),
                Some(order_id),
                Some(from),
                Some(to),
                None,
            )?;
        }
        if let Some(why) = revocation_for_event(event) {
            for card in cards {
                super::certs::revoke_card(self, &card.number, why, false, &action)?;
            }
        }
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
        "SELECT id, at, operator, action, card_number, order_id, from_state, to_state, reason, \
         os_user, writer, seq FROM audit WHERE 1 = 1",
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
    if let Some(from) = &filter.at_from {
        args.push(from.clone().into());
        sql.push_str(&format!(" AND at >= ?{}", args.len()));
    }
    if let Some(before) = &filter.at_before {
        args.push(before.clone().into());
        sql.push_str(&format!(" AND at < ?{}", args.len()));
    }
    if let Some(id) = filter.before_id {
        args.push(id.into());
        sql.push_str(&format!(" AND id < ?{}", args.len()));
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

/// The newest entry of `writer` as recorded in `audit_heads`.
fn audit_head(conn: &Connection, writer: &str) -> rusqlite::Result<Option<WriterHead>> {
    conn.prepare_cached("SELECT seq, hash FROM audit_heads WHERE writer = ?1")?
        .query_row([writer], |r| {
            Ok(WriterHead {
                writer: writer.to_string(),
                seq: r.get(0)?,
                hash: r.get(1)?,
            })
        })
        .optional()
}

/// Every audit row with its chain fields, in row-id order, and every writer's recorded head.
pub fn audit_records(conn: &Connection) -> Result<crate::store::AuditRecords, StoreError> {
    const OP: &str = "reading the audit chain";
    let entries = conn
        .prepare(
            "SELECT id, at, operator, os_user, action, card_number, order_id, from_state, \
             to_state, reason, writer, seq, prev_hash, entry_hash, mac, key_id FROM audit \
             ORDER BY id",
        )
        .and_then(|mut st| {
            st.query_map([], |r| {
                let writer: Option<String> = r.get(10)?;
                let seq: Option<i64> = r.get(11)?;
                let prev_hash: Option<String> = r.get(12)?;
                let entry_hash: Option<String> = r.get(13)?;
                let chain = match (writer, seq, prev_hash, entry_hash) {
                    (Some(writer), Some(seq), Some(prev_hash), Some(entry_hash)) => {
                        Some(ChainFields {
                            writer,
                            seq,
                            prev_hash,
                            entry_hash,
                            mac: r.get(14)?,
                            key_id: r.get(15)?,
                        })
                    }
                    _ => None,
                };
                Ok(StoredEntry {
                    id: r.get(0)?,
                    content: EntryContent {
                        at: r.get(1)?,
                        operator: r.get(2)?,
                        os_user: r.get(3)?,
                        action: r.get(4)?,
                        card_number: r.get(5)?,
                        order_id: r.get(6)?,
                        from_state: r.get(7)?,
                        to_state: r.get(8)?,
                        reason: r.get(9)?,
                    },
                    chain,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(backend(OP))?;
    let heads = conn
        .prepare("SELECT writer, seq, hash FROM audit_heads ORDER BY writer")
        .and_then(|mut st| {
            st.query_map([], |r| {
                Ok(WriterHead {
                    writer: r.get(0)?,
                    seq: r.get(1)?,
                    hash: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(backend(OP))?;
    Ok(crate::store::AuditRecords { entries, heads })
}
