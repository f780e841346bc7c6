//! Each station's printer status as `cardline desks` shows it, read by real `desk run`
//! processes from simulated printers of both families (the real Evolis and Magicard drivers
//! over in-process simulated links) on one SQLite home: a ribbon running low, an empty
//! feeder, a cover that opens when a card is fed.

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

fn desks(home: &std::path::Path) -> Value {
    serde_json::from_str(&ok(home, &["--json", "desks"])).unwrap()
}

/// A `desk run --json` process; its output is drained on a thread.
struct Desk(Child);

impl Desk {
    fn start(home: &std::path::Path, desk: &str) -> Desk {
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
            .arg(home.join(format!("{desk}.toml")))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || for _ in BufReader::new(out).lines() {});
        Desk(child)
    }

    fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(self.0.wait().unwrap().code(), Some(0));
    }
}

/// Polls `desks --json` until `station` has a printer report that satisfies `pred`.
fn printer_of(home: &std::path::Path, station: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let listed = desks(home);
        let found = listed
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|d| d["stations"].as_array().unwrap().iter())
            .find(|s| s["name"] == station && !s["printer"].is_null())
            .cloned();
        if let Some(s) = found.filter(|s| pred(s)) {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "station {station} never showed the printer status wanted: {listed:#}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn station(name: &str, query: &str) -> String {
    format!(
        "[[station]]\nname = \"{name}\"\nprinter = \"sim://{name}?time_scale=0.05&{query}\"\nreader = \"sim\"\n"
    )
}

#[test]
fn desks_show_ribbon_low_feeder_empty_and_cover_open_from_simulated_printers() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    ok(home, &["init"]);
    ok(home, &["keys", "init"]);
    ok(home, &["ca", "init"]);
    let a = [
        station("low", "ribbon=100&faults=ribbon-ends-after=5"),
        station("empty", "feeder=0"),
        station("mc", "family=magicard&feeder=0"),
    ]
    .concat();
    std::fs::write(home.join("desk-a.toml"), a).unwrap();
    std::fs::write(
        home.join("desk-c.toml"),
        station("cover", "faults=cover-opens@1"),
    )
    .unwrap();
    ok(home, &["request", "--count", "1"]);
    ok(home, &["order", "create", "--all"]);

    let desk_a = Desk::start(home, "desk-a");
    let low = printer_of(home, "low", |_| true);
    let p = &low["printer"];
    assert_eq!(p["ribbon"]["remaining"], 5, "{low:#}");
    assert_eq!(p["ribbon"]["capacity"], 100, "{low:#}");
    assert_eq!(p["ribbon"]["percent"], 5, "{low:#}");
    assert_eq!(p["cover"], "closed", "{low:#}");
    assert_eq!(p["feeder"], "ok", "{low:#}");
    assert!(
        p["serial"].as_str().is_some_and(|s| s.contains("low")),
        "{low:#}"
    );
    assert!(p["read_at"].as_str().is_some_and(|t| t.starts_with("20")));
    assert_eq!(low["printer_warnings"][0], "ribbon low (5 %, 5 left)");

    let empty = printer_of(home, "empty", |s| s["printer"]["feeder"] == "empty");
    assert!(
        empty["printer_warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == "feeder empty"),
        "{empty:#}"
    );
    assert_eq!(empty["printer"]["cover"], "closed");
    // The Magicard family through its own driver.
    let mc = printer_of(home, "mc", |s| s["printer"]["feeder"] == "empty");
    assert!(mc["printer"]["model"].is_string(), "{mc:#}");
    assert_eq!(mc["printer"]["cover"], "closed", "{mc:#}");

    let human = ok(home, &["desks"]);
    assert!(human.contains("!! ribbon low (5 %, 5 left)"), "{human}");
    assert!(human.contains("feeder empty"), "{human}");
    desk_a.stop();

    // The cover opens as the first card is fed: the station pauses and shows it.
    let desk_c = Desk::start(home, "desk-c");
    let _ = printer_of(home, "cover", |s| s["printer"]["cover"] == "closed");
    ok(home, &["order", "release", "1"]);
    let cover = printer_of(home, "cover", |s| s["printer"]["cover"] == "open");
    assert!(
        cover["printer_warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == "cover open"),
        "{cover:#}"
    );
    desk_c.stop();
}
