//! The console's pages: server-rendered HTML (maud escapes every value), plain forms that
//! work without JavaScript, a CSRF token in every form.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use cardline_issuance::store::StoreError;
use cardline_issuance::store::users::Role;
use maud::{DOCTYPE, Markup, html};

use crate::AppState;
use crate::auth::Authed;

pub mod audit;
mod card_actions;
mod cards;
mod live;
mod login;
mod options;
mod order;
mod orders;
mod printer_view;
mod profiles;
mod search;
pub mod stations;
mod stations_live;
mod tokens;
pub mod users;

/// The console's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/static/console.css", get(stylesheet))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/orders", get(orders::list).post(orders::create))
        .route("/search", get(search::page))
        .route("/audit", get(audit::page))
        .route("/cards", get(cards::list))
        .route("/cards/{number}", get(cards::card))
        .route("/cards/{number}/assign", post(card_actions::assign))
        .route("/cards/{number}/withdraw", post(card_actions::withdraw))
        .route("/cards/{number}/lock", post(card_actions::lock))
        .route("/stations", get(stations::page))
        .route("/stations/{name}/resume", post(stations::resume))
        .route("/stations/events", get(stations_live::events))
        .route("/static/stations-live.js", get(stations_script))
        .route("/orders/{id}", get(order::page))
        .route("/orders/{id}/events", get(live::events))
        .route("/static/order-live.js", get(script))
        .route("/orders/{id}/release", post(order::release))
        .route("/orders/{id}/complete", post(order::complete))
        .route("/orders/{id}/cancel", post(order::cancel))
        .route("/orders/{id}/repeat", post(order::repeat))
        .route("/options", get(options::page).post(profiles::create))
        .route("/options/{profile}/set", post(options::set))
        .route("/options/{profile}/edit", post(profiles::edit))
        .route("/options/{profile}/default", post(profiles::make_default))
        .route("/users", get(users::page).post(users::add))
        .route("/users/{name}/disable", post(users::disable))
        .route("/users/{name}/enable", post(users::enable))
        .route("/users/{name}/password", post(users::password))
        .route("/users/{name}/tokens", post(tokens::create))
        .route("/users/{name}/tokens/{id}/revoke", post(tokens::revoke))
}

/// `GET /`: what this user may do.
async fn home(who: Authed) -> Response {
    let body = html! {
        p { "Logged in as " (who.user) " (" (who.role) ")." }
        ul {
            @if who.has(READERS) { li { a href="/orders" { "Batch orders" } } }
            @if who.has(OPERATORS) { li { a href="/search" { "Issue multiple temporary cards" } } }
            @if who.has(READERS) { li { a href="/cards" { "Cards" } } }
            li { a href="/stations" { "Desks and stations" } }
            @if who.has(audit::AUDITORS) { li { a href="/audit" { "Audit" } } }
            @if who.role == Role::Admin {
                li { a href="/users" { "Users" } }
                li { a href="/options" { "Options" } }
            }
        }
    };
    layout("cardline console", Some(&who), body).into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../static/order-live.js"),
    )
        .into_response()
}

async fn stations_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../static/stations-live.js"),
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../static/console.css"),
    )
        .into_response()
}

/// Who may read the batch order pages.
pub const READERS: &[Role] = &[Role::Operator, Role::Auditor];
/// Who may change orders.
pub const OPERATORS: &[Role] = &[Role::Operator];

/// Why a page was refused or failed.
#[derive(Debug)]
pub enum PageError {
    /// The user's role may not do this.
    Forbidden {
        /// The user's role.
        role: Role,
        /// The roles that may.
        allowed: &'static [Role],
    },
    /// The form's CSRF token is missing or not this session's.
    Csrf,
    /// Input the page cannot use.
    BadInput(String),
    /// The store refused or failed.
    Store(StoreError),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError::Store(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            PageError::Forbidden { role, allowed } => (
                StatusCode::FORBIDDEN,
                format!(
                    "Your role ({role}) may not do this; it needs the role {}.",
                    allowed
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            ),
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "The form's security token is missing or belongs to another session: reload \
                 the page and submit it again."
                    .to_string(),
            ),
            PageError::BadInput(m) => (StatusCode::UNPROCESSABLE_ENTITY, m.clone()),
            PageError::Store(e) => (
                crate::error::store_status(e).0,
                crate::error::store_message(e),
            ),
        };
        let body = layout(
            status.canonical_reason().unwrap_or("Error"),
            None,
            html! {
                p.error role="alert" { (message) }
                p { a href="/orders" { "Back to the batch orders" } }
            },
        );
        (status, body).into_response()
    }
}

/// Refuses a user whose role is not in `allowed`.
pub fn require(who: &Authed, allowed: &'static [Role]) -> Result<(), PageError> {
    if who.has(allowed) {
        Ok(())
    } else {
        Err(PageError::Forbidden {
            role: who.role,
            allowed,
        })
    }
}

/// The pairs of a URL-encoded form or query string.
pub fn pairs(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The first value of `key`, when not blank.
pub fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Refuses a form without this session's CSRF token.
pub fn check_csrf(who: &Authed, form: &[(String, String)]) -> Result<(), PageError> {
    if who.csrf_ok(value(form, "csrf")) {
        Ok(())
    } else {
        tracing::warn!(user = %who.user, "form refused: CSRF token missing or wrong");
        Err(PageError::Csrf)
    }
}

/// The hidden CSRF field of a form.
pub fn csrf_field(who: &Authed) -> Markup {
    html! { input type="hidden" name="csrf" value=(who.csrf.as_str()); }
}

/// A whole page: title, navigation for the user (with the logout form), content.
pub fn layout(title: &str, who: Option<&Authed>, content: Markup) -> Html<String> {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · cardline" }
                link rel="stylesheet" href="/static/console.css";
            }
            body {
                header {
                    nav aria-label="main" {
                        span.brand { "cardline" }
                        @if let Some(who) = who {
                            a href="/orders" { "Batch orders" }
                            @if who.has(OPERATORS) {
                                a href="/search" { "Issue multiple temporary cards" }
                            }
                            @if who.has(READERS) {
                                a href="/cards" { "Cards" }
                            }
                            a href="/stations" { "Desks and stations" }
                            @if who.has(audit::AUDITORS) {
                                a href="/audit" { "Audit" }
                            }
                            @if who.role == Role::Admin {
                                a href="/users" { "Users" }
                                a href="/options" { "Options" }
                            }
                            span.user { (who.user) " (" (who.role) ")" }
                            form.inline method="post" action="/logout" {
                                (csrf_field(who))
                                button type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (content)
                }
            }
        }
    };
    Html(page.into_string())
}
