//! PIN letters: `cards secrets --order ID --reveal` exports the initial PIN (and PUK where the
//! profile allows) of every card produced in the order, audited per card before anything is
//! printed, refused without confirmation, optionally age-encrypted so the clear text never
//! reaches the disk. The PINs have the length of the order's profile.

mod batch_support;
mod temp_home;

use std::os::unix::fs::PermissionsExt;
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use batch_support::{audit_len, produce};
use cardline_issuance::secrets::{KeyFiles, open_card_secrets};
use cardline_issuance::store::CardStore;
use cardline_issuance::store::sqlite::SqliteStore;
use temp_home::{fail, json, ok};

/// A home with station keys, profile `contractor-piv` (PIN 8 digits) and `visitor` (PIN 7, no
/// PUK in letters); order 1 (3 cards, contractor-piv, one failed), order 2 (2 cards, default
/// profile), order 3 (2 cards, visitor), all produced.
fn produced_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    ok(&home, &["keys", "init"]);
    ok(&home, &["options", "profile", "create", "contractor-piv"]);
    ok(
        &home,
        &[
            "options",
            "set",
            "--profile",
            "contractor-piv",
            "pin_length",
            "8",
        ],
    );
    ok(&home, &["options", "profile", "create", "visitor"]);
    ok(
        &home,
        &["options", "set", "--profile", "visitor", "pin_length", "7"],
    );
    ok(
        &home,
        &[
            "options",
            "set",
            "--profile",
            "visitor",
            "pin_letters.include_puk",
            "false",
        ],
    );
    ok(
        &home,
        &[
            "request",
            "--count",
            "3",
            "--requester",
            "Lovelace, Ada",
            "--desk",
            "Front",
        ],
    );
    ok(&home, &["request", "--count", "4", "--requester", "Bob"]);
    ok(
        &home,
        &[
            "order",
            "create",
            "--first",
            "3",
            "--profile",
            "contractor-piv",
        ],
    );
    ok(&home, &["order", "create", "--first", "2"]);
    ok(
        &home,
        &["order", "create", "--first", "2", "--profile", "visitor"],
    );
    produce(&home, 1, &["TMP000000026"]);
    produce(&home, 2, &[]);
    produce(&home, 3, &[]);
    home
}

/// The PIN and PUK sealed in the store for `card`, opened with the home's station key.
fn sealed(home: &tempfile::TempDir, card: &str) -> (String, String) {
    let store = SqliteStore::open(&home.path().join("cardline.db")).unwrap();
    let key = KeyFiles::in_home(home.path()).station_key().unwrap();
    let secrets = store.card_secrets(card).unwrap().unwrap();
    let (pin, puk) = open_card_secrets(&key, card, &secrets).unwrap();
    (
        String::from_utf8(pin.expose().to_vec()).unwrap(),
        String::from_utf8(puk.expose().to_vec()).unwrap(),
    )
}

