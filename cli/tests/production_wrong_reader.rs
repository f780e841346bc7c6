//! A station whose reader pattern names the wrong reader, on real devices: `cardline sim
//! serve` runs two simulated stations (printers on pseudo-terminals, chips plugged into pcscd
//! through vpcd), and the home's station takes station 1's printer with station 2's reader.
//! The parked card's chip is not in that reader: a setup fault, not a card fault. The station
//! pauses at once naming the reader pattern (no blank is failed, the card waits), and once the
//! operator fixes the pattern and resumes, the order completes.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const PCSCD_SOCKET: &str = "/run/pcscd/pcscd.comm";
/// The lock every test using the vpcd readers takes (drivers/pcsc/tests/common).
const LOCK_FILE: &str = "/tmp/cardline-vpcd.lock";

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

fn station(name: &str, printer: &str, reader: &str) -> String {
    format!("[[station]]\nname = \"{name}\"\nprinter = \"{printer}\"\nreader = \"{reader}\"\n")
}

#[test]
fn a_wrong_reader_pattern_pauses_the_station_at_once_and_the_order_completes_when_fixed() {
    if !std::path::Path::new(PCSCD_SOCKET).exists() {
        cardline_device::skipped!("wrong reader pattern: pcscd is not running");
        return;
    }
    let lock = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(LOCK_FILE)
        .unwrap();
    lock.lock().unwrap();
    let readers = cardline_pcsc::PcscReaders::establish().unwrap();
    let names = readers.list().unwrap();
    if !names.iter().any(|r| r.starts_with("Virtual PCD 00 01")) {
        cardline_device::skipped!("wrong reader pattern: pcscd has no second vpcd reader");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    // Two served stations, real devices, for a minute at most.
    let mut serve = cardline(home)
        .args([
            "--json",
            "sim",
            "serve",
            "--stations",
            "2",
            "--time-scale",
            "0.02",
            "--seconds",
            "90",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut text = String::new();
    let mut out = BufReader::new(serve.stdout.take().unwrap());
    let served: Value = loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "sim serve printed: {text}"
        );
        text.push_str(&line);
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            break v;
        }
    };
    let printer = served[0]["printer"].as_str().unwrap().to_string();
    let right = served[0]["reader"].as_str().unwrap().to_string();
    let wrong = served[1]["reader"].as_str().unwrap().to_string();
    ok(home, &["init"]);
    ok(home, &["keys", "init"]);
    ok(home, &["ca", "init"]);
    std::fs::write(
        home.join("stations.toml"),
        station("desk-1", &printer, &wrong),
    )
    .unwrap();
    ok(home, &["request", "--count", "3"]);
    ok(home, &["order", "create", "--all"]);

    let mut run = cardline(home)
        .args(["--json", "order", "produce", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let events = BufReader::new(run.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in events.lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line) {
                let _ = tx.send(v);
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let paused = loop {
        let e = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the station pauses");
        if e["event"] == "station_paused" && e["until"] == "operator_resumes" {
            break e;
        }
    };
    let reason = paused["reason"].as_str().unwrap();
    assert!(reason.contains("reader pattern"), "{reason}");
    // Not a card fault: nothing failed, the card waits for a new blank, the rest wait too.
    let failed: Value =
        serde_json::from_str(&ok(home, &["--json", "cards", "list", "--state", "failed"])).unwrap();
    assert!(failed["cards"].as_array().unwrap().is_empty(), "{failed}");
    let waiting: Value = serde_json::from_str(&ok(
        home,
        &["--json", "cards", "list", "--state", "in_production"],
    ))
    .unwrap();
    assert_eq!(waiting["cards"].as_array().unwrap().len(), 3);
    // The operator fixes the pattern and resumes: the run re-opens the station and finishes.
    std::fs::write(
        home.join("stations.toml"),
        station("desk-1", &printer, &right),
    )
    .unwrap();
    ok(home, &["stations", "resume", "desk-1"]);
    let status = run.wait().unwrap();
    let mut err = String::new();
    run.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    let finished = rx
        .iter()
        .find(|e| e["event"] == "finished")
        .expect("a summary");
    assert_eq!(finished["summary"]["produced"], 3);
    assert_eq!(finished["summary"]["failed"], 0);
    ok(home, &["order", "complete", "1"]);
    let _ = serve.kill();
    let _ = serve.wait();
}
