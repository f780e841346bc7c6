//! What `cardline users ...` does, over the store: add a user, reset a password, disable,
//! create and revoke API tokens. Passwords are hashed here ([`crate::password`]); tokens are
//! returned once and stored as their SHA-256 ([`crate::secret`]).

use cardline_issuance::store::users::{ApiToken, Role, User};
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
