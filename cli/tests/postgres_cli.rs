//! The real binary against a real PostgreSQL server (scripts/with-postgres.sh starts one and
//! sets CARDLINE_TEST_POSTGRES; without it every test prints `skipped: no postgres`): `db
//! status` and `db migrate`, a database that is empty or newer than this build refused with
//! the fix, a whole order produced with `--database postgres://...` on sim:// stations, and
//! two `desk run` processes sharing a released order through PostgreSQL, every card produced
//! exactly once.

#[path = "../../store-postgres/tests/common/mod.rs"]
mod pg;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A fresh database on the test server and its URL with the password (for `--database`).
struct Db {
    _db: pg::TempDb,
    url: String,
}

impl Db {
    fn new() -> Option<Db> {
        let server = pg::server()?;
        let db = pg::TempDb::empty(&server);
        let full = std::env::var(pg::VAR).unwrap();
        let (head, query) = match full.split_once('?') {
            Some((h, q)) => (h.to_string(), format!("?{q}")),
            None => (full.clone(), String::new()),
        };
        let base = head.rsplit_once('/').expect("the URL names a database").0;
        let url = format!("{base}/{}{query}", db.name);
        Some(Db { _db: db, url })
    }
}

fn cardline(home: &Path, db: &Db) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cardline"));
    c.arg("--home")
        .arg(home)
        .env("CARDLINE_DATABASE", &db.url)
        .env("CARDLINE_OPERATOR", "tester")
        .env("CARDLINE_OPERATOR_POLL_MS", "50")
        .env("CARDLINE_RETRY_DELAY_MS", "10")
        .env("CARDLINE_DESK_RETRY_MS", "100")
        .env_remove("RUST_LOG");
    c
}

fn ok(home: &Path, db: &Db, args: &[&str]) -> String {
    let out = cardline(home, db).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "cardline {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(home: &Path, db: &Db, args: &[&str]) -> String {
    let out = cardline(home, db).args(args).output().unwrap();
    assert!(!out.status.success(), "cardline {args:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

fn json(home: &Path, db: &Db, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(home, db, &all)).unwrap()
}

fn stations(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| {
            format!("[[station]]\nname = \"{n}\"\nprinter = \"sim://{n}?time_scale=0.05\"\nreader = \"sim\"\n")
        })
        .collect()
}

