//! Keys that work across desks, through the real binary: the administrator's home holds the
//! office's root CA and the escrow key; a desk gets its own issuing CA certified by the root
//! (a passphrase-encrypted bundle) and the escrow public key. The desk produces an order on a
//! simulated station: every card certificate chains to the root through the desk CA (checked
//! by the real `openssl verify`), and the cards' PIN/PUK, sealed to the escrow key, do not open
//! on the desk but do with the escrow private key.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const PASSPHRASE: &str = "correct horse battery staple";

fn run(home: &Path, args: &[&str], passphrase: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cardline"));
    c.arg("--home")
        .arg(home)
        .args(args)
        .env("CARDLINE_OPERATOR", "tester")
        .env_remove("RUST_LOG")
        .env_remove("CARDLINE_BUNDLE_PASSPHRASE");
    if let Some(p) = passphrase {
        c.env("CARDLINE_BUNDLE_PASSPHRASE", p);
    }
    c.output().unwrap()
}

fn ok(home: &Path, args: &[&str]) -> String {
    ok_with(home, args, None)
}

fn ok_with(home: &Path, args: &[&str], passphrase: Option<&str>) -> String {
    let out = run(home, args, passphrase);
    assert!(
        out.status.success(),
        "cardline {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(home: &Path, args: &[&str], passphrase: Option<&str>) -> String {
    let out = run(home, args, passphrase);
    assert!(!out.status.success(), "cardline {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(home: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(home, &all)).unwrap()
}

fn openssl_present() -> bool {
    Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_desk_ca_chains_to_the_root_and_only_the_escrow_key_reveals_the_desks_secrets() {
    let admin = tempfile::tempdir().unwrap();
    let desk = tempfile::tempdir().unwrap();
    let (a, d) = (admin.path(), desk.path());
    for home in [a, d] {
        ok(home, &["init"]);
        ok(home, &["keys", "init"]);
    }
    ok(a, &["ca", "init", "--name", "Office Root CA"]);
    let escrow = json(a, &["keys", "escrow-init"]);
    let escrow_id = escrow["key_id"].as_str().unwrap().to_string();
    assert!(escrow_id.starts_with("escrow-"), "{escrow}");
    let public = a.join("keys/escrow.pub");
    ok(d, &["keys", "escrow-import", public.to_str().unwrap()]);
    // A second import of another key is refused: cards sealed before would be orphaned.
    let other = tempfile::tempdir().unwrap();
    ok(other.path(), &["init"]);
    ok(other.path(), &["keys", "escrow-init"]);
    let err = fails(
        d,
        &[
            "keys",
            "escrow-import",
            other.path().join("keys/escrow.pub").to_str().unwrap(),
        ],
        None,
    );
    assert!(
        err.contains("holds escrow key") && err.contains(&escrow_id),
        "{err}"
    );

    // The administrator certifies the desk's CA; the bundle needs a real passphrase.
    let bundle = a.join("desk-1.bundle");
    let bundle_arg = bundle.to_str().unwrap();
    let err = fails(
        a,
        &["ca", "desk-init", "--desk", "desk-1", "--out", bundle_arg],
        Some("short"),
    );
    assert!(err.contains("at least 12"), "{err}");
    let err = fails(
        a,
        &["ca", "desk-init", "--desk", "desk-1", "--out", bundle_arg],
        None,
    );
    assert!(err.contains("CARDLINE_BUNDLE_PASSPHRASE"), "{err}");
    ok_with(
        a,
        &["ca", "desk-init", "--desk", "desk-1", "--out", bundle_arg],
        Some(PASSPHRASE),
    );
    let text = std::fs::read_to_string(&bundle).unwrap();
    assert!(text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
    assert!(!text.contains("PRIVATE KEY"), "the bundle is encrypted");
    let err = fails(
        d,
        &["ca", "desk-import", bundle_arg],
        Some("not the passphrase at all"),
    );
    assert!(err.contains("does not open with this passphrase"), "{err}");
    ok_with(d, &["ca", "desk-import", bundle_arg], Some(PASSPHRASE));
    let shown = json(d, &["ca", "show"]);
    assert!(
        shown["subject"]
            .as_str()
            .unwrap()
            .contains("cardline desk desk-1 issuing CA"),
        "{shown}"
    );
    assert_eq!(shown["key_opens"], true);

    // The desk produces an order on a simulated station.
    std::fs::write(
        d.join("stations.toml"),
        "[[station]]\nname = \"s1\"\nprinter = \"sim://s1?time_scale=0.02\"\nreader = \"sim\"\n",
    )
    .unwrap();
    ok(d, &["request", "--count", "2"]);
    ok(d, &["order", "create", "--all"]);
    ok(d, &["order", "produce", "1"]);
    let cards = json(d, &["cards", "list", "--state", "unassigned"])["cards"].clone();
    let numbers: Vec<String> = cards
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(numbers.len(), 2);

    // Secrets: sealed to the escrow key, so the desk cannot reveal them; the key can.
    let err = fails(d, &["cards", "secrets", &numbers[0], "--reveal"], None);
    assert!(
        err.contains(&escrow_id) && err.contains("--escrow-key"),
        "{err}"
    );
    let key = a.join("keys/escrow.key");
    let revealed = json(
        d,
        &[
            "cards",
            "secrets",
            &numbers[0],
            "--reveal",
            "--escrow-key",
            key.to_str().unwrap(),
        ],
    );
    let pin = revealed["pin"].as_str().unwrap();
    assert!(
        pin.len() >= 6 && pin.bytes().all(|b| b.is_ascii_digit()),
        "{revealed}"
    );
    let wrong = other.path().join("keys/escrow.key");
    let err = fails(
        d,
        &[
            "cards",
            "secrets",
            &numbers[0],
            "--reveal",
            "--escrow-key",
            wrong.to_str().unwrap(),
        ],
        None,
    );
    assert!(err.contains(&escrow_id), "{err}");

    // Every card certificate chains to the root through the desk CA.
    if !openssl_present() {
        cardline_device::skipped!("desk CA chain: openssl CLI not found");
        return;
    }
    let db = rusqlite::Connection::open(d.join("cardline.db")).unwrap();
    let ders: Vec<Vec<u8>> = db
        .prepare("SELECT der FROM issued_certificates ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(ders.len(), 2, "one certificate per card");
    let work = tempfile::tempdir().unwrap();
    let root = a.join("ca/ca.crt");
    let desk_ca = d.join("ca/ca.crt");
    assert_eq!(
        std::fs::read(d.join("ca/root.crt")).unwrap(),
        std::fs::read(&root).unwrap(),
        "the desk keeps the root it chains to"
    );
    for (i, der) in ders.iter().enumerate() {
        let der_path = work.path().join(format!("card{i}.der"));
        let pem_path = work.path().join(format!("card{i}.pem"));
        std::fs::write(&der_path, der).unwrap();
        let conv = Command::new("openssl")
            .args(["x509", "-inform", "DER", "-in"])
            .arg(&der_path)
            .arg("-out")
            .arg(&pem_path)
            .output()
            .unwrap();
        assert!(conv.status.success());
        let verify = |with_desk: bool| {
            let mut c = Command::new("openssl");
            c.arg("verify").arg("-CAfile").arg(&root);
            if with_desk {
                c.arg("-untrusted").arg(&desk_ca);
            }
            c.arg(&pem_path).output().unwrap()
        };
        let chained = verify(true);
        assert!(
            chained.status.success(),
            "{}",
            String::from_utf8_lossy(&chained.stderr)
        );
        // Without the desk CA the root alone does not vouch for the card.
        assert!(!verify(false).status.success());
    }
}

#[test]
fn the_office_master_travels_in_the_bundle_and_a_replaced_one_is_refused() {
    let admin = tempfile::tempdir().unwrap();
    let desk = tempfile::tempdir().unwrap();
    let (a, d) = (admin.path(), desk.path());
    for home in [a, d] {
        ok(home, &["init"]);
        ok(home, &["keys", "init"]);
    }
    ok(a, &["ca", "init", "--name", "Office Root CA"]);
    let desks_own = std::fs::read(d.join("keys/management-master.key")).unwrap();
    let bundle = a.join("desk-2.bundle");
    let bundle_arg = bundle.to_str().unwrap();
    let made = ok_with(
        a,
        &[
            "--json",
            "ca",
            "desk-init",
            "--desk",
            "desk-2",
            "--out",
            bundle_arg,
        ],
        Some(PASSPHRASE),
    );
    let made: Value = serde_json::from_str(&made).unwrap();
    let office = made["management_master"].as_str().unwrap().to_string();
    assert_eq!(office.len(), 16, "{made}");
    let imported = ok_with(
        d,
        &["--json", "ca", "desk-import", bundle_arg],
        Some(PASSPHRASE),
    );
    let imported: Value = serde_json::from_str(&imported).unwrap();
    assert_eq!(imported["management_master"], office.as_str());
    assert_eq!(
        std::fs::read(d.join("keys/management-master.key")).unwrap(),
        std::fs::read(a.join("keys/management-master.key")).unwrap(),
        "the desk now derives management keys from the office's master"
    );
    // The desk's own master is kept, not lost.
    let kept: Vec<_> = std::fs::read_dir(d.join("keys"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("management-master.") && name != "management-master.key"
        })
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::read(&kept[0]).unwrap(), desks_own);

    std::fs::write(
        d.join("stations.toml"),
        "[[station]]\nname = \"s1\"\nprinter = \"sim://s1?time_scale=0.02\"\nreader = \"sim\"\n",
    )
    .unwrap();
    ok(d, &["request", "--count", "2"]);
    ok(d, &["order", "create", "--all"]);
    ok(d, &["order", "produce", "1"]);
    let first = json(d, &["cards", "list", "--state", "unassigned"])["cards"][0]["number"]
        .as_str()
        .unwrap()
        .to_string();
    let shown = json(d, &["cards", "show", &first]);
    let keys = shown["attempts"][0]["key_ids"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(keys.contains(&format!("management={office}")), "{keys}");
    assert!(
        keys.contains(" seal=") && keys.contains(" issuer=ca-"),
        "{keys}"
    );

    // The desk's old master comes back (a restore from an old backup): refused before any
    // blank is fed, the station pauses; with the office's master back, it resumes and produces.
    let office_file = std::fs::read(d.join("keys/management-master.key")).unwrap();
    std::fs::copy(&kept[0], d.join("keys/management-master.key")).unwrap();
    ok(d, &["request", "--count", "1"]);
    ok(d, &["order", "create", "--all"]);
    let order = json(d, &["order", "show", "2"]);
    let card = order["cards"][0]["number"].as_str().unwrap().to_string();
    let out = run(d, &["order", "produce", "2"], None);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{said}");
    assert!(said.contains(&office), "{said}");
    let attempts = json(d, &["cards", "show", &card])["attempts"].clone();
    let attempts = attempts.as_array().unwrap();
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    let refused = &attempts[0];
    assert_eq!(refused["status"], "void", "{refused}");
    let reason = refused["reason"].as_str().unwrap();
    assert!(
        reason.contains(&office) && reason.contains("management-master"),
        "{refused}"
    );
    assert_eq!(refused["key_ids"], Value::Null, "{refused}");
    assert!(
        refused["steps"].as_array().unwrap().is_empty(),
        "no blank was fed: {refused}"
    );
    std::fs::write(d.join("keys/management-master.key"), office_file).unwrap();
    ok(d, &["order", "produce", "2"]);
    let shown = json(d, &["cards", "show", &card]);
    assert_eq!(shown["card"]["state"], "unassigned", "{shown}");
}
