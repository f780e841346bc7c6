//! The simulated PIV card, APDU by APDU, with the byte vectors from the PIV spec notes and the
//! APDUs that yubico-piv-tool and OpenSC send.

use cardline_device::{CardTransport, TransportError};
use cardline_sim::card::{
    AtrProfile, CardFaults, CardReply, EepromFailure, SimCard, SimCardConfig, SimCardTransport,
};
use des::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};

const DEFAULT_KEY: &str = "010203040506070801020304050607080102030405060708";

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

fn card() -> SimCard {
    SimCard::new(SimCardConfig::default())
}

/// Sends one APDU, returns (data, sw).
fn tx(card: &mut SimCard, apdu: &str) -> (Vec<u8>, u16) {
    let CardReply::Response(r) = card.process(&h(apdu)) else {
        panic!("no response to {apdu}")
    };
    let sw = u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]]);
    (r[..r.len() - 2].to_vec(), sw)
}

/// Mutual 3DES authentication with `key`, as yubico-piv-tool 2.2.0 does it.
fn auth_3des(card: &mut SimCard, key: &[u8]) -> u16 {
    let (r, sw) = tx(card, "00 87 03 9B 04 7C 02 80 00");
    assert_eq!(sw, 0x9000);
    assert_eq!(&r[..4], &[0x7C, 0x0A, 0x80, 0x08]);
    let c = des::TdesEde3::new_from_slice(key).unwrap();
    let mut w = Array::try_from(&r[4..12]).unwrap();
    c.decrypt_block(&mut w);
    let challenge = [9u8; 8];
    let apdu = format!(
        "00 87 03 9B 16 7C 14 80 08 {} 81 08 {}",
        hex::encode(w),
        hex::encode(challenge)
    );
    let (r, sw) = tx(card, &apdu);
    if sw == 0x9000 {
        let mut expect = Array::try_from(&challenge[..]).unwrap();
        c.encrypt_block(&mut expect);
        assert_eq!(&r[4..12], expect.as_slice(), "card proves it knows the key");
    }
    sw
}

#[test]
fn select_by_truncated_aid_returns_yubikey_apt() {
    let mut c = card();
    let (r, sw) = tx(&mut c, "00 A4 04 00 05 A0 00 00 03 08");
    assert_eq!(sw, 0x9000);
    assert_eq!(
        r,
        h("61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08")
    );
    let (_, sw) = tx(&mut c, "00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00");
    assert_eq!(sw, 0x9000);
}

#[test]
fn generic_card_returns_full_aid_and_no_yubikey_extensions() {
    let mut c = SimCard::new(SimCardConfig {
        atr: AtrProfile::GenericPiv,
        ..SimCardConfig::default()
    });
    let (r, _) = tx(&mut c, "00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00");
    assert_eq!(&r[2..15], &h("4F 0B A0 00 00 03 08 00 00 10 00 01 00")[..]);
    assert_eq!(tx(&mut c, "00 FD 00 00 00").1, 0x6D00);
    assert_eq!(c.atr()[..4], [0x3B, 0x88, 0x80, 0x01]);
}

#[test]
fn other_applets_and_probes_are_refused() {
    let mut c = card();
    // MuscleCard select (OpenSC's muscle driver grabs cards that accept everything).
    assert_eq!(tx(&mut c, "00 A4 04 00 06 A0 00 00 00 01 01").1, 0x6A82);
    assert_eq!(
        tx(&mut c, "00 A4 04 00 08 A0 00 00 05 27 20 01 01").1,
        0x6A82
    );
    assert_eq!(tx(&mut c, "00 CA DF 30 05").1, 0x6D00);
    assert_eq!(tx(&mut c, "B0 A4 00 00 00").1, 0x6E00);
    assert_eq!(tx(&mut c, "80 CA 9F 7F 00").1, 0x6E00);
}

