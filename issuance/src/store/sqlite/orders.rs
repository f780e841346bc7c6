//! Batch orders: create (claiming cards atomically), read, cancel, complete, repeat.

use rusqlite::{Connection, OptionalExtension, params};

use super::backend;
use super::rows::{CARD_SELECT, card_by_number, card_from_row, parse_order_state};
use super::writer::Writer;
use crate::model::*;
use crate::store::StoreError;

/// Creates an order holding the selected requested cards, in selection order.
pub fn create(w: &Writer<'_>, selection: &OrderSelection) -> Result<Order, StoreError> {
    const OP: &str = "creating an order";
    let cards: Vec<Card> = match selection {
        OrderSelection::All => requested(w.conn, None)?,
        OrderSelection::First(0) => Vec::new(),
        OrderSelection::First(n) => requested(w.conn, Some(*n))?,
        OrderSelection::Numbers(numbers) => {
            let mut seen = std::collections::HashSet::new();
            let mut cards = Vec::with_capacity(numbers.len());
            for number in numbers.iter().filter(|n| seen.insert(n.as_str())) {
                let card = card_by_number(w.conn, number)?;
                if card.state != CardState::Requested {
                    let why = match card.order_id {
                        Some(o) => format!("it is `{}` in order {o}", card.state),
                        None => format!(
                            "it is `{}`, only `requested` cards can be ordered",
                            card.state
                        ),
                    };
                    return Err(StoreError::NotSelectable {
                        number: number.clone(),
                        why,
                    });
                }
                cards.push(card);
            }
            cards
        }
    };
    if cards.is_empty() {
        return Err(StoreError::NothingToOrder);
    }
    w.conn
        .execute(
            "INSERT INTO orders (state, created_by, created_at) VALUES ('open', ?1, ?2)",
            params![w.operator(), w.now],
        )
        .map_err(backend(OP))?;
    let id = w.conn.last_insert_rowid();
    let reason = format!("{} card(s)", cards.len());
    w.audit("order.create", None, Some(id), None, None, Some(&reason))?;
    for (pos, card) in cards.iter().enumerate() {
        w.join_order(card.id, id, pos as i64 + 1)?;
        w.transition(card, CardEvent::AddToOrder, Some(id), None)?;
    }
    tracing::info!(order = id, cards = cards.len(), "order created");
    get(w.conn, id)
}

fn requested(conn: &Connection, limit: Option<u32>) -> Result<Vec<Card>, StoreError> {
    let sql = format!("{CARD_SELECT} WHERE c.state = 'requested' ORDER BY c.id LIMIT ?1");
    let limit = limit.map_or(-1, i64::from);
    conn.prepare(&sql)
        .and_then(|mut st| st.query_map([limit], card_from_row)?.collect())
        .map_err(backend("selecting requested cards"))
}

fn header(conn: &Connection, id: OrderId) -> Result<Order, StoreError> {
    conn.prepare_cached(
        "SELECT id, state, created_by, created_at, closed_at FROM orders WHERE id = ?1",
    )
    .and_then(|mut st| st.query_row([id], order_from_row).optional())
    .map_err(backend("reading an order"))?
    .ok_or(StoreError::OrderNotFound(id))
}

fn order_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Order> {
    let state: String = r.get(1)?;
    Ok(Order {
        id: r.get(0)?,
        state: parse_order_state(&state).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Text,
                format!("unknown order state `{state}`").into(),
            )
        })?,
        created_by: r.get(2)?,
        created_at: r.get(3)?,
        closed_at: r.get(4)?,
        cards: Vec::new(),
    })
}

/// One order with every card it holds or held, in production order.
pub fn get(conn: &Connection, id: OrderId) -> Result<Order, StoreError> {
    let mut order = header(conn, id)?;
    order.cards = cards_of(conn, id, false)?;
    Ok(order)
}

/// The cards of an order (only those it still holds when `open_only`), in production order.
fn cards_of(conn: &Connection, id: OrderId, open_only: bool) -> Result<Vec<Card>, StoreError> {
    let sql = format!(
        "{CARD_SELECT} JOIN order_cards m ON m.card_id = c.id AND m.order_id = ?1 \
         WHERE m.open >= ?2 ORDER BY m.position"
    );
    conn.prepare_cached(&sql)
        .and_then(|mut st| {
            st.query_map(params![id, i64::from(open_only)], card_from_row)?
                .collect()
        })
        .map_err(backend("reading an order's cards"))
}

/// All orders, newest first, without cards.
pub fn list(conn: &Connection) -> Result<Vec<Order>, StoreError> {
    conn.prepare("SELECT id, state, created_by, created_at, closed_at FROM orders ORDER BY id DESC")
        .and_then(|mut st| st.query_map([], order_from_row)?.collect())
        .map_err(backend("listing orders"))
}

fn require_open(conn: &Connection, id: OrderId, what: &str) -> Result<Order, StoreError> {
    let order = header(conn, id)?;
    if order.state != OrderState::Open {
        return Err(StoreError::OrderState {
            id,
            state: order.state.as_str().into(),
            what: format!("only open orders can be {what}"),
        });
    }
    Ok(order)
}

