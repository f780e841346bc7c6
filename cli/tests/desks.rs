//! Desk daemons through the real binary on one SQLite home: two `desk run` processes share
//! a released order and every card is produced exactly once; a desk SIGKILLed mid-run and
//! started again takes its stations back, settles the card it held, and the order still ends
//! with every card produced once; SIGTERM finishes the cards in hand and exits 0; `desks`
//! lists desks with their stations; release and cancel of one order racing end consistent; a
//! desk registers the office's management-key master as it starts and one with another master
//! is refused.

use std::collections::HashMap;
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
        .env("CARDLINE_DESK_RETRY_MS", "100")
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

fn stations(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| {
            format!("[[station]]\nname = \"{n}\"\nprinter = \"sim://{n}?time_scale=0.05\"\nreader = \"sim\"\n")
        })
        .collect()
}

/// A home with keys, a CA, `cards` requested cards in order 1, and two stations files.
fn home(cards: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    ok(home, &["init"]);
    ok(home, &["keys", "init"]);
    ok(home, &["ca", "init"]);
    std::fs::write(home.join("desk-a.toml"), stations(&["a1", "a2"])).unwrap();
    std::fs::write(home.join("desk-b.toml"), stations(&["b1", "b2"])).unwrap();
    ok(home, &["request", "--count", &cards.to_string()]);
    ok(home, &["order", "create", "--all"]);
    dir
}

/// A `desk run --json` process with its JSON lines read on a thread.
struct DeskProcess {
    child: Child,
    lines: std::sync::mpsc::Receiver<Value>,
}

impl DeskProcess {
    fn start(home: &std::path::Path, desk: &str) -> DeskProcess {
        let file = home.join(format!("{desk}.toml"));
        let mut child = cardline(home)
            .args([
                "--json",
                "desk",
                "run",
                "--desk",
                desk,
                "--idle-poll-ms",
                "50",
            ])
            .arg("--stations")
            .arg(&file)
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
        let desk = DeskProcess { child, lines };
        desk.wait_for("desk_started", |v| v["event"] == "desk_started");
        desk
    }

    fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(v) if pred(&v) => return v,
                Ok(_) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(_) => break,
            }
        }
        panic!("no {what} event");
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// SIGTERM, then the exit code and the remaining events.
    fn stop(mut self) -> (Option<i32>, Vec<Value>) {
        self.signal("-TERM");
        let status = self.child.wait().unwrap();
        let rest: Vec<Value> = self.lines.iter().collect();
        (status.code(), rest)
    }

    fn kill(mut self) {
        self.signal("-KILL");
        let _ = self.child.wait();
    }
}