#[test]
fn verify_counts_blocks_and_logs_out() {
    let mut c = card();
    assert_eq!(tx(&mut c, "00 20 00 80 00").1, 0x63C3);
    assert_eq!(
        tx(&mut c, "00 20 00 80 08 31 32 33 34 35 36 FF FF").1,
        0x9000
    );
    assert_eq!(tx(&mut c, "00 20 00 80 00").1, 0x9000);
    assert_eq!(tx(&mut c, "00 20 FF 80").1, 0x9000);
    assert_eq!(tx(&mut c, "00 20 00 80").1, 0x63C3);
    assert_eq!(
        tx(&mut c, "00 20 00 80 08 39 39 39 39 39 39 FF FF").1,
        0x63C2
    );
    assert_eq!(
        tx(&mut c, "00 20 00 80 08 39 39 39 39 39 39 FF FF").1,
        0x63C1
    );
    assert_eq!(
        tx(&mut c, "00 20 00 80 08 31 32 33 34 35 36 FF FF").1,
        0x9000
    );
    assert_eq!(
        tx(&mut c, "00 20 00 80 00").1,
        0x9000,
        "success resets the counter"
    );
    for left in [2u16, 1, 0] {
        let sw = tx(&mut c, "00 20 00 80 08 39 39 39 39 39 39 FF FF").1;
        assert_eq!(sw, 0x63C0 | left);
    }
    assert_eq!(
        tx(&mut c, "00 20 00 80 08 31 32 33 34 35 36 FF FF").1,
        0x6983
    );
    assert_eq!(tx(&mut c, "00 20 00 80 00").1, 0x6983);
}

#[test]
fn change_pin_and_puk_then_unblock() {
    let mut c = card();
    // Wrong old PIN counts; invalid new PIN (5 digits) is 6A80 without counting.
    assert_eq!(
        tx(&mut c, "00 24 00 80 10 39393939393939FF 3131313131313131").1,
        0x63C2
    );
    assert_eq!(
        tx(&mut c, "00 24 00 80 10 313233343536FFFF 3131313131FFFFFF").1,
        0x6A80
    );
    assert_eq!(
        tx(&mut c, "00 24 00 80 10 313233343536FFFF 3837363534333231").1,
        0x9000
    );
    assert_eq!(
        tx(&mut c, "00 24 00 81 10 3132333435363738 3131313131313131").1,
        0x9000
    );
    // Block the PIN, unblock with the new PUK.
    for _ in 0..3 {
        tx(&mut c, "00 20 00 80 08 30 30 30 30 30 30 FF FF");
    }
    assert_eq!(tx(&mut c, "00 20 00 80 00").1, 0x6983);
    assert_eq!(
        tx(&mut c, "00 2C 00 80 10 3232323232323232 353535353535FFFF").1,
        0x63C2
    );
    assert_eq!(
        tx(&mut c, "00 2C 00 80 10 3131313131313131 353535353535FFFF").1,
        0x9000
    );
    assert_eq!(
        tx(&mut c, "00 20 00 80 08 35 35 35 35 35 35 FF FF").1,
        0x9000
    );
}

#[test]
fn mutual_authentication_with_default_3des_key() {
    let mut c = card();
    assert_eq!(auth_3des(&mut c, &h(DEFAULT_KEY)), 0x9000);
    let mut c = card();
    assert_eq!(auth_3des(&mut c, &[7u8; 24]), 0x6982, "wrong key refused");
    // P1 must name the key's algorithm.
    assert_eq!(tx(&mut c, "00 87 0A 9B 04 7C 02 80 00").1, 0x6A80);
}

#[test]
fn external_authentication_aes192() {
    let mut c = SimCard::new(SimCardConfig {
        management_key_algorithm: 0x0A,
        version: [5, 7, 1],
        ..SimCardConfig::default()
    });
    let (r, sw) = tx(&mut c, "00 87 0A 9B 04 7C 02 81 00");
    assert_eq!((sw, &r[..4]), (0x9000, &[0x7C, 0x12, 0x81, 0x10][..]));
    let aes = aes::Aes192::new_from_slice(&h(DEFAULT_KEY)).unwrap();
    let mut b = Array::try_from(&r[4..20]).unwrap();
    aes.encrypt_block(&mut b);
    let (_, sw) = tx(
        &mut c,
        &format!("00 87 0A 9B 14 7C 12 82 10 {}", hex::encode(b)),
    );
    assert_eq!(sw, 0x9000);
    // Authenticated: PUT DATA is allowed now.
    assert_eq!(
        tx(&mut c, "00 DB 3F FF 09 5C 03 5F C1 09 53 02 41 42").1,
        0x9000
    );
}

