//! Batch orders: create (set-based, so an order of a million cards is a few statements) and
//! read. Cancel, complete and repeat are [`cardline_issuance::order_rules`] over this
//! backend's [`OrderTx`](cardline_issuance::order_rules::OrderTx).
//!
//! Creating an order locks the selected cards (`FOR UPDATE`, in selection order) before
//! taking them: a second order created at the same moment waits, then skips the cards the
//! first one took (the server re-checks `state = 'requested'` on each locked row) and takes
//! the next ones, so two orders never share a card and `--first N` stays exact.

use cardline_issuance::lifecycle::next_state;
use cardline_issuance::model::*;
use cardline_issuance::search::CardQuery;
use cardline_issuance::store::sqlite::event_name;
use cardline_issuance::store::{CardFailure, OrderOutcome, StoreError};

use crate::cards::card_for_update;
use crate::rows::{CARD_SELECT, ORDER_SELECT, card, card_by_number, count, get, order};
use crate::search::{Args, filter};
use crate::tx::Tx;

/// How a selection is answered.
enum Plan<'a> {
    /// Nothing (`First(0)`, `AtMost(0)`).
    Nothing,
    /// Requested cards matching `query`, oldest request first, at most `limit`; refused when
    /// fewer than `exact` (but some) match.
    Requested {
        query: Box<CardQuery>,
        limit: Option<u32>,
        exact: Option<u32>,
    },
    /// These numbers, in this order, each once.
    Numbers(&'a [String]),
}

fn plan(selection: &OrderSelection) -> Result<Plan<'_>, StoreError> {
    let requested = |query: CardQuery, limit, exact| Plan::Requested {
        query: Box::new(query),
        limit,
        exact,
    };
    Ok(match selection {
        OrderSelection::All => requested(CardQuery::default(), None, None),
        OrderSelection::First(0) | OrderSelection::AtMost(0) => Plan::Nothing,
        OrderSelection::First(n) => requested(CardQuery::default(), Some(*n), Some(*n)),
        OrderSelection::AtMost(n) => requested(CardQuery::default(), Some(*n), None),
        OrderSelection::Matching {
            query,
            first,
            allow_fewer,
        } => {
            query
                .check()
                .map_err(|e| StoreError::InvalidQuery(e.to_string()))?;
            let exact = if *allow_fewer { None } else { *first };
            requested((**query).clone(), *first, exact)
        }
        OrderSelection::Numbers(numbers) => Plan::Numbers(numbers),
    })
}

/// The SQL selecting `columns` of the requested cards a plan takes, with its parameters.
/// The state is written out (not a parameter) so that the partial index of requested cards
/// serves it.
fn requested_sql(
    query: &CardQuery,
    limit: Option<u32>,
    columns: &str,
    lock: bool,
) -> (String, Args) {
    let query = CardQuery {
        states: Vec::new(),
        ..query.clone()
    };
    let mut f = filter(&query);
    let limit = f.args.push(limit.map(i64::from));
    let sql = format!(
        "SELECT {columns} FROM cards c{} WHERE c.state = 'requested' AND {} \
         ORDER BY c.requested_at, c.id LIMIT {limit}{}",
        f.joins,
        f.conditions,
        if lock { " FOR UPDATE OF c" } else { "" }
    );
    (sql, f.args)
}

fn too_few(exact: Option<u32>, found: usize) -> Result<(), StoreError> {
    match exact {
        Some(n) if found > 0 && (found as u64) < u64::from(n) => Err(StoreError::TooFewCards {
            asked: n,
            found: found as u64,
        }),
        _ => Ok(()),
    }
}

/// A named card that must be `requested` to be ordered.
fn selectable(number: &str, card: &Card) -> Result<(), StoreError> {
    if card.state == CardState::Requested {
        return Ok(());
    }
    let why = match card.order_id {
        Some(o) => format!("it is `{}` in order {o}", card.state),
        None => format!(
            "it is `{}`, only `requested` cards can be ordered",
            card.state
        ),
    };
    Err(StoreError::NotSelectable {
        number: number.to_string(),
        why,
    })
}

