//! Login and logout. The login form's CSRF token is a cookie before there is a session
//! (double submit); a login always starts a new session id; 5 failed logins in a row lock
//! the user for 15 minutes (audited `login.failure`, `user.lockout`).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use cardline_issuance::store::sqlite::timestamp::now_ms;
use maud::html;

use super::{layout, pairs, value};
use crate::AppState;
use crate::auth::{Authed, LOGIN_COOKIE, SESSION_COOKIE, cookie, set_cookie};
use crate::password::Password;
use crate::secret::{random_token, same};
use zeroize::Zeroizing;

/// Password checks running at once at most: each Argon2id check takes 19 MiB and a CPU for a
/// moment, so a flood of logins waits here instead of exhausting memory.
pub const MAX_PASSWORD_CHECKS: usize = 4;

fn password_checks() -> &'static tokio::sync::Semaphore {
    static CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_PASSWORD_CHECKS);
    &CHECKS
}

/// The one message for every refused login: it does not tell which part was wrong.
const REFUSED: &str =
    "Login refused: wrong name or password, or the account is locked or disabled.";

fn form_page(state: &AppState, message: Option<&str>, status: axum::http::StatusCode) -> Response {
    let token = random_token();
    let page = layout(
        "Log in",
        None,
        html! {
            @if let Some(m) = message { p.error role="alert" { (m) } }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(token.as_str());
                p { label for="user" { "User" } input #user name="user" autocomplete="username" required autofocus; }
                p { label for="password" { "Password" } input #password type="password" name="password" autocomplete="current-password" required; }
                p { button type="submit" { "Log in" } }
            }
        },
    );
    (
        status,
        AppendHeaders([(
            SET_COOKIE,
            set_cookie(LOGIN_COOKIE, &token, state.secure_cookies()),
        )]),
        page,
    )
        .into_response()
}

/// `GET /login`.
pub async fn form(State(state): State<AppState>) -> Response {
    form_page(&state, None, axum::http::StatusCode::OK)
}

/// `POST /login`.
pub async fn submit(State(state): State<AppState>, headers: HeaderMap, body: String) -> Response {
    let form = pairs(&body);
    let sent = value(&form, "csrf");
    let expected = cookie(&headers, LOGIN_COOKIE);
    if !matches!((sent, expected), (Some(a), Some(b)) if same(a, b)) {
        return form_page(
            &state,
            Some("The login form expired or came from elsewhere: log in again on this page."),
            axum::http::StatusCode::FORBIDDEN,
        );
    }
    let name: String = value(&form, "user")
        .unwrap_or("")
        .chars()
        .take(64)
        .collect();
    let given = Password::new(
        form.iter()
            .find(|(k, _)| k == "password")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
    );
    let checked_name = name.clone();
    let Ok(_permit) = password_checks().acquire().await else {
        return form_page(
            &state,
            Some(REFUSED),
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
        );
    };
    let outcome = state
        .with_store(
            move |s| -> Result<Option<_>, cardline_issuance::store::StoreError> {
                // The one credential check, shared with the command line's `--operator`.
                Ok(crate::users::authenticate(s, &checked_name, &given, now_ms())?.ok())
            },
        )
        .await;
    match outcome {
        Ok(Some(user)) => {
            let old = cookie(&headers, SESSION_COOKIE).map(|c| Zeroizing::new(c.to_string()));
            let name = user.name.clone();
            let started = state
                .with_sessions(move |s| {
                    s.start(
                        &name,
                        old.as_deref().map(|o| o.as_str()),
                        crate::sessions::now_ms(),
                    )
                })
                .await;
            let id = match started {
                Ok(id) => id,
                Err(e) => return super::PageError::Store(e).into_response(),
            };
            let secure = state.secure_cookies();
            (
                AppendHeaders([
                    (SET_COOKIE, set_cookie(SESSION_COOKIE, &id, secure)),
                    (SET_COOKIE, set_cookie(LOGIN_COOKIE, "", secure)),
                ]),
                Redirect::to("/"),
            )
                .into_response()
        }
        Ok(None) => form_page(&state, Some(REFUSED), axum::http::StatusCode::UNAUTHORIZED),
        Err(e) => super::PageError::Store(e).into_response(),
    }
}

/// `POST /logout`: ends the session (CSRF-checked).
pub async fn logout(State(state): State<AppState>, who: Authed, body: String) -> Response {
    if let Err(e) = super::check_csrf(&who, &pairs(&body)) {
        return e.into_response();
    }
    let sid = who.session_id.clone();
    if let Err(e) = state.with_sessions(move |s| s.end(&sid)).await {
        return super::PageError::Store(e).into_response();
    }
    let actor = who.actor();
    let name = who.user.clone();
    if let Err(e) = state
        .with_store(move |s| s.audit_note("logout", None, None, Some(&name), &actor))
        .await
    {
        return super::PageError::Store(e).into_response();
    }
    (
        AppendHeaders([(
            SET_COOKIE,
            set_cookie(SESSION_COOKIE, "", state.secure_cookies()),
        )]),
        Redirect::to("/login"),
    )
        .into_response()
}
