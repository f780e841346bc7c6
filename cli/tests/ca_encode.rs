//! `cardline encode` end to end: a SimCard behind the real pcscd (vpcd), the real PC/SC and PIV
//! drivers, the home's local CA and station key. Skips visibly without pcscd/vpcd.

mod temp_home;

use temp_home::{fail, json, ok};

#[path = "interop_rig/mod.rs"]
mod interop_rig;

use cardline_piv::PivSession;
use cardline_sim::card::{SimCard, SimCardConfig};
use interop_rig::{CARD_TIMEOUT, Rig};

/// A home with keys, a CA and `n` requested cards; returns the card numbers.
fn home_with_cards(n: u32) -> (tempfile::TempDir, Vec<String>) {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    ok(&home, &["keys", "init"]);
    ok(&home, &["ca", "init", "--name", "Encode Test CA"]);
    ok(&home, &["request", "--count", &n.to_string()]);
    let cards = json(&home, &["cards", "list", "--state", "requested"]);
    let numbers = cards["cards"]
        .as_array()
        .expect("cards list --json is an array")
        .iter()
        .map(|c| c["number"].as_str().unwrap().to_string())
        .collect();
    (home, numbers)
}

#[test]
fn encode_refuses_cards_that_are_not_waiting_next() {
    let (home, cards) = home_with_cards(3);
    let err = fail(
        &home,
        &["encode", "--reader", "no such reader", "--card", &cards[0]],
    );
    assert!(
        err.contains("is requested") && err.contains("order create"),
        "{err}"
    );
    ok(&home, &["order", "create", &cards[1], &cards[2]]);
    // Any waiting card of the order may be encoded (the one the operator put in the reader),
    // not only the next one; the missing reader is reported before any attempt is opened.
    for card in [&cards[2], &cards[1]] {
        let err = fail(
            &home,
            &["encode", "--reader", "no such reader", "--card", card],
        );
        assert!(err.to_lowercase().contains("reader"), "{err}");
        let shown = json(&home, &["cards", "show", card]);
        let text = shown.to_string();
        assert!(text.contains("in_production"), "{text}");
        assert!(
            !text.contains("encode:"),
            "no attempt may be opened: {text}"
        );
    }
}

#[test]
fn encode_personalises_the_card_in_a_pcsc_reader() {
    let Some(rig) = Rig::start_with(
        "encode_personalises_the_card_in_a_pcsc_reader",
        SimCard::new(SimCardConfig::from_seed(4242)),
    ) else {
        return;
    };
    let serial = rig.card.lock().unwrap().serial();
    let (home, cards) = home_with_cards(2);
    ok(&home, &["order", "create", &cards[0]]);

    let encoded = json(
        &home,
        &["encode", "--reader", &rig.reader, "--card", &cards[0]],
    );
    assert_eq!(encoded["card"], cards[0].as_str());
    assert_eq!(encoded["state"], "unassigned");
    assert_eq!(encoded["reader"], rig.reader.as_str());
    let chip = encoded["chip_id"].as_str().unwrap().to_string();
    assert_eq!(
        chip,
        format!("{serial:08x}"),
        "chip id is the card's serial in hex"
    );
    let slots = encoded["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 1);
    assert_eq!(slots[0]["slot"], "9a");
    println!(
        "encode through pcscd: {} APDUs in {} ms",
        encoded["apdus"], encoded["millis"]
    );

    // The record: produced, chip recorded, one certificate issued by the home's CA.
    let shown = json(&home, &["cards", "show", &cards[0]]).to_string();
    assert!(shown.contains(&chip), "{shown}");
    let ca = json(&home, &["ca", "show"]);
    assert_eq!(ca["issued"], 1);

    // The revealed PIN is the one on the card.
    let secrets = json(&home, &["cards", "secrets", &cards[0], "--reveal"]);
    let pin = secrets["pin"].as_str().unwrap().to_string();
    assert_eq!(pin.len(), 6);
    {
        let reader = rig.readers.find(&rig.reader).unwrap();
        let mut session = reader.open(CARD_TIMEOUT).unwrap();
        let mut piv = PivSession::open(&mut session).unwrap();
        piv.verify_pin(pin.as_bytes())
            .expect("the revealed PIN verifies");
        let cert = piv
            .certificate(cardline_device::PivSlot::AUTHENTICATION)
            .unwrap()
            .expect("certificate in 9A");
        verify_with_openssl(&home, &cert);
    }

    // The same (now personalised) chip cannot be encoded again for another card: it refuses
    // the transport PIN. That is the station's problem (used stock, or the wrong card
    // profile), not the card record's: the record keeps waiting for a fresh blank.
    ok(&home, &["order", "create", &cards[1]]);
    let err = fail(
        &home,
        &["encode", "--reader", &rig.reader, "--card", &cards[1]],
    );
    assert!(
        err.contains("now in_production") && err.contains("not a fresh blank"),
        "{err}"
    );
    assert!(!err.contains(&pin), "no secret in errors");
}

fn verify_with_openssl(home: &tempfile::TempDir, cert_der: &[u8]) {
    let der = home.path().join("leaf.der");
    let pem = home.path().join("leaf.pem");
    std::fs::write(&der, cert_der).unwrap();
    let convert = std::process::Command::new("openssl")
        .args(["x509", "-inform", "DER", "-in"])
        .arg(&der)
        .arg("-out")
        .arg(&pem)
        .output();
    let Ok(convert) = convert else {
        cardline_device::skipped!("openssl CLI not found, chain not verified with openssl");
        return;
    };
    assert!(convert.status.success());
    let out = std::process::Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(home.path().join("ca/ca.crt"))
        .arg(&pem)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains(": OK"), "{text}");
}
