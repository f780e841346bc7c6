//! Independent real clients (yubico-piv-tool, OpenSC, openssl) accept the SimCard behind the
//! real pcscd. Skips visibly when pcscd or a tool is absent.

mod common;

use std::path::Path;

use common::{Rig, run, temp_dir, tools_present};

const PKCS11_MODULE: &str = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";

#[test]
fn yubico_piv_tool_status_verify_and_change_pin() {
    let test = "yubico_piv_tool_status_verify_and_change_pin";
    if !tools_present(test, &["yubico-piv-tool"]) {
        return;
    }
    let Some(rig) = Rig::start(test) else {
        return;
    };
    let home = temp_dir("ypt");
    let r = format!("-r{}", rig.reader);
    let serial = rig.card.lock().unwrap().serial();
    let (ok, out) = run("yubico-piv-tool", &[&r, "-a", "status"], &home);
    assert!(ok, "{out}");
    assert!(out.contains("Version:\t5.4.3"), "{out}");
    assert!(out.contains(&format!("Serial Number:\t{serial}")), "{out}");
    assert!(out.contains("PIN tries left:\t3"), "{out}");

    let (ok, out) = run(
        "yubico-piv-tool",
        &[&r, "-a", "verify-pin", "-P", "123456"],
        &home,
    );
    assert!(ok && out.contains("Successfully verified PIN"), "{out}");
    let (ok, out) = run(
        "yubico-piv-tool",
        &[&r, "-a", "verify-pin", "-P", "999999"],
        &home,
    );
    assert!(!ok && out.contains("2 tries left"), "{out}");

    let change = ["-a", "change-pin", "-P", "123456", "-N", "24680135"];
    let (ok, out) = run(
        "yubico-piv-tool",
        &[&[r.as_str()][..], &change[..]].concat(),
        &home,
    );
    assert!(ok, "{out}");
    let (ok, out) = run(
        "yubico-piv-tool",
        &[&r, "-a", "verify-pin", "-P", "24680135"],
        &home,
    );
    assert!(ok && out.contains("Successfully verified PIN"), "{out}");
    let (ok, out) = run(
        "yubico-piv-tool",
        &[&r, "-a", "verify-pin", "-P", "123456"],
        &home,
    );
    assert!(
        !ok && out.contains("2 tries left"),
        "old PIN refused: {out}"
    );
    std::fs::remove_dir_all(home).unwrap();
}

