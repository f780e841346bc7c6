//! The card actions of the card page, for operators: assign a produced card to a person (valid
//! for the default profile's `validity_days`), withdraw it, lock it for good. The store applies
//! the lifecycle rule ([`cardline_issuance::lifecycle`]) and audits each as the user.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use cardline_issuance::model::{Card, CardEvent, CardState};
use cardline_issuance::store::EventDetail;
use maud::{Markup, html};

use super::{OPERATORS, PageError, check_csrf, csrf_field, pairs, require, value};
use crate::AppState;
use crate::auth::Authed;

/// The longest person name or reason accepted.
const MAX_TEXT: usize = 200;

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

fn text(form: &[(String, String)], key: &str, label: &str) -> Result<Option<String>, PageError> {
    match value(form, key) {
        Some(v) if v.chars().count() > MAX_TEXT => Err(PageError::BadInput(format!(
            "The {label} has at most {MAX_TEXT} characters."
        ))),
        v => Ok(v.map(str::to_string)),
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
        let reason = text(&form, "reason", "reason")?;
        let mut detail = EventDetail {
            reason,
            ..EventDetail::default()
        };
        match event {
            CardEvent::Assign => {
                let to = text(&form, "to", "person's name")?.ok_or_else(|| {
                    PageError::BadInput("Give the person the card is assigned to.".into())
                })?;
                detail.assigned_to = Some(to);
            }
            CardEvent::Lock => {
                if value(&form, "confirm") != Some("yes") {
                    return Err(PageError::BadInput(
                        "Tick the confirmation: a locked card is locked for good.".into(),
                    ));
                }
                if detail.reason.is_none() {
                    return Err(PageError::BadInput("Say why the card is locked.".into()));
                }
            }
            _ => {}
        }
        let actor = who.actor();
        let n = number.clone();
        state
            .with_store(move |s| {
                if event == CardEvent::Assign {
                    let (_, options) = cardline_issuance::options::profiles::options(
                        s, None, &actor,
                    )
                    .map_err(|e| PageError::BadInput(format!("The default option profile: {e}")))?;
                    detail.valid_until = Some(validity_end(options.validity_days));
                }
                s.apply_event(&n, event, &detail, &actor)
                    .map_err(PageError::Store)
            })
            .await?;
        Ok::<_, PageError>(Redirect::to(&format!("/cards/{number}")).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// RFC 3339 (UTC, seconds) `days` from now.
fn validity_end(days: u32) -> String {
    let end = time::OffsetDateTime::now_utc() + time::Duration::days(i64::from(days));
    end.replace_nanosecond(0)
        .unwrap_or(end)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
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
