//! The REST API under `/api/v1`: JSON, authenticated by API tokens (`Authorization: Bearer`),
//! errors as RFC 9457 problem details (`application/problem+json`).

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cardline_issuance::model::{CardState, Order, OrderId, OrderSelection};
use cardline_issuance::search::{CardQuery, Page};
use cardline_issuance::store::users::Role;
use cardline_issuance::store::{OrderOutcome, StoreError};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::ApiUser;

/// The API's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orders", get(list_orders).post(create_order))
        .route("/orders/{id}", get(order))
        .route("/orders/{id}/release", post(release))
        .route("/orders/{id}/complete", post(complete))
        .route("/orders/{id}/cancel", post(cancel))
        .route("/orders/{id}/repeat", post(repeat))
        .route("/cards/requested", get(requested_cards))
        .route("/audit", get(audit))
        .fallback(|| async {
            Problem::new(
                StatusCode::NOT_FOUND,
                "no such API route (see docs/console.md)",
            )
        })
}

/// An RFC 9457 problem detail.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    kind: &'static str,
    title: String,
    status: u16,
    detail: String,
}

impl Problem {
    /// A problem with `status` and a human `detail`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
        }
    }

    /// 401 with what to send.
    pub fn unauthorized(detail: &str) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, detail)
    }

    /// The problem of a store error.
    pub fn store(e: &StoreError) -> Problem {
        Problem::new(
            crate::error::store_status(e).0,
            crate::error::store_message(e),
        )
    }

    fn forbidden(who: &ApiUser, allowed: &[Role]) -> Problem {
        let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
        Problem::new(
            StatusCode::FORBIDDEN,
            format!(
                "the role {} may not do this; it needs {}",
                who.role,
                names.join(" or ")
            ),
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = (status, Json(self)).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        r
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        Problem::store(&e)
    }
}

type ApiResult<T> = Result<Json<T>, Problem>;

fn require(who: &ApiUser, allowed: &[Role]) -> Result<(), Problem> {
    if allowed.contains(&who.role) {
        Ok(())
    } else {
        Err(Problem::forbidden(who, allowed))
    }
}

/// An order with how its cards ended.
#[derive(Serialize)]
struct OrderView {
    #[serde(flatten)]
    order: Order,
    outcome: OrderOutcome,
}

async fn list_orders(State(state): State<AppState>, who: ApiUser) -> ApiResult<Vec<Order>> {
    require(&who, crate::pages::READERS)?;
    Ok(Json(state.with_store(|s| s.list_orders()).await?))
}

async fn order(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<OrderId>,
) -> ApiResult<OrderView> {
    require(&who, crate::pages::READERS)?;
    let (order, outcome) = state
        .with_store(move |s| Ok::<_, StoreError>((s.order(id)?, s.order_outcome(id)?)))
        .await?;
    Ok(Json(OrderView { order, outcome }))
}

/// The filters of a search of requested cards.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Filters {
    requester: Option<String>,
    desk: Option<String>,
    number_prefix: Option<String>,
    requested_from: Option<String>,
    requested_to: Option<String>,
}

impl Filters {
    fn query(self) -> Result<CardQuery, Problem> {
        let bad = |e: cardline_issuance::search::QueryError| {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
        };
        let q = CardQuery {
            states: vec![CardState::Requested],
            requester: self.requester,
            desk: self.desk,
            number_prefix: self.number_prefix,
            ..CardQuery::default()
        };
        q.check().map_err(bad)?;
        q.requested_between(self.requested_from.as_deref(), self.requested_to.as_deref())
            .map_err(bad)
    }
}

/// `POST /orders`: `{"cards": [...]}` or `{"matching": {filters}, "first": N}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOrder {
    cards: Option<Vec<String>>,
    matching: Option<Filters>,
    first: Option<u32>,
}

async fn create_order(
    State(state): State<AppState>,
    who: ApiUser,
    body: Result<Json<NewOrder>, JsonRejection>,
) -> Result<(StatusCode, Json<Order>), Problem> {
    require(&who, crate::pages::OPERATORS)?;
    let Json(new) = body.map_err(|e| Problem::new(e.status(), e.body_text()))?;
    let selection = match (new.cards, new.matching) {
        (Some(cards), None) if new.first.is_none() => {
            if cards.is_empty() || cards.len() > 10_000 {
                return Err(Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "`cards` must list 1 to 10000 card numbers",
                ));
            }
            OrderSelection::Numbers(cards)
        }
        (None, Some(filters)) => OrderSelection::Matching {
            query: Box::new(filters.query()?),
            first: new.first,
            allow_fewer: false,
        },
        _ => {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "give either `cards` (card numbers) or `matching` (filters, with an optional `first`)",
            ));
        }
    };
    let actor = who.actor();
    let order = state
        .with_store(move |s| s.create_order(&selection, &actor))
        .await?;
    Ok((StatusCode::CREATED, Json(order)))
}

async fn act(state: AppState, who: ApiUser, id: OrderId, what: &'static str) -> ApiResult<Order> {
    require(&who, crate::pages::OPERATORS)?;
    let actor = who.actor();
    let order = state
        .with_store(move |s| match what {
            "release" => s.release_order(id, &actor),
            "complete" => s.complete_order(id, &actor),
            _ => s.cancel_order(id, &actor),
        })
        .await?;
    Ok(Json(order))
}

async fn release(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<OrderId>,
) -> ApiResult<Order> {
    act(s, who, id, "release").await
}

async fn complete(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<OrderId>,
) -> ApiResult<Order> {
    act(s, who, id, "complete").await
}

async fn cancel(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<OrderId>,
) -> ApiResult<Order> {
    act(s, who, id, "cancel").await
}

/// `GET /cards/requested?requester=..&desk=..&number_prefix=..&requested_from=..&requested_to=..&limit=..&after=..`
async fn requested_cards(
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
async fn audit(
    State(state): State<AppState>,
    who: ApiUser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Vec<cardline_issuance::model::AuditEntry>> {
    require(&who, crate::pages::audit::AUDITORS)?;
    let form = crate::pages::pairs(raw.as_deref().unwrap_or(""));
    let filter = crate::pages::audit::filter_from(&form)
        .map_err(|m| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    Ok(Json(state.with_store(move |s| s.audit(&filter)).await?))
}

/// `POST /orders/{id}/repeat`: `{"misprinted": [...]}` (optional); the cards selected again.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Repeat {
    #[serde(default)]
    misprinted: Vec<String>,
}

async fn repeat(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<OrderId>,
    body: Result<Json<Repeat>, JsonRejection>,
) -> ApiResult<Vec<cardline_issuance::model::Card>> {
    require(&who, crate::pages::OPERATORS)?;
    let Json(r) = body.map_err(|e| Problem::new(e.status(), e.body_text()))?;
    if r.misprinted.len() > 10_000 {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "`misprinted` lists at most 10000 cards",
        ));
    }
    let actor = who.actor();
    Ok(Json(
        state
            .with_store(move |s| s.repeat_order(id, &r.misprinted, &actor))
            .await?,
    ))
}
