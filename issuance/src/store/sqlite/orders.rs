//! Batch orders: create (claiming cards atomically) and read. Cancel, complete and repeat are
//! [`crate::order_rules`] over this backend's [`OrderTx`](crate::order_rules::OrderTx).

use rusqlite::{Connection, OptionalExtension, params};

use super::backend;
use super::rows::{CARD_SELECT, card_by_number, card_from_row, parse_order_state};
use super::writer::Writer;
use crate::model::*;
use crate::search::CardQuery;
use crate::store::StoreError;

/// The requested cards `selection` takes, in selection order (nothing is written).
pub fn selected(conn: &Connection, selection: &OrderSelection) -> Result<Vec<Card>, StoreError> {
    let too_few = |asked: u32, found: usize| StoreError::TooFewCards {
        asked,
        found: found as u64,
    };
    Ok(match selection {
        OrderSelection::All => requested(conn, &CardQuery::default(), None)?,
        OrderSelection::First(0) | OrderSelection::AtMost(0) => Vec::new(),
        OrderSelection::First(n) => {
            let cards = requested(conn, &CardQuery::default(), Some(*n))?;
            if (cards.len() as u64) < u64::from(*n) && !cards.is_empty() {
                return Err(too_few(*n, cards.len()));
            }
            cards
        }
        OrderSelection::AtMost(n) => requested(conn, &CardQuery::default(), Some(*n))?,
        OrderSelection::Matching {
            query,
            first,
            allow_fewer,
        } => {
            query
                .check()
                .map_err(|e| StoreError::InvalidQuery(e.to_string()))?;
            let cards = requested(conn, query, *first)?;
            if let Some(n) = first
                && (cards.len() as u64) < u64::from(*n)
                && !cards.is_empty()
                && !allow_fewer
            {
                return Err(too_few(*n, cards.len()));
            }
            cards
        }
        OrderSelection::Numbers(numbers) => {
            let mut seen = std::collections::HashSet::new();
            let mut cards = Vec::with_capacity(numbers.len());
            for number in numbers {
                let card = card_by_number(conn, number)?;
                if !seen.insert(card.id) {
                    continue;
                }
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
    })
}

/// Creates an order holding the selected requested cards, in selection order, produced with
/// the option profile `profile` (the default profile when `None`).
pub fn create(
    w: &Writer<'_>,
    selection: &OrderSelection,
    profile: Option<&str>,
) -> Result<Order, StoreError> {
    const OP: &str = "creating an order";
    let cards = selected(w.conn, selection)?;
    if cards.is_empty() {
        return Err(StoreError::NothingToOrder);
    }
    w.conn
        .execute(
            "INSERT INTO orders (state, created_by, created_at, profile) VALUES ('open', ?1, ?2, ?3)",
            params![w.operator(), w.now, profile],
        )
        .map_err(backend(OP))?;
    let id = w.conn.last_insert_rowid();
    let reason = match profile {
        Some(p) => format!("{} card(s), profile {p}", cards.len()),
        None => format!("{} card(s)", cards.len()),
    };
    w.audit("order.create", None, Some(id), None, None, Some(&reason))?;
    w.join_new_order(&cards, id)?;
    super::order_counts::count_new_order(w.conn, id, &cards)?;
    tracing::info!(order = id, cards = cards.len(), "order created");
    get(w.conn, id)
}

/// Requested cards matching `query` (its state filter replaced by `requested`), oldest request
/// first, at most `limit`.
fn requested(
    conn: &Connection,
    query: &CardQuery,
    limit: Option<u32>,
) -> Result<Vec<Card>, StoreError> {
    let query = CardQuery {
        states: vec![CardState::Requested],
        ..query.clone()
    };
    let f = super::search::filter(&query);
    let mut args = f.args;
    args.push(limit.map_or(-1, i64::from).into());
    let sql = format!(
        "{CARD_SELECT}{} WHERE {} ORDER BY c.requested_at, c.id LIMIT ?{}",
        f.joins,
        f.conditions,
        args.len()
    );
    conn.prepare(&sql)
        .and_then(|mut st| {
            st.query_map(rusqlite::params_from_iter(args.iter()), card_from_row)?
                .collect()
        })
        .map_err(backend("selecting requested cards"))
}

pub(super) fn header(conn: &Connection, id: OrderId) -> Result<Order, StoreError> {
    conn.prepare_cached(
        "SELECT id, state, created_by, created_at, closed_at, profile, released_at, released_by FROM orders WHERE id = ?1",
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
        profile: r.get(5)?,
        released_at: r.get(6)?,
        released_by: r.get(7)?,
        cards: Vec::new(),
    })
}

/// One order with every card it holds or held, in production order.
pub fn get(conn: &Connection, id: OrderId) -> Result<Order, StoreError> {
    let mut order = header(conn, id)?;
    order.cards = cards_of(conn, id, false)?;
    Ok(order)
}

/// One order with `limit` of its cards from the `offset`-th on in production order, and its
/// number of cards.
pub fn cards_page(
    conn: &Connection,
    id: OrderId,
    offset: usize,
    limit: usize,
) -> Result<(Order, u64), StoreError> {
    let mut order = header(conn, id)?;
    // The page's memberships are picked from the position index first, then joined to their
    // cards: an `OFFSET` over the join reads every skipped card row (a far page of a
    // 50,000-card order read 49,000 cards: ≈ 60 ms warm, over a second cold).
    let sql = format!(
        "{CARD_SELECT} JOIN (SELECT card_id, position FROM order_cards WHERE order_id = ?1 \
         ORDER BY position LIMIT ?2 OFFSET ?3) m ON m.card_id = c.id ORDER BY m.position"
    );
    let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    order.cards = conn
        .prepare_cached(&sql)
        .and_then(|mut st| {
            st.query_map(params![id, n(limit), n(offset)], card_from_row)?
                .collect()
        })
        .map_err(backend("reading an order's first cards"))?;
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM order_cards WHERE order_id = ?1")
        .and_then(|mut st| st.query_row([id], |r| r.get(0)))
        .map_err(backend("counting an order's cards"))?;
    Ok((order, total as u64))
}

/// The cards of an order (only those it still holds when `open_only`), in production order.
pub(super) fn cards_of(
    conn: &Connection,
    id: OrderId,
    open_only: bool,
) -> Result<Vec<Card>, StoreError> {
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
    conn.prepare(
        "SELECT id, state, created_by, created_at, closed_at, profile, released_at, released_by FROM orders ORDER BY id DESC",
    )
    .and_then(|mut st| st.query_map([], order_from_row)?.collect())
    .map_err(backend("listing orders"))
}

/// How the order's own cards ended in it, counted from every card of the order (O(order
/// size)): the check of the counters ([`super::order_counts`]).
pub fn recount(conn: &Connection, id: OrderId) -> Result<crate::store::OrderOutcome, StoreError> {
    let state = header(conn, id)?.state;
    let row = conn
        .prepare_cached(
            "SELECT \
               SUM(produced), \
               SUM(NOT produced AND open = 1 AND state = 'failed'), \
               SUM(NOT produced AND open = 1 AND state = 'in_production' AND NOT in_flight), \
               SUM(NOT produced AND open = 1 AND state = 'in_production' AND in_flight), \
               SUM(NOT produced AND open = 0) \
             FROM (SELECT m.open AS open, c.state AS state, \
               EXISTS (SELECT 1 FROM attempts a WHERE a.card_id = c.id AND a.order_id = m.order_id \
                       AND a.status = 'succeeded') AS produced, \
               EXISTS (SELECT 1 FROM attempts a WHERE a.card_id = c.id AND a.order_id = m.order_id \
                       AND a.status = 'in_flight') AS in_flight \
               FROM order_cards m JOIN cards c ON c.id = m.card_id WHERE m.order_id = ?1)",
        )
        .and_then(|mut st| {
            st.query_row([id], |r| {
                let n = |i: usize| -> rusqlite::Result<u64> {
                    Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0) as u64)
                };
                Ok([n(0)?, n(1)?, n(2)?, n(3)?, n(4)?])
            })
        })
        .map_err(backend("counting an order's outcome"))?;
    let [produced, failed, waiting, in_production, left] = row;
    let (cancelled, released) = match state {
        OrderState::Cancelled => (left, 0),
        _ => (0, left),
    };
    Ok(crate::store::OrderOutcome {
        produced,
        failed,
        waiting,
        in_production,
        cancelled,
        released,
    })
}

