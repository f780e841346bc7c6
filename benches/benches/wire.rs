//! Wire efficiency (issue 6, benchmark 3): the APDUs and bytes one full PIV personalisation
//! (PIN, PUK, management key, one P-256 key generated on card + certificate from a CA, CHUID,
//! CCC) costs when cardline does it and when yubico-piv-tool does the same steps, both against
//! a fresh SimCard behind the real pcscd + vsmartcard-vpcd, in the same run. Counted on the
//! card's side of vpcd so both tools are measured the same way. Both cards are checked
//! afterwards (certificate in 9a certifies the key on the card and comes from the CA, new PIN
//! verifies, new PUK and management key set, CHUID and CCC present), then a criterion benchmark
//! times cardline's personalisation through pcscd.
//!
//! `cargo bench -p cardline-benches --bench wire`. Skips visibly without pcscd, the vpcd reader
//! or yubico-piv-tool. Holds /tmp/cardline-vpcd.lock for the whole run.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use cardline_device::{
    CardEncoder, CertificateIssuer, CertificateRequest, EncodingPlan, KeyAlgorithm, Pin, PivSlot,
    Puk,
};
use cardline_hil::TestLine;
use cardline_issuance::ca::{CertificateAuthority, ProfileIssuer};
use cardline_issuance::options::Options;
use cardline_piv::{PivEncoder, PivSession};
use cardline_sim::card::{ALG_ECCP256, SharedSimCard, SimCard, SimCardConfig, SimCardTransport};
use criterion::Criterion;

/// What both tools set.
const NEW_PIN: &str = "918273";
const NEW_PUK: &str = "55667788";
/// The factory values of a SimCard (YubiKey defaults).
const TRANSPORT_PIN: &str = "123456";
const TRANSPORT_PUK: &str = "12345678";
const DEFAULT_MGM_KEY: [u8; 24] = [
    1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8,
];
/// The management key yubico-piv-tool sets (3DES, like the card's factory key).
const YPT_NEW_MGM_KEY: &str = "0F0E0D0C0B0A09080706050403020100F0E0D0C0B0A09080";

/// The PC/SC rig of the pcscd tests: pcscd + vpcd, the reader lock, visible skips.
#[path = "../../drivers/pcsc/tests/common/mod.rs"]
mod common;

use common::{CARD_TIMEOUT, Rig};

/// Where yubico-piv-tool's files go; each card is plugged in by a [`Rig`] of its own.
struct WireRig {
    reader: String,
    dir: PathBuf,
}

/// What one personalisation cost, as seen by the card.
struct WireFigures {
    tool: &'static str,
    apdus: u64,
    bytes_out: u64,
    bytes_in: u64,
    invocations: u32,
    wall: Duration,
    by_instruction: BTreeMap<u8, u64>,
}

impl WireRig {
    /// `None` (after printing `skipped: ...`) when pcscd, the vpcd reader or yubico-piv-tool
    /// is missing.
    fn start() -> Option<WireRig> {
        if !common::tools_present("wire", &["yubico-piv-tool"]) {
            return None;
        }
        let probe = Rig::start("wire")?;
        Some(WireRig {
            reader: probe.reader.clone(),
            dir: common::temp_dir("wire"),
        })
    }

    /// Plugs a factory-fresh card into the reader (the reader lock is held until the returned
    /// rig is dropped, which pulls the card).
    fn plug(&self, seed: u64) -> Rig {
        Rig::start_with("wire", SimCard::new(SimCardConfig::from_seed(seed)))
            .expect("pcscd and the vpcd reader were there at the start")
    }
}

impl Drop for WireRig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The personalisation plan of card `n` (the production defaults: one P-256 key in 9a).
fn plan(line: &TestLine, n: u64) -> EncodingPlan {
    let enc = line.kit.settings.encoding.clone().expect("encoding on");
    EncodingPlan {
        card_number: format!("TMP{n:09}"),
        transport_pin: enc.transport_pin.clone(),
        transport_puk: enc.transport_puk.clone(),
        transport_management_key: enc.transport_management_key.clone(),
        pin: Pin::new(NEW_PIN.as_bytes().to_vec()),
        puk: Puk::new(NEW_PUK.as_bytes().to_vec()),
        management_key_master: enc.management_key_master.clone(),
        keys: enc.keys.clone(),
        guid: [n as u8; 16],
        expiry: "20991231".into(),
    }
}

