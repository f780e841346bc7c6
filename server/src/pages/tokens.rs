//! API tokens on the Users page, for admins: each user's tokens (id, created, last used — to
//! the minute, `never` before the first request — revoked), a
//! form to create one — the token is shown once, on the answer page, never again (only its
//! SHA-256 is stored) — and one to revoke a live one. CSRF-checked forms; the store audits
//! `token.create` / `token.revoke` as the admin. The same calls as the API's
//! ([`crate::users::create_token`], [`crate::actions::revoke_token`]).

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use cardline_issuance::store::users::ApiToken;
use maud::{Markup, html};

use super::users::ADMINS;
use super::{PageError, check_csrf, csrf_field, layout, pairs, require};
use crate::AppState;
use crate::actions::{self, ActionError};
use crate::auth::Authed;

/// The Users page's cell of `user`'s tokens: each with its revoke form, and "New API token".
pub fn cell(who: &Authed, user: &str, tokens: &[ApiToken]) -> Markup {
    html! {
        ul.tokens {
            @for t in tokens.iter().filter(|t| t.user == user) {
                li {
                    "#" (t.id) " created " (t.created_at) ", last used "
                    span.last-used { (t.last_used_at.as_deref().unwrap_or("never")) }
                    @if let Some(at) = &t.revoked_at { " — revoked " (at) }
                    @else {
                        " "
                        form.inline method="post" action={ "/users/" (user) "/tokens/" (t.id) "/revoke" } {
                            (csrf_field(who))
                            button type="submit" aria-label={ "Revoke API token " (t.id) " of " (user) } { "Revoke" }
                        }
                    }
                }
            }
        }
        form.inline method="post" action={ "/users/" (user) "/tokens" } {
            (csrf_field(who))
            button type="submit" aria-label={ "New API token for " (user) } { "New API token" }
        }
    }
}

/// `POST /users/{name}/tokens`: creates a token and shows it, this once.
pub async fn create(
    State(state): State<AppState>,
    who: Authed,
    Path(name): Path<String>,
    body: String,
) -> Response {
    let run = async {
        require(&who, ADMINS)?;
        check_csrf(&who, &pairs(&body))?;
        let actor = who.actor();
        let user = name.clone();
        let (token, record) = state
            .with_store(move |s| {
                actions::tokens(s, &user)?;
                crate::users::create_token(s, &user, &actor).map_err(ActionError::from)
            })
            .await?;
        let body = html! {
            p.notice role="status" {
                strong { "Copy it now: " }
                "this token is shown only this once. cardline keeps only its SHA-256, so it cannot show it again; if it is lost, revoke it and create another."
            }
            p { "API token #" (record.id) " acting as " strong { (name) } ", created " (record.created_at) ":" }
            pre { code.token { (token.as_str()) } }
            p { "Send it as " code { "Authorization: Bearer TOKEN" } " to " code { "/api/v1" } " (see " code { "GET /api/v1/openapi.json" } ")." }
            p { a href="/users" { "Back to the users" } }
        };
        let mut r = layout("New API token", Some(&who), body).into_response();
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok::<_, PageError>(r)
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /users/{name}/tokens/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    who: Authed,
    Path((name, id)): Path<(String, i64)>,
    body: String,
) -> Response {
    let run = async {
        require(&who, ADMINS)?;
        check_csrf(&who, &pairs(&body))?;
        let actor = who.actor();
        state
            .with_store(move |s| actions::revoke_token(s, &name, id, &actor))
            .await?;
        Ok::<_, PageError>(Redirect::to("/users").into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}
