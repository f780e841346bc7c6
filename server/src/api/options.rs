//! Option profiles, for admins: list, create (a copy), show, set values or replace the whole
//! text, make the default, the change log. The same store calls as the Options page and
//! `cardline options` ([`cardline_issuance::options::profiles`]): every change is validated
//! first (a refused one is a 422 listing each problem's line, key, value and allowed range),
//! logged key by key and audited `options.change` as the token's user.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cardline_issuance::options::profiles::{self, Change, OptionChange, ProfileRecord};
use cardline_issuance::store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiResult, Problem, Refused, bodies, require};
use crate::AppState;
use crate::actions::{self, ActionError};
use crate::auth::ApiUser;
use crate::pages::users::ADMINS;

/// Most changes `GET /options/{profile}/log` answers (the newest).
pub const LOG_LIMIT: u32 = 1000;
/// Most options one `PUT` sets.
pub const MAX_SET: usize = 100;

/// A profile in the list.
#[derive(Serialize, ToSchema)]
pub struct ProfileSummary {
    /// Its name.
    name: String,
    /// Orders get it unless they name another.
    is_default: bool,
    /// When it last changed (RFC 3339).
    updated_at: String,
    /// Who changed it last.
    updated_by: String,
}

/// One effective option of a profile.
#[derive(Serialize, ToSchema)]
pub struct EffectiveValue {
    /// Dotted key.
    key: String,
    /// The value (TOML).
    value: String,
    /// `file` (set in the profile) or `default` (built in).
    source: String,
}

/// A profile: its text and its effective values.
#[derive(Serialize, ToSchema)]
pub struct ProfileView {
    /// Name, default mark, last change.
    #[serde(flatten)]
    summary: ProfileSummary,
    /// The profile's text (TOML), as saved.
    toml: String,
    /// Every effective option with where it comes from (empty when the saved text does not
    /// validate, see `problem`).
    effective: Vec<EffectiveValue>,
    /// Why the saved text does not validate, when it does not.
    problem: Option<String>,
}

impl From<ProfileRecord> for ProfileSummary {
    fn from(p: ProfileRecord) -> Self {
        ProfileSummary {
            name: p.name,
            is_default: p.is_default,
            updated_at: p.updated_at,
            updated_by: p.updated_by,
        }
    }
}

impl From<ProfileRecord> for ProfileView {
    fn from(p: ProfileRecord) -> Self {
        let (effective, problem) = match p.options() {
            Ok(o) => (
                o.effective_with_sources()
                    .into_iter()
                    .map(|e| EffectiveValue {
                        key: e.key,
                        value: e.value.to_string(),
                        source: e.source.as_str().to_string(),
                    })
                    .collect(),
                None,
            ),
            Err(e) => (vec![], Some(e.to_string())),
        };
        ProfileView {
            toml: p.toml.clone(),
            summary: p.into(),
            effective,
            problem,
        }
    }
}

/// One logged change of one option.
#[derive(Serialize, ToSchema)]
pub struct ChangeView {
    /// Log sequence.
    id: i64,
    /// The profile.
    profile: String,
    /// The dotted key, or `profile` for a profile created or made the default.
    key: String,
    /// Before (TOML), absent when the key was not set.
    old_value: Option<String>,
    /// After (TOML), absent when the key was removed.
    new_value: Option<String>,
    /// When (RFC 3339).
    at: String,
    /// Who.
    operator: String,
}

impl From<OptionChange> for ChangeView {
    fn from(c: OptionChange) -> Self {
        ChangeView {
            id: c.id,
            profile: c.profile,
            key: c.key,
            old_value: c.old_value,
            new_value: c.new_value,
            at: c.at,
            operator: c.operator,
        }
    }
}

/// A change just saved: key, before, after.
#[derive(Serialize, ToSchema)]
pub struct Saved {
    /// The dotted key.
    key: String,
    /// Before (TOML).
    old_value: Option<String>,
    /// After (TOML).
    new_value: Option<String>,
}

/// The answer of a `PUT`: what changed and the profile now.
#[derive(Serialize, ToSchema)]
pub struct PutAnswer {
    /// The changes saved (empty when nothing differed).
    changes: Vec<Saved>,
    /// The profile now.
    profile: ProfileView,
}

