//! HTTPS with rustls: a certificate from PEM files, `Secure` cookies, clear errors for bad
//! files, and a TLS handshake that never completes does not hold up other clients.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use cardline_issuance::store::sqlite::SqliteStore;
use cardline_server::tls::{TlsListener, server_config};
use cardline_server::{AppState, ServeConfig, ServeError, SessionRule};
use rustls::pki_types::{CertificateDer, ServerName};

pub struct Https {
    addr: std::net::SocketAddr,
    cert: CertificateDer<'static>,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Https {
    fn drop(&mut self) {
        let _ = self.stop.take().unwrap().send(());
        let _ = self.thread.take().unwrap().join();
    }
}

fn start() -> Https {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, made.cert.pem()).unwrap();
    std::fs::write(&key_path, made.signing_key.serialize_pem()).unwrap();
    let trust = made.cert.der().clone();
    start_with(dir, &cert_path, &key_path, trust)
}

/// HTTPS with the certificate and key files given; clients trust `trust`.
pub fn start_with(
    dir: tempfile::TempDir,
    cert_path: &std::path::Path,
    key_path: &std::path::Path,
    trust: CertificateDer<'static>,
) -> Https {
    let config = server_config(cert_path, key_path).unwrap();
    let store = Arc::new(SqliteStore::create(&dir.path().join("cardline.db")).unwrap());
    let state = AppState::new(store, SessionRule::default(), true);
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(tcp.local_addr().unwrap()).unwrap();
            cardline_server::serve_on(TlsListener::new(tcp, config), state, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
    });
    let addr = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    Https {
        addr,
        cert: trust,
        _dir: dir,
        stop: Some(stop),
        thread: Some(thread),
    }
}

fn get_login(https: &Https) -> String {
    get_login_as(https, "localhost").unwrap()
}

/// `GET /login` over TLS to the server name `name` (also the `Host`); the TLS error when the
/// certificate is not trusted for it.
pub fn get_login_as(https: &Https, name: &str) -> Result<String, std::io::Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(https.cert.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let conn = rustls::ClientConnection::new(
        Arc::new(config),
        ServerName::try_from(name.to_string()).unwrap(),
    )
    .unwrap();
    let tcp = TcpStream::connect(https.addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(
        format!("GET /login HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n").as_bytes(),
    )?;
    let mut reply = Vec::new();
    // A server that closes without close_notify after its answer: the answer counts.
    if let Err(e) = tls.read_to_end(&mut reply)
        && reply.is_empty()
    {
        return Err(e);
    }
    Ok(String::from_utf8_lossy(&reply).to_string())
}

#[test]
fn the_console_is_served_over_tls_with_secure_cookies_and_a_stalled_handshake_blocks_no_one() {
    let https = start();
    // A client that connects and never says hello.
    let _stalled = TcpStream::connect(https.addr).unwrap();
    let reply = get_login(&https);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let cookie = reply
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with("set-cookie: cardline_login=")
        })
        .unwrap_or_else(|| panic!("{reply}"));
    assert!(
        cookie.contains("Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    // Plain HTTP to the TLS port gets no page.
    let mut plain = TcpStream::connect(https.addr).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    plain
        .write_all(b"GET /login HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    let _ = plain.read_to_end(&mut got);
    assert!(!String::from_utf8_lossy(&got).contains("HTTP/1.1 200"));
}

#[test]
fn bad_tls_files_and_settings_are_refused_with_the_file_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let missing = dir.path().join("missing.pem");
    let e = server_config(&missing, &key).unwrap_err();
    assert!(e.to_string().contains("missing.pem"), "{e}");
    let e = server_config(&key, &key).unwrap_err();
    assert!(e.to_string().contains("BEGIN CERTIFICATE"), "{e}");
    let e = server_config(&cert, &cert).unwrap_err();
    assert!(e.to_string().contains("no PEM private key"), "{e}");
    let other = rcgen::generate_simple_self_signed(vec!["other".into()]).unwrap();
    std::fs::write(&key, other.signing_key.serialize_pem()).unwrap();
    let e = server_config(&cert, &key).unwrap_err();
    assert!(e.to_string().contains("does not fit"), "{e}");
    let big = dir.path().join("big.pem");
    std::fs::write(&big, vec![b'A'; 2 * 1024 * 1024]).unwrap();
    let e = server_config(&big, &key).unwrap_err();
    assert!(e.to_string().contains("larger than 1 MiB"), "{e}");
    // Settings.
    let mut c = ServeConfig::insecure_loopback("0.0.0.0:8443".parse().unwrap());
    assert!(matches!(
        c.check(),
        Err(ServeError::PlainHttpNotLoopback(_))
    ));
    c.cert = Some(cert.clone());
    c.key = Some(key.clone());
    assert!(matches!(c.check(), Err(ServeError::TlsAndInsecureHttp)));
    c.insecure_http = false;
    // 0.0.0.0 has no name of its own: the names browsers use must be given (tests/http/hosts.rs).
    assert!(matches!(c.check(), Err(ServeError::BadHost(_))));
    c.hosts = vec!["console.example.org".into()];
    assert!(c.check().is_ok(), "HTTPS may listen on any address");
    c.key = None;
    assert!(matches!(c.check(), Err(ServeError::NeedsTlsOrInsecureHttp)));
}
