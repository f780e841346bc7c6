//! What a console page and its `/api/v1` route both do, written once: the checks of the input
//! and the store calls (which audit as the acting user). The page turns an [`ActionError`] into
//! an HTML error (or an inline message), the API into an RFC 9457 problem.

use cardline_issuance::model::{Card, CardEvent};
use cardline_issuance::options::profiles::{self, Change, ProfileError};
use cardline_issuance::store::users::{ApiToken, Role, User};
use cardline_issuance::store::{Actor, EventDetail, Store, StoreError};

use crate::users::UserError;

/// The longest person name or reason of a card action.
pub const MAX_TEXT: usize = 200;
/// The longest option key accepted.
pub const MAX_KEY: usize = 200;
/// The longest option value (TOML text) accepted.
pub const MAX_VALUE: usize = 2000;
/// The longest whole profile text accepted (the body limit is 64 KiB).
pub const MAX_PROFILE_TEXT: usize = 32 * 1024;

/// Why an action was refused.
#[derive(Debug)]
pub enum ActionError {
    /// Input that cannot be used, with what to do.
    BadInput(String),
    /// An option profile refused the change (bad name, key, value, or unknown profile).
    Profile(ProfileError),
    /// The store refused or failed.
    Store(StoreError),
}

impl From<StoreError> for ActionError {
    fn from(e: StoreError) -> Self {
        ActionError::Store(e)
    }
}

impl From<UserError> for ActionError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::Password(p) => ActionError::BadInput(p.to_string()),
            UserError::Store(s) => ActionError::Store(s),
        }
    }
}

impl From<ProfileError> for ActionError {
    fn from(e: ProfileError) -> Self {
        match e {
            ProfileError::Store(s) => ActionError::Store(s),
            e => ActionError::Profile(e),
        }
    }
}

/// A card action's input: the person (assign), the reason, the lock's confirmation.
#[derive(Debug, Default)]
pub struct CardInput {
    /// Assigned to (required by assign).
    pub to: Option<String>,
    /// Why (required by lock).
    pub reason: Option<String>,
    /// The lock is confirmed (required by lock).
    pub confirmed: bool,
}

fn text(v: Option<String>, label: &str) -> Result<Option<String>, ActionError> {
    let v = v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    match v {
        Some(v) if v.chars().count() > MAX_TEXT => Err(ActionError::BadInput(format!(
            "The {label} has at most {MAX_TEXT} characters."
        ))),
        v => Ok(v),
    }
}

/// Assign (valid for the default profile's `validity_days`), withdraw or lock card `number`,
/// as `actor`; the store applies the lifecycle rule and audits `card.transition`.
pub fn card_action(
    store: &dyn Store,
    number: &str,
    event: CardEvent,
    input: CardInput,
    actor: &Actor,
) -> Result<Card, ActionError> {
    if number.len() > 64 {
        return Err(ActionError::BadInput(
            "A card number has at most 64 characters.".into(),
        ));
    }
    let mut detail = EventDetail {
        reason: text(input.reason, "reason")?,
        ..EventDetail::default()
    };
    match event {
        CardEvent::Assign => {
            let to = text(input.to, "person's name")?.ok_or_else(|| {
                ActionError::BadInput("Give the person the card is assigned to (`to`).".into())
            })?;
            detail.assigned_to = Some(to);
            let (_, options) = profiles::options(store, None, actor)
                .map_err(|e| ActionError::BadInput(format!("The default option profile: {e}")))?;
            detail.valid_until = Some(validity_end(options.validity_days));
        }
        CardEvent::Lock => {
            if !input.confirmed {
                return Err(ActionError::BadInput(
                    "Tick the confirmation: a locked card is locked for good.".into(),
                ));
            }
            if detail.reason.is_none() {
                return Err(ActionError::BadInput(
                    "Say why the card is locked (`reason`).".into(),
                ));
            }
        }
        _ => {}
    }
    Ok(store.apply_event(number, event, &detail, actor)?)
}

