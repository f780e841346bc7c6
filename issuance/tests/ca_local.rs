//! The local issuing CA: files at rest, certificates for on-card keys, chain verification with
//! x509-parser and `openssl verify`, issue-once, and refusals.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use ::time::{Duration, OffsetDateTime};
use cardline_device::{CertificateIssuer, CertificateRequest, IssuerError, KeyAlgorithm, PivSlot};
use cardline_issuance::ca::{
    CA_CERT_FILE, CA_KEY_FILE, CaError, CaKeyAlgorithm, CertProfileSpec, CertificateAuthority,
    IssueRequest, LEGACY_INDEX_FILE, LocalCa, ProfileIssuer,
};
use cardline_issuance::secrets::StationKey;
use cardline_issuance::store::CertificateIndex;
use cardline_issuance::store::sqlite::SqliteStore;
use rcgen::PublicKeyData;
use std::sync::Arc;
use x509_parser::prelude::*;

fn auth_profile() -> CertProfileSpec {
    CertProfileSpec {
        name: "piv-auth".into(),
        slot: PivSlot::AUTHENTICATION,
        algorithm: KeyAlgorithm::EccP256,
        subject: "CN=Temporary card {card_number},OU=Visitors,O=Example Org,C=DE".into(),
        key_usage: vec!["digitalSignature".into(), "keyAgreement".into()],
        extended_key_usage: vec![
            "clientAuth".into(),
            "smartcardLogon".into(),
            "emailProtection".into(),
        ],
    }
}

/// An "on-card" key: its SPKI is all the CA ever sees.
fn card_key_spki(alg: &'static rcgen::SignatureAlgorithm) -> Vec<u8> {
    rcgen::KeyPair::generate_for(alg)
        .unwrap()
        .subject_public_key_info()
}

/// A handle to the store of the home around the CA directory `ca_dir` (each call opens its
/// own connections, as another process would).
fn index(ca_dir: &Path) -> Arc<dyn CertificateIndex> {
    Arc::new(SqliteStore::create(&ca_dir.parent().unwrap().join("cardline.db")).unwrap())
}

fn new_ca(dir: &Path, alg: CaKeyAlgorithm) -> (LocalCa, StationKey) {
    let station = StationKey::generate().unwrap();
    let ca_dir = dir.join("ca");
    let ca = LocalCa::init(
        &ca_dir,
        "Example Temporary Card CA",
        alg,
        &station,
        index(&ca_dir),
    )
    .unwrap();
    (ca, station)
}

fn card_expiry() -> OffsetDateTime {
    // Whole seconds: X.509 times have no fractions.
    let t = OffsetDateTime::now_utc() + Duration::days(30);
    t.replace_nanosecond(0).unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn to_pem(der: &[u8]) -> String {
    // Minimal base64 for the openssl round trip (no base64 crate in this workspace).
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

/// `openssl verify` of `leaf` against the CA in `ca_dir`; `None` when openssl is absent.
fn openssl_verify(ca_dir: &Path, leaf: &[u8], purpose: Option<&str>) -> Option<(bool, String)> {
    let leaf_path = ca_dir.join("leaf-under-test.pem");
    std::fs::write(&leaf_path, to_pem(leaf)).unwrap();
    let mut cmd = Command::new("openssl");
    cmd.arg("verify")
        .arg("-CAfile")
        .arg(ca_dir.join(CA_CERT_FILE));
    if let Some(p) = purpose {
        cmd.arg("-purpose").arg(p);
    }
    let out = cmd.arg(&leaf_path).output().ok()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(&leaf_path).unwrap();
    Some((out.status.success(), text))
}

#[test]
fn init_writes_private_files_and_never_the_key_in_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let (ca, station) = new_ca(tmp.path(), CaKeyAlgorithm::P256);
    let dir = ca.dir().to_path_buf();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(CA_KEY_FILE)), 0o600);
    assert_eq!(mode(&dir.join(CA_CERT_FILE)), 0o644);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("PRIVATE KEY"),
            "a file holds a PEM private key"
        );
    }
    let sealed = std::fs::read_to_string(dir.join(CA_KEY_FILE)).unwrap();
    assert!(sealed.contains("cardline-ca-key-v1") && sealed.contains(&station.key_id()));
    // The sealed key opens only with the station key it was sealed under.
    assert!(LocalCa::load(&dir, &station, index(&dir)).is_ok());
    let other = StationKey::generate().unwrap();
    assert!(matches!(
        LocalCa::load(&dir, &other, index(&dir)),
        Err(CaError::KeyLocked { .. })
    ));
    // A CA is never replaced.
    assert!(matches!(
        LocalCa::init(&dir, "Second", CaKeyAlgorithm::P256, &station, index(&dir)),
        Err(CaError::AlreadyExists { .. })
    ));
    assert!(matches!(
        LocalCa::load(
            &tmp.path().join("nothing"),
            &station,
            index(&tmp.path().join("nothing"))
        ),
        Err(CaError::NotInitialised { .. })
    ));
    let shown = format!("{ca:?}");
    assert!(shown.contains("***") && shown.contains("Example Temporary Card CA"));
}

