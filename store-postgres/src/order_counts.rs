//! Per-order counters of the order page (issue 13), kept by triggers: the same table and the
//! same statements as the SQLite store (`cardline_issuance`'s `order_count_*` macros), run by
//! PL/pgSQL trigger functions. Row triggers fire after the whole statement that changed the
//! row. An order's creation (one statement moving up to millions of cards and inserting their
//! memberships) sets `cardline.order_counts = 'bulk'` for that statement, so the cards' row
//! trigger stands aside, and then writes the new order's counters counted from the moved cards
//! ([`count_new_order`]): at 100,000 cards, one trigger call per card took 23 s of the
//! 28.6 s statement. Also the index of an order's cards by position (a page of the order page), and of an order's failed cards
//! (its failures are read through the card's `order_id`, which mirrors its open membership).

use cardline_issuance::model::{AttemptId, Card, CardId, OrderId};
use cardline_issuance::store::sqlite::{ORDER_COUNT_SLOTS, new_order_waiting};
use cardline_issuance::store::{OrderOutcome, StoreError};

use crate::tx::Tx;

/// Migration 11: the `order_counts` table, its backfill and its triggers.
pub const MIGRATION: &str = concat!(
    r#"CREATE TABLE order_counts (
    order_id BIGINT NOT NULL,
    slot     BIGINT NOT NULL,
    category TEXT COLLATE "C" NOT NULL
             CHECK (category IN ('produced','failed','waiting','in_production','left')),
    n        BIGINT NOT NULL,
    PRIMARY KEY (order_id, slot, category)
);
CREATE INDEX order_cards_by_position ON order_cards (order_id, position);
CREATE INDEX cards_failed_in_order ON cards (order_id) WHERE state = 'failed';
INSERT INTO order_counts (order_id, slot, category, n) "#,
    cardline_issuance::order_count_recount!(),
    ";
CREATE FUNCTION order_counts_card_state() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN ",
    cardline_issuance::order_count_moves!(cardline_issuance::order_count_card_rows!()),
    " RETURN NULL; END $f$;
CREATE TRIGGER order_counts_card_state AFTER UPDATE OF state ON cards FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state
          AND current_setting('cardline.order_counts', true) IS DISTINCT FROM 'bulk')
    EXECUTE FUNCTION order_counts_card_state();
CREATE FUNCTION order_counts_membership() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN ",
    cardline_issuance::order_count_moves!(cardline_issuance::order_count_membership_rows!()),
    " RETURN NULL; END $f$;
CREATE TRIGGER order_counts_membership AFTER UPDATE OF open ON order_cards FOR EACH ROW
    WHEN (OLD.open IS DISTINCT FROM NEW.open) EXECUTE FUNCTION order_counts_membership();
CREATE FUNCTION order_counts_attempt_new() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN ",
    cardline_issuance::order_count_moves!(cardline_issuance::order_count_attempt_rows!("'none'")),
    " RETURN NULL; END $f$;
CREATE TRIGGER order_counts_attempt_new AFTER INSERT ON attempts FOR EACH ROW
    EXECUTE FUNCTION order_counts_attempt_new();
CREATE FUNCTION order_counts_attempt_status() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN ",
    cardline_issuance::order_count_moves!(cardline_issuance::order_count_attempt_rows!(
        "OLD.status"
    )),
    " RETURN NULL; END $f$;
CREATE TRIGGER order_counts_attempt_status AFTER UPDATE OF status ON attempts FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION order_counts_attempt_status();
"
);

/// Migration 14: the counter triggers of a card's state and of an attempt's insertion and
/// status stand aside in a transaction that set `cardline.order_counts = 'app'` (a claim, a
/// success: [`crate::tx::Mode::WriteCounted`]), which writes its moves itself
/// ([`claim_moves`], [`success_moves`]) in one statement at its end, instead of a PL/pgSQL
/// category query per moved row that held the counter rows from the attempt's insertion to the
/// commit (docs/PERFORMANCE.md).
pub const MIGRATION_14: &str = "
DROP TRIGGER order_counts_card_state ON cards;
CREATE TRIGGER order_counts_card_state AFTER UPDATE OF state ON cards FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state
          AND COALESCE(current_setting('cardline.order_counts', true), '') NOT IN ('bulk', 'app'))
    EXECUTE FUNCTION order_counts_card_state();
DROP TRIGGER order_counts_attempt_new ON attempts;
CREATE TRIGGER order_counts_attempt_new AFTER INSERT ON attempts FOR EACH ROW
    WHEN (current_setting('cardline.order_counts', true) IS DISTINCT FROM 'app')
    EXECUTE FUNCTION order_counts_attempt_new();
DROP TRIGGER order_counts_attempt_status ON attempts;
CREATE TRIGGER order_counts_attempt_status AFTER UPDATE OF status ON attempts FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          AND current_setting('cardline.order_counts', true) IS DISTINCT FROM 'app')
    EXECUTE FUNCTION order_counts_attempt_status();
";

