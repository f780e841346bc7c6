//! The PC/SC driver against a SimCard behind the real pcscd (vpcd reader).
//! Skips visibly when pcscd is not running.

mod common;

use std::time::{Duration, Instant};

use cardline_device::{CardReader, CardTransport, TransportError};
use cardline_sim::card::{CardFaults, SimCard, SimCardConfig};
use common::{CARD_TIMEOUT, Rig, h};

#[test]
fn lists_finds_and_talks_to_the_card() {
    let Some(rig) = Rig::start("lists_finds_and_talks_to_the_card") else {
        return;
    };
    let survey = rig.readers.survey().unwrap();
    let ours = survey.iter().find(|r| r.name == rig.reader).unwrap();
    assert!(ours.card_present);
    assert_eq!(
        hex::encode_upper(&ours.atr),
        "3BFD1300008131FE158073C021C057597562694B657940"
    );
    let mut reader = rig.readers.find("virtual pcd 00 00").unwrap();
    assert_eq!(CardReader::name(&reader), rig.reader);
    let mut session = reader.connect(CARD_TIMEOUT).unwrap();
    let apt = session
        .transmit(&h("00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00"))
        .unwrap();
    assert_eq!(
        apt,
        h("61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00")
    );
    // pcscd passes 61xx through untouched (no GET RESPONSE done for us).
    let r = session.transmit(&h("00 CB 3F FF 03 5C 01 7E 08")).unwrap();
    assert_eq!(&r[8..], &[0x61, 0x0C]);
    assert!(matches!(
        rig.readers.find("no such reader"),
        Err(TransportError::NoReader { .. })
    ));
}

#[test]
fn extended_apdus_pass_through_pcscd() {
    let Some(rig) = Rig::start("extended_apdus_pass_through_pcscd") else {
        return;
    };
    let reader = rig.readers.find(&rig.reader).unwrap();
    let mut s = reader.open(CARD_TIMEOUT).unwrap();
    let mgm = h("010203040506070801020304050607080102030405060708");
    authenticate(&mut s, &mgm);
    // A 3000-byte object in one extended PUT DATA, read back with one extended GET DATA.
    let object: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let mut body = h("5C 03 5F C1 05 53 82 0B B8");
    body.extend(&object);
    let mut apdu = h("00 DB 3F FF 00");
    apdu.extend((body.len() as u16).to_be_bytes());
    apdu.extend(&body);
    assert_eq!(s.transmit(&apdu).unwrap(), h("90 00"));
    let r = s
        .transmit(&h("00 CB 3F FF 00 00 05 5C 03 5F C1 05 00 00"))
        .unwrap();
    assert_eq!(r.len(), 4 + 3000 + 2);
    assert_eq!(&r[4..3004], object.as_slice());
}

/// 9B mutual authentication (3DES) over any transport.
fn authenticate(s: &mut impl CardTransport, key: &[u8]) {
    use des::cipher::{Array, BlockCipherDecrypt, KeyInit};
    let r = s.transmit(&h("00 87 03 9B 04 7C 02 80 00")).unwrap();
    let c = des::TdesEde3::new_from_slice(key).unwrap();
    let mut w = Array::try_from(&r[4..12]).unwrap();
    c.decrypt_block(&mut w);
    let mut apdu = h("00 87 03 9B 16 7C 14 80 08");
    apdu.extend(w.as_slice());
    apdu.extend(h("81 08 01 02 03 04 05 06 07 08"));
    let r = s.transmit(&apdu).unwrap();
    assert_eq!(&r[r.len() - 2..], &[0x90, 0x00]);
}

#[test]
fn finds_the_reader_by_card_serial() {
    let Some(rig) = Rig::start("finds_the_reader_by_card_serial") else {
        return;
    };
    let serial = rig.card.lock().unwrap().serial();
    let reader = rig.readers.find_by_serial(serial).unwrap();
    assert_eq!(CardReader::name(&reader), rig.reader);
    assert!(matches!(
        rig.readers.find_by_serial(serial + 1),
        Err(TransportError::NoReader { .. })
    ));
}

#[test]
fn session_is_exclusive_and_resets_the_card_on_drop() {
    let Some(rig) = Rig::start("session_is_exclusive_and_resets_the_card_on_drop") else {
        return;
    };
    let reader = rig.readers.find(&rig.reader).unwrap();
    {
        let mut s = reader.open(CARD_TIMEOUT).unwrap();
        let ok = s
            .transmit(&h("00 20 00 80 08 31 32 33 34 35 36 FF FF"))
            .unwrap();
        assert_eq!(ok, h("90 00"));
        let other = cardline_pcsc::PcscReaders::establish().unwrap();
        let again = other
            .find(&rig.reader)
            .unwrap()
            .open(Duration::from_secs(2));
        assert!(
            matches!(again, Err(TransportError::Busy { .. })),
            "{again:?}"
        );
    }
    let mut s = reader.open(CARD_TIMEOUT).unwrap();
    assert_eq!(s.transmit(&h("00 20 00 80 00")).unwrap(), h("63 C3"));
}

