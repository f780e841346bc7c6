//! The search model ([`cardline_issuance::search`]) in SQL: one WHERE clause for searching and
//! for selecting an order's cards, keyset pages, a total count. Requester and desk match in
//! any case, number prefixes and failure reasons too (ILIKE), as in SQLite.

use cardline_issuance::model::Card;
use cardline_issuance::search::{CardPage, CardQuery, CardSort, Cursor, Page};
use cardline_issuance::store::StoreError;
use postgres::types::ToSql;

use crate::rows::{CARD_SELECT, card, count};
use crate::tx::Tx;

/// Statement parameters collected while building SQL (`$1`, `$2` ...).
#[derive(Default)]
pub(crate) struct Args {
    values: Vec<Box<dyn ToSql + Sync>>,
}

impl Args {
    /// Adds a parameter and returns its placeholder.
    pub fn push(&mut self, value: impl ToSql + Sync + 'static) -> String {
        self.values.push(Box::new(value));
        format!("${}", self.values.len())
    }

    /// The parameters, for a statement.
    pub fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values
            .iter()
            .map(|v| &**v as &(dyn ToSql + Sync))
            .collect()
    }
}

/// `FROM`-joins and `WHERE` conditions of a query, with their parameters.
pub(crate) struct Filter {
    /// Joins to add after `FROM cards c`.
    pub joins: String,
    /// Conditions, joined with AND (`true` when none).
    pub conditions: String,
    /// Parameters.
    pub args: Args,
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
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
pub(crate) fn filter(query: &CardQuery) -> Filter {
    let mut args = Args::default();
    let mut joins = String::new();
    let mut conds: Vec<String> = Vec::new();
    if let Some(order) = query.order {
        let p = args.push(order);
        joins = format!(" JOIN order_cards m ON m.card_id = c.id AND m.order_id = {p}");
    }
    if !query.states.is_empty() {
        let states: Vec<String> = query
            .states
            .iter()
            .map(|s| s.as_str().to_string())
            .collect();
        let p = args.push(states);
        conds.push(format!("c.state = ANY({p})"));
    }
    if let Some(from) = &query.requested_from {
        let p = args.push(from.clone());
        conds.push(format!("c.requested_at >= {p}"));
    }
    if let Some(before) = &query.requested_before {
        let p = args.push(before.clone());
        conds.push(format!("c.requested_at < {p}"));
    }
    if let Some(r) = &query.requester {
        let p = args.push(r.trim().to_string());
        conds.push(format!(
            "lower(c.requester) = lower({p}) AND c.requester IS NOT NULL"
        ));
    }
    if let Some(d) = &query.desk {
        let p = args.push(d.trim().to_string());
        conds.push(format!("lower(c.desk) = lower({p}) AND c.desk IS NOT NULL"));
    }
    if let Some(prefix) = &query.number_prefix {
        let p = args.push(format!("{}%", like_escape(prefix.trim())));
        conds.push(format!("c.number ILIKE {p} ESCAPE '\\'"));
    }
    if let Some(from) = &query.number_from {
        let p = args.push(from.trim().to_uppercase());
        conds.push(format!("upper(c.number) >= {p}"));
    }
    if let Some(to) = &query.number_to {
        let p = args.push(to.trim().to_uppercase());
        conds.push(format!("upper(c.number) <= {p}"));
    }
    if let Some(reason) = &query.reason {
        let p = args.push(format!("%{}%", like_escape(reason.trim())));
        conds.push(format!("c.failure_reason ILIKE {p} ESCAPE '\\'"));
    }
    Filter {
        joins,
        conditions: if conds.is_empty() {
            "true".into()
        } else {
            conds.join(" AND ")
        },
        args,
    }
}

fn sort_column(sort: CardSort) -> &'static str {
    match sort {
        CardSort::Requested => "c.requested_at",
        CardSort::Number => "c.number",
        CardSort::Updated => "c.updated_at",
    }
}

/// One page of a search and the total count, in one snapshot.
pub(crate) fn search(tx: &Tx<'_>, query: &CardQuery, page: &Page) -> Result<CardPage, StoreError> {
    const OP: &str = "searching cards";
    let after = page
        .check()
        .map_err(|e| StoreError::InvalidQuery(e.to_string()))?;
    query
        .check()
        .map_err(|e| StoreError::InvalidQuery(e.to_string()))?;
    let f = filter(query);
    let count_sql = match page.count_limit {
        None => format!(
            "SELECT COUNT(*) FROM cards c{} WHERE {}",
            f.joins, f.conditions
        ),
        // An integer of ours, not text: written into the statement.
        Some(bound) => format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM cards c{} WHERE {} LIMIT {}) b",
            f.joins,
            f.conditions,
            i64::try_from(bound.saturating_add(1)).unwrap_or(i64::MAX)
        ),
    };
    let total = count(&tx.query_one(OP, &count_sql, &f.args.refs())?, 0)?;
    let mut f = f;
    let key = sort_column(page.sort);
    let (cmp, dir) = if page.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let mut conditions = f.conditions.clone();
    if let Some(Cursor { key: k, id }) = after {
        let pk = f.args.push(k);
        let pid = f.args.push(id);
        conditions.push_str(&format!(
            " AND ({key} {cmp} {pk} OR ({key} = {pk} AND c.id {cmp} {pid}))"
        ));
    }
    let limit = f.args.push(i64::from(page.limit));
    let sql = format!(
        "{CARD_SELECT}{} WHERE {conditions} ORDER BY {key} {dir}, c.id {dir} LIMIT {limit}",
        f.joins
    );
    let cards: Vec<Card> = tx
        .query(OP, &sql, &f.args.refs())?
        .iter()
        .map(card)
        .collect::<Result<_, _>>()?;
    let next = (cards.len() as u32 == page.limit)
        .then(|| cards.last().map(|c| Cursor::after(c, page.sort).encode()))
        .flatten();
    Ok(CardPage { cards, total, next })
}