#[test]
fn ca_certificate_is_a_constrained_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let (ca, _) = new_ca(tmp.path(), CaKeyAlgorithm::P384);
    let (_, cert) = X509Certificate::from_der(ca.ca_certificate_der()).unwrap();
    assert_eq!(cert.subject().to_string(), "CN=Example Temporary Card CA");
    assert_eq!(cert.subject(), cert.issuer());
    let bc = cert.basic_constraints().unwrap().unwrap().value;
    assert!(bc.ca);
    assert_eq!(
        bc.path_len_constraint,
        Some(1),
        "room for desk CAs below the root"
    );
    let ku = cert.key_usage().unwrap().unwrap().value;
    assert!(ku.key_cert_sign() && ku.crl_sign());
    cert.verify_signature(None).unwrap();
    let years = (ca.not_after() - OffsetDateTime::now_utc()).whole_days() / 365;
    assert_eq!(years, 9, "CA valid for ~10 years");
    assert_eq!(ca.algorithm(), CaKeyAlgorithm::P384);
    // `ca show` reads the same facts without the station key.
    let summary = LocalCa::summary(ca.dir(), &*index(ca.dir())).unwrap();
    assert_eq!(summary.subject, "CN=Example Temporary Card CA");
    assert_eq!(summary.algorithm, "p384");
    assert_eq!(summary.fingerprint, ca.fingerprint());
    assert_eq!(summary.issued, 0);
    assert!(
        summary
            .certificate_pem
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
}

