//! Full personalisation against the simulated PIV card (`cardline_sim::card::SimCard`): the
//! real driver, a card with real cryptography and card rules, nothing scripted.

mod common;

use cardline_device::{CardEncoder, EncodeError, KeyAlgorithm, ManagementKey, MasterKey, PivSlot};
use cardline_piv::{
    Credential, ManagementAlgorithm, PivEncoder, PivError, PivSession, derive_management_key,
};
use cardline_sim::card::{ALG_3DES, ALG_AES192, AtrProfile, EepromFailure, SimCardConfig};
use common::TestCa;
use common::sim::{MASTER, card, p256_only, plan, session_on};

#[test]
fn one_p256_key_personalises_in_twenty_apdus_and_everything_reads_back() {
    let sim = card(SimCardConfig::default());
    let plan = p256_only();
    let receipt = PivEncoder::new()
        .encode(&mut session_on(&sim), &plan, &TestCa::new())
        .unwrap();
    let serial = sim.lock().unwrap().serial();
    assert_eq!(receipt.chip_id, hex::encode(serial.to_be_bytes()));
    assert_eq!(receipt.guid, hex::encode(plan.guid));
    assert_eq!(receipt.slots.len(), 1);
    println!(
        "one P-256 personalisation: {} APDUs, {} bytes out, {} bytes in",
        receipt.apdus, receipt.bytes_out, receipt.bytes_in
    );
    assert!(receipt.apdus <= 20, "{} APDUs", receipt.apdus);

    // A fresh session sees the new credentials, and only those.
    let mut t = session_on(&sim);
    let mut s = PivSession::open(&mut t).unwrap();
    assert!(matches!(
        s.verify_pin(b"123456"),
        Err(PivError::WrongCredential { tries: 2, .. })
    ));
    s.verify_pin(b"918273").unwrap();
    s.change_reference(Credential::Puk, b"55667788", b"55667788")
        .unwrap();
    let card_key = derive_management_key(
        &MasterKey::new(MASTER.to_vec()),
        &serial.to_be_bytes(),
        ManagementAlgorithm::TripleDes,
    );
    assert!(
        !s.accepts_management_key(
            &ManagementKey::piv_default(),
            ManagementAlgorithm::TripleDes
        )
        .unwrap()
    );
    assert!(
        s.accepts_management_key(&card_key, ManagementAlgorithm::TripleDes)
            .unwrap()
    );
    let cert = s.certificate(PivSlot::AUTHENTICATION).unwrap().unwrap();
    assert_eq!(cert, receipt.slots[0].certificate);
    let state = sim.lock().unwrap().state().clone();
    assert_eq!(state.management_key.key, card_key.expose());
}

#[test]
fn yubikey_5_7_gets_an_aes192_card_key() {
    let sim = card(SimCardConfig {
        version: [5, 7, 1],
        management_key_algorithm: ALG_AES192,
        ..SimCardConfig::default()
    });
    let receipt = PivEncoder::new()
        .encode(&mut session_on(&sim), &p256_only(), &TestCa::new())
        .unwrap();
    assert!(receipt.apdus <= 20, "{} APDUs", receipt.apdus);
    let state = sim.lock().unwrap().state().clone();
    assert_eq!(state.management_key.algorithm, ALG_AES192);
    assert_ne!(
        state.management_key.key,
        ManagementKey::piv_default().expose()
    );
}

#[test]
fn metadata_corrects_a_wrong_algorithm_guess() {
    // A 5.7 card still holding a 3DES default key: the version suggests AES-192, the card
    // refuses it, GET METADATA names 3DES, and authentication goes on with it.
    let sim = card(SimCardConfig {
        version: [5, 7, 0],
        management_key_algorithm: ALG_3DES,
        ..SimCardConfig::default()
    });
    let receipt = PivEncoder::new()
        .encode(&mut session_on(&sim), &p256_only(), &TestCa::new())
        .unwrap();
    assert_eq!(
        sim.lock().unwrap().state().management_key.algorithm,
        ALG_AES192
    );
    assert!(receipt.apdus <= 22, "{} APDUs", receipt.apdus);
}

#[test]
fn three_algorithms_in_three_slots() {
    let sim = card(SimCardConfig::default());
    let plan = plan(&[
        (PivSlot::AUTHENTICATION, KeyAlgorithm::EccP256),
        (PivSlot::SIGNATURE, KeyAlgorithm::EccP384),
        (PivSlot::KEY_MANAGEMENT, KeyAlgorithm::Rsa2048),
    ]);
    let receipt = PivEncoder::new()
        .encode(&mut session_on(&sim), &plan, &TestCa::new())
        .unwrap();
    let algorithms: Vec<_> = receipt.slots.iter().map(|s| s.algorithm).collect();
    assert_eq!(
        algorithms,
        [
            KeyAlgorithm::EccP256,
            KeyAlgorithm::EccP384,
            KeyAlgorithm::Rsa2048
        ]
    );
    println!("three keys: {} APDUs", receipt.apdus);
    let inspection = PivEncoder::new().inspect(&mut session_on(&sim)).unwrap();
    assert_eq!(inspection.certificates.len(), 3);
}

#[test]
fn inspect_tells_blank_from_personalised_without_changing_anything() {
    let sim = card(SimCardConfig::default());
    let before = PivEncoder::new().inspect(&mut session_on(&sim)).unwrap();
    assert!(before.still_blank);
    assert!(before.certificates.is_empty() && before.guid.is_none());
    let serial = sim.lock().unwrap().serial();
    assert_eq!(before.chip_id, Some(hex::encode(serial.to_be_bytes())));

    let plan = p256_only();
    PivEncoder::new()
        .encode(&mut session_on(&sim), &plan, &TestCa::new())
        .unwrap();
    let state_before = serde_json::to_string(sim.lock().unwrap().state()).unwrap();
    let after = PivEncoder::new().inspect(&mut session_on(&sim)).unwrap();
    assert!(!after.still_blank);
    assert_eq!(after.guid, Some(hex::encode(plan.guid)));
    assert_eq!(after.certificates[0].0, PivSlot::AUTHENTICATION);
    let state_after = serde_json::to_string(sim.lock().unwrap().state()).unwrap();
    assert_eq!(state_before, state_after, "inspect changed the card");
}

