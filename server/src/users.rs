//! What `cardline users ...` does, over the store: add a user, reset a password, disable,
//! create and revoke API tokens. Passwords are hashed here ([`crate::password`]); tokens are
//! returned once and stored as their SHA-256 ([`crate::secret`]).

use cardline_issuance::store::users::{ApiToken, LockoutRule, Role, User};
use cardline_issuance::store::{Actor, Store, StoreError};
use zeroize::Zeroizing;

use crate::password::{self, Password, PasswordError};

/// Why a user command failed.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// The password is not acceptable.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Adds a user with a password (checked, then hashed with Argon2id).
pub fn add(
    store: &dyn Store,
    name: &str,
    role: Role,
    password: String,
    actor: &Actor,
) -> Result<User, UserError> {
    let password = Password::new_checked(password)?;
    Ok(store.add_user(name, role, &password::hash(&password), actor)?)
}

/// Sets a new password (clears failed logins and the lock).
pub fn reset_password(
    store: &dyn Store,
    name: &str,
    password: String,
    actor: &Actor,
) -> Result<User, UserError> {
    let password = Password::new_checked(password)?;
    Ok(store.set_password_hash(name, &password::hash(&password), actor)?)
}

/// A new API token of `user`: the token (shown once) and its record.
pub fn create_token(
    store: &dyn Store,
    user: &str,
    actor: &Actor,
) -> Result<(Zeroizing<String>, ApiToken), UserError> {
    let token = Zeroizing::new(format!("cl_{}", crate::secret::random_token().as_str()));
    let record = store.add_api_token(user, &crate::secret::token_sha256(&token), actor)?;
    Ok((token, record))
}

/// Why [`authenticate`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such user.
    Unknown,
    /// The user is disabled.
    Disabled,
    /// Too many failed logins: locked for a while.
    Locked,
    /// The password is wrong (counted toward the lockout).
    WrongPassword,
}

/// Checks `name`'s password the way the console's login does: an unknown name costs as much
/// as a real check, a disabled or locked user is refused, a wrong password counts toward the
/// lockout ([`LockoutRule::default`]) and every refusal is audited. `Ok(Err(_))` is a refusal;
/// `Err` a store failure.
pub fn authenticate(
    store: &dyn Store,
    name: &str,
    given: &Password,
    now_ms: i64,
) -> Result<Result<User, Refusal>, StoreError> {
    let Some((user, hash)) = store.user_with_password(name)? else {
        // As slow as a real check, so a name cannot be probed by timing.
        password::verify(given, password::decoy_hash());
        let name: String = name.chars().take(64).collect();
        store.audit_note(
            "login.failure",
            None,
            None,
            Some(&format!("unknown user `{name}`")),
            &Actor::system(),
        )?;
        return Ok(Err(Refusal::Unknown));
    };
    let actor = Actor(user.name.clone());
    if user.disabled || user.is_locked_at(now_ms) {
        let (why, refusal) = if user.disabled {
            ("disabled", Refusal::Disabled)
        } else {
            ("locked", Refusal::Locked)
        };
        store.audit_note(
            "login.refused",
            None,
            None,
            Some(&format!("{}: the account is {why}", user.name)),
            &actor,
        )?;
        return Ok(Err(refusal));
    }
    if password::verify(given, &hash) {
        store.record_login_success(&user.name, &actor)?;
        Ok(Ok(user))
    } else {
        store.record_login_failure(&user.name, now_ms, &LockoutRule::default(), &actor)?;
        Ok(Err(Refusal::WrongPassword))
    }
}
