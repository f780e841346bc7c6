//! `cardline doctor` through the real binary: a ready home on a simulated station, then each
//! check's problem path — a printer with its feeder empty, with no ribbon, with its reject box
//! full, a printer that does not open, a missing pcscd (pcsc-lite pointed at a socket that does
//! not exist), a world-readable key file, an unreachable database (missing, not a database,
//! newer than the binary), a clock not synchronised; and `desk run` refusing a database whose
//! schema is newer than the binary.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// Runs `cardline --home HOME ARGS`, with a fake timedatectl answering `sync` (yes / no).
fn cardline(home: &Path, sync: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    let fake = home.with_extension(format!("timedatectl-{sync}"));
    if !fake.exists() {
        std::fs::write(&fake, format!("#!/bin/sh\necho {sync}\n")).unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut c = Command::new(env!("CARGO_BIN_EXE_cardline"));
    c.arg("--home")
        .arg(home)
        .args(args)
        .env("CARDLINE_OPERATOR", "tester")
        .env("CARDLINE_TIMEDATECTL", &fake)
        .env_remove("RUST_LOG")
        .timeout(std::time::Duration::from_secs(60));
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn setup(home: &Path, args: &[&str]) {
    let out = cardline(home, "yes", &[], args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A home with database, keys and CA, and the given stations file.
fn ready_home(stations: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    setup(&home, &["init"]);
    setup(&home, &["keys", "init"]);
    setup(&home, &["ca", "init"]);
    std::fs::write(home.join("stations.toml"), stations).unwrap();
    dir
}

const SIM_STATION: &str = "[[station]]\nname = \"s1\"\nprinter = \"sim://s1\"\nreader = \"sim\"\n";

/// `doctor --json`: the report and the exit code.
fn doctor(home: &Path, sync: &str, env: &[(&str, &str)]) -> (Value, Option<i32>, String) {
    let out = cardline(home, sync, env, &["--json", "doctor"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json printed no JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        report,
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn check<'a>(report: &'a Value, family: &str, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["family"] == family && c["name"] == name)
        .unwrap_or_else(|| panic!("no {family}/{name} in {report:#}"))
}

fn level(report: &Value, family: &str, name: &str) -> String {
    check(report, family, name)["level"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A pcsc-lite socket path where no pcscd listens.
fn no_pcscd(dir: &Path) -> String {
    dir.join("no-pcscd.comm").display().to_string()
}

#[test]
fn a_ready_home_on_a_simulated_station_is_ok_in_order_and_the_text_names_each_check() {
    let dir = ready_home(SIM_STATION);
    let home = dir.path().join("home");
    let (report, code, stderr) = doctor(&home, "yes", &[]);
    for (family, name) in [
        ("home", "directory"),
        ("home", "database"),
        ("keys", "station.key"),
        ("keys", "management-master.key"),
        ("ca", "certificate"),
        ("ca", "key"),
        ("options", "profile"),
        ("station", "s1 printer"),
        ("station", "s1 reader"),
        ("clock", "sync"),
    ] {
        assert_eq!(
            level(&report, family, name),
            "ok",
            "{family}/{name}: {report:#}"
        );
    }
    assert!(
        check(&report, "station", "s1 printer")["detail"]
            .as_str()
            .unwrap()
            .contains("ready, cover closed, feeder loaded"),
        "{report:#}"
    );
    // The families come in the documented order.
    let families: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["family"].as_str().unwrap())
        .collect();
    let mut order = families.clone();
    order.dedup();
    assert_eq!(
        order,
        [
            "home", "keys", "ca", "options", "pcscd", "station", "usb", "clock"
        ]
    );
    // pcscd decides the exit code: without it running here, that is the one problem.
    let pcscd = level(&report, "pcscd", "service");
    if pcscd == "problem" {
        cardline_device::skipped!(
            "pcscd not running: the pcscd ok path is not checked here (run under scripts/with-pcscd.sh)"
        );
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stderr.contains("1 problem(s) stop production"), "{stderr}");
    } else {
        assert_eq!(pcscd, "ok", "{report:#}");
        // Readers listed (ok) or none plugged in (a warning): neither stops production.
        let readers = level(&report, "pcscd", "readers");
        assert!(readers == "ok" || readers == "warning", "{report:#}");
        assert_eq!(code, Some(0), "{stderr}");
    }

    // The text form: one line per check, the level first.
    let out = cardline(&home, "yes", &[], &["doctor"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("ok       station  s1 printer: "), "{text}");
    assert!(text.contains("ok       keys     station.key: "), "{text}");
    assert!(text.contains(" ok, "), "{text}");
}

#[test]
fn a_missing_pcscd_is_a_problem_that_says_to_start_it() {
    let dir = ready_home(SIM_STATION);
    let home = dir.path().join("home");
    let sock = no_pcscd(dir.path());
    let (report, code, stderr) = doctor(&home, "yes", &[("PCSCLITE_CSOCK_NAME", &sock)]);
    let c = check(&report, "pcscd", "service");
    assert_eq!(c["level"], "problem", "{report:#}");
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("pcscd is not running")
    );
    assert!(c["fix"].as_str().unwrap().contains("pcscd"));
    assert_eq!(code, Some(1), "{stderr}");
    // A simulated station does not need pcscd: it is still ok.
    assert_eq!(level(&report, "station", "s1 printer"), "ok");
}

#[test]
fn printer_status_problems_name_what_to_fix_and_stop_production() {
    let stations = "[[station]]\nname = \"empty\"\nprinter = \"sim://empty?feeder=0\"\nreader = \"sim\"\n\
                    [[station]]\nname = \"bare\"\nprinter = \"sim://bare?faults=no-ribbon\"\nreader = \"sim\"\n\
                    [[station]]\nname = \"full\"\nprinter = \"sim://full?faults=reject-box-full\"\nreader = \"sim\"\n\
                    [[station]]\nname = \"low\"\nprinter = \"sim://low?ribbon=5\"\nreader = \"sim\"\n\
                    [[station]]\nname = \"gone\"\nprinter = \"evolis+tcp://127.0.0.1:1\"\nencode = false\n\
                    [[station]]\nname = \"mc\"\nprinter = \"sim://mc?family=magicard&feeder=0\"\nreader = \"sim\"\n";
    let dir = ready_home(stations);
    let home = dir.path().join("home");
    let (report, code, _) = doctor(&home, "yes", &[]);
    let expect = |station: &str, lvl: &str, detail: &str, fix: &str| {
        let c = check(&report, "station", &format!("{station} printer"));
        assert_eq!(c["level"], lvl, "{c:#}");
        assert!(c["detail"].as_str().unwrap().contains(detail), "{c:#}");
        assert!(c["fix"].as_str().unwrap().contains(fix), "{c:#}");
    };
    expect("empty", "problem", "feeder empty", "load blank cards");
    expect("bare", "problem", "no ribbon", "install a ribbon");
    expect("full", "problem", "reject box full", "empty the reject box");
    expect("low", "warning", "ribbon: 5 prints left", "new ribbon");
    expect("gone", "problem", "does not open", "stations.toml");
    // The other printer family, through its own driver.
    expect(
        "mc",
        "problem",
        "Rio Pro 360 at sim://mc",
        "load blank cards",
    );
    assert_eq!(level(&report, "station", "mc reader"), "ok");
    assert_eq!(code, Some(1));
}

#[test]
fn a_world_readable_key_file_is_a_problem() {
    let dir = ready_home(SIM_STATION);
    let home = dir.path().join("home");
    let key = home.join("keys/station.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (report, code, _) = doctor(&home, "yes", &[]);
    let c = check(&report, "keys", "station.key");
    assert_eq!(c["level"], "problem", "{c:#}");
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("mode 644: every user of this PC can read the key"),
        "{c:#}"
    );
    assert_eq!(
        c["fix"].as_str().unwrap().split(',').next().unwrap(),
        format!("chmod 600 {}", key.display())
    );
    assert_eq!(level(&report, "keys", "management-master.key"), "ok");
    assert_eq!(code, Some(1));
    // Fixed as told, the check passes.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (report, _, _) = doctor(&home, "yes", &[]);
    assert_eq!(level(&report, "keys", "station.key"), "ok");
}

#[test]
fn an_unreachable_database_is_a_problem_and_the_checks_that_need_it_say_so() {
    let dir = tempfile::tempdir().unwrap();
    // No home at all.
    let missing = dir.path().join("nowhere");
    let (report, code, _) = doctor(&missing, "yes", &[]);
    assert_eq!(level(&report, "home", "directory"), "problem");
    assert_eq!(level(&report, "home", "database"), "problem");
    assert_eq!(code, Some(1));
    assert!(!missing.exists(), "doctor must not create the home");

    // A home whose database is not a database: refused, never recreated.
    let home = dir.path().join("garbage");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(
        home.join("cardline.db"),
        b"not a database at all, but long enough",
    )
    .unwrap();
    let (report, code, _) = doctor(&home, "yes", &[]);
    let c = check(&report, "home", "database");
    assert_eq!(c["level"], "problem", "{c:#}");
    assert!(c["fix"].as_str().unwrap().contains("backup"), "{c:#}");
    assert_eq!(level(&report, "options", "profile"), "warning");
    assert!(
        check(&report, "options", "profile")["detail"]
            .as_str()
            .unwrap()
            .contains("not checked: the database is not usable")
    );
    assert_eq!(code, Some(1));

    // A database that cannot be opened: a directory where the file should be.
    let home = dir.path().join("dir-db");
    std::fs::create_dir_all(home.join("cardline.db")).unwrap();
    let (report, _, _) = doctor(&home, "yes", &[]);
    assert_eq!(level(&report, "home", "database"), "problem");
}

#[test]
fn a_database_newer_than_the_binary_is_a_problem_and_desk_run_refuses_it() {
    let dir = ready_home(SIM_STATION);
    let home = dir.path().join("home");
    let db = home.join("cardline.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("UPDATE schema_version SET version = 9999", [])
        .unwrap();
    let (report, code, _) = doctor(&home, "yes", &[]);
    let c = check(&report, "home", "database");
    assert_eq!(c["level"], "problem", "{c:#}");
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("database schema version 9999 is newer than this cardline"),
        "{c:#}"
    );
    assert!(c["fix"].as_str().unwrap().contains("upgrade cardline"));
    assert_eq!(code, Some(1));

    let out = cardline(&home, "yes", &[], &["desk", "run", "--desk", "d1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("database schema version 9999 is newer than this cardline")
            && stderr.contains("upgrade cardline"),
        "{stderr}"
    );
    // Refused without touching it.
    let version: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 9999);
}

#[test]
fn a_clock_that_is_not_synchronised_is_a_warning_only() {
    let dir = ready_home(SIM_STATION);
    let home = dir.path().join("home");
    let (report, _, _) = doctor(&home, "no", &[]);
    let c = check(&report, "clock", "sync");
    assert_eq!(c["level"], "warning", "{c:#}");
    assert!(c["detail"].as_str().unwrap().contains("not synchronised"));
    assert!(c["fix"].as_str().unwrap().contains("NTP"));
}
