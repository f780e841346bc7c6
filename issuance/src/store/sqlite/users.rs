//! Console users, login failures and API tokens in SQLite ([`UserStore`]).
//!
//! The tables come from one self-contained migration, [`MIGRATION`] (issue 13: v6 once the
//! audit chain's v5 is merged before it).

use rusqlite::{Connection, OptionalExtension, params};

use super::writer::Writer;
use super::{SqliteStore, backend};
use crate::store::users::{ApiToken, LockoutRule, Role, User, UserStore, check_user_name};
use crate::store::{Actor, StoreError};

/// The users migration: users with their Argon2id PHC hash, failed-login count and lock,
/// and API tokens stored as the SHA-256 of the token.
pub const MIGRATION: &str = r#"
CREATE TABLE users (
    name            TEXT PRIMARY KEY,
    role            TEXT NOT NULL CHECK (role IN ('operator','admin','auditor')),
    password_hash   TEXT NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until_ms INTEGER,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_name    TEXT NOT NULL REFERENCES users (name),
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_name, id);
"#;

const USER: &str = "SELECT name, role, disabled, failed_logins, locked_until_ms, created_at, password_hash \
     FROM users";
const TOKEN: &str = "SELECT id, user_name, created_at, revoked_at, last_used_at FROM api_tokens";

/// Migration 12: when each API token last authenticated a request.
pub const LAST_USED_MIGRATION: &str = "ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;";

/// The live token `id` whose mark is missing or older than `?2`: the mark is due.
const MARK_DUE: &str =
    "id = ?1 AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at < ?2)";

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(User, String)> {
    let role: String = r.get(1)?;
    let role = Role::parse(&role).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            1,
            rusqlite::types::Type::Text,
            format!("unknown role `{role}`").into(),
        )
    })?;
    Ok((
        User {
            name: r.get(0)?,
            role,
            disabled: r.get::<_, i64>(2)? == 1,
            failed_logins: r.get(3)?,
            locked_until_ms: r.get(4)?,
            created_at: r.get(5)?,
        },
        r.get(6)?,
    ))
}

fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        user: r.get(1)?,
        created_at: r.get(2)?,
        revoked_at: r.get(3)?,
        last_used_at: r.get(4)?,
    })
}

fn find(conn: &Connection, name: &str) -> Result<Option<(User, String)>, StoreError> {
    conn.prepare_cached(&format!("{USER} WHERE name = ?1"))
        .and_then(|mut st| st.query_row([name], user_row).optional())
        .map_err(backend("reading a user"))
}

fn existing(conn: &Connection, name: &str) -> Result<User, StoreError> {
    find(conn, name)?
        .map(|(u, _)| u)
        .ok_or_else(|| StoreError::UserNotFound(name.to_string()))
}

fn update(w: &Writer<'_>, op: &'static str, sql: &str, name: &str) -> Result<User, StoreError> {
    existing(w.conn, name)?;
    w.conn
        .execute(sql, params![name, w.now])
        .map_err(backend(op))?;
    existing(w.conn, name)
}

