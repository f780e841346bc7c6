//! The APDU trace: every APDU the encoder sends appears once at trace level, and no PIN, PUK or
//! management key does. Alone in its test binary because tracing caches callsite interest
//! process-wide: another test thread touching the same callsites while the scoped subscriber is
//! being installed can leave them disabled.

mod common;

use std::sync::{Arc, Mutex};

use cardline_device::{CardEncoder, MasterKey};
use cardline_piv::{ManagementAlgorithm, PivEncoder, derive_management_key};
use cardline_sim::card::SimCardConfig;
use common::TestCa;
use common::sim::{MASTER, card, p256_only, session_on};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn trace_log_shows_every_apdu_and_no_secret() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let sim = card(SimCardConfig::default());
    let plan = p256_only();
    let receipt = tracing::subscriber::with_default(subscriber, || {
        // Other tests in this binary may have registered the APDU callsites on their threads
        // (with no subscriber) while this one was being installed; recompute their interest so
        // none stays cached as "never".
        tracing::callsite::rebuild_interest_cache();
        PivEncoder::new()
            .encode(&mut session_on(&sim), &plan, &TestCa::new())
            .unwrap()
    });
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let sent = log
        .lines()
        .filter(|l| l.contains(" >> ") && l.contains("cardline::apdu"))
        .count();
    assert_eq!(sent as u32, receipt.apdus);
    // The transcript (run with --nocapture to see it; it is what docs/piv.md shows).
    for line in log.lines().filter(|l| l.contains("cardline::apdu")) {
        println!("{}", line.split("cardline::apdu: ").last().unwrap_or(line));
    }
    assert!(log.contains("<redacted 16 bytes>"));
    let serial = sim.lock().unwrap().serial();
    let card_key = derive_management_key(
        &MasterKey::new(MASTER.to_vec()),
        &serial.to_be_bytes(),
        ManagementAlgorithm::TripleDes,
    );
    for secret in [
        hex::encode(b"918273"),
        hex::encode(b"55667788"),
        hex::encode(b"123456"),
        hex::encode(card_key.expose()),
    ] {
        assert!(
            !log.to_lowercase().contains(&secret),
            "secret {secret} in log"
        );
    }
}
