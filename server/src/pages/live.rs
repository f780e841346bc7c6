//! Live progress of an order over server-sent events: `GET /orders/{id}/events` sends an
//! `order` event (JSON: state, released, counts, the states of the cards the page lists) at
//! once and again whenever it changes, read from the store every [`POLL`]. The page's small
//! script (`/static/order-live.js`, allowed by the CSP as `script-src 'self'`) writes the
//! values into the page with `textContent`; without JavaScript the page is still complete.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use cardline_issuance::model::OrderId;
use cardline_issuance::store::{OrderOutcome, StoreError};
use serde::Serialize;
use tokio::sync::Semaphore;

use super::{PageError, READERS, require};
use crate::AppState;
use crate::auth::Authed;

/// How often a stream reads the order.
pub const POLL: Duration = Duration::from_secs(1);
/// Event streams open at once at most (each reads the store every [`POLL`]).
pub const MAX_STREAMS: usize = 256;
/// Cards whose state an event carries (the page lists as many).
pub const CARDS: usize = super::order::SHOWN_CARDS;

/// The open streams' permits.
pub fn streams() -> Arc<Semaphore> {
    static STREAMS: std::sync::OnceLock<Arc<Semaphore>> = std::sync::OnceLock::new();
    STREAMS
        .get_or_init(|| Arc::new(Semaphore::new(MAX_STREAMS)))
        .clone()
}

/// What an `order` event says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderProgress {
    /// `open`, `completed`, `cancelled`.
    pub state: String,
    /// Released to the desks.
    pub released: bool,
    /// How the order's cards ended so far.
    pub outcome: OrderOutcome,
    /// Total cards.
    pub total: u64,
    /// `[number, state, failure reason]` of the listed cards.
    pub cards: Vec<(String, String, String)>,
}

fn progress(
    store: &dyn cardline_issuance::store::Store,
    id: OrderId,
) -> Result<OrderProgress, StoreError> {
    let order = store.order(id)?;
    let outcome = store.order_outcome(id)?;
    Ok(OrderProgress {
        state: order.state.as_str().to_string(),
        released: order.released_at.is_some(),
        total: outcome.total(),
        outcome,
        cards: order
            .cards
            .iter()
            .take(CARDS)
            .map(|c| {
                (
                    c.number.clone(),
                    c.state.as_str().to_string(),
                    c.failure_reason.clone().unwrap_or_default(),
                )
            })
            .collect(),
    })
}

/// `GET /orders/{id}/events`.
pub async fn events(
    State(state): State<AppState>,
    who: Authed,
    Path(id): Path<OrderId>,
) -> Response {
    if let Err(e) = require(&who, READERS) {
        return e.into_response();
    }
    // The order must exist before a stream is opened.
    let first = match state.with_store(move |s| progress(s, id)).await {
        Ok(p) => p,
        Err(e) => return PageError::Store(e).into_response(),
    };
    let Ok(permit) = streams().try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many live pages open; reload later",
        )
            .into_response();
    };
    let stream = futures_util::stream::unfold(
        (state, None::<OrderProgress>, Some(first), permit),
        move |(state, last, mut next, permit)| async move {
            loop {
                let now = match next.take() {
                    Some(p) => p,
                    None => {
                        tokio::time::sleep(POLL).await;
                        match state.with_store(move |s| progress(s, id)).await {
                            Ok(p) => p,
                            // The stream ends; the browser's EventSource reconnects.
                            Err(_) => return None,
                        }
                    }
                };
                if last.as_ref() != Some(&now) {
                    let event = Event::default()
                        .event("order")
                        .json_data(&now)
                        .unwrap_or_else(|_| Event::default().event("error"));
                    return Some((Ok::<_, Infallible>(event), (state, Some(now), None, permit)));
                }
            }
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
