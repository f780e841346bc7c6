//! `GET /cards` (every state, filtered, paged) and `GET /cards/{number}` (a card with its
//! production attempts and audit trail).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use cardline_issuance::model::{Attempt, AuditEntry, Card, CardState};
use cardline_issuance::search::{CardPage, CardQuery, MAX_PAGE, Page};
use cardline_issuance::store::{AuditFilter, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiResult, Problem, Refused, require};
use crate::AppState;
use crate::auth::ApiUser;
use crate::pages::{READERS, pairs, value};

/// Audit entries returned with one card at most (the newest).
const CARD_AUDIT: u32 = 500;

/// One card with its history.
#[derive(Serialize, ToSchema)]
pub struct CardDetail {
    /// The card record.
    card: Card,
    /// Its production attempts with their journaled steps, oldest first.
    attempts: Vec<Attempt>,
    /// Its audit trail (the newest 500 entries), oldest first.
    audit: Vec<AuditEntry>,
}

/// `GET /cards?state=&number_prefix=&requester=&desk=&reason=&requested_from=&requested_to=&limit=&after=`
#[utoipa::path(get, path = "/cards", tag = "cards", security(("token" = [])),
    params(
        ("state" = Option<String>, Query, description = "one or more states (repeat the parameter): requested, in_production, unassigned, failed, assigned, locked, expired"),
        ("number_prefix" = Option<String>, Query, description = "card number starts with"),
        ("requester" = Option<String>, Query, description = "requester"),
        ("desk" = Option<String>, Query, description = "desk"),
        ("reason" = Option<String>, Query, description = "failure reason contains"),
        ("requested_from" = Option<String>, Query, description = "requested on or after (YYYY-MM-DD or RFC 3339)"),
        ("requested_to" = Option<String>, Query, description = "requested on or before (YYYY-MM-DD or RFC 3339)"),
        ("limit" = Option<u32>, Query, description = "page size, 1 to 1000 (50)"),
        ("after" = Option<String>, Query, description = "the `next` cursor of the previous page"),
    ),
    description = "Cards in every state, filtered and paged (oldest request first). Roles: operator, auditor.",
    responses(
        Refused,
        (status = 422, description = "bad filter", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "a page of cards", body = CardPage)))]
pub async fn search(
    State(state): State<AppState>,
    who: ApiUser,
    RawQuery(raw): RawQuery,
) -> ApiResult<CardPage> {
    require(&who, READERS)?;
    let form = pairs(raw.as_deref().unwrap_or(""));
    let get = |k: &str| value(&form, k).map(str::to_string);
    let mut states = vec![];
    for (_, s) in form.iter().filter(|(k, _)| k == "state") {
        states.push(CardState::parse(s).ok_or_else(|| {
            Problem::unprocessable(format!(
                "`state` `{s}` is not a card state (requested, in_production, unassigned, failed, assigned, locked, expired)"
            ))
        })?);
    }
    let query = CardQuery {
        states,
        requester: get("requester"),
        desk: get("desk"),
        number_prefix: get("number_prefix"),
        reason: get("reason"),
        ..CardQuery::default()
    };
    query
        .check()
        .map_err(|e| Problem::unprocessable(e.to_string()))?;
    let query = query
        .requested_between(value(&form, "requested_from"), value(&form, "requested_to"))
        .map_err(|e| Problem::unprocessable(e.to_string()))?;
    let limit = match value(&form, "limit") {
        None => 50,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                Problem::unprocessable(format!("`limit` must be 1 to {MAX_PAGE}, not `{l}`"))
            })?,
    };
    let page = Page {
        limit,
        after: get("after"),
        ..Page::default()
    };
    Ok(Json(
        state
            .with_store(move |s| s.search_cards(&query, &page))
            .await?,
    ))
}

/// `GET /cards/{number}`.
#[utoipa::path(get, path = "/cards/{number}", tag = "cards", security(("token" = [])),
    params(("number" = String, Path, description = "card number")),
    description = "One card with its production attempts (and their steps) and its audit trail. Roles: operator, auditor.",
    responses(
        Refused,
        (status = 404, description = "no such card", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the card and its history", body = CardDetail)))]
pub async fn card(
    State(state): State<AppState>,
    who: ApiUser,
    Path(number): Path<String>,
) -> ApiResult<CardDetail> {
    require(&who, READERS)?;
    if number.len() > 64 {
        return Err(Problem::unprocessable(
            "a card number has at most 64 characters",
        ));
    }
    let detail = state
        .with_store(move |s| {
            let card = s.card(&number)?;
            let attempts = s.attempts_of_card(&card.number)?;
            let audit = s.audit(&AuditFilter {
                card_number: Some(card.number.clone()),
                limit: Some(CARD_AUDIT),
                ..AuditFilter::default()
            })?;
            Ok::<_, StoreError>(CardDetail {
                card,
                attempts,
                audit,
            })
        })
        .await?;
    Ok(Json(detail))
}
