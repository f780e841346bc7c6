//! `POST /cards/{number}/assign`, `/withdraw`, `/lock`: the card page's actions, with the same
//! checks ([`crate::actions::card_action`]), audited as the token's user.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use cardline_issuance::model::{Card, CardEvent};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ApiResult, Problem, Refused, bodies, require};
use crate::AppState;
use crate::actions::{CardInput, card_action};
use crate::auth::ApiUser;
use crate::pages::OPERATORS;

/// `POST /cards/{number}/assign`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assign {
    /// The person the card is given to (1 to 200 characters).
    to: String,
    /// Why (at most 200 characters).
    reason: Option<String>,
}

/// `POST /cards/{number}/withdraw`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdraw {
    /// Why (at most 200 characters).
    reason: Option<String>,
}

/// `POST /cards/{number}/lock`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// Why: lost, stolen, destroyed (1 to 200 characters).
    reason: String,
    /// Must be `true`: a locked card is locked for good.
    confirm: bool,
}

async fn act(
    state: AppState,
    who: ApiUser,
    number: String,
    event: CardEvent,
    input: CardInput,
) -> ApiResult<Card> {
    let actor = who.actor();
    let card = state
        .with_store(move |s| card_action(s, &number, event, input, &actor))
        .await?;
    Ok(Json(card))
}

#[utoipa::path(post, path = "/cards/{number}/assign", tag = "cards", security(("token" = [])),
    params(("number" = String, Path, description = "card number")),
    request_body = Assign,
    description = "Assign a produced (`unassigned`) card to a person, valid for the default profile's `validity_days`. Audited `card.transition`. Role: operator.",
    responses(
        (status = 400, description = "the body is not JSON", body = Problem, content_type = "application/problem+json"),
        Refused,
        (status = 404, description = "no such card", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the card's state refuses it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad input", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the card now", body = Card)))]
pub async fn assign(
    State(state): State<AppState>,
    who: ApiUser,
    Path(number): Path<String>,
    body: Result<Json<Assign>, JsonRejection>,
) -> ApiResult<Card> {
    require(&who, OPERATORS)?;
    let Json(a) = body.map_err(bodies::rejected)?;
    let input = CardInput {
        to: Some(a.to),
        reason: a.reason,
        confirmed: false,
    };
    act(state, who, number, CardEvent::Assign, input).await
}

#[utoipa::path(post, path = "/cards/{number}/withdraw", tag = "cards", security(("token" = [])),
    params(("number" = String, Path, description = "card number")),
    request_body = Withdraw,
    description = "Withdraw an assigned card (body optional). Audited `card.transition`. Role: operator.",
    responses(
        (status = 400, description = "the body is not JSON", body = Problem, content_type = "application/problem+json"),
        Refused,
        (status = 404, description = "no such card", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the card's state refuses it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad input", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the card now", body = Card)))]
pub async fn withdraw(
    State(state): State<AppState>,
    who: ApiUser,
    Path(number): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Card> {
    require(&who, OPERATORS)?;
    let w: Withdraw = if body.iter().all(u8::is_ascii_whitespace) {
        Withdraw::default()
    } else {
        bodies::json(&body)?
    };
    let input = CardInput {
        reason: w.reason,
        ..CardInput::default()
    };
    act(state, who, number, CardEvent::Withdraw, input).await
}

#[utoipa::path(post, path = "/cards/{number}/lock", tag = "cards", security(("token" = [])),
    params(("number" = String, Path, description = "card number")),
    request_body = Lock,
    description = "Lock an unassigned or assigned card for good (`confirm` must be `true`). Audited `card.transition`. Role: operator.",
    responses(
        (status = 400, description = "the body is not JSON", body = Problem, content_type = "application/problem+json"),
        Refused,
        (status = 404, description = "no such card", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the card's state refuses it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad input (no reason, no confirmation)", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the card now", body = Card)))]
pub async fn lock(
    State(state): State<AppState>,
    who: ApiUser,
    Path(number): Path<String>,
    body: Result<Json<Lock>, JsonRejection>,
) -> ApiResult<Card> {
    require(&who, OPERATORS)?;
    let Json(l) = body.map_err(bodies::rejected)?;
    let input = CardInput {
        reason: Some(l.reason),
        confirmed: l.confirm,
        ..CardInput::default()
    };
    act(state, who, number, CardEvent::Lock, input).await
}
