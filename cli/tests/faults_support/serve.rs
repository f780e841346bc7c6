//! `cardline sim serve` as a separate process: simulated stations reached as real devices
//! (printers on pseudo-terminals or TCP, chips plugged into a pcscd through vpcd).

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use serde_json::Value;

use super::cli::Cardline;

/// A running `sim serve`; killed when dropped.
pub struct Served {
    child: Child,
    /// The stations it printed (`name`, `printer` URI, `reader`).
    pub stations: Vec<Value>,
}

impl Served {
    /// Starts `cardline --json sim serve ARGS` (in its own home) and reads the stations it
    /// serves.
    pub fn start(cli: &Cardline, args: &[&str]) -> Served {
        let mut child = cli
            .command()
            .args(["--json", "sim", "serve"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut text = String::new();
        let stations = loop {
            let mut line = String::new();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "sim serve ended early, printing: {text}"
            );
            text.push_str(&line);
            if let Ok(Value::Array(v)) = serde_json::from_str::<Value>(&text) {
                break v;
            }
        };
        // Keep reading so that the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in out.lines() {});
        Served { child, stations }
    }

    /// The printer URI of station `i`.
    pub fn printer(&self, i: usize) -> String {
        self.stations[i]["printer"].as_str().unwrap().to_string()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
