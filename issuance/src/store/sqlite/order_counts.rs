//! Per-order counters of the order page (issue 13): how many of an order's cards are
//! produced, failed, waiting, in production, or left the order (cancelled or released), kept
//! by triggers in the very transactions that change a card's state, an attempt's status or a
//! card's membership, so that reading an order's outcome is a few rows whatever its size
//! (before: every card of the order with two look-ups into `attempts`, per view).
//!
//! The category of one membership (order, card) is a function of the store:
//! produced if an attempt of the card in that order succeeded; else `left` if the order no
//! longer holds the card; else the card's state (`failed`, or `in_production` split into
//! `in_production` with an attempt in flight in that order and `waiting` without); else none.
//! Each trigger moves the one membership a row change touches from its category before to its
//! category after (the other tables unchanged), so the counters always equal a recount
//! ([`recount`], used by the tests). A card joins an order as `requested` without attempts in
//! it (category none), so inserting a membership changes nothing. Counters are striped over
//! 16 slots (`card_id % 16`) so that desks producing the same order on PostgreSQL do not all
//! wait for one row; SQLite keeps the same shape.

use rusqlite::Connection;

use super::backend;
use crate::store::{OrderOutcome, StoreError};

/// The category of one membership from the columns `p` (an attempt of the card in the order
/// succeeded), `o` (the order holds the card), `st` (the card's state) and `f` (an attempt of
/// the card in the order is in flight); NULL: none. The same text on both backends.
#[macro_export]
#[doc(hidden)]
macro_rules! order_count_category {
    () => {
        "CASE WHEN p THEN 'produced' WHEN NOT o THEN 'left' WHEN st = 'failed' THEN 'failed' \
         WHEN st = 'in_production' AND f THEN 'in_production' \
         WHEN st = 'in_production' THEN 'waiting' END"
    };
}

/// The statement that adds `n` to the category of each row of `$rows` (columns `order_id`,
/// `card_id`, `n`, `o`, `st`, `p`, `f`: −1 for a membership before a change, +1 after it).
/// The same text on both backends (PostgreSQL runs it inside its trigger functions).
#[macro_export]
#[doc(hidden)]
macro_rules! order_count_moves {
    ($rows:expr) => {
        concat!(
            "INSERT INTO order_counts (order_id, slot, category, n) \
             SELECT order_id, card_id % 16, category, SUM(n) FROM (SELECT order_id, card_id, n, ",
            $crate::order_count_category!(),
            " AS category FROM (",
            $rows,
            ") r) k WHERE category IS NOT NULL GROUP BY order_id, card_id, category \
             HAVING SUM(n) <> 0 \
             ON CONFLICT (order_id, slot, category) DO UPDATE SET n = order_counts.n + excluded.n;"
        )
    };
}

/// Whether an attempt of card `$card` in order `$order` has status `$status` (other than the
/// attempt `$except`).
#[macro_export]
#[doc(hidden)]
macro_rules! order_count_attempt {
    ($order:expr, $card:expr, $status:expr, $except:expr) => {
        concat!(
            "EXISTS (SELECT 1 FROM attempts a WHERE a.order_id = ",
            $order,
            " AND a.card_id = ",
            $card,
            " AND a.status = '",
            $status,
            "' AND a.id <> ",
            $except,
            ")"
        )
    };
}

/// The rows moved by a card's change of state: its open membership, before and after.
#[macro_export]
#[doc(hidden)]
macro_rules! order_count_card_rows {
    () => {
        concat!(
            "SELECT m.order_id AS order_id, m.card_id AS card_id, s.n AS n, true AS o, s.st AS st, ",
            $crate::order_count_attempt!("m.order_id", "m.card_id", "succeeded", "0"), " AS p, ",
            $crate::order_count_attempt!("m.order_id", "m.card_id", "in_flight", "0"), " AS f \
             FROM order_cards m, (SELECT -1 AS n, OLD.state AS st UNION ALL SELECT 1, NEW.state) s \
             WHERE m.card_id = NEW.id AND m.open"
        )
    };
}

