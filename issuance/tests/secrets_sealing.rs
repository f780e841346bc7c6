//! Station keys, PIN/PUK sealing and random PIN/PUK generation.

use std::os::unix::fs::PermissionsExt;

use cardline_device::{Pin, Puk};
use cardline_issuance::secrets::{
    KeyFiles, SecretsError, StationKey, generate_pin, generate_puk, open_card_secrets,
    seal_card_secrets,
};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn sealed_secrets_open_to_the_same_pin_and_puk() {
    let key = StationKey::generate().unwrap();
    let (pin, puk) = (Pin::new(b"482913".to_vec()), Puk::new(b"73920184".to_vec()));
    let sealed = seal_card_secrets(&key, "TMP-000123", &pin, &puk).unwrap();
    assert_eq!(sealed.key_id, key.key_id());
    assert_eq!(sealed.key_id.len(), 16);
    assert_eq!(sealed.nonce.len(), 12);
    // 1 format + 1 + 6 + 1 + 8 plaintext bytes + 16-byte tag.
    assert_eq!(sealed.ciphertext.len(), 17 + 16);
    let window = |needle: &[u8]| sealed.ciphertext.windows(needle.len()).any(|w| w == needle);
    assert!(!window(b"482913") && !window(b"73920184"));
    let (pin2, puk2) = open_card_secrets(&key, "TMP-000123", &sealed).unwrap();
    assert_eq!(pin2.expose(), b"482913");
    assert_eq!(puk2.expose(), b"73920184");
}

#[test]
fn each_seal_uses_a_fresh_nonce() {
    let key = StationKey::generate().unwrap();
    let (pin, puk) = (Pin::new(b"111111".to_vec()), Puk::new(b"22222222".to_vec()));
    let a = seal_card_secrets(&key, "C1", &pin, &puk).unwrap();
    let b = seal_card_secrets(&key, "C1", &pin, &puk).unwrap();
    assert_ne!(a.nonce, b.nonce);
    assert_ne!(a.ciphertext, b.ciphertext);
}

#[test]
fn another_station_key_is_refused_by_key_id() {
    let key = StationKey::generate().unwrap();
    let other = StationKey::generate().unwrap();
    let sealed = seal_card_secrets(
        &key,
        "C1",
        &Pin::new(b"123123".to_vec()),
        &Puk::new(b"12341234".to_vec()),
    )
    .unwrap();
    match open_card_secrets(&other, "C1", &sealed) {
        Err(SecretsError::WrongKey {
            sealed_with,
            station,
        }) => {
            assert_eq!(sealed_with, key.key_id());
            assert_eq!(station, other.key_id());
        }
        other => panic!("expected WrongKey, got {other:?}"),
    }
    // A forged key id does not help: the GCM tag fails.
    let mut forged = sealed.clone();
    forged.key_id = other.key_id();
    assert!(matches!(
        open_card_secrets(&other, "C1", &forged),
        Err(SecretsError::Tampered { .. })
    ));
}

#[test]
fn any_altered_byte_is_detected() {
    let key = StationKey::generate().unwrap();
    let sealed = seal_card_secrets(
        &key,
        "C1",
        &Pin::new(b"654321".to_vec()),
        &Puk::new(b"87654321".to_vec()),
    )
    .unwrap();
    for i in 0..sealed.ciphertext.len() {
        let mut t = sealed.clone();
        t.ciphertext[i] ^= 0x01;
        assert!(
            matches!(
                open_card_secrets(&key, "C1", &t),
                Err(SecretsError::Tampered { .. })
            ),
            "flipped ciphertext byte {i} was accepted"
        );
    }
    let mut t = sealed.clone();
    t.nonce[0] ^= 0x80;
    assert!(open_card_secrets(&key, "C1", &t).is_err());
    let mut t = sealed.clone();
    t.nonce.pop();
    assert!(open_card_secrets(&key, "C1", &t).is_err());
    let mut t = sealed;
    t.ciphertext.truncate(10);
    assert!(open_card_secrets(&key, "C1", &t).is_err());
}

#[test]
fn sealed_secrets_are_bound_to_their_card_number() {
    let key = StationKey::generate().unwrap();
    let sealed = seal_card_secrets(
        &key,
        "TMP-0001",
        &Pin::new(b"999999".to_vec()),
        &Puk::new(b"88888888".to_vec()),
    )
    .unwrap();
    let err = open_card_secrets(&key, "TMP-0002", &sealed).unwrap_err();
    assert!(matches!(err, SecretsError::Tampered { ref card_number } if card_number == "TMP-0002"));
    assert!(!err.to_string().contains("999999"));
    assert!(open_card_secrets(&key, "TMP-0001", &sealed).is_ok());
}

