//! Card records: requesting (COPY, so a million requests take seconds), listing, counting,
//! and the events of a produced card's life (assign, withdraw, lock, expire).

use cardline_issuance::model::*;
use cardline_issuance::numbering::Numbering;
use cardline_issuance::requests::RequestData;
use cardline_issuance::store::sqlite::{happens_through, request_reason, timestamp};
use cardline_issuance::store::{CardFilter, EventDetail, StoreError};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;

use crate::rows::{CARD_SELECT, card, card_by_number, get};
use crate::search::Args;
use crate::tx::Tx;

/// The advisory lock under which a request reserves its block of card ids ("CLN3").
const CARD_IDS_LOCK: i64 = 0x434C_4E33;

/// Creates one requested card per row, numbered after the prefix's last sequence (whose row
/// stays locked until commit, so two requests never take the same numbers), one audit entry
/// each, both written with binary COPY. The rows are normalised already.
pub fn request(
    tx: &Tx<'_>,
    rows: &[RequestData],
    numbering: &Numbering,
) -> Result<Vec<Card>, StoreError> {
    const OP: &str = "requesting cards";
    numbering.check()?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let count = rows.len() as u64;
    tx.execute(
        OP,
        "INSERT INTO numbering_sequence (prefix, last_sequence) VALUES ($1, 0) \
         ON CONFLICT (prefix) DO NOTHING",
        &[&numbering.prefix],
    )?;
    let last: i64 = get(
        &tx.query_one(
            OP,
            "SELECT last_sequence FROM numbering_sequence WHERE prefix = $1 FOR UPDATE",
            &[&numbering.prefix],
        )?,
        0,
    )?;
    let last = u64::try_from(last).unwrap_or(0);
    numbering.check_room(last, count)?;
    // A block of ids: every insert into `cards` is a request and takes this lock first, so
    // nobody draws from the sequence between the two calls.
    tx.execute(OP, "SELECT pg_advisory_xact_lock($1)", &[&CARD_IDS_LOCK])?;
    let first: i64 = get(
        &tx.query_one(
            OP,
            "SELECT nextval(pg_get_serial_sequence('cards', 'id'))",
            &[],
        )?,
        0,
    )?;
    tx.execute(
        OP,
        "SELECT setval(pg_get_serial_sequence('cards', 'id'), $1)",
        &[&(first + count as i64 - 1)],
    )?;
    let mut created = Vec::with_capacity(rows.len());
    for ((seq, row), id) in (last + 1..=last + count).zip(rows).zip(first..) {
        created.push(Card {
            id,
            number: numbering.format(seq),
            state: CardState::Requested,
            created_at: tx.now.clone(),
            updated_at: tx.now.clone(),
            request: row.info(&tx.now),
            ..Card::default()
        });
    }
    tx.with_client(OP, |client| {
        let sink = client.copy_in(
            "COPY cards (id, number, state, created_at, updated_at, requester, desk, purpose, \
             note, requested_at) FROM STDIN BINARY",
        )?;
        let t = Type::TEXT;
        let mut w = BinaryCopyInWriter::new(
            sink,
            &[
                Type::INT8,
                t.clone(),
                t.clone(),
                t.clone(),
                t.clone(),
                t.clone(),
                t.clone(),
                t.clone(),
                t.clone(),
                t,
            ],
        );
        for c in &created {
            let r = &c.request;
            w.write(&[
                &c.id,
                &c.number,
                &"requested",
                &c.created_at,
                &c.updated_at,
                &r.requester,
                &r.desk,
                &r.purpose,
                &r.note,
                &r.requested_at,
            ])?;
        }
        w.finish()?;
        Ok(())
    })?;
    let entries: Vec<_> = created
        .iter()
        .map(|c| {
            tx.entry(
                "card.request",
                Some(&c.number),
                None,
                None,
                Some(CardState::Requested),
                request_reason(&c.request),
            )
        })
        .collect();
    tx.audit_many(&entries)?;
    tx.execute(
        OP,
        "UPDATE numbering_sequence SET last_sequence = $1 WHERE prefix = $2",
        &[&((last + count) as i64), &numbering.prefix],
    )?;
    Ok(created)
}

/// Cards matching the filter: oldest first, or in production order within an order.
pub fn list(tx: &Tx<'_>, filter: &CardFilter) -> Result<Vec<Card>, StoreError> {
    let mut args = Args::default();
    let mut sql = String::from(CARD_SELECT);
    if let Some(order) = filter.order_id {
        let p = args.push(order);
        sql.push_str(&format!(
            " JOIN order_cards m ON m.card_id = c.id AND m.order_id = {p}"
        ));
    }
    sql.push_str(" WHERE true");
    if let Some(state) = filter.state {
        let p = args.push(state.as_str().to_string());
        sql.push_str(&format!(" AND c.state = {p}"));
    }
    sql.push_str(if filter.order_id.is_some() {
        " ORDER BY m.position"
    } else {
        " ORDER BY c.id"
    });
    if let Some(limit) = filter.limit {
        let p = args.push(i64::from(limit));
        sql.push_str(&format!(" LIMIT {p}"));
    }
    tx.query("listing cards", &sql, &args.refs())?
        .iter()
        .map(card)
        .collect()
}

