//! Card records: requesting, listing, counting, and the events of a produced card's life
//! (assign, withdraw, lock, expire).

use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{CARD_SELECT, card_by_number, card_from_row};
use super::writer::{Writer, event_name};
use super::{backend, timestamp};
use crate::model::*;
use crate::numbering::Numbering;
use crate::requests::RequestData;
use crate::store::{CardFilter, EventDetail, StoreError};

/// Creates one requested card per row, numbered after the prefix's last sequence, one audit
/// entry each, with prepared statements in the caller's single transaction. The rows are
/// [`RequestData::normalised`](crate::requests::RequestData::normalised) already.
pub fn request(
    w: &Writer<'_>,
    rows: &[RequestData],
    numbering: &Numbering,
) -> Result<Vec<Card>, StoreError> {
    const OP: &str = "requesting cards";
    numbering.check()?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let count = rows.len() as u64;
    let conn = w.conn;
    conn.execute(
        "INSERT INTO numbering_sequence (prefix, last_sequence) VALUES (?1, 0) \
         ON CONFLICT (prefix) DO NOTHING",
        [&numbering.prefix],
    )
    .map_err(backend(OP))?;
    let last: i64 = conn
        .query_row(
            "SELECT last_sequence FROM numbering_sequence WHERE prefix = ?1",
            [&numbering.prefix],
            |r| r.get(0),
        )
        .map_err(backend(OP))?;
    let last = u64::try_from(last).unwrap_or(0);
    numbering.check_room(last, count)?;

    let mut insert_card = conn
        .prepare_cached(
            "INSERT INTO cards (number, state, created_at, updated_at, requester, desk, purpose, \
             note, requested_at) VALUES (?1, 'requested', ?2, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(backend(OP))?;
    let mut created = Vec::with_capacity(rows.len());
    for (seq, row) in (last + 1..=last + count).zip(rows) {
        let number = numbering.format(seq);
        let info = row.info(&w.now);
        insert_card
            .execute(params![
                number,
                w.now,
                info.requester,
                info.desk,
                info.purpose,
                info.note,
                info.requested_at
            ])
            .map_err(backend(OP))?;
        let id = conn.last_insert_rowid();
        let reason = request_reason(&info);
        w.audit(
            "card.request",
            Some(&number),
            None,
            None,
            Some(CardState::Requested),
            reason.as_deref(),
        )?;
        created.push(Card {
            id,
            number,
            state: CardState::Requested,
            created_at: w.now.clone(),
            updated_at: w.now.clone(),
            request: info,
            ..Card::default()
        });
    }
    conn.execute(
        "UPDATE numbering_sequence SET last_sequence = ?1 WHERE prefix = ?2",
        params![(last + count) as i64, numbering.prefix],
    )
    .map_err(backend(OP))?;
    Ok(created)
}

/// The audit reason of a request: who asked, for which desk, why (`None` when it says nothing).
pub fn request_reason(info: &RequestInfo) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(r) = &info.requester {
        parts.push(format!("for {r}"));
    }
    if let Some(d) = &info.desk {
        parts.push(format!("at {d}"));
    }
    if let Some(p) = &info.purpose {
        parts.push(format!("({p})"));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Cards matching the filter: oldest first, or in production order within `--order`.
pub fn list(conn: &Connection, filter: &CardFilter) -> Result<Vec<Card>, StoreError> {
    let mut sql = String::from(CARD_SELECT);
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(order) = filter.order_id {
        args.push(order.into());
        sql.push_str(&format!(
            " JOIN order_cards m ON m.card_id = c.id AND m.order_id = ?{}",
            args.len()
        ));
    }
    sql.push_str(" WHERE 1 = 1");
    if let Some(state) = filter.state {
        args.push(state.as_str().to_string().into());
        sql.push_str(&format!(" AND c.state = ?{}", args.len()));
    }
    sql.push_str(if filter.order_id.is_some() {
        " ORDER BY m.position"
    } else {
        " ORDER BY c.id"
    });
    if let Some(limit) = filter.limit {
        args.push(i64::from(limit).into());
        sql.push_str(&format!(" LIMIT ?{}", args.len()));
    }
    conn.prepare(&sql)
        .and_then(|mut st| {
            st.query_map(rusqlite::params_from_iter(args), card_from_row)?
                .collect()
        })
        .map_err(backend("listing cards"))
}

/// Cards per state, overall or of one order (every card the order ever held).
pub fn count_by_state(
    conn: &Connection,
    order_id: Option<OrderId>,
) -> Result<Vec<(CardState, u64)>, StoreError> {
    let counts: Vec<(String, i64)> = match order_id {
        None => conn
            .prepare("SELECT state, COUNT(*) FROM cards GROUP BY state")
            .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()),
        Some(id) => conn
            .prepare(
                "SELECT c.state, COUNT(*) FROM order_cards m JOIN cards c ON c.id = m.card_id \
                 WHERE m.order_id = ?1 GROUP BY c.state",
            )
            .and_then(|mut st| {
                st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            }),
    }
    .map_err(backend("counting cards"))?;
    let mut out: Vec<(CardState, u64)> = counts
        .into_iter()
        .filter_map(|(s, n)| Some((CardState::parse(&s)?, u64::try_from(n).ok()?)))
        .collect();
    out.sort_by_key(|(s, _)| CardState::ALL.iter().position(|x| x == s));
    Ok(out)
}

/// The operation an event belongs to when it is not applied on its own (`None`: assign,
/// withdraw, lock and expire are applied directly).
pub fn happens_through(event: CardEvent) -> Option<&'static str> {
    match event {
        CardEvent::Assign | CardEvent::Withdraw | CardEvent::Lock | CardEvent::Expire => None,
        CardEvent::AddToOrder => Some("order create"),
        CardEvent::CancelFromOrder => Some("order cancel"),
        CardEvent::Release => Some("order complete"),
        CardEvent::Repeat => Some("order repeat"),
        CardEvent::Produced | CardEvent::ProductionFailed => Some("production"),
    }
}