#[test]
fn issued_certificate_chains_and_carries_the_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let (ca, _) = new_ca(tmp.path(), CaKeyAlgorithm::P256);
    let spki = card_key_spki(&rcgen::PKCS_ECDSA_P256_SHA256);
    let expiry = card_expiry();
    let before = OffsetDateTime::now_utc();
    let issued = ca
        .issue(&IssueRequest {
            card_number: "TMP-000042",
            profile: &auth_profile(),
            public_key_spki: &spki,
            not_after: expiry,
            chip_id: Some("0123abcd"),
        })
        .unwrap();
    assert!(!issued.recalled);
    let (_, leaf) = X509Certificate::from_der(&issued.der).unwrap();
    let (_, ca_cert) = X509Certificate::from_der(ca.ca_certificate_der()).unwrap();

    // Chain: signed by the CA key, issuer = CA subject, AKI = CA SKI.
    leaf.verify_signature(Some(ca_cert.public_key())).unwrap();
    assert_eq!(leaf.issuer(), ca_cert.subject());
    let other_ca = tempfile::tempdir().unwrap();
    let (other, _) = new_ca(other_ca.path(), CaKeyAlgorithm::P256);
    let (_, other_cert) = X509Certificate::from_der(other.ca_certificate_der()).unwrap();
    assert!(
        leaf.verify_signature(Some(other_cert.public_key()))
            .is_err()
    );

    // The certified key is the card's key, byte for byte.
    assert_eq!(leaf.public_key().raw, spki.as_slice());
    assert_eq!(
        leaf.subject().to_string(),
        "CN=Temporary card TMP-000042, OU=Visitors, O=Example Org, C=DE"
    );
    let eku = leaf.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.client_auth && eku.email_protection && !eku.server_auth);
    assert!(
        eku.other
            .iter()
            .any(|o| o.to_id_string() == "1.3.6.1.4.1.311.20.2.2"),
        "smart-card logon EKU missing: {:?}",
        eku.other
    );
    let ku = leaf.key_usage().unwrap().unwrap().value;
    assert!(ku.digital_signature() && ku.key_agreement() && !ku.key_cert_sign());
    assert!(!leaf.basic_constraints().unwrap().unwrap().value.ca);

    // Validity: from 5 minutes before issue to the card's expiry.
    let nb = leaf.validity().not_before.to_datetime();
    let na = leaf.validity().not_after.to_datetime();
    assert_eq!(na, expiry);
    assert!(nb <= before - Duration::minutes(5) + Duration::seconds(1));
    assert!(nb >= before - Duration::minutes(6));

    // Serial: random, positive, 16 bytes; recorded in the index with the card.
    assert_eq!(leaf.raw_serial().len(), 16);
    assert_eq!(hex::encode(leaf.raw_serial()), issued.serial);
    let records = ca.issued().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].card_number, "TMP-000042");
    assert_eq!(records[0].chip_id.as_deref(), Some("0123abcd"));
    assert_eq!(records[0].fingerprint, issued.fingerprint);
}

#[test]
fn openssl_verifies_the_chain_for_both_ca_curves() {
    for alg in [CaKeyAlgorithm::P256, CaKeyAlgorithm::P384] {
        let tmp = tempfile::tempdir().unwrap();
        let (ca, station) = new_ca(tmp.path(), alg);
        let mut profile = auth_profile();
        profile.algorithm = KeyAlgorithm::EccP384;
        let spki = card_key_spki(&rcgen::PKCS_ECDSA_P384_SHA384);
        // Issue through a reloaded CA: what `cardline encode` does in a later process.
        let reloaded = LocalCa::load(ca.dir(), &station, index(ca.dir())).unwrap();
        let issued = reloaded
            .issue(&IssueRequest {
                card_number: "TMP-7",
                profile: &profile,
                public_key_spki: &spki,
                not_after: card_expiry(),
                chip_id: None,
            })
            .unwrap();
        let Some((ok, text)) = openssl_verify(ca.dir(), &issued.der, Some("sslclient")) else {
            cardline_device::skipped!("openssl CLI not found, chain checked with x509-parser only");
            return;
        };
        assert!(ok, "openssl verify failed for {alg:?}: {text}");
        assert!(text.contains(": OK"), "{text}");
        // And a certificate from another CA does not verify against this one.
        let other_tmp = tempfile::tempdir().unwrap();
        let (other, _) = new_ca(other_tmp.path(), alg);
        let foreign = other
            .issue(&IssueRequest {
                card_number: "TMP-8",
                profile: &profile,
                public_key_spki: &card_key_spki(&rcgen::PKCS_ECDSA_P384_SHA384),
                not_after: card_expiry(),
                chip_id: None,
            })
            .unwrap();
        let (ok, text) = openssl_verify(ca.dir(), &foreign.der, None).unwrap();
        assert!(!ok, "a foreign certificate verified: {text}");
    }
}

