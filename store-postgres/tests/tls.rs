//! TLS against the real server: the test makes a CA and a server certificate (rcgen), puts
//! them in the throwaway server's data directory (owned by the server's user, mode 0600),
//! points ssl_cert_file/ssl_key_file at them and reloads the
//! configuration. Then verify-full connects with the right CA, and is refused with another
//! CA or another host name; verify-ca accepts another host name; disable is plain TCP.

mod common;

use std::time::Duration;

use cardline_issuance::numbering::Numbering;
use cardline_issuance::store::{Actor, CardStore};
use cardline_postgres::{DatabaseUrl, PostgresError, PostgresStore, SslMode};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};

fn validity(p: &mut CertificateParams) {
    let now = time::OffsetDateTime::now_utc();
    p.not_before = now - time::Duration::days(1);
    p.not_after = now + time::Duration::days(2);
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    validity(&mut p);
    CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
}

/// Installs a server certificate for `localhost` and 127.0.0.1 signed by `ca` and reloads.
fn install(admin: &DatabaseUrl, ca: &CertifiedIssuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let mut p =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, "cardline test server");
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    validity(&mut p);
    let cert = p.signed_by(&key, ca).unwrap();
    let mut client = PostgresStore::client(admin).unwrap();
    let dir: String = client
        .query_one("SELECT current_setting('data_directory')", &[])
        .unwrap()
        .get(0);
    // The files belong to the server's user (the owner of its data directory), mode 0600:
    // the server refuses a key others can read.
    let owner = std::fs::metadata(&dir).expect("the throwaway server runs on this machine");
    for (file, pem) in [
        ("cardline-test-server.crt", cert.pem()),
        ("cardline-test-server.key", key.serialize_pem()),
    ] {
        use std::io::Write as _;
        use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
        let path = std::path::Path::new(&dir).join(file);
        let _ = std::fs::remove_file(&path);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut f| f.write_all(pem.as_bytes()))
            .unwrap();
        std::os::unix::fs::chown(&path, Some(owner.uid()), Some(owner.gid())).unwrap();
    }
    for sql in [
        "ALTER SYSTEM SET ssl_cert_file = 'cardline-test-server.crt'",
        "ALTER SYSTEM SET ssl_key_file = 'cardline-test-server.key'",
        "ALTER SYSTEM SET ssl = on",
        "SELECT pg_reload_conf()",
    ] {
        client.batch_execute(sql).unwrap();
    }
}

fn url_with(server: &DatabaseUrl, host: &str, extra: &str) -> DatabaseUrl {
    let raw = std::env::var(common::VAR).unwrap();
    let (head, tail) = raw.split_once('@').unwrap();
    let (_, rest) = tail.split_once(':').unwrap();
    let (port, _) = rest.split_once('/').unwrap();
    let sep = if raw.contains('?') { '&' } else { '?' };
    let _ = server;
    DatabaseUrl::parse(&format!(
        "{head}@{host}:{port}/postgres{}{sep}{extra}",
        raw.split_once('?')
            .map_or(String::new(), |(_, q)| format!("?{q}"))
    ))
    .unwrap()
}

fn on_tls(url: &DatabaseUrl) -> Result<bool, PostgresError> {
    let mut client = PostgresStore::client(url)?;
    Ok(client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0))
}

#[test]
fn verify_full_needs_the_right_ca_and_host_name() {
    let Some(server) = common::server() else {
        return;
    };
    if !common::throwaway() {
        cardline_device::skipped!(
            "TLS: the server in {} is not scripts/with-postgres.sh's own; its certificate is left alone",
            common::VAR
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let right = ca("cardline test CA");
    let wrong = ca("some other CA");
    let right_file = dir.path().join("right-ca.pem");
    let wrong_file = dir.path().join("wrong-ca.pem");
    std::fs::write(&right_file, right.pem()).unwrap();
    std::fs::write(&wrong_file, wrong.pem()).unwrap();
    install(&server, &right);
    let full = |host: &str, ca: &std::path::Path| {
        url_with(
            &server,
            host,
            &format!("sslmode=verify-full&sslrootcert={}", ca.display()),
        )
    };
    // The reload takes effect for connections made after the postmaster read it.
    let good = full("127.0.0.1", &right_file);
    assert_eq!(good.ssl_mode(), SslMode::VerifyFull);
    let mut connected = on_tls(&good);
    for _ in 0..50 {
        if connected.is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        connected = on_tls(&good);
    }
    assert!(connected.unwrap(), "verify-full with the right CA is TLS");
    assert!(on_tls(&full("localhost", &right_file)).unwrap());

    // A store over verify-full works end to end.
    let db = common::TempDb::migrated(&server);
    let tls_db = url_with(
        &server,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", right_file.display()),
    )
    .with_database(&db.name)
    .unwrap();
    let store = PostgresStore::open(&tls_db).unwrap();
    let cards = store
        .request_cards(2, &Numbering::default(), &Actor("tls".into()))
        .unwrap();
    assert_eq!(store.card(&cards[1].number).unwrap(), cards[1]);

    let e = on_tls(&full("127.0.0.1", &wrong_file)).unwrap_err();
    assert!(matches!(e, PostgresError::Tls { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("not signed by the CA in sslrootcert"),
        "{e}"
    );

    // Another name for the same address: hostaddr connects to 127.0.0.1, the certificate
    // is checked against the URL's host.
    let other_name = url_with(
        &server,
        "db.wrong.example",
        &format!(
            "sslmode=verify-full&sslrootcert={}&hostaddr=127.0.0.1",
            right_file.display()
        ),
    );
    let e = on_tls(&other_name).unwrap_err();
    assert!(matches!(e, PostgresError::Tls { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("does not name host `db.wrong.example`"),
        "{e}"
    );
    let ca_only = url_with(
        &server,
        "db.wrong.example",
        &format!(
            "sslmode=verify-ca&sslrootcert={}&hostaddr=127.0.0.1",
            right_file.display()
        ),
    );
    assert!(on_tls(&ca_only).unwrap(), "verify-ca checks the CA only");
    let e = on_tls(&url_with(
        &server,
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={}", wrong_file.display()),
    ))
    .unwrap_err();
    assert!(matches!(e, PostgresError::Tls { .. }), "{e}");

    assert!(!on_tls(&url_with(&server, "127.0.0.1", "sslmode=disable")).unwrap());
    assert!(on_tls(&url_with(&server, "127.0.0.1", "sslmode=require")).unwrap());
    let missing = dir.path().join("missing.pem");
    let e = on_tls(&full("127.0.0.1", &missing)).unwrap_err();
    assert!(matches!(e, PostgresError::CaFile { .. }), "{e}");
    std::fs::write(&missing, "not a certificate").unwrap();
    let e = on_tls(&full("127.0.0.1", &missing))
        .unwrap_err()
        .to_string();
    assert!(e.contains("holds no certificate"), "{e}");
}