/// `POST /options`: a new profile, a copy of another.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProfile {
    /// 1 to 64 letters, digits, `-` or `_`.
    name: String,
    /// The profile to copy (the default one when absent).
    from: Option<String>,
}

/// `PUT /options/{profile}`: either `set` (some options) or `toml` (the whole text).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutProfile {
    /// Options to set, by dotted key (`{"pin_length": 8, "numbering.prefix": "TMP"}`), at
    /// most 100; values are JSON numbers, booleans, strings or arrays of them.
    #[schema(value_type = Option<Object>)]
    set: Option<serde_json::Map<String, serde_json::Value>>,
    /// Or the whole new text of the profile (TOML), as `cardline options edit` saves it.
    toml: Option<String>,
}

#[utoipa::path(get, path = "/options", tag = "options", security(("token" = [])),
    description = "The option profiles, by name, with the default one marked. Role: admin.",
    responses(
        Refused,
        (status = 200, description = "the profiles", body = Vec<ProfileSummary>)))]
pub async fn list(State(state): State<AppState>, who: ApiUser) -> ApiResult<Vec<ProfileSummary>> {
    require(&who, ADMINS)?;
    let list = state.with_store(|s| s.option_profiles()).await?;
    Ok(Json(list.into_iter().map(ProfileSummary::from).collect()))
}

#[utoipa::path(post, path = "/options", tag = "options", security(("token" = [])),
    request_body = NewProfile,
    description = "Create a profile as a copy of another (the default one when `from` is absent). Audited `options.change`. Role: admin.",
    responses(
        (status = 400, description = "the body is not JSON", body = Problem, content_type = "application/problem+json"),
        Refused,
        (status = 404, description = "no profile `from`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a bad name", body = Problem, content_type = "application/problem+json"),
        (status = 201, description = "the new profile", body = ProfileView)))]
pub async fn create(
    State(state): State<AppState>,
    who: ApiUser,
    body: Result<Json<NewProfile>, JsonRejection>,
) -> Result<(StatusCode, Json<ProfileView>), Problem> {
    require(&who, ADMINS)?;
    let Json(new) = body.map_err(bodies::rejected)?;
    let actor = who.actor();
    let p = state
        .with_store(move |s| {
            profiles::check_name(&new.name)?;
            profiles::create_from(s, &new.name, new.from.as_deref(), &actor)
        })
        .await
        .map_err(ActionError::from)?;
    Ok((StatusCode::CREATED, Json(p.into())))
}

#[utoipa::path(get, path = "/options/{profile}", tag = "options", security(("token" = [])),
    params(("profile" = String, Path, description = "profile name")),
    description = "One profile: its text and every effective option with where it comes from. Role: admin.",
    responses(
        Refused,
        (status = 404, description = "no such profile", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the profile", body = ProfileView)))]
pub async fn show(
    State(state): State<AppState>,
    who: ApiUser,
    Path(profile): Path<String>,
) -> ApiResult<ProfileView> {
    require(&who, ADMINS)?;
    let actor = who.actor();
    let p = state
        .with_store(move |s| profiles::profile(s, Some(&profile), &actor))
        .await
        .map_err(ActionError::from)?;
    Ok(Json(p.into()))
}

#[utoipa::path(put, path = "/options/{profile}", tag = "options", security(("token" = [])),
    params(("profile" = String, Path, description = "profile name")),
    request_body = PutProfile,
    description = "Set some options (`set`) or replace the whole text (`toml`) of a profile. Validated first: a refused change saves nothing and answers 422 with `errors` (line, key, value, what is allowed). Each changed key is logged; audited `options.change`. Role: admin.",
    responses(
        (status = 400, description = "the body is not JSON", body = Problem, content_type = "application/problem+json"),
        Refused,
        (status = 404, description = "no such profile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "refused: `errors` names each key, its value and the allowed range", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the changes and the profile now", body = PutAnswer)))]
