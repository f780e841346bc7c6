//! [`OrderTx`] for a PostgreSQL transaction: what [`cardline_issuance::order_rules`] needs,
//! nothing more. The order's row is locked by the rules' first read of it, and the cards they
//! change are locked as they are read, so cancel, complete, repeat and production claims of
//! one order run one after the other.

use cardline_issuance::model::*;
use cardline_issuance::order_rules::OrderTx;
use cardline_issuance::store::StoreError;

use crate::rows::get;
use crate::tx::Tx;

impl OrderTx for Tx<'_> {
    fn order_header(&self, id: OrderId) -> Result<Order, StoreError> {
        crate::orders::header(self, id, true)
    }

    fn order_cards(&self, id: OrderId, open_only: bool) -> Result<Vec<Card>, StoreError> {
        crate::orders::cards_of(self, id, open_only, true)
    }

    fn card_by_number(&self, number: &str) -> Result<Card, StoreError> {
        crate::cards::card_for_update(self, number)
    }

    fn attempt_in_flight(&self, order: OrderId) -> Result<Option<(AttemptId, String)>, StoreError> {
        self.query_opt(
            "reading attempts in flight",
            "SELECT a.id, c.number FROM attempts a JOIN cards c ON c.id = a.card_id \
             WHERE a.order_id = $1 AND a.status = 'in_flight' ORDER BY a.id LIMIT 1",
            &[&order],
        )?
        .map(|r| Ok((get(&r, 0)?, get(&r, 1)?)))
        .transpose()
    }

    fn transition(
        &self,
        card: &Card,
        event: CardEvent,
        order: Option<OrderId>,
        reason: Option<&str>,
    ) -> Result<CardState, StoreError> {
        Tx::transition(self, card, event, order, reason)
    }

    fn leave_order(&self, card: CardId) -> Result<(), StoreError> {
        Tx::leave_order(self, card)
    }

    fn set_failure_reason(&self, card: CardId, reason: Option<&str>) -> Result<(), StoreError> {
        self.execute(
            "changing a card",
            "UPDATE cards SET failure_reason = $1 WHERE id = $2",
            &[&reason, &card],
        )?;
        Ok(())
    }

    fn close_order(&self, id: OrderId, state: OrderState) -> Result<(), StoreError> {
        self.execute(
            "closing an order",
            "UPDATE orders SET state = $1, closed_at = $2 WHERE id = $3",
            &[&state.as_str(), &self.now, &id],
        )?;
        Ok(())
    }

    fn void_succeeded_attempts(&self, card: CardId, reason: &str) -> Result<u64, StoreError> {
        self.execute(
            "voiding an attempt",
            "UPDATE attempts SET status = 'void', reason = $1 \
             WHERE card_id = $2 AND status = 'succeeded'",
            &[&reason, &card],
        )
    }

    fn forget_produced(&self, card: CardId) -> Result<(), StoreError> {
        const OP: &str = "repeating production";
        self.execute(OP, "DELETE FROM card_secrets WHERE card_id = $1", &[&card])?;
        self.execute(
            OP,
            "UPDATE cards SET chip_id = NULL, produced_in_order = NULL WHERE id = $1",
            &[&card],
        )?;
        Ok(())
    }

    fn audit(
        &self,
        action: &str,
        card_number: Option<&str>,
        order: Option<OrderId>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        Tx::audit(self, action, card_number, order, None, None, reason)
    }

    fn reload(&self, card: CardId) -> Result<Card, StoreError> {
        Tx::reload(self, card)
    }
}
