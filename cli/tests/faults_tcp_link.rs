//! Fault: the TCP link to a network printer is cut in the middle of a print job and restored
//! (docs/faults.md).
//!
//! `cardline sim serve --tcp` serves a simulated Evolis printer on a real TCP port; a proxy in
//! the test sits between `cardline order produce` and the printer. Once a card is produced, the
//! proxy cuts the link exactly after a seeded number of bytes of the next job (the printer
//! holds part of a print stream), refuses every reconnection for a while, then lets them
//! through again. The run must resynchronise with the printer (docs/production.md: the card
//! whose position is unknown is rejected once the printer answers, no other card is fed
//! meanwhile), and the order must end with every card produced exactly once — the rejected one
//! on a new blank (`order repeat`) — and the printer must have completed exactly one print per
//! card (its PNGs).

mod faults_support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use cardline_issuance::model::CardState;
use faults_support::checks::{assert_nothing_to_recover, assert_settled, count_state};
use faults_support::cli::Cardline;
use faults_support::proxy::CutProxy;
use faults_support::serve::Served;

const CARDS: usize = 5;
/// How long the printer stays unreachable.
const OUTAGE: Duration = Duration::from_secs(3);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_printer_link_cut_mid_job_and_restored_ends_with_every_card_produced_once() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cardline::new(dir.path());
    let png = tempfile::tempdir().unwrap();
    let served = Served::start(
        &Cardline::new(&dir.path().join("server")),
        &[
            "--stations",
            "1",
            "--tcp",
            &format!("127.0.0.1:{}", free_port()),
            "--vpcd-slots",
            "0",
            "--time-scale",
            "0.02",
            "--png-dir",
            png.path().to_str().unwrap(),
        ],
    );
    let uri = served.printer(0);
    let upstream: SocketAddr = uri
        .rsplit_once("://")
        .and_then(|(_, a)| a.parse().ok())
        .unwrap_or_else(|| panic!("sim serve printed {uri}"));
    let proxy = CutProxy::start(upstream);
    cli.prepare(
        CARDS as u32,
        false,
        &format!(
            "[[station]]\nname = \"net-1\"\nprinter = \"evolis+tcp://{}\"\nencode = false\n",
            proxy.addr()
        ),
    );

    let mut run = cli.spawn(&["order", "produce", "1"]);
    run.wait_for("card_produced", Duration::from_secs(60), |e| {
        e["event"] == "card_produced"
    });
    // The next job's feed and status commands are a few hundred bytes, its print stream many
    // kilobytes: the cut lands inside the print.
    let before = proxy.bytes_up();
    proxy.cut_after(12_000);
    let cut_at = Instant::now();
    while !proxy.is_cut() {
        assert!(
            cut_at.elapsed() < Duration::from_secs(60),
            "the next job never sent 12,000 bytes (sent {})",
            proxy.bytes_up() - before
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    println!(
        "tcp link: cut after {} bytes of the next job",
        proxy.bytes_up() - before
    );
    std::thread::sleep(OUTAGE);
    let refused = proxy.refused();
    proxy.restore();
    println!("tcp link: {refused} reconnection(s) refused during the outage; restored");

    // The run resynchronises; a station paused for an operator is resumed, as one would.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut resumed = 0;
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
            println!("tcp link: paused: {}", e["reason"]);
            resumed += 1;
            cli.ok(&["stations", "resume", "net-1"]);
        }
    };
    let (_, err, events) = run.finish(Duration::from_secs(10));
    for e in &events {
        if e["event"] != "card_started" && e["event"] != "card_produced" {
            println!("tcp link: event {e}");
        }
    }
    assert!(
        matches!(code, Some(0 | 3)),
        "produce exited {code:?}: {err}"
    );
    assert!(
        proxy.accepted() > 1 + refused,
        "the run never reconnected after the link was restored"
    );
    // A card the cut spoiled is failed with its reason, and repeated on a new blank.
    let failed = count_state(dir.path(), 1, CardState::Failed);
    println!("tcp link: {failed} card(s) failed, {resumed} operator resume(s)");
    assert!(failed <= 1, "only the card in the cut job may be spoiled");
    if failed > 0 {
        cli.ok(&["order", "repeat", "1"]);
        let (code, out, err) = cli.run(&["order", "produce", "1"]);
        assert_eq!(code, Some(0), "the repeat run: {out}{err}");
    }
    let settled = assert_settled(dir.path(), 1, CARDS, "tcp link cut");
    assert_eq!(settled.produced, CARDS, "{settled:?}");
    assert_nothing_to_recover(&cli, "tcp link cut");
    drop(served);
    // The printer itself completed one print job per card: the cut job never finished, and
    // no card was printed twice.
    let printed: Vec<_> = std::fs::read_dir(png.path().join("sim-1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png") && !n.contains("-back"))
        .collect();
    assert_eq!(printed.len(), CARDS, "printed sides: {printed:?}");
}
