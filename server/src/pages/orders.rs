//! Batch orders: the list, and creating an order from the search page's form.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use cardline_issuance::model::OrderSelection;
use cardline_issuance::store::{OrderOutcome, StoreError};
use maud::html;

use super::{OPERATORS, PageError, READERS, check_csrf, layout, pairs, require, value};
use crate::AppState;
use crate::auth::Authed;

/// Orders shown on the list (newest first).
const LISTED: usize = 200;
/// Cards one form may tick.
const MAX_TICKED: usize = 1000;

/// `GET /orders`.
pub async fn list(State(state): State<AppState>, who: Authed) -> Response {
    match render(state, who).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn render(state: AppState, who: Authed) -> Result<Response, PageError> {
    require(&who, READERS)?;
    let rows = state
        .with_store(|s| -> Result<Vec<(OrderOutcome, _)>, StoreError> {
            let orders = s.list_orders()?;
            orders
                .into_iter()
                .take(LISTED)
                .map(|o| Ok((s.order_outcome(o.id)?, o)))
                .collect()
        })
        .await?;
    let body = html! {
        @if who.has(OPERATORS) {
            p { a href="/search" { "Issue multiple temporary cards" } }
        }
        table {
            thead { tr { th { "Order" } th { "State" } th { "Released" } th { "Cards" } th { "Produced" } th { "Failed" } th { "Waiting" } th { "Created" } th { "By" } } }
            tbody {
                @for (outcome, o) in &rows {
                    tr {
                        td { a href={ "/orders/" (o.id) } { "Order " (o.id) } }
                        td { (o.state.as_str()) }
                        td { (o.released_at.as_deref().unwrap_or("no")) }
                        td { (outcome.total()) }
                        td { (outcome.produced) }
                        td { (outcome.failed) }
                        td { (outcome.waiting) }
                        td { (o.created_at) }
                        td { (o.created_by) }
                    }
                }
            }
        }
        @if rows.is_empty() { p { "No batch orders yet." } }
    };
    Ok(layout("Batch orders", Some(&who), body).into_response())
}

/// `POST /orders`: an order of the ticked cards, or of every card matching the filters.
pub async fn create(State(state): State<AppState>, who: Authed, body: String) -> Response {
    match create_order(state, who, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn create_order(state: AppState, who: Authed, body: String) -> Result<Response, PageError> {
    require(&who, OPERATORS)?;
    let form = pairs(&body);
    check_csrf(&who, &form)?;
    let selection = match value(&form, "select") {
        Some("matching") => OrderSelection::Matching {
            query: Box::new(super::search::query_from(&form)?),
            first: None,
            allow_fewer: false,
        },
        _ => {
            let ticked: Vec<String> = form
                .iter()
                .filter(|(k, _)| k == "card")
                .map(|(_, v)| v.trim().to_string())
                .collect();
            if ticked.is_empty() {
                return Err(PageError::BadInput(
                    "No card is ticked: tick the cards to issue, or use \"Issue all matching\"."
                        .into(),
                ));
            }
            if ticked.len() > MAX_TICKED {
                return Err(PageError::BadInput(format!(
                    "{} cards are ticked; one form takes at most {MAX_TICKED}: use \"Issue all matching\" with filters instead.",
                    ticked.len()
                )));
            }
            OrderSelection::Numbers(ticked)
        }
    };
    let profile = value(&form, "profile").map(str::to_string);
    let actor = who.actor();
    let order = state
        .with_store(move |s| {
            if let Some(p) = &profile
                && s.option_profile(p)?.is_none()
            {
                return Err(PageError::BadInput(format!(
                    "There is no option profile `{p}`: choose one of the list."
                )));
            }
            s.create_order_with(&selection, profile.as_deref(), &actor)
                .map_err(PageError::Store)
        })
        .await?;
    Ok(Redirect::to(&format!("/orders/{}", order.id)).into_response())
}