/// The requested cards `selection` takes, in selection order (nothing is written or locked).
pub fn selected(tx: &Tx<'_>, selection: &OrderSelection) -> Result<Vec<Card>, StoreError> {
    match plan(selection)? {
        Plan::Nothing => Ok(Vec::new()),
        Plan::Requested {
            query,
            limit,
            exact,
        } => {
            let columns = CARD_SELECT
                .trim_start_matches("SELECT ")
                .trim_end_matches(" FROM cards c");
            let (sql, args) = requested_sql(&query, limit, columns, false);
            let cards: Vec<Card> = tx
                .query("selecting requested cards", &sql, &args.refs())?
                .iter()
                .map(card)
                .collect::<Result<_, _>>()?;
            too_few(exact, cards.len())?;
            Ok(cards)
        }
        Plan::Numbers(numbers) => {
            let mut seen = std::collections::HashSet::new();
            let mut cards = Vec::with_capacity(numbers.len());
            for number in numbers {
                let card = card_by_number(tx, number)?;
                if seen.insert(card.id) {
                    selectable(number, &card)?;
                    cards.push(card);
                }
            }
            Ok(cards)
        }
    }
}

/// The ids of the cards `selection` takes, in selection order, each row locked.
fn take(tx: &Tx<'_>, selection: &OrderSelection) -> Result<Vec<CardId>, StoreError> {
    match plan(selection)? {
        Plan::Nothing => Ok(Vec::new()),
        Plan::Requested {
            query,
            limit,
            exact,
        } => {
            let (sql, args) = requested_sql(&query, limit, "c.id", true);
            let ids: Vec<CardId> = tx
                .query("selecting requested cards", &sql, &args.refs())?
                .iter()
                .map(|r| get(r, 0))
                .collect::<Result<_, _>>()?;
            too_few(exact, ids.len())?;
            Ok(ids)
        }
        Plan::Numbers(numbers) => {
            let mut seen = std::collections::HashSet::new();
            let mut ids = Vec::with_capacity(numbers.len());
            for number in numbers {
                let card = card_for_update(tx, number)?;
                if seen.insert(card.id) {
                    selectable(number, &card)?;
                    ids.push(card.id);
                }
            }
            Ok(ids)
        }
    }
}

