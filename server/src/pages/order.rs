//! One batch order: its cards and outcome; Next (release to the desks), Complete (with a
//! confirmation), Cancel.

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use cardline_issuance::model::{CardState, OrderId, OrderState};
use maud::html;

use super::{OPERATORS, PageError, READERS, check_csrf, csrf_field, layout, pairs, require, value};
use crate::AppState;
use crate::auth::Authed;

/// Cards listed on one page of the order page (`?page=2` … for the next ones).
pub const SHOWN_CARDS: usize = 100;

/// The page number asked for in a query string (`page=N`, from 1; 1 when absent).
pub fn page_number(raw: Option<&str>) -> Result<usize, PageError> {
    let form = pairs(raw.unwrap_or_default());
    match value(&form, "page") {
        None => Ok(1),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=10_000_000).contains(n))
            .ok_or_else(|| {
                PageError::BadInput(format!(
                    "The page `{v}` is not a page number: give a whole number from 1 (`?page=2`)."
                ))
            }),
    }
}

/// `GET /orders/{id}` (`?page=N`: the N-th hundred of its cards).
pub async fn page(
    State(state): State<AppState>,
    who: Authed,
    Path(id): Path<OrderId>,
    RawQuery(q): RawQuery,
) -> Response {
    let run = async {
        let number = page_number(q.as_deref())?;
        render(state, who, id, number).await
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

async fn render(
    state: AppState,
    who: Authed,
    id: OrderId,
    number: usize,
) -> Result<Response, PageError> {
    require(&who, READERS)?;
    let offset = (number - 1).saturating_mul(SHOWN_CARDS);
    let ((order, all_cards), outcome, failures, stations) = state
        .with_store(move |s| {
            // The outcome comes from the order's counters; the failures are read only when
            // the counters say there are some.
            let outcome = s.order_outcome(id)?;
            let failures = if outcome.failed > 0 {
                s.order_failures(id)?
            } else {
                Vec::new()
            };
            Ok::<_, cardline_issuance::store::StoreError>((
                s.order_cards_page(id, offset, SHOWN_CARDS)?,
                outcome,
                failures,
                super::live::stations(s)?,
            ))
        })
        .await?;
    let pages = all_cards.div_ceil(SHOWN_CARDS as u64).max(1);
    let steps: std::collections::HashMap<&str, &str> = stations
        .iter()
        .filter_map(|s| Some((s.card.as_deref()?, s.step.as_deref()?)))
        .collect();
    let open = order.state == OrderState::Open;
    // Cards of this page produced in this order and not handed out yet: what may be reported
    // misprinted.
    let produced: Vec<&str> = order
        .cards
        .iter()
        .filter(|c| c.state == CardState::Unassigned)
        .take(SHOWN_CARDS)
        .map(|c| c.number.as_str())
        .collect();
    let body = html! {
        @if open { div #live hidden data-live={ "/orders/" (id) "/events?page=" (number) } data-resume=[who.has(super::stations::RESUMERS).then_some("yes")] {} script src="/static/order-live.js" defer {} }
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
        @if open {
            h2 { "Stations" }
            p #stations-none hidden[!stations.is_empty()] { "No station is producing: start a desk (" code { "cardline desk run" } ")." }
            table #stations hidden[stations.is_empty()] {
                thead { tr { th { "Station" } th { "Desk" } th { "State" } th { "Card" } th { "Step" } th { "Printer" } th { "Operator message" } th { "" } } }
                tbody #stations-body {
                    @for st in &stations {
                        tr data-station=(st.name) {
                            td { (st.name) }
                            td { (st.desk.as_deref().unwrap_or("")) }
                            td.state { (st.state) }
                            td { (st.card.as_deref().unwrap_or("")) }
                            td { (st.step.as_deref().unwrap_or("")) }
                            @match &st.printer { Some(p) => { (p.td()) } None => { td {} } }
                            td { (st.reason.as_deref().unwrap_or("")) }
                            td {
                                @if st.state == "paused" && who.has(super::stations::RESUMERS) {
                                    (resume_form(&who, &st.name, id))
                                }
                            }
                        }
                    }
                }
            }
        }
        // Shown from the release on: cards fail while the page is open (the counts update
        // live), and the button must be there when they do.
        @if open && who.has(OPERATORS) && (order.released_at.is_some() || outcome.failed > 0 || !produced.is_empty()) {
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
        @if pages > 1 { (page_links(id, number as u64, pages, offset, order.cards.len(), all_cards)) }
        table {
            thead { tr { th { "Number" } th { "State" } th { "Step" } th { "Requester" } th { "Desk" } th { "Reason" } } }
            tbody {
                @for card in order.cards.iter().take(SHOWN_CARDS) {
                    tr {
                        td { (card.number) }
                        td id={ "card-state-" (card.number) } { (card.state.as_str()) }
                        td id={ "card-step-" (card.number) } { (steps.get(card.number.as_str()).copied().unwrap_or("")) }
                        td { (card.request.requester.as_deref().unwrap_or("")) }
                        td { (card.request.desk.as_deref().unwrap_or("")) }
                        td id={ "card-reason-" (card.number) } { (card.failure_reason.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
        @if pages > 1 { (page_links(id, number as u64, pages, offset, order.cards.len(), all_cards)) }
    };
    Ok(layout(&format!("Order {id}"), Some(&who), body).into_response())
}

/// "Cards 101–200 of 50,000", the previous and next page, the first and the last.
fn page_links(
    id: OrderId,
    number: u64,
    pages: u64,
    offset: usize,
    shown: usize,
    all: u64,
) -> maud::Markup {
    let link = |n: u64| format!("/orders/{id}?page={n}");
    html! {
        p.pages {
            @if shown > 0 {
                "Cards " (offset + 1) "–" (offset + shown) " of " (all) " (page " (number) " of " (pages) "). "
            } @else {
                "No card on page " (number) " (" (all) " cards, " (pages) " pages). "
            }
            @if number > 1 {
                a href=(link(1)) rel="first" { "First" } " "
                a href=(link((number - 1).min(pages))) rel="prev" { "Previous" } " "
            }
            @if number < pages {
                a href=(link(number + 1)) rel="next" { "Next" } " "
                a href=(link(pages)) rel="last" { "Last" }
            }
        }
    }
}

/// The Resume button of a paused station, coming back to this order's page.
fn resume_form(who: &Authed, station: &str, order: OrderId) -> maud::Markup {
    html! {
        form.inline method="post" action={ "/stations/" (station) "/resume" } {
            (csrf_field(who))
            input type="hidden" name="back" value={ "/orders/" (order) };
            button type="submit" { "Resume" }
        }
    }
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