#[test]
fn rsa_2048_card_keys_are_certified() {
    let tmp = tempfile::tempdir().unwrap();
    let key_path = tmp.path().join("rsa.pem");
    let spki_path = tmp.path().join("rsa.spki");
    let generated = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&key_path)
        .output();
    if !matches!(generated, Ok(ref o) if o.status.success()) {
        println!(
            "skipped: openssl CLI not found, no RSA key to certify (ring cannot generate one)"
        );
        return;
    }
    let out = Command::new("openssl")
        .args(["pkey", "-pubout", "-outform", "DER", "-in"])
        .arg(&key_path)
        .arg("-out")
        .arg(&spki_path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let spki = std::fs::read(&spki_path).unwrap();
    let (ca, _) = new_ca(tmp.path(), CaKeyAlgorithm::P256);
    let mut profile = auth_profile();
    profile.algorithm = KeyAlgorithm::Rsa2048;
    profile.key_usage = vec!["digitalSignature".into(), "keyEncipherment".into()];
    let issued = ca
        .issue(&IssueRequest {
            card_number: "TMP-9",
            profile: &profile,
            public_key_spki: &spki,
            not_after: card_expiry(),
            chip_id: None,
        })
        .unwrap();
    let (_, leaf) = X509Certificate::from_der(&issued.der).unwrap();
    assert_eq!(leaf.public_key().raw, spki.as_slice());
    let (ok, text) = openssl_verify(ca.dir(), &issued.der, Some("sslclient")).unwrap();
    assert!(ok, "{text}");
}

#[test]
fn a_key_is_certified_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (ca, station) = new_ca(tmp.path(), CaKeyAlgorithm::P256);
    let spki = card_key_spki(&rcgen::PKCS_ECDSA_P256_SHA256);
    let profile = auth_profile();
    let request = |card| IssueRequest {
        card_number: card,
        profile: &profile,
        public_key_spki: &spki,
        not_after: card_expiry(),
        chip_id: None,
    };
    let first = ca.issue(&request("TMP-1")).unwrap();
    // A retry (same key, card, profile) recalls the same certificate, even from another process.
    let again = LocalCa::load(ca.dir(), &station, index(ca.dir()))
        .unwrap()
        .issue(&request("TMP-1"))
        .unwrap();
    assert!(again.recalled);
    assert_eq!(again.der, first.der);
    assert_eq!(again.serial, first.serial);
    // The same key for another card is refused.
    match ca.issue(&request("TMP-2")) {
        Err(CaError::KeyAlreadyCertified {
            card_number,
            serial,
            ..
        }) => {
            assert_eq!(card_number, "TMP-1");
            assert_eq!(serial, first.serial);
        }
        other => panic!("expected KeyAlreadyCertified, got {other:?}"),
    }
    assert_eq!(ca.issued().unwrap().len(), 1);
    // Another key for the same card is a new certificate with a new serial.
    let spki2 = card_key_spki(&rcgen::PKCS_ECDSA_P256_SHA256);
    let second = ca
        .issue(&IssueRequest {
            public_key_spki: &spki2,
            ..request("TMP-1")
        })
        .unwrap();
    assert_ne!(second.serial, first.serial);
    assert_eq!(ca.issued().unwrap().len(), 2);
}

#[test]
fn keys_certified_by_another_process_after_ours_are_still_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (ours, station) = new_ca(tmp.path(), CaKeyAlgorithm::P256);
    let profile = auth_profile();
    let keys: Vec<Vec<u8>> = (0..3)
        .map(|_| card_key_spki(&rcgen::PKCS_ECDSA_P256_SHA256))
        .collect();
    fn request<'a>(card: &'a str, key: &'a [u8], profile: &'a CertProfileSpec) -> IssueRequest<'a> {
        IssueRequest {
            card_number: card,
            profile,
            public_key_spki: key,
            not_after: card_expiry(),
            chip_id: None,
        }
    }
    // Our process has read the index (one record) before the other one appends two more.
    ours.issue(&request("TMP-1", &keys[0], &profile)).unwrap();
    let theirs = LocalCa::load(ours.dir(), &station, index(ours.dir())).unwrap();
    theirs.issue(&request("TMP-2", &keys[1], &profile)).unwrap();
    let third = theirs.issue(&request("TMP-3", &keys[2], &profile)).unwrap();
    match ours.issue(&request("TMP-4", &keys[2], &profile)) {
        Err(CaError::KeyAlreadyCertified { card_number, .. }) => assert_eq!(card_number, "TMP-3"),
        other => panic!("expected KeyAlreadyCertified, got {other:?}"),
    }
    let recalled = ours.issue(&request("TMP-3", &keys[2], &profile)).unwrap();
    assert!(recalled.recalled);
    assert_eq!(
        recalled.der, third.der,
        "the line appended by the other process"
    );
}

