//! `cardline users add|list|disable|enable|reset-password|token|tokens|revoke-token`: the
//! console's users ([docs/console.md](../../../docs/console.md)). Passwords are read from
//! standard input (one line) or, on a terminal, prompted for without echo; they are hashed with
//! Argon2id and never printed. An API token is printed once and stored as its SHA-256.

use std::io::{BufRead, IsTerminal, Read};

use anyhow::Context as _;
use cardline_issuance::store::users::Role;
use cardline_server::users as server_users;
use zeroize::Zeroizing;

use crate::context::Context;
use crate::output::{Table, or_dash};

/// `cardline users ...`.
#[derive(Debug, clap::Subcommand)]
pub enum UsersCommand {
    /// Add a user; the password comes from standard input or a prompt.
    Add {
        /// Login name (letters, digits, `.`, `_`, `-`, `@`).
        name: String,
        /// operator (orders and production), admin (options, stations, users), auditor
        /// (audit and read-only views).
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List the users with their role, state and lock.
    List,
    /// Disable a user: no login, API tokens refused, open sessions end at their next request.
    Disable {
        /// The user.
        name: String,
    },
    /// Enable a disabled user again.
    Enable {
        /// The user.
        name: String,
    },
    /// Set a new password (from standard input or a prompt); clears a lockout.
    ResetPassword {
        /// The user.
        name: String,
    },
    /// Create an API token acting as the user: printed once, stored hashed.
    Token {
        /// The user.
        name: String,
    },
    /// List API tokens (never the tokens themselves).
    Tokens {
        /// Only this user's.
        name: Option<String>,
    },
    /// Revoke an API token by its id (from `users tokens`).
    RevokeToken {
        /// The token id.
        id: i64,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text)
        .ok_or_else(|| format!("`{text}` is not a role: use operator, admin or auditor"))
}

/// Reads a password: a prompt without echo on a terminal, else the first line of stdin.
fn read_password(name: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = Zeroizing::new(
            rpassword::prompt_password(format!("Password for {name}: "))
                .context("cannot read the password")?,
        );
        let again = Zeroizing::new(
            rpassword::prompt_password("Again: ").context("cannot read the password")?,
        );
        anyhow::ensure!(
            *first == *again,
            "the two passwords differ; nothing was changed"
        );
        return Ok(first.to_string());
    }
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .take(4096)
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Runs a users command.
pub fn run(ctx: &Context, cmd: UsersCommand) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let actor = ctx.actor();
    match cmd {
        UsersCommand::Add { name, role } => {
            let password = read_password(&name)?;
            let user = server_users::add(store.as_ref(), &name, role, password, &actor)?;
            ctx.emit(&user, || {
                format!("user {} added as {}", user.name, user.role)
            })
        }
        UsersCommand::List => {
            let users = store.users()?;
            let now = cardline_issuance::store::sqlite::timestamp::now_ms();
            ctx.emit(&users, || {
                let mut t = Table::new(["name", "role", "state", "failed logins", "created"]);
                for u in &users {
                    let state = if u.disabled {
                        "disabled"
                    } else if u.is_locked_at(now) {
                        "locked"
                    } else {
                        "active"
                    };
                    t.row([
                        u.name.clone(),
                        u.role.to_string(),
                        state.to_string(),
                        u.failed_logins.to_string(),
                        u.created_at.clone(),
                    ]);
                }
                t.render()
            })
        }
        UsersCommand::Disable { name } => {
            let u = store.set_user_disabled(&name, true, &actor)?;
            ctx.emit(&u, || format!("user {} disabled", u.name))
        }
        UsersCommand::Enable { name } => {
            let u = store.set_user_disabled(&name, false, &actor)?;
            ctx.emit(&u, || format!("user {} enabled", u.name))
        }
        UsersCommand::ResetPassword { name } => {
            anyhow::ensure!(
                store.user(&name)?.is_some(),
                "no user `{name}` (list users with `cardline users list`)"
            );
            let password = read_password(&name)?;
            let u = server_users::reset_password(store.as_ref(), &name, password, &actor)?;
            ctx.emit(&u, || {
                format!("password of {} changed; its lockout is cleared", u.name)
            })
        }
        UsersCommand::Token { name } => {
            let (token, record) = server_users::create_token(store.as_ref(), &name, &actor)?;
            #[derive(serde::Serialize)]
            struct Shown<'a> {
                id: i64,
                user: &'a str,
                token: &'a str,
            }
            let shown = Shown {
                id: record.id,
                user: &record.user,
                token: &token,
            };
            ctx.emit(&shown, || {
                format!(
                    "API token {} of {} (shown once; store it now):\n{}",
                    record.id,
                    record.user,
                    token.as_str()
                )
            })
        }
        UsersCommand::Tokens { name } => {
            let tokens = store.api_tokens(name.as_deref())?;
            ctx.emit(&tokens, || {
                let mut t = Table::new(["id", "user", "created", "last used", "revoked"]);
                for k in &tokens {
                    t.row([
                        k.id.to_string(),
                        k.user.clone(),
                        k.created_at.clone(),
                        k.last_used_at.clone().unwrap_or_else(|| "never".into()),
                        or_dash(k.revoked_at.as_deref()),
                    ]);
                }
                t.render()
            })
        }
        UsersCommand::RevokeToken { id } => {
            let revoked = store.revoke_api_token(id, &actor)?;
            ctx.emit(&revoked, || {
                if revoked {
                    format!("API token {id} revoked")
                } else {
                    format!("API token {id} was revoked already")
                }
            })
        }
    }
}
