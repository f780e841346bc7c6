//! `GET /cards/requested` (the cards an order may take) and `GET /audit` (filtered, paged).

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use cardline_issuance::search::Page;

use super::{ApiResult, Filters, Problem, Refused, require};
use crate::AppState;
use crate::auth::ApiUser;

/// `GET /cards/requested?requester=..&desk=..&number_prefix=..&requested_from=..&requested_to=..&limit=..&after=..`
#[utoipa::path(get, path = "/cards/requested", tag = "cards", security(("token" = [])),
    params(
        ("requester" = Option<String>, Query, description = "requester contains"),
        ("desk" = Option<String>, Query, description = "desk"),
        ("number_prefix" = Option<String>, Query, description = "card number starts with"),
        ("requested_from" = Option<String>, Query, description = "requested on or after (YYYY-MM-DD or RFC 3339)"),
        ("requested_to" = Option<String>, Query, description = "requested on or before (YYYY-MM-DD or RFC 3339)"),
        ("limit" = Option<u32>, Query, description = "page size, 1 to 1000 (50)"),
        ("after" = Option<String>, Query, description = "the `next` cursor of the previous page"),
    ),
    description = "Requested cards (those an order may take), paged. Role: operator.",
    responses(
        Refused,
        (status = 422, description = "bad filter", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "a page of cards", body = cardline_issuance::search::CardPage)))]
pub async fn requested_cards(
    State(state): State<AppState>,
    who: ApiUser,
    RawQuery(raw): RawQuery,
) -> ApiResult<cardline_issuance::search::CardPage> {
    require(&who, crate::pages::OPERATORS)?;
    let form = crate::pages::pairs(raw.as_deref().unwrap_or(""));
    let get = |k: &str| crate::pages::value(&form, k).map(str::to_string);
    let limit = match get("limit") {
        None => 50,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=cardline_issuance::search::MAX_PAGE).contains(n))
            .ok_or_else(|| {
                Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "`limit` must be 1 to {}, not `{l}`",
                        cardline_issuance::search::MAX_PAGE
                    ),
                )
            })?,
    };
    let query = Filters {
        requester: get("requester"),
        desk: get("desk"),
        number_prefix: get("number_prefix"),
        requested_from: get("requested_from"),
        requested_to: get("requested_to"),
    }
    .query()?;
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

/// `GET /audit?card=&order=&user=&action=`: the newest 500 matching entries, oldest first.
#[utoipa::path(get, path = "/audit", tag = "audit", security(("token" = [])),
    params(
        ("card" = Option<String>, Query, description = "card number"),
        ("order" = Option<i64>, Query, description = "order id"),
        ("user" = Option<String>, Query, description = "who did it"),
        ("action" = Option<String>, Query, description = "action, or a prefix ending in `.`"),
        ("from" = Option<String>, Query, description = "at or after (YYYY-MM-DD or RFC 3339)"),
        ("to" = Option<String>, Query, description = "up to (a date: to its end; or RFC 3339)"),
        ("before" = Option<i64>, Query, description = "only entries older than this id: the `id` of the first (oldest) entry of the previous answer, for the next page"),
    ),
    description = "The newest 500 matching audit entries, oldest first. Page to older ones with `before`. Role: auditor.",
    responses(
        Refused,
        (status = 422, description = "bad filter", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the entries", body = Vec<cardline_issuance::model::AuditEntry>)))]
pub async fn audit(
    State(state): State<AppState>,
    who: ApiUser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Vec<cardline_issuance::model::AuditEntry>> {
    require(&who, crate::pages::audit::AUDITORS)?;
    let form = crate::pages::pairs(raw.as_deref().unwrap_or(""));
    let filter = crate::pages::audit::filter_from(&form).map_err(Problem::unprocessable)?;
    Ok(Json(state.with_store(move |s| s.audit(&filter)).await?))
}
