//! Console users, login failures and API tokens in PostgreSQL ([`UserStore`]): the rules of
//! the SQLite store (the same conformance cases), tables from migration 6. A user's row is
//! locked (`FOR UPDATE`) by every change, so two desks counting failed logins of one user at
//! once count both.

use cardline_issuance::store::users::{
    ApiToken, LockoutRule, Role, User, UserStore, check_user_name,
};
use cardline_issuance::store::{Actor, StoreError};
use postgres::Row;

use crate::PostgresStore;
use crate::rows::get;
use crate::tx::Tx;

const USER: &str = "SELECT name, role, disabled, failed_logins, locked_until_ms, created_at, \
     password_hash FROM users";
const TOKEN: &str = "SELECT id, user_name, created_at, revoked_at, last_used_at FROM api_tokens";

fn user_row(r: &Row) -> Result<(User, String), StoreError> {
    let role: String = get(r, 1)?;
    let role = Role::parse(&role).ok_or_else(|| StoreError::Backend {
        operation: "reading a user".into(),
        detail: format!("unknown role `{role}` in the database"),
    })?;
    let failed: i64 = get(r, 3)?;
    Ok((
        User {
            name: get(r, 0)?,
            role,
            disabled: get(r, 2)?,
            failed_logins: u32::try_from(failed).unwrap_or(u32::MAX),
            locked_until_ms: get(r, 4)?,
            created_at: get(r, 5)?,
        },
        get(r, 6)?,
    ))
}

fn token_row(r: &Row) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: get(r, 0)?,
        user: get(r, 1)?,
        created_at: get(r, 2)?,
        revoked_at: get(r, 3)?,
        last_used_at: get(r, 4)?,
    })
}

fn find(tx: &Tx<'_>, name: &str) -> Result<Option<(User, String)>, StoreError> {
    tx.query_opt(
        "reading a user",
        &format!("{USER} WHERE name = $1"),
        &[&name],
    )?
    .map(|r| user_row(&r))
    .transpose()
}

/// The user `name`, its row locked to the end of the transaction.
fn locked(tx: &Tx<'_>, name: &str) -> Result<User, StoreError> {
    tx.query_opt(
        "reading a user",
        &format!("{USER} WHERE name = $1 FOR UPDATE"),
        &[&name],
    )?
    .map(|r| user_row(&r).map(|(u, _)| u))
    .transpose()?
    .ok_or_else(|| StoreError::UserNotFound(name.to_string()))
}

fn existing(tx: &Tx<'_>, name: &str) -> Result<User, StoreError> {
    find(tx, name)?
        .map(|(u, _)| u)
        .ok_or_else(|| StoreError::UserNotFound(name.to_string()))
}

fn token(tx: &Tx<'_>, op: &str, id: i64, lock: bool) -> Result<Option<ApiToken>, StoreError> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    tx.query_opt(op, &format!("{TOKEN} WHERE id = $1{lock}"), &[&id])?
        .map(|r| token_row(&r))
        .transpose()
}