#[test]
fn a_legacy_index_file_is_imported_once_and_a_damaged_line_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (ca, station) = new_ca(tmp.path(), CaKeyAlgorithm::P256);
    let profile = auth_profile();
    let spki = card_key_spki(&rcgen::PKCS_ECDSA_P256_SHA256);
    let issued = ca
        .issue(&IssueRequest {
            card_number: "TMP-1",
            profile: &profile,
            public_key_spki: &spki,
            not_after: card_expiry(),
            chip_id: None,
        })
        .unwrap();
    // A home from before the index moved into the store: its records in issued.jsonl.
    let record = ca.issued().unwrap().remove(0);
    let other_home = tempfile::tempdir().unwrap();
    let other_ca = other_home.path().join("ca");
    std::fs::create_dir_all(&other_ca).unwrap();
    for f in [CA_CERT_FILE, CA_KEY_FILE] {
        std::fs::copy(ca.dir().join(f), other_ca.join(f)).unwrap();
    }
    let legacy = other_ca.join(LEGACY_INDEX_FILE);
    std::fs::write(
        &legacy,
        format!("{}\n", serde_json::to_string(&record).unwrap()),
    )
    .unwrap();
    let loaded = LocalCa::load(&other_ca, &station, index(&other_ca)).unwrap();
    assert_eq!(loaded.issued().unwrap(), vec![record.clone()]);
    assert!(!legacy.exists() && other_ca.join("issued.jsonl.imported").exists());
    // The imported key is still certified once: a retry recalls it.
    let again = loaded
        .issue(&IssueRequest {
            card_number: "TMP-1",
            profile: &profile,
            public_key_spki: &spki,
            not_after: card_expiry(),
            chip_id: None,
        })
        .unwrap();
    assert!(again.recalled);
    assert_eq!(again.der, issued.der);
    // Loading again imports nothing twice.
    drop(loaded);
    let reloaded = LocalCa::load(&other_ca, &station, index(&other_ca)).unwrap();
    assert_eq!(reloaded.issued().unwrap().len(), 1);
    // A damaged line is reported with its number, nothing is renamed.
    std::fs::write(
        &legacy,
        format!("{}\n{{not json\n", serde_json::to_string(&record).unwrap()),
    )
    .unwrap();
    match LocalCa::load(&other_ca, &station, index(&other_ca)) {
        Err(CaError::Corrupt { why, .. }) => assert!(why.starts_with("line 2:"), "{why}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(legacy.exists());
}

#[test]
fn bad_keys_profiles_and_validities_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (ca, _) = new_ca(tmp.path(), CaKeyAlgorithm::P256);
    let profile = auth_profile();
    let p384 = card_key_spki(&rcgen::PKCS_ECDSA_P384_SHA384);
    let p256 = card_key_spki(&rcgen::PKCS_ECDSA_P256_SHA256);
    let issue = |spki: &[u8], profile: &CertProfileSpec, not_after| {
        ca.issue(&IssueRequest {
            card_number: "TMP-1",
            profile,
            public_key_spki: spki,
            not_after,
            chip_id: None,
        })
    };
    let ok_expiry = card_expiry();
    assert!(matches!(
        issue(&p384, &profile, ok_expiry),
        Err(CaError::BadPublicKey { .. })
    ));
    assert!(matches!(
        issue(b"\x30\x03\x02\x01\x00", &profile, ok_expiry),
        Err(CaError::BadPublicKey { .. })
    ));
    let mut off_curve = p256.clone();
    let last = off_curve.len() - 1;
    off_curve[last] ^= 1;
    assert!(matches!(
        issue(&off_curve, &profile, ok_expiry),
        Err(CaError::BadPublicKey { .. })
    ));
    let past = OffsetDateTime::now_utc() - Duration::hours(1);
    assert!(matches!(
        issue(&p256, &profile, past),
        Err(CaError::BadValidity { .. })
    ));
    let beyond = ca.not_after() + Duration::days(1);
    assert!(matches!(
        issue(&p256, &profile, beyond),
        Err(CaError::BadValidity { .. })
    ));
    let mut bad = profile.clone();
    bad.extended_key_usage = vec!["teleport".into()];
    assert!(matches!(bad.validate(), Err(CaError::BadProfile { .. })));
    assert!(matches!(
        issue(&p256, &bad, ok_expiry),
        Err(CaError::BadProfile { .. })
    ));
    bad = profile.clone();
    bad.key_usage = vec!["keyCertSign".into()];
    assert!(
        bad.validate().is_err(),
        "a card certificate must not sign certificates"
    );
    bad = profile.clone();
    bad.subject = "CN={card_number},X={holder}".into();
    assert!(bad.validate().is_err());
    assert!(
        ca.issued().unwrap().is_empty(),
        "nothing issued by refused requests"
    );
}

