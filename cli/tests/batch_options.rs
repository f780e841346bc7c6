//! Option profiles from the CLI: named profiles, one default, `options set` and `options edit`
//! (in an editor or from a file) validated before saving, every change in `options log` and
//! in the audit with its old and new value.

mod temp_home;

use assert_cmd::Command;
use temp_home::{fail, json, ok};

fn home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    home
}

fn value(home: &tempfile::TempDir, profile: &str, key: &str) -> serde_json::Value {
    json(home, &["options", "show", "--profile", profile])["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"] == key)
        .unwrap_or_else(|| panic!("no key {key}"))
        .clone()
}

#[test]
fn a_change_is_logged_and_audited_with_its_old_and_new_value() {
    let home = home();
    let out = ok(
        &home,
        &["--operator", "admin", "options", "set", "pin_length", "8"],
    );
    assert!(out.contains("pin_length: 6 → 8"), "{out}");
    assert_eq!(value(&home, "default", "pin_length")["value"], 8);
    assert_eq!(value(&home, "default", "pin_length")["source"], "profile");
    assert_eq!(value(&home, "default", "puk_length")["source"], "default");

    let log = json(&home, &["options", "log"]);
    let last = log.as_array().unwrap().last().unwrap();
    assert_eq!(last["profile"], "default");
    assert_eq!(last["key"], "pin_length");
    assert_eq!(last["old_value"], "6");
    assert_eq!(last["new_value"], "8");
    assert_eq!(last["operator"], "admin");
    let text = ok(&home, &["options", "log", "--limit", "1"]);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.contains("admin") && text.contains("pin_length"),
        "{text}"
    );

    let audit = json(&home, &["audit", "--action", "options.change"]);
    let entry = audit.as_array().unwrap().last().unwrap();
    assert_eq!(entry["operator"], "admin");
    assert_eq!(entry["reason"], "profile default: pin_length 6 → 8");

    // An invalid value is refused, says why, and is neither saved nor logged.
    let before = json(&home, &["options", "log"]).as_array().unwrap().len();
    let err = fail(&home, &["options", "set", "pin_length", "5"]);
    assert!(
        err.contains("not saved") && err.contains("pin_length") && err.contains("6–8"),
        "{err}"
    );
    let err = fail(&home, &["options", "set", "colour", "blue"]);
    assert!(err.contains("colour"), "{err}");
    assert_eq!(
        json(&home, &["options", "log"]).as_array().unwrap().len(),
        before
    );
    assert_eq!(value(&home, "default", "pin_length")["value"], 8);
    // Setting the same value again changes nothing.
    let same = ok(&home, &["options", "set", "pin_length", "8"]);
    assert!(same.contains("nothing changed"), "{same}");
}

