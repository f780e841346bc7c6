//! Production a real floor can trust, through the real binary: two processes share an order
//! on disjoint stations and produce every card exactly once; a third naming a station in use
//! is refused with its owner; `recover` while a run is live settles nothing of it; a station
//! whose cards keep failing pauses after three (the breaker) with the others waiting, and the
//! order completes once the operator fixed the station and resumed it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn cardline(home: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cardline"));
    c.arg("--home")
        .arg(home)
        .env("CARDLINE_OPERATOR", "tester")
        .env("CARDLINE_OPERATOR_POLL_MS", "50")
        .env("CARDLINE_RETRY_DELAY_MS", "10")
        .env_remove("RUST_LOG");
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

fn json(home: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(home, &all)).unwrap()
}

fn home_with_order(stations: &str, cards: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    ok(home, &["init"]);
    ok(home, &["keys", "init"]);
    ok(home, &["ca", "init"]);
    std::fs::write(home.join("stations.toml"), stations).unwrap();
    ok(home, &["request", "--count", &cards.to_string()]);
    ok(home, &["order", "create", "--all"]);
    dir
}

/// `order produce 1 --json` with `args`, its JSON lines read on a thread.
struct Producer {
    child: Child,
    lines: std::sync::mpsc::Receiver<Value>,
}

impl Producer {
    fn start(home: &std::path::Path, args: &[&str]) -> Producer {
        let mut child = cardline(home)
            .args(["--json", "order", "produce", "1"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        Producer { child, lines }
    }

    /// Waits for an event matching `pred` (60 s at most), returning it.
    fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(v) if pred(&v) => return v,
                Ok(_) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(_) => break,
            }
        }
        panic!("no {what} event");
    }

    /// Waits for the process; returns its exit code, stderr, and the remaining events.
    fn finish(mut self) -> (Option<i32>, String, Vec<Value>) {
        let status = self.child.wait().unwrap();
        let mut err = String::new();
        std::io::Read::read_to_string(&mut self.child.stderr.take().unwrap(), &mut err).unwrap();
        let rest: Vec<Value> = self.lines.iter().collect();
        (status.code(), err, rest)
    }
}

const FOUR: &str = r#"
[[station]]
name = "s1"
printer = "sim://s1?time_scale=0.02"
reader = "sim"
[[station]]
name = "s2"
printer = "sim://s2?time_scale=0.02"
reader = "sim"
[[station]]
name = "s3"
printer = "sim://s3?time_scale=0.02"
reader = "sim"
[[station]]
name = "s4"
printer = "sim://s4?time_scale=0.02"
reader = "sim"
"#;

#[test]
fn two_processes_share_an_order_a_third_is_refused_and_recover_leaves_live_runs_alone() {
    let dir = home_with_order(FOUR, 16);
    let home = dir.path();
    let a = Producer::start(home, &["--station", "s1", "--station", "s2"]);
    let b = Producer::start(home, &["--station", "s3", "--station", "s4"]);
    a.wait_for("card_started", |e| e["event"] == "card_started");
    b.wait_for("card_started", |e| e["event"] == "card_started");

    // A third process naming a station in use is refused, naming the owner.
    let third = cardline(home)
        .args(["order", "produce", "1", "--station", "s2"])
        .output()
        .unwrap();
    assert_eq!(third.status.code(), Some(1));
    let err = String::from_utf8_lossy(&third.stderr);
    assert!(
        err.contains("station s2 is in use by run") && err.contains("pid "),
        "{err}"
    );
    // Recovery while both runs live: their attempts are reported and left alone.
    let rec = json(home, &["recover"]);
    for o in rec["outcomes"].as_array().unwrap() {
        assert_eq!(
            o["outcome"], "live_run",
            "a live run's attempt was touched: {o}"
        );
    }
    // `stations list` says who drives what.
    let list = json(home, &["stations", "list"]);
    let driven: Vec<bool> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["driven_by"].is_object())
        .collect();
    assert_eq!(driven, [true, true, true, true], "{list}");

    let (code_a, err_a, _) = a.finish();
    let (code_b, err_b, _) = b.finish();
    assert_eq!(code_a, Some(0), "{err_a}");
    assert_eq!(code_b, Some(0), "{err_b}");
    // Every card exactly once: 16 unassigned, 16 succeeded attempts, none voided.
    let cards = json(home, &["cards", "list", "--order", "1"])["cards"].clone();
    let cards = cards.as_array().unwrap();
    assert_eq!(cards.len(), 16);
    let mut total_attempts = 0;
    for c in cards {
        assert_eq!(c["state"], "unassigned", "{c}");
        let shown = json(home, &["cards", "show", c["number"].as_str().unwrap()]);
        let attempts = shown["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), 1, "{shown}");
        assert_eq!(attempts[0]["status"], "succeeded");
        total_attempts += 1;
    }
    assert_eq!(total_attempts, 16);
    // Both runs ended: the stations are free again.
    let list = json(home, &["stations", "list"]);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|s| s["driven_by"].is_null())
    );
}

#[test]
fn a_station_whose_cards_keep_failing_pauses_after_three_and_resumes_when_fixed() {
    let failing = "[[station]]\nname = \"desk-1\"\nprinter = \"sim://desk-1?mute_chips=1,2,3,4,5,6,7,8\"\nreader = \"sim\"\n";
    let dir = home_with_order(failing, 6);
    let home = dir.path();
    let run = Producer::start(home, &[]);
    let paused = run.wait_for("station_paused", |e| {
        e["event"] == "station_paused" && e["until"] == "operator_resumes"
    });
    let reason = paused["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("3 cards in a row rejected while encoding"),
        "{reason}"
    );
    assert!(reason.contains("reader pattern") && reason.contains("stations resume desk-1"));
    // Three blanks, not six: the others wait.
    let failed = json(home, &["cards", "list", "--state", "failed"])["cards"].clone();
    assert_eq!(failed.as_array().unwrap().len(), 3);
    let waiting = json(home, &["cards", "list", "--state", "in_production"])["cards"].clone();
    assert_eq!(waiting.as_array().unwrap().len(), 3);
    let listed = json(home, &["stations", "list"]);
    assert!(
        listed[0]["paused"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("3 cards in a row")
    );
    // The operator fixes the station (good stock) and resumes it; the run re-opens it.
    std::fs::write(
        home.join("stations.toml"),
        "[[station]]\nname = \"desk-1\"\nprinter = \"sim://desk-1\"\nreader = \"sim\"\n",
    )
    .unwrap();
    let resumed = ok(home, &["stations", "resume", "desk-1"]);
    assert!(resumed.contains("resumed"), "{resumed}");
    let (code, err, rest) = run.finish();
    assert_eq!(code, Some(0), "{err}");
    let finished = rest.iter().find(|e| e["event"] == "finished").unwrap();
    assert_eq!(finished["summary"]["produced"], 3);
    assert_eq!(finished["summary"]["failed"], 3);
    // The three rejected cards go round again and the order completes.
    ok(home, &["order", "repeat", "1"]);
    ok(home, &["order", "produce", "1"]);
    ok(home, &["order", "complete", "1"]);
    let audit = json(home, &["audit", "--action", "station."]);
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["station.pause", "station.resume"], "{audit}");
}
