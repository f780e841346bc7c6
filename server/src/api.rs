//! The REST API under `/api/v1`: JSON, authenticated by API tokens (`Authorization: Bearer`),
//! errors as RFC 9457 problem details (`application/problem+json`).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cardline_issuance::model::{CardState, Order, OrderId};
use cardline_issuance::search::CardQuery;
use cardline_issuance::store::users::Role;
use cardline_issuance::store::{OrderOutcome, StoreError};
use serde::{Deserialize, Serialize};

use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::ApiUser;

pub mod bodies;
mod card_actions;
mod cards;
mod doc;
mod options;
mod plain_errors;
mod reads;
mod stations;
mod tokens;
mod users;

/// The API's axum router, nested under `/api/v1`.
pub fn router() -> axum::Router<AppState> {
    OpenApiRouter::new()
        .nest("/api/v1", documented())
        .split_for_parts()
        .0
        .layer(axum::middleware::map_response(plain_errors::as_problem))
}

/// The API's routes with their OpenAPI document: every route is registered through
/// `utoipa_axum::routes!`, so the router and the document cannot drift apart.
pub fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders, create_order))
        .routes(routes!(order))
        .routes(routes!(release))
        .routes(routes!(complete))
        .routes(routes!(cancel))
        .routes(routes!(repeat))
        .routes(routes!(reads::requested_cards))
        .routes(routes!(cards::search))
        .routes(routes!(cards::card))
        .routes(routes!(reads::audit))
        .routes(routes!(stations::stations))
        .routes(routes!(card_actions::assign))
        .routes(routes!(card_actions::withdraw))
        .routes(routes!(card_actions::lock))
        .routes(routes!(users::list, users::add))
        .routes(routes!(users::disable))
        .routes(routes!(users::enable))
        .routes(routes!(users::password))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(options::list, options::create))
        .routes(routes!(options::show, options::put))
        .routes(routes!(options::make_default))
        .routes(routes!(options::log))
        .routes(routes!(stations::resume))
        .routes(routes!(doc::openapi_json))
        .fallback(|| async {
            Problem::new(
                StatusCode::NOT_FOUND,
                "no such API route (see GET /api/v1/openapi.json and docs/console.md)",
            )
        })
}

/// The refusals every authenticated route may answer, in its OpenAPI `responses`: no or a
/// bad token (401) and the wrong role (403).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only its OpenAPI description is used
pub enum Refused {
    /// No, an unknown or a revoked token.
    #[response(
        status = 401,
        description = "no, unknown or revoked token",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    /// The role may not do this.
    #[response(
        status = 403,
        description = "the role may not do this",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
}

/// An RFC 9457 problem detail.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank` (the status says it all).
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    kind: &'static str,
    /// The status's reason phrase.
    title: String,
    /// The HTTP status.
    status: u16,
    /// What went wrong and what to do.
    detail: String,
    /// Each problem of a refused option profile: its line, key, value and what is allowed
    /// (only on a 422 of the options routes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldProblem>,
}

/// One thing wrong in an option profile: where, which key, which value, what is allowed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// 1-based line in the profile's text (absent for values not read from it).
    line: Option<usize>,
    /// The dotted key (`pin_length`, `numbering.digits`); empty for a syntax error.
    key: String,
    /// The value as written (TOML), if any.
    value: Option<String>,
    /// What is wrong and what is allowed.
    message: String,
}

impl Problem {
    /// A problem with `status` and a human `detail`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: vec![],
        }
    }

    /// This problem listing each problem of a refused option profile.
    pub(crate) fn with_option_problems(
        mut self,
        problems: &[cardline_issuance::options::Problem],
    ) -> Problem {
        self.errors = problems
            .iter()
            .map(|p| FieldProblem {
                line: p.line,
                key: p.key.clone(),
                value: p.value.clone(),
                message: p.message.clone(),
            })
            .collect();
        self
    }

    /// 422: the request is well-formed but its values are refused.
    pub fn unprocessable(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
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

pub(crate) type ApiResult<T> = Result<Json<T>, Problem>;

pub(crate) fn require(who: &ApiUser, allowed: &[Role]) -> Result<(), Problem> {
    if allowed.contains(&who.role) {
        Ok(())
    } else {
        Err(Problem::forbidden(who, allowed))
    }
}

/// An order with how its cards ended.
#[derive(Serialize, ToSchema)]
struct OrderView {
    /// The order.
    #[serde(flatten)]
    order: Order,
    /// How its cards ended so far.
    outcome: OrderOutcome,
}

#[utoipa::path(get, path = "/orders", tag = "orders", security(("token" = [])),
    description = "All batch orders, newest first. Roles: operator, auditor.",
    responses(
        Refused,
        (status = 200, description = "the orders", body = Vec<Order>)))]
async fn list_orders(State(state): State<AppState>, who: ApiUser) -> ApiResult<Vec<Order>> {
    require(&who, crate::pages::READERS)?;
    Ok(Json(state.with_store(|s| s.list_orders()).await?))
}

