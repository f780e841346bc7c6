//! The rules of a batch order after it is created — cancel, complete, repeat — written once,
//! backend-free, over [`OrderTx`]: the thin repository of one write transaction that every
//! store backend provides. The backend runs a rule inside its transaction and commits it.
//!
//! | operation | refused when | effect |
//! |---|---|---|
//! | [`cancel`] | order closed; a card's attempt in flight | cards not produced (`in_production`, `failed`) → `requested`; every card leaves; order `cancelled` |
//! | [`complete`] | order closed; a card still `in_production` | `failed` cards → `requested`; every card leaves; order `completed` |
//! | [`repeat`] | order closed; a named card not in the order | `failed` and named misprinted (`unassigned`) cards → `in_production`; a misprint's success is voided and its secrets and chip forgotten |

use crate::model::*;
use crate::store::StoreError;

/// What the order rules need from one write transaction of a store backend.
pub trait OrderTx {
    /// The order without its cards.
    fn order_header(&self, id: OrderId) -> Result<Order, StoreError>;
    /// The cards of an order in production order (only those it still holds when
    /// `open_only`).
    fn order_cards(&self, id: OrderId, open_only: bool) -> Result<Vec<Card>, StoreError>;
    /// A card by number.
    fn card_by_number(&self, number: &str) -> Result<Card, StoreError>;
    /// An attempt in flight on a card of the order, with the card number, if any.
    fn attempt_in_flight(&self, order: OrderId) -> Result<Option<(AttemptId, String)>, StoreError>;
    /// Moves a card by `event` (the lifecycle decides) and writes its audit entry.
    fn transition(
        &self,
        card: &Card,
        event: CardEvent,
        order: Option<OrderId>,
        reason: Option<&str>,
    ) -> Result<CardState, StoreError>;
    /// Takes a card out of its open order (the membership stays as history).
    fn leave_order(&self, card: CardId) -> Result<(), StoreError>;
    /// Sets or clears a card's failure reason.
    fn set_failure_reason(&self, card: CardId, reason: Option<&str>) -> Result<(), StoreError>;
    /// Closes an order in `state`.
    fn close_order(&self, id: OrderId, state: OrderState) -> Result<(), StoreError>;
    /// Marks the card's succeeded attempts void with `reason`; returns how many.
    fn void_succeeded_attempts(&self, card: CardId, reason: &str) -> Result<u64, StoreError>;
    /// Forgets what a produced card carried: its sealed secrets and chip id.
    fn forget_produced(&self, card: CardId) -> Result<(), StoreError>;
    /// Appends an audit entry.
    fn audit(
        &self,
        action: &str,
        card_number: Option<&str>,
        order: Option<OrderId>,
        reason: Option<&str>,
    ) -> Result<(), StoreError>;
    /// A card by id, as it is now inside the transaction.
    fn reload(&self, card: CardId) -> Result<Card, StoreError>;
}

fn require_open(tx: &dyn OrderTx, id: OrderId, what: &str) -> Result<Order, StoreError> {
    let order = tx.order_header(id)?;
    if order.state != OrderState::Open {
        return Err(StoreError::OrderState {
            id,
            state: order.state.as_str().into(),
            what: format!("only open orders can be {what}"),
        });
    }
    Ok(order)
}

/// Cancels an open order: unproduced cards go back to `requested`; refused while an attempt
/// is in flight.
pub fn cancel(tx: &dyn OrderTx, id: OrderId) -> Result<(), StoreError> {
    require_open(tx, id, "cancelled")?;
    if let Some((attempt, number)) = tx.attempt_in_flight(id)? {
        return Err(StoreError::OrderState {
            id,
            state: "open".into(),
            what: format!(
                "card `{number}` is being produced (attempt {attempt}); stop production (or run recovery) before cancelling"
            ),
        });
    }
    for card in tx.order_cards(id, true)? {
        if matches!(card.state, CardState::InProduction | CardState::Failed) {
            tx.transition(
                &card,
                CardEvent::CancelFromOrder,
                Some(id),
                Some("order cancelled"),
            )?;
            tx.set_failure_reason(card.id, None)?;
        }
        tx.leave_order(card.id)?;
    }
    tx.close_order(id, OrderState::Cancelled)?;
    tx.audit("order.cancel", None, Some(id), None)
}

/// Completes an open order: refused while a card is in production; failed cards are released
/// to `requested`; every card leaves the order.
pub fn complete(tx: &dyn OrderTx, id: OrderId) -> Result<(), StoreError> {
    require_open(tx, id, "completed")?;
    let cards = tx.order_cards(id, true)?;
    let waiting: Vec<&Card> = cards
        .iter()
        .filter(|c| c.state == CardState::InProduction)
        .collect();
    if let Some(first) = waiting.first() {
        return Err(StoreError::OrderState {
            id,
            state: "open".into(),
            what: format!(
                "{} card(s) are still in production (first: `{}`); produce them or cancel the order",
                waiting.len(),
                first.number
            ),
        });
    }
    let mut released = 0;
    for card in &cards {
        if card.state == CardState::Failed {
            tx.transition(
                card,
                CardEvent::Release,
                Some(id),
                Some("order completed without it"),
            )?;
            tx.set_failure_reason(card.id, None)?;
            released += 1;
        }
        tx.leave_order(card.id)?;
    }
    tx.close_order(id, OrderState::Completed)?;
    let reason = format!("{released} failed card(s) released to requested");
    tx.audit("order.complete", None, Some(id), Some(&reason))
}

/// Selects the order's failed cards and the misprinted ones for another production run.
pub fn repeat(
    tx: &dyn OrderTx,
    id: OrderId,
    misprinted: &[String],
) -> Result<Vec<Card>, StoreError> {
    require_open(tx, id, "produced again")?;
    let mut chosen = Vec::new();
    for number in misprinted {
        let card = tx.card_by_number(number)?;
        if card.order_id != Some(id) {
            return Err(StoreError::NotSelectable {
                number: number.clone(),
                why: format!("it is not in order {id}"),
            });
        }
        if card.state == CardState::Failed {
            continue; // repeated below anyway
        }
        tx.transition(&card, CardEvent::Repeat, Some(id), Some("misprinted"))?;
        let voided = tx.void_succeeded_attempts(card.id, "misprinted (flagged by the operator)")?;
        tx.forget_produced(card.id)?;
        if voided > 0 {
            tx.audit("attempt.void", Some(number), Some(id), Some("misprinted"))?;
        }
        chosen.push(card.id);
    }
    for card in tx.order_cards(id, true)? {
        if card.state == CardState::Failed {
            let reason = card.failure_reason.clone();
            tx.transition(&card, CardEvent::Repeat, Some(id), reason.as_deref())?;
            tx.set_failure_reason(card.id, None)?;
            chosen.push(card.id);
        }
    }
    let mut cards = chosen
        .into_iter()
        .map(|c| tx.reload(c))
        .collect::<Result<Vec<_>, _>>()?;
    cards.sort_by_key(|c| c.id);
    let reason = format!("{} card(s) for another run", cards.len());
    tx.audit("order.repeat", None, Some(id), Some(&reason))?;
    Ok(cards)
}
