//! `cardline` production commands end to end on simulated stations: stations list/check,
//! order produce (JSON lines), recover, demo --json.

use assert_cmd::Command;
use serde_json::Value;

fn cardline(home: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("cardline").unwrap();
    c.arg("--home").arg(home).env("CARDLINE_OPERATOR", "tester");
    c
}

fn ok(home: &std::path::Path, args: &[&str]) -> String {
    let out = cardline(home).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "cardline {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const STATIONS: &str = r#"
[[station]]
name = "sim-1"
printer = "sim://sim-1?faults=jam@2:printing"
reader = "sim"

[[station]]
name = "sim-2"
printer = "sim://sim-2?link=pty"
reader = "sim"
"#;

#[test]
fn produce_an_order_on_simulated_stations_with_json_events() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    ok(home, &["init"]);
    ok(home, &["keys", "init"]);
    ok(home, &["ca", "init"]);
    std::fs::write(home.join("stations.toml"), STATIONS).unwrap();
    let list: Value = serde_json::from_str(&ok(home, &["--json", "stations", "list"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["name"], "sim-1");
    let check: Value = serde_json::from_str(&ok(home, &["--json", "stations", "check"])).unwrap();
    assert!(
        check
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["problems"].as_array().unwrap().is_empty()),
        "{check}"
    );

    ok(home, &["request", "--count", "5"]);
    ok(home, &["order", "create", "--all"]);
    let out = ok(home, &["--json", "order", "produce", "1"]);
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let last = events.last().unwrap();
    assert_eq!(last["event"], "finished");
    assert_eq!(last["summary"]["produced"], 4);
    assert_eq!(last["summary"]["failed"], 1);
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "card_failed" && e["reason"].as_str().unwrap().contains("jam"))
    );

    // Repeat production, then nothing is left to recover and the order completes.
    ok(home, &["order", "repeat", "1"]);
    let out = ok(home, &["--json", "order", "produce", "1"]);
    let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(last["summary"]["produced"], 1);
    let rec: Value = serde_json::from_str(&ok(home, &["--json", "recover"])).unwrap();
    assert!(rec["outcomes"].as_array().unwrap().is_empty());
    ok(home, &["order", "complete", "1"]);
    let cards: Value = serde_json::from_str(&ok(
        home,
        &["--json", "cards", "list", "--state", "unassigned"],
    ))
    .unwrap();
    assert_eq!(cards["cards"].as_array().unwrap().len(), 5);
    assert_eq!(cards["total"], 5);
}

