//! The `Host` check (DNS rebinding): only the configured names are answered.

use std::net::SocketAddr;

use cardline_issuance::store::AuditFilter;
use cardline_server::ServeConfig;

use crate::common::*;

#[test]
fn requests_for_another_host_are_refused_before_anything_happens() {
    let c = Console::start(&requests(1, "Ada"));
    let port = c.addr.port();
    let evil = format!("rebind.example:{port}");
    // A page of a hostile site whose name now resolves to 127.0.0.1.
    let r = c.send_to_host(Some(&evil), "GET", "/login", &[], b"");
    assert_eq!(r.status, 421, "{}", r.body);
    assert!(r.body.contains("--host NAME"), "{}", r.body);
    assert!(r.header("content-security-policy").is_some());
    // Its wrong passwords reach no one: no failure audited, no lockout.
    let form = super::common::encode(&[("user", "olga"), ("password", "wrong wrong wrong")]);
    for _ in 0..6 {
        let r = c.send_to_host(
            Some(&evil),
            "POST",
            "/login",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            form.as_bytes(),
        );
        assert_eq!(r.status, 421);
    }
    let failures = c
        .store
        .audit(&AuditFilter {
            action: Some("login.".into()),
            ..AuditFilter::default()
        })
        .unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    c.login("olga"); // not locked
    // The API too.
    let r = c.send_to_host(Some(&evil), "GET", "/api/v1/openapi.json", &[], b"");
    assert_eq!(r.status, 421);
    // The loopback names are answered, with or without port, in any case.
    for host in [
        format!("localhost:{port}"),
        format!("LOCALHOST:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "localhost".to_string(),
    ] {
        let r = c.send_to_host(Some(&host), "GET", "/login", &[], b"");
        assert_eq!(r.status, 200, "Host: {host}: {}", r.body);
    }
    // A look-alike is not.
    for host in [
        format!("localhost.rebind.example:{port}"),
        format!("127.0.0.1.nip.example:{port}"),
    ] {
        let r = c.send_to_host(Some(&host), "GET", "/login", &[], b"");
        assert_eq!(r.status, 421, "Host: {host}");
    }
    // No Host at all.
    let r = c.send_to_host(None, "GET", "/login", &[], b"");
    assert_eq!(r.status, 400, "{}", r.body);
}

#[test]
fn serve_answers_to_the_listen_address_or_the_names_given() {
    let any: SocketAddr = "0.0.0.0:8443".parse().unwrap();
    let mut config = ServeConfig {
        insecure_http: false,
        cert: Some("server.pem".into()),
        key: Some("server-key.pem".into()),
        ..ServeConfig::insecure_loopback(any)
    };
    // 0.0.0.0 has no name of its own: --host is required.
    let e = config.check().unwrap_err().to_string();
    assert!(e.contains("--host NAME"), "{e}");
    config.hosts = vec!["console.example.org".into(), "10.1.2.3".into()];
    config.check().unwrap();
    let a = config.allowed_hosts().unwrap();
    assert!(a.allows("console.example.org:8443") && a.allows("10.1.2.3"));
    assert!(!a.allows("localhost"));
    config.hosts = vec!["console.example.org:8443".into()];
    let e = config.check().unwrap_err().to_string();
    assert!(
        e.contains("console.example.org:8443") && e.contains("no port"),
        "{e}"
    );
    // Loopback by default: its address and localhost.
    let l = ServeConfig::insecure_loopback("127.0.0.1:8443".parse().unwrap());
    let a = l.allowed_hosts().unwrap();
    assert!(a.allows("localhost:8443") && a.allows("127.0.0.1:8443"));
    assert!(!a.allows("example.org"));
}
