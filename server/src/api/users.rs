//! Users, for admins: `GET /users`, `POST /users`, `POST /users/{name}/disable`, `/enable`,
//! `/password`. The same checks and store calls as the Users page and `cardline users`
//! (passwords checked and hashed by [`crate::users`]), audited as the token's user.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cardline_issuance::store::users::User;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zeroize::Zeroizing;

use super::{ApiResult, Problem, Refused, bodies, require};
use crate::AppState;
use crate::actions::{self, ActionError};
use crate::auth::ApiUser;
use crate::pages::users::ADMINS;

/// A console user (never their password hash).
#[derive(Serialize, ToSchema)]
pub struct UserView {
    /// Login name.
    name: String,
    /// `operator`, `admin` or `auditor`.
    role: String,
    /// `active`, `locked` (too many failed logins, for a while) or `disabled`.
    state: &'static str,
    /// Failed logins since the last good one.
    failed_logins: u32,
    /// Locked until (milliseconds since the Unix epoch), after too many failures.
    locked_until_ms: Option<i64>,
    /// When added (RFC 3339).
    created_at: String,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
        let state = if u.disabled {
            "disabled"
        } else if u.is_locked_at(now_ms) {
            "locked"
        } else {
            "active"
        };
        UserView {
            state,
            name: u.name,
            role: u.role.to_string(),
            failed_logins: u.failed_logins,
            locked_until_ms: u.locked_until_ms,
            created_at: u.created_at,
        }
    }
}

/// `POST /users`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Login name: 1 to 64 letters, digits, `.`, `_`, `-`, `@`, starting with a letter or digit.
    name: String,
    /// `operator`, `admin` or `auditor`.
    role: String,
    /// 10 to 256 characters. Zeroized when dropped, on the refusals too.
    #[schema(value_type = String)]
    password: Zeroizing<String>,
}

/// `POST /users/{name}/password`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// 10 to 256 characters. Zeroized when dropped, on the refusals too.
    #[schema(value_type = String)]
    password: Zeroizing<String>,
}

#[utoipa::path(get, path = "/users", tag = "users", security(("token" = [])),
    description = "Every console user, by name. Role: admin.",
    responses(
        Refused,
        (status = 200, description = "the users", body = Vec<UserView>)))]
pub async fn list(State(state): State<AppState>, who: ApiUser) -> ApiResult<Vec<UserView>> {
    require(&who, ADMINS)?;
    let users = state.with_store(|s| s.users()).await?;
    Ok(Json(users.into_iter().map(UserView::from).collect()))
}

#[utoipa::path(post, path = "/users", tag = "users", security(("token" = [])),
    request_body = NewUser,
    description = "Add a user. Audited `user.add`. Role: admin.",
    responses(
        (status = 400, description = "the body is not JSON", body = Problem, content_type = "application/problem+json"),
        Refused,
        (status = 409, description = "the name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad name, role or password", body = Problem, content_type = "application/problem+json"),
        (status = 201, description = "the new user", body = UserView)))]
pub async fn add(
    State(state): State<AppState>,
    who: ApiUser,
    body: Result<Json<NewUser>, JsonRejection>,
) -> Result<(StatusCode, Json<UserView>), Problem> {
    require(&who, ADMINS)?;
    let Json(new) = body.map_err(bodies::rejected)?;
    let role = actions::role(&new.role)?;
    let actor = who.actor();
    let user = state
        .with_store(move |s| {
            crate::users::add(s, &new.name, role, take(new.password), &actor)
                .map_err(ActionError::from)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

async fn set_disabled(
    state: AppState,
    who: ApiUser,
    name: String,
    disabled: bool,
) -> ApiResult<UserView> {
    require(&who, ADMINS)?;
    let actor = who.actor();
    let user = state
        .with_store(move |s| actions::set_disabled(s, &name, disabled, &actor))
        .await?;
    Ok(Json(user.into()))
}

#[utoipa::path(post, path = "/users/{name}/disable", tag = "users", security(("token" = [])),
    params(("name" = String, Path, description = "user name")),
    description = "Disable a user: their sessions end and their API tokens are refused. Nobody disables themselves. Audited `user.disable`. Role: admin.",
    responses(
        Refused,
        (status = 404, description = "no such user", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "disabling yourself", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the user now", body = UserView)))]
pub async fn disable(
    State(state): State<AppState>,
    who: ApiUser,
    Path(name): Path<String>,
) -> ApiResult<UserView> {
    set_disabled(state, who, name, true).await
}

#[utoipa::path(post, path = "/users/{name}/enable", tag = "users", security(("token" = [])),
    params(("name" = String, Path, description = "user name")),
    description = "Enable a disabled user. Audited `user.enable`. Role: admin.",
    responses(
        Refused,
        (status = 404, description = "no such user", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the user now", body = UserView)))]
pub async fn enable(
    State(state): State<AppState>,
    who: ApiUser,
    Path(name): Path<String>,
) -> ApiResult<UserView> {
    set_disabled(state, who, name, false).await
}

#[utoipa::path(post, path = "/users/{name}/password", tag = "users", security(("token" = [])),
    params(("name" = String, Path, description = "user name")),
    request_body = NewPassword,
    description = "Set a new password (also lifts a lockout). Audited `user.password`. Role: admin.",
    responses(
        (status = 400, description = "the body is not JSON", body = Problem, content_type = "application/problem+json"),
        Refused,
        (status = 404, description = "no such user", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "the password is refused (10 to 256 characters)", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the user now", body = UserView)))]
pub async fn password(
    State(state): State<AppState>,
    who: ApiUser,
    Path(name): Path<String>,
    body: Result<Json<NewPassword>, JsonRejection>,
) -> ApiResult<UserView> {
    require(&who, ADMINS)?;
    let Json(p) = body.map_err(bodies::rejected)?;
    let actor = who.actor();
    let user = state
        .with_store(move |s| {
            crate::users::reset_password(s, &name, take(p.password), &actor)
                .map_err(ActionError::from)
        })
        .await?;
    Ok(Json(user.into()))
}

/// The password out of its zeroizing wrapper without a copy: the `String` moves on to
/// [`crate::password::Password`], which zeroizes it in turn.
fn take(mut password: Zeroizing<String>) -> String {
    std::mem::take(&mut *password)
}
