//! The PIV card edge client against a scripted card, with the byte vectors from
//! specs/piv-and-pcsc.md (SP 800-73-4, yubico-piv-tool traces).

mod common;

use cardline_device::{KeyAlgorithm, ManagementKey, PivSlot};
use cardline_piv::{
    CardProfile, Credential, ManagementAlgorithm, PinStatus, PivError, PivSession, Version,
};
use common::{ScriptedCard, hex};
use des::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};

const SELECT: &str = "00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00";
const YUBIKEY_APT: &str = "61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00";

fn selected() -> ScriptedCard {
    ScriptedCard::new().expect(SELECT, YUBIKEY_APT)
}

fn tdes(key: &[u8], block: &[u8], encrypt: bool) -> Vec<u8> {
    let c = des::TdesEde3::new_from_slice(key).unwrap();
    let mut b = Array::try_from(block).unwrap();
    if encrypt {
        c.encrypt_block(&mut b);
    } else {
        c.decrypt_block(&mut b);
    }
    b.to_vec()
}

/// The card side of 3DES mutual authentication with `card_key`; `honest` = false makes the
/// card answer the host's challenge wrongly.
fn mutual_auth_card(card: ScriptedCard, card_key: Vec<u8>, honest: bool) -> ScriptedCard {
    let witness = hex("0011223344556677");
    let k1 = card_key.clone();
    let w1 = witness.clone();
    card.expect(
        "00 87 03 9B 04 7C 02 80 00 00",
        &format!("7C0A8008{}9000", hex::encode(tdes(&k1, &w1, true))),
    )
    .compute("00 87 03 9B 16 7C 14 80 08", move |apdu| {
        // 00 87 03 9B 14 7C 14 80 08 <w> 81 08 <c> 00
        assert_eq!(apdu.len(), 5 + 22 + 1);
        if apdu[9..17] != witness[..] {
            return hex("6982");
        }
        assert_eq!(&apdu[17..19], &[0x81, 0x08]);
        let mut answer = tdes(&card_key, &apdu[19..27], true);
        if !honest {
            answer[0] ^= 1;
        }
        [hex("7C0A8208"), answer, hex("9000")].concat()
    })
}

#[test]
fn select_accepts_the_yubikey_template_and_rejects_others() {
    let mut card = selected();
    PivSession::open(&mut card).unwrap();
    let mut other = ScriptedCard::new().expect(SELECT, "61 07 4F 05 D2 76 00 01 24 90 00");
    assert!(matches!(
        PivSession::open(&mut other),
        Err(PivError::Malformed { .. })
    ));
    let mut absent = ScriptedCard::new().expect(SELECT, "6A 82");
    assert!(matches!(
        PivSession::open(&mut absent),
        Err(PivError::Card { .. })
    ));
}

#[test]
fn yubikey_version_serial_and_metadata() {
    let mut card = selected()
        .expect("00 FD 00 00 00", "05 07 01 90 00")
        .expect("00 F8 00 00 00", "00 BC 61 4E 90 00")
        .expect("00 F7 00 9B 00", "01 01 0A 02 02 00 01 05 01 01 90 00")
        .expect("00 F7 00 80 00", "01 01 FF 05 01 00 06 02 03 02 90 00");
    let mut s = PivSession::open(&mut card).unwrap();
    let profile = s.detect_profile().unwrap();
    assert_eq!(
        profile,
        CardProfile::YubiKey {
            version: Version::new(5, 7, 1)
        }
    );
    assert!(profile.has_metadata() && profile.supports_aes_management());
    assert_eq!(s.serial().unwrap(), [0x00, 0xBC, 0x61, 0x4E]);
    let m = s.metadata(0x9B).unwrap();
    assert_eq!(m.algorithm, Some(0x0A));
    assert_eq!(m.is_default, Some(true));
    let m = s.metadata(0x80).unwrap();
    assert_eq!((m.is_default, m.retries), (Some(false), Some((3, 2))));
    assert_eq!(s.stats().apdus, 5);
}

#[test]
fn generic_card_without_get_version() {
    let mut card = selected().expect("00 FD 00 00 00", "6D 00");
    let mut s = PivSession::open(&mut card).unwrap();
    assert_eq!(s.detect_profile().unwrap(), CardProfile::Generic);
}

#[test]
fn verify_status_and_wrong_pin_report_tries() {
    let mut card = selected()
        .expect("00 20 00 80", "63 C3")
        .expect("00 20 00 80 08 31 32 33 34 35 36 FF FF", "63 C2")
        .expect("00 20 00 80 08 31 32 33 34 35 36 FF FF", "69 83")
        .expect("00 20 00 80", "69 83");
    let mut s = PivSession::open(&mut card).unwrap();
    assert_eq!(s.pin_status().unwrap(), PinStatus::TriesLeft(3));
    assert!(matches!(
        s.verify_pin(b"123456"),
        Err(PivError::WrongCredential {
            credential: Credential::Pin,
            tries: 2
        })
    ));
    assert!(matches!(
        s.verify_pin(b"123456"),
        Err(PivError::Blocked { .. })
    ));
    assert_eq!(s.pin_status().unwrap(), PinStatus::Blocked);
}