#[test]
fn a_card_that_was_already_personalised_is_refused_at_the_pin() {
    let sim = card(SimCardConfig::default());
    PivEncoder::new()
        .encode(&mut session_on(&sim), &p256_only(), &TestCa::new())
        .unwrap();
    let err = PivEncoder::new()
        .encode(&mut session_on(&sim), &p256_only(), &TestCa::new())
        .unwrap_err();
    assert!(
        matches!(
            err,
            EncodeError::TransportCredential {
                what: "PIN",
                remaining: 2
            }
        ),
        "{err:?}"
    );
}

#[test]
fn eeprom_failure_on_put_data_is_a_typed_card_fault() {
    let sim = card(SimCardConfig::default());
    sim.lock().unwrap().faults_mut().eeprom_failure = Some(EepromFailure::MemoryFailure);
    let err = PivEncoder::new()
        .encode(&mut session_on(&sim), &p256_only(), &TestCa::new())
        .unwrap_err();
    match &err {
        EncodeError::Card { command, .. } => assert!(command.starts_with("PUT DATA"), "{err}"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.is_card_fault());
}

#[test]
fn card_pulled_out_mid_personalisation_is_a_card_fault() {
    let sim = card(SimCardConfig::default());
    sim.lock().unwrap().faults_mut().remove_after_commands = Some(9);
    let err = PivEncoder::new()
        .encode(&mut session_on(&sim), &p256_only(), &TestCa::new())
        .unwrap_err();
    assert!(
        matches!(
            err,
            EncodeError::Transport(cardline_device::TransportError::CardRemoved { .. })
        ),
        "{err:?}"
    );
    assert!(err.is_card_fault());
}

#[test]
fn generic_piv_card_without_yubikey_extensions_is_unsupported() {
    let sim = card(SimCardConfig {
        atr: AtrProfile::GenericPiv,
        ..SimCardConfig::default()
    });
    let err = PivEncoder::new()
        .encode(&mut session_on(&sim), &p256_only(), &TestCa::new())
        .unwrap_err();
    assert!(matches!(err, EncodeError::Unsupported(_)), "{err:?}");
    // Nothing was changed: the transport PIN still works.
    let mut t = session_on(&sim);
    PivSession::open(&mut t)
        .unwrap()
        .verify_pin(b"123456")
        .unwrap();
}

#[test]
fn preflight_refuses_a_personalised_card_without_spending_a_try() {
    let sim = card(SimCardConfig::default());
    let receipt = PivEncoder::new()
        .with_preflight(true)
        .encode(&mut session_on(&sim), &p256_only(), &TestCa::new())
        .unwrap();
    assert_eq!(receipt.apdus, 21);
    let err = PivEncoder::new()
        .with_preflight(true)
        .encode(&mut session_on(&sim), &p256_only(), &TestCa::new())
        .unwrap_err();
    assert!(
        matches!(
            err,
            EncodeError::TransportCredential {
                what: "PIN",
                remaining: 3
            }
        ),
        "{err:?}"
    );
    assert_eq!(sim.lock().unwrap().state().pin.tries_left, 3);
}

#[test]
fn extended_length_saves_the_chaining_and_get_response_rounds() {
    let sim = card(SimCardConfig::default());
    let receipt = PivEncoder::new()
        .with_extended_length(true)
        .encode(&mut session_on(&sim), &p256_only(), &TestCa::new())
        .unwrap();
    println!("extended length: {} APDUs", receipt.apdus);
    assert_eq!(receipt.apdus, 18);
    let inspection = PivEncoder::new()
        .with_extended_length(true)
        .inspect(&mut session_on(&sim))
        .unwrap();
    assert_eq!(inspection.certificates.len(), 1);
}

#[test]
fn yubikey_4_without_serial_uses_the_guid_as_chip_id() {
    let sim = card(SimCardConfig {
        version: [4, 3, 7],
        ..SimCardConfig::default()
    });
    let plan = p256_only();
    let receipt = PivEncoder::new()
        .encode(&mut session_on(&sim), &plan, &TestCa::new())
        .unwrap();
    assert_eq!(receipt.chip_id, hex::encode(plan.guid));
    assert_eq!(receipt.apdus, 19);
    let key = derive_management_key(
        &MasterKey::new(MASTER.to_vec()),
        &plan.guid,
        ManagementAlgorithm::TripleDes,
    );
    assert_eq!(sim.lock().unwrap().state().management_key.key, key.expose());
    let seen = PivEncoder::new().inspect(&mut session_on(&sim)).unwrap();
    assert_eq!(seen.chip_id, Some(hex::encode(plan.guid)));
    assert!(!seen.still_blank);
}

#[test]
fn generic_card_is_inspected_through_its_chuid_and_a_9b_attempt() {
    let sim = card(SimCardConfig {
        atr: AtrProfile::GenericPiv,
        ..SimCardConfig::default()
    });
    let seen = PivEncoder::new().inspect(&mut session_on(&sim)).unwrap();
    assert_eq!(seen.chip_id, None);
    assert!(seen.still_blank);
    let seen = PivEncoder::with_transport_management_key(ManagementKey::new(vec![0x55; 24]))
        .inspect(&mut session_on(&sim))
        .unwrap();
    assert!(!seen.still_blank);
}
