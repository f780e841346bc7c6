//! `PivEncoder` stops early, before touching anything it cannot finish, and maps failures to
//! the right `EncodeError` (scripted card).

mod common;

use cardline_device::{
    CardEncoder, EncodeError, EncodingPlan, KeyAlgorithm, KeyRequest, ManagementKey, MasterKey,
    Pin, PivSlot, Puk,
};
use cardline_piv::PivEncoder;
use common::{ScriptedCard, TestCa};

const SELECT: &str = "00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00";
const APT: &str = "61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00";

fn plan() -> EncodingPlan {
    EncodingPlan {
        card_number: "C-000042".into(),
        transport_pin: Pin::new(b"123456".to_vec()),
        transport_puk: Puk::new(b"12345678".to_vec()),
        transport_management_key: ManagementKey::piv_default(),
        pin: Pin::new(b"918273".to_vec()),
        puk: Puk::new(b"55667788".to_vec()),
        management_key_master: MasterKey::new(vec![9; 32]),
        keys: vec![KeyRequest {
            slot: PivSlot::AUTHENTICATION,
            algorithm: KeyAlgorithm::EccP256,
            profile: "auth".into(),
        }],
        guid: [0x5A; 16],
        expiry: "20271231".into(),
    }
}

#[test]
fn wrong_transport_pin_stops_after_the_pin_change_attempt() {
    let mut card = ScriptedCard::new()
        .expect(SELECT, APT)
        .expect("00 FD 00 00 00", "05 04 03 90 00")
        .expect("00 F8 00 00 00", "00 98 96 81 90 00")
        .expect(
            "00 24 00 80 10 31 32 33 34 35 36 FF FF 39 31 38 32 37 33 FF FF",
            "63 C2",
        );
    let err = PivEncoder::new()
        .encode(&mut card, &plan(), &TestCa::new())
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
    // Every following blank would refuse it too: the station pauses, the card is not blamed.
    assert!(err.needs_operator() && !err.is_card_fault());
    assert!(card.finished());
    assert!(!err.to_string().contains("918273"));
}

#[test]
fn generic_card_is_refused_before_any_secret_changes() {
    let mut card = ScriptedCard::new()
        .expect(SELECT, APT)
        .expect("00 FD 00 00 00", "6D 00");
    let err = PivEncoder::new()
        .encode(&mut card, &plan(), &TestCa::new())
        .unwrap_err();
    assert!(matches!(err, EncodeError::Unsupported(_)), "{err:?}");
    assert_eq!(card.received.len(), 2);
}

#[test]
fn bad_plans_are_refused_without_a_single_apdu() {
    let mut card = ScriptedCard::new();
    let mut p = plan();
    p.expiry = "2027-12-31".into();
    assert!(matches!(
        PivEncoder::new().encode(&mut card, &p, &TestCa::new()),
        Err(EncodeError::Unsupported(_))
    ));
    let mut p = plan();
    p.pin = Pin::new(b"123456789".to_vec());
    assert!(matches!(
        PivEncoder::new().encode(&mut card, &p, &TestCa::new()),
        Err(EncodeError::Unsupported(_))
    ));
    assert!(card.received.is_empty());
}

#[test]
fn muted_chip_is_a_card_fault() {
    struct Mute;
    impl cardline_device::CardTransport for Mute {
        fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, cardline_device::TransportError> {
            Err(cardline_device::TransportError::Mute { reader: "r".into() })
        }
        fn atr(&self) -> Vec<u8> {
            vec![]
        }
        fn reader_name(&self) -> String {
            "r".into()
        }
    }
    let err = PivEncoder::new()
        .encode(&mut Mute, &plan(), &TestCa::new())
        .unwrap_err();
    assert!(err.is_card_fault() && !err.is_transient(), "{err:?}");
}
