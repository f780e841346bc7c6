//! A `cardline --json desk run` process: its JSON events are kept (read on a thread) so a
//! test can wait for one and look at all of them later; its stderr goes to a file shown when
//! something goes wrong.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Site;

/// A running desk.
pub struct DeskProcess {
    /// The desk's name.
    pub name: String,
    child: Mutex<Child>,
    events: Arc<Mutex<Vec<Value>>>,
    /// Events already looked at by [`DeskProcess::wait_for`].
    cursor: usize,
    stderr: PathBuf,
}

impl DeskProcess {
    /// Starts `desk run --desk NAME --stations HOME/NAME.toml` on the site's database and
    /// waits until it says it started.
    pub fn start(site: &Site, name: &str) -> DeskProcess {
        DeskProcess::start_with(site, name, site.command())
    }

    /// Like [`DeskProcess::start`], with the database reached at `url` (a proxy).
    pub fn start_via(site: &Site, name: &str, url: &str) -> DeskProcess {
        DeskProcess::start_with(site, name, site.command_via(url))
    }

    fn start_with(site: &Site, name: &str, mut command: Command) -> DeskProcess {
        let stderr = site.home().join(format!(
            "{name}-{}.stderr",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut child = command
            .args(["--json", "desk", "run", "--desk", name])
            .arg("--stations")
            .arg(site.home().join(format!("{name}.toml")))
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    sink.lock().unwrap().push(v);
                }
            }
        });
        let mut desk = DeskProcess {
            name: name.to_string(),
            child: Mutex::new(child),
            events,
            cursor: 0,
            stderr,
        };
        desk.wait_for("desk_started", |v| v["event"] == "desk_started");
        desk
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.lock().unwrap().id()
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<Value> {
        self.events.lock().unwrap().clone()
    }

    /// How many events so far match `pred`.
    pub fn count(&self, pred: impl Fn(&Value) -> bool) -> usize {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|v| pred(v))
            .count()
    }

    /// Waits for the next event (after the one the previous wait returned) matching `pred`;
    /// at most 3 minutes, only so a broken build cannot hang the suite.
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            {
                let events = self.events.lock().unwrap();
                while self.cursor < events.len() {
                    let v = &events[self.cursor];
                    self.cursor += 1;
                    if pred(v) {
                        return v.clone();
                    }
                }
            }
            self.assert_alive();
            assert!(
                Instant::now() < deadline,
                "desk {}: no {what} event; {}",
                self.name,
                self.story()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Makes the next [`DeskProcess::wait_for`] look only at events from now on.
    pub fn skip_seen(&mut self) {
        self.cursor = self.events.lock().unwrap().len();
    }

    /// Cards this desk took and has not finished, by station (from its events).
    pub fn in_hand(&self) -> BTreeMap<String, String> {
        let mut hand = BTreeMap::new();
        for v in self.events.lock().unwrap().iter() {
            let station = v["station"].as_str().unwrap_or_default().to_string();
            match v["event"].as_str() {
                Some("card_started") => {
                    hand.insert(station, v["card"].as_str().unwrap().to_string());
                }
                Some("card_produced" | "card_failed" | "card_put_back") => {
                    hand.remove(&station);
                }
                _ => {}
            }
        }
        hand
    }

    /// Panics, with the desk's story, if the process has exited.
    pub fn assert_alive(&self) {
        let exited = self.child.lock().unwrap().try_wait().unwrap();
        if let Some(status) = exited {
            panic!(
                "desk {} exited on its own ({status}); {}",
                self.name,
                self.story()
            );
        }
    }

    /// The last events and the stderr, for failure messages.
    pub fn story(&self) -> String {
        let events = self.events.lock().unwrap();
        let tail: Vec<String> = events
            .iter()
            .rev()
            .take(12)
            .rev()
            .map(Value::to_string)
            .collect();
        let err = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        let err_tail: String = err
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        format!("last events:\n{}\nstderr:\n{err_tail}", tail.join("\n"))
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {sig} {}", self.pid());
    }

    /// SIGTERM: the desk finishes its cards in hand and must exit 0 with a `desk_stopped`
    /// summary, which is returned (at most 2 minutes, then SIGKILL and panic).
    pub fn stop(self) -> Value {
        self.signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(120);
        let status = loop {
            if let Some(s) = self.child.lock().unwrap().try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                self.reap();
                panic!(
                    "desk {} did not stop on SIGTERM; {}",
                    self.name,
                    self.story()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader thread sees the end of stdout right after the exit.
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            let stopped = self
                .events
                .lock()
                .unwrap()
                .iter()
                .find(|v| v["event"] == "desk_stopped")
                .cloned();
            if let Some(stopped) = stopped {
                assert_eq!(
                    status.code(),
                    Some(0),
                    "desk {}: SIGTERM is a clean stop; {}",
                    self.name,
                    self.story()
                );
                return stopped["summary"].clone();
            }
            assert!(
                Instant::now() < until,
                "desk {} exited ({status}) without desk_stopped; {}",
                self.name,
                self.story()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL, reaped: the process dies wherever it was.
    pub fn kill(self) -> Vec<Value> {
        self.signal("-KILL");
        let _ = self.child.lock().unwrap().wait();
        // The reader thread has what the process wrote before it died.
        std::thread::sleep(Duration::from_millis(100));
        self.events()
    }

    fn reap(&self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for DeskProcess {
    fn drop(&mut self) {
        // A test that failed half-way leaves no desk running behind it.
        let running = self
            .child
            .lock()
            .unwrap()
            .try_wait()
            .ok()
            .flatten()
            .is_none();
        if running {
            self.reap();
        }
    }
}