/// Creates an order holding the selected requested cards, in selection order, produced with
/// the option profile `profile` (the default profile when `None`).
///
/// Every requested card (`All`, a search without a count): one statement moves the cards as
/// it finds them, writes their memberships and audit entries; a card another order takes at
/// the same moment is skipped by the server's re-check of its state. A counted or named
/// selection locks its cards first (exact counts, clear refusals), then the same statement
/// moves exactly those.
pub fn create(
    tx: &Tx<'_>,
    selection: &OrderSelection,
    profile: Option<&str>,
) -> Result<Order, StoreError> {
    const OP: &str = "creating an order";
    let event = CardEvent::AddToOrder;
    let (from, to) = (
        CardState::Requested,
        next_state(CardState::Requested, event)?,
    );
    let (source, mut args, locked) = match plan(selection)? {
        Plan::Nothing => return Err(StoreError::NothingToOrder),
        Plan::Requested {
            query, limit: None, ..
        } => {
            let (sql, args) = requested_sql(
                &query,
                None,
                "c.id, row_number() OVER (ORDER BY c.requested_at, c.id) AS pos",
                false,
            );
            (sql, args, None)
        }
        _ => {
            let ids = take(tx, selection)?;
            if ids.is_empty() {
                return Err(StoreError::NothingToOrder);
            }
            let n = ids.len() as u64;
            let mut args = Args::default();
            let p = args.push(ids);
            (
                format!("SELECT id, pos FROM unnest({p}::bigint[]) WITH ORDINALITY AS t (id, pos)"),
                args,
                Some(n),
            )
        }
    };
    let id: OrderId = get(
        &tx.query_one(
            OP,
            "INSERT INTO orders (state, created_by, created_at, profile) \
             VALUES ('open', $1, $2, $3) RETURNING id",
            &[&tx.operator(), &tx.now, &profile],
        )?,
        0,
    )?;
    let po = args.push(id);
    let pnow = args.push(tx.now.clone());
    let pfrom = args.push(from.as_str().to_string());
    let pto = args.push(to.as_str().to_string());
    // The moved cards come back from the UPDATE itself (their new rows, unsorted: sorted by
    // position here), not read again through the memberships: at 1,000,000 cards a read-back
    // is a join and a sort of a million rows more.
    let columns = CARD_SELECT
        .trim_start_matches("SELECT ")
        .trim_end_matches(" FROM cards c");
    let sql = format!(
        "WITH sel AS ({source}), \
         moved AS (UPDATE cards c SET state = {pto}, updated_at = {pnow}, order_id = {po}, \
             order_position = sel.pos FROM sel WHERE c.id = sel.id AND c.state = {pfrom} \
             RETURNING {columns}, sel.pos), \
         members AS (INSERT INTO order_cards (order_id, card_id, position, open) \
             SELECT {po}, id, pos, true FROM moved) \
         SELECT * FROM moved"
    );
    // The order's counters are written once for the whole order below: its cards' row
    // triggers stand aside for this one statement (one trigger call per card cost 23 s of a
    // 28.6 s statement at 100,000 cards). The hash join of the selection with the cards and
    // any sort of a million rows stay in memory (with the default 4 MB work_mem they spilled
    // to disk in batches); both settings are local to this transaction.
    tx.execute(
        OP,
        "SELECT set_config('cardline.order_counts', 'bulk', true), \
                set_config('work_mem', '256MB', true)",
        &[],
    )?;
    let mut moved: Vec<(i64, Card)> = tx
        .query(OP, &sql, &args.refs())?
        .iter()
        .map(|r| Ok((get(r, 16)?, card(r)?)))
        .collect::<Result<_, StoreError>>()?;
    tx.execute(
        OP,
        "SELECT set_config('cardline.order_counts', '', true)",
        &[],
    )?;
    moved.sort_unstable_by_key(|(pos, _)| *pos);
    let cards: Vec<Card> = moved.into_iter().map(|(_, c)| c).collect();
    let moved = cards.len() as u64;
    if moved == 0 {
        return Err(StoreError::NothingToOrder);
    }
    if let Some(n) = locked
        && n != moved
    {
        return Err(StoreError::Backend {
            operation: OP.into(),
            detail: format!(
                "{} of {n} selected cards changed underneath this transaction",
                n - moved
            ),
        });
    }
    crate::order_counts::count_new_order(tx, id, &cards)?;
    let reason = match profile {
        Some(p) => format!("{moved} card(s), profile {p}"),
        None => format!("{moved} card(s)"),
    };
    // The order's audit entry comes before its cards' entries, each chained after the other.
    tx.audit("order.create", None, Some(id), None, None, Some(&reason))?;
    let action = format!("card.{}", event_name(event));
    let entries: Vec<_> = cards
        .iter()
        .map(|c| {
            tx.entry(
                &action,
                Some(&c.number),
                Some(id),
                Some(from),
                Some(to),
                None,
            )
        })
        .collect();
    tx.audit_many(&entries)?;
    tracing::info!(order = id, cards = moved, "order created");
    let mut order = header(tx, id, false)?;
    order.cards = cards;
    Ok(order)
}

/// The order without its cards, or `OrderNotFound`. With `lock`, its row is locked until
/// commit (cancel, complete and repeat of one order wait for each other; production claims
/// of it wait for them).
pub fn header(tx: &Tx<'_>, id: OrderId, lock: bool) -> Result<Order, StoreError> {
    let sql = if lock {
        format!("{ORDER_SELECT} WHERE id = $1 FOR UPDATE")
    } else {
        format!("{ORDER_SELECT} WHERE id = $1")
    };
    tx.query_opt("reading an order", &sql, &[&id])?
        .map(|r| order(&r))
        .transpose()?
        .ok_or(StoreError::OrderNotFound(id))
}

/// One order with every card it holds or held, in production order.
pub fn get_order(tx: &Tx<'_>, id: OrderId) -> Result<Order, StoreError> {
    let mut o = header(tx, id, false)?;
    o.cards = cards_of(tx, id, false, false)?;
    Ok(o)
}

/// One order with `limit` of its cards from the `offset`-th on in production order, and its
/// number of cards.
pub fn cards_page(
    tx: &Tx<'_>,
    id: OrderId,
    offset: usize,
    limit: usize,
) -> Result<(Order, u64), StoreError> {
    let mut o = header(tx, id, false)?;
    let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    // The page's memberships are picked from the position index first, then joined to their
    // cards, so the skipped memberships never fetch a card row.
    let sql = format!(
        "{CARD_SELECT} JOIN (SELECT card_id, position FROM order_cards WHERE order_id = $1 \
         ORDER BY position LIMIT $2 OFFSET $3) m ON m.card_id = c.id ORDER BY m.position"
    );
    o.cards = tx
        .query(
            "reading a page of an order's cards",
            &sql,
            &[&id, &n(limit), &n(offset)],
        )?
        .iter()
        .map(card)
        .collect::<Result<_, _>>()?;
    let total = count(
        &tx.query_one(
            "counting an order's cards",
            "SELECT count(*) FROM order_cards WHERE order_id = $1",
            &[&id],
        )?,
        0,
    )?;
    Ok((o, total))
}

