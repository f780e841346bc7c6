//! Fixes found by walking through the CLI as a new user and a careless operator would: text
//! from outside cannot rewrite the terminal, a closed pipe ends quietly, no colour codes when
//! stderr is not a terminal, the audit filter is not the global `--operator`, card numbers in
//! any case.

mod temp_home;

use std::io::Read;
use std::process::{Command, Stdio};

use temp_home::{cardline, json, ok};

fn home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    home
}

#[test]
fn an_operator_name_with_terminal_escapes_is_shown_escaped() {
    let home = home();
    let evil = "Mallory\u{1b}[2J\u{1b}]0;pwned\u{7}";
    ok(&home, &["--operator", evil, "request", "--count", "1"]);
    let text = ok(&home, &["audit"]);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("Mallory\\u{1b}[2J"), "{text}");
    // JSON keeps the exact value (escaped by JSON itself).
    let entries = json(&home, &["audit"]);
    let request = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "card.request")
        .unwrap();
    assert_eq!(request["operator"], evil);
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    let home = home();
    ok(&home, &["request", "--count", "3000"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cardline"))
        .arg("--home")
        .arg(home.path())
        .args(["audit"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one chunk, then close our end, as `| head -1` does.
    let mut first = [0u8; 64];
    let n = child.stdout.as_mut().unwrap().read(&mut first).unwrap();
    assert!(n > 0);
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "exit {status}: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
}

#[test]
fn logs_carry_no_colour_codes_when_stderr_is_not_a_terminal() {
    let home = home();
    let out = cardline(&home, &["-vv", "request", "--count", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("INFO") || err.contains("DEBUG"),
        "some log lines: {err}"
    );
    assert!(!err.contains('\u{1b}'), "{err:?}");
}

#[test]
fn audit_filters_by_who_did_it_apart_from_the_global_operator() {
    let home = home();
    ok(&home, &["--operator", "alice", "request", "--count", "2"]);
    ok(&home, &["--operator", "bob", "request", "--count", "1"]);
    // `--operator carol` says who reads; `--by alice` filters the entries.
    let alice = json(&home, &["--operator", "carol", "audit", "--by", "alice"]);
    assert_eq!(alice.as_array().unwrap().len(), 2);
    assert!(
        alice
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["operator"] == "alice")
    );
    let requests = json(&home, &["audit", "--action", "card."]);
    assert_eq!(requests.as_array().unwrap().len(), 3);
}
