//! `cardline` bad input end to end: usage errors exit 2, operational errors exit 1 with
//! `error: ...`, bad options files name the file, line, key, value and allowed range.

use std::process::Output;

use assert_cmd::Command;

fn cardline(home: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cardline"))
        .arg("--home")
        .arg(home)
        .args(args)
        .env_remove("CARDLINE_OPERATOR")
        .env_remove("RUST_LOG")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap()
}

fn code_and_stderr(home: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = cardline(home, args);
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

fn initialised() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    assert!(cardline(home.path(), &["init"]).status.success());
    home
}

#[test]
fn usage_errors_exit_2() {
    let home = initialised();
    for args in [
        &["frobnicate"][..],
        &["request"],
        &["request", "--count", "0"],
        &["request", "--count", "many"],
        &["order", "create"],
        &["order", "create", "--all", "--first", "2"],
        &["order", "create", "--first", "0"],
        &["order", "create", "--allow-fewer", "--all"],
        &["order", "create", "--requester", "ada", "TMP000000018"],
        &["order", "create", "--state", "failed", "--all"],
        &["request", "--count", "2", "--from-csv", "x.csv"],
        &["cards", "search", "--limit", "1001"],
        &["cards", "search", "--sort", "colour"],
        &["cards", "secrets"],
        &["order", "show", "seven"],
        &["cards", "list", "--state", "lost"],
        &["cards", "assign", "TMP000000018"],
        &["completions", "tcsh"],
    ] {
        let (code, err) = code_and_stderr(home.path(), args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.contains("error:") || err.contains("Usage"),
            "{args:?}: {err}"
        );
    }
    let (_, err) = code_and_stderr(home.path(), &["cards", "list", "--state", "lost"]);
    assert!(err.contains("allowed requested, in_production"), "{err}");
}