#[test]
fn produce_without_stations_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    ok(home, &["init"]);
    let out = cardline(home)
        .args(["order", "produce", "99"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no order 99"),
        "the order is checked first: {err}"
    );
    ok(home, &["request", "--count", "1"]);
    ok(home, &["order", "create", "--all"]);
    let out = cardline(home)
        .args(["order", "produce", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no station is configured"), "{err}");
}

#[test]
fn bad_stations_file_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    ok(home, &["init"]);
    std::fs::write(
        home.join("stations.toml"),
        "[[station]]\nname = \"a\"\nprinter = \"zebra://x\"\nreader = \"sim\"\n",
    )
    .unwrap();
    let out = cardline(home).args(["stations", "list"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("stations.toml:3") && err.contains("unknown printer scheme"),
        "{err}"
    );
}

#[test]
fn demo_json_reports_every_card_unassigned() {
    let dir = tempfile::tempdir().unwrap();
    let demo_home = dir.path().join("demo");
    let out = Command::cargo_bin("cardline")
        .unwrap()
        .args(["--json", "demo", "--dir"])
        .arg(&demo_home)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["cards"]["unassigned"], 24, "{summary}");
    assert_eq!(
        summary["repeated"], 2,
        "the jam and the mute chip were repeated"
    );
    let pngs = std::fs::read_dir(demo_home.join("printed").join("desk-1"))
        .unwrap()
        .count();
    assert!(pngs > 0, "PNGs of printed cards");
    // desk-2 is a simulated Magicard behind the real Magicard driver: it produced cards, and
    // its PNGs (rebuilt by the simulator from the Magicard planes) are named after the cards.
    let desk2 = summary["stations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "desk-2")
        .expect("desk-2 in the summary");
    assert!(desk2["produced"].as_u64().unwrap() > 0, "{desk2}");
    let magicard_pngs: Vec<String> = std::fs::read_dir(demo_home.join("printed").join("desk-2"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !magicard_pngs.is_empty() && magicard_pngs.iter().all(|n| n.ends_with(".png")),
        "{magicard_pngs:?}"
    );
    assert!(
        magicard_pngs.iter().all(|n| !n.starts_with("card-")),
        "named after the card numbers: {magicard_pngs:?}"
    );
}

#[test]
fn produce_on_named_stations_only_over_a_pseudo_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    ok(home, &["init"]);
    ok(home, &["keys", "init"]);
    ok(home, &["ca", "init"]);
    std::fs::write(home.join("stations.toml"), STATIONS).unwrap();
    ok(home, &["request", "--count", "2"]);
    ok(home, &["order", "create", "--all"]);
    let out = cardline(home)
        .args(["order", "produce", "1", "--station", "nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no station named `nope`"));
    let out = ok(
        home,
        &["--json", "order", "produce", "1", "--station", "sim-2"],
    );
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let produced: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "card_produced")
        .collect();
    assert_eq!(produced.len(), 2);
    assert!(produced.iter().all(|e| e["station"] == "sim-2"));
}

#[test]
fn print_only_production_needs_no_station_key() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    ok(home, &["init"]);
    ok(home, &["options", "set", "encode", "false"]);
    std::fs::write(
        home.join("stations.toml"),
        "[[station]]\nname = \"p\"\nprinter = \"sim://p\"\nencode = false\n",
    )
    .unwrap();
    let list: Value = serde_json::from_str(&ok(home, &["--json", "stations", "list"])).unwrap();
    assert_eq!(list[0]["reader"], Value::Null, "{list}");
    ok(home, &["request", "--count", "2"]);
    ok(home, &["order", "create", "--all"]);
    let out = ok(home, &["--json", "order", "produce", "1"]);
    let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(last["summary"]["produced"], 2, "{out}");
    assert!(
        !home.join("keys").exists(),
        "no station key was created or needed"
    );
}

#[test]
fn a_station_that_cannot_be_opened_is_left_out_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    ok(home, &["init"]);
    ok(home, &["keys", "init"]);
    ok(home, &["ca", "init"]);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!(
        "[[station]]\nname = \"down\"\nprinter = \"evolis+tcp://{}\"\nreader = \"OMNIKEY\"\n",
        closed.local_addr().unwrap()
    );
    drop(closed);
    let up = "[[station]]\nname = \"up\"\nprinter = \"sim://up\"\nreader = \"sim\"\n\
              [[station]]\nname = \"up-2\"\nprinter = \"sim://up-2\"\nreader = \"sim\"\n";
    std::fs::write(home.join("stations.toml"), format!("{down}{up}")).unwrap();
    ok(home, &["request", "--count", "2"]);
    ok(home, &["order", "create", "--all"]);
    // The order is produced on the station that opened; the exit says a station is missing.
    let out = cardline(home)
        .args(["--json", "order", "produce", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "done, but degraded");
    let out = String::from_utf8(out.stdout).unwrap();
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["event"], "station_left_out", "{out}");
    assert_eq!(events[0]["station"], "down");
    assert_eq!(events[0]["kind"], "missing");
    assert!(
        events[0]["reason"]
            .as_str()
            .unwrap()
            .contains("cannot open"),
        "{out}"
    );
    assert_eq!(events.last().unwrap()["summary"]["produced"], 2);
    // Text mode says it on stderr and in the summary.
    ok(home, &["request", "--count", "1"]);
    ok(home, &["order", "create", "--all"]);
    let text = cardline(home)
        .args(["order", "produce", "2"])
        .output()
        .unwrap();
    assert_eq!(text.status.code(), Some(3));
    let err = String::from_utf8_lossy(&text.stderr);
    assert!(
        err.contains("station down left out: evolis+tcp://"),
        "{err}"
    );
    assert!(err.contains("check these stations: down"), "{err}");
    let summary = String::from_utf8_lossy(&text.stdout);
    assert!(
        summary.contains("1 produced") && summary.contains("MISSING"),
        "{summary}"
    );
    // With no station left, production does not start.
    std::fs::write(home.join("stations.toml"), &down).unwrap();
    let out = cardline(home)
        .args(["order", "produce", "2"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no station is left to produce on"), "{err}");
    assert_eq!(out.status.code(), Some(1));
}