/// Writes the counters of order `id`, just created from `cards`: every one is `waiting` in
/// it, counted per slot in Rust (`cardline_issuance`'s `new_order_waiting`, as on SQLite) and
/// written in one statement, instead of re-reading the million rows just written (a grouped
/// recount of the order: 1.25 s at 1,000,000 cards).
pub fn count_new_order(tx: &Tx<'_>, id: OrderId, cards: &[Card]) -> Result<(), StoreError> {
    let per_slot = new_order_waiting(cards.iter().map(|c| c.id));
    let slots: Vec<i64> = (0..ORDER_COUNT_SLOTS as i64).collect();
    tx.execute(
        "counting a new order's cards",
        "INSERT INTO order_counts (order_id, slot, category, n) \
         SELECT $1, s, 'waiting', n FROM unnest($2::bigint[], $3::bigint[]) AS t (s, n) WHERE n > 0 \
         ON CONFLICT (order_id, slot, category) DO UPDATE SET n = order_counts.n + excluded.n",
        &[&id, &slots, &per_slot.to_vec()],
    )?;
    Ok(())
}

/// The slot of `card`'s counters, as [`new_order_waiting`] and the triggers count it.
fn slot_of(card: CardId) -> i64 {
    card.rem_euclid(ORDER_COUNT_SLOTS as i64)
}

/// Keeps one membership's move from `from` to `to` (categories) in order `order`, slot of
/// `card`, for the end of the transaction ([`write_moves`]), when the transaction counts its
/// moves itself ([`Tx::counts_moves`]); the move is void if an attempt of the card in the
/// order other than `except` succeeded (the membership is `produced` then, before and after).
fn count_move(
    tx: &Tx<'_>,
    order: OrderId,
    card: CardId,
    except: AttemptId,
    [from, to]: [&'static str; 2],
) {
    if tx.counts_moves() {
        tx.pending_moves.borrow_mut().push(Move {
            order,
            card,
            except,
            from,
            to,
        });
    }
}

/// A membership's move kept for the end of its transaction.
pub(crate) struct Move {
    order: OrderId,
    card: CardId,
    except: AttemptId,
    from: &'static str,
    to: &'static str,
}

/// Writes the moves [`count_move`] kept, each one statement; the transaction runner calls it
/// last, after the audit entries, so the order's counter rows (shared by every desk) are
/// locked for the commit only: a trigger took them at the attempt's insertion and held them
/// through the rest of the transaction.
pub(crate) fn write_moves(tx: &Tx<'_>) -> Result<(), StoreError> {
    let mut moves = std::mem::take(&mut *tx.pending_moves.borrow_mut());
    // Counter rows are locked in one order in every transaction (by order, then slot), so two
    // transactions that move several cards — a desk's stations claiming together — never
    // wait on each other's rows in a cycle.
    moves.sort_by_key(|m| (m.order, slot_of(m.card)));
    for m in &moves {
        tx.execute(
            "counting a card's move in its order",
            "INSERT INTO order_counts (order_id, slot, category, n) \
             SELECT $1, $3, v.category, v.n FROM (VALUES ($5::text, -1::bigint), ($6::text, 1::bigint)) \
             AS v (category, n) WHERE NOT EXISTS (SELECT 1 FROM attempts a WHERE a.order_id = $1 \
             AND a.card_id = $2 AND a.status = 'succeeded' AND a.id <> $4) \
             ON CONFLICT (order_id, slot, category) DO UPDATE SET n = order_counts.n + excluded.n",
            &[&m.order, &m.card, &slot_of(m.card), &m.except, &m.from, &m.to],
        )?;
    }
    Ok(())
}

/// A claim's move: `card` was waiting in `order` (in production there, its membership open,
/// no attempt in flight: the claim's condition) and now has the attempt `attempt` in flight,
/// so `waiting` → `in_production` (or `produced` both, a misprinted card produced again).
pub fn claim_moves(tx: &Tx<'_>, order: OrderId, card: CardId, attempt: AttemptId) {
    count_move(tx, order, card, attempt, ["waiting", "in_production"])
}

/// A success's move: the attempt `attempt` of `card`, in flight in `order` where the card is
/// in production with its membership open (checked by the caller, who leaves other cases to
/// the triggers), succeeded: `in_production` → `produced` (or `produced` both). The card's
/// change of state to `unassigned` that follows moves nothing: an attempt of it succeeded in
/// the order, so it is `produced` before and after.
pub fn success_moves(tx: &Tx<'_>, order: OrderId, card: CardId, attempt: AttemptId) {
    count_move(tx, order, card, attempt, ["in_production", "produced"])
}

/// The order's outcome from its counters.
pub fn outcome(tx: &Tx<'_>, id: OrderId) -> Result<OrderOutcome, StoreError> {
    let state = crate::orders::header(tx, id, false)?.state;
    let rows = tx.query(
        "reading an order's counters",
        "SELECT category, SUM(n)::BIGINT FROM order_counts WHERE order_id = $1 GROUP BY category",
        &[&id],
    )?;
    let mut out = [0u64; 5];
    for r in &rows {
        let category: String = crate::rows::get(r, 0)?;
        let n: i64 = crate::rows::get(r, 1)?;
        if let Some(i) = cardline_issuance::store::sqlite::ORDER_COUNT_CATEGORIES
            .iter()
            .position(|c| *c == category)
        {
            out[i] = n.max(0) as u64;
        }
    }
    Ok(cardline_issuance::store::sqlite::outcome_of_counts(
        out, state,
    ))
}