#[test]
fn change_reference_data_and_reset_retry_counter_pad_with_ff() {
    let mut card = selected()
        .expect(
            "00 24 00 80 10 31 32 33 34 35 36 FF FF 39 38 37 36 35 34 FF FF",
            "90 00",
        )
        .expect(
            "00 24 00 81 10 31 32 33 34 35 36 37 38 38 37 36 35 34 33 32 31",
            "63 C1",
        )
        .expect(
            "00 2C 00 80 10 31 32 33 34 35 36 37 38 31 31 31 31 31 31 FF FF",
            "90 00",
        );
    let mut s = PivSession::open(&mut card).unwrap();
    s.change_reference(Credential::Pin, b"123456", b"987654")
        .unwrap();
    assert!(matches!(
        s.change_reference(Credential::Puk, b"12345678", b"87654321"),
        Err(PivError::WrongCredential {
            credential: Credential::Puk,
            tries: 1
        })
    ));
    s.reset_retry_counter(b"12345678", b"111111").unwrap();
    assert!(matches!(
        s.verify_pin(b"123456789"),
        Err(PivError::Unsupported { .. })
    ));
    assert!(card.finished());
}

#[test]
fn mutual_auth_with_default_3des_key_then_admin_commands() {
    let key = ManagementKey::piv_default();
    let card = mutual_auth_card(selected(), key.expose().to_vec(), true);
    let point = hex(
        "046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296\
         4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5",
    );
    let gen_answer = format!("7F494386 41{}9000", hex::encode(&point));
    let new_key = hex("0A0B0C0D0E0F101112131415161718191A1B1C1D1E1F2021");
    let mut card = card
        .expect("00 47 00 9A 05 AC 03 80 01 11 00", &gen_answer)
        .expect(
            "00 DB 3F FF 0C 5C 03 5F C1 07 53 05 F1 01 21 FE 00",
            "90 00",
        )
        .expect(
            &format!("00 FF FF FF 1B 03 9B 18 {}", hex::encode(&new_key)),
            "90 00",
        );
    let s = PivSession::open(&mut card).unwrap();
    let mut admin = s
        .authenticate(&key, ManagementAlgorithm::TripleDes)
        .unwrap();
    let generated = admin
        .generate(PivSlot::AUTHENTICATION, KeyAlgorithm::EccP256)
        .unwrap();
    assert_eq!(generated.key_bits, point);
    admin.put_data(0x5FC107, &hex("F1 01 21 FE 00")).unwrap();
    admin
        .set_management_key(&ManagementKey::new(new_key), ManagementAlgorithm::TripleDes)
        .unwrap();
    assert!(card.finished());
}

#[test]
fn refused_key_gives_the_session_back_and_lying_card_is_caught() {
    let card = mutual_auth_card(selected(), vec![0x11; 24], true);
    let mut card = card.expect("00 FD 00 00 00", "05 04 03 90 00");
    let s = PivSession::open(&mut card).unwrap();
    let refused = s
        .authenticate(
            &ManagementKey::piv_default(),
            ManagementAlgorithm::TripleDes,
        )
        .unwrap_err();
    assert!(matches!(refused.error, PivError::ManagementKeyRefused));
    let mut s = refused.session;
    assert!(s.version().unwrap().is_some());

    let key = ManagementKey::piv_default();
    let mut liar = mutual_auth_card(selected(), key.expose().to_vec(), false);
    let s = PivSession::open(&mut liar).unwrap();
    let refused = s
        .authenticate(&key, ManagementAlgorithm::TripleDes)
        .unwrap_err();
    assert!(matches!(refused.error, PivError::CardCryptogram));
}

#[test]
fn long_certificates_are_chained_and_read_back_through_get_response() {
    let der: Vec<u8> = (0..400u32).map(|i| (i % 251) as u8).collect();
    let container = cardline_piv::objects::certificate_container(&der);
    let field = cardline_piv::objects::put_data_field(0x5FC105, &container);
    assert_eq!(&field[..9], &hex("5C 03 5F C1 05 53 82 01 99")[..]);
    let key = ManagementKey::piv_default();
    let card = mutual_auth_card(selected(), key.expose().to_vec(), true);
    let first = format!("10 DB 3F FF FF {}", hex::encode(&field[..255]));
    let last = format!(
        "00 DB 3F FF {:02X} {}",
        field.len() - 255,
        hex::encode(&field[255..])
    );
    let object = [hex("53 82 01 99"), container.clone()].concat();
    let mut card = card
        .expect(&first, "90 00")
        .expect(&last, "90 00")
        .expect(
            "00 CB 3F FF 05 5C 03 5F C1 05 00",
            &format!(
                "{}61{:02X}",
                hex::encode(&object[..256]),
                object.len() - 256
            ),
        )
        .expect(
            &format!("00 C0 00 00 {:02X}", object.len() - 256),
            &format!("{}9000", hex::encode(&object[256..])),
        )
        .expect("00 CB 3F FF 05 5C 03 5F C1 0A 00", "6A 82");
    let s = PivSession::open(&mut card).unwrap();
    let mut admin = s
        .authenticate(&key, ManagementAlgorithm::TripleDes)
        .unwrap();
    admin
        .put_certificate(PivSlot::AUTHENTICATION, &der)
        .unwrap();
    let mut s = admin.into_basic();
    assert_eq!(s.certificate(PivSlot::AUTHENTICATION).unwrap(), Some(der));
    assert_eq!(s.certificate(PivSlot::SIGNATURE).unwrap(), None);
    assert_eq!(s.stats().apdus, 1 + 2 + 2 + 2 + 1);
}
