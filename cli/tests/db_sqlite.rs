//! `cardline db status | migrate` on the home's SQLite file, the database URL chosen by option,
//! environment or the home's config.toml, and bad URLs refused with the forms to write.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn cardline(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cardline"))
        .arg("--home")
        .arg(home)
        .args(args)
        .env("CARDLINE_OPERATOR", "tester")
        .env_remove("CARDLINE_DATABASE")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn json(home: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = cardline(home, &all);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn stderr_of_failure(home: &Path, args: &[&str]) -> String {
    let out = cardline(home, args);
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn db_status_and_migrate_on_the_homes_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let status = json(&home, &["db", "status"]);
    assert_eq!(status["backend"], "sqlite");
    assert_eq!(status["source"], "home");
    assert_eq!(status["schema_version"], 0);
    let latest = status["latest"].as_i64().unwrap();
    assert_eq!(status["pending"].as_array().unwrap().len() as i64, latest);

    let migrated = json(&home, &["db", "migrate"]);
    assert_eq!(
        (migrated["from"].as_i64(), migrated["to"].as_i64()),
        (Some(0), Some(latest))
    );
    assert!(home.join("cardline.db").is_file());
    let status = json(&home, &["db", "status"]);
    assert_eq!(status["schema_version"], latest);
    assert!(status["pending"].as_array().unwrap().is_empty());

    // A file from a newer cardline: status says so; opening and migrating refuse it.
    let conn = rusqlite::Connection::open(home.join("cardline.db")).unwrap();
    conn.execute("UPDATE schema_version SET version = ?1", [latest + 1])
        .unwrap();
    drop(conn);
    let status = json(&home, &["db", "status"]);
    assert_eq!(status["too_new"], true);
    for args in [&["cards", "list"][..], &["db", "migrate"][..]] {
        let err = stderr_of_failure(&home, args);
        assert!(
            err.contains("newer than this cardline") && err.contains("upgrade cardline"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn the_database_url_comes_from_the_option_the_environment_or_config_toml() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let other = dir.path().join("elsewhere.db");
    let url = format!("sqlite:{}", other.display());
    let out = json(home, &["--database", &url, "db", "migrate"]);
    assert_eq!(out["backend"], "sqlite");
    assert!(other.is_file() && !home.join("cardline.db").exists());
    std::fs::write(home.join("config.toml"), format!("database = \"{url}\"\n")).unwrap();
    let status = json(home, &["db", "status"]);
    assert_eq!(status["source"], "config_file");
    assert_eq!(status["database"], other.display().to_string());

    let err = stderr_of_failure(home, &["--database", "mysql://db/x", "cards", "list"]);
    assert!(
        err.contains("--database")
            && err.contains("unknown scheme `mysql`")
            && err.contains("postgres://USER:PASSWORD@HOST:PORT/DATABASE"),
        "{err}"
    );
    std::fs::write(home.join("config.toml"), "database = [1]\n").unwrap();
    let err = stderr_of_failure(home, &["db", "status"]);
    assert!(
        err.contains("config.toml") && err.contains("must be a string"),
        "{err}"
    );
    let err = stderr_of_failure(
        home,
        &[
            "--database",
            "postgres://u@h/d?sslmode=bogus",
            "db",
            "status",
        ],
    );
    assert!(err.contains("sslmode"), "{err}");
}
