//! [`OrderTx`] for a SQLite write transaction: what [`crate::order_rules`] needs, nothing more.

use rusqlite::{OptionalExtension, params};

use super::writer::Writer;
use super::{backend, orders, rows};
use crate::model::*;
use crate::order_rules::OrderTx;
use crate::store::StoreError;

impl OrderTx for Writer<'_> {
    fn order_header(&self, id: OrderId) -> Result<Order, StoreError> {
        orders::header(self.conn, id)
    }

    fn order_cards(&self, id: OrderId, open_only: bool) -> Result<Vec<Card>, StoreError> {
        orders::cards_of(self.conn, id, open_only)
    }

    fn card_by_number(&self, number: &str) -> Result<Card, StoreError> {
        rows::card_by_number(self.conn, number)
    }

    fn attempt_in_flight(&self, order: OrderId) -> Result<Option<(AttemptId, String)>, StoreError> {
        self.conn
            .query_row(
                "SELECT a.id, c.number FROM attempts a JOIN cards c ON c.id = a.card_id \
                 WHERE a.order_id = ?1 AND a.status = 'in_flight' ORDER BY a.id LIMIT 1",
                [order],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(backend("reading attempts in flight"))
    }

    fn transition(
        &self,
        card: &Card,
        event: CardEvent,
        order: Option<OrderId>,
        reason: Option<&str>,
    ) -> Result<CardState, StoreError> {
        Writer::transition(self, card, event, order, reason)
    }

    fn leave_order(&self, card: CardId) -> Result<(), StoreError> {
        Writer::leave_order(self, card)
    }

    fn set_failure_reason(&self, card: CardId, reason: Option<&str>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE cards SET failure_reason = ?1 WHERE id = ?2",
                params![reason, card],
            )
            .map_err(backend("changing a card"))?;
        Ok(())
    }

    fn close_order(&self, id: OrderId, state: OrderState) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE orders SET state = ?1, closed_at = ?2 WHERE id = ?3",
                params![state.as_str(), self.now, id],
            )
            .map_err(backend("closing an order"))?;
        Ok(())
    }

    fn void_succeeded_attempts(&self, card: CardId, reason: &str) -> Result<u64, StoreError> {
        self.conn
            .execute(
                "UPDATE attempts SET status = 'void', reason = ?1 \
                 WHERE card_id = ?2 AND status = 'succeeded'",
                params![reason, card],
            )
            .map(|n| n as u64)
            .map_err(backend("voiding an attempt"))
    }

    fn forget_produced(&self, card: CardId) -> Result<(), StoreError> {
        const OP: &str = "repeating production";
        self.conn
            .execute("DELETE FROM card_secrets WHERE card_id = ?1", [card])
            .map_err(backend(OP))?;
        self.conn
            .execute(
                "UPDATE cards SET chip_id = NULL, produced_in_order = NULL WHERE id = ?1",
                [card],
            )
            .map_err(backend(OP))?;
        Ok(())
    }

    fn audit(
        &self,
        action: &str,
        card_number: Option<&str>,
        order: Option<OrderId>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        Writer::audit(self, action, card_number, order, None, None, reason)
    }

    fn reload(&self, card: CardId) -> Result<Card, StoreError> {
        Writer::reload(self, card)
    }
}
