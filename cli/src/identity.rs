//! Who runs this `cardline` invocation, once the database has console users.
//!
//! A database without users has no roles: whoever can run `cardline` on it is its
//! administrator, and `--operator` is recorded as given (with the OS user beside it). Once
//! `cardline users add` has made a user, roles apply to the command line too:
//!
//! - The person is the OS user, and their role is that of the cardline user of the same name
//!   (none when there is no such active user).
//! - `--operator NAME` naming someone else is accepted only from an admin, or when NAME's
//!   password is given (`CARDLINE_PASSWORD`, or a prompt on the terminal); a wrong password
//!   counts toward NAME's lockout like a failed console login.
//! - Revealing PINs and PUKs needs the admin role ([`Identity::require_reveal`]).

use std::io::IsTerminal as _;

use anyhow::Context as _;
use cardline_issuance::store::Store;
use cardline_issuance::store::users::Role;
use cardline_server::password::Password;
use cardline_server::users::{Refusal, authenticate};
use zeroize::Zeroizing;

/// The environment variable that carries `--operator`'s password for scripts.
pub const PASSWORD_ENV: &str = "CARDLINE_PASSWORD";

/// The roles that may reveal initial PINs and PUKs once users exist.
pub const REVEALERS: &[Role] = &[Role::Admin];

/// Who runs the command, as far as the database can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The name recorded on audit entries.
    pub recorded: String,
    /// The role of the person who runs it: `None` when the database has no users (no roles),
    /// `Some(None)` when users exist but this person is none of them.
    pub role: Option<Option<Role>>,
    /// How the person was recognised, for messages.
    pub how: String,
}

impl Identity {
    /// Refuses unless this person is an admin (any one when the database has no users).
    pub fn require_admin(&self, what: &str) -> anyhow::Result<()> {
        match self.role {
            None | Some(Some(Role::Admin)) => Ok(()),
            Some(role) => anyhow::bail!(
                "{what} needs the admin role, and {} has {}: run it as an OS user who is a \
                 cardline admin, or give `--operator ADMIN` with that admin's password \
                 ({PASSWORD_ENV} or the terminal prompt)",
                self.how,
                describe(role),
            ),
        }
    }

    /// Refuses unless this person may reveal secrets (any one when the database has no users).
    pub fn require_reveal(&self, what: &str) -> anyhow::Result<()> {
        match self.role {
            None => Ok(()),
            Some(Some(role)) if REVEALERS.contains(&role) => Ok(()),
            Some(role) => anyhow::bail!(
                "{what} needs the admin role, and {} has {}: run it as an OS user who is a \
                 cardline admin, or give `--operator ADMIN` with that admin's password \
                 ({PASSWORD_ENV} or the terminal prompt)",
                self.how,
                describe(role),
            ),
        }
    }
}

/// Works out who runs this invocation: `claimed` is `--operator` (or `CARDLINE_OPERATOR`),
/// `os_user` the OS account. Refuses `--operator` naming someone else without the right.
pub fn resolve(store: &dyn Store, claimed: &str, os_user: &str) -> anyhow::Result<Identity> {
    let users = store.users()?;
    if users.is_empty() {
        return Ok(Identity {
            recorded: claimed.to_string(),
            role: None,
            how: format!("OS user `{os_user}`"),
        });
    }
    let active_role = |name: &str| {
        users
            .iter()
            .find(|u| u.name == name && !u.disabled)
            .map(|u| u.role)
    };
    let os_role = active_role(os_user);
    if claimed == os_user {
        return Ok(Identity {
            recorded: claimed.to_string(),
            role: Some(os_role),
            how: format!("OS user `{os_user}`"),
        });
    }
    if os_role == Some(Role::Admin) {
        return Ok(Identity {
            recorded: claimed.to_string(),
            role: Some(os_role),
            how: format!("admin `{os_user}` (recording `{claimed}`)"),
        });
    }
    let Some(password) = read_password(claimed)? else {
        anyhow::bail!(
            "`--operator {claimed}` names someone other than you (OS user `{os_user}` has {}): only \
             an admin may record work under another name. Prove you are `{claimed}` with their \
             password in {PASSWORD_ENV} or at the terminal prompt, run as that OS user, or drop \
             --operator",
            describe(os_role),
        );
    };
    let now = cardline_issuance::store::sqlite::timestamp::now_ms();
    match authenticate(store, claimed, &password, now)? {
        Ok(user) => Ok(Identity {
            recorded: user.name.clone(),
            role: Some(Some(user.role)),
            how: format!("`{}` (password given)", user.name),
        }),
        Err(refusal) => {
            let why = match refusal {
                Refusal::Unknown | Refusal::WrongPassword => "wrong name or password",
                Refusal::Disabled | Refusal::Locked => "the account is locked or disabled",
            };
            anyhow::bail!(
                "`--operator {claimed}` refused: {why} (the attempt is audited; 5 failures in a \
                 row lock the account for 15 minutes, `cardline users reset-password` lifts it)"
            )
        }
    }
}

/// `--operator`'s password: `CARDLINE_PASSWORD`, else a prompt when standard input is a
/// terminal, else none.
fn read_password(name: &str) -> anyhow::Result<Option<Password>> {
    if let Ok(value) = std::env::var(PASSWORD_ENV) {
        let value = Zeroizing::new(value);
        return Ok(Some(Password::new(value.as_str().to_string())));
    }
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let typed = rpassword::prompt_password(format!("Password of {name}: "))
        .context("cannot read the password")?;
    Ok(Some(Password::new(typed)))
}

/// "the operator role", or "no cardline user account".
fn describe(role: Option<Role>) -> String {
    role.map_or("no cardline user account".to_string(), |r| {
        format!("the {r} role")
    })
}
