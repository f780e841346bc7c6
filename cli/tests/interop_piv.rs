//! Interoperability through the real pcscd: cardline's PIV driver personalises a SimCard and
//! clients no one here wrote (yubico-piv-tool, OpenSC, openssl) check the result; and a card
//! personalised by yubico-piv-tool is read back by cardline. Skips visibly without pcscd or
//! the tools.

mod interop_rig;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use cardline_device::{
    CardEncoder, CertificateIssuer, CertificateRequest, EncodingPlan, IssuerError, KeyAlgorithm,
    KeyRequest, ManagementKey, MasterKey, Pin, PivSlot, Puk,
};
use cardline_piv::{PivEncoder, PivError, PivSession};
use interop_rig::{CARD_TIMEOUT, Rig, run, temp_dir, tools_present};

const PKCS11_MODULE: &str = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";
const TOOLS: [&str; 5] = [
    "yubico-piv-tool",
    "openssl",
    "opensc-tool",
    "pkcs15-tool",
    "pkcs11-tool",
];

/// A CA made and run with the openssl command line: certifies on-card keys with
/// `openssl x509 -req -force_pubkey` (independent of cardline's own CA).
struct OpensslCa {
    dir: PathBuf,
    next: AtomicU32,
}

impl OpensslCa {
    fn create(dir: &Path) -> OpensslCa {
        let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
        openssl(
            dir,
            &[
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
                &p("ca.key"),
            ],
        );
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                &p("ca.key"),
                "-subj",
                "/CN=interop CA",
                "-days",
                "2",
                "-out",
                &p("ca.pem"),
            ],
        );
        openssl(
            dir,
            &[
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
                &p("csr.key"),
            ],
        );
        OpensslCa {
            dir: dir.to_path_buf(),
            next: AtomicU32::new(0),
        }
    }

    fn path(&self, f: &str) -> String {
        self.dir.join(f).to_string_lossy().into_owned()
    }
}

impl CertificateIssuer for OpensslCa {
    fn issue(&self, request: &CertificateRequest) -> Result<Vec<u8>, IssuerError> {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let spki = self.path(&format!("spki{n}.der"));
        std::fs::write(&spki, &request.public_key_spki)
            .map_err(|e| IssuerError::Authority(e.to_string()))?;
        let (pubkey, csr, cert) = (
            self.path(&format!("pub{n}.pem")),
            self.path(&format!("req{n}.csr")),
            self.path(&format!("cert{n}.der")),
        );
        let subject = format!("/CN=Card {}", request.card_number);
        for args in [
            vec![
                "pkey", "-pubin", "-inform", "DER", "-in", &spki, "-out", &pubkey,
            ],
            vec![
                "req",
                "-new",
                "-key",
                &self.path("csr.key"),
                "-subj",
                &subject,
                "-out",
                &csr,
            ],
            vec![
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &self.path("ca.pem"),
                "-CAkey",
                &self.path("ca.key"),
                "-force_pubkey",
                &pubkey,
                "-days",
                "1",
                "-outform",
                "DER",
                "-out",
                &cert,
            ],
        ] {
            let (ok, out) = run("openssl", &args, &self.dir);
            if !ok {
                return Err(IssuerError::Authority(out));
            }
        }
        std::fs::read(&cert).map_err(|e| IssuerError::Authority(e.to_string()))
    }
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let (ok, out) = run("openssl", args, dir);
    assert!(ok, "openssl {args:?}: {out}");
    out
}

fn plan() -> EncodingPlan {
    EncodingPlan {
        card_number: "T-000777".into(),
        transport_pin: Pin::new(b"123456".to_vec()),
        transport_puk: Puk::new(b"12345678".to_vec()),
        transport_management_key: ManagementKey::piv_default(),
        pin: Pin::new(b"918273".to_vec()),
        puk: Puk::new(b"55667788".to_vec()),
        management_key_master: MasterKey::new(vec![0x5A; 32]),
        keys: vec![
            KeyRequest {
                slot: PivSlot::AUTHENTICATION,
                algorithm: KeyAlgorithm::EccP256,
                profile: "auth".into(),
            },
            KeyRequest {
                slot: PivSlot::SIGNATURE,
                algorithm: KeyAlgorithm::EccP384,
                profile: "sign".into(),
            },
        ],
        guid: *b"interop-guid-001",
        expiry: "20271231".into(),
    }
}

