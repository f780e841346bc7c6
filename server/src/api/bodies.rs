//! The JSON bodies the API accepts, parsed and checked by one code path shared by the handlers
//! and the fuzz target (`cardline-fuzz`, target `api_bodies`): bytes in, a checked request or
//! a [`Problem`] (400 or 422) with a bounded detail out.

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use cardline_issuance::model::OrderSelection;

use super::{NewOrder, Problem, Repeat};

/// Most card numbers one body may list (`cards`, `misprinted`).
pub const MAX_CARDS: usize = 10_000;
/// Longest detail a problem repeats from the body's own text (an unknown field's name, say).
pub const MAX_DETAIL_CHARS: usize = 300;

/// A checked `POST /api/v1/orders` body.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRequest {
    /// Which requested cards.
    pub selection: OrderSelection,
    /// The option profile (`None`: the default one).
    pub profile: Option<String>,
}

/// Parses and checks a `POST /api/v1/orders` body (without its `Content-Type`).
pub fn order_request(body: &[u8]) -> Result<OrderRequest, Problem> {
    check_order(serde_json::from_slice(body).map_err(|e| syntax(&e))?)
}

/// Parses and checks a `POST /api/v1/orders/{id}/repeat` body: the misprinted cards.
pub fn repeat_request(body: &[u8]) -> Result<Vec<String>, Problem> {
    check_repeat(serde_json::from_slice(body).map_err(|e| syntax(&e))?)
}

/// Parses a JSON body (400 for bad JSON, 422 for the wrong shape).
pub(super) fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(body).map_err(|e| syntax(&e))
}

/// A body axum's `Json` refused (content type, syntax, shape), as a problem.
pub(super) fn rejected(e: JsonRejection) -> Problem {
    Problem::new(e.status(), bounded(&e.body_text()))
}

pub(super) fn check_order(new: NewOrder) -> Result<OrderRequest, Problem> {
    let selection = match (new.cards, new.matching) {
        (Some(cards), None) if new.first.is_none() => {
            if cards.is_empty() || cards.len() > MAX_CARDS {
                return Err(Problem::unprocessable(format!(
                    "`cards` must list 1 to {MAX_CARDS} card numbers"
                )));
            }
            OrderSelection::Numbers(cards)
        }
        (None, Some(filters)) => OrderSelection::Matching {
            query: Box::new(filters.query()?),
            first: new.first,
            allow_fewer: false,
        },
        _ => {
            return Err(Problem::unprocessable(
                "give either `cards` (card numbers) or `matching` (filters, with an optional \
                 `first`)",
            ));
        }
    };
    Ok(OrderRequest {
        selection,
        profile: new.profile,
    })
}

pub(super) fn check_repeat(r: Repeat) -> Result<Vec<String>, Problem> {
    if r.misprinted.len() > MAX_CARDS {
        return Err(Problem::unprocessable(format!(
            "`misprinted` lists at most {MAX_CARDS} cards"
        )));
    }
    Ok(r.misprinted)
}

/// serde_json's message, as axum words it: 400 for bad JSON, 422 for JSON of the wrong shape.
fn syntax(e: &serde_json::Error) -> Problem {
    let status = if e.is_data() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::BAD_REQUEST
    };
    Problem::new(
        status,
        bounded(&format!("Failed to parse the request body as JSON: {e}")),
    )
}

/// `text` cut to [`MAX_DETAIL_CHARS`] characters (a peer's 60 KiB field name is not echoed).
fn bounded(text: &str) -> String {
    if text.chars().count() <= MAX_DETAIL_CHARS {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(MAX_DETAIL_CHARS).collect();
    cut.push('…');
    cut
}

impl Problem {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// What went wrong and what to do.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}