/// The cards of an order (only those it still holds when `open_only`), in production order;
/// with `lock`, their rows locked until commit.
pub fn cards_of(
    tx: &Tx<'_>,
    id: OrderId,
    open_only: bool,
    lock: bool,
) -> Result<Vec<Card>, StoreError> {
    let sql = format!(
        "{CARD_SELECT} JOIN order_cards m ON m.card_id = c.id AND m.order_id = $1 \
         WHERE (m.open OR NOT $2) ORDER BY m.position{}",
        if lock { " FOR UPDATE OF c" } else { "" }
    );
    tx.query("reading an order's cards", &sql, &[&id, &open_only])?
        .iter()
        .map(card)
        .collect()
}

/// All orders, newest first, without cards.
pub fn list(tx: &Tx<'_>) -> Result<Vec<Order>, StoreError> {
    tx.query(
        "listing orders",
        &format!("{ORDER_SELECT} ORDER BY id DESC"),
        &[],
    )?
    .iter()
    .map(order)
    .collect()
}

/// How the order's own cards ended in it.
/// Counted from every card of the order (O(order size)): the check of the counters
/// ([`crate::order_counts`]).
pub fn recount(tx: &Tx<'_>, id: OrderId) -> Result<OrderOutcome, StoreError> {
    let state = header(tx, id, false)?.state;
    let r = tx.query_one(
        "counting an order's outcome",
        "SELECT count(*) FILTER (WHERE produced), \
           count(*) FILTER (WHERE NOT produced AND open AND state = 'failed'), \
           count(*) FILTER (WHERE NOT produced AND open AND state = 'in_production' \
                            AND NOT in_flight), \
           count(*) FILTER (WHERE NOT produced AND open AND state = 'in_production' \
                            AND in_flight), \
           count(*) FILTER (WHERE NOT produced AND NOT open) \
         FROM (SELECT m.open AS open, c.state AS state, \
           EXISTS (SELECT 1 FROM attempts a WHERE a.card_id = c.id AND a.order_id = m.order_id \
                   AND a.status = 'succeeded') AS produced, \
           EXISTS (SELECT 1 FROM attempts a WHERE a.card_id = c.id AND a.order_id = m.order_id \
                   AND a.status = 'in_flight') AS in_flight \
           FROM order_cards m JOIN cards c ON c.id = m.card_id WHERE m.order_id = $1) s",
        &[&id],
    )?;
    let left = count(&r, 4)?;
    let (cancelled, released) = match state {
        OrderState::Cancelled => (left, 0),
        _ => (0, left),
    };
    Ok(OrderOutcome {
        produced: count(&r, 0)?,
        failed: count(&r, 1)?,
        waiting: count(&r, 2)?,
        in_production: count(&r, 3)?,
        cancelled,
        released,
    })
}

/// The order's failed cards with their last failed attempt.
pub fn failures(tx: &Tx<'_>, id: OrderId) -> Result<Vec<CardFailure>, StoreError> {
    header(tx, id, false)?;
    let rows = tx.query(
        "listing an order's failures",
        "SELECT c.number, a.station, \
           (SELECT s.step FROM attempt_steps s WHERE s.attempt_id = a.id \
              AND s.outcome IS NOT NULL AND s.outcome <> 'ok' AND s.step <> 'reject' \
              ORDER BY s.id DESC LIMIT 1), \
           COALESCE(a.reason, c.failure_reason, ''), a.finished_at \
         FROM cards c JOIN order_cards m ON m.card_id = c.id AND m.order_id = c.order_id \
         JOIN attempts a ON a.id = (SELECT max(a2.id) FROM attempts a2 WHERE a2.card_id = c.id \
              AND a2.order_id = m.order_id AND a2.status = 'failed') \
         WHERE c.order_id = $1 AND c.state = 'failed' AND m.open ORDER BY m.position",
        &[&id],
    )?;
    rows.iter()
        .map(|r| {
            Ok(CardFailure {
                card: get(r, 0)?,
                station: get(r, 1)?,
                step: get(r, 2)?,
                reason: get(r, 3)?,
                at: get(r, 4)?,
            })
        })
        .collect()
}
