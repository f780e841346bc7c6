//! The processes of the real-browser test: a home made through the real binary, `desk run`
//! daemons on simulated stations, `cardline serve --insecure-http` on loopback, and
//! `chromedriver` driving headless Chromium; every child is killed when dropped.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The password of the test users.
pub const PASSWORD: &str = "correct horse battery";

/// A child process killed (and reaped) when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `cardline --home HOME` with quick retry and poll settings.
pub fn cardline(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cardline"));
    c.arg("--home")
        .arg(home)
        // The OS user is the operator (no `--operator`: once users exist, naming someone
        // else needs the admin role).
        .env("USER", "tester")
        .env_remove("CARDLINE_OPERATOR")
        .env("CARDLINE_RETRY_DELAY_MS", "10")
        .env("CARDLINE_DESK_RETRY_MS", "100")
        .env_remove("RUST_LOG");
    c
}

/// Runs `cardline ARGS` with `stdin`; it must succeed.
pub fn ok(home: &Path, args: &[&str], stdin: &str) -> String {
    let mut child = cardline(home)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "cardline {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until the `cardline serve` whose stderr goes to `log` says where it listens (`cardline
/// console on http(s)://ADDR ...; Ctrl-C stops it`, printed once bound: `--listen
/// 127.0.0.1:0` lets the system pick the port, so no other process can take it first); the port.
pub fn wait_announced(log: &Path, what: &str) -> u16 {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(port) = announced_port(&text) {
            return port;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what} never said where it listens; its log:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The port of a complete `cardline console on ...` line of `text`.
fn announced_port(text: &str) -> Option<u16> {
    let line = text
        .lines()
        .find(|l| l.starts_with("cardline console on ") && l.ends_with("Ctrl-C stops it"))?;
    let address = line.split("://").nth(1)?.split([' ', ';']).next()?;
    address.rsplit(':').next()?.parse().ok()
}

/// Waits until `port` accepts connections.
pub fn wait_listening(port: u16, what: &str) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what} never listened on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `GET path` over plain HTTP/1.1; the whole reply.
pub fn http_get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    reply
}

/// A `desk run` daemon on the stations file `file`, its output in `log`.
pub fn desk(home: &Path, name: &str, file: &Path) -> Killed {
    let log = std::fs::File::create(home.join(format!("{name}.log"))).unwrap();
    let child = cardline(home)
        .args(["desk", "run", "--desk", name, "--idle-poll-ms", "50"])
        .arg("--stations")
        .arg(file)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    Killed(child)
}

/// One simulated station (printer and chips) at 1/20 of real time, with `faults`.
pub fn station(name: &str, faults: &str) -> String {
    let faults = if faults.is_empty() {
        String::new()
    } else {
        format!("&faults={faults}")
    };
    format!(
        "[[station]]\nname = \"{name}\"\nprinter = \"sim://{name}?time_scale=0.05{faults}\"\nreader = \"sim\"\n"
    )
}

/// Chromium and chromedriver, when both are installed.
pub fn browser() -> Option<(PathBuf, PathBuf)> {
    let find = |names: &[&str]| {
        names.iter().find_map(|n| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join(n))
                    .find(|p| p.is_file())
            })
        })
    };
    Some((
        find(&["chromium", "chromium-browser", "google-chrome"])?,
        find(&["chromedriver"])?,
    ))
}

/// `chromedriver` on a free loopback port.
pub fn chromedriver(driver: &Path) -> (Killed, u16) {
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let killed = Killed(child);
    wait_listening(port, "chromedriver");
    (killed, port)
}

/// Where screenshots go: `<target dir>/screenshots` (CARGO_TARGET_DIR, else the workspace's
/// `target`).
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Median and maximum of `values`.
pub fn median_max(values: &mut [f64]) -> (f64, f64) {
    values.sort_by(|a, b| a.total_cmp(b));
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    (values[values.len() / 2], values[values.len() - 1])
}
