//! Cards in every state (search, paged) and one card's history: its record, its production
//! attempts with their steps, and its audit trail. Read-only in this slice.

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use cardline_issuance::model::CardState;
use cardline_issuance::search::{CardQuery, Page};
use cardline_issuance::store::{AuditFilter, StoreError};
use maud::html;

use super::{PageError, READERS, layout, pairs, require, value};
use crate::AppState;
use crate::auth::Authed;

const FILTERS: [(&str, &str); 4] = [
    ("number", "Number starts with"),
    ("requester", "Requester"),
    ("desk", "Desk"),
    ("reason", "Failure reason contains"),
];

/// `GET /cards`.
pub async fn list(State(state): State<AppState>, who: Authed, RawQuery(q): RawQuery) -> Response {
    let run = async {
        require(&who, READERS)?;
        let form = pairs(q.as_deref().unwrap_or(""));
        let states = match value(&form, "state") {
            None => vec![],
            Some(s) => vec![
                CardState::parse(s)
                    .ok_or_else(|| PageError::BadInput(format!("`{s}` is not a card state")))?,
            ],
        };
        let query = CardQuery {
            states,
            number_prefix: value(&form, "number").map(str::to_string),
            requester: value(&form, "requester").map(str::to_string),
            desk: value(&form, "desk").map(str::to_string),
            reason: value(&form, "reason").map(str::to_string),
            ..CardQuery::default()
        };
        query
            .check()
            .map_err(|e| PageError::BadInput(e.to_string()))?;
        let query = query
            .requested_between(value(&form, "requested_from"), value(&form, "requested_to"))
            .map_err(|e| PageError::BadInput(e.to_string()))?;
        let page = Page {
            after: value(&form, "after").map(str::to_string),
            ..Page::default()
        };
        let found = state
            .with_store(move |s| s.search_cards(&query, &page))
            .await?;
        let next = found.next.as_ref().map(|cursor| {
            let mut s = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &form {
                if k != "after" {
                    s.append_pair(k, v);
                }
            }
            s.append_pair("after", cursor);
            format!("/cards?{}", s.finish())
        });
        let chosen = value(&form, "state").unwrap_or("");
        let body = html! {
            form method="get" action="/cards" {
                fieldset {
                    legend { "Filters" }
                    label { "State " select name="state" {
                        option value="" selected[chosen.is_empty()] { "any" }
                        @for st in CardState::ALL { option value=(st.as_str()) selected[chosen == st.as_str()] { (st.as_str()) } }
                    } }
                    @for (name, label) in FILTERS {
                        label { (label) " " input name=(name) value=(value(&form, name).unwrap_or("")) maxlength="200"; }
                    }
                    label { "Requested from " input type="date" name="requested_from" value=(value(&form, "requested_from").unwrap_or("")); }
                    label { "to " input type="date" name="requested_to" value=(value(&form, "requested_to").unwrap_or("")); }
                    button type="submit" { "Search" }
                }
            }
            p { (found.total) " cards match." }
            table {
                thead { tr { th { "Number" } th { "State" } th { "Order" } th { "Requester" } th { "Desk" } th { "Assigned to" } th { "Reason" } } }
                tbody {
                    @for c in &found.cards {
                        tr {
                            td { a href={ "/cards/" (c.number) } { (c.number) } }
                            td { (c.state.as_str()) }
                            td { @if let Some(o) = c.shown_order() { a href={ "/orders/" (o) } { (o) } } }
                            td { (c.request.requester.as_deref().unwrap_or("")) }
                            td { (c.request.desk.as_deref().unwrap_or("")) }
                            td { (c.assigned_to.as_deref().unwrap_or("")) }
                            td { (c.failure_reason.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
            @if let Some(link) = &next { p { a href=(link) { "Next page" } } }
        };
        Ok::<_, PageError>(layout("Cards", Some(&who), body).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /cards/{number}`.
pub async fn card(
    State(state): State<AppState>,
    who: Authed,
    Path(number): Path<String>,
) -> Response {
    let run = async {
        require(&who, READERS)?;
        let n = number.clone();
        let (card, attempts, audit) = state
            .with_store(move |s| {
                let card = s.card(&n)?;
                let attempts = s.attempts_of_card(&n)?;
                let audit = s.audit(&AuditFilter {
                    card_number: Some(card.number.clone()),
                    limit: Some(500),
                    ..AuditFilter::default()
                })?;
                Ok::<_, StoreError>((card, attempts, audit))
            })
            .await?;
        let body = html! {
            dl {
                dt { "State" } dd { (card.state.as_str()) }
                dt { "Requested" } dd { (card.request.requested_at) " by " (card.request.requester.as_deref().unwrap_or("—")) " for " (card.request.desk.as_deref().unwrap_or("—")) }
                dt { "Purpose" } dd { (card.request.purpose.as_deref().unwrap_or("")) }
                dt { "Order" } dd { @if let Some(o) = card.shown_order() { a href={ "/orders/" (o) } { (o) } } }
                dt { "Assigned to" } dd { (card.assigned_to.as_deref().unwrap_or("")) " " (card.valid_until.as_deref().unwrap_or("")) }
                dt { "Chip" } dd { (card.chip_id.as_deref().unwrap_or("")) }
                dt { "Failure" } dd { (card.failure_reason.as_deref().unwrap_or("")) }
            }
            (super::card_actions::forms(&card, &who))
            h2 { "Production attempts" }
            table {
                thead { tr { th { "Attempt" } th { "Order" } th { "Station" } th { "Status" } th { "Steps" } th { "Reason" } th { "Started" } } }
                tbody {
                    @for a in &attempts {
                        tr {
                            td { (a.id) } td { (a.order_id) } td { (a.station) }
                            td { (format!("{:?}", a.status).to_lowercase()) }
                            td { (a.steps.iter().map(|s| format!("{} {}", s.step.as_str(), s.outcome.as_deref().unwrap_or(if s.finished_at.is_some() { "ok" } else { "…" }))).collect::<Vec<_>>().join(" → ")) }
                            td { (a.reason.as_deref().unwrap_or("")) }
                            td { (a.started_at) }
                        }
                    }
                }
            }
            h2 { "Audit trail" }
            table {
                thead { tr { th { "When" } th { "User" } th { "Action" } th { "From" } th { "To" } th { "Detail" } } }
                tbody {
                    @for e in &audit {
                        tr {
                            td { (e.at) } td { (e.operator) } td { (e.action) }
                            td { (e.from_state.as_deref().unwrap_or("")) } td { (e.to_state.as_deref().unwrap_or("")) }
                            td { (e.reason.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        };
        Ok::<_, PageError>(
            layout(&format!("Card {}", card.number), Some(&who), body).into_response(),
        )
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}
