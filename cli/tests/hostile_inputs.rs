//! Hostile inputs through the real binary: an emptied database is refused, never recreated;
//! endless files (`/dev/zero`) given as options, stations or request files are refused within
//! their size limits with an error that names the file and the fix, each cause said once.

mod temp_home;

use std::time::{Duration, Instant};

use temp_home::{cardline, fail, ok};

#[test]
fn an_emptied_database_is_refused_and_never_recreated() {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    ok(&home, &["request", "--count", "2"]);
    let db = home.path().join("cardline.db");
    std::fs::write(&db, b"").unwrap();
    for args in [&["order", "list"][..], &["cards", "search"], &["init"]] {
        let err = fail(&home, args);
        assert!(
            err.contains("is not a cardline database")
                && err.contains("the file is empty (0 bytes)"),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("restore it from a backup"),
            "the fix is named: {err}"
        );
        assert_eq!(
            std::fs::metadata(&db).unwrap().len(),
            0,
            "{args:?} left the emptied file alone"
        );
    }
}

#[test]
fn endless_files_are_refused_within_their_limits() {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    let cases: [(&[&str], &str); 3] = [
        (
            &["options", "check", "/dev/zero"],
            "larger than 1 MiB (the limit for an options file)",
        ),
        (
            &["options", "edit", "--file", "/dev/zero"],
            "larger than 1 MiB (the limit for an options file)",
        ),
        (
            &["request", "--from-csv", "/dev/zero"],
            "is larger than 268435456 bytes",
        ),
    ];
    for (args, want) in cases {
        let started = Instant::now();
        let err = fail(&home, args);
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{args:?} gave up reading quickly"
        );
        assert!(
            err.contains("/dev/zero") && err.contains(want),
            "{args:?}: {err}"
        );
        assert!(err.contains("is this the right file?"), "{args:?}: {err}");
        assert_eq!(
            err.matches(want).count(),
            1,
            "the cause is said once, not repeated as its own cause: {err}"
        );
    }
    std::os::unix::fs::symlink("/dev/zero", home.path().join("stations.toml")).unwrap();
    let err = fail(&home, &["stations", "check"]);
    assert!(
        err.contains("stations.toml")
            && err.contains("larger than 1 MiB (the limit for a stations file)"),
        "{err}"
    );
    // Nothing was requested or changed by the refused inputs.
    let out = cardline(&home, &["--json", "cards", "search"]);
    let cards: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cards["total"], 0);
}
