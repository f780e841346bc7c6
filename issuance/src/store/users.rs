//! Console users, their roles, login failures and API tokens ([`UserStore`]).
//!
//! The store keeps only what it is given: a password is stored as the PHC string of its
//! Argon2id hash and an API token as the SHA-256 of the token (both computed by the server
//! crate), so nothing here can recover a secret. Every change is audited as the acting user
//! (`user.add`, `user.disable`, `user.enable`, `user.password`, `login.failure`,
//! `user.lockout`, `token.create`, `token.revoke`).

use super::{Actor, StoreError};

/// What a console user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Requests, search, orders, production, cards.
    Operator,
    /// Options and profiles, stations and desks, users.
    Admin,
    /// The audit log and read-only views.
    Auditor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Operator, Role::Admin, Role::Auditor];

    /// The stable name (`operator`, `admin`, `auditor`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }

    /// Parses a stable name.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A console user (without the password hash).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct User {
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// A disabled user cannot log in and their API tokens are refused.
    pub disabled: bool,
    /// Failed logins since the last successful one or password reset.
    pub failed_logins: u32,
    /// Logins are refused until this time (milliseconds since the Unix epoch), after too
    /// many failures.
    pub locked_until_ms: Option<i64>,
    /// When the user was added (RFC 3339).
    pub created_at: String,
}

impl User {
    /// True when logins are refused at `now_ms` because of earlier failures.
    pub fn is_locked_at(&self, now_ms: i64) -> bool {
        self.locked_until_ms.is_some_and(|until| now_ms < until)
    }
}

/// The rule that locks a user after failed logins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutRule {
    /// Failed logins in a row that lock the user.
    pub max_failures: u32,
    /// How long the lock lasts (milliseconds).
    pub lock_ms: i64,
}

impl Default for LockoutRule {
    /// 5 failures lock for 15 minutes.
    fn default() -> Self {
        LockoutRule {
            max_failures: 5,
            lock_ms: 15 * 60 * 1000,
        }
    }
}

/// An API token's record (the token itself is never stored).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    /// Token id (shown by `users tokens`, used to revoke).
    pub id: i64,
    /// The user the token acts as.
    pub user: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// When it last authenticated a request (store time, RFC 3339; `None`: never). Written
    /// at most once per [`TOKEN_USE_EVERY`], so up to that much older than the last use.
    pub last_used_at: Option<String>,
}

/// A token's `last_used_at` is written at most this often: a client calling the API in a
/// loop must not turn every read into a write.
pub const TOKEN_USE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Longest user name accepted.
pub const MAX_USER_NAME: usize = 64;

/// Checks a user name: 1 to [`MAX_USER_NAME`] characters of letters, digits, `.`, `_`, `-`,
/// `@`, starting with a letter or digit.
pub fn check_user_name(name: &str) -> Result<(), StoreError> {
    let why = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > MAX_USER_NAME {
        Some("it is longer than 64 characters")
    } else if !name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        Some("it must start with a letter or digit")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        Some("only letters, digits, `.`, `_`, `-` and `@` are allowed")
    } else {
        None
    };
    match why {
        Some(why) => Err(StoreError::InvalidUserName {
            name: name.chars().take(80).collect(),
            why: why.into(),
        }),
        None => Ok(()),
    }
}

/// Console users, login failures and API tokens.
pub trait UserStore: Send + Sync {
    /// Adds a user with a password hash (a PHC string); refused when the name is taken or
    /// invalid ([`check_user_name`]). Audited `user.add`.
    fn add_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        actor: &Actor,
    ) -> Result<User, StoreError>;
    /// One user, if there is one by that name.
    fn user(&self, name: &str) -> Result<Option<User>, StoreError>;
    /// Every user, by name.
    fn users(&self) -> Result<Vec<User>, StoreError>;
    /// The user and their password hash, for a login.
    fn user_with_password(&self, name: &str) -> Result<Option<(User, String)>, StoreError>;
    /// Disables or enables a user. Audited `user.disable` / `user.enable`.
    fn set_user_disabled(
        &self,
        name: &str,
        disabled: bool,
        actor: &Actor,
    ) -> Result<User, StoreError>;
    /// Replaces a user's password hash and clears their failed logins and lock. Audited
    /// `user.password`.
    fn set_password_hash(
        &self,
        name: &str,
        password_hash: &str,
        actor: &Actor,
    ) -> Result<User, StoreError>;
    /// Counts a failed login of `name` at `now_ms` (audited `login.failure`); the failure that
    /// reaches `rule.max_failures` locks the user for `rule.lock_ms` and resets the count
    /// (audited `user.lockout`). Returns the user as it is now.
    fn record_login_failure(
        &self,
        name: &str,
        now_ms: i64,
        rule: &LockoutRule,
        actor: &Actor,
    ) -> Result<User, StoreError>;
    /// Clears the failed-login count after a successful login. Audited `login`.
    fn record_login_success(&self, name: &str, actor: &Actor) -> Result<(), StoreError>;
    /// Stores a new API token of `user` by the SHA-256 (hex) of the token. Audited
    /// `token.create`.
    fn add_api_token(
        &self,
        user: &str,
        token_sha256: &str,
        actor: &Actor,
    ) -> Result<ApiToken, StoreError>;
    /// The live (not revoked) token with this SHA-256 and its user.
    fn api_token_by_hash(&self, token_sha256: &str)
    -> Result<Option<(ApiToken, User)>, StoreError>;
    /// Every token (of one user, or all), oldest first.
    fn api_tokens(&self, user: Option<&str>) -> Result<Vec<ApiToken>, StoreError>;
    /// Records that live token `id` authenticated a request now (store time), unless its mark
    /// is younger than `every` (compared in the store, on its clock); `true` when written.
    /// Not audited: a use changes nothing but the mark.
    fn mark_api_token_used(&self, id: i64, every: std::time::Duration) -> Result<bool, StoreError>;
    /// Revokes a token; `false` when it was revoked already. Audited `token.revoke`.
    fn revoke_api_token(&self, id: i64, actor: &Actor) -> Result<bool, StoreError>;
}