#[test]
fn generate_requires_management_key_and_returns_point() {
    let mut c = card();
    assert_eq!(tx(&mut c, "00 47 00 9A 05 AC 03 80 01 11").1, 0x6982);
    auth_3des(&mut c, &h(DEFAULT_KEY));
    let (r, sw) = tx(&mut c, "00 47 00 9A 05 AC 03 80 01 11");
    assert_eq!(sw, 0x9000);
    assert_eq!(&r[..5], &[0x7F, 0x49, 0x43, 0x86, 0x41]);
    assert_eq!(r[5], 0x04, "uncompressed point");
    assert_eq!(tx(&mut c, "00 47 00 9B 05 AC 03 80 01 11").1, 0x6A88);
    assert_eq!(tx(&mut c, "00 47 00 9A 05 AC 03 80 01 99").1, 0x6A80);
    let (r, _) = tx(&mut c, "00 47 00 9D 05 AC 03 80 01 14");
    assert_eq!(&r[..5], &[0x7F, 0x49, 0x63, 0x86, 0x61]);
}

#[test]
fn sign_follows_pin_policy_per_slot() {
    let mut c = card();
    auth_3des(&mut c, &h(DEFAULT_KEY));
    let (g9a, _) = tx(&mut c, "00 47 00 9A 05 AC 03 80 01 11");
    tx(&mut c, "00 47 00 9C 05 AC 03 80 01 11");
    tx(&mut c, "00 47 00 9E 05 AC 03 80 01 11");
    let hash = "11".repeat(32);
    let sign = |slot: &str| format!("00 87 11 {slot} 26 7C 24 82 00 81 20 {hash} 00");
    // 9E: never needs the PIN.
    assert_eq!(tx(&mut c, &sign("9E")).1, 0x9000);
    // 9A: once.
    assert_eq!(tx(&mut c, &sign("9A")).1, 0x6982);
    assert_eq!(
        tx(&mut c, "00 20 00 80 08 31 32 33 34 35 36 FF FF").1,
        0x9000
    );
    let (r, sw) = tx(&mut c, &sign("9A"));
    assert_eq!(sw, 0x9000);
    assert_eq!(
        (r[0], r[2], r[4]),
        (0x7C, 0x82, 0x30),
        "DER ECDSA signature"
    );
    // The signature verifies with the generated key.
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&g9a[5..]).unwrap();
    let sig = p256::ecdsa::Signature::from_der(&r[4..]).unwrap();
    vk.verify_prehash(&h(&hash), &sig).unwrap();
    assert_eq!(tx(&mut c, &sign("9A")).1, 0x9000, "once = whole session");
    // 9C: always — VERIFY right before, once.
    assert_eq!(tx(&mut c, &sign("9C")).1, 0x6982);
    tx(&mut c, "00 20 00 80 08 31 32 33 34 35 36 FF FF");
    assert_eq!(tx(&mut c, &sign("9C")).1, 0x9000);
    assert_eq!(tx(&mut c, &sign("9C")).1, 0x6982);
    // Algorithm mismatch and empty slot.
    assert_eq!(
        tx(&mut c, &format!("00 87 14 9A 26 7C 24 82 00 81 20 {hash}")).1,
        0x6A80
    );
    assert_eq!(tx(&mut c, &sign("9D")).1, 0x6A88);
}

#[test]
fn ecdh_with_slot_key() {
    let mut c = card();
    auth_3des(&mut c, &h(DEFAULT_KEY));
    let (g, _) = tx(&mut c, "00 47 00 9D 05 AC 03 80 01 11");
    tx(&mut c, "00 20 00 80 08 31 32 33 34 35 36 FF FF");
    let peer = p256::SecretKey::from_slice(&[0x23; 32]).unwrap();
    let peer_point = peer.public_key().to_sec1_bytes();
    let (r, sw) = tx(
        &mut c,
        &format!(
            "00 87 11 9D 47 7C 45 82 00 85 41 {}",
            hex::encode(&peer_point)
        ),
    );
    assert_eq!(sw, 0x9000);
    let card_pub = p256::PublicKey::from_sec1_bytes(&g[5..]).unwrap();
    let shared = peer.diffie_hellman(&card_pub);
    assert_eq!(&r[4..], shared.raw_secret_bytes().as_slice());
}

