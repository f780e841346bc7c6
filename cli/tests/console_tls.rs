//! `cardline serve --tls-from-ca` through the real binary: the console's certificate issued
//! by the home's CA at start, served over real TLS to a client that trusts only that CA,
//! reused on the next start, and replaced (the old files kept aside) when the names change.

mod browser_support;
mod temp_home;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use browser_support::{Killed, wait_announced};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use temp_home::{fail, ok};

/// Starts `serve --tls-from-ca` on a port the system picks, with `extra` arguments; stderr goes
/// to `log`. The server and its port.
fn serve(home: &Path, extra: &[&str], log: &Path) -> (Killed, u16) {
    let file = std::fs::File::create(log).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_cardline"))
        .arg("--home")
        .arg(home)
        .args(["serve", "--tls-from-ca", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env("USER", "tester")
        .env_remove("CARDLINE_OPERATOR")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(file)
        .spawn()
        .unwrap();
    let served = Killed(child);
    let port = wait_announced(log, "serve --tls-from-ca");
    (served, port)
}

/// `GET /login` over TLS to `name`, trusting only `ca_pem`; the reply's status line.
fn get_login(port: u16, name: &str, ca_pem: &str) -> Result<String, String> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let server = ServerName::try_from(name.to_string()).unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), server).unwrap();
    let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    let request =
        format!("GET /login HTTP/1.1\r\nHost: {name}:{port}\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes())
        .map_err(|e| format!("TLS to {name}: {e}"))?;
    let mut reply = Vec::new();
    let read = tls.read_to_end(&mut reply);
    if reply.is_empty() {
        return Err(format!("no reply from {name}: {read:?}"));
    }
    let text = String::from_utf8_lossy(&reply);
    Ok(text.lines().next().unwrap_or_default().to_string())
}

#[test]
fn serve_issues_its_certificate_from_the_ca_reuses_it_and_replaces_it_for_new_names() {
    let home_dir = tempfile::tempdir().unwrap();
    let home = home_dir.path();
    ok(&home_dir, &["init"]);
    // Without a CA the option says what is missing.
    let e = fail(
        &home_dir,
        &["serve", "--tls-from-ca", "--listen", "127.0.0.1:0"],
    );
    assert!(e.contains("keys init") || e.contains("ca init"), "{e}");
    ok(&home_dir, &["keys", "init"]);
    ok(&home_dir, &["ca", "init", "--name", "Office CA"]);
    let ca_pem = ok(&home_dir, &["ca", "show", "--pem"]);
    // A wildcard address needs the names clients use.
    let e = fail(
        &home_dir,
        &["serve", "--tls-from-ca", "--listen", "0.0.0.0:0"],
    );
    assert!(e.contains("--host NAME"), "{e}");
    let cert = home.join("tls").join("server.pem");
    let log = home.join("serve.log");

    // First start: a certificate for 127.0.0.1 and localhost, issued and served.
    let (served, port) = serve(home, &[], &log);
    let status = get_login(port, "localhost", &ca_pem).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    drop(served);
    let first = std::fs::read(&cert).unwrap();
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(
        said.contains("issued a server certificate for 127.0.0.1, localhost"),
        "{said}"
    );

    // Second start: the same files are served again.
    let (served, port) = serve(home, &[], &log);
    let status = get_login(port, "localhost", &ca_pem).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    drop(served);
    assert_eq!(std::fs::read(&cert).unwrap(), first, "reused, not reissued");
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(said.contains("serving the server certificate in"), "{said}");

    // A new name: the old certificate does not name it, so a new one is issued and the old
    // files are kept aside; a client asking for the new name is served.
    let (served, port) = serve(
        home,
        &["--host", "console.test", "--host", "127.0.0.1"],
        &log,
    );
    let status = get_login(port, "console.test", &ca_pem).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    drop(served);
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(said.contains("does not name `console.test`"), "{said}");
    assert_ne!(std::fs::read(&cert).unwrap(), first, "a new certificate");
    let aside: Vec<_> = std::fs::read_dir(home.join("tls"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".replaced-"))
        .collect();
    assert_eq!(
        aside.len(),
        2,
        "old certificate and key kept aside: {aside:?}"
    );
    // The audit names both issues.
    let audit = ok(&home_dir, &["audit", "--action", "ca.server_cert"]);
    assert_eq!(audit.matches("tls-from-ca").count(), 2, "{audit}");
    // A client that trusts another CA is refused by the handshake.
    let other = tempfile::tempdir().unwrap();
    ok(&other, &["init"]);
    ok(&other, &["keys", "init"]);
    ok(&other, &["ca", "init", "--name", "Other CA"]);
    let other_pem = ok(&other, &["ca", "show", "--pem"]);
    let (_served, port) = serve(home, &[], &log);
    let refused = get_login(port, "localhost", &other_pem);
    assert!(refused.is_err(), "a client of another CA: {refused:?}");
}
