//! The Options page's profile forms, for admins: create a profile (a copy of another, its name
//! checked), make one the default, edit a profile's whole text (TOML) — validated by the
//! options parser first, a refused text shown again with each problem's line, key and fix
//! (422, nothing saved). The same store calls as `cardline options profiles|edit` and the API
//! ([`cardline_issuance::options::profiles`], [`crate::actions::edit_profile`]); saved changes
//! are logged and audited `options.change` as the admin.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use cardline_issuance::options::profiles::{self, ProfileError, ProfileRecord};
use maud::{Markup, html};

use super::options::{Refused, render};
use super::users::ADMINS;
use super::{PageError, check_csrf, csrf_field, pairs, require, value};
use crate::AppState;
use crate::actions::{self, ActionError, MAX_PROFILE_TEXT};
use crate::auth::Authed;

/// The form editing `p`'s whole text, with the refused text and its problems when it is the
/// one refused.
pub fn edit_form(who: &Authed, p: &ProfileRecord, refused: &Option<Refused>) -> Markup {
    let mine = match refused {
        Some(Refused::Edit {
            profile,
            text,
            problems,
        }) if *profile == p.name => Some((text, problems)),
        _ => None,
    };
    let text = mine.map(|m| m.0.as_str()).unwrap_or(p.toml.as_str());
    html! {
        details open[mine.is_some()] {
            summary { "Edit the whole text of " (p.name) " (TOML)" }
            form method="post" action={ "/options/" (p.name) "/edit" } {
                (csrf_field(who))
                @if let Some((_, problems)) = mine {
                    div.error role="alert" {
                        p { "Not saved: fix these and save again." }
                        ul { @for pr in problems { li { (pr) } } }
                    }
                }
                label { "Profile " (p.name) " "
                    textarea name="toml" rows="20" cols="80" maxlength=(MAX_PROFILE_TEXT) spellcheck="false" required { (text) }
                }
                button type="submit" { "Save " (p.name) }
            }
        }
    }
}

/// The form creating a profile as a copy of one of `list`.
pub fn create_form(who: &Authed, list: &[ProfileRecord], refused: &Option<Refused>) -> Markup {
    let mine = match refused {
        Some(Refused::Create { name, why }) => Some((name, why)),
        _ => None,
    };
    html! {
        h2 { "New profile" }
        form method="post" action="/options" {
            (csrf_field(who))
            fieldset { legend { "Create a profile as a copy of another" }
                label { "Name (1 to 64 letters, digits, - or _) " input name="name" maxlength="64" pattern="[A-Za-z0-9_-]{1,64}" required value=(mine.map(|m| m.0.as_str()).unwrap_or("")); }
                label { "Copy of " select name="from" {
                    @for p in list { option value=(p.name) selected[p.is_default] { (p.name) @if p.is_default { " (default)" } } }
                } }
                button type="submit" { "Create" }
                @if let Some((_, why)) = mine { p.error role="alert" { (why) } }
            }
        }
    }
}

/// Each problem of a refused text, as the page lists it: line, key and value, fix.
fn problems_of(e: &ActionError) -> Vec<String> {
    match e {
        ActionError::Profile(ProfileError::Invalid(o)) if !o.problems().is_empty() => o
            .problems()
            .iter()
            .map(|p| {
                let at = p.line.map(|l| format!("line {l}: ")).unwrap_or_default();
                let what = match (&p.value, p.key.is_empty()) {
                    (_, true) => String::new(),
                    (Some(v), false) => format!("`{} = {v}`: ", p.key),
                    (None, false) => format!("`{}`: ", p.key),
                };
                format!("{at}{what}{}", p.message)
            })
            .collect(),
        ActionError::Profile(p) => vec![p.to_string()],
        ActionError::BadInput(m) => vec![m.clone()],
        ActionError::Store(s) => vec![s.to_string()],
    }
}

/// `POST /options`: `name`, `from`.
pub async fn create(State(state): State<AppState>, who: Authed, body: String) -> Response {
    let run = async {
        require(&who, ADMINS)?;
        let form = pairs(&body);
        check_csrf(&who, &form)?;
        let name = value(&form, "name").unwrap_or("").to_string();
        let from = value(&form, "from").map(str::to_string);
        let actor = who.actor();
        let n = name.clone();
        let outcome = state
            .with_store(move |s| {
                profiles::check_name(&n)?;
                profiles::create_from(s, &n, from.as_deref(), &actor)
            })
            .await
            .map_err(ActionError::from);
        match outcome {
            Ok(_) => Ok(Redirect::to("/options").into_response()),
            Err(ActionError::Store(e)) => Err(PageError::Store(e)),
            Err(e) => {
                let why = problems_of(&e).join(" ");
                render(&state, &who, Some(Refused::Create { name, why })).await
            }
        }
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /options/{profile}/edit`: `toml`, the whole new text.
pub async fn edit(
    State(state): State<AppState>,
    who: Authed,
    Path(profile): Path<String>,
    body: String,
) -> Response {
    let run = async {
        require(&who, ADMINS)?;
        let form = pairs(&body);
        check_csrf(&who, &form)?;
        let text = form
            .iter()
            .find(|(k, _)| k == "toml")
            .map(|(_, v)| v.replace("\r\n", "\n"))
            .unwrap_or_default();
        let actor = who.actor();
        let (p, t) = (profile.clone(), text.clone());
        let outcome = state
            .with_store(move |s| actions::edit_profile(s, &p, &t, &actor))
            .await;
        match outcome {
            Ok(_) => Ok(Redirect::to("/options").into_response()),
            Err(ActionError::Store(e)) => Err(PageError::Store(e)),
            Err(e @ ActionError::Profile(ProfileError::Unknown { .. })) => Err(e.into()),
            Err(e) => {
                let problems = problems_of(&e);
                let refused = Refused::Edit {
                    profile,
                    text,
                    problems,
                };
                render(&state, &who, Some(refused)).await
            }
        }
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /options/{profile}/default`.
pub async fn make_default(
    State(state): State<AppState>,
    who: Authed,
    Path(profile): Path<String>,
    body: String,
) -> Response {
    let run = async {
        require(&who, ADMINS)?;
        check_csrf(&who, &pairs(&body))?;
        let actor = who.actor();
        state
            .with_store(move |s| profiles::make_default(s, &profile, &actor))
            .await
            .map_err(ActionError::from)?;
        Ok::<_, PageError>(Redirect::to("/options").into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}