#[test]
fn rsa2048_generation_uses_61xx_and_get_response() {
    let mut c = card();
    auth_3des(&mut c, &h(DEFAULT_KEY));
    let (first, sw) = tx(&mut c, "00 47 00 9C 05 AC 03 80 01 07");
    // 7F49 82 01 09 {81 82 01 00 n(256), 82 03 010001}: 270 bytes = 256 + 61 0E.
    assert_eq!((first.len(), sw), (256, 0x610E));
    assert_eq!(&first[..5], &[0x7F, 0x49, 0x82, 0x01, 0x09]);
    let (rest, sw) = tx(&mut c, "00 C0 00 00 00");
    assert_eq!((rest.len(), sw), (14, 0x9000));
    assert_eq!(&rest[9..], &[0x82, 0x03, 0x01, 0x00, 0x01], "e = 65537");
    // Raw RSA with the PIN-always slot 9C: sign a PKCS#1 block, check with the public key.
    assert_eq!(first[5..9], [0x81, 0x82, 0x01, 0x00]);
    let mut n = first[9..].to_vec();
    n.extend(&rest[..9]);
    assert_eq!(n.len(), 256);
    let mut block = vec![0x00, 0x01];
    block.extend(vec![0xFF; 256 - 3 - 32]);
    block.push(0x00);
    block.extend([0x5A; 32]);
    tx(&mut c, "00 20 00 80 08 31 32 33 34 35 36 FF FF");
    let mut apdu = h("10 87 07 9C FF 7C 82 01 06 82 00 81 82 01 00");
    apdu.extend(&block[..255 - 10]);
    let CardReply::Response(r) = c.process(&apdu) else {
        panic!()
    };
    assert_eq!(r, vec![0x90, 0x00], "chained block accepted");
    let mut last = vec![0x00, 0x87, 0x07, 0x9C, (block.len() - 245) as u8];
    last.extend(&block[245..]);
    last.push(0x00);
    let CardReply::Response(r) = c.process(&last) else {
        panic!()
    };
    assert_eq!(&r[r.len() - 2..], &[0x61, 0x08]);
    let (tail, _) = tx(&mut c, "00 C0 00 00 00");
    let mut sig = r[..r.len() - 2].to_vec();
    sig.extend(tail);
    assert_eq!(&sig[..8], &h("7C 82 01 04 82 82 01 00")[..]);
    let s = rsa::BoxedUint::from_be_slice(&sig[8..], 2048).unwrap();
    let pk = rsa::PublicKey::new(
        rsa::BoxedUint::from_be_slice(&n, 2048).unwrap(),
        rsa::BoxedUint::from(65537u32),
    )
    .unwrap();
    let m = rsa::hazmat::rsa_encrypt(&pk, &s).unwrap();
    assert_eq!(m.to_be_bytes().as_ref(), block.as_slice());
}

#[test]
fn put_and_get_data_with_chaining_and_short_le() {
    let mut c = card();
    assert_eq!(tx(&mut c, "00 CB 3F FF 05 5C 03 5F C1 05").1, 0x6A82);
    assert_eq!(tx(&mut c, "00 DB 3F FF 07 5C 03 5F C1 02 53 00").1, 0x6982);
    auth_3des(&mut c, &h(DEFAULT_KEY));
    // A 600-byte certificate container, sent like yubico-piv-tool: 255-byte chained blocks.
    let mut cert = vec![0x70, 0x82, 0x02, 0x4C];
    cert.extend((0..588).map(|i| i as u8));
    cert.extend(h("71 01 00 FE 00"));
    let mut body = h("5C 03 5F C1 05 53 82");
    body.extend((cert.len() as u16).to_be_bytes());
    body.extend(&cert);
    let chunks: Vec<&[u8]> = body.chunks(255).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let cla = if i + 1 < chunks.len() { 0x10 } else { 0x00 };
        let mut apdu = vec![cla, 0xDB, 0x3F, 0xFF, chunk.len() as u8];
        apdu.extend(*chunk);
        let CardReply::Response(r) = c.process(&apdu) else {
            panic!()
        };
        assert_eq!(r, vec![0x90, 0x00]);
    }
    // Read back without Le (yubico-piv-tool style): 256 bytes + 61xx, then GET RESPONSE.
    let (mut got, mut sw) = tx(&mut c, "00 CB 3F FF 05 5C 03 5F C1 05");
    while sw >> 8 == 0x61 {
        let (more, s) = tx(&mut c, &format!("00 C0 00 00 {:02X}", sw & 0xFF));
        got.extend(more);
        sw = s;
    }
    assert_eq!(sw, 0x9000);
    assert_eq!(&got[4..], cert.as_slice());
    // OpenSC style: a short Le keeps the rest for GET RESPONSE.
    let (head, sw) = tx(&mut c, "00 CB 3F FF 05 5C 03 5F C1 05 08");
    assert_eq!((head.len(), sw), (8, 0x6100));
    // Extended length: the whole object at once.
    let (all, sw) = tx(&mut c, "00 CB 3F FF 00 00 05 5C 03 5F C1 05 00 00");
    assert_eq!((all.len(), sw), (got.len(), 0x9000));
    // Delete with 53 00.
    assert_eq!(tx(&mut c, "00 DB 3F FF 07 5C 03 5F C1 05 53 00").1, 0x9000);
    assert_eq!(tx(&mut c, "00 CB 3F FF 05 5C 03 5F C1 05").1, 0x6A82);
}

