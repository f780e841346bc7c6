//! The audit log for auditors: filters by card, order, user and action (a prefix ending in
//! `.` takes every action under it), newest entries last.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use cardline_issuance::store::AuditFilter;
use cardline_issuance::store::users::Role;
use maud::html;

use super::{PageError, layout, pairs, require, value};
use crate::AppState;
use crate::auth::Authed;

/// Who may read the audit log.
pub const AUDITORS: &[Role] = &[Role::Auditor];
/// Entries shown at most (the newest).
pub const SHOWN: u32 = 500;

/// The audit filter of a query string; refuses an order id that is not a number.
pub fn filter_from(form: &[(String, String)]) -> Result<AuditFilter, String> {
    let order_id = match value(form, "order") {
        None => None,
        Some(o) => Some(
            o.parse()
                .map_err(|_| format!("order `{o}` is not an order number"))?,
        ),
    };
    let before_id = match value(form, "before") {
        None => None,
        Some(b) => Some(
            b.parse()
                .map_err(|_| format!("before `{b}` is not an audit entry number"))?,
        ),
    };
    // Dates (YYYY-MM-DD, `to` inclusive) or RFC 3339 times, in the store's format.
    let times = cardline_issuance::search::CardQuery::default()
        .requested_between(value(form, "from"), value(form, "to"))
        .map_err(|e| e.to_string().replace("requested", "audit"))?;
    let text = |k: &str| value(form, k).map(|v| v.chars().take(200).collect::<String>());
    Ok(AuditFilter {
        card_number: text("card"),
        order_id,
        operator: text("user"),
        action: text("action"),
        at_from: times.requested_from,
        at_before: times.requested_before,
        before_id,
        limit: Some(SHOWN),
    })
}

/// `GET /audit`.
pub async fn page(State(state): State<AppState>, who: Authed, RawQuery(q): RawQuery) -> Response {
    let run = async {
        require(&who, AUDITORS)?;
        let form = pairs(q.as_deref().unwrap_or(""));
        let filter = filter_from(&form).map_err(PageError::BadInput)?;
        let entries = state.with_store(move |s| s.audit(&filter)).await?;
        // A full page may have older entries: link to them (the cursor is the oldest id shown).
        let older = match entries.first() {
            Some(oldest) if entries.len() == SHOWN as usize => {
                let mut q = form_urlencoded::Serializer::new(String::new());
                for (k, v) in &form {
                    if k != "before" {
                        q.append_pair(k, v);
                    }
                }
                q.append_pair("before", &oldest.id.to_string());
                Some(format!("/audit?{}", q.finish()))
            }
            _ => None,
        };
        let body = html! {
            form method="get" action="/audit" {
                fieldset {
                    legend { "Filters" }
                    @for (name, label) in [("card", "Card"), ("order", "Order"), ("user", "User"), ("action", "Action (or prefix ending in .)")] {
                        label { (label) " " input name=(name) value=(value(&form, name).unwrap_or("")) maxlength="200"; }
                    }
                    label { "From " input type="date" name="from" value=(value(&form, "from").unwrap_or("")); }
                    label { "to " input type="date" name="to" value=(value(&form, "to").unwrap_or("")); }
                    button type="submit" { "Filter" }
                }
            }
            p { (entries.len()) " entries (the newest " (SHOWN) " at most"
                @if value(&form, "before").is_some() { ", older than entry " (value(&form, "before").unwrap_or("")) }
                ")." }
            table {
                thead { tr { th { "When" } th { "User" } th { "Action" } th { "Card" } th { "Order" } th { "From" } th { "To" } th { "Detail" } } }
                tbody {
                    @for e in &entries {
                        tr {
                            td { (e.at) } td { (e.operator) } td { (e.action) }
                            td { (e.card_number.as_deref().unwrap_or("")) }
                            td { @if let Some(o) = e.order_id { (o) } }
                            td { (e.from_state.as_deref().unwrap_or("")) }
                            td { (e.to_state.as_deref().unwrap_or("")) }
                            td { (e.reason.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
            @if let Some(link) = &older { p { a href=(link) { "Older entries" } } }
        };
        Ok::<_, PageError>(layout("Audit", Some(&who), body).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}
