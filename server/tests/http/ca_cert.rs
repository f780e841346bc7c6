//! A server certificate issued by the home's CA (`cardline ca server-cert`): a client that
//! trusts only the CA certificate reaches the console by the names in it, and by no other.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use cardline_issuance::ca::{CaKeyAlgorithm, LocalCa, SERVER_CERT_FILE, SERVER_KEY_FILE};
use cardline_issuance::secrets::StationKey;
use cardline_issuance::store::sqlite::SqliteStore;
use rustls::pki_types::CertificateDer;

use crate::tls::{get_login_as, start_with};

#[test]
fn a_client_trusting_the_local_ca_reaches_the_console_by_the_certified_names_only() {
    let home = tempfile::tempdir().unwrap();
    let station = StationKey::generate().unwrap();
    let index = Arc::new(SqliteStore::create(&home.path().join("cardline.db")).unwrap());
    let ca = LocalCa::init(
        &home.path().join("ca"),
        "Example console CA",
        CaKeyAlgorithm::P256,
        &station,
        index,
    )
    .unwrap();
    let issued = ca
        .issue_server_cert(&["console.example.org".into(), "127.0.0.1".into()])
        .unwrap();
    assert!(!format!("{issued:?}").contains("PRIVATE KEY"));
    let out = home.path().join("tls");
    let (cert, key) = issued.write(&out).unwrap();
    assert_eq!(cert, out.join(SERVER_CERT_FILE));
    assert_eq!(key, out.join(SERVER_KEY_FILE));
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Never overwritten.
    let again = ca
        .issue_server_cert(&["console.example.org".into()])
        .unwrap();
    let e = again.write(&out).unwrap_err().to_string();
    assert!(e.contains("never overwritten"), "{e}");

    let root = CertificateDer::from(ca.cert_der().to_vec());
    let https = start_with(tempfile::tempdir().unwrap(), &cert, &key, root);
    let reply = get_login_as(&https, "console.example.org").unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let reply = get_login_as(&https, "127.0.0.1").unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    // A name the certificate does not carry fails the handshake.
    let e = get_login_as(&https, "other.example.org").unwrap_err();
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
}

#[test]
fn bad_host_names_are_refused_with_the_name() {
    let home = tempfile::tempdir().unwrap();
    let station = StationKey::generate().unwrap();
    let index = Arc::new(SqliteStore::create(&home.path().join("cardline.db")).unwrap());
    let ca = LocalCa::init(
        &home.path().join("ca"),
        "Example console CA",
        CaKeyAlgorithm::P256,
        &station,
        index,
    )
    .unwrap();
    for bad in ["bad host", "console.example.org:8443", "-x.example", "a..b"] {
        let e = ca.issue_server_cert(&[bad.into()]).unwrap_err().to_string();
        assert!(e.contains(bad), "{bad}: {e}");
    }
    let e = ca.issue_server_cert(&[]).unwrap_err().to_string();
    assert!(e.contains("--host"), "{e}");
}