#[test]
fn generated_pins_and_puks_have_the_requested_length_and_only_digits() {
    for len in 6..=8 {
        let pin = generate_pin(len).unwrap();
        let puk = generate_puk(len).unwrap();
        assert_eq!(pin.len(), len);
        assert_eq!(puk.len(), len);
        assert!(pin.expose().iter().all(u8::is_ascii_digit));
        assert!(puk.expose().iter().all(u8::is_ascii_digit));
    }
    for bad in [0, 4, 5, 9, 16] {
        assert!(matches!(
            generate_pin(bad),
            Err(SecretsError::BadLength { what: "PIN", .. })
        ));
        assert!(matches!(
            generate_puk(bad),
            Err(SecretsError::BadLength { what: "PUK", .. })
        ));
    }
}

#[test]
fn generated_digits_are_spread_over_all_ten_values() {
    // 1250 PINs × 8 digits = 10 000 digits; each digit expected 1000 times (σ ≈ 30).
    let mut counts = [0u32; 10];
    let mut first_digits = [0u32; 10];
    for _ in 0..1250 {
        let pin = generate_pin(8).unwrap();
        first_digits[(pin.expose()[0] - b'0') as usize] += 1;
        for d in pin.expose() {
            counts[(d - b'0') as usize] += 1;
        }
    }
    for (digit, &n) in counts.iter().enumerate() {
        assert!(
            (850..=1150).contains(&n),
            "digit {digit} drawn {n} times of 10000: {counts:?}"
        );
    }
    // Leading zeros are allowed (a PIN is a digit string, not a number).
    assert!(
        first_digits[0] > 60,
        "leading 0 drawn {} times",
        first_digits[0]
    );
    let a = generate_puk(8).unwrap();
    let b = generate_puk(8).unwrap();
    let c = generate_puk(8).unwrap();
    assert!(a != b || b != c, "three equal random PUKs");
}

#[test]
fn keys_init_creates_private_files_once() {
    let home = tempfile::tempdir().unwrap();
    let files = KeyFiles::in_home(home.path());
    let key_id = files.init().unwrap();
    assert_eq!(mode(&files.dir), 0o700);
    assert_eq!(mode(&files.station_key_path()), 0o600);
    assert_eq!(mode(&files.master_key_path()), 0o600);
    let station = files.station_key().unwrap();
    assert_eq!(station.key_id(), key_id);
    let master = files.master_key().unwrap();
    assert_eq!(master.expose().len(), 32);
    let station_text = std::fs::read_to_string(files.station_key_path()).unwrap();
    assert_eq!(station_text.trim().len(), 64);
    assert_ne!(
        station_text.trim(),
        hex::encode(master.expose()),
        "station and master keys must be independent"
    );

    let before = std::fs::read(files.station_key_path()).unwrap();
    assert!(matches!(files.init(), Err(SecretsError::KeyExists { .. })));
    assert_eq!(std::fs::read(files.station_key_path()).unwrap(), before);
    assert!(matches!(
        StationKey::create(&files.station_key_path()),
        Err(SecretsError::KeyExists { .. })
    ));
}

#[test]
fn key_files_readable_by_others_or_malformed_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let files = KeyFiles::in_home(home.path());
    assert!(matches!(
        files.station_key(),
        Err(SecretsError::KeyMissing { .. })
    ));
    files.init().unwrap();
    let path = files.station_key_path();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    match files.station_key() {
        Err(SecretsError::PermissionsTooOpen { mode, .. }) => assert_eq!(mode, 0o644),
        other => panic!("expected PermissionsTooOpen, got {other:?}"),
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(&path, "not hex at all\n").unwrap();
    assert!(matches!(
        files.station_key(),
        Err(SecretsError::MalformedKey { .. })
    ));
}

#[test]
fn debug_output_never_shows_key_or_secret_bytes() {
    let key = StationKey::from_bytes([0xAB; 32]);
    let shown = format!("{key:?}");
    assert!(shown.contains(&key.key_id()) && shown.contains("***"));
    assert!(!shown.to_lowercase().contains("abab"));
    let pin = Pin::new(b"246810".to_vec());
    let puk = Puk::new(b"13579135".to_vec());
    let sealed = seal_card_secrets(&key, "C9", &pin, &puk).unwrap();
    let all = format!("{pin:?} {puk:?} {sealed:?}");
    assert!(!all.contains("246810") && !all.contains("13579135"));
    assert!(all.contains(&key.key_id()));
}

#[test]
fn derived_subkeys_differ_per_purpose_and_are_stable() {
    let key = StationKey::from_bytes([7; 32]);
    assert_eq!(*key.derive("a"), *key.derive("a"));
    assert_ne!(*key.derive("a"), *key.derive("b"));
    assert_ne!(key.derive("a").as_slice(), &[7u8; 32]);
}
