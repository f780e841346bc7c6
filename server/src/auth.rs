//! Who is asking: the console's session cookie ([`Authed`]) or the API's bearer token
//! ([`ApiUser`]; each success marks the token's `last_used_at`, written at most once a
//! minute), their roles, and the cookies themselves.

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use cardline_issuance::store::Actor;
use cardline_issuance::store::users::{Role, TOKEN_USE_EVERY};
use zeroize::Zeroizing;

use crate::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "cardline_session";
/// The cookie that carries the login form's CSRF token before there is a session.
pub const LOGIN_COOKIE: &str = "cardline_login";

/// The value of cookie `name` in the request, if sent.
pub fn cookie<'a>(parts: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    parts
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, path `/`, `Secure` when `secure`; an
/// empty `value` deletes the cookie.
pub fn set_cookie(name: &str, value: &str, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if value.is_empty() {
        c.push_str("; Max-Age=0");
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// A logged-in console user (from a live session).
pub struct Authed {
    /// Login name.
    pub user: String,
    /// Role (as the store has it now).
    pub role: Role,
    /// The session id.
    pub session_id: Zeroizing<String>,
    /// The session's CSRF token.
    pub csrf: Zeroizing<String>,
}

impl Authed {
    /// The store's actor for what this user does.
    pub fn actor(&self) -> Actor {
        Actor(self.user.clone())
    }

    /// True when this user has one of `roles`.
    pub fn has(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }

    /// True when `token` is this session's CSRF token.
    pub fn csrf_ok(&self, token: Option<&str>) -> bool {
        token.is_some_and(|t| crate::secret::same(&self.csrf, t))
    }
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let to_login = || Redirect::to("/login").into_response();
        let Some(id) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login());
        };
        let id = Zeroizing::new(id.to_string());
        let sid = id.clone();
        let session = match state
            .with_sessions(move |s| s.touch(&sid, crate::sessions::now_ms()))
            .await
        {
            Ok(Some(session)) => session,
            Ok(None) => return Err(to_login()),
            Err(e) => return Err(crate::pages::PageError::Store(e).into_response()),
        };
        // The store decides: a user disabled (or whose role changed) since login.
        let name = session.user.clone();
        let user = state.with_store(move |s| s.user(&name)).await;
        match user {
            Ok(Some(u)) if !u.disabled => Ok(Authed {
                user: u.name,
                role: u.role,
                session_id: id,
                csrf: session.csrf,
            }),
            Ok(_) => {
                let sid = id.clone();
                if let Err(e) = state.with_sessions(move |s| s.end(&sid)).await {
                    return Err(crate::pages::PageError::Store(e).into_response());
                }
                Err(to_login())
            }
            Err(e) => Err(crate::pages::PageError::Store(e).into_response()),
        }
    }
}

/// A machine client authenticated by an API token (`Authorization: Bearer cl_...`).
pub struct ApiUser {
    /// The user the token acts as.
    pub user: String,
    /// Their role.
    pub role: Role,
}

impl ApiUser {
    /// The store's actor for what this client does.
    pub fn actor(&self) -> Actor {
        Actor(self.user.clone())
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        use crate::api::Problem;
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(token) = header.filter(|t| !t.is_empty() && t.len() <= 256) else {
            return Err(Problem::unauthorized(
                "send an API token as `Authorization: Bearer TOKEN` (create one with `cardline users token NAME`)",
            )
            .into_response());
        };
        let hash = crate::secret::token_sha256(token);
        let found = state
            .with_store(move |s| {
                let found = s.api_token_by_hash(&hash)?;
                if let Some((t, user)) = &found
                    && !user.disabled
                {
                    mark_used(s, t.id);
                }
                Ok(found)
            })
            .await;
        match found {
            Ok(Some((_, user))) if !user.disabled => Ok(ApiUser {
                user: user.name,
                role: user.role,
            }),
            Ok(_) => Err(Problem::unauthorized(
                "the API token is unknown, revoked, or its user is disabled",
            )
            .into_response()),
            Err(e) => Err(Problem::store(&e).into_response()),
        }
    }
}

/// Records the token's use (at most once per [`TOKEN_USE_EVERY`], compared by the store); a
/// failed write is logged and does not fail the request it authenticated.
fn mark_used(store: &dyn cardline_issuance::store::Store, id: i64) {
    if let Err(e) = store.mark_api_token_used(id, TOKEN_USE_EVERY) {
        tracing::warn!(token = id, error = %e, "recording an API token's use failed");
    }
}