/// The order's failed cards with their last failed attempt.
pub fn failures(
    conn: &Connection,
    id: OrderId,
) -> Result<Vec<crate::store::CardFailure>, StoreError> {
    header(conn, id)?;
    conn.prepare_cached(
        "SELECT c.number, a.station, \
           (SELECT s.step FROM attempt_steps s WHERE s.attempt_id = a.id AND s.outcome IS NOT NULL \
              AND s.outcome <> 'ok' AND s.step <> 'reject' ORDER BY s.id DESC LIMIT 1), \
           COALESCE(a.reason, c.failure_reason, ''), a.finished_at \
         FROM cards c JOIN order_cards m ON m.card_id = c.id AND m.order_id = c.order_id \
         JOIN attempts a ON a.id = (SELECT MAX(a2.id) FROM attempts a2 WHERE a2.card_id = c.id \
              AND a2.order_id = m.order_id AND a2.status = 'failed') \
         WHERE c.order_id = ?1 AND c.state = 'failed' AND m.open = 1 ORDER BY m.position",
    )
    .and_then(|mut st| {
        st.query_map([id], |r| {
            Ok(crate::store::CardFailure {
                card: r.get(0)?,
                station: r.get(1)?,
                step: r.get(2)?,
                reason: r.get(3)?,
                at: r.get(4)?,
            })
        })?
        .collect()
    })
    .map_err(backend("listing an order's failures"))
}
