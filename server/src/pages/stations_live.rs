//! Live Desks and stations: `GET /stations/events` sends a `stations` event (data: the
//! fingerprint of the page's tables) at once and again whenever the tables would read
//! differently — a run started or gone, a lease renewed, a station paused or resumed, a
//! printer's new report. The stream re-renders the tables when the server's change watcher
//! ([`crate::changes`]) moves, and every [`REREAD`] otherwise (printer reports and leases do
//! not move the change mark). The page's script (`/static/stations-live.js`) then fetches the
//! page again and swaps its `#stations-live` block; without JavaScript the page is complete
//! and a reload shows the news.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};

use super::live::streams;
use super::require;
use super::stations::{VIEWERS, content, fingerprint};
use crate::AppState;
use crate::auth::Authed;

/// Even without a change seen, the stream re-reads the tables this often.
pub const REREAD: Duration = Duration::from_secs(2);

/// `GET /stations/events`.
pub async fn events(State(state): State<AppState>, who: Authed) -> Response {
    if let Err(e) = require(&who, VIEWERS) {
        return e.into_response();
    }
    let changes = state.changes().subscribe(state.store()).await;
    let first = match content(&state, &who).await {
        Ok(t) => fingerprint(&t),
        Err(e) => return e.into_response(),
    };
    let Ok(permit) = streams().try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many live pages open; reload later",
        )
            .into_response();
    };
    let stream = futures_util::stream::unfold(
        (state, who, None::<String>, Some(first), changes, permit),
        move |(state, who, last, mut next, mut changes, permit)| async move {
            loop {
                let now = match next.take() {
                    Some(h) => h,
                    None => {
                        match tokio::time::timeout(REREAD, changes.changed()).await {
                            Ok(Err(_)) => return None,
                            Ok(Ok(())) => {
                                changes.borrow_and_update();
                            }
                            Err(_) => {}
                        }
                        match content(&state, &who).await {
                            Ok(t) => fingerprint(&t),
                            // The stream ends; the browser's EventSource reconnects.
                            Err(_) => return None,
                        }
                    }
                };
                if last.as_ref() != Some(&now) {
                    let event = Event::default().event("stations").data(now.clone());
                    return Some((
                        Ok::<_, Infallible>(event),
                        (state, who, Some(now), None, changes, permit),
                    ));
                }
            }
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