#[test]
fn discovery_object_and_pin_protected_objects() {
    let mut c = card();
    let (d, sw) = tx(&mut c, "00 CB 3F FF 03 5C 01 7E 00");
    assert_eq!(sw, 0x9000);
    assert_eq!(
        d,
        h("7E 12 4F 0B A0 00 00 03 08 00 00 10 00 01 00 5F 2F 02 40 00")
    );
    auth_3des(&mut c, &h(DEFAULT_KEY));
    tx(&mut c, "00 DB 3F FF 09 5C 03 5F C1 09 53 02 41 42");
    assert_eq!(tx(&mut c, "00 CB 3F FF 05 5C 03 5F C1 09").1, 0x6982);
    tx(&mut c, "00 20 00 80 08 31 32 33 34 35 36 FF FF");
    assert_eq!(
        tx(&mut c, "00 CB 3F FF 05 5C 03 5F C1 09").0,
        h("53 02 41 42")
    );
}

#[test]
fn yubikey_version_serial_metadata() {
    let mut c = SimCard::new(SimCardConfig::from_seed(42));
    let serial = c.serial();
    assert_eq!(
        SimCardConfig::from_seed(42).serial,
        serial,
        "seed gives the serial"
    );
    assert_eq!(tx(&mut c, "00 FD 00 00 00").0, vec![5, 4, 3]);
    assert_eq!(
        tx(&mut c, "00 F8 00 00 00").0,
        serial.to_be_bytes().to_vec()
    );
    assert_eq!(
        tx(&mut c, "00 F7 00 9B 00").0,
        h("01 01 03 02 02 00 01 05 01 01")
    );
    assert_eq!(
        tx(&mut c, "00 F7 00 80 00").0,
        h("01 01 FF 05 01 01 06 02 03 03")
    );
    assert_eq!(tx(&mut c, "00 F7 00 9A 00").1, 0x6A88);
}

#[test]
fn set_management_key_then_old_key_fails() {
    let mut c = card();
    assert_eq!(
        tx(
            &mut c,
            &format!("00 FF FF FF 1B 03 9B 18 {}", "11".repeat(24))
        )
        .1,
        0x6982
    );
    auth_3des(&mut c, &h(DEFAULT_KEY));
    let new_key = "0F0E0D0C0B0A09080706050403020100F0E0D0C0B0A09080";
    assert_eq!(
        tx(&mut c, &format!("00 FF FF FF 1B 03 9B 18 {new_key}")).1,
        0x9000
    );
    assert_eq!(auth_3des(&mut c, &h(DEFAULT_KEY)), 0x6982);
    assert_eq!(auth_3des(&mut c, &h(new_key)), 0x9000);
    assert_eq!(tx(&mut c, "00 F7 00 9B 00").0[9], 0x00, "no longer default");
    // Bad length for the algorithm.
    assert_eq!(tx(&mut c, "00 FF FF FF 05 03 9B 02 11 22").1, 0x6A80);
}

#[test]
fn reset_only_when_both_blocked_and_pin_retries() {
    let mut c = card();
    assert_eq!(tx(&mut c, "00 FB 00 00").1, 0x6985);
    auth_3des(&mut c, &h(DEFAULT_KEY));
    assert_eq!(tx(&mut c, "00 FA 05 06").1, 0x6982, "needs the PIN as well");
    tx(&mut c, "00 20 00 80 08 31 32 33 34 35 36 FF FF");
    assert_eq!(tx(&mut c, "00 FA 05 06").1, 0x9000);
    assert_eq!(tx(&mut c, "00 20 00 80 00").1, 0x63C5);
    for _ in 0..5 {
        tx(&mut c, "00 20 00 80 08 30 30 30 30 30 30 FF FF");
    }
    for _ in 0..6 {
        tx(&mut c, "00 24 00 81 10 3030303030303030 3131313131313131");
    }
    assert_eq!(tx(&mut c, "00 FB 00 00").1, 0x9000);
    assert_eq!(tx(&mut c, "00 20 00 80 00").1, 0x63C3);
    assert!(c.state().keys.is_empty() && c.state().objects.is_empty());
}