/// Polls until every card of order 1 is in a final production state.
fn wait_until_produced(home: &std::path::Path, cards: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let order = json(home, &["order", "show", "1"]);
        let done = order["cards"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["state"] == "unassigned")
            .count();
        if done == cards {
            return order;
        }
        assert!(Instant::now() < deadline, "only {done} of {cards} produced");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Each card's `card.produced` audit entries, and the station of every attempt begun.
fn produced_once(home: &std::path::Path, cards: usize) -> Vec<String> {
    let produced = json(home, &["audit", "--action", "card.produced"]);
    let mut per_card: HashMap<String, usize> = HashMap::new();
    for e in produced.as_array().unwrap() {
        *per_card
            .entry(e["card_number"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(per_card.len(), cards, "every card produced");
    assert!(
        per_card.values().all(|n| *n == 1),
        "no card produced twice: {per_card:?}"
    );
    let begun = json(home, &["audit", "--action", "attempt.begin"]);
    begun
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let reason = e["reason"].as_str().unwrap();
            reason
                .split("on station ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn two_desks_share_a_released_order_and_stop_cleanly() {
    let dir = home(24);
    let home = dir.path();
    let a = DeskProcess::start(home, "desk-a");
    let b = DeskProcess::start(home, "desk-b");
    let listed = json(home, &["desks"]);
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["desk"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["desk-b", "desk-a"]);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["state"] == "idle")
    );
    assert_eq!(
        listed[1]["stations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["a1", "a2"]
    );
    // Nothing is produced until the order is released.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        json(home, &["order", "show", "1"])["cards"][0]["state"],
        "in_production"
    );
    ok(home, &["order", "release", "1"]);
    wait_until_produced(home, 24);
    let stations = produced_once(home, 24);
    assert!(
        stations.iter().any(|s| s.starts_with('a')) && stations.iter().any(|s| s.starts_with('b')),
        "both desks took part: {stations:?}"
    );
    let (code_a, rest_a) = a.stop();
    let (code_b, rest_b) = b.stop();
    assert_eq!(
        (code_a, code_b),
        (Some(0), Some(0)),
        "SIGTERM is a clean stop"
    );
    let produced: u64 = [rest_a, rest_b]
        .iter()
        .map(|rest| {
            let stopped = rest
                .iter()
                .find(|v| v["event"] == "desk_stopped")
                .expect("the desk says it stopped");
            stopped["summary"]["produced"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(produced, 24, "the desks' own counts add up");
    assert_eq!(
        json(home, &["desks"]),
        Value::Array(vec![]),
        "stopped desks end their runs"
    );
}

#[test]
fn a_desk_killed_mid_run_and_restarted_leaves_every_card_produced_once() {
    let dir = home(40);
    let home = dir.path();
    let a = DeskProcess::start(home, "desk-a");
    let b = DeskProcess::start(home, "desk-b");
    ok(home, &["order", "release", "1"]);
    // Kill desk A in the middle of a card.
    a.wait_for("a card produced on desk A", |v| {
        v["event"] == "card_produced"
    });
    a.wait_for("a card started on desk A", |v| v["event"] == "card_started");
    a.kill();
    let again = DeskProcess::start(home, "desk-a");
    wait_until_produced(home, 40);
    produced_once(home, 40);
    // What desk A had in hand was settled by its restart (voided: a new blank was used).
    let recovered = json(home, &["audit", "--action", "attempt.void"]);
    assert!(
        recovered.as_array().unwrap().iter().any(|e| e["reason"]
            .as_str()
            .unwrap()
            .contains("recovered after a crash")),
        "the killed desk's card in hand is settled: {recovered}"
    );
    let listed = json(home, &["desks"]);
    assert_eq!(
        listed.as_array().unwrap().len(),
        2,
        "the killed run is ended once its work is settled: {listed}"
    );
    let (code_a, _) = again.stop();
    let (code_b, _) = b.stop();
    assert_eq!((code_a, code_b), (Some(0), Some(0)));
    let order = json(home, &["order", "complete", "1"]);
    assert_eq!(order["state"], "completed");
    // Each desk wrote its own audit chain; the kill broke none of them.
    let report = json(home, &["audit", "verify"]);
    assert!(
        report["findings"].as_array().unwrap().is_empty(),
        "{report}"
    );
    let writers = report["writers"].as_object().unwrap();
    for desk in ["/desk-a", "/desk-b"] {
        assert!(writers.keys().any(|w| w.ends_with(desk)), "{report}");
    }
}

#[test]
fn release_and_cancel_racing_end_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    ok(home, &["init"]);
    for id in 1..=6 {
        ok(home, &["request", "--count", "3"]);
        ok(home, &["order", "create", "--all"]);
        let release = cardline(home)
            .args(["order", "release", &id.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let cancel = cardline(home)
            .args(["order", "cancel", &id.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let released = release.wait_with_output().unwrap();
        let cancelled = cancel.wait_with_output().unwrap();
        assert!(
            cancelled.status.success(),
            "cancel of an open order succeeds"
        );
        let order = json(home, &["order", "show", &id.to_string()]);
        assert_eq!(order["state"], "cancelled");
        let audit = json(home, &["audit", "--order", &id.to_string()]);
        let actions: Vec<&str> = audit
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .filter(|a| a.starts_with("order."))
            .collect();
        if released.status.success() {
            assert!(
                order["released_at"].is_string(),
                "a release that succeeded is recorded"
            );
            let r = actions.iter().position(|a| *a == "order.release").unwrap();
            let c = actions.iter().position(|a| *a == "order.cancel").unwrap();
            assert!(r < c, "the release came first: {actions:?}");
        } else {
            let err = String::from_utf8_lossy(&released.stderr);
            assert!(
                err.contains("cancelled"),
                "a refused release says why: {err}"
            );
            assert!(!actions.contains(&"order.release"), "{actions:?}");
        }
    }
}

#[test]
fn a_desk_registers_its_master_at_start_and_one_with_another_is_refused() {
    let dir = home(2);
    let home = dir.path();
    // The first desk registers the office's management-key master as it starts, before any
    // order is released, so no card's attempt does it.
    let a = DeskProcess::start(home, "desk-a");
    let (code, _) = a.stop();
    assert_eq!(code, Some(0));
    let registered = json(home, &["audit", "--action", "key.register"]);
    let registered = registered.as_array().unwrap();
    assert_eq!(registered.len(), 1, "{registered:?}");
    assert_eq!(registered[0]["card_number"], Value::Null, "{registered:?}");
    let reason = registered[0]["reason"].as_str().unwrap();
    assert!(reason.contains("registered by a desk"), "{reason}");
    // Another master in this home (as if a desk had kept an old one): the desk refuses to
    // start, names both key ids and the fix, and claims no station.
    let other = tempfile::tempdir().unwrap();
    ok(other.path(), &["init"]);
    ok(other.path(), &["keys", "init"]);
    let master = home.join("keys").join("management-master.key");
    std::fs::copy(
        other.path().join("keys").join("management-master.key"),
        &master,
    )
    .unwrap();
    let out = cardline(home)
        .args(["desk", "run", "--desk", "desk-b", "--stations"])
        .arg(home.join("desk-b.toml"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("management-master") && said.contains("ca desk-import"),
        "{said}"
    );
    let first_id = reason.split_whitespace().nth(3).unwrap();
    assert!(
        said.contains(first_id),
        "names the registered key id: {said}"
    );
    assert_eq!(json(home, &["desks"]), Value::Array(vec![]), "no run left");
}