#[test]
fn named_profiles_one_default_and_encode_false_alone_means_no_certificates() {
    let home = home();
    ok(
        &home,
        &["options", "profile", "create", "visitor-print-only"],
    );
    let set = json(
        &home,
        &[
            "options",
            "set",
            "--profile",
            "visitor-print-only",
            "encode",
            "false",
        ],
    );
    let keys: Vec<&str> = set["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&"encode") && keys.contains(&"certificates"),
        "{set}"
    );
    assert_eq!(
        value(&home, "visitor-print-only", "certificates")["value"],
        serde_json::json!([])
    );
    assert_eq!(
        value(&home, "default", "encode")["value"],
        true,
        "other profiles unchanged"
    );
    let err = fail(
        &home,
        &[
            "options",
            "set",
            "--profile",
            "visitor-print-only",
            "certificates",
            "[\"piv-auth\"]",
        ],
    );
    assert!(
        err.contains("set `encode = true` or `certificates = []`"),
        "{err}"
    );

    ok(
        &home,
        &[
            "options",
            "profile",
            "create",
            "contractor-piv",
            "--from",
            "default",
        ],
    );
    let err = fail(&home, &["options", "profile", "create", "contractor-piv"]);
    assert!(err.contains("exists already"), "{err}");
    let err = fail(&home, &["options", "profile", "create", "bad name"]);
    assert!(err.contains("not allowed"), "{err}");
    let list = json(&home, &["options", "profiles"]);
    let names: Vec<(&str, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                p["is_default"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("contractor-piv", false),
            ("default", true),
            ("visitor-print-only", false)
        ]
    );
    ok(&home, &["options", "profile", "default", "contractor-piv"]);
    let text = ok(&home, &["options", "profiles"]);
    let line = text
        .lines()
        .find(|l| l.starts_with("contractor-piv"))
        .unwrap();
    assert!(line.contains('*'), "{text}");
    let shown = json(&home, &["options", "show"]);
    assert_eq!(shown["profile"], "contractor-piv");
    let err = fail(&home, &["options", "show", "--profile", "nope"]);
    assert!(
        err.contains("known: contractor-piv, default, visitor-print-only"),
        "{err}"
    );
    // The default profile's numbering is the one requests use.
    ok(&home, &["options", "set", "numbering.prefix", "CON"]);
    let made = json(&home, &["request", "--count", "1"]);
    assert!(made["first"].as_str().unwrap().starts_with("CON"), "{made}");
}

/// An editor: a shell script that runs `sed` on the file it is given.
fn editor(home: &tempfile::TempDir, name: &str, sed: &str) -> String {
    let path = home.path().join(name);
    std::fs::write(&path, format!("#!/bin/sh\nsed -i '{sed}' \"$1\"\n")).unwrap();
    let mut perm = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&path, perm).unwrap();
    path.display().to_string()
}

fn edit(home: &tempfile::TempDir, editor: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cardline"))
        .arg("--home")
        .arg(home.path())
        .args(["options", "edit"])
        .env("USER", "tester")
        .env_remove("VISUAL")
        .env("EDITOR", editor)
        .output()
        .unwrap()
}

#[test]
fn edit_validates_before_saving_in_an_editor_or_from_a_file() {
    let home = home();
    let good = editor(
        &home,
        "good.sh",
        "s/^# validity_days = 14/validity_days = 30/",
    );
    let out = edit(&home, &good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("validity_days: 14 → 30"), "{text}");
    assert_eq!(value(&home, "default", "validity_days")["value"], 30);
    let log = json(&home, &["options", "log"]);
    assert_eq!(log.as_array().unwrap().last().unwrap()["new_value"], "30");

    // An invalid result: the problems are shown, nothing is saved (no terminal to ask on).
    let bad = editor(
        &home,
        "bad.sh",
        "s/^validity_days = 30/validity_days = 400/",
    );
    let out = edit(&home, &bad);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("validity_days") && err.contains("1–366") && err.contains("not changed"),
        "{err}"
    );
    assert_eq!(value(&home, "default", "validity_days")["value"], 30);
    // An editor that changes nothing saves nothing.
    let unchanged = editor(&home, "same.sh", "s/x/x/");
    let out = edit(&home, &unchanged);
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing changed"));

    let file = home.path().join("new.toml");
    std::fs::write(&file, "pin_length = 7\n").unwrap();
    let replaced = json(
        &home,
        &["options", "edit", "--file", file.to_str().unwrap()],
    );
    let changes = replaced["changes"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c["key"] == "pin_length" && c["old"] == "6" && c["new"] == "7"),
        "{replaced}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c["key"] == "validity_days" && c["new"] == "14"),
        "removing a key returns it to its default: {replaced}"
    );
    std::fs::write(&file, "pin_length = 9\n").unwrap();
    let err = fail(
        &home,
        &["options", "edit", "--file", file.to_str().unwrap()],
    );
    assert!(err.contains("not saved") && err.contains(":1:"), "{err}");
    assert_eq!(value(&home, "default", "pin_length")["value"], 7);
}