#[test]
fn an_order_of_a_non_default_profile_reveals_pins_of_its_length() {
    let home = produced_home();
    let before = audit_len(&home);
    let out = ok(
        &home,
        &["cards", "secrets", "--order", "1", "--reveal", "--yes"],
    );
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["card", "requester", "desk", "pin", "puk"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let cards: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(
        cards,
        ["TMP000000018", "TMP000000034"],
        "the failed card has no letter"
    );
    for r in &rows {
        assert_eq!(&r[1], "Lovelace, Ada");
        assert_eq!(&r[2], "Front");
        assert_eq!(r[3].len(), 8, "contractor-piv: 8-digit PINs: {r:?}");
        assert!(r[3].bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(r[4].len(), 8);
        assert_eq!(sealed(&home, &r[0]), (r[3].to_string(), r[4].to_string()));
    }
    // Audited per card, with the order, before the output.
    let reveals = json(&home, &["audit", "--action", "secrets.reveal"]);
    let reveals = reveals.as_array().unwrap();
    assert_eq!(reveals.len(), 2);
    assert!(
        reveals
            .iter()
            .all(|e| e["order_id"] == 1 && e["operator"] == "tester")
    );
    assert_eq!(reveals[0]["card_number"], "TMP000000018");
    assert_eq!(reveals[0]["reason"], "PIN letters, csv");
    assert_eq!(audit_len(&home), before + 2);

    // The default profile's order: 6 digits, as JSON.
    let letters = json(
        &home,
        &["cards", "secrets", "--order", "2", "--reveal", "--yes"],
    );
    assert_eq!(letters["order"], 2);
    assert_eq!(letters["profile"], "default");
    for c in letters["cards"].as_array().unwrap() {
        assert_eq!(c["pin"].as_str().unwrap().len(), 6, "{c}");
        assert_eq!(c["requester"], "Bob");
        assert!(c["desk"].is_null());
    }
    // A profile that keeps the PUK out of letters, and --no-puk.
    let visitor = ok(
        &home,
        &["cards", "secrets", "--order", "3", "--reveal", "--yes"],
    );
    assert!(
        visitor.starts_with("card,requester,desk,pin\n"),
        "{visitor}"
    );
    let pin = visitor.lines().nth(1).unwrap().rsplit(',').next().unwrap();
    assert_eq!(pin.len(), 7, "{visitor}");
    let no_puk = json(
        &home,
        &[
            "cards", "secrets", "--order", "2", "--reveal", "--yes", "--no-puk", "--format", "json",
        ],
    );
    assert!(no_puk["cards"][0].get("puk").is_none(), "{no_puk}");
    assert!(no_puk["cards"][0]["pin"].is_string());
}

#[test]
fn nothing_is_revealed_without_reveal_or_confirmation() {
    let home = produced_home();
    let before = audit_len(&home);
    let err = fail(&home, &["cards", "secrets", "--order", "1", "--yes"]);
    assert!(err.contains("without --reveal"), "{err}");
    // No terminal here: without --yes there is nobody to confirm.
    let out = temp_home::cardline(&home, &["cards", "secrets", "--order", "1", "--reveal"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing printed");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("without confirmation") && err.contains("--yes"),
        "{err}"
    );
    let err = fail(
        &home,
        &["cards", "secrets", "--order", "9", "--reveal", "--yes"],
    );
    assert!(err.contains("no order 9"), "{err}");
    let err = fail(
        &home,
        &[
            "cards",
            "secrets",
            "TMP000000018",
            "--reveal",
            "--format",
            "csv",
        ],
    );
    assert!(err.contains("--order"), "{err}");
    assert_eq!(audit_len(&home), before, "no reveal recorded, none made");
}

#[test]
fn an_encrypted_export_decrypts_to_the_pins_that_open_the_sealed_secrets() {
    let home = produced_home();
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    assert!(recipient.starts_with("age1"));
    let out = home.path().join("letters.csv.age");
    let report = json(
        &home,
        &[
            "cards",
            "secrets",
            "--order",
            "1",
            "--reveal",
            "--yes",
            "--format",
            "csv",
            "--encrypt-to",
            &recipient,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(report["cards"], 2);
    assert_eq!(report["encrypted_to"], recipient.as_str());
    let meta = std::fs::metadata(&out).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let armored = std::fs::read_to_string(&out).unwrap();
    assert!(
        armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{armored}"
    );
    let (pin, puk) = sealed(&home, "TMP000000018");
    assert!(
        !armored.contains(&pin) && !armored.contains("Lovelace"),
        "no clear text"
    );

    let clear = age::decrypt(&identity, armored.as_bytes()).unwrap();
    let clear = String::from_utf8(clear).unwrap();
    let first = clear.lines().nth(1).unwrap();
    assert_eq!(
        first,
        format!("TMP000000018,\"Lovelace, Ada\",Front,{pin},{puk}")
    );
    let second = clear.lines().nth(2).unwrap();
    let (pin2, puk2) = sealed(&home, "TMP000000034");
    assert!(second.ends_with(&format!(",{pin2},{puk2}")), "{second}");
    let reveals = json(&home, &["audit", "--action", "secrets.reveal"]);
    assert!(
        reveals[0]["reason"]
            .as_str()
            .unwrap()
            .ends_with(&format!("encrypted to {recipient}")),
        "{reveals}"
    );

    // Another identity cannot read it; an existing file is never overwritten.
    let other = age::x25519::Identity::generate();
    assert!(age::decrypt(&other, armored.as_bytes()).is_err());
    let before = audit_len(&home);
    let err = fail(
        &home,
        &[
            "cards",
            "secrets",
            "--order",
            "1",
            "--reveal",
            "--yes",
            "--encrypt-to",
            &recipient,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(err.contains("must not exist"), "{err}");
    assert_eq!(audit_len(&home), before);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), armored);
    // Armored to standard output works too, and a bad recipient is refused before anything.
    let stdout = ok(
        &home,
        &[
            "cards",
            "secrets",
            "--order",
            "2",
            "--reveal",
            "--yes",
            "--encrypt-to",
            &recipient,
        ],
    );
    let clear = age::decrypt(&identity, stdout.as_bytes()).unwrap();
    assert!(
        String::from_utf8(clear)
            .unwrap()
            .starts_with("card,requester")
    );
    let err = fail(
        &home,
        &[
            "cards",
            "secrets",
            "--order",
            "2",
            "--reveal",
            "--yes",
            "--encrypt-to",
            "age1nope",
        ],
    );
    assert!(err.contains("not an age X25519 recipient"), "{err}");
    // The identity's secret string round-trips (what an operator stores in a key file).
    let again = age::x25519::Identity::from_str(identity.to_string().expose_secret()).unwrap();
    assert_eq!(again.to_public().to_string(), recipient);
}