#[test]
fn yubico_generate_openssl_cert_then_opensc_lists_and_signs() {
    let test = "yubico_generate_openssl_cert_then_opensc_lists_and_signs";
    let tools = [
        "yubico-piv-tool",
        "openssl",
        "opensc-tool",
        "pkcs15-tool",
        "pkcs11-tool",
    ];
    if !tools_present(test, &tools) {
        return;
    }
    if !Path::new(PKCS11_MODULE).exists() {
        cardline_device::skipped!("{test}: {PKCS11_MODULE} absent");
        return;
    }
    let Some(rig) = Rig::start(test) else {
        return;
    };
    let dir = temp_dir("opensc");
    let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let r = format!("-r{}", rig.reader);

    // yubico-piv-tool generates on the card (default management key), writes CHUID and CCC.
    let (ok, out) = run(
        "yubico-piv-tool",
        &[
            &r,
            "-a",
            "generate",
            "-s",
            "9a",
            "-A",
            "ECCP256",
            "-o",
            &p("pub9a.pem"),
        ],
        &dir,
    );
    assert!(ok, "generate: {out}");
    let (ok, out) = run(
        "yubico-piv-tool",
        &[&r, "-a", "set-chuid", "-a", "set-ccc"],
        &dir,
    );
    assert!(ok, "set-chuid/ccc: {out}");

    // openssl issues the certificate for the on-card key (the spec's recipe).
    let openssl = |args: &[&str]| {
        let (ok, out) = run("openssl", args, &dir);
        assert!(ok, "openssl {args:?}: {out}");
        out
    };
    openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        &p("ca.key"),
    ]);
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        &p("ca.key"),
        "-subj",
        "/CN=cardline test CA",
        "-days",
        "2",
        "-out",
        &p("ca.pem"),
    ]);
    openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        &p("any.key"),
    ]);
    openssl(&[
        "req",
        "-new",
        "-key",
        &p("any.key"),
        "-subj",
        "/CN=Card 000123",
        "-out",
        &p("any.csr"),
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        &p("any.csr"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-force_pubkey",
        &p("pub9a.pem"),
        "-days",
        "1",
        "-out",
        &p("cert.pem"),
    ]);
    let (ok, out) = run(
        "yubico-piv-tool",
        &[
            &r,
            "-a",
            "import-certificate",
            "-s",
            "9a",
            "-i",
            &p("cert.pem"),
        ],
        &dir,
    );
    assert!(ok, "import-certificate: {out}");
    let counted = |tool: &str, args: &[&str]| {
        let before = rig.card.lock().unwrap().command_count();
        let started = std::time::Instant::now();
        let result = run(tool, args, &dir);
        let apdus = rig.card.lock().unwrap().command_count() - before;
        println!(
            "{tool} {}: {apdus} APDUs, {:?}",
            args.join(" "),
            started.elapsed()
        );
        result
    };
    let (ok, out) = counted("yubico-piv-tool", &[&r, "-a", "status"]);
    assert!(
        ok && out.contains("CHUID:") && out.contains("CCC:"),
        "{out}"
    );
    assert!(
        out.contains("Slot 9a:") && out.contains("Card 000123"),
        "{out}"
    );

    // OpenSC recognises a PIV card, lists PIN, key and certificate.
    let reader_arg = format!("--reader={}", rig.reader);
    let (ok, out) = counted("opensc-tool", &[&reader_arg, "-n"]);
    assert!(
        ok && out.contains("Personal Identity Verification Card"),
        "{out}"
    );
    let (ok, out) = counted("pkcs15-tool", &[&reader_arg, "-D"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("PIV AUTH key") && out.contains("X.509 Certificate"),
        "{out}"
    );
    let (ok, out) = counted(
        "pkcs11-tool",
        &["--module", PKCS11_MODULE, "--list-objects"],
    );
    assert!(
        ok && out.contains("Certificate Object") && out.contains("Card 000123"),
        "{out}"
    );

    // A PKCS#11 signature with the on-card key, verified by openssl with the certificate.
    std::fs::write(p("data.txt"), b"temporary card 000123").unwrap();
    let (ok, out) = counted(
        "pkcs11-tool",
        &[
            "--module",
            PKCS11_MODULE,
            "--login",
            "--pin",
            "123456",
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
    );
    assert!(ok, "pkcs11-tool --sign: {out}");
    openssl(&[
        "x509",
        "-in",
        &p("cert.pem"),
        "-pubkey",
        "-noout",
        "-out",
        &p("certpub.pem"),
    ]);
    let out = openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        &p("certpub.pem"),
        "-signature",
        &p("data.sig"),
        &p("data.txt"),
    ]);
    assert!(out.contains("Verified OK"), "{out}");
    let out = openssl(&["verify", "-CAfile", &p("ca.pem"), &p("cert.pem")]);
    assert!(out.contains(": OK"), "{out}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn generic_piv_card_is_recognised_without_yubikey_extensions() {
    let test = "generic_piv_card_is_recognised_without_yubikey_extensions";
    if !tools_present(test, &["opensc-tool", "pkcs15-tool", "yubico-piv-tool"]) {
        return;
    }
    let card = cardline_sim::card::SimCard::new(cardline_sim::card::SimCardConfig {
        atr: cardline_sim::card::AtrProfile::GenericPiv,
        ..Default::default()
    });
    let Some(rig) = Rig::start_with(test, card) else {
        return;
    };
    let dir = temp_dir("generic");
    let reader_arg = format!("--reader={}", rig.reader);
    let (ok, out) = run("opensc-tool", &[&reader_arg, "-n"], &dir);
    assert!(
        ok && out.contains("Personal Identity Verification Card"),
        "{out}"
    );
    let (ok, out) = run("pkcs15-tool", &[&reader_arg, "-D"], &dir);
    assert!(
        ok && out.contains("PIV_II") && out.contains("Reference      : 128 (0x80)"),
        "{out}"
    );
    let r = format!("-r{}", rig.reader);
    let (ok, out) = run("yubico-piv-tool", &[&r, "-a", "status"], &dir);
    assert!(ok && out.contains("Version:\tNo data available"), "{out}");
    assert!(out.contains("PIN tries left:\t3"), "{out}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn opensc_changes_and_unblocks_the_pin() {
    let test = "opensc_changes_and_unblocks_the_pin";
    if !tools_present(test, &["pkcs15-tool", "yubico-piv-tool"]) {
        return;
    }
    let Some(rig) = Rig::start(test) else {
        return;
    };
    let dir = temp_dir("opensc-pin");
    let reader_arg = format!("--reader={}", rig.reader);
    let pkcs15 = |args: &[&str]| {
        run(
            "pkcs15-tool",
            &[&[reader_arg.as_str()][..], args].concat(),
            &dir,
        )
    };
    let (ok, out) = pkcs15(&["--change-pin", "--pin", "123456", "--new-pin", "654321"]);
    assert!(ok, "change-pin: {out}");
    let r = format!("-r{}", rig.reader);
    for _ in 0..3 {
        run(
            "yubico-piv-tool",
            &[&r, "-a", "verify-pin", "-P", "000000"],
            &dir,
        );
    }
    assert_eq!(
        rig.card.lock().unwrap().state().pin.tries_left,
        0,
        "PIN blocked"
    );
    let (ok, out) = pkcs15(&["--unblock-pin", "--puk", "12345678", "--new-pin", "135790"]);
    assert!(ok, "unblock-pin: {out}");
    let (ok, out) = run(
        "yubico-piv-tool",
        &[&r, "-a", "verify-pin", "-P", "135790"],
        &dir,
    );
    assert!(ok && out.contains("Successfully verified PIN"), "{out}");
    std::fs::remove_dir_all(dir).unwrap();
}
