//! Fault: the disk holding the database fills up during production (docs/faults.md).
//!
//! The home lives on a small tmpfs of its own (`mount -t tmpfs -o size=…`, root only: the test
//! prints `skipped: ...` otherwise). `order produce` runs on two simulated stations; after a few
//! cards a ballast file fills the tmpfs to the last byte. Production must stop cleanly with an
//! error that names the full disk and the database on it, leaving nothing half-written: every
//! card already produced stays produced, reading still works on the full disk, the card in hand
//! is settled by `cardline recover`, and once space is freed a rerun finishes the order with
//! every card produced exactly once.

mod faults_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use faults_support::checks::{assert_nothing_to_recover, assert_settled};
use faults_support::cli::Cardline;

const CARDS: usize = 16;

/// A tmpfs mounted for the test, unmounted when dropped (even on panic).
struct Tmpfs {
    dir: PathBuf,
    _parent: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let parent = tempfile::tempdir().map_err(|e| e.to_string())?;
        let dir = parent.path().join("disk");
        std::fs::create_dir(&dir).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(&dir)
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Tmpfs {
            dir,
            _parent: parent,
        })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

/// Writes zeros to `path` until the file system refuses (ENOSPC); the bytes written.
fn fill(path: &Path) -> u64 {
    let mut f = std::fs::File::create(path).unwrap();
    let block = vec![0u8; 64 * 1024];
    let mut written = 0u64;
    loop {
        match f.write(&block) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    // Small writes take the last partial block too.
    while let Ok(n) = f.write(&[0u8; 512]) {
        if n == 0 {
            break;
        }
        written += n as u64;
    }
    written
}

/// The stations file of process start `boot`: chip serials never repeat across starts.
fn stations(png: &Path, boot: u64) -> String {
    (1..=2)
        .map(|n| {
            format!(
                "[[station]]\nname = \"sim-{n}\"\nprinter = \"sim://sim-{n}?time_scale=0.01&seed={seed}&png_dir={png}\"\nreader = \"sim\"\n\n",
                seed = boot * 1_000_000 + n * 100_000,
                png = png.join(format!("sim-{n}")).display()
            )
        })
        .collect()
}

#[test]
fn a_full_disk_stops_production_naming_the_disk_and_a_rerun_finishes_the_order() {
    if !faults_support::is_root() {
        cardline_device::skipped!("disk full: not root (mounting a tmpfs needs root)");
        return;
    }
    let disk = match Tmpfs::mount("12m") {
        Ok(d) => d,
        Err(e) => {
            cardline_device::skipped!("disk full: {e}");
            return;
        }
    };
    let home = disk.dir.join("home");
    let png = tempfile::tempdir().unwrap();
    let cli = Cardline::new(&home);
    cli.ok(&["init"]);
    cli.ok(&["keys", "init"]);
    cli.ok(&["ca", "init"]);
    std::fs::write(home.join("stations.toml"), stations(png.path(), 1)).unwrap();
    cli.ok(&["request", "--count", &CARDS.to_string()]);
    cli.ok(&["order", "create", "--all"]);

    let mut run = cli.spawn(&["order", "produce", "1"]);
    for _ in 0..3 {
        run.wait_for("card_produced", Duration::from_secs(60), |e| {
            e["event"] == "card_produced"
        });
    }
    let ballast = disk.dir.join("ballast");
    let filled = fill(&ballast);
    println!("disk full: {filled} bytes of ballast written");
    let (code, err, events) = run.finish(Duration::from_secs(120));
    let produced = events
        .iter()
        .filter(|e| e["event"] == "card_produced")
        .count();
    let stopped: Vec<_> = events
        .iter()
        .filter(|e| e["event"] == "station_stopped")
        .collect();
    println!(
        "disk full: produce exited {code:?} after {produced} card(s); stops: {stopped:?}; stderr: {err}"
    );
    assert!(
        produced < CARDS,
        "production finished the order on a full disk: nothing was written to it?"
    );
    assert_ne!(
        code,
        Some(0),
        "a run that could not journal must not report success"
    );
    // The operator is told the disk is full and which one; no stack of unrelated errors.
    let told = stopped
        .iter()
        .filter_map(|e| e["reason"].as_str())
        .chain(std::iter::once(err.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        told.contains("disk")
            && told.contains("full")
            && told.contains(&home.display().to_string()),
        "the error must say the disk holding {} is full: {told}",
        home.display()
    );

    // While the disk is still full, reading works, and recovery either fits in the space SQLite
    // already holds (its write-ahead log is reused) or says the disk is full; never worse.
    let (code, out, err) = cli.run(&["order", "show", "1"]);
    assert_eq!(code, Some(0), "order show on the full disk: {out}{err}");
    let (code, out, err) = cli.run(&["recover"]);
    println!("disk full: recover on the full disk exited {code:?}: {out}{err}");
    assert!(
        code == Some(0) || err.contains("is full"),
        "recover on the full disk: {out}{err}"
    );

    // Space freed: recovery settles the card that was in hand, a rerun finishes the order.
    std::fs::remove_file(&ballast).unwrap();
    std::fs::write(home.join("stations.toml"), stations(png.path(), 2)).unwrap();
    let (code, out, err) = cli.run(&["recover"]);
    assert_eq!(code, Some(0), "recover after freeing space: {out}{err}");
    println!("disk full: recover: {}", out.trim());
    let (code, out, err) = cli.run(&["order", "produce", "1"]);
    assert_eq!(code, Some(0), "the rerun finishes the order: {out}{err}");
    let settled = assert_settled(&home, 1, CARDS, "disk full");
    assert_eq!(settled.produced, CARDS, "every card produced: {settled:?}");
    assert_nothing_to_recover(&cli, "disk full");
}
