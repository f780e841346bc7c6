//! Running the real `cardline` binary on a temporary home, shared by the CLI tests.
#![allow(dead_code)]

use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// Runs `cardline --home HOME ARGS...` as user `tester`, without the caller's operator or log
/// settings, and returns its output.
pub fn cardline(home: &tempfile::TempDir, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cardline"))
        .arg("--home")
        .arg(home.path())
        .args(args)
        .env_remove("CARDLINE_OPERATOR")
        .env_remove("CARDLINE_PASSWORD")
        .env_remove("RUST_LOG")
        .env("USER", "tester")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap()
}

/// Runs a command that must succeed; returns its standard output.
pub fn ok(home: &tempfile::TempDir, args: &[&str]) -> String {
    let out = cardline(home, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command with `--json` that must succeed; returns the parsed output.
pub fn json(home: &tempfile::TempDir, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(home, &all)).unwrap()
}

/// Runs a command that must fail operationally (exit 1); returns its standard error.
pub fn fail(home: &tempfile::TempDir, args: &[&str]) -> String {
    let out = cardline(home, args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?} should fail with 1: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}