#[test]
fn operational_errors_exit_1_with_the_cause() {
    let empty = tempfile::tempdir().unwrap();
    let nowhere = empty.path().join("nothing-here");
    let (code, err) = code_and_stderr(&nowhere, &["cards", "list"]);
    assert_eq!(code, Some(1));
    assert!(
        err.starts_with("error: ") && err.contains("cardline --home"),
        "{err}"
    );

    let home = initialised();
    let h = home.path();
    let (code, err) = code_and_stderr(h, &["cards", "show", "TMP000000018"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no card numbered `TMP000000018`"), "{err}");
    // A typo in the check digit is pointed out.
    let (_, err) = code_and_stderr(h, &["cards", "show", "TMP000000017"]);
    assert!(err.contains("wrong check digit"), "{err}");
    assert!(err.contains("caused by: no card numbered"), "{err}");

    assert!(cardline(h, &["request", "--count", "2"]).status.success());
    let (code, err) = code_and_stderr(h, &["cards", "assign", "TMP000000018", "--to", "x"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("only `unassigned` cards can be assigned"),
        "{err}"
    );
    for args in [
        &["cards", "withdraw", "TMP000000018"][..],
        &["cards", "lock", "TMP000000018"],
    ] {
        let (code, err) = code_and_stderr(h, args);
        assert_eq!(code, Some(1), "{args:?}");
        assert!(err.contains("cannot"), "{err}");
    }
    let (code, err) = code_and_stderr(h, &["order", "show", "42"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no order 42"), "{err}");
    let (code, err) = code_and_stderr(h, &["order", "create", "TMP000000018", "TMP000000083"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("TMP000000083"), "{err}");
    assert!(cardline(h, &["order", "create", "--all"]).status.success());
    let (code, err) = code_and_stderr(h, &["order", "create", "--all"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no requested card"), "{err}");
    let (code, err) = code_and_stderr(h, &["order", "create", "TMP000000018"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("in order 1"), "{err}");
    let (code, err) = code_and_stderr(h, &["cards", "expire", "--now", "tomorrow"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("RFC 3339"), "{err}");
}

fn check(file_text: &str) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("profile.toml");
    std::fs::write(&file, file_text).unwrap();
    let out = cardline(dir.path(), &["options", "check", file.to_str().unwrap()]);
    (
        out.status.code(),
        String::from_utf8(out.stderr).unwrap(),
        file.display().to_string(),
    )
}

#[test]
fn bad_options_files_name_file_line_key_value_and_range() {
    for (text, line, key, value, range) in [
        ("pin_length = 5\n", 1, "pin_length", "5", "6–8"),
        ("\npin_length = 9\n", 2, "pin_length", "9", "6–8"),
        ("puk_length = 6\n", 1, "puk_length", "6", "allowed 8"),
        ("validity_days = 0\n", 1, "validity_days", "0", "1–366"),
        (
            "encode = true\nvalidity_days = 400\n",
            2,
            "validity_days",
            "400",
            "1–366",
        ),
        (
            "[numbering]\ndigits = 20\n",
            2,
            "numbering.digits",
            "20",
            "4–12",
        ),
        (
            "[numbering]\nprefix = \"T M P\"\n",
            2,
            "numbering.prefix",
            "\"T M P\"",
            "0–16",
        ),
        (
            "card_profile = \"java\"\n",
            1,
            "card_profile",
            "\"java\"",
            "generic-6-8",
        ),
        (
            "[certificate_profiles.piv-auth]\nslot = \"7f\"\n",
            2,
            "certificate_profiles.piv-auth.slot",
            "\"7f\"",
            "9a, 9c",
        ),
    ] {
        let (code, err, file) = check(text);
        assert_eq!(code, Some(1), "{text}");
        let want = format!("{file}:{line}: `{key} = {value}`");
        assert!(err.contains(&want), "{text}: want {want} in {err}");
        assert!(err.contains(range), "{text}: {err}");
    }
}

#[test]
fn certificates_with_encoding_off_say_so() {
    let (code, err, file) = check("encode = false\ncertificates = [\"piv-auth\"]\n");
    assert_eq!(code, Some(1));
    assert!(err.contains(&format!("{file}:2:")), "{err}");
    assert!(err.contains("certificates need encoding on"), "{err}");
    let (code, _, _) = check("encode = false\ncertificates = []\n");
    assert_eq!(code, Some(0));
}

#[test]
fn syntax_errors_and_unknown_keys_have_lines_and_good_files_pass() {
    let (code, err, file) = check("pin_length = 6\npin_lenght = 7\n");
    assert_eq!(code, Some(1));
    assert!(
        err.contains(&format!("{file}:2:")) && err.contains("pin_lenght"),
        "{err}"
    );
    let (code, err, file) = check("pin_length = \n");
    assert_eq!(code, Some(1));
    assert!(err.contains(&format!("{file}:1:")), "{err}");
    let (code, err, _) = check("pin_length = 8\n[numbering]\nprefix = \"V-\"\ndigits = 6\n");
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = code_and_stderr(
        std::path::Path::new("/tmp"),
        &["options", "check", "/nonexistent/p.toml"],
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("/nonexistent/p.toml"), "{err}");
}

#[test]
fn a_bad_profile_in_the_home_stops_requests_and_json_check_lists_problems() {
    // A home made before profiles lived in the database keeps its options.toml: it becomes the
    // default profile when it is read first, so a bad one stops init and every later command.
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("options.toml"),
        "\n[numbering]\ndigits = 2\n",
    )
    .unwrap();
    let (code, err) = code_and_stderr(home.path(), &["init"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("options.toml:3:") && err.contains("4–12"),
        "{err}"
    );
    let (code, err) = code_and_stderr(home.path(), &["request", "--count", "1"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("options.toml:3:") && err.contains("4–12"),
        "{err}"
    );
    let file = home.path().join("options.toml");
    let out = cardline(
        home.path(),
        &["--json", "options", "check", file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["problems"][0]["line"], 3);
    assert_eq!(v["problems"][0]["key"], "numbering.digits");
}