#[test]
fn cardline_personalises_and_real_clients_accept_the_card() {
    let test = "cardline_personalises_and_real_clients_accept_the_card";
    if !tools_present(test, &TOOLS) {
        return;
    }
    let Some(rig) = Rig::start(test) else {
        return;
    };
    let dir = temp_dir("interop-cardline");
    let ca = OpensslCa::create(&dir);
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();

    let started = std::time::Instant::now();
    let receipt = {
        let reader = rig.readers.find(&rig.reader).unwrap();
        let mut session = reader.open(CARD_TIMEOUT).unwrap();
        PivEncoder::new()
            .encode(&mut session, &plan(), &ca)
            .unwrap()
    };
    println!(
        "cardline personalisation through pcscd: {} APDUs in {:?} (2 keys: P-256, P-384)",
        receipt.apdus,
        started.elapsed()
    );

    let r = format!("-r{}", rig.reader);
    let (ok, out) = run("yubico-piv-tool", &[&r, "-a", "status"], &dir);
    assert!(
        ok && out.contains("CHUID:") && out.contains("CCC:"),
        "{out}"
    );
    assert!(
        out.contains(&hex::encode(b"interop-guid-001")),
        "GUID in CHUID: {out}"
    );
    assert!(
        out.contains("Slot 9a:") && out.contains("Slot 9c:"),
        "{out}"
    );
    assert!(
        out.contains("Card T-000777") && out.contains("PIN tries left:\t3"),
        "{out}"
    );
    let verify = |pin: &str| {
        run(
            "yubico-piv-tool",
            &[&r, "-a", "verify-pin", "-P", pin],
            &dir,
        )
    };
    let (ok, out) = verify("123456");
    assert!(
        !ok && out.contains("2 tries left"),
        "transport PIN refused: {out}"
    );
    let (ok, out) = verify("918273");
    assert!(ok && out.contains("Successfully verified PIN"), "{out}");
    // The default management key no longer opens the card.
    let (ok, out) = run("yubico-piv-tool", &[&r, "-a", "set-chuid"], &dir);
    assert!(!ok, "default management key still accepted: {out}");

    let reader_arg = format!("--reader={}", rig.reader);
    let (ok, out) = run("opensc-tool", &[&reader_arg, "-n"], &dir);
    assert!(
        ok && out.contains("Personal Identity Verification Card"),
        "{out}"
    );
    let (ok, out) = run("pkcs15-tool", &[&reader_arg, "-D"], &dir);
    assert!(
        ok && out.contains("PIV AUTH key") && out.contains("SIGN key"),
        "{out}"
    );
    let (ok, out) = run(
        "pkcs11-tool",
        &["--module", PKCS11_MODULE, "--list-objects"],
        &dir,
    );
    assert!(
        ok && out.contains("Certificate Object") && out.contains("T-000777"),
        "{out}"
    );

    std::fs::write(p("data.txt"), b"interop").unwrap();
    let (ok, out) = run(
        "pkcs11-tool",
        &[
            "--module",
            PKCS11_MODULE,
            "--login",
            "--pin",
            "918273",
            "--sign",
            "-m",
            "ECDSA-SHA256",
            "--id",
            "01",
            "--signature-format",
            "openssl",
            "-i",
            &p("data.txt"),
            "-o",
            &p("data.sig"),
        ],
        &dir,
    );
    assert!(ok, "pkcs11-tool --sign: {out}");
    let cert_9a = &receipt.slots[0].certificate;
    std::fs::write(p("cert9a.der"), cert_9a).unwrap();
    openssl(
        &dir,
        &[
            "x509",
            "-inform",
            "DER",
            "-in",
            &p("cert9a.der"),
            "-out",
            &p("cert9a.pem"),
        ],
    );
    openssl(
        &dir,
        &[
            "x509",
            "-in",
            &p("cert9a.pem"),
            "-pubkey",
            "-noout",
            "-out",
            &p("k.pem"),
        ],
    );
    let out = openssl(
        &dir,
        &[
            "dgst",
            "-sha256",
            "-verify",
            &p("k.pem"),
            "-signature",
            &p("data.sig"),
            &p("data.txt"),
        ],
    );
    assert!(out.contains("Verified OK"), "{out}");
    let out = openssl(&dir, &["verify", "-CAfile", &p("ca.pem"), &p("cert9a.pem")]);
    assert!(out.contains(": OK"), "{out}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn card_personalised_by_yubico_piv_tool_is_read_by_cardline() {
    let test = "card_personalised_by_yubico_piv_tool_is_read_by_cardline";
    if !tools_present(test, &["yubico-piv-tool", "openssl"]) {
        return;
    }
    let Some(rig) = Rig::start(test) else {
        return;
    };
    let dir = temp_dir("interop-ypt");
    let _ca = OpensslCa::create(&dir);
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let r = format!("-r{}", rig.reader);
    let new_key = "0F0E0D0C0B0A09080706050403020100F0E0D0C0B0A09080";
    let ypt = |args: &[&str]| {
        let (ok, out) = run("yubico-piv-tool", &[&[r.as_str()][..], args].concat(), &dir);
        assert!(ok, "yubico-piv-tool {args:?}: {out}");
        out
    };
    ypt(&["-a", "change-pin", "-P", "123456", "-N", "11223344"]);
    ypt(&["-a", "change-puk", "-P", "12345678", "-N", "87654321"]);
    ypt(&[
        "-a",
        "generate",
        "-s",
        "9a",
        "-A",
        "ECCP256",
        "-o",
        &p("pub.pem"),
    ]);
    openssl(
        &dir,
        &[
            "req",
            "-new",
            "-key",
            &p("csr.key"),
            "-subj",
            "/CN=ypt card",
            "-out",
            &p("r.csr"),
        ],
    );
    openssl(
        &dir,
        &[
            "x509",
            "-req",
            "-in",
            &p("r.csr"),
            "-CA",
            &p("ca.pem"),
            "-CAkey",
            &p("ca.key"),
            "-force_pubkey",
            &p("pub.pem"),
            "-days",
            "1",
            "-out",
            &p("cert.pem"),
        ],
    );
    ypt(&["-a", "import-certificate", "-s", "9a", "-i", &p("cert.pem")]);
    ypt(&["-a", "set-chuid", "-a", "set-ccc"]);
    let key_arg = format!("--new-key={new_key}");
    ypt(&["-a", "set-mgm-key", &key_arg]);
    let status = ypt(&["-a", "status"]);

    let reader = rig.readers.find(&rig.reader).unwrap();
    let mut session = reader.open(CARD_TIMEOUT).unwrap();
    let seen = PivEncoder::new().inspect(&mut session).unwrap();
    let serial = rig.card.lock().unwrap().serial();
    assert_eq!(
        seen.chip_id.as_deref(),
        Some(hex::encode(serial.to_be_bytes()).as_str())
    );
    let guid = seen.guid.clone().expect("CHUID with a GUID");
    assert!(
        status.to_lowercase().contains(&guid),
        "GUID {guid} not in {status}"
    );
    assert!(!seen.still_blank, "management key was changed");
    openssl(
        &dir,
        &[
            "x509",
            "-in",
            &p("cert.pem"),
            "-outform",
            "DER",
            "-out",
            &p("cert.der"),
        ],
    );
    let der = std::fs::read(p("cert.der")).unwrap();
    assert_eq!(seen.certificates, vec![(PivSlot::AUTHENTICATION, der)]);

    let mut s = PivSession::open(&mut session).unwrap();
    assert!(matches!(
        s.verify_pin(b"123456"),
        Err(PivError::WrongCredential { tries: 2, .. })
    ));
    s.verify_pin(b"11223344").unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}