#[test]
fn profile_issuer_serves_the_encoder_callback() {
    let tmp = tempfile::tempdir().unwrap();
    let (ca, _) = new_ca(tmp.path(), CaKeyAlgorithm::P256);
    let mut sign = auth_profile();
    sign.name = "piv-sign".into();
    sign.slot = PivSlot::SIGNATURE;
    sign.subject = "Temporary card {card_number}".into();
    sign.extended_key_usage = vec!["1.3.6.1.4.1.311.10.3.12".into()];
    let profiles = vec![auth_profile(), sign];
    let expiry = card_expiry();
    let issuer = ProfileIssuer::new(&ca, &profiles, expiry);
    let request = CertificateRequest {
        card_number: "TMP-5".into(),
        profile: "piv-sign".into(),
        slot: PivSlot::SIGNATURE,
        algorithm: KeyAlgorithm::EccP256,
        public_key_spki: card_key_spki(&rcgen::PKCS_ECDSA_P256_SHA256),
        chip_id: "deadbeef".into(),
    };
    let der = (&issuer as &dyn CertificateIssuer).issue(&request).unwrap();
    let (_, leaf) = X509Certificate::from_der(&der).unwrap();
    assert_eq!(leaf.subject().to_string(), "CN=Temporary card TMP-5");
    assert_eq!(leaf.validity().not_after.to_datetime(), expiry);
    let eku = leaf.extended_key_usage().unwrap().unwrap().value;
    assert_eq!(eku.other[0].to_id_string(), "1.3.6.1.4.1.311.10.3.12");

    let unknown = CertificateRequest {
        profile: "nope".into(),
        ..request.clone()
    };
    assert!(matches!(
        issuer.issue(&unknown),
        Err(IssuerError::UnknownProfile(p)) if p == "nope"
    ));
    let wrong_slot = CertificateRequest {
        slot: PivSlot::KEY_MANAGEMENT,
        public_key_spki: card_key_spki(&rcgen::PKCS_ECDSA_P256_SHA256),
        ..request.clone()
    };
    assert!(matches!(
        issuer.issue(&wrong_slot),
        Err(IssuerError::Authority(_))
    ));
    let bad_key = CertificateRequest {
        public_key_spki: vec![1, 2, 3],
        ..request
    };
    assert!(matches!(
        issuer.issue(&bad_key),
        Err(IssuerError::BadPublicKey(_))
    ));
}

#[test]
fn a_ca_name_longer_than_a_common_name_may_be_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let station = StationKey::generate().unwrap();
    let dir = tmp.path().join("ca");
    let e = LocalCa::init(
        &dir,
        &"N".repeat(65),
        CaKeyAlgorithm::P256,
        &station,
        index(&dir),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("65 characters") && e.contains("1–64"), "{e}");
    assert!(!LocalCa::exists(&dir), "nothing written");
}