#[test]
fn card_pulled_mid_command_is_a_typed_card_fault() {
    let test = "card_pulled_mid_command_is_a_typed_card_fault";
    let Some(mut rig) = Rig::start(test) else {
        return;
    };
    let reader = rig.readers.find(&rig.reader).unwrap();
    let mut s = reader.open(CARD_TIMEOUT).unwrap();
    rig.card.lock().unwrap().set_faults(CardFaults {
        remove_after_commands: Some(0),
        ..CardFaults::default()
    });
    let e = s.transmit(&h("00 FD 00 00 00")).unwrap_err();
    assert!(e.is_card_fault(), "{e:?}");
    // A later command finds the card gone as well.
    assert!(
        s.transmit(&h("00 FD 00 00 00"))
            .unwrap_err()
            .is_card_fault()
    );
    drop(s);
    // Back in the reader, the card answers again (and the slot is left healthy).
    rig.replug(test);
    let mut s = reader.open(CARD_TIMEOUT).unwrap();
    assert_eq!(
        s.transmit(&h("00 FD 00 00 00")).unwrap(),
        h("05 04 03 90 00")
    );
}

#[test]
fn mute_chip_is_a_typed_card_fault() {
    let test = "mute_chip_is_a_typed_card_fault";
    let Some(mut rig) = Rig::start(test) else {
        return;
    };
    let reader = rig.readers.find(&rig.reader).unwrap();
    let mut s = reader.open(CARD_TIMEOUT).unwrap();
    rig.card.lock().unwrap().faults_mut().mute = true;
    let e = s.transmit(&h("00 FD 00 00 00")).unwrap_err();
    assert!(e.is_card_fault(), "{e:?}");
    drop(s);
    rig.replug(test);
    let mut s = reader.open(CARD_TIMEOUT).unwrap();
    assert_eq!(
        s.transmit(&h("00 FD 00 00 00")).unwrap(),
        h("05 04 03 90 00")
    );
}

#[test]
fn card_pulled_between_commands_comes_back() {
    let Some(rig) = Rig::start("card_pulled_between_commands_comes_back") else {
        return;
    };
    let reader = rig.readers.find(&rig.reader).unwrap();
    rig.card.lock().unwrap().remove();
    assert!(
        rig.readers
            .wait_for_removal(&rig.reader, CARD_TIMEOUT)
            .unwrap()
    );
    rig.card.lock().unwrap().insert();
    rig.readers
        .wait_for_card(&rig.reader, CARD_TIMEOUT)
        .unwrap();
    let mut s = reader.open(CARD_TIMEOUT).unwrap();
    assert_eq!(
        s.transmit(&h("00 FD 00 00 00")).unwrap(),
        h("05 04 03 90 00")
    );
    assert!(rig.vpcd.as_ref().unwrap().connections() >= 2);
}

#[test]
fn t0_only_atr_is_refused_as_bad_atr() {
    let mut card = SimCard::new(SimCardConfig::default());
    card.faults_mut().wrong_atr = true;
    let Some(rig) = Rig::start_with("t0_only_atr_is_refused_as_bad_atr", card) else {
        return;
    };
    let reader = rig.readers.find(&rig.reader).unwrap();
    let e = reader.open(CARD_TIMEOUT).map(|_| ()).unwrap_err();
    assert!(
        matches!(e, TransportError::BadAtr { ref atr, .. } if atr == "3B021450"),
        "{e:?}"
    );
    assert!(e.is_card_fault());
}

#[test]
fn measures_apdu_round_trip_through_pcscd() {
    let Some(rig) = Rig::start("measures_apdu_round_trip_through_pcscd") else {
        return;
    };
    let reader = rig.readers.find(&rig.reader).unwrap();
    let mut s = reader.open(CARD_TIMEOUT).unwrap();
    let select = h("00 A4 04 00 05 A0 00 00 03 08");
    let n = 500;
    let start = Instant::now();
    for _ in 0..n {
        let r = s.transmit(&select).unwrap();
        assert_eq!(&r[r.len() - 2..], &[0x90, 0x00]);
    }
    let per_apdu = start.elapsed() / n;
    println!("APDU round trip through pcscd + vpcd: {per_apdu:?} per SELECT ({n} APDUs)");
}

/// A card replaced while pcscd has not yet looked at the reader again (it does every 400 ms):
/// the session opens on the card that already left, and its first command goes to a handle
/// without a card. The session opens the reader again once, and the command reaches the card
/// that arrived (600 ms later, as `sim serve` hands a new chip to its vpcd slot).
#[test]
fn a_session_opened_on_a_card_that_just_left_reaches_the_next_card() {
    let Some(rig) = Rig::start("a_session_opened_on_a_card_that_just_left") else {
        return;
    };
    let reader = rig.readers.find(&rig.reader).unwrap();
    for _ in 0..2 {
        rig.readers
            .wait_for_card(&rig.reader, CARD_TIMEOUT)
            .unwrap();
        rig.card.lock().unwrap().remove();
        let card = rig.card.clone();
        let back = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(600));
            card.lock().unwrap().insert();
        });
        let mut s = reader.open(CARD_TIMEOUT).unwrap();
        assert_eq!(
            s.transmit(&h("00 FD 00 00 00")).unwrap(),
            h("05 04 03 90 00")
        );
        back.join().unwrap();
    }
}
