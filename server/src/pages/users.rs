//! Users, for admins: the list (role, active/locked/disabled, failed logins), add a user,
//! disable or enable one, set a new password (which also lifts a lockout). Every change is a
//! CSRF-checked form, audited by the store as the admin (`user.add`, `user.disable`,
//! `user.enable`, `user.password`). API tokens: [`super::tokens`].

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use cardline_issuance::store::StoreError;
use cardline_issuance::store::users::Role;
use maud::html;
use zeroize::Zeroizing;

use super::{PageError, check_csrf, csrf_field, layout, pairs, require, value};
use crate::AppState;
use crate::auth::Authed;
use crate::users::UserError;

/// Who may manage users.
pub const ADMINS: &[Role] = &[Role::Admin];

impl From<UserError> for PageError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::Password(p) => PageError::BadInput(p.to_string()),
            UserError::Store(s) => PageError::Store(s),
        }
    }
}

/// `GET /users`.
pub async fn page(State(state): State<AppState>, who: Authed) -> Response {
    let run = async {
        require(&who, ADMINS)?;
        let (users, tokens) = state
            .with_store(|s| Ok::<_, StoreError>((s.users()?, s.api_tokens(None)?)))
            .await?;
        let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
        let body = html! {
            p { "A user's API tokens act as that user on the REST API (" code { "/api/v1" } "); a token is shown once, when created, and stored only as its SHA-256." }
            table {
                thead { tr { th { "Name" } th { "Role" } th { "State" } th { "Failed logins" } th { "Added" } th { "" } th { "New password" } th { "API tokens" } } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.name) } td { (u.role) }
                            td { @if u.disabled { "disabled" } @else if u.is_locked_at(now_ms) { "locked" } @else { "active" } }
                            td { (u.failed_logins) } td { (u.created_at) }
                            td {
                                form.inline method="post" action={ "/users/" (u.name) (if u.disabled { "/enable" } else { "/disable" }) } {
                                    (csrf_field(&who))
                                    button type="submit" { @if u.disabled { "Enable" } @else { "Disable" } }
                                }
                            }
                            td {
                                form.inline method="post" action={ "/users/" (u.name) "/password" } {
                                    (csrf_field(&who))
                                    input type="password" name="password" minlength="10" maxlength="256" autocomplete="new-password" required aria-label={ "New password for " (u.name) };
                                    button type="submit" { "Set password" }
                                }
                            }
                            td { (super::tokens::cell(&who, &u.name, &tokens)) }
                        }
                    }
                }
            }
            h2 { "Add a user" }
            form method="post" action="/users" {
                (csrf_field(&who))
                label { "Name " input name="name" maxlength="64" required; }
                label { "Role " select name="role" {
                    @for r in [Role::Operator, Role::Auditor, Role::Admin] { option value=(r.as_str()) { (r.as_str()) } }
                } }
                label { "Password (10 to 256 characters) " input type="password" name="password" minlength="10" maxlength="256" autocomplete="new-password" required; }
                button type="submit" { "Add user" }
            }
        };
        Ok::<_, PageError>(layout("Users", Some(&who), body).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

fn password_of(form: &[(String, String)]) -> Result<String, PageError> {
    form.iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| PageError::BadInput("Give a password (10 to 256 characters).".into()))
}

/// `POST /users`: name, role, password.
pub async fn add(State(state): State<AppState>, who: Authed, body: String) -> Response {
    let body = Zeroizing::new(body);
    let run = async {
        require(&who, ADMINS)?;
        let form = pairs(&body);
        check_csrf(&who, &form)?;
        let name = value(&form, "name")
            .ok_or_else(|| PageError::BadInput("Give the new user's name.".into()))?
            .to_string();
        let role = crate::actions::role(value(&form, "role").unwrap_or(""))?;
        let password = password_of(&form)?;
        let actor = who.actor();
        state
            .with_store(move |s| crate::users::add(s, &name, role, password, &actor))
            .await?;
        Ok::<_, PageError>(Redirect::to("/users").into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

async fn set_disabled(
    state: AppState,
    who: Authed,
    name: String,
    body: String,
    disabled: bool,
) -> Response {
    let run = async {
        require(&who, ADMINS)?;
        check_csrf(&who, &pairs(&body))?;
        let actor = who.actor();
        state
            .with_store(move |s| crate::actions::set_disabled(s, &name, disabled, &actor))
            .await?;
        Ok::<_, PageError>(Redirect::to("/users").into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /users/{name}/disable`: the user's sessions end at their next request.
pub async fn disable(
    State(state): State<AppState>,
    who: Authed,
    Path(name): Path<String>,
    body: String,
) -> Response {
    set_disabled(state, who, name, body, true).await
}

/// `POST /users/{name}/enable`.
pub async fn enable(
    State(state): State<AppState>,
    who: Authed,
    Path(name): Path<String>,
    body: String,
) -> Response {
    set_disabled(state, who, name, body, false).await
}

/// `POST /users/{name}/password`: a new password; lifts a lockout.
pub async fn password(
    State(state): State<AppState>,
    who: Authed,
    Path(name): Path<String>,
    body: String,
) -> Response {
    let body = Zeroizing::new(body);
    let run = async {
        require(&who, ADMINS)?;
        let form = pairs(&body);
        check_csrf(&who, &form)?;
        let password = password_of(&form)?;
        let actor = who.actor();
        state
            .with_store(move |s| crate::users::reset_password(s, &name, password, &actor))
            .await?;
        Ok::<_, PageError>(Redirect::to("/users").into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}