/// The rows moved by a membership's change of `open`.
#[macro_export]
#[doc(hidden)]
macro_rules! order_count_membership_rows {
    () => {
        concat!(
            "SELECT NEW.order_id AS order_id, NEW.card_id AS card_id, s.n AS n, s.o AS o, c.state AS st, ",
            $crate::order_count_attempt!("NEW.order_id", "NEW.card_id", "succeeded", "0"), " AS p, ",
            $crate::order_count_attempt!("NEW.order_id", "NEW.card_id", "in_flight", "0"), " AS f \
             FROM cards c, (SELECT -1 AS n, OLD.open AS o UNION ALL SELECT 1, NEW.open) s \
             WHERE c.id = NEW.card_id"
        )
    };
}

/// The rows moved by an attempt's new status (`$old_status`: its status before, `'none'`
/// for a new attempt).
#[macro_export]
#[doc(hidden)]
macro_rules! order_count_attempt_rows {
    ($old_status:expr) => {
        concat!(
            "SELECT m.order_id AS order_id, m.card_id AS card_id, s.n AS n, m.open AS o, c.state AS st, \
             (s.st = 'succeeded' OR ",
            $crate::order_count_attempt!("m.order_id", "m.card_id", "succeeded", "NEW.id"), ") AS p, \
             (s.st = 'in_flight' OR ",
            $crate::order_count_attempt!("m.order_id", "m.card_id", "in_flight", "NEW.id"), ") AS f \
             FROM order_cards m JOIN cards c ON c.id = m.card_id, \
             (SELECT -1 AS n, ", $old_status, " AS st UNION ALL SELECT 1, NEW.status) s \
             WHERE m.order_id = NEW.order_id AND m.card_id = NEW.card_id"
        )
    };
}

/// The recount of every order's categories from the tables (the backfill of the migration,
/// and what the tests compare the counters with): columns `order_id`, `slot`, `category`,
/// `n`.
#[macro_export]
#[doc(hidden)]
macro_rules! order_count_recount {
    () => {
        concat!(
            "SELECT order_id, card_id % 16 AS slot, category, count(*) AS n FROM (\
             SELECT order_id, card_id, ",
            $crate::order_count_category!(),
            " AS category FROM (SELECT m.order_id AS order_id, m.card_id AS card_id, m.open AS o, c.state AS st, ",
            $crate::order_count_attempt!("m.order_id", "m.card_id", "succeeded", "0"), " AS p, ",
            $crate::order_count_attempt!("m.order_id", "m.card_id", "in_flight", "0"), " AS f \
             FROM order_cards m JOIN cards c ON c.id = m.card_id) r) k \
             WHERE category IS NOT NULL GROUP BY order_id, card_id % 16, category"
        )
    };
}

/// The counters' slots: a membership counts in slot `card_id % SLOTS`.
pub const SLOTS: usize = 16;

/// The counters of an order just created from `requested` cards (`card_ids`, the cards it
/// took), per slot: every one is `waiting` in it (in production, its membership open, no
/// attempt of a new order), so they are counted here instead of re-read. Both backends' order
/// creation writes them ([`count_new_order`] here): the card trigger stands aside for a card
/// leaving `requested` (SQLite) or for the order's statement (PostgreSQL), where one trigger
/// run per card cost seconds of an order of 100,000 cards. The conformance case
/// `order_counters_equal_a_recount_after_every_change` compares them with the recount.
pub fn new_order_waiting(card_ids: impl IntoIterator<Item = crate::model::CardId>) -> [i64; SLOTS] {
    let mut per_slot = [0i64; SLOTS];
    for card in card_ids {
        per_slot[card.rem_euclid(SLOTS as i64) as usize] += 1;
    }
    per_slot
}

