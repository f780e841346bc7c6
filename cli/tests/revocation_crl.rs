//! Revocation through the real binary: certificates of rejected and crash-voided chips are
//! revoked in the CA's records, `cardline ca crl` writes a CRL the real `openssl` accepts, and
//! `openssl verify -crl_check` refuses a revoked card certificate and accepts a good one.

mod temp_home;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use serde_json::Value;
use temp_home::{json, ok};

/// A home with keys, a CA and one simulated station (`printer` URI).
fn home_with_station(printer: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    ok(&home, &["keys", "init"]);
    ok(&home, &["ca", "init"]);
    std::fs::write(
        home.path().join("stations.toml"),
        format!("[[station]]\nname = \"sim-1\"\nprinter = \"{printer}\"\nreader = \"sim\"\n"),
    )
    .unwrap();
    home
}

/// (card number, serial, DER, revocation reason) of every issued certificate.
fn certificates(home: &Path) -> Vec<(String, String, Vec<u8>, Option<String>)> {
    let db = Connection::open(home.join("cardline.db")).unwrap();
    let mut st = db
        .prepare(
            "SELECT card_number, serial, der, revocation_reason FROM issued_certificates \
             ORDER BY id",
        )
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// `openssl` with `args` in `dir`; `None` when openssl is not installed.
fn openssl(dir: &Path, args: &[&str]) -> Option<(bool, String)> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    Some((
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

/// Writes the CRL and checks it and two certificates with openssl: `revoked` must be refused,
/// `good` accepted. Returns false (after a visible skip) when openssl is absent.
fn check_with_openssl(home: &Path, revoked: &[u8], good: &[u8]) -> bool {
    let crl: Value = json_at(home, &["ca", "crl", "--out", "ca.crl"]);
    assert!(
        !crl["revoked_serials"].as_array().unwrap().is_empty(),
        "{crl}"
    );
    std::fs::write(home.join("revoked.der"), revoked).unwrap();
    std::fs::write(home.join("good.der"), good).unwrap();
    let Some((ok_, text)) = openssl(
        home,
        &[
            "crl",
            "-in",
            "ca.crl",
            "-CAfile",
            "ca/ca.crt",
            "-verify",
            "-noout",
        ],
    ) else {
        cardline_device::skipped!("openssl CLI not found: CRL not checked with openssl");
        return false;
    };
    assert!(ok_ && text.contains("verify OK"), "{text}");
    for name in ["revoked", "good"] {
        let (converted, text) = openssl(
            home,
            &[
                "x509",
                "-inform",
                "DER",
                "-in",
                &format!("{name}.der"),
                "-out",
                &format!("{name}.pem"),
            ],
        )
        .unwrap();
        assert!(converted, "{text}");
    }
    let verify = |pem: &str| {
        openssl(
            home,
            &[
                "verify",
                "-crl_check",
                "-CAfile",
                "ca/ca.crt",
                "-CRLfile",
                "ca.crl",
                pem,
            ],
        )
        .unwrap()
    };
    let (accepted, text) = verify("revoked.pem");
    assert!(!accepted && text.contains("certificate revoked"), "{text}");
    let (accepted, text) = verify("good.pem");
    assert!(accepted && text.contains(": OK"), "{text}");
    true
}

fn json_at(home: &Path, args: &[&str]) -> Value {
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_cardline"))
        .arg("--home")
        .arg(home)
        .arg("--json")
        .args(args)
        .current_dir(home)
        .env("USER", "tester")
        .env_remove("CARDLINE_OPERATOR")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_rejected_chips_certificate_is_revoked_listed_in_the_crl_and_refused_by_openssl() {
    let home = home_with_station("sim://sim-1?faults=jam@2:printing");
    ok(&home, &["request", "--count", "4"]);
    ok(&home, &["order", "create", "--all"]);
    ok(&home, &["order", "produce", "1"]);
    let certs = certificates(home.path());
    let revoked: Vec<_> = certs.iter().filter(|c| c.3.is_some()).collect();
    assert_eq!(revoked.len(), 1, "the jammed card's chip only: {certs:?}");
    assert_eq!(revoked[0].3.as_deref(), Some("cessation_of_operation"));
    let good = certs.iter().find(|c| c.3.is_none()).unwrap();

    let shown = json(&home, &["cards", "show", &revoked[0].0]);
    assert_eq!(shown["card"]["state"], "failed");
    assert_eq!(shown["certificates"][0]["status"], "revoked", "{shown}");
    assert_eq!(shown["certificates"][0]["serial"], revoked[0].1.as_str());
    let shown_good = json(&home, &["cards", "show", &good.0]);
    assert_eq!(shown_good["certificates"][0]["status"], "valid");
    let audited = json(&home, &["audit", "--action", "ca.revoke"]);
    assert_eq!(audited.as_array().unwrap().len(), 1, "{audited}");

    if !check_with_openssl(home.path(), &revoked[0].2, &good.2) {
        return;
    }
    // Locking the good card revokes its certificate too (privilegeWithdrawn).
    ok(&home, &["cards", "lock", &good.0, "--reason", "lost"]);
    let crl: Value = json_at(home.path(), &["ca", "crl", "--out", "ca.crl"]);
    assert_eq!(crl["revoked_serials"].as_array().unwrap().len(), 2, "{crl}");
    let (accepted, text) = openssl(
        home.path(),
        &[
            "verify",
            "-crl_check",
            "-CAfile",
            "ca/ca.crt",
            "-CRLfile",
            "ca.crl",
            "good.pem",
        ],
    )
    .unwrap();
    assert!(!accepted && text.contains("certificate revoked"), "{text}");
}

#[test]
fn a_crashed_runs_voided_chip_is_revoked_and_in_the_crl() {
    let home = home_with_station("sim://sim-1?time_scale=0.3");
    ok(&home, &["request", "--count", "3"]);
    ok(&home, &["order", "create", "--all"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cardline"))
        .arg("--home")
        .arg(home.path())
        .args(["order", "produce", "1"])
        .env("USER", "tester")
        .env_remove("CARDLINE_OPERATOR")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill the run once a chip in flight holds a certificate (encoded, not yet printed).
    let db = Connection::open(home.path().join("cardline.db")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let in_hand = loop {
        let found: Option<String> = db
            .query_row(
                "SELECT c.number FROM attempts a JOIN cards c ON c.id = a.card_id \
                 JOIN issued_certificates i ON i.card_number = c.number \
                 WHERE a.status = 'in_flight' LIMIT 1",
                [],
                |r| r.get(0),
            )
            .ok();
        if let Some(card) = found {
            break card;
        }
        assert!(Instant::now() < deadline, "no chip was certified in flight");
        assert!(
            child.try_wait().unwrap().is_none(),
            "production ended before the kill"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    let before = certificates(home.path());
    assert!(
        before.iter().all(|c| c.3.is_none()),
        "nothing revoked before recovery"
    );

    ok(&home, &["recover"]);
    let certs = certificates(home.path());
    let spoiled: Vec<_> = certs.iter().filter(|c| c.0 == in_hand).collect();
    assert!(!spoiled.is_empty());
    assert!(
        spoiled
            .iter()
            .all(|c| c.3.as_deref() == Some("cessation_of_operation")),
        "the voided chip's certificates are revoked: {certs:?}"
    );
    // Production goes on: the card gets a new blank and a new, valid certificate.
    ok(&home, &["order", "produce", "1"]);
    let certs = certificates(home.path());
    let fresh = certs
        .iter()
        .find(|c| c.0 == in_hand && c.3.is_none())
        .expect("the card was produced again with a valid certificate");
    let shown = json(&home, &["cards", "show", &in_hand]);
    let statuses: Vec<&str> = shown["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["revoked", "valid"], "{shown}");
    check_with_openssl(home.path(), &spoiled[0].2, &fresh.2);
}
