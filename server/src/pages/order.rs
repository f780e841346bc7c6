//! One batch order: its cards and outcome; Next (release to the desks), Complete (with a
//! confirmation), Cancel.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use cardline_issuance::model::{CardState, OrderId, OrderState};
use maud::html;

use super::{OPERATORS, PageError, READERS, check_csrf, csrf_field, layout, pairs, require, value};
use crate::AppState;
use crate::auth::Authed;

/// Cards listed on the page (the rest are counted).
pub const SHOWN_CARDS: usize = 1000;

/// `GET /orders/{id}`.
pub async fn page(State(state): State<AppState>, who: Authed, Path(id): Path<OrderId>) -> Response {
    match render(state, who, id).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn render(state: AppState, who: Authed, id: OrderId) -> Result<Response, PageError> {
    require(&who, READERS)?;
    let (order, outcome, failures) = state
        .with_store(move |s| {
            Ok::<_, cardline_issuance::store::StoreError>((
                s.order(id)?,
                s.order_outcome(id)?,
                s.order_failures(id)?,
            ))
        })
        .await?;
    let open = order.state == OrderState::Open;
    // Cards produced in this order and not handed out yet: what may be reported misprinted.
    let produced: Vec<&str> = order
        .cards
        .iter()
        .filter(|c| c.state == CardState::Unassigned)
        .take(SHOWN_CARDS)
        .map(|c| c.number.as_str())
        .collect();
    let body = html! {
        @if open { div hidden data-live={ "/orders/" (id) "/events" } {} script src="/static/order-live.js" defer {} }
        dl {
            dt { "State" } dd #order-state { (order.state.as_str()) }
            dt { "Created" } dd { (order.created_at) " by " (order.created_by) }
            dt { "Profile" } dd { (order.profile.as_deref().unwrap_or("default")) }
            dt { "Released to the desks" } dd {
                @match (&order.released_at, &order.released_by) {
                    (Some(at), Some(by)) => { (at) " by " (by) }
                    _ => { "not yet" }
                }
            }
            dt { "Cards" } dd {
                span #out-total { (outcome.total()) } " in all: " span #out-produced { (outcome.produced) } " produced, "
                span #out-failed { (outcome.failed) } " failed, " span #out-waiting { (outcome.waiting) } " waiting, "
                span #out-in_production { (outcome.in_production) } " in production"
            }
        }
        @if open && who.has(OPERATORS) {
            div.actions {
                @if order.released_at.is_none() {
                    form method="post" action={ "/orders/" (id) "/release" } {
                        (csrf_field(&who))
                        button type="submit" { "Next: release to the desks" }
                    }
                }
                form method="post" action={ "/orders/" (id) "/complete" } {
                    (csrf_field(&who))
                    label { input type="checkbox" name="confirm" value="yes" required; " All is well" }
                    button type="submit" { "Complete order" }
                }
                form method="post" action={ "/orders/" (id) "/cancel" } {
                    (csrf_field(&who))
                    button type="submit" { "Cancel order" }
                }
            }
        }
        @if open && who.has(OPERATORS) && (outcome.failed > 0 || !produced.is_empty()) {
            h2 { "Repeat production" }
            form method="post" action={ "/orders/" (id) "/repeat" } {
                (csrf_field(&who))
                p { "The failed cards are produced again on fresh blanks, with the produced cards ticked here as misprinted." }
                @if !produced.is_empty() {
                    fieldset {
                        legend { "Misprinted" }
                        @for number in &produced {
                            label { input type="checkbox" name="misprinted" value=(number); " " (number) }
                        }
                    }
                }
                button type="submit" { "Repeat production" }
            }
        }
        @if !failures.is_empty() {
            h2 { "Failed cards" }
            table {
                thead { tr { th { "Card" } th { "Station" } th { "Step" } th { "Reason" } } }
                tbody { @for f in &failures { tr { td { (f.card) } td { (f.station) } td { (f.step.as_deref().unwrap_or("")) } td { (f.reason) } } } }
            }
        }
        h2 { "Cards" }
        table {
            thead { tr { th { "Number" } th { "State" } th { "Requester" } th { "Desk" } th { "Reason" } } }
            tbody {
                @for card in order.cards.iter().take(SHOWN_CARDS) {
                    tr {
                        td { (card.number) }
                        td id={ "card-state-" (card.number) } { (card.state.as_str()) }
                        td { (card.request.requester.as_deref().unwrap_or("")) }
                        td { (card.request.desk.as_deref().unwrap_or("")) }
                        td id={ "card-reason-" (card.number) } { (card.failure_reason.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
        @if order.cards.len() > SHOWN_CARDS { p { "… and " (order.cards.len() - SHOWN_CARDS) " more cards." } }
    };
    Ok(layout(&format!("Order {id}"), Some(&who), body).into_response())
}

/// What an order button does.
#[derive(Clone, Copy)]
enum Action {
    Release,
    Complete,
    Cancel,
    Repeat,
}

async fn act(state: AppState, who: Authed, id: OrderId, body: String, action: Action) -> Response {
    let run = async {
        require(&who, OPERATORS)?;
        let form = pairs(&body);
        check_csrf(&who, &form)?;
        if matches!(action, Action::Complete) && value(&form, "confirm") != Some("yes") {
            return Err(PageError::BadInput(
                "Completing an order needs the confirmation: tick \"All is well\".".into(),
            ));
        }
        let misprinted: Vec<String> = form
            .iter()
            .filter(|(k, _)| k == "misprinted")
            .map(|(_, v)| v.trim().to_string())
            .take(SHOWN_CARDS + 1)
            .collect();
        let actor = who.actor();
        state
            .with_store(move |s| match action {
                Action::Release => s.release_order(id, &actor).map(drop),
                Action::Complete => s.complete_order(id, &actor).map(drop),
                Action::Cancel => s.cancel_order(id, &actor).map(drop),
                Action::Repeat => s.repeat_order(id, &misprinted, &actor).map(drop),
            })
            .await?;
        Ok::<_, PageError>(Redirect::to(&format!("/orders/{id}")).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /orders/{id}/release` (the "Next" button).
pub async fn release(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<OrderId>,
    body: String,
) -> Response {
    act(s, who, id, body, Action::Release).await
}

/// `POST /orders/{id}/complete`.
pub async fn complete(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<OrderId>,
    body: String,
) -> Response {
    act(s, who, id, body, Action::Complete).await
}

/// `POST /orders/{id}/cancel`.
pub async fn cancel(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<OrderId>,
    body: String,
) -> Response {
    act(s, who, id, body, Action::Cancel).await
}

/// `POST /orders/{id}/repeat`: the failed cards and the ticked misprinted ones again.
pub async fn repeat(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<OrderId>,
    body: String,
) -> Response {
    act(s, who, id, body, Action::Repeat).await
}
