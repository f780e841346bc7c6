//! Helpers of the desk failure tests on PostgreSQL (docs/desks.md, "Failure tests on
//! PostgreSQL"): a site (a home and the URL of its own database), `cardline desk run`
//! processes whose JSON events are kept, a private PostgreSQL server the test may restart
//! ([`server`]), and the checks every test ends with ([`checks`]).
#![allow(dead_code)]

pub mod checks;
pub mod desk;
pub mod server;

#[path = "../faults_support/proxy.rs"]
pub mod proxy;

use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Stations of one desk: simulated printers with a simulated reader, fast timings.
pub fn stations(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| {
            format!(
                "[[station]]\nname = \"{n}\"\nprinter = \"sim://{n}?time_scale=0.01\"\nreader = \"sim\"\n"
            )
        })
        .collect()
}

/// The tests of one file run one at a time: each starts several desk processes, and on a
/// busy machine two of them at once would only slow each other down.
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// True under CI (`CI=true`): a test that cannot run there fails instead of skipping.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// True when this process runs as root (from `/proc/self/status`, no libc needed).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// A home and the database its `cardline` commands use (`CARDLINE_DATABASE`).
pub struct Site {
    dir: tempfile::TempDir,
    poll: Mutex<Option<postgres::Client>>,
    /// The database URL, with its password.
    pub url: String,
}

impl Site {
    /// A new home using the database at `url`.
    pub fn new(url: &str) -> Site {
        Site {
            dir: tempfile::tempdir().unwrap(),
            poll: Mutex::new(None),
            url: url.to_string(),
        }
    }

    /// The home.
    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    /// `cardline --home HOME` with the site's database and quick polls and retries.
    pub fn command(&self) -> Command {
        self.command_via(&self.url)
    }

    /// Like [`Site::command`], with another URL for the same database (through a proxy).
    pub fn command_via(&self, url: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cardline"));
        c.arg("--home")
            .arg(self.home())
            .env("CARDLINE_DATABASE", url)
            .env("CARDLINE_OPERATOR", "tester")
            .env("CARDLINE_OPERATOR_POLL_MS", "50")
            .env("CARDLINE_RETRY_DELAY_MS", "10")
            .env("CARDLINE_DESK_RETRY_MS", "100")
            .env_remove("RUST_LOG");
        if let Ok(filter) = std::env::var("FAULTS_LOG") {
            c.env("RUST_LOG", filter);
        }
        c
    }

    /// `cardline ARGS`: (exit code, stdout, stderr), whatever the outcome.
    pub fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out = self.command().args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `cardline ARGS`, which must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, Some(0), "cardline {args:?} failed: {out}{err}");
        out
    }

    /// `cardline --json ARGS`, which must succeed; its output parsed.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("cardline {args:?}: {e}: {out}"))
    }

    /// `db migrate`, `init`, `keys init`, `ca init` (so cards are encoded and certified), a
    /// stations file `NAME.toml` per desk, and `cards` requested cards in order 1.
    pub fn prepare(&self, cards: u32, desks: &[(&str, &[&str])]) {
        self.setup(desks);
        self.ok(&["request", "--count", &cards.to_string()]);
        self.ok(&["order", "create", "--all"]);
    }

    /// `db migrate`, `init`, `keys init`, `ca init` and a stations file per desk (the first
    /// desk's is also the home's `stations.toml`, which `cardline recover` reads).
    pub fn setup(&self, desks: &[(&str, &[&str])]) {
        self.ok(&["db", "migrate"]);
        self.ok(&["init"]);
        self.ok(&["keys", "init"]);
        self.ok(&["ca", "init"]);
        for (desk, names) in desks {
            std::fs::write(self.home().join(format!("{desk}.toml")), stations(names)).unwrap();
        }
        if let Some((_, names)) = desks.first() {
            std::fs::write(self.home().join("stations.toml"), stations(names)).unwrap();
        }
    }

    /// How many cards of `order` are produced or failed, and how many it holds: read
    /// straight from the database on one connection (a `cardline` process per poll would
    /// cost more than the desks), `None` while the server cannot be reached.
    pub fn settled_count(&self, order: i64) -> Option<(usize, usize)> {
        let mut client = self.poll.lock().unwrap();
        if client.is_none() {
            let url = cardline_postgres::DatabaseUrl::parse(&self.url).unwrap();
            *client = cardline_postgres::PostgresStore::client(&url).ok();
        }
        let row = client.as_mut()?.query_one(
            "SELECT COUNT(*) FILTER (WHERE c.state IN ('unassigned', 'failed')), COUNT(*) \
             FROM order_cards m JOIN cards c ON c.id = m.card_id WHERE m.order_id = $1",
            &[&order],
        );
        match row {
            Ok(row) => Some((row.get::<_, i64>(0) as usize, row.get::<_, i64>(1) as usize)),
            Err(_) => {
                *client = None;
                None
            }
        }
    }

    /// Waits until every card of `order` is produced or failed (at most `within`, only so a
    /// broken build cannot hang the suite); `alive` is checked on each poll (a desk that
    /// died makes the wait fail at once, with its story).
    pub fn wait_until_settled(&self, order: i64, within: Duration, alive: impl Fn()) {
        let deadline = Instant::now() + within;
        loop {
            let counted = self.settled_count(order);
            if let Some((done, all)) = counted
                && done == all
            {
                return;
            }
            alive();
            if Instant::now() >= deadline {
                let in_flight = cardline_issuance::store::ProductionJournal::in_flight_attempts(
                    &checks::store(self),
                );
                panic!(
                    "cards of order {order} settled after {within:?} (settled, all): \
                     {counted:?}; attempts in flight: {in_flight:?}"
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// A URL with its host and port replaced (the same database reached through a proxy).
pub fn via(url: &str, addr: std::net::SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (userinfo, hostpart) = rest.rsplit_once('@').unwrap();
    let path = &hostpart[hostpart.find('/').unwrap()..];
    format!("{scheme}://{userinfo}@{addr}{path}")
}

/// The server's address in a URL.
pub fn address(url: &str) -> std::net::SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let hostpart = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let hostport = &hostpart[..hostpart.find('/').unwrap_or(hostpart.len())];
    std::net::ToSocketAddrs::to_socket_addrs(hostport)
        .unwrap()
        .next()
        .unwrap()
}

/// A URL naming another database on the same server.
pub fn with_database(url: &str, name: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h.to_string(), format!("?{q}")),
        None => (url.to_string(), String::new()),
    };
    let base = head.rsplit_once('/').expect("the URL names a database").0;
    format!("{base}/{name}{query}")
}