#[test]
fn state_survives_save_and_load() {
    let dir = std::env::temp_dir().join(format!("cardline-simcard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("card.json");
    let mut c = card();
    auth_3des(&mut c, &h(DEFAULT_KEY));
    let (g, _) = tx(&mut c, "00 47 00 9A 05 AC 03 80 01 11");
    tx(&mut c, "00 DB 3F FF 09 5C 03 5F C1 02 53 02 41 42");
    tx(&mut c, "00 20 00 80 08 30 30 30 30 30 30 FF FF");
    c.save(&path).unwrap();
    let mut back = SimCard::load(&path).unwrap();
    assert_eq!(back.serial(), c.serial());
    assert_eq!(tx(&mut back, "00 20 00 80 00").1, 0x63C2, "counter kept");
    assert_eq!(
        tx(&mut back, "00 CB 3F FF 05 5C 03 5F C1 02").0,
        h("53 02 41 42")
    );
    assert_eq!(tx(&mut back, "00 F7 00 9A 00").0[12..], g[3..], "same key");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn faults_end_in_typed_transport_errors() {
    let shared = SimCardTransport::share(card());
    let mut t = SimCardTransport::new(shared.clone(), "sim reader");
    assert!(t.transmit(&h("00 A4 04 00 05 A0 00 00 03 08")).is_ok());
    shared.lock().unwrap().faults_mut().mute = true;
    assert!(matches!(
        t.transmit(&h("00 FD 00 00 00")),
        Err(TransportError::Mute { .. })
    ));
    shared.lock().unwrap().set_faults(CardFaults {
        remove_after_commands: Some(1),
        ..CardFaults::default()
    });
    assert!(t.transmit(&h("00 FD 00 00 00")).is_ok());
    let e = t.transmit(&h("00 FD 00 00 00")).unwrap_err();
    assert!(matches!(e, TransportError::CardRemoved { .. }) && e.is_card_fault());
    assert!(t.transmit(&h("00 FD 00 00 00")).is_err(), "stays out");
    shared.lock().unwrap().insert();
    assert!(t.transmit(&h("00 FD 00 00 00")).is_ok());
    shared.lock().unwrap().faults_mut().wrong_atr = true;
    assert_eq!(t.atr(), vec![0x3B, 0x02, 0x14, 0x50]);
}

#[test]
fn eeprom_failure_stores_nothing() {
    for (fault, sw) in [
        (EepromFailure::MemoryFailure, 0x6581),
        (EepromFailure::NotEnoughMemory, 0x6A84),
    ] {
        let mut c = card();
        c.faults_mut().eeprom_failure = Some(fault);
        auth_3des(&mut c, &h(DEFAULT_KEY));
        assert_eq!(
            tx(&mut c, "00 DB 3F FF 09 5C 03 5F C1 02 53 02 41 42").1,
            sw
        );
        assert_eq!(tx(&mut c, "00 CB 3F FF 05 5C 03 5F C1 02").1, 0x6A82);
    }
}

#[test]
fn session_end_clears_security_state() {
    let shared = SimCardTransport::share(card());
    {
        let mut t = SimCardTransport::new(shared.clone(), "r");
        let r = t
            .transmit(&h("00 20 00 80 08 31 32 33 34 35 36 FF FF"))
            .unwrap();
        assert_eq!(r, vec![0x90, 0x00]);
    }
    let mut t = SimCardTransport::new(shared, "r");
    assert_eq!(t.transmit(&h("00 20 00 80 00")).unwrap(), vec![0x63, 0xC3]);
}

#[test]
fn slow_key_generation_still_generates() {
    let mut c = card();
    c.faults_mut().slow_key_generation = Some(std::time::Duration::from_millis(30));
    auth_3des(&mut c, &h(DEFAULT_KEY));
    let started = std::time::Instant::now();
    let (r, sw) = tx(&mut c, "00 47 00 9A 05 AC 03 80 01 11");
    assert!(started.elapsed() >= std::time::Duration::from_millis(30));
    assert_eq!((sw, &r[..2]), (0x9000, &[0x7F, 0x49][..]));
}