/// Writes the counters of order `id`, just created from `cards` ([`new_order_waiting`]).
pub fn count_new_order(
    conn: &Connection,
    id: i64,
    cards: &[crate::model::Card],
) -> Result<(), StoreError> {
    const OP: &str = "counting a new order's cards";
    let mut st = conn
        .prepare_cached(
            "INSERT INTO order_counts (order_id, slot, category, n) VALUES (?1, ?2, 'waiting', ?3) \
             ON CONFLICT (order_id, slot, category) DO UPDATE SET n = order_counts.n + excluded.n",
        )
        .map_err(backend(OP))?;
    let per_slot = new_order_waiting(cards.iter().map(|c| c.id));
    for (slot, n) in per_slot.into_iter().enumerate().filter(|(_, n)| *n > 0) {
        st.execute(rusqlite::params![id, slot as i64, n])
            .map_err(backend(OP))?;
    }
    Ok(())
}

/// Migration 11: the `order_counts` table, its backfill and its triggers.
pub const MIGRATION: &str = concat!(
    "CREATE TABLE order_counts (
    order_id INTEGER NOT NULL,
    slot     INTEGER NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('produced','failed','waiting','in_production','left')),
    n        INTEGER NOT NULL,
    PRIMARY KEY (order_id, slot, category)
) WITHOUT ROWID;
-- The card trigger finds a card's open membership by card_id (SQLite does not use the
-- partial index `order_cards_one_open_order` for the term `m.open`: without this index every
-- card's trigger scanned order_cards, and an order of 100,000 cards took minutes).
CREATE INDEX order_cards_by_card ON order_cards (card_id);
INSERT INTO order_counts (order_id, slot, category, n) ",
    crate::order_count_recount!(),
    ";
CREATE TRIGGER order_counts_card_state AFTER UPDATE OF state ON cards
WHEN OLD.state <> NEW.state AND OLD.state <> 'requested' BEGIN ",
    crate::order_count_moves!(crate::order_count_card_rows!()),
    " END;
CREATE TRIGGER order_counts_membership AFTER UPDATE OF open ON order_cards
WHEN OLD.open <> NEW.open BEGIN ",
    crate::order_count_moves!(crate::order_count_membership_rows!()),
    " END;
CREATE TRIGGER order_counts_attempt_new AFTER INSERT ON attempts BEGIN ",
    crate::order_count_moves!(crate::order_count_attempt_rows!("'none'")),
    " END;
CREATE TRIGGER order_counts_attempt_status AFTER UPDATE OF status ON attempts
WHEN OLD.status <> NEW.status BEGIN ",
    crate::order_count_moves!(crate::order_count_attempt_rows!("OLD.status")),
    " END;
"
);

/// The order's outcome from its counters (`left` is `cancelled` for a cancelled order, else
/// `released`).
pub fn outcome(conn: &Connection, id: crate::model::OrderId) -> Result<OrderOutcome, StoreError> {
    let state = super::orders::header(conn, id)?.state;
    let mut out = [0u64; 5];
    conn.prepare_cached(
        "SELECT category, SUM(n) FROM order_counts WHERE order_id = ?1 GROUP BY category",
    )
    .and_then(|mut st| {
        let rows = st.query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (category, n) = row?;
            let i = CATEGORIES.iter().position(|c| *c == category);
            if let Some(i) = i {
                out[i] = n.max(0) as u64;
            }
        }
        Ok(())
    })
    .map_err(backend("reading an order's counters"))?;
    Ok(outcome_of(out, state))
}

/// The categories in the order of [`outcome_of`]'s array.
pub const CATEGORIES: [&str; 5] = ["produced", "failed", "waiting", "in_production", "left"];

/// An outcome from the counts of [`CATEGORIES`] and the order's state.
pub fn outcome_of(counts: [u64; 5], state: crate::model::OrderState) -> OrderOutcome {
    let [produced, failed, waiting, in_production, left] = counts;
    let (cancelled, released) = match state {
        crate::model::OrderState::Cancelled => (left, 0),
        _ => (0, left),
    };
    OrderOutcome {
        produced,
        failed,
        waiting,
        in_production,
        cancelled,
        released,
    }
}
