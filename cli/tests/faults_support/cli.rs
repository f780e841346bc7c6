//! The `cardline` binary as a real process: one-shot commands and a long-running `order
//! produce` / `desk run` whose JSON events are read on a thread.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A home directory and how to run `cardline` in it (the pcscd socket to use, if not the
/// machine's).
#[derive(Clone, Debug)]
pub struct Cardline {
    /// The home (`--home`).
    pub home: PathBuf,
    /// `PCSCLITE_CSOCK_NAME` for the child processes: the test's own pcscd.
    pub pcscd_socket: Option<PathBuf>,
}

impl Cardline {
    /// `cardline` in `home`, talking to the machine's pcscd.
    pub fn new(home: &Path) -> Cardline {
        Cardline {
            home: home.to_path_buf(),
            pcscd_socket: None,
        }
    }

    /// A `cardline --home HOME` command with quick polls and retries.
    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cardline"));
        c.arg("--home")
            .arg(&self.home)
            .env("CARDLINE_OPERATOR", "tester")
            .env("CARDLINE_OPERATOR_POLL_MS", "50")
            .env("CARDLINE_RETRY_DELAY_MS", "10")
            .env("CARDLINE_DESK_RETRY_MS", "100")
            .env_remove("RUST_LOG");
        // `FAULTS_LOG=cardline_pcsc=trace` (say) logs the children while a fault test is studied.
        if let Ok(filter) = std::env::var("FAULTS_LOG") {
            c.env("RUST_LOG", filter);
        }
        if let Some(socket) = &self.pcscd_socket {
            c.env("PCSCLITE_CSOCK_NAME", socket);
        }
        c
    }

    /// Runs `cardline ARGS`, which must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "cardline {args:?} failed ({:?}): {}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `cardline --json ARGS`, which must succeed; its output parsed.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("cardline {args:?}: {e}: {out}"))
    }

    /// Runs `cardline ARGS`: (exit code, stdout, stderr), whatever the outcome.
    pub fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out = self.command().args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `init`, `keys init` and `ca init` (no keys or CA when `encode` is false: the default
    /// profile is then made print-only), then `cards` requested cards in order 1.
    pub fn prepare(&self, cards: u32, encode: bool, stations: &str) {
        self.ok(&["init"]);
        if encode {
            self.ok(&["keys", "init"]);
            self.ok(&["ca", "init"]);
        } else {
            self.ok(&["options", "set", "encode", "false"]);
        }
        std::fs::write(self.home.join("stations.toml"), stations).unwrap();
        self.ok(&["request", "--count", &cards.to_string()]);
        self.ok(&["order", "create", "--all"]);
    }

    /// Starts `cardline --json ARGS` with its JSON lines read on a thread.
    pub fn spawn(&self, args: &[&str]) -> Running {
        let mut child = self
            .command()
            .arg("--json")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, events) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        Running {
            child,
            events,
            seen: Vec::new(),
        }
    }
}

/// A running `cardline --json …` process.
pub struct Running {
    /// The process.
    pub child: Child,
    events: Receiver<Value>,
    /// Every event received so far.
    pub seen: Vec<Value>,
}

impl Running {
    /// The next event within `timeout`; `None` on timeout or when the process closed stdout.
    pub fn next_event(&mut self, timeout: Duration) -> Option<Value> {
        match self.events.recv_timeout(timeout) {
            Ok(v) => {
                self.seen.push(v.clone());
                Some(v)
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Waits (at most `within`) for an event matching `pred`; panics naming `what` otherwise.
    pub fn wait_for(
        &mut self,
        what: &str,
        within: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            match self
                .events
                .recv_timeout(left.min(Duration::from_millis(200)))
            {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if pred(&v) {
                        return v;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!("no {what} event within {within:?}; seen: {:?}", self.seen);
    }

    /// SIGKILL, reaped.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the exit (at most `within`, then SIGKILL and panic): exit code, stderr, and
    /// every event (earlier ones included).
    pub fn finish(mut self, within: Duration) -> (Option<i32>, String, Vec<Value>) {
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                self.kill();
                panic!(
                    "the process did not end within {within:?}; seen: {:?}",
                    self.seen
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        while let Ok(v) = self.events.recv_timeout(Duration::from_millis(500)) {
            self.seen.push(v);
        }
        (status.code(), err, self.seen)
    }
}