fn close(w: &Writer<'_>, id: OrderId, state: OrderState) -> Result<(), StoreError> {
    w.conn
        .execute(
            "UPDATE orders SET state = ?1, closed_at = ?2 WHERE id = ?3",
            params![state.as_str(), w.now, id],
        )
        .map_err(backend("closing an order"))?;
    Ok(())
}

/// Cancels an open order: unproduced cards go back to `requested`; refused while an attempt
/// is in flight.
pub fn cancel(w: &Writer<'_>, id: OrderId) -> Result<Order, StoreError> {
    require_open(w.conn, id, "cancelled")?;
    let running: Option<(AttemptId, String)> = w
        .conn
        .query_row(
            "SELECT a.id, c.number FROM attempts a JOIN cards c ON c.id = a.card_id \
             WHERE a.order_id = ?1 AND a.status = 'in_flight' ORDER BY a.id LIMIT 1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(backend("cancelling an order"))?;
    if let Some((attempt, number)) = running {
        return Err(StoreError::OrderState {
            id,
            state: "open".into(),
            what: format!(
                "card `{number}` is being produced (attempt {attempt}); stop production (or run recovery) before cancelling"
            ),
        });
    }
    for card in cards_of(w.conn, id, true)? {
        if matches!(card.state, CardState::InProduction | CardState::Failed) {
            w.transition(
                &card,
                CardEvent::CancelFromOrder,
                Some(id),
                Some("order cancelled"),
            )?;
            clear_failure(w, card.id)?;
        }
        w.leave_order(card.id)?;
    }
    close(w, id, OrderState::Cancelled)?;
    w.audit("order.cancel", None, Some(id), None, None, None)?;
    get(w.conn, id)
}

/// Completes an open order: refused while a card is in production; failed cards are released
/// to `requested`; every card leaves the order.
pub fn complete(w: &Writer<'_>, id: OrderId) -> Result<Order, StoreError> {
    require_open(w.conn, id, "completed")?;
    let cards = cards_of(w.conn, id, true)?;
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
            w.transition(
                card,
                CardEvent::Release,
                Some(id),
                Some("order completed without it"),
            )?;
            clear_failure(w, card.id)?;
            released += 1;
        }
        w.leave_order(card.id)?;
    }
    close(w, id, OrderState::Completed)?;
    let reason = format!("{released} failed card(s) released to requested");
    w.audit("order.complete", None, Some(id), None, None, Some(&reason))?;
    get(w.conn, id)
}

/// Selects the order's failed cards and the misprinted ones for another production run.
pub fn repeat(w: &Writer<'_>, id: OrderId, misprinted: &[String]) -> Result<Vec<Card>, StoreError> {
    const OP: &str = "repeating production";
    require_open(w.conn, id, "produced again")?;
    let mut chosen = Vec::new();
    for number in misprinted {
        let card = card_by_number(w.conn, number)?;
        if card.order_id != Some(id) {
            return Err(StoreError::NotSelectable {
                number: number.clone(),
                why: format!("it is not in order {id}"),
            });
        }
        if card.state == CardState::Failed {
            continue; // repeated below anyway
        }
        w.transition(&card, CardEvent::Repeat, Some(id), Some("misprinted"))?;
        let voided = w
            .conn
            .execute(
                "UPDATE attempts SET status = 'void', reason = 'misprinted (flagged by the operator)' \
                 WHERE card_id = ?1 AND status = 'succeeded'",
                [card.id],
            )
            .map_err(backend(OP))?;
        w.conn
            .execute("DELETE FROM card_secrets WHERE card_id = ?1", [card.id])
            .map_err(backend(OP))?;
        w.conn
            .execute("UPDATE cards SET chip_id = NULL WHERE id = ?1", [card.id])
            .map_err(backend(OP))?;
        if voided > 0 {
            w.audit(
                "attempt.void",
                Some(number),
                Some(id),
                None,
                None,
                Some("misprinted"),
            )?;
        }
        chosen.push(card.id);
    }
    for card in cards_of(w.conn, id, true)? {
        if card.state == CardState::Failed {
            let reason = card.failure_reason.clone();
            w.transition(&card, CardEvent::Repeat, Some(id), reason.as_deref())?;
            clear_failure(w, card.id)?;
            chosen.push(card.id);
        }
    }
    let mut cards = chosen
        .into_iter()
        .map(|c| w.reload(c))
        .collect::<Result<Vec<_>, _>>()?;
    cards.sort_by_key(|c| c.id);
    let reason = format!("{} card(s) for another run", cards.len());
    w.audit("order.repeat", None, Some(id), None, None, Some(&reason))?;
    Ok(cards)
}

fn clear_failure(w: &Writer<'_>, card: CardId) -> Result<(), StoreError> {
    w.conn
        .execute(
            "UPDATE cards SET failure_reason = NULL WHERE id = ?1",
            [card],
        )
        .map_err(backend("changing a card"))?;
    Ok(())
}
