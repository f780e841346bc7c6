//! Both printer families through the binary, as an operator runs it: `printer status` and
//! `printer test-card` against a separate `cardline sim printer --family magicard` process
//! (TCP and a pseudo-terminal), and an order printed by `order produce` on a mixed line that
//! `cardline sim serve --stations 2 --magicard 1` serves on pseudo-terminals (an Evolis and a
//! Magicard, each behind its real driver and the serial link).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command as Process, Stdio};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin;
use serde_json::Value;

/// A running `cardline sim …` child; killed (by its own pid) on drop.
struct SimProcess {
    child: Child,
    first: String,
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cardline <args>` and reads its stdout until `done` says the text so far is complete.
fn start(args: &[&str], done: impl Fn(&str) -> bool) -> SimProcess {
    let mut child = Process::new(cargo_bin("cardline"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cardline");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    while !done(&text) {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "{args:?} printed {text:?}"
        );
        text.push_str(&line);
    }
    // keep the pipe drained so the child never blocks on a full pipe
    std::thread::spawn(move || {
        let _ = out.read_to_end(&mut Vec::new());
    });
    SimProcess { child, first: text }
}

fn cardline(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("cardline")
        .unwrap()
        .arg("--home")
        .arg(home)
        .env("CARDLINE_OPERATOR", "tester")
        .env("CARDLINE_RETRY_DELAY_MS", "10")
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap()
}

fn json(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn magicard_status_then_test_card(endpoint: &str) {
    let home = tempfile::tempdir().unwrap();
    let pngs = tempfile::tempdir().unwrap();
    let png_dir = pngs.path().display().to_string();
    let mut args = vec![
        "sim",
        "printer",
        "--family",
        "magicard",
        "--png-dir",
        &png_dir,
    ];
    args.extend(endpoint.split(' '));
    let sim = start(&args, |t| t.ends_with('\n'));
    let uri = sim.first.trim().to_string();
    assert!(uri.starts_with("magicard+"), "sim printed {uri:?}");
    let status = json(&cardline(
        home.path(),
        &["--json", "printer", "status", &uri],
    ));
    assert_eq!(status["ready"], true, "{status}");
    assert_eq!(status["status"]["model"], "Rio Pro 360");
    assert_eq!(status["status"]["faults"], serde_json::json!([]));
    let printed = json(&cardline(
        home.path(),
        &["--json", "printer", "test-card", &uri],
    ));
    assert_eq!(printed["ribbon"], "ymcko");
    assert!(
        printed["printer"]
            .as_str()
            .unwrap()
            .starts_with("Magicard Rio Pro 360")
    );
    // Uncompressed native planes: Y, M, C at 6 bits and K at 1 bit, 1016 lines each.
    let sent = printed["bytes_sent"].as_u64().unwrap();
    assert!((1_621_000..1_623_000).contains(&sent), "{sent} bytes sent");
    let after = json(&cardline(
        home.path(),
        &["--json", "printer", "status", &uri],
    ));
    assert_eq!(after["status"]["position"], "no_card", "ejected");
    let files: Vec<_> = std::fs::read_dir(pngs.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "one PNG of the printed side");
}

#[test]
fn printer_status_and_test_card_on_a_simulated_magicard_over_tcp() {
    magicard_status_then_test_card("--tcp 127.0.0.1:0");
}

#[test]
fn printer_status_and_test_card_on_a_simulated_magicard_over_a_pseudo_terminal() {
    magicard_status_then_test_card("--pty");
}

#[test]
fn a_bad_magicard_uri_is_refused_naming_the_fix() {
    let home = tempfile::tempdir().unwrap();
    let out = cardline(
        home.path(),
        &["printer", "status", "magicard+usb://0f49:0a00"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("vendor id 0f49 is not Magicard's") && err.contains("magicard+usb://0c1f:PID"),
        "{err}"
    );
}

#[test]
fn an_order_is_printed_on_an_evolis_and_a_magicard_served_by_sim_serve() {
    let home = tempfile::tempdir().unwrap();
    let pngs = tempfile::tempdir().unwrap();
    let png_dir = pngs.path().display().to_string();
    let serve = start(
        &[
            "--json",
            "sim",
            "serve",
            "--stations",
            "2",
            "--magicard",
            "1",
            "--vpcd-slots",
            "0",
            "--time-scale",
            "0",
            "--png-dir",
            &png_dir,
            "--seconds",
            "110",
        ],
        |t| serde_json::from_str::<Value>(t).is_ok(),
    );
    let served: Value = serde_json::from_str(&serve.first).unwrap();
    let families: Vec<&str> = served
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["family"].as_str().unwrap())
        .collect();
    assert_eq!(families, ["evolis", "magicard"]);
    let uri = |i: usize| served[i]["printer"].as_str().unwrap().to_string();
    assert!(uri(0).starts_with("evolis+serial:///dev/"), "{served}");
    assert!(uri(1).starts_with("magicard+serial:///dev/"), "{served}");
    let h = home.path();
    let run = |args: &[&str]| {
        let out = cardline(h, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["init"]);
    // Print-only: the served printers have no vpcd reader here (no pcscd needed).
    run(&["options", "set", "encode", "false"]);
    run(&["request", "--count", "4"]);
    run(&["order", "create", "--all"]);
    std::fs::write(
        h.join("stations.toml"),
        format!(
            "[[station]]\nname = \"evo\"\nprinter = \"{}\"\nencode = false\n\n\
             [[station]]\nname = \"mag\"\nprinter = \"{}\"\nencode = false\n",
            uri(0),
            uri(1)
        ),
    )
    .unwrap();
    let listed = json(&cardline(h, &["--json", "printers", "list", "--status"]));
    let configured = listed["configured"].as_array().unwrap();
    assert_eq!(configured.len(), 2, "{listed}");
    for c in configured {
        assert_eq!(c["status"]["reachable"], "yes", "{c}");
        assert_eq!(c["status"]["ready"], true, "{c}");
    }
    let out = cardline(h, &["--json", "order", "produce", "1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let finished: Value = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["event"] == "finished")
        .expect("a finished event");
    let summary = &finished["summary"];
    assert_eq!(summary["produced"], 4, "{summary}");
    for s in summary["stations"].as_array().unwrap() {
        assert!(s["produced"].as_u64().unwrap() > 0, "{s}");
    }
    for station in ["sim-1", "sim-2"] {
        let n = std::fs::read_dir(pngs.path().join(station))
            .unwrap()
            .count();
        assert!(n > 0, "{station} printed PNGs");
    }
    drop(serve);
}
