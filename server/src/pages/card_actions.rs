//! The card actions of the card page, for operators: assign a produced card to a person (valid
//! for the default profile's `validity_days`), withdraw it, lock it for good. The store applies
//! the lifecycle rule ([`cardline_issuance::lifecycle`]) and audits each as the user; the
//! checks are shared with the API ([`crate::actions::card_action`]).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use cardline_issuance::model::{Card, CardEvent, CardState};
use maud::{Markup, html};

use super::{OPERATORS, PageError, check_csrf, csrf_field, pairs, require, value};
use crate::AppState;
use crate::actions::{CardInput, card_action};
use crate::auth::Authed;

/// The action forms that fit the card's state (none for other roles).
pub fn forms(card: &Card, who: &Authed) -> Markup {
    if !who.has(OPERATORS) {
        return html! {};
    }
    let action = |what: &str| format!("/cards/{}/{what}", card.number);
    html! {
        @if card.state == CardState::Unassigned {
            form method="post" action=(action("assign")) {
                (csrf_field(who))
                fieldset { legend { "Assign" }
                    label { "To (person) " input name="to" maxlength="200" required; }
                    label { "Reason " input name="reason" maxlength="200"; }
                    button type="submit" { "Assign" }
                }
            }
        }
        @if card.state == CardState::Assigned {
            form method="post" action=(action("withdraw")) {
                (csrf_field(who))
                fieldset { legend { "Withdraw" }
                    label { "Reason " input name="reason" maxlength="200"; }
                    button type="submit" { "Withdraw" }
                }
            }
        }
        @if matches!(card.state, CardState::Unassigned | CardState::Assigned) {
            form method="post" action=(action("lock")) {
                (csrf_field(who))
                fieldset { legend { "Lock for good (lost, stolen, destroyed)" }
                    label { "Reason " input name="reason" maxlength="200" required; }
                    label { input type="checkbox" name="confirm" value="yes" required; " The card is locked for good: this cannot be undone" }
                    button type="submit" { "Lock" }
                }
            }
        }
    }
}

async fn act(
    state: AppState,
    who: Authed,
    number: String,
    body: String,
    event: CardEvent,
) -> Response {
    let run = async {
        require(&who, OPERATORS)?;
        let form = pairs(&body);
        check_csrf(&who, &form)?;
        let input = CardInput {
            to: value(&form, "to").map(str::to_string),
            reason: value(&form, "reason").map(str::to_string),
            confirmed: value(&form, "confirm") == Some("yes"),
        };
        let actor = who.actor();
        let n = number.clone();
        state
            .with_store(move |s| card_action(s, &n, event, input, &actor))
            .await?;
        Ok::<_, PageError>(Redirect::to(&format!("/cards/{number}")).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /cards/{number}/assign`: `to`, `reason`.
pub async fn assign(
    State(state): State<AppState>,
    who: Authed,
    Path(number): Path<String>,
    body: String,
) -> Response {
    act(state, who, number, body, CardEvent::Assign).await
}

/// `POST /cards/{number}/withdraw`: `reason`.
pub async fn withdraw(
    State(state): State<AppState>,
    who: Authed,
    Path(number): Path<String>,
    body: String,
) -> Response {
    act(state, who, number, body, CardEvent::Withdraw).await
}

/// `POST /cards/{number}/lock`: `reason`, `confirm=yes`.
pub async fn lock(
    State(state): State<AppState>,
    who: Authed,
    Path(number): Path<String>,
    body: String,
) -> Response {
    act(state, who, number, body, CardEvent::Lock).await
}