/// Assign, withdraw, lock or expire one card. Order and production events are refused here:
/// they go through the order and attempt operations that keep the order consistent.
pub fn apply_event(
    w: &Writer<'_>,
    number: &str,
    event: CardEvent,
    detail: &EventDetail,
) -> Result<Card, StoreError> {
    const OP: &str = "changing a card";
    let through = happens_through(event);
    let card = card_by_number(w.conn, number)?;
    if let Some(through) = through {
        return Err(StoreError::NotADirectEvent {
            number: number.into(),
            event,
            through: through.into(),
        });
    }
    let mut reason = detail.reason.clone();
    if event == CardEvent::Assign {
        // Check the lifecycle first so a wrong state is reported before missing details.
        crate::lifecycle::next_state(card.state, event)?;
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
        w.conn
            .execute(
                "UPDATE cards SET assigned_to = ?1, valid_until = ?2 WHERE id = ?3",
                params![person, until, card.id],
            )
            .map_err(backend(OP))?;
        let what = format!("to {person} until {until}");
        reason = Some(match reason {
            Some(r) => format!("{what}: {r}"),
            None => what,
        });
    }
    w.transition(&card, event, None, reason.as_deref())?;
    if event == CardEvent::Withdraw {
        w.conn
            .execute(
                "UPDATE cards SET assigned_to = NULL, valid_until = NULL WHERE id = ?1",
                [card.id],
            )
            .map_err(backend(OP))?;
    }
    tracing::info!(card = number, event = event_name(event), "card changed");
    w.reload(card.id)
}

/// Expires every assigned card whose validity ended before `now`.
pub fn expire_due(w: &Writer<'_>, now: &str) -> Result<Vec<Card>, StoreError> {
    let now = timestamp::canonical(now).ok_or_else(|| StoreError::InvalidTime {
        field: "now".into(),
        value: now.into(),
    })?;
    let due: Vec<Card> = w
        .conn
        .prepare(&format!(
            "{CARD_SELECT} WHERE c.state = 'assigned' AND c.valid_until < ?1 ORDER BY c.id"
        ))
        .and_then(|mut st| st.query_map([&now], card_from_row)?.collect())
        .map_err(backend("expiring cards"))?;
    let mut expired = Vec::with_capacity(due.len());
    for card in &due {
        let reason = format!(
            "validity ended {}",
            card.valid_until.as_deref().unwrap_or("?")
        );
        w.transition(card, CardEvent::Expire, None, Some(&reason))?;
        expired.push(w.reload(card.id)?);
    }
    Ok(expired)
}

/// The id of a card by number (exact, else in any case), if it exists.
pub fn id_of(conn: &Connection, number: &str) -> Result<Option<CardId>, StoreError> {
    let exact: Option<CardId> = conn
        .prepare_cached("SELECT id FROM cards WHERE number = ?1")
        .and_then(|mut st| st.query_row([number], |r| r.get(0)).optional())
        .map_err(backend("reading a card"))?;
    if exact.is_some() {
        return Ok(exact);
    }
    conn.prepare_cached("SELECT id FROM cards WHERE upper(number) = upper(?1) ORDER BY id LIMIT 1")
        .and_then(|mut st| st.query_row([number], |r| r.get(0)).optional())
        .map_err(backend("reading a card"))
}

/// Each prefix of the numbering sequences with the length of its latest card's number.
pub fn schemes(conn: &Connection) -> Result<Vec<crate::numbering::SchemeInUse>, StoreError> {
    conn.prepare(
        "SELECT s.prefix, (SELECT length(c.number) FROM cards c \
           WHERE substr(c.number, 1, length(s.prefix)) = s.prefix ORDER BY c.id DESC LIMIT 1) \
         FROM numbering_sequence s ORDER BY s.prefix",
    )
    .and_then(|mut st| {
        st.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()
    })
    .map(|rows| {
        rows.into_iter()
            .filter_map(|(prefix, len)| {
                Some(crate::numbering::SchemeInUse {
                    prefix,
                    number_len: usize::try_from(len?).ok()?,
                })
            })
            .collect()
    })
    .map_err(backend("reading the numbering schemes"))
}