pub async fn put(
    State(state): State<AppState>,
    who: ApiUser,
    Path(profile): Path<String>,
    body: Result<Json<PutProfile>, JsonRejection>,
) -> ApiResult<PutAnswer> {
    require(&who, ADMINS)?;
    let Json(put) = body.map_err(bodies::rejected)?;
    let edit = match (put.set, put.toml) {
        (Some(set), None) => {
            if set.len() > MAX_SET {
                return Err(Problem::unprocessable(format!(
                    "`set` names at most {MAX_SET} options"
                )));
            }
            let mut values = vec![];
            for (k, v) in &set {
                values.push((k.clone(), toml_value(k, v)?));
            }
            Edit::Set(values)
        }
        (None, Some(text)) => Edit::Text(text),
        _ => {
            return Err(Problem::unprocessable(
                "give either `set` (options by dotted key) or `toml` (the whole text)",
            ));
        }
    };
    let actor = who.actor();
    let (changes, p) = state
        .with_store(move |s| {
            let changes = match edit {
                Edit::Set(values) => actions::set_options(s, &profile, &values, &actor)?,
                Edit::Text(text) => actions::edit_profile(s, &profile, &text, &actor)?,
            };
            let p = s.option_profile(&profile)?.ok_or_else(|| {
                StoreError::InvalidRequest(format!("profile `{profile}` is gone"))
            })?;
            Ok::<(Vec<Change>, ProfileRecord), ActionError>((changes, p))
        })
        .await?;
    Ok(Json(PutAnswer {
        changes: changes
            .into_iter()
            .map(|(key, old_value, new_value)| Saved {
                key,
                old_value,
                new_value,
            })
            .collect(),
        profile: p.into(),
    }))
}

enum Edit {
    Set(Vec<(String, String)>),
    Text(String),
}

/// A JSON value as TOML text (JSON's string escapes are TOML's too); `null` is refused.
fn toml_value(key: &str, v: &serde_json::Value) -> Result<String, Problem> {
    use serde_json::Value as J;
    Ok(match v {
        J::Null => {
            return Err(Problem::unprocessable(format!(
                "`{}`: null is not a value; give a number, a boolean, a string or an array",
                key.chars().take(200).collect::<String>()
            )));
        }
        J::Bool(_) | J::Number(_) | J::String(_) => v.to_string(),
        J::Array(items) => {
            let items: Result<Vec<String>, Problem> =
                items.iter().map(|i| toml_value(key, i)).collect();
            format!("[{}]", items?.join(", "))
        }
        J::Object(map) => {
            let items: Result<Vec<String>, Problem> = map
                .iter()
                .map(|(k, i)| -> Result<String, Problem> {
                    Ok(format!(
                        "{} = {}",
                        J::String(k.clone()),
                        toml_value(key, i)?
                    ))
                })
                .collect();
            format!("{{ {} }}", items?.join(", "))
        }
    })
}

#[utoipa::path(post, path = "/options/{profile}/default", tag = "options", security(("token" = [])),
    params(("profile" = String, Path, description = "profile name")),
    description = "Make the profile the default one (orders that name none get it). Audited `options.change`. Role: admin.",
    responses(
        Refused,
        (status = 404, description = "no such profile", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the profile, now the default", body = ProfileView)))]
pub async fn make_default(
    State(state): State<AppState>,
    who: ApiUser,
    Path(profile): Path<String>,
) -> ApiResult<ProfileView> {
    require(&who, ADMINS)?;
    let actor = who.actor();
    let p = state
        .with_store(move |s| {
            profiles::make_default(s, &profile, &actor)?;
            profiles::profile(s, Some(&profile), &actor)
        })
        .await
        .map_err(ActionError::from)?;
    Ok(Json(p.into()))
}

#[utoipa::path(get, path = "/options/{profile}/log", tag = "options", security(("token" = [])),
    params(("profile" = String, Path, description = "profile name")),
    description = "The profile's change log (the newest 1000 changes), oldest first. Role: admin.",
    responses(
        Refused,
        (status = 404, description = "no such profile", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "the changes", body = Vec<ChangeView>)))]
pub async fn log(
    State(state): State<AppState>,
    who: ApiUser,
    Path(profile): Path<String>,
) -> ApiResult<Vec<ChangeView>> {
    require(&who, ADMINS)?;
    let actor = who.actor();
    let log = state
        .with_store(move |s| {
            profiles::profile(s, Some(&profile), &actor)?;
            Ok::<_, ActionError>(s.option_log(Some(&profile), Some(LOG_LIMIT))?)
        })
        .await?;
    Ok(Json(log.into_iter().map(ChangeView::from).collect()))
}