/// cardline personalises a fresh card through pcscd.
fn cardline_run(
    rig: &WireRig,
    issuer: &ProfileIssuer<'_>,
    plan: &EncodingPlan,
    ca_subject: &[u8],
) -> WireFigures {
    let plugged = rig.plug(1);
    let (card, vpcd) = (
        plugged.card.clone(),
        plugged.vpcd.as_ref().expect("plugged"),
    );
    let started = Instant::now();
    let receipt = {
        let reader = plugged.readers.find(&plugged.reader).expect("reader");
        let mut session = reader.open(CARD_TIMEOUT).expect("session");
        PivEncoder::new()
            .encode(&mut session, plan, issuer)
            .expect("cardline personalises the card")
    };
    let wall = started.elapsed();
    let figures = WireFigures {
        tool: "cardline",
        apdus: vpcd.apdus(),
        bytes_out: vpcd.command_bytes(),
        bytes_in: vpcd.response_bytes(),
        by_instruction: vpcd.apdus_by_instruction(),
        invocations: 1,
        wall,
    };
    drop(plugged);
    assert_eq!(
        u64::from(receipt.apdus),
        figures.apdus,
        "cardline's own count and the card's agree"
    );
    check_personalised(&card, "cardline", ca_subject);
    figures
}

/// How the yubico-piv-tool steps are spread over invocations.
#[derive(Clone, Copy)]
enum Grouping {
    /// As few as the tool allows: `-P`/`-N` serve both change-pin and change-puk, so the PIN
    /// and the PUK change in different invocations; the certificate needs the generated key,
    /// so the CA works between the two.
    Fewest,
    /// One action per invocation, the way the steps are usually scripted.
    OnePerAction,
}

/// yubico-piv-tool does the same steps on a fresh card: change PIN, generate P-256 in 9a,
/// (the CA certifies the key), change PUK, import the certificate, set CHUID, set CCC, set the
/// management key (last: every earlier step authenticates with the factory key).
fn yubico_run(
    rig: &WireRig,
    issuer: &ProfileIssuer<'_>,
    plan: &EncodingPlan,
    ca_subject: &[u8],
    grouping: Grouping,
) -> WireFigures {
    let plugged = rig.plug(2);
    let (card, vpcd) = (
        plugged.card.clone(),
        plugged.vpcd.as_ref().expect("plugged"),
    );
    let path = |f: &str| rig.dir.join(f).to_string_lossy().into_owned();
    let (pub_pem, cert_der) = (path("pub9a.pem"), path("cert9a.der"));
    let new_key = format!("--new-key={YPT_NEW_MGM_KEY}");
    let before_ca: Vec<Vec<&str>> = vec![
        vec!["-a", "change-pin", "-P", TRANSPORT_PIN, "-N", NEW_PIN],
        vec![
            "-a", "generate", "-s", "9a", "-A", "ECCP256", "-o", &pub_pem,
        ],
    ];
    let after_ca: Vec<Vec<&str>> = vec![
        vec!["-a", "change-puk", "-P", TRANSPORT_PUK, "-N", NEW_PUK],
        vec![
            "-a",
            "import-certificate",
            "-s",
            "9a",
            "-K",
            "DER",
            "-i",
            &cert_der,
        ],
        vec!["-a", "set-chuid"],
        vec!["-a", "set-ccc"],
        vec!["-a", "set-mgm-key", &new_key],
    ];
    let r = format!("-r{}", rig.reader);
    let mut per_invocation = Vec::new();
    let mut run_all = |invocations: Vec<Vec<&str>>| {
        for args in invocations {
            let before = vpcd.apdus();
            ypt(rig, &[&[r.as_str()][..], &args].concat());
            per_invocation.push(vpcd.apdus() - before);
        }
    };
    let started = Instant::now();
    run_all(group_any(grouping, before_ca));
    let pem = std::fs::read(&pub_pem).expect("public key written");
    let (_, spki) = x509_parser::pem::parse_x509_pem(&pem).expect("PEM public key");
    let key = &plan.keys[0];
    let certificate = issuer
        .issue(&CertificateRequest {
            card_number: plan.card_number.clone(),
            profile: key.profile.clone(),
            slot: key.slot,
            algorithm: key.algorithm,
            public_key_spki: spki.contents,
            chip_id: hex::encode(card.lock().unwrap().serial().to_be_bytes()),
        })
        .expect("the CA certifies the key");
    std::fs::write(&cert_der, &certificate).expect("certificate written");
    run_all(group_any(grouping, after_ca));
    let wall = started.elapsed();
    let figures = WireFigures {
        tool: match grouping {
            Grouping::Fewest => "yubico-piv-tool",
            Grouping::OnePerAction => "ypt 1 action/run",
        },
        apdus: vpcd.apdus(),
        bytes_out: vpcd.command_bytes(),
        bytes_in: vpcd.response_bytes(),
        by_instruction: vpcd.apdus_by_instruction(),
        invocations: per_invocation.len() as u32,
        wall,
    };
    drop(plugged);
    println!("{}: APDUs per invocation {per_invocation:?}", figures.tool);
    check_personalised(&card, figures.tool, ca_subject);
    figures
}