#[utoipa::path(get, path = "/orders/{id}", tag = "orders", security(("token" = [])),
    params(("id" = i64, Path, description = "order id")),
    description = "One order with its cards and outcome. Roles: operator, auditor.",
    responses(
        Refused,
        (status = 404, description = "no such order", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the order", body = OrderView)))]
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
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Filters {
    /// Requester contains.
    requester: Option<String>,
    /// Desk.
    desk: Option<String>,
    /// Card number starts with.
    number_prefix: Option<String>,
    /// Requested on or after (YYYY-MM-DD or RFC 3339).
    requested_from: Option<String>,
    /// Requested on or before.
    requested_to: Option<String>,
}

impl Filters {
    pub(crate) fn query(self) -> Result<CardQuery, Problem> {
        let bad = |e: cardline_issuance::search::QueryError| Problem::unprocessable(e.to_string());
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
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewOrder {
    /// These card numbers (1 to 10000).
    cards: Option<Vec<String>>,
    /// Or the requested cards matching these filters.
    matching: Option<Filters>,
    /// With `matching`: exactly this many (refused when fewer match).
    first: Option<u32>,
    /// The option profile to produce it with (the default profile when absent).
    profile: Option<String>,
}

#[utoipa::path(post, path = "/orders", tag = "orders", security(("token" = [])),
    request_body = NewOrder,
    description = "Issue an order of requested cards: `cards` (numbers) or `matching` (filters, with an optional `first`). Role: operator.",
    responses(
        Refused,
        (status = 409, description = "a card is not requested or already in an open order", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad input", body = Problem, content_type = "application/problem+json"),
        (status = 201, description = "the new order", body = Order)))]
async fn create_order(
    State(state): State<AppState>,
    who: ApiUser,
    body: Result<Json<NewOrder>, JsonRejection>,
) -> Result<(StatusCode, Json<Order>), Problem> {
    require(&who, crate::pages::OPERATORS)?;
    let Json(new) = body.map_err(bodies::rejected)?;
    let bodies::OrderRequest { selection, profile } = bodies::check_order(new)?;
    let actor = who.actor();
    let order = state
        .with_store(move |s| {
            if let Some(p) = &profile
                && s.option_profile(p)?.is_none()
            {
                return Err(Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("there is no option profile `{p}` (`cardline options profiles`)"),
                ));
            }
            s.create_order_with(&selection, profile.as_deref(), &actor)
                .map_err(Problem::from)
        })
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

#[utoipa::path(post, path = "/orders/{id}/release", tag = "orders", security(("token" = [])),
    params(("id" = i64, Path, description = "order id")),
    description = "Next: release the order to the desks. Role: operator.",
    responses(
        Refused,
        (status = 404, description = "no such order", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the order's state refuses it", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the order", body = Order)))]
async fn release(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<OrderId>,
) -> ApiResult<Order> {
    act(s, who, id, "release").await
}

#[utoipa::path(post, path = "/orders/{id}/complete", tag = "orders", security(("token" = [])),
    params(("id" = i64, Path, description = "order id")),
    description = "Complete the order. Role: operator.",
    responses(
        Refused,
        (status = 404, description = "no such order", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the order's state refuses it", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the order", body = Order)))]
async fn complete(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<OrderId>,
) -> ApiResult<Order> {
    act(s, who, id, "complete").await
}

#[utoipa::path(post, path = "/orders/{id}/cancel", tag = "orders", security(("token" = [])),
    params(("id" = i64, Path, description = "order id")),
    description = "Cancel the order. Role: operator.",
    responses(
        Refused,
        (status = 404, description = "no such order", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the order's state refuses it", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the order", body = Order)))]
async fn cancel(
    State(s): State<AppState>,
    who: ApiUser,
    Path(id): Path<OrderId>,
) -> ApiResult<Order> {
    act(s, who, id, "cancel").await
}

/// `POST /orders/{id}/repeat`: `{"misprinted": [...]}` (optional); the cards selected again.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Repeat {
    /// Produced cards to make again (at most 10000).
    #[serde(default)]
    misprinted: Vec<String>,
}

#[utoipa::path(post, path = "/orders/{id}/repeat", tag = "orders", security(("token" = [])),
    params(("id" = i64, Path, description = "order id")),
    request_body = Repeat,
    description = "Repeat production of the failed cards plus the produced cards named as misprinted. Role: operator.",
    responses(
        Refused,
        (status = 404, description = "no such order", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the order's state refuses it", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the cards selected again", body = Vec<cardline_issuance::model::Card>)))]
async fn repeat(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<OrderId>,
    body: Result<Json<Repeat>, JsonRejection>,
) -> ApiResult<Vec<cardline_issuance::model::Card>> {
    require(&who, crate::pages::OPERATORS)?;
    let Json(r) = body.map_err(bodies::rejected)?;
    let misprinted = bodies::check_repeat(r)?;
    let actor = who.actor();
    Ok(Json(
        state
            .with_store(move |s| s.repeat_order(id, &misprinted, &actor))
            .await?,
    ))
}