/// RFC 3339 (UTC, seconds) `days` from now.
fn validity_end(days: u32) -> String {
    let end = time::OffsetDateTime::now_utc() + time::Duration::days(i64::from(days));
    end.replace_nanosecond(0)
        .unwrap_or(end)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A role by its name, or what the names are.
pub fn role(text: &str) -> Result<Role, ActionError> {
    Role::parse(text.trim()).ok_or_else(|| {
        ActionError::BadInput(format!(
            "`{}` is not a role: operator, auditor or admin.",
            text.chars().take(40).collect::<String>()
        ))
    })
}

/// Disables or enables `name` as `actor`; nobody disables themselves.
pub fn set_disabled(
    store: &dyn Store,
    name: &str,
    disabled: bool,
    actor: &Actor,
) -> Result<User, ActionError> {
    if disabled && name == actor.0 {
        return Err(ActionError::BadInput(
            "You cannot disable yourself: ask another admin.".into(),
        ));
    }
    Ok(store.set_user_disabled(name, disabled, actor)?)
}

/// The tokens of `user` (404 for an unknown user).
pub fn tokens(store: &dyn Store, user: &str) -> Result<Vec<ApiToken>, ActionError> {
    if store.user(user)?.is_none() {
        return Err(StoreError::UserNotFound(user.chars().take(64).collect()).into());
    }
    Ok(store.api_tokens(Some(user))?)
}

/// Revokes token `id` of `user` (a token of another user is "not found"); the token as it is
/// now.
pub fn revoke_token(
    store: &dyn Store,
    user: &str,
    id: i64,
    actor: &Actor,
) -> Result<ApiToken, ActionError> {
    if !tokens(store, user)?.iter().any(|t| t.id == id) {
        return Err(StoreError::TokenNotFound(id).into());
    }
    store.revoke_api_token(id, actor)?;
    tokens(store, user)?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| StoreError::TokenNotFound(id).into())
}

/// Sets several options of profile `name` at once (each `(key, TOML value)`), validated as
/// one change: nothing is saved when any is refused. The changes saved.
pub fn set_options(
    store: &dyn Store,
    name: &str,
    values: &[(String, String)],
    actor: &Actor,
) -> Result<Vec<Change>, ActionError> {
    if values.is_empty() {
        return Err(ActionError::BadInput(
            "Give at least one option to set.".into(),
        ));
    }
    for (k, v) in values {
        check_option(k, v)?;
    }
    let mut text = profiles::profile(store, Some(name), actor)?.toml;
    for (k, v) in values {
        text = profiles::set_value(&text, k, v)?;
    }
    Ok(profiles::replace(store, name, &text, actor)?)
}

/// Refuses an empty or too long option key or value.
pub fn check_option(key: &str, value: &str) -> Result<(), ActionError> {
    if key.trim().is_empty() || key.len() > MAX_KEY || value.is_empty() || value.len() > MAX_VALUE {
        return Err(ActionError::BadInput(format!(
            "Give the option (at most {MAX_KEY} characters) and its value (at most {MAX_VALUE})."
        )));
    }
    Ok(())
}

/// Replaces the whole text of profile `name` (`cardline options edit`).
pub fn edit_profile(
    store: &dyn Store,
    name: &str,
    text: &str,
    actor: &Actor,
) -> Result<Vec<Change>, ActionError> {
    if text.trim().is_empty() || text.len() > MAX_PROFILE_TEXT {
        return Err(ActionError::BadInput(format!(
            "Give the profile's text (TOML, at most {MAX_PROFILE_TEXT} bytes)."
        )));
    }
    Ok(profiles::replace(store, name, text, actor)?)
}

impl From<ActionError> for crate::api::Problem {
    fn from(e: ActionError) -> Self {
        use crate::api::Problem;
        use axum::http::StatusCode;
        match e {
            ActionError::BadInput(m) => Problem::unprocessable(m),
            ActionError::Store(s) => Problem::store(&s),
            ActionError::Profile(p) => match &p {
                ProfileError::Unknown { .. } => Problem::new(StatusCode::NOT_FOUND, p.to_string()),
                ProfileError::Exists(_) => Problem::new(StatusCode::CONFLICT, p.to_string()),
                ProfileError::Invalid(o) => {
                    Problem::unprocessable(p.to_string()).with_option_problems(o.problems())
                }
                _ => Problem::unprocessable(p.to_string()),
            },
        }
    }
}

impl From<ActionError> for crate::pages::PageError {
    fn from(e: ActionError) -> Self {
        use crate::pages::PageError;
        match e {
            ActionError::BadInput(m) => PageError::BadInput(m),
            ActionError::Store(s) => PageError::Store(s),
            ActionError::Profile(p) => PageError::BadInput(p.to_string()),
        }
    }
}
