//! Measures full personalisations through the real PC/SC stack: a SimCard plugged into pcscd
//! through vpcd, the real PIV driver on the other side of `libpcsclite`.
//!
//! `cargo run -p cardline-piv --example pcscd_personalise [-- N [PORT]]` (pcscd with the vpcd
//! driver must be running; prints `skipped: ...` otherwise). Takes /tmp/cardline-vpcd.lock.
//! With `CARDLINE_HOLD_SECS=30` the last card stays in the reader for other clients to read.
//! With `CARDLINE_INSPECT_AFTER_SECS=30` a blank card is plugged in, other tools get that long
//! to personalise it (e.g. yubico-piv-tool), then cardline inspects it.

#[path = "../tests/common/mod.rs"]
mod common;

use std::ffi::CString;
use std::time::{Duration, Instant};

use cardline_device::{
    CardEncoder, CardTransport, EncodingPlan, KeyAlgorithm, KeyRequest, ManagementKey, MasterKey,
    Pin, PivSlot, Puk, TransportError,
};
use cardline_piv::PivEncoder;
use cardline_sim::card::{SimCard, SimCardConfig, SimCardTransport};
use cardline_sim::vpcd::{VpcdCard, reader_name_for_port};
use common::TestCa;

struct Pcsc {
    card: pcsc::Card,
    reader: String,
    buffer: Vec<u8>,
}

impl CardTransport for Pcsc {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.card
            .transmit(command, &mut self.buffer)
            .map(|r| r.to_vec())
            .map_err(|e| TransportError::Reader {
                reader: self.reader.clone(),
                detail: e.to_string(),
            })
    }
    fn atr(&self) -> Vec<u8> {
        Vec::new()
    }
    fn reader_name(&self) -> String {
        self.reader.clone()
    }
}

fn plan(n: usize) -> EncodingPlan {
    let mut guid = [0u8; 16];
    guid[..8].copy_from_slice(&(n as u64).to_be_bytes());
    guid[8..].copy_from_slice(b"cardline");
    EncodingPlan {
        card_number: format!("C-{n:06}"),
        transport_pin: Pin::new(b"123456".to_vec()),
        transport_puk: Puk::new(b"12345678".to_vec()),
        transport_management_key: ManagementKey::piv_default(),
        pin: Pin::new(b"918273".to_vec()),
        puk: Puk::new(b"55667788".to_vec()),
        management_key_master: MasterKey::new(vec![0x3C; 32]),
        keys: vec![KeyRequest {
            slot: PivSlot::AUTHENTICATION,
            algorithm: KeyAlgorithm::EccP256,
            profile: "auth".into(),
        }],
        guid,
        expiry: "20271231".into(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    let port: u16 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(35964);
    let lock = std::fs::File::create("/tmp/cardline-vpcd.lock").expect("lock file");
    lock.lock().expect("vpcd lock");
    let ctx = match pcsc::Context::establish(pcsc::Scope::User) {
        Ok(c) => c,
        Err(e) => return println!("skipped: no pcscd ({e})"),
    };
    let reader = reader_name_for_port(port).expect("vpcd port");
    let shared = SimCardTransport::share(SimCard::new(SimCardConfig::default()));
    let endpoint = VpcdCard::spawn(shared.clone(), ([127, 0, 0, 1], port).into());
    let reader_c = CString::new(reader.clone()).unwrap();
    let mut states = [pcsc::ReaderState::new(
        reader_c.clone(),
        pcsc::State::UNAWARE,
    )];
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if ctx
            .get_status_change(Duration::from_millis(500), &mut states)
            .is_err()
            && Instant::now() > deadline
        {
            return println!("skipped: reader `{reader}` not available");
        }
        if states[0].event_state().contains(pcsc::State::PRESENT) {
            break;
        }
        if Instant::now() > deadline {
            return println!("skipped: no card appeared in `{reader}`");
        }
        states[0].sync_current_state();
    }
    if let Ok(secs) = std::env::var("CARDLINE_INSPECT_AFTER_SECS") {
        println!("blank card in `{reader}`; inspecting in {secs} s");
        std::thread::sleep(Duration::from_secs(secs.parse().unwrap_or(10)));
        let card = ctx
            .connect(&reader_c, pcsc::ShareMode::Exclusive, pcsc::Protocols::T1)
            .expect("connect");
        let mut transport = Pcsc {
            card,
            reader: reader.clone(),
            buffer: vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED],
        };
        println!(
            "APDUs the card served before cardline looked: {}",
            endpoint.apdus()
        );
        let seen = PivEncoder::new().inspect(&mut transport).expect("inspect");
        println!(
            "chip {:?}, guid {:?}, still blank {}, certificates in {:?}",
            seen.chip_id,
            seen.guid,
            seen.still_blank,
            seen.certificates
                .iter()
                .map(|(s, c)| (s.to_string(), c.len()))
                .collect::<Vec<_>>()
        );
        drop(transport);
        endpoint.stop();
        return;
    }
    let card = ctx
        .connect(&reader_c, pcsc::ShareMode::Exclusive, pcsc::Protocols::T1)
        .expect("connect");
    let mut transport = Pcsc {
        card,
        reader: reader.clone(),
        buffer: vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED],
    };
    let ca = TestCa::new();
    let mut total = Duration::ZERO;
    let mut last = None;
    for n in 0..runs {
        // A factory-fresh blank in the same reader (same ATR; pcscd keeps the connection).
        *shared.lock().unwrap() = SimCard::new(SimCardConfig::from_seed(n as u64));
        let started = Instant::now();
        let receipt = PivEncoder::new()
            .encode(&mut transport, &plan(n), &ca)
            .expect("personalisation");
        total += started.elapsed();
        last = Some(receipt);
    }
    let r = last.expect("at least one run");
    if let Ok(secs) = std::env::var("CARDLINE_HOLD_SECS") {
        // Keep the last personalised card in the reader for other clients (yubico-piv-tool,
        // OpenSC) to look at.
        drop(transport);
        println!("holding the card in `{reader}` for {secs} s");
        std::thread::sleep(Duration::from_secs(secs.parse().unwrap_or(10)));
        endpoint.stop();
        return;
    }
    println!(
        "{runs} personalisations through pcscd ({reader}): {:.2} ms each; {} APDUs, {} bytes out, {} bytes in per card",
        total.as_secs_f64() * 1000.0 / runs as f64,
        r.apdus,
        r.bytes_out,
        r.bytes_in
    );
    endpoint.stop();

    // The same work in-process (no pcscd): the difference is the PC/SC stack's share.
    let mut total = Duration::ZERO;
    for n in 0..runs {
        let card = SimCardTransport::share(SimCard::new(SimCardConfig::from_seed(n as u64)));
        let mut session = SimCardTransport::new(card, "in-process");
        let started = Instant::now();
        PivEncoder::new()
            .encode(&mut session, &plan(n), &ca)
            .expect("personalisation");
        total += started.elapsed();
    }
    println!(
        "{runs} personalisations in-process: {:.2} ms each",
        total.as_secs_f64() * 1000.0 / runs as f64
    );
}
