//! The search model of the operator's card lists — one query type used by `cardline cards
//! search`, order selection (`order create` with the same filters) and, later, the console.
//!
//! A [`CardQuery`] filters by state, request date range, requester, desk, number prefix or
//! range, order and failure reason; a [`Page`] asks for one page in a sort order, continuing
//! after a cursor (keyset paging: page 1,000 costs what page 1 costs). The store answers with
//! the cards of the page, the total number of matches, and the cursor of the next page.

use serde::{Deserialize, Serialize};

use crate::model::{Card, CardState, OrderId};

/// The largest page a search returns.
pub const MAX_PAGE: u32 = 1000;

/// Which cards: every filter given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardQuery {
    /// In one of these states (any state when empty).
    pub states: Vec<CardState>,
    /// Requested at or after this time (RFC 3339, the store's format).
    pub requested_from: Option<String>,
    /// Requested before this time.
    pub requested_before: Option<String>,
    /// Requested by this requester (any case).
    pub requester: Option<String>,
    /// For this desk or site (any case).
    pub desk: Option<String>,
    /// Numbers starting with this text (any case).
    pub number_prefix: Option<String>,
    /// Numbers from this one (inclusive; numbers of one scheme sort as their sequence).
    pub number_from: Option<String>,
    /// Numbers up to this one (inclusive).
    pub number_to: Option<String>,
    /// Cards this order holds or held.
    pub order: Option<OrderId>,
    /// Failure reason containing this text (any case).
    pub reason: Option<String>,
}

/// The order of a result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardSort {
    /// By request time, then id (oldest first): the order cards were asked for.
    #[default]
    Requested,
    /// By card number.
    Number,
    /// By last change.
    Updated,
}

impl CardSort {
    /// Parses `requested`, `number`, `updated`.
    pub fn parse(s: &str) -> Option<CardSort> {
        match s {
            "requested" => Some(CardSort::Requested),
            "number" => Some(CardSort::Number),
            "updated" => Some(CardSort::Updated),
            _ => None,
        }
    }
}

/// Which page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// The sort order.
    pub sort: CardSort,
    /// Newest / highest first.
    pub descending: bool,
    /// At most this many cards (1..=[`MAX_PAGE`]).
    pub limit: u32,
    /// Continue after this cursor (from the previous page's `next`).
    pub after: Option<String>,
    /// Count the total only up to this bound: [`CardPage::total`] is then at most
    /// `count_limit + 1`, and `count_limit + 1` means "more than `count_limit`" (the
    /// console's search over a million requested cards reads 10,001 index entries instead of
    /// all of them). `None`: the exact total.
    #[serde(default)]
    pub count_limit: Option<u64>,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            sort: CardSort::default(),
            descending: false,
            limit: 50,
            after: None,
            count_limit: None,
        }
    }
}

/// One page of a search.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardPage {
    /// The cards of this page.
    pub cards: Vec<Card>,
    /// How many cards match in all.
    pub total: u64,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

/// A cursor: the sort key of the last card of a page and its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The sort key's value.
    pub key: String,
    /// The card id.
    pub id: i64,
}

impl Cursor {
    /// The cursor after `card` in `sort`.
    pub fn after(card: &Card, sort: CardSort) -> Cursor {
        let key = match sort {
            CardSort::Requested => card.request.requested_at.clone(),
            CardSort::Number => card.number.clone(),
            CardSort::Updated => card.updated_at.clone(),
        };
        Cursor { key, id: card.id }
    }

    /// Its text form: `<id>.<hex of the key>` (opaque to callers).
    pub fn encode(&self) -> String {
        format!("{}.{}", self.id, hex::encode(self.key.as_bytes()))
    }

    /// Reads a cursor written by [`encode`](Self::encode).
    pub fn decode(text: &str) -> Option<Cursor> {
        let (id, key) = text.split_once('.')?;
        let key = String::from_utf8(hex::decode(key).ok()?).ok()?;
        Some(Cursor {
            id: id.parse().ok()?,
            key,
        })
    }
}

