//! Search requested cards: the filters of the search model, a paged table with check boxes,
//! the total; "Issue multiple temporary cards" with the ticked cards or every matching card.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use cardline_issuance::model::CardState;
use cardline_issuance::search::{CardQuery, Page};
use maud::html;

use super::{OPERATORS, PageError, csrf_field, layout, pairs, require, value};
use crate::AppState;
use crate::auth::Authed;

/// The filter fields, as named in the form and the query string.
pub const FILTERS: [(&str, &str); 5] = [
    ("requester", "Requester"),
    ("desk", "Desk"),
    ("number", "Number starts with"),
    ("from", "Requested from (date)"),
    ("to", "Requested to (date)"),
];

/// The total is counted exactly up to this many cards; beyond, the page says "more than"
/// (a count of a million requested cards on every view costs more than the page's target).
pub const COUNTED_UP_TO: u64 = 10_000;

/// The search of requested cards the filters in `form` describe.
pub fn query_from(form: &[(String, String)]) -> Result<CardQuery, PageError> {
    let q = CardQuery {
        states: vec![CardState::Requested],
        requester: value(form, "requester").map(str::to_string),
        desk: value(form, "desk").map(str::to_string),
        number_prefix: value(form, "number").map(str::to_string),
        ..CardQuery::default()
    };
    q.check().map_err(|e| PageError::BadInput(e.to_string()))?;
    q.requested_between(value(form, "from"), value(form, "to"))
        .map_err(|e| PageError::BadInput(e.to_string()))
}

/// `GET /search`.
pub async fn page(State(state): State<AppState>, who: Authed, RawQuery(q): RawQuery) -> Response {
    match render(state, who, q.unwrap_or_default()).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn render(state: AppState, who: Authed, raw: String) -> Result<Response, PageError> {
    require(&who, OPERATORS)?;
    let form = pairs(&raw);
    let query = query_from(&form)?;
    let page = Page {
        after: value(&form, "after").map(str::to_string),
        count_limit: Some(COUNTED_UP_TO),
        ..Page::default()
    };
    let q = query.clone();
    let (found, profiles) = state
        .with_store(move |s| {
            Ok::<_, cardline_issuance::store::StoreError>((
                s.search_cards(&q, &page)?,
                s.option_profiles()?,
            ))
        })
        .await?;
    let next_link = found.next.as_ref().map(|cursor| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, _) in FILTERS {
            if let Some(v) = value(&form, k) {
                s.append_pair(k, v);
            }
        }
        s.append_pair("after", cursor);
        format!("/search?{}", s.finish())
    });
    let many = found.total > COUNTED_UP_TO;
    let body = html! {
        form method="get" action="/search" {
            fieldset {
                legend { "Filters" }
                @for (name, label) in FILTERS {
                    label { (label) " " input name=(name) value=(value(&form, name).unwrap_or("")) maxlength="200"; }
                }
                button type="submit" { "Search" }
            }
        }
        @if many {
            p { "More than " (COUNTED_UP_TO) " requested cards match (counted up to " (COUNTED_UP_TO) "; narrow the filters for the exact number)." }
        } @else {
            p { (found.total) " requested cards match." }
        }
        form method="post" action="/orders" {
            (csrf_field(&who))
            @for (name, _) in FILTERS {
                @if let Some(v) = value(&form, name) { input type="hidden" name=(name) value=(v); }
            }
            table {
                thead { tr { th { "Issue" } th { "Number" } th { "Requester" } th { "Desk" } th { "Purpose" } th { "Requested" } } }
                tbody {
                    @for card in &found.cards {
                        tr {
                            td { input type="checkbox" name="card" value=(card.number) aria-label={ "Issue " (card.number) }; }
                            td { (card.number) }
                            td { (card.request.requester.as_deref().unwrap_or("")) }
                            td { (card.request.desk.as_deref().unwrap_or("")) }
                            td { (card.request.purpose.as_deref().unwrap_or("")) }
                            td { (card.request.requested_at) }
                        }
                    }
                }
            }
            @if let Some(link) = &next_link { p { a href=(link) { "Next page" } } }
            @if profiles.len() > 1 {
                label { "Option profile " select name="profile" {
                    @for p in &profiles {
                        option value=(p.name) selected[p.is_default] { (p.name) @if p.is_default { " (default)" } }
                    }
                } }
            }
            div.actions {
                button type="submit" name="select" value="checked" { "Issue multiple temporary cards (ticked)" }
                @if many {
                    button type="submit" name="select" value="matching" { "Issue every matching card (more than " (COUNTED_UP_TO) "; the order page gives the number)" }
                } @else {
                    button type="submit" name="select" value="matching" { "Issue all " (found.total) " matching" }
                }
            }
        }
    };
    Ok(layout("Search requested cards", Some(&who), body).into_response())
}