impl UserStore for SqliteStore {
    fn add_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        actor: &Actor,
    ) -> Result<User, StoreError> {
        check_user_name(name)?;
        self.write("adding a user", actor, |w| {
            if find(w.conn, name)?.is_some() {
                return Err(StoreError::UserExists(name.to_string()));
            }
            w.conn
                .execute(
                    "INSERT INTO users (name, role, password_hash, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?4)",
                    params![name, role.as_str(), password_hash, w.now],
                )
                .map_err(backend("adding a user"))?;
            w.audit(
                "user.add",
                None,
                None,
                None,
                None,
                Some(&format!("{name} as {role}")),
            )?;
            existing(w.conn, name)
        })
    }

    fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.read("reading a user", |c| Ok(find(c, name)?.map(|(u, _)| u)))
    }

    fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read("listing users", |c| {
            c.prepare(&format!("{USER} ORDER BY name"))
                .and_then(|mut st| st.query_map([], |r| Ok(user_row(r)?.0))?.collect())
                .map_err(backend("listing users"))
        })
    }

    fn user_with_password(&self, name: &str) -> Result<Option<(User, String)>, StoreError> {
        self.read("reading a user", |c| find(c, name))
    }

    fn set_user_disabled(
        &self,
        name: &str,
        disabled: bool,
        actor: &Actor,
    ) -> Result<User, StoreError> {
        self.write("disabling a user", actor, |w| {
            let sql = if disabled {
                "UPDATE users SET disabled = 1, updated_at = ?2 WHERE name = ?1"
            } else {
                "UPDATE users SET disabled = 0, updated_at = ?2 WHERE name = ?1"
            };
            let user = update(w, "disabling a user", sql, name)?;
            let action = if disabled {
                "user.disable"
            } else {
                "user.enable"
            };
            w.audit(action, None, None, None, None, Some(name))?;
            Ok(user)
        })
    }

    fn set_password_hash(
        &self,
        name: &str,
        password_hash: &str,
        actor: &Actor,
    ) -> Result<User, StoreError> {
        self.write("changing a password", actor, |w| {
            existing(w.conn, name)?;
            w.conn
                .execute(
                    "UPDATE users SET password_hash = ?2, failed_logins = 0, \
                     locked_until_ms = NULL, updated_at = ?3 WHERE name = ?1",
                    params![name, password_hash, w.now],
                )
                .map_err(backend("changing a password"))?;
            w.audit("user.password", None, None, None, None, Some(name))?;
            existing(w.conn, name)
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
        self.write(OP, actor, |w| {
            let user = existing(w.conn, name)?;
            let failures = user.failed_logins + 1;
            w.audit(
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
                w.conn
                    .execute(
                        "UPDATE users SET failed_logins = 0, locked_until_ms = ?2, \
                         updated_at = ?3 WHERE name = ?1",
                        params![name, until, w.now],
                    )
                    .map_err(backend(OP))?;
                w.audit(
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
                w.conn
                    .execute(
                        "UPDATE users SET failed_logins = ?2, updated_at = ?3 WHERE name = ?1",
                        params![name, failures, w.now],
                    )
                    .map_err(backend(OP))?;
            }
            existing(w.conn, name)
        })
    }

    fn record_login_success(&self, name: &str, actor: &Actor) -> Result<(), StoreError> {
        self.write("recording a login", actor, |w| {
            existing(w.conn, name)?;
            w.conn
                .execute(
                    "UPDATE users SET failed_logins = 0, locked_until_ms = NULL WHERE name = ?1",
                    [name],
                )
                .map_err(backend("recording a login"))?;
            w.audit("login", None, None, None, None, Some(name))
        })
    }

    fn add_api_token(
        &self,
        user: &str,
        token_sha256: &str,
        actor: &Actor,
    ) -> Result<ApiToken, StoreError> {
        const OP: &str = "adding an API token";
        self.write(OP, actor, |w| {
            existing(w.conn, user)?;
            w.conn
                .execute(
                    "INSERT INTO api_tokens (user_name, token_sha256, created_at) \
                     VALUES (?1, ?2, ?3)",
                    params![user, token_sha256, w.now],
                )
                .map_err(backend(OP))?;
            let id = w.conn.last_insert_rowid();
            w.audit(
                "token.create",
                None,
                None,
                None,
                None,
                Some(&format!("token {id} of {user}")),
            )?;
            w.conn
                .query_row(&format!("{TOKEN} WHERE id = ?1"), [id], token_row)
                .map_err(backend(OP))
        })
    }

    fn api_token_by_hash(
        &self,
        token_sha256: &str,
    ) -> Result<Option<(ApiToken, User)>, StoreError> {
        self.read("checking an API token", |c| {
            let token = c
                .prepare_cached(&format!(
                    "{TOKEN} WHERE token_sha256 = ?1 AND revoked_at IS NULL"
                ))
                .and_then(|mut st| st.query_row([token_sha256], token_row).optional())
                .map_err(backend("checking an API token"))?;
            match token {
                None => Ok(None),
                Some(t) => Ok(find(c, &t.user)?.map(|(u, _)| (t, u))),
            }
        })
    }

    fn api_tokens(&self, user: Option<&str>) -> Result<Vec<ApiToken>, StoreError> {
        self.read("listing API tokens", |c| {
            c.prepare(&format!(
                "{TOKEN} WHERE ?1 IS NULL OR user_name = ?1 ORDER BY id"
            ))
            .and_then(|mut st| st.query_map([user], token_row)?.collect())
            .map_err(backend("listing API tokens"))
        })
    }

    fn mark_api_token_used(&self, id: i64, every: std::time::Duration) -> Result<bool, StoreError> {
        const OP: &str = "marking an API token used";
        let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
        let cutoff =
            || super::timestamp::from_ms(super::timestamp::now_ms().saturating_sub(every_ms));
        // Read first: a mark that is not due costs no write transaction (the common case of a
        // client calling often); the update checks again, so two racing requests write once.
        let due = self.read(OP, |c| {
            c.prepare_cached(&format!("SELECT 1 FROM api_tokens WHERE {MARK_DUE}"))
                .and_then(|mut st| st.exists(params![id, cutoff()]))
                .map_err(backend(OP))
        })?;
        if !due {
            return Ok(false);
        }
        self.write(OP, &Actor::system(), |w| {
            w.conn
                .execute(
                    &format!("UPDATE api_tokens SET last_used_at = ?3 WHERE {MARK_DUE}"),
                    params![id, cutoff(), w.now],
                )
                .map(|n| n > 0)
                .map_err(backend(OP))
        })
    }

    fn revoke_api_token(&self, id: i64, actor: &Actor) -> Result<bool, StoreError> {
        const OP: &str = "revoking an API token";
        self.write(OP, actor, |w| {
            let token = w
                .conn
                .query_row(&format!("{TOKEN} WHERE id = ?1"), [id], token_row)
                .optional()
                .map_err(backend(OP))?
                .ok_or(StoreError::TokenNotFound(id))?;
            if token.revoked_at.is_some() {
                return Ok(false);
            }
            w.conn
                .execute(
                    "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1",
                    params![id, w.now],
                )
                .map_err(backend(OP))?;
            w.audit(
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