/// What is wrong with a query or page.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A page size out of range.
    #[error("page size {0} is out of range: allowed 1–{MAX_PAGE}")]
    PageSize(u32),
    /// A cursor that was not made by a search.
    #[error("`{0}` is not a page cursor: use the `next` value of the previous page")]
    Cursor(String),
    /// A date or time that is not one.
    #[error("{field} `{value}` is not a date: write YYYY-MM-DD or an RFC 3339 time")]
    Date {
        /// Which filter.
        field: &'static str,
        /// What was given.
        value: String,
    },
    /// A filter value too long to be meant.
    #[error("{field} is {len} characters: at most 200")]
    TooLong {
        /// Which filter.
        field: &'static str,
        /// Its length.
        len: usize,
    },
}

impl CardQuery {
    /// Checks the filters' sizes (a query comes from outside: the CLI, the console, the API).
    pub fn check(&self) -> Result<(), QueryError> {
        let fields = [
            ("requester", &self.requester),
            ("desk", &self.desk),
            ("number prefix", &self.number_prefix),
            ("number from", &self.number_from),
            ("number to", &self.number_to),
            ("reason", &self.reason),
        ];
        for (field, value) in fields {
            if let Some(v) = value {
                let len = v.chars().count();
                if len > 200 {
                    return Err(QueryError::TooLong { field, len });
                }
            }
        }
        Ok(())
    }

    /// Sets the request date range from dates or times as an operator writes them: `from`
    /// inclusive, `to` inclusive of its whole day when it is a date.
    pub fn requested_between(
        mut self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<CardQuery, QueryError> {
        use crate::store::sqlite::timestamp::canonical_date_or_time;
        if let Some(f) = from {
            self.requested_from =
                Some(
                    canonical_date_or_time(f.trim()).ok_or_else(|| QueryError::Date {
                        field: "requested from",
                        value: f.to_string(),
                    })?,
                );
        }
        if let Some(t) = to {
            let t = t.trim();
            let end = if t.len() == 10 {
                // A date: up to the end of that day.
                canonical_date_or_time(t).and_then(|d| {
                    time::OffsetDateTime::parse(&d, &time::format_description::well_known::Rfc3339)
                        .ok()
                        .map(|x| {
                            crate::store::sqlite::timestamp::format(x + time::Duration::days(1))
                        })
                })
            } else {
                canonical_date_or_time(t)
            };
            self.requested_before = Some(end.ok_or_else(|| QueryError::Date {
                field: "requested to",
                value: t.to_string(),
            })?);
        }
        Ok(self)
    }
}

impl Page {
    /// Checks the page size and cursor.
    pub fn check(&self) -> Result<Option<Cursor>, QueryError> {
        if !(1..=MAX_PAGE).contains(&self.limit) {
            return Err(QueryError::PageSize(self.limit));
        }
        self.after
            .as_deref()
            .map(|a| {
                Cursor::decode(a).ok_or_else(|| QueryError::Cursor(a.chars().take(80).collect()))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = Cursor {
            key: "2026-11-29T10:00:00.000Z".into(),
            id: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("42"), None);
        assert_eq!(Cursor::decode("x.00"), None);
        let page = Page {
            after: Some("nonsense".into()),
            ..Page::default()
        };
        assert!(matches!(page.check(), Err(QueryError::Cursor(_))));
        let big = Page {
            limit: 5000,
            ..Page::default()
        };
        assert_eq!(big.check(), Err(QueryError::PageSize(5000)));
    }

    #[test]
    fn a_date_range_covers_whole_days() {
        let q = CardQuery::default()
            .requested_between(Some("2026-11-01"), Some("2026-11-30"))
            .unwrap();
        assert_eq!(
            q.requested_from.as_deref(),
            Some("2026-11-01T00:00:00.000Z")
        );
        assert_eq!(
            q.requested_before.as_deref(),
            Some("2026-12-01T00:00:00.000Z")
        );
        let e = CardQuery::default()
            .requested_between(Some("1/11/2026"), None)
            .unwrap_err();
        assert!(e.to_string().contains("YYYY-MM-DD"));
    }
}
