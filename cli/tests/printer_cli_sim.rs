//! `cardline printer status|test-card` against a separate `cardline sim printer --pty|--tcp`
//! process: the two commands other tools rely on, exactly as an operator would run them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command as Process, Stdio};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin;
use serde_json::Value;

/// A running `cardline sim printer` child; killed (by its own pid) on drop.
struct SimProcess {
    child: Child,
    uri: String,
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sim(endpoint: &[&str], png_dir: &std::path::Path) -> SimProcess {
    let mut child = Process::new(cargo_bin("cardline"))
        .args(["sim", "printer"])
        .args(endpoint)
        .arg("--png-dir")
        .arg(png_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cardline sim printer");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let uri = line.trim().to_string();
    assert!(uri.starts_with("evolis+"), "sim printed {uri:?}");
    SimProcess { child, uri }
}

fn cardline(args: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    Command::cargo_bin("cardline")
        .unwrap()
        .arg("--home")
        .arg(home.path())
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

fn status_then_test_card(endpoint: &[&str]) {
    let pngs = tempfile::tempdir().unwrap();
    let sim = start_sim(endpoint, pngs.path());
    let status = json(&cardline(&["--json", "printer", "status", &sim.uri]));
    assert_eq!(status["ready"], true, "{status}");
    assert_eq!(status["status"]["model"], "Primacy 2 Duplex");
    let printed = json(&cardline(&["--json", "printer", "test-card", &sim.uri]));
    assert_eq!(printed["ribbon"], "ymcko");
    // Colour goes run-length by default: the whole card in well under a quarter of the raw
    // 1,645,920 bytes, yet more than its K and O panels alone.
    let sent = printed["bytes_sent"].as_u64().unwrap();
    assert!((150_000..411_480).contains(&sent), "{sent} bytes sent");
    let after = json(&cardline(&["--json", "printer", "status", &sim.uri]));
    assert_eq!(
        after["status"]["position"], "no_card",
        "the test card was ejected"
    );
    let files: Vec<_> = std::fs::read_dir(pngs.path()).unwrap().flatten().collect();
    assert!(
        files
            .iter()
            .any(|f| f.path().extension().is_some_and(|e| e == "png")),
        "the simulator wrote a PNG of the printed side: {files:?}"
    );
}

#[test]
fn status_and_test_card_against_sim_printer_pty() {
    if !std::path::Path::new("/dev/ptmx").exists() {
        cardline_device::skipped!("no pseudo-terminal multiplexer (/dev/ptmx)");
        return;
    }
    status_then_test_card(&["--pty"]);
}

#[test]
fn status_and_test_card_against_sim_printer_tcp() {
    status_then_test_card(&["--tcp", "127.0.0.1:0"]);
}
