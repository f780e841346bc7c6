//! Options, for admins: every option profile with its effective values (and where each comes
//! from), a form to set one option of a profile, validated by the same rules as `cardline
//! options set` (a bad value is shown next to the form, nothing saved), and the change log.
//! Saved changes are logged and audited by the store as the admin (`options.change`).
//! Creating a profile, making one the default and editing a whole text: [`super::profiles`].

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cardline_issuance::options::profiles::{self, OptionChange, ProfileRecord};
use cardline_issuance::store::StoreError;
use maud::html;

use super::users::ADMINS;
use super::{PageError, check_csrf, csrf_field, layout, pairs, require, value};
use crate::AppState;
use crate::auth::Authed;

/// Changes shown at most (the newest).
const LOG_SHOWN: u32 = 200;

/// A refused change to show next to its form, with what was given kept.
pub enum Refused {
    /// One option: profile, key, value given, why.
    Set {
        /// The profile.
        profile: String,
        /// The key given.
        key: String,
        /// The value given.
        value: String,
        /// Why it was refused.
        why: String,
    },
    /// The whole text of a profile: the text given and each problem (line, key, fix).
    Edit {
        /// The profile.
        profile: String,
        /// The text given.
        text: String,
        /// Each problem, located.
        problems: Vec<String>,
    },
    /// A new profile: the name and source given, why.
    Create {
        /// The name given.
        name: String,
        /// Why it was refused.
        why: String,
    },
}

/// The Options page, with `refused` shown next to its form (422) when given.
pub async fn render(
    state: &AppState,
    who: &Authed,
    refused: Option<Refused>,
) -> Result<Response, PageError> {
    let (list, log) = state
        .with_store(|s| {
            Ok::<(Vec<ProfileRecord>, Vec<OptionChange>), StoreError>((
                s.option_profiles()?,
                s.option_log(None, Some(LOG_SHOWN))?,
            ))
        })
        .await?;
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = html! {
        @if list.is_empty() { p { "No option profile yet: the default one is made the first time cards are issued or assigned (or with " code { "cardline options" } ")." } }
        @for p in &list {
            section {
                h2 { "Profile " (p.name) @if p.is_default { " (default)" } }
                p { "Changed " (p.updated_at) " by " (p.updated_by) "." }
                @match p.options() {
                    Ok(o) => {
                        table {
                            thead { tr { th { "Option" } th { "Value" } th { "From" } } }
                            tbody {
                                @for e in o.effective_with_sources() {
                                    tr { td { code { (e.key) } } td { code { (e.value.to_string()) } } td { (e.source.as_str()) } }
                                }
                            }
                        }
                    }
                    Err(e) => { p.error role="alert" { "This profile does not validate: " (e.to_string()) } }
                }
                @if !p.is_default {
                    form.inline method="post" action={ "/options/" (p.name) "/default" } {
                        (csrf_field(who))
                        button type="submit" { "Make " (p.name) " the default" }
                    }
                }
                @let mine = match &refused { Some(Refused::Set { profile, key, value, why }) if *profile == p.name => Some((key, value, why)), _ => None };
                form method="post" action={ "/options/" (p.name) "/set" } {
                    (csrf_field(who))
                    fieldset { legend { "Set an option of " (p.name) }
                        label { "Option " input name="key" maxlength="200" required value=(mine.map(|r| r.0.as_str()).unwrap_or("")); }
                        label { "Value (TOML: 8, true, \"text\", [\"a\", \"b\"]) " input name="value" maxlength="2000" required value=(mine.map(|r| r.1.as_str()).unwrap_or("")); }
                        button type="submit" { "Set" }
                        @if let Some(r) = mine { p.error role="alert" { (r.2) } }
                    }
                }
                (super::profiles::edit_form(who, p, &refused))
            }
        }
        (super::profiles::create_form(who, &list, &refused))
        h2 { "Change log (newest " (LOG_SHOWN) " at most)" }
        table {
            thead { tr { th { "When" } th { "By" } th { "Profile" } th { "Option" } th { "Before" } th { "After" } } }
            tbody {
                @for c in log.iter().rev() {
                    tr {
                        td { (c.at) } td { (c.operator) } td { (c.profile) } td { code { (c.key) } }
                        td { code { (c.old_value.as_deref().unwrap_or("")) } }
                        td { code { (c.new_value.as_deref().unwrap_or("")) } }
                    }
                }
            }
        }
    };
    Ok((status, layout("Options", Some(who), body)).into_response())
}

/// `GET /options`.
pub async fn page(State(state): State<AppState>, who: Authed) -> Response {
    let run = async {
        require(&who, ADMINS)?;
        render(&state, &who, None).await
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /options/{profile}/set`: `key`, `value`.
pub async fn set(
    State(state): State<AppState>,
    who: Authed,
    Path(profile): Path<String>,
    body: String,
) -> Response {
    let run = async {
        require(&who, ADMINS)?;
        let form = pairs(&body);
        check_csrf(&who, &form)?;
        let key = value(&form, "key").unwrap_or("").to_string();
        let val = value(&form, "value").unwrap_or("").to_string();
        crate::actions::check_option(&key, &val)?;
        let actor = who.actor();
        let (p, k, v) = (profile.clone(), key.clone(), val.clone());
        let outcome = state
            .with_store(move |s| profiles::set(s, &p, &k, &v, &actor))
            .await;
        match outcome {
            Ok(_) => Ok(Redirect::to("/options").into_response()),
            Err(profiles::ProfileError::Store(e)) => Err(PageError::Store(e)),
            Err(e @ profiles::ProfileError::Unknown { .. }) => {
                Err(PageError::BadInput(e.to_string()))
            }
            Err(e) => {
                let refused = Refused::Set {
                    profile,
                    key,
                    value: val,
                    why: e.to_string(),
                };
                render(&state, &who, Some(refused)).await
            }
        }
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}