/// The invocations of `actions` (each an `-a ...` argument list) under `grouping`.
fn group_any(grouping: Grouping, actions: Vec<Vec<&str>>) -> Vec<Vec<&str>> {
    match grouping {
        Grouping::Fewest => vec![actions.concat()],
        Grouping::OnePerAction => actions,
    }
}

/// Runs yubico-piv-tool with a private HOME; panics with its output when it fails.
fn ypt(rig: &WireRig, args: &[&str]) {
    let out = std::process::Command::new("yubico-piv-tool")
        .args(args)
        .env("HOME", &rig.dir)
        .output()
        .expect("running yubico-piv-tool");
    assert!(
        out.status.success(),
        "yubico-piv-tool {}: {}{}",
        args.iter()
            .filter(|a| !a.starts_with("--new-key"))
            .copied()
            .collect::<Vec<_>>()
            .join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Proves the card (already out of the reader) really was personalised: the certificate in
/// 9a certifies the P-256 key generated on the card and comes from the CA, the new PIN
/// verifies, PUK and management key are no longer the factory ones, CHUID and CCC exist.
fn check_personalised(card: &SharedSimCard, tool: &str, ca_subject: &[u8]) {
    let (point, state) = {
        let card = card.lock().unwrap();
        let state = card.state().clone();
        let key = state.key(0x9A).expect("a key in 9a");
        assert_eq!(key.algorithm, ALG_ECCP256, "{tool}: P-256 in 9a");
        let secret = p256::SecretKey::from_slice(&key.private).expect("P-256 scalar");
        (secret.public_key().to_sec1_bytes().to_vec(), state)
    };
    assert_eq!(point.len(), 65);
    let mut template = vec![0x7F, 0x49, 67, 0x86, 65];
    template.extend(&point);
    let generated =
        cardline_piv::pubkey::parse_generated(KeyAlgorithm::EccP256, &template).expect("key");
    let mut transport = SimCardTransport::new(card.clone(), "check");
    let mut session = PivSession::open(&mut transport).expect("select");
    let cert = session
        .certificate(PivSlot::AUTHENTICATION)
        .expect("read 9a")
        .unwrap_or_else(|| panic!("{tool}: no certificate in 9a"));
    assert!(
        cardline_piv::pubkey::certificate_holds(&cert, &generated).expect("certificate parses"),
        "{tool}: the certificate in 9a certifies the key on the card"
    );
    session
        .verify_pin(NEW_PIN.as_bytes())
        .unwrap_or_else(|e| panic!("{tool}: new PIN refused: {e}"));
    assert_eq!(
        &state.puk.value[..NEW_PUK.len()],
        NEW_PUK.as_bytes(),
        "{tool}: new PUK"
    );
    assert_ne!(
        state.management_key.key, DEFAULT_MGM_KEY,
        "{tool}: management key changed"
    );
    for (name, tag) in [("CHUID", [0x5F, 0xC1, 0x02]), ("CCC", [0x5F, 0xC1, 0x07])] {
        assert!(state.object(&tag).is_some(), "{tool}: {name} written");
    }
    assert_eq!(issuer_of(&cert), ca_subject, "{tool}: issued by the CA");
}

fn issuer_of(der: &[u8]) -> Vec<u8> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).expect("certificate");
    cert.issuer().as_raw().to_vec()
}

fn subject_of(der: &[u8]) -> Vec<u8> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).expect("certificate");
    cert.subject().as_raw().to_vec()
}