#[test]
fn db_status_and_migrate_on_postgres_and_schemas_it_cannot_use_are_refused() {
    let Some(db) = Db::new() else { return };
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();

    let status = json(home, &db, &["db", "status"]);
    assert_eq!(status["backend"], "postgresql");
    assert_eq!(status["source"], "environment");
    assert_eq!(status["schema_version"], 0);
    let latest = status["latest"].as_i64().unwrap();
    assert_eq!(status["pending"].as_array().unwrap().len() as i64, latest);
    assert!(
        !status["database"].as_str().unwrap().contains(
            db.url
                .split_once("://")
                .unwrap()
                .1
                .split_once('@')
                .unwrap()
                .0
                .split_once(':')
                .unwrap()
                .1
        ),
        "the password is never shown: {status}"
    );

    // An empty database is refused with the command that creates the schema.
    let err = fails(home, &db, &["cards", "list"]);
    assert!(err.contains("cardline db migrate"), "{err}");

    let migrated = json(home, &db, &["db", "migrate"]);
    assert_eq!(migrated["from"], 0);
    assert_eq!(migrated["to"], latest);
    let again = ok(home, &db, &["db", "migrate"]);
    assert!(again.contains("up to date"), "{again}");
    let status = json(home, &db, &["db", "status"]);
    assert_eq!(status["schema_version"], latest);
    assert!(status["pending"].as_array().unwrap().is_empty());
    // The store works, and no SQLite file appeared in the home.
    ok(home, &db, &["init"]);
    ok(home, &db, &["request", "--count", "2"]);
    assert_eq!(json(home, &db, &["cards", "list"])["total"], 2);
    assert!(!home.join("cardline.db").exists());

    // A schema newer than this build: status says so, the store refuses it, migrate too.
    db._db
        .client()
        .execute(
            "INSERT INTO schema_migrations (version, name, application, applied_at, applied_by) \
             VALUES ($1, 'from the future', 'cardline', '2030-01-01T00:00:00.000Z', 'test')",
            &[&(latest + 1)],
        )
        .unwrap();
    let status = json(home, &db, &["db", "status"]);
    assert_eq!(status["too_new"], true, "{status}");
    let text = ok(home, &db, &["db", "status"]);
    assert!(text.contains("newer than this cardline"), "{text}");
    for args in [&["cards", "list"][..], &["db", "migrate"][..]] {
        let err = fails(home, &db, args);
        assert!(
            err.contains("newer than this cardline") && err.contains("upgrade cardline"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_whole_order_is_produced_on_sim_stations_with_database_postgres() {
    let Some(db) = Db::new() else { return };
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    // The URL given as the option (the environment names another, unreachable one).
    let run = |args: &[&str]| -> String {
        let out = cardline(home, &db)
            .env("CARDLINE_DATABASE", "postgres://nobody@127.0.0.1:1/nowhere")
            .arg("--database")
            .arg(&db.url)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cardline {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["init"]);
    run(&["keys", "init"]);
    run(&["ca", "init"]);
    std::fs::write(home.join("stations.toml"), stations(&["sim-1", "sim-2"])).unwrap();
    run(&["request", "--count", "6"]);
    run(&["order", "create", "--all"]);
    let out = run(&["--json", "order", "produce", "1"]);
    let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "finished", "{out}");
    assert_eq!(last["summary"]["produced"], 6, "{out}");
    run(&["order", "complete", "1"]);
    let cards: Value =
        serde_json::from_str(&run(&["--json", "cards", "list", "--state", "unassigned"])).unwrap();
    assert_eq!(cards["total"], 6);
    assert!(!home.join("cardline.db").exists(), "nothing went to SQLite");

    // The same cards, read straight from PostgreSQL.
    let n: i64 = db
        ._db
        .client()
        .query_one("SELECT COUNT(*) FROM cards WHERE state = 'unassigned'", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 6);

    // The environment's unreachable server is named with the fix when the option is absent.
    let out = cardline(home, &db)
        .env("CARDLINE_DATABASE", "postgres://nobody@127.0.0.1:1/nowhere")
        .args(["cards", "list"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CARDLINE_DATABASE") && err.contains("check that the server runs"),
        "{err}"
    );
}

/// A `desk run --json` process with its JSON lines read on a thread.
struct DeskProcess {
    child: Child,
    lines: std::sync::mpsc::Receiver<Value>,
}

impl DeskProcess {
    fn start(home: &Path, db: &Db, name: &str) -> DeskProcess {
        let file = home.join(format!("{name}.toml"));
        let mut child = cardline(home, db)
            .args(["--json", "desk", "run", "--desk", name])
            .arg("--stations")
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
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
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            match desk.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(v) if v["event"] == "desk_started" => break,
                _ => assert!(Instant::now() < deadline, "{name} did not start"),
            }
        }
        desk
    }

    /// SIGTERM, then the exit code and the remaining events.
    fn stop(mut self) -> (Option<i32>, Vec<Value>) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let status = self.child.wait().unwrap();
        let rest: Vec<Value> = self.lines.iter().collect();
        (status.code(), rest)
    }
}

#[test]
fn two_desk_processes_share_a_released_order_through_postgres_each_card_once() {
    let Some(db) = Db::new() else { return };
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    ok(home, &db, &["db", "migrate"]);
    ok(home, &db, &["init"]);
    ok(home, &db, &["keys", "init"]);
    ok(home, &db, &["ca", "init"]);
    std::fs::write(home.join("desk-a.toml"), stations(&["a1", "a2"])).unwrap();
    std::fs::write(home.join("desk-b.toml"), stations(&["b1", "b2"])).unwrap();
    const CARDS: usize = 24;
    ok(home, &db, &["request", "--count", &CARDS.to_string()]);
    ok(home, &db, &["order", "create", "--all"]);
    // Default idle poll: the desks wait on LISTEN/NOTIFY, and the release wakes them.
    let a = DeskProcess::start(home, &db, "desk-a");
    let b = DeskProcess::start(home, &db, "desk-b");
    let listed = json(home, &db, &["desks"]);
    let mut names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["desk"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, vec!["desk-a", "desk-b"]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        json(home, &db, &["order", "show", "1"])["cards"][0]["state"],
        "in_production",
        "nothing is produced before the release"
    );
    ok(home, &db, &["order", "release", "1"]);

    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let order = json(home, &db, &["order", "show", "1"]);
        let done = order["cards"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["state"] == "unassigned")
            .count();
        if done == CARDS {
            break;
        }
        assert!(Instant::now() < deadline, "only {done} of {CARDS} produced");
        std::thread::sleep(Duration::from_millis(200));
    }

    let produced = json(home, &db, &["audit", "--action", "card.produced"]);
    let mut per_card: HashMap<String, usize> = HashMap::new();
    for e in produced.as_array().unwrap() {
        *per_card
            .entry(e["card_number"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(per_card.len(), CARDS, "every card produced");
    assert!(
        per_card.values().all(|n| *n == 1),
        "no card twice: {per_card:?}"
    );
    let begun = json(home, &db, &["audit", "--action", "attempt.begin"]);
    let stations: Vec<String> = begun
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let reason = e["reason"].as_str().unwrap();
            reason.split("on station ").nth(1).unwrap()[..2].to_string()
        })
        .collect();
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
    let total: u64 = [rest_a, rest_b]
        .iter()
        .map(|rest| {
            rest.iter()
                .find(|v| v["event"] == "desk_stopped")
                .expect("the desk says it stopped")["summary"]["produced"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(total, CARDS as u64, "the desks' own counts add up");
    assert_eq!(json(home, &db, &["desks"]), Value::Array(vec![]));
}
