//! The search model ([`crate::search`]) in SQL: one WHERE clause for searching and for
//! selecting an order's cards, keyset pages, a total count.

use rusqlite::Connection;
use rusqlite::types::Value;

use super::backend;
use super::rows::{CARD_SELECT, card_from_row};
use crate::search::{CardPage, CardQuery, CardSort, Cursor, Page};
use crate::store::StoreError;

/// `FROM`-joins and `WHERE` conditions of a query, with their parameters (numbered from 1).
pub struct Filter {
    /// Joins to add after `FROM cards c`.
    pub joins: String,
    /// Conditions, joined with AND (`1 = 1` when none).
    pub conditions: String,
    /// Parameters.
    pub args: Vec<Value>,
}

/// Escapes `%`, `_` and `\\` for a LIKE pattern with `ESCAPE '\\'`.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The SQL of a query's filters.
pub fn filter(query: &CardQuery) -> Filter {
    let mut f = Filter {
        joins: String::new(),
        conditions: String::new(),
        args: Vec::new(),
    };
    let mut conds: Vec<String> = Vec::new();
    let arg = |f: &mut Filter, v: Value| {
        f.args.push(v);
        format!("?{}", f.args.len())
    };
    if let Some(order) = query.order {
        let p = arg(&mut f, order.into());
        f.joins = format!(" JOIN order_cards m ON m.card_id = c.id AND m.order_id = {p}");
    }
    if !query.states.is_empty() {
        let ps: Vec<String> = query
            .states
            .iter()
            .map(|s| arg(&mut f, s.as_str().to_string().into()))
            .collect();
        conds.push(format!("c.state IN ({})", ps.join(", ")));
    }
    if let Some(from) = &query.requested_from {
        let p = arg(&mut f, from.clone().into());
        conds.push(format!("c.requested_at >= {p}"));
    }
    if let Some(before) = &query.requested_before {
        let p = arg(&mut f, before.clone().into());
        conds.push(format!("c.requested_at < {p}"));
    }
    if let Some(r) = &query.requester {
        let p = arg(&mut f, r.trim().to_string().into());
        conds.push(format!("c.requester = {p}"));
    }
    if let Some(d) = &query.desk {
        let p = arg(&mut f, d.trim().to_string().into());
        conds.push(format!("c.desk = {p}"));
    }
    if let Some(prefix) = &query.number_prefix {
        let p = arg(&mut f, format!("{}%", like_escape(prefix.trim())).into());
        conds.push(format!("c.number LIKE {p} ESCAPE '\\'"));
    }
    if let Some(from) = &query.number_from {
        let p = arg(&mut f, from.trim().to_uppercase().into());
        conds.push(format!("upper(c.number) >= {p}"));
    }
    if let Some(to) = &query.number_to {
        let p = arg(&mut f, to.trim().to_uppercase().into());
        conds.push(format!("upper(c.number) <= {p}"));
    }
    if let Some(reason) = &query.reason {
        let p = arg(&mut f, format!("%{}%", like_escape(reason.trim())).into());
        conds.push(format!("c.failure_reason LIKE {p} ESCAPE '\\'"));
    }
    f.conditions = if conds.is_empty() {
        "1 = 1".into()
    } else {
        conds.join(" AND ")
    };
    f
}

fn sort_column(sort: CardSort) -> &'static str {
    match sort {
        CardSort::Requested => "c.requested_at",
        CardSort::Number => "c.number",
        CardSort::Updated => "c.updated_at",
    }
}

/// One page of a search and the total count, in one read transaction.
pub fn search(conn: &Connection, query: &CardQuery, page: &Page) -> Result<CardPage, StoreError> {
    const OP: &str = "searching cards";
    let after = page
        .check()
        .map_err(|e| StoreError::InvalidQuery(e.to_string()))?;
    query
        .check()
        .map_err(|e| StoreError::InvalidQuery(e.to_string()))?;
    let f = filter(query);
    let mut count_args = f.args.clone();
    let count_sql = match page.count_limit {
        None => format!(
            "SELECT COUNT(*) FROM cards c{} WHERE {}",
            f.joins, f.conditions
        ),
        Some(bound) => {
            count_args.push(
                i64::try_from(bound.saturating_add(1))
                    .unwrap_or(i64::MAX)
                    .into(),
            );
            format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM cards c{} WHERE {} LIMIT ?{})",
                f.joins,
                f.conditions,
                count_args.len()
            )
        }
    };
    let total: i64 = conn
        .prepare_cached(&count_sql)
        .and_then(|mut st| {
            st.query_row(rusqlite::params_from_iter(count_args.iter()), |r| r.get(0))
        })
        .map_err(backend(OP))?;
    let key = sort_column(page.sort);
    let (cmp, dir) = if page.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let mut args = f.args.clone();
    let mut conditions = f.conditions.clone();
    if let Some(Cursor { key: k, id }) = after {
        args.push(k.into());
        let pk = args.len();
        args.push(id.into());
        let pid = args.len();
        conditions.push_str(&format!(
            " AND ({key} {cmp} ?{pk} OR ({key} = ?{pk} AND c.id {cmp} ?{pid}))"
        ));
    }
    args.push(i64::from(page.limit).into());
    let sql = format!(
        "{CARD_SELECT}{} WHERE {conditions} ORDER BY {key} {dir}, c.id {dir} LIMIT ?{}",
        f.joins,
        args.len()
    );
    let cards: Vec<crate::model::Card> = conn
        .prepare_cached(&sql)
        .and_then(|mut st| {
            st.query_map(rusqlite::params_from_iter(args.iter()), card_from_row)?
                .collect()
        })
        .map_err(backend(OP))?;
    let next = (cards.len() as u32 == page.limit)
        .then(|| cards.last().map(|c| Cursor::after(c, page.sort).encode()))
        .flatten();
    Ok(CardPage {
        cards,
        total: u64::try_from(total).unwrap_or(0),
        next,
    })
}