/// Cards per state, overall or of one order (every card the order ever held).
pub fn count_by_state(
    tx: &Tx<'_>,
    order_id: Option<OrderId>,
) -> Result<Vec<(CardState, u64)>, StoreError> {
    const OP: &str = "counting cards";
    let rows = match order_id {
        None => tx.query(OP, "SELECT state, COUNT(*) FROM cards GROUP BY state", &[])?,
        Some(id) => tx.query(
            OP,
            "SELECT c.state, COUNT(*) FROM order_cards m JOIN cards c ON c.id = m.card_id \
             WHERE m.order_id = $1 GROUP BY c.state",
            &[&id],
        )?,
    };
    let mut out = Vec::new();
    for r in &rows {
        let state: String = get(r, 0)?;
        if let Some(s) = CardState::parse(&state) {
            out.push((s, crate::rows::count(r, 1)?));
        }
    }
    out.sort_by_key(|(s, _)| CardState::ALL.iter().position(|x| x == s));
    Ok(out)
}

/// A card by number, its row locked until commit (two operators changing one card wait for
/// each other instead of colliding).
pub fn card_for_update(tx: &Tx<'_>, number: &str) -> Result<Card, StoreError> {
    let found = card_by_number(tx, number)?;
    let row = tx.query_one(
        "reading a card",
        &format!("{CARD_SELECT} WHERE c.id = $1 FOR UPDATE"),
        &[&found.id],
    )?;
    card(&row)
}

/// Assign, withdraw, lock or expire one card. Order and production events are refused here:
/// they go through the order and attempt operations that keep the order consistent.
pub fn apply_event(
    tx: &Tx<'_>,
    number: &str,
    event: CardEvent,
    detail: &EventDetail,
) -> Result<Card, StoreError> {
    const OP: &str = "changing a card";
    let card = card_for_update(tx, number)?;
    if let Some(through) = happens_through(event) {
        return Err(StoreError::NotADirectEvent {
            number: number.into(),
            event,
            through: through.into(),
        });
    }
    let mut reason = detail.reason.clone();
    if event == CardEvent::Assign {
        // The lifecycle first, so a wrong state is reported before missing details.
        cardline_issuance::lifecycle::next_state(card.state, event)?;
        let person = detail
            .assigned_to
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| StoreError::MissingDetail {
                number: number.into(),
                what: "the person to assign the card to".into(),
            })?;
        let until = detail
            .valid_until
            .as_deref()
            .ok_or_else(|| StoreError::MissingDetail {
                number: number.into(),
                what: "the end of validity".into(),
            })?;
        let until = timestamp::canonical(until).ok_or_else(|| StoreError::InvalidTime {
            field: "valid_until".into(),
            value: until.into(),
        })?;
        tx.execute(
            OP,
            "UPDATE cards SET assigned_to = $1, valid_until = $2 WHERE id = $3",
            &[&person, &until, &card.id],
        )?;
        let what = format!("to {person} until {until}");
        reason = Some(match reason {
            Some(r) => format!("{what}: {r}"),
            None => what,
        });
    }
    tx.transition(&card, event, None, reason.as_deref())?;
    if event == CardEvent::Withdraw {
        tx.execute(
            OP,
            "UPDATE cards SET assigned_to = NULL, valid_until = NULL WHERE id = $1",
            &[&card.id],
        )?;
    }
    tracing::info!(card = number, ?event, "card changed");
    tx.reload(card.id)
}

/// Expires every assigned card whose validity ended before `now`.
pub fn expire_due(tx: &Tx<'_>, now: &str) -> Result<Vec<Card>, StoreError> {
    let now = timestamp::canonical(now).ok_or_else(|| StoreError::InvalidTime {
        field: "now".into(),
        value: now.into(),
    })?;
    let due: Vec<Card> = tx
        .query(
            "expiring cards",
            &format!(
                "{CARD_SELECT} WHERE c.state = 'assigned' AND c.valid_until < $1 \
                 ORDER BY c.id FOR UPDATE"
            ),
            &[&now],
        )?
        .iter()
        .map(card)
        .collect::<Result<_, _>>()?;
    let mut expired = Vec::with_capacity(due.len());
    for card in &due {
        let reason = format!(
            "validity ended {}",
            card.valid_until.as_deref().unwrap_or("?")
        );
        tx.transition(card, CardEvent::Expire, None, Some(&reason))?;
        expired.push(tx.reload(card.id)?);
    }
    Ok(expired)
}

/// Each prefix of the numbering sequences with the length of its latest card's number.
pub fn schemes(tx: &Tx<'_>) -> Result<Vec<cardline_issuance::numbering::SchemeInUse>, StoreError> {
    let rows = tx.query(
        "reading the numbering schemes",
        "SELECT s.prefix, (SELECT length(c.number)::bigint FROM cards c \
           WHERE starts_with(c.number, s.prefix) ORDER BY c.id DESC LIMIT 1) \
         FROM numbering_sequence s ORDER BY s.prefix",
        &[],
    )?;
    let mut out = Vec::new();
    for r in &rows {
        let prefix: String = get(r, 0)?;
        let len: Option<i64> = get(r, 1)?;
        if let Some(len) = len.and_then(|l| usize::try_from(l).ok()) {
            out.push(cardline_issuance::numbering::SchemeInUse {
                prefix,
                number_len: len,
            });
        }
    }
    Ok(out)
}
