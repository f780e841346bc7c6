//! Fault: pcscd killed (SIGKILL, as a crash) in the middle of encoding a card, and started
//! again (docs/faults.md).
//!
//! The test owns its pcscd: a `pcscd --foreground` in a private mount namespace with its own
//! vpcd readers on free ports (faults_support/pcscd.rs), so killing it disturbs neither the
//! machine's pcscd nor the other tests using `Virtual PCD 00 0n` (no vpcd lock is needed), and
//! it dies with the test even on panic. `cardline sim serve` serves a station whose printer is
//! on a pseudo-terminal and whose parked chip is plugged into that pcscd; `cardline order
//! produce` reaches it through `PCSCLITE_CSOCK_NAME`. Once a card is produced, pcscd is killed
//! after a few APDUs of the next card's encoding, and restarted a moment later. The run must
//! not lose or duplicate anything: the card whose encoding was cut is retried, rejected or put
//! back, and the order ends with every card produced exactly once (a rejected one repeated on a
//! new blank).

mod faults_support;

use std::time::{Duration, Instant};

use cardline_issuance::model::CardState;
use faults_support::checks::{assert_nothing_to_recover, assert_settled, count_state};
use faults_support::cli::Cardline;
use faults_support::pcscd::OwnPcscd;
use faults_support::serve::Served;

const CARDS: usize = 4;
/// How long the PC/SC service stays away.
const OUTAGE: Duration = Duration::from_secs(2);

#[test]
fn pcscd_killed_mid_encoding_and_restarted_ends_with_every_card_produced_once() {
    let mut pcscd = match OwnPcscd::start() {
        Ok(p) => p,
        Err(why) => {
            cardline_device::skipped!("pcscd restart: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let mut cli = Cardline::new(dir.path());
    cli.pcscd_socket = Some(pcscd.socket());
    let port = pcscd.vpcd_addr(0).port().to_string();
    let served = Served::start(
        &Cardline::new(&dir.path().join("server")),
        &[
            "--stations",
            "1",
            "--vpcd-port",
            &port,
            "--vpcd-slots",
            "1",
            "--time-scale",
            "0.02",
        ],
    );
    cli.prepare(
        CARDS as u32,
        true,
        &format!(
            "[[station]]\nname = \"desk-1\"\nprinter = \"{}\"\nreader = \"{}\"\n",
            served.printer(0),
            pcscd.reader(0)
        ),
    );

    let mut run = cli.spawn(&["order", "produce", "1"]);
    run.wait_for("card_produced", Duration::from_secs(90), |e| {
        e["event"] == "card_produced"
    });
    run.wait_for("card_started", Duration::from_secs(30), |e| {
        e["event"] == "card_started"
    });
    // The next card is parked and its chip in pcscd's reader once APDUs flow again.
    let apdus = pcscd.apdus();
    let deadline = Instant::now() + Duration::from_secs(30);
    while pcscd.apdus() < apdus + 6 {
        assert!(
            Instant::now() < deadline,
            "the next card's encoding never started (pcscd log: {} APDU lines)",
            pcscd.apdus()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    pcscd.kill();
    println!(
        "pcscd restart: killed after {} APDUs of the next card",
        pcscd.apdus() - apdus
    );
    std::thread::sleep(OUTAGE);
    pcscd.restart().expect("pcscd starts again");
    println!(
        "pcscd restart: pcscd running again (start {})",
        pcscd.starts
    );

    let deadline = Instant::now() + Duration::from_secs(120);
    let mut resumed = 0;
    let mut reasons = Vec::new();
    let code = loop {
        if let Some(status) = run.child.try_wait().unwrap() {
            break status.code();
        }
        assert!(
            Instant::now() < deadline,
            "production did not end: {:?}",
            run.seen
        );
        if let Some(e) = run.next_event(Duration::from_millis(200))
            && e["event"] == "station_paused"
            && e["until"] == "operator_resumes"
        {
            println!("pcscd restart: paused: {}", e["reason"]);
            reasons.push(e["reason"].to_string());
            resumed += 1;
            cli.ok(&["stations", "resume", "desk-1"]);
        }
    };
    let (_, err, events) = run.finish(Duration::from_secs(10));
    for line in err.lines() {
        println!("pcscd restart: stderr: {line}");
    }
    for e in &events {
        if e["event"] != "card_started" && e["event"] != "card_produced" {
            println!("pcscd restart: event {e}");
        }
    }
    assert!(
        matches!(code, Some(0 | 3)),
        "produce exited {code:?}: {err}"
    );
    // The station paused for the operator, saying what to fix (not stopped as a broken reader).
    assert!(
        reasons.iter().any(|r| r.contains("pcscd")),
        "no pause naming pcscd: {reasons:?}"
    );
    let failed = count_state(dir.path(), 1, CardState::Failed);
    println!("pcscd restart: {failed} card(s) failed, {resumed} operator resume(s)");
    assert!(failed <= 1, "only the card being encoded may be spoiled");
    if failed > 0 {
        cli.ok(&["order", "repeat", "1"]);
        let (code, out, err) = cli.run(&["order", "produce", "1"]);
        assert_eq!(code, Some(0), "the repeat run: {out}{err}");
    }
    let settled = assert_settled(dir.path(), 1, CARDS, "pcscd restart");
    assert_eq!(settled.produced, CARDS, "{settled:?}");
    assert_nothing_to_recover(&cli, "pcscd restart");
    assert!(pcscd.is_running(), "the test's pcscd is running at the end");
    drop(served);
}