impl UserStore for PostgresStore {
    fn add_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        actor: &Actor,
    ) -> Result<User, StoreError> {
        check_user_name(name)?;
        self.write("adding a user", actor, |tx| {
            let inserted = tx.execute(
                "adding a user",
                "INSERT INTO users (name, role, password_hash, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $4) ON CONFLICT (name) DO NOTHING",
                &[&name, &role.as_str(), &password_hash, &tx.now],
            )?;
            if inserted == 0 {
                return Err(StoreError::UserExists(name.to_string()));
            }
            tx.audit(
                "user.add",
                None,
                None,
                None,
                None,
                Some(&format!("{name} as {role}")),
            )?;
            existing(tx, name)
        })
    }

    fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.read("reading a user", |tx| Ok(find(tx, name)?.map(|(u, _)| u)))
    }

    fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read("listing users", |tx| {
            tx.query("listing users", &format!("{USER} ORDER BY name"), &[])?
                .iter()
                .map(|r| user_row(r).map(|(u, _)| u))
                .collect()
        })
    }

    fn user_with_password(&self, name: &str) -> Result<Option<(User, String)>, StoreError> {
        self.read("reading a user", |tx| find(tx, name))
    }

    fn set_user_disabled(
        &self,
        name: &str,
        disabled: bool,
        actor: &Actor,
    ) -> Result<User, StoreError> {
        const OP: &str = "disabling a user";
        self.write(OP, actor, |tx| {
            locked(tx, name)?;
            tx.execute(
                OP,
                "UPDATE users SET disabled = $2, updated_at = $3 WHERE name = $1",
                &[&name, &disabled, &tx.now],
            )?;
            let action = if disabled {
                "user.disable"
            } else {
                "user.enable"
            };
            tx.audit(action, None, None, None, None, Some(name))?;
            existing(tx, name)
        })
    }

    fn set_password_hash(
        &self,
        name: &str,
        password_hash: &str,
        actor: &Actor,
    ) -> Result<User, StoreError> {
        const OP: &str = "changing a password";
        self.write(OP, actor, |tx| {
            locked(tx, name)?;
            tx.execute(
                OP,
                "UPDATE users SET password_hash = $2, failed_logins = 0, \
                 locked_until_ms = NULL, updated_at = $3 WHERE name = $1",
                &[&name, &password_hash, &tx.now],
            )?;
            tx.audit("user.password", None, None, None, None, Some(name))?;
            existing(tx, name)
        })
    }

    fn record_login_failure(
        &self,
        name: &str,
        now_ms: i64,
        rule: &LockoutRule,
        actor: &Actor,
    ) -> Result<User, StoreError> {
        const OP: &str = "recording a failed login";
        self.write(OP, actor, |tx| {
            let user = locked(tx, name)?;
            let failures = user.failed_logins.saturating_add(1);
            tx.audit(
                "login.failure",
                None,
                None,
                None,
                None,
                Some(&format!(
                    "{name}: failure {failures} of {}",
                    rule.max_failures
                )),
            )?;
            if failures >= rule.max_failures {
                let until = now_ms + rule.lock_ms;
                tx.execute(
                    OP,
                    "UPDATE users SET failed_logins = 0, locked_until_ms = $2, \
                     updated_at = $3 WHERE name = $1",
                    &[&name, &until, &tx.now],
                )?;
                tx.audit(
                    "user.lockout",
                    None,
                    None,
                    None,
                    None,
                    Some(&format!(
                        "{name}: {failures} failed logins, locked for {} s",
                        rule.lock_ms / 1000
                    )),
                )?;
            } else {
                tx.execute(
                    OP,
                    "UPDATE users SET failed_logins = $2, updated_at = $3 WHERE name = $1",
                    &[&name, &i64::from(failures), &tx.now],
                )?;
            }
            existing(tx, name)
        })
    }

    fn record_login_success(&self, name: &str, actor: &Actor) -> Result<(), StoreError> {
        const OP: &str = "recording a login";
        self.write(OP, actor, |tx| {
            locked(tx, name)?;
            tx.execute(
                OP,
                "UPDATE users SET failed_logins = 0, locked_until_ms = NULL WHERE name = $1",
                &[&name],
            )?;
            tx.audit("login", None, None, None, None, Some(name))
        })
    }

    fn add_api_token(
        &self,
        user: &str,
        token_sha256: &str,
        actor: &Actor,
    ) -> Result<ApiToken, StoreError> {
        const OP: &str = "adding an API token";
        self.write(OP, actor, |tx| {
            locked(tx, user)?;
            let row = tx.query_one(
                OP,
                "INSERT INTO api_tokens (user_name, token_sha256, created_at) \
                 VALUES ($1, $2, $3) RETURNING id",
                &[&user, &token_sha256, &tx.now],
            )?;
            let id: i64 = get(&row, 0)?;
            tx.audit(
                "token.create",
                None,
                None,
                None,
                None,
                Some(&format!("token {id} of {user}")),
            )?;
            token(tx, OP, id, false)?.ok_or(StoreError::TokenNotFound(id))
        })
    }

    fn api_token_by_hash(
        &self,
        token_sha256: &str,
    ) -> Result<Option<(ApiToken, User)>, StoreError> {
        const OP: &str = "checking an API token";
        self.read(OP, |tx| {
            let token = tx
                .query_opt(
                    OP,
                    &format!("{TOKEN} WHERE token_sha256 = $1 AND revoked_at IS NULL"),
                    &[&token_sha256],
                )?
                .map(|r| token_row(&r))
                .transpose()?;
            match token {
                None => Ok(None),
                Some(t) => Ok(find(tx, &t.user)?.map(|(u, _)| (t, u))),
            }
        })
    }

    fn api_tokens(&self, user: Option<&str>) -> Result<Vec<ApiToken>, StoreError> {
        self.read("listing API tokens", |tx| {
            tx.query(
                "listing API tokens",
                &format!("{TOKEN} WHERE $1::text IS NULL OR user_name = $1::text ORDER BY id"),
                &[&user],
            )?
            .iter()
            .map(token_row)
            .collect()
        })
    }

    fn mark_api_token_used(&self, id: i64, every: std::time::Duration) -> Result<bool, StoreError> {
        const OP: &str = "marking an API token used";
        let every = every.as_secs_f64();
        // One UPDATE compared on the server's clock: a mark that is not due changes no row,
        // and PostgreSQL writes nothing for it.
        self.write(OP, &Actor::system(), |tx| {
            tx.execute(
                OP,
                "UPDATE api_tokens SET last_used_at = $3 WHERE id = $1 AND revoked_at IS NULL \
                 AND (last_used_at IS NULL OR last_used_at < to_char((now() - make_interval(secs => $2)) \
                 AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))",
                &[&id, &every, &tx.now],
            )
            .map(|n| n > 0)
        })
    }

    fn revoke_api_token(&self, id: i64, actor: &Actor) -> Result<bool, StoreError> {
        const OP: &str = "revoking an API token";
        self.write(OP, actor, |tx| {
            let token = token(tx, OP, id, true)?.ok_or(StoreError::TokenNotFound(id))?;
            if token.revoked_at.is_some() {
                return Ok(false);
            }
            tx.execute(
                OP,
                "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1",
                &[&id, &tx.now],
            )?;
            tx.audit(
                "token.revoke",
                None,
                None,
                None,
                None,
                Some(&format!("token {id} of {}", token.user)),
            )?;
            Ok(true)
        })
    }
}
