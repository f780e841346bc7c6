//! Live progress of an order over server-sent events: `GET /orders/{id}/events` sends an
//! `order` event (JSON: state, released, counts, every station with its card, step, printer
//! (one cell's text and warning flag) and pause reason, the state, step and reason of the
//! cards the page lists, and `changed_at`: the store time of the change that caused it) at
//! once and again whenever it changes. The server's one change watcher ([`crate::changes`])
//! reads a cheap mark every 100 ms and wakes the streams;
//! a stream re-reads its order only then. The page's small script (`/static/order-live.js`,
//! allowed by the CSP as `script-src 'self'`) writes the values into the page with
//! `textContent`; without JavaScript the page is still complete (reload to see progress).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use cardline_issuance::model::OrderId;
use cardline_issuance::production::{DeskState, desks};
use cardline_issuance::store::{OrderOutcome, Store, StoreError};
use serde::Serialize;
use tokio::sync::Semaphore;

use super::printer_view::PrinterCell;
use super::{PageError, READERS, require};
use crate::AppState;
use crate::auth::Authed;

/// Even without a change seen, a stream re-reads its order this often.
pub const REREAD: Duration = Duration::from_secs(5);
/// Event streams open at once at most.
pub const MAX_STREAMS: usize = 256;
/// Cards whose state an event carries: those of the page the stream was opened for
/// (`/orders/{id}/events?page=N`, as many as the page lists), whatever the order's size.
pub const CARDS: usize = super::order::SHOWN_CARDS;

/// The open streams' permits.
pub fn streams() -> Arc<Semaphore> {
    static STREAMS: std::sync::OnceLock<Arc<Semaphore>> = std::sync::OnceLock::new();
    STREAMS
        .get_or_init(|| Arc::new(Semaphore::new(MAX_STREAMS)))
        .clone()
}

/// One station as the order page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StationProgress {
    /// The station.
    pub name: String,
    /// The desk running it (`None`: a one-shot run, or a paused station no run holds).
    pub desk: Option<String>,
    /// `producing`, `paused`, `idle`, `gone`.
    pub state: String,
    /// The card in hand.
    pub card: Option<String>,
    /// The step that card is at (`feed`, `encode`, `print`, …).
    pub step: Option<String>,
    /// Why it is paused: what the operator must check before resuming.
    pub reason: Option<String>,
    /// Its printer as last read, in one cell (`null`: no run holds the station, so no desk
    /// reads its printer).
    pub printer: Option<PrinterCell>,
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
    /// The stations of the live runs and every paused station.
    pub stations: Vec<StationProgress>,
    /// `[number, state, failure reason, step in production]` of the listed cards.
    pub cards: Vec<(String, String, String, String)>,
}

/// The stations with what they do now (shared by the page and the stream).
pub fn stations(store: &dyn Store) -> Result<Vec<StationProgress>, StoreError> {
    let journal = store.as_journal();
    let steps = current_steps(store)?;
    let mut out: Vec<StationProgress> = Vec::new();
    for desk in desks(journal)? {
        for s in desk.stations {
            let state = if desk.state == DeskState::Gone {
                DeskState::Gone
            } else {
                s.state
            };
            out.push(StationProgress {
                step: s.card.as_ref().and_then(|c| steps.get(c).cloned()),
                printer: Some(PrinterCell::of(s.printer.as_ref())),
                name: s.name,
                desk: desk.desk.clone(),
                state: state_name(state).into(),
                card: s.card,
                reason: s.reason,
            });
        }
    }
    for p in journal.station_pauses()? {
        if !out.iter().any(|s| s.name == p.station) {
            out.push(StationProgress {
                name: p.station,
                desk: None,
                state: "paused".into(),
                card: None,
                step: None,
                reason: Some(p.reason),
                printer: None,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn state_name(s: DeskState) -> &'static str {
    match s {
        DeskState::Producing => "producing",
        DeskState::Paused => "paused",
        DeskState::Idle => "idle",
        DeskState::Gone => "gone",
    }
}

/// The step each card in production is at (the last journaled step of its attempt).
fn current_steps(store: &dyn Store) -> Result<HashMap<String, String>, StoreError> {
    Ok(store
        .as_journal()
        .in_flight_attempts()?
        .into_iter()
        .filter_map(|a| {
            let step = a.steps.last()?.step.as_str().to_string();
            Some((a.card_number, step))
        })
        .collect())
}

fn progress(store: &dyn Store, id: OrderId, page: usize) -> Result<OrderProgress, StoreError> {
    let offset = (page - 1).saturating_mul(CARDS);
    let (order, _) = store.order_cards_page(id, offset, CARDS)?;
    let outcome = store.order_outcome(id)?;
    let steps = current_steps(store)?;
    Ok(OrderProgress {
        state: order.state.as_str().to_string(),
        released: order.released_at.is_some(),
        total: outcome.total(),
        outcome,
        stations: stations(store)?,
        cards: order
            .cards
            .iter()
            .take(CARDS)
            .map(|c| {
                (
                    c.number.clone(),
                    c.state.as_str().to_string(),
                    c.failure_reason.clone().unwrap_or_default(),
                    steps.get(&c.number).cloned().unwrap_or_default(),
                )
            })
            .collect(),
    })
}

/// An event: the progress plus the store time of the change behind it.
#[derive(Serialize)]
struct Sent<'a> {
    #[serde(flatten)]
    progress: &'a OrderProgress,
    changed_at: Option<&'a str>,
}

/// `GET /orders/{id}/events`.
pub async fn events(
    State(state): State<AppState>,
    who: Authed,
    Path(id): Path<OrderId>,
    RawQuery(q): RawQuery,
) -> Response {
    if let Err(e) = require(&who, READERS) {
        return e.into_response();
    }
    let page = match super::order::page_number(q.as_deref()) {
        Ok(n) => n,
        Err(e) => return e.into_response(),
    };
    let changes = state.changes().subscribe(state.store()).await;
    // The order must exist before a stream is opened.
    let first = match state.with_store(move |s| progress(s, id, page)).await {
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
        (state, None::<OrderProgress>, Some(first), changes, permit),
        move |(state, last, mut next, mut changes, permit)| async move {
            loop {
                let mut at = changes.borrow_and_update().at.clone();
                let now = match next.take() {
                    Some(p) => p,
                    None => {
                        // Woken by the watcher (with the time of the change), or after
                        // REREAD at the latest (no time then); a closed watcher (the server
                        // stopping) ends the stream.
                        match tokio::time::timeout(REREAD, changes.changed()).await {
                            Ok(Err(_)) => return None,
                            Ok(Ok(())) => at = changes.borrow_and_update().at.clone(),
                            Err(_) => at = None,
                        }
                        match state.with_store(move |s| progress(s, id, page)).await {
                            Ok(p) => p,
                            // The stream ends; the browser's EventSource reconnects.
                            Err(_) => return None,
                        }
                    }
                };
                if last.as_ref() != Some(&now) {
                    let sent = Sent {
                        progress: &now,
                        changed_at: at.as_deref(),
                    };
                    let event = Event::default()
                        .event("order")
                        .json_data(&sent)
                        .unwrap_or_else(|_| Event::default().event("error"));
                    return Some((
                        Ok::<_, Infallible>(event),
                        (state, Some(now), None, changes, permit),
                    ));
                }
            }
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
