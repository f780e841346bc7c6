//! API tokens, for admins: `GET /users/{name}/tokens` (never the secret),
//! `POST /users/{name}/tokens` (the token, shown once), `DELETE /users/{name}/tokens/{id}`.
//! Created as `cardline users token` creates them ([`crate::users::create_token`]: 256 random
//! bits, stored as their SHA-256), audited `token.create` / `token.revoke`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cardline_issuance::store::users::ApiToken;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiResult, Problem, Refused, require};
use crate::AppState;
use crate::actions::{self, ActionError};
use crate::auth::ApiUser;
use crate::pages::users::ADMINS;

/// An API token's record (the token itself is never stored, so never shown again).
#[derive(Serialize, ToSchema)]
pub struct TokenView {
    /// Token id (to revoke it).
    id: i64,
    /// The user it acts as.
    user: String,
    /// When created (RFC 3339).
    created_at: String,
    /// When revoked, if it was.
    revoked_at: Option<String>,
    /// When it last authenticated a request (RFC 3339, store time); `null` when never. Written
    /// at most once a minute, so it may lag the last use by up to a minute.
    last_used_at: Option<String>,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> Self {
        TokenView {
            id: t.id,
            user: t.user,
            created_at: t.created_at,
            revoked_at: t.revoked_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// A new token: its record and the token, shown this once.
#[derive(Serialize, ToSchema)]
pub struct NewToken {
    /// The record.
    #[serde(flatten)]
    record: TokenView,
    /// The token (`cl_` and 64 hex digits): send it as `Authorization: Bearer TOKEN`. Only its
    /// SHA-256 is stored: it cannot be shown again.
    token: String,
}

#[utoipa::path(get, path = "/users/{name}/tokens", tag = "users", security(("token" = [])),
    params(("name" = String, Path, description = "user name")),
    description = "The API tokens of a user, oldest first (ids and dates, never the token). Role: admin.",
    responses(
        Refused,
        (status = 404, description = "no such user", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the tokens", body = Vec<TokenView>)))]
pub async fn list(
    State(state): State<AppState>,
    who: ApiUser,
    Path(name): Path<String>,
) -> ApiResult<Vec<TokenView>> {
    require(&who, ADMINS)?;
    let tokens = state.with_store(move |s| actions::tokens(s, &name)).await?;
    Ok(Json(tokens.into_iter().map(TokenView::from).collect()))
}

#[utoipa::path(post, path = "/users/{name}/tokens", tag = "users", security(("token" = [])),
    params(("name" = String, Path, description = "user name")),
    description = "Create an API token acting as the user; the answer holds the token, shown this once. Audited `token.create`. Role: admin.",
    responses(
        Refused,
        (status = 404, description = "no such user", body = Problem, content_type = "application/problem+json"),
        (status = 201, description = "the token and its record", body = NewToken)))]
pub async fn create(
    State(state): State<AppState>,
    who: ApiUser,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    require(&who, ADMINS)?;
    let actor = who.actor();
    let (token, record) = state
        .with_store(move |s| {
            actions::tokens(s, &name)?;
            crate::users::create_token(s, &name, &actor).map_err(ActionError::from)
        })
        .await?;
    let body = NewToken {
        record: record.into(),
        token: token.to_string(),
    };
    let mut r = (StatusCode::CREATED, Json(body)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

#[utoipa::path(delete, path = "/users/{name}/tokens/{id}", tag = "users", security(("token" = [])),
    params(("name" = String, Path, description = "user name"), ("id" = i64, Path, description = "token id")),
    description = "Revoke a token of the user (at once: its next request is refused). Revoking a revoked token changes nothing. Audited `token.revoke`. Role: admin.",
    responses(
        Refused,
        (status = 404, description = "no such user, or no such token of the user", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the token's record, revoked", body = TokenView)))]
pub async fn revoke(
    State(state): State<AppState>,
    who: ApiUser,
    Path((name, id)): Path<(String, i64)>,
) -> ApiResult<TokenView> {
    require(&who, ADMINS)?;
    let actor = who.actor();
    let t = state
        .with_store(move |s| actions::revoke_token(s, &name, id, &actor))
        .await?;
    Ok(Json(t.into()))
}