fn print_table(rows: &[WireFigures]) {
    println!();
    println!("one full PIV personalisation through pcscd + vpcd (counted by the card):");
    println!(
        "{:<16} {:>6} {:>10} {:>9} {:>12} {:>8}",
        "tool", "APDUs", "bytes out", "bytes in", "invocations", "wall ms"
    );
    for r in rows {
        println!(
            "{:<16} {:>6} {:>10} {:>9} {:>12} {:>8.1}",
            r.tool,
            r.apdus,
            r.bytes_out,
            r.bytes_in,
            r.invocations,
            r.wall.as_secs_f64() * 1000.0
        );
    }
    for r in rows {
        // Protocol order: session opening, credentials, keys, objects, reads.
        let order = |ins: &u8| {
            PROTOCOL_ORDER
                .iter()
                .position(|o| o == ins)
                .unwrap_or(PROTOCOL_ORDER.len())
        };
        let mut seen: Vec<(&u8, &u64)> = r.by_instruction.iter().collect();
        seen.sort_by_key(|(ins, _)| order(ins));
        let parts: Vec<String> = seen
            .iter()
            .map(|(ins, n)| format!("{} {n}", instruction_name(**ins)))
            .collect();
        println!("{:<16} {}", r.tool, parts.join(", "));
    }
    println!();
}

/// Instruction bytes in the order a personalisation uses them.
const PROTOCOL_ORDER: [u8; 13] = [
    0xA4, 0xFD, 0xF8, 0xF7, 0x20, 0x24, 0x2C, 0x87, 0xFF, 0x47, 0xDB, 0xCB, 0xC0,
];

/// The PIV (and YubiKey) command an instruction byte names.
fn instruction_name(ins: u8) -> String {
    match ins {
        0xA4 => "SELECT".into(),
        0xFD => "GET VERSION".into(),
        0xF8 => "GET SERIAL".into(),
        0xF7 => "GET METADATA".into(),
        0x20 => "VERIFY".into(),
        0x24 => "CHANGE REFERENCE".into(),
        0x2C => "RESET RETRY".into(),
        0x87 => "GENERAL AUTHENTICATE".into(),
        0xFF => "SET MGM KEY".into(),
        0x47 => "GENERATE".into(),
        0xDB => "PUT DATA".into(),
        0xCB => "GET DATA".into(),
        0xC0 => "GET RESPONSE".into(),
        other => format!("INS {other:02X}"),
    }
}

/// Criterion: cardline's full personalisation through pcscd, a fresh card content each time
/// (the same card stays in the reader; its state is replaced by a factory-fresh one).
fn bench_cardline(c: &mut Criterion, rig: &WireRig, line: &TestLine, issuer: &ProfileIssuer<'_>) {
    let plugged = rig.plug(3);
    let card = plugged.card.clone();
    let reader = plugged.readers.find(&plugged.reader).expect("reader");
    let mut serial = 10u64;
    let mut g = c.benchmark_group("wire");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    g.bench_function("cardline_personalisation_through_pcscd", |b| {
        b.iter(|| {
            serial += 1;
            *card.lock().unwrap() = SimCard::new(SimCardConfig::from_seed(serial));
            let mut session = reader.open(CARD_TIMEOUT).expect("session");
            PivEncoder::new()
                .encode(&mut session, &plan(line, serial), issuer)
                .expect("personalisation")
        })
    });
    g.finish();
    drop(reader);
    drop(plugged);
}

fn main() {
    let Some(rig) = WireRig::start() else {
        return;
    };
    let line = TestLine::new();
    let profiles = Options::default().certificate_specs();
    let not_after =
        cardline_hil::line::OffsetDateTime::now_utc() + cardline_hil::line::TimeDuration::days(30);
    let issuer = ProfileIssuer::new(line.ca(), &profiles, not_after);
    let plan = plan(&line, 1);
    assert_eq!(
        plan.keys
            .iter()
            .map(|k| (k.slot, k.algorithm))
            .collect::<Vec<_>>(),
        vec![(PivSlot::AUTHENTICATION, KeyAlgorithm::EccP256)],
        "the default plan is one P-256 key in 9a"
    );

    let ca_subject = subject_of(line.ca().ca_certificate_der());
    let rows = [
        cardline_run(&rig, &issuer, &plan, &ca_subject),
        yubico_run(&rig, &issuer, &plan, &ca_subject, Grouping::Fewest),
        yubico_run(&rig, &issuer, &plan, &ca_subject, Grouping::OnePerAction),
    ];
    print_table(&rows);
    let [ours, theirs, _] = &rows;
    assert!(
        ours.apdus <= 20,
        "cardline used {} APDUs (target ≤ 20)",
        ours.apdus
    );
    assert!(
        ours.apdus <= theirs.apdus,
        "cardline used {} APDUs, yubico-piv-tool {}",
        ours.apdus,
        theirs.apdus
    );

    let mut c = Criterion::default().configure_from_args();
    bench_cardline(&mut c, &rig, &line, &issuer);
    c.final_summary();
}
