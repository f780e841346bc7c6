//! Roles on the command line once the database has users (issue 14): `--operator` naming
//! someone else needs the admin role or that person's password, a wrong password counts
//! toward their lockout, and only an admin reveals PINs and PUKs. Without users nothing
//! changes: the home's owner is its administrator.

mod batch_support;
mod temp_home;

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use batch_support::produce;
use serde_json::Value;
use temp_home::{json, ok};

/// Runs `cardline --home HOME ARGS` as OS user `user`, with `CARDLINE_PASSWORD` when given and
/// `stdin` as standard input (never a terminal).
fn run_as(
    home: &tempfile::TempDir,
    user: &str,
    password: Option<&str>,
    stdin: &str,
    args: &[&str],
) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cardline"));
    cmd.arg("--home")
        .arg(home.path())
        .args(args)
        .env_remove("CARDLINE_OPERATOR")
        .env_remove("CARDLINE_PASSWORD")
        .env_remove("RUST_LOG")
        .env("USER", user)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(p) = password {
        cmd.env("CARDLINE_PASSWORD", p);
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok_as(home: &tempfile::TempDir, user: &str, password: Option<&str>, args: &[&str]) -> String {
    let out = run_as(home, user, password, "", args);
    assert!(out.status.success(), "{args:?} as {user}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

fn refused_as(
    home: &tempfile::TempDir,
    user: &str,
    password: Option<&str>,
    args: &[&str],
) -> String {
    let out = run_as(home, user, password, "", args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?} as {user} should be refused; stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr(&out)
}

fn add_user(home: &tempfile::TempDir, name: &str, role: &str) {
    let out = run_as(
        home,
        "tester",
        None,
        &format!("{name}-password-1\n"),
        &["users", "add", name, "--role", role],
    );
    assert!(out.status.success(), "users add {name}: {}", stderr(&out));
}

/// The audit entries (newest 500) as JSON.
fn audit(home: &tempfile::TempDir) -> Vec<Value> {
    json(home, &["audit"]).as_array().unwrap().clone()
}

/// The newest audit entry with `action`.
fn last(entries: &[Value], action: &str) -> Value {
    entries
        .iter()
        .rev()
        .find(|e| e["action"] == action)
        .unwrap_or_else(|| panic!("no `{action}` entry"))
        .clone()
}

#[test]
fn operator_naming_someone_else_needs_the_admin_role_or_their_password() {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);

    // No users yet: no roles; `--operator` is recorded as given, the OS user beside it.
    ok_as(
        &home,
        "tester",
        None,
        &["--operator", "alice", "request", "--count", "1"],
    );
    let entry = last(&audit(&home), "card.request");
    assert_eq!(entry["operator"], "alice");
    assert_eq!(entry["os_user"], "tester");

    add_user(&home, "ada", "admin");
    add_user(&home, "olga", "operator");
    add_user(&home, "audrey", "auditor");

    // Your own name (the OS user) needs nothing.
    ok_as(&home, "olga", None, &["request", "--count", "1"]);
    assert_eq!(last(&audit(&home), "card.request")["operator"], "olga");

    // An operator naming someone else, without their password: refused, nothing written.
    let before = audit(&home).len();
    let err = refused_as(
        &home,
        "olga",
        None,
        &["--operator", "ada", "request", "--count", "1"],
    );
    assert!(
        err.contains("only an admin may record work under another name"),
        "{err}"
    );
    assert!(err.contains("CARDLINE_PASSWORD"), "{err}");
    assert_eq!(
        audit(&home).len(),
        before,
        "a refused command writes nothing"
    );

    // Someone who is no cardline user at all: refused the same way.
    let err = refused_as(
        &home,
        "mallory",
        None,
        &["--operator", "olga", "request", "--count", "1"],
    );
    assert!(err.contains("no cardline user account"), "{err}");

    // The wrong password: refused and counted as a failed login of audrey.
    let err = refused_as(
        &home,
        "olga",
        Some("not-her-password"),
        &["--operator", "audrey", "request", "--count", "1"],
    );
    assert!(err.contains("wrong name or password"), "{err}");
    let users = json(&home, &["users", "list"]);
    let audrey = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "audrey")
        .unwrap();
    assert_eq!(audrey["failed_logins"], 1);
    assert_eq!(last(&audit(&home), "login.failure")["operator"], "audrey");

    // The right password: accepted and recorded as audrey.
    ok_as(
        &home,
        "olga",
        Some("audrey-password-1"),
        &["--operator", "audrey", "request", "--count", "1"],
    );
    let entry = last(&audit(&home), "card.request");
    assert_eq!(entry["operator"], "audrey");
    assert_eq!(entry["os_user"], "olga");

    // An admin may record work under another name without a password; the OS user shows who.
    ok_as(
        &home,
        "ada",
        None,
        &["--operator", "olga", "request", "--count", "1"],
    );
    let entry = last(&audit(&home), "card.request");
    assert_eq!(entry["operator"], "olga");
    assert_eq!(entry["os_user"], "ada");

    // A disabled admin is no admin.
    ok_as(&home, "tester", None, &["users", "disable", "ada"]);
    let err = refused_as(
        &home,
        "ada",
        None,
        &["--operator", "olga", "request", "--count", "1"],
    );
    assert!(err.contains("no cardline user account"), "{err}");
}

#[test]
fn only_an_admin_reveals_pins_once_users_exist() {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    ok(&home, &["request", "--count", "2", "--requester", "Bob"]);
    ok(&home, &["order", "create", "--first", "2"]);
    produce(&home, 1, &[]);
    let cards = json(&home, &["order", "show", "1"]);
    let card = cards["cards"][0]["number"].as_str().unwrap().to_string();

    // Before any user exists the home's owner reveals.
    let shown = ok_as(
        &home,
        "tester",
        None,
        &["--json", "cards", "secrets", &card, "--reveal"],
    );
    let revealed: Value = serde_json::from_str(&shown).unwrap();
    assert!(revealed["pin"].as_str().unwrap().len() >= 6);

    add_user(&home, "ada", "admin");
    add_user(&home, "olga", "operator");

    for (who, role) in [
        ("olga", "the operator role"),
        ("tester", "no cardline user account"),
    ] {
        let err = refused_as(&home, who, None, &["cards", "secrets", &card, "--reveal"]);
        assert!(err.contains("needs the admin role"), "{err}");
        assert!(err.contains(role), "{err}");
        let err = refused_as(
            &home,
            who,
            None,
            &["cards", "secrets", "--order", "1", "--reveal", "--yes"],
        );
        assert!(err.contains("needs the admin role"), "{err}");
    }
    let refused = last(&audit(&home), "secrets.refused");
    assert!(
        refused["reason"].as_str().unwrap().contains("order 1"),
        "{refused}"
    );

    // The admin reveals the same PIN; so does an operator who proves to be the admin.
    let again: Value = serde_json::from_str(&ok_as(
        &home,
        "ada",
        None,
        &["--json", "cards", "secrets", &card, "--reveal"],
    ))
    .unwrap();
    assert_eq!(again["pin"], revealed["pin"]);
    ok_as(
        &home,
        "olga",
        Some("ada-password-1"),
        &["--operator", "ada", "cards", "secrets", &card, "--reveal"],
    );
    let entry = last(&audit(&home), "secrets.reveal");
    assert_eq!(entry["operator"], "ada");
    assert_eq!(entry["os_user"], "olga");
}

#[test]
fn revoking_a_desk_ca_needs_the_admin_role() {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    add_user(&home, "tester", "admin");
    add_user(&home, "oscar", "operator");
    let args = ["ca", "desk-revoke", "--desk", "desk-1"];
    let refused = refused_as(&home, "oscar", None, &args);
    assert!(
        refused.contains("needs the admin role") && refused.contains("desk desk-1"),
        "{refused}"
    );
    // An admin gets past the role check to the store's answer (no desk CA recorded here).
    let refused = refused_as(&home, "tester", None, &args);
    assert!(
        refused.contains("no CA certificate of desk desk-1"),
        "{refused}"
    );
    assert!(
        audit(&home).iter().all(|e| e["action"] != "ca.desk_revoke"),
        "nothing revoked, nothing audited"
    );
}
