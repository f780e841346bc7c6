//! TLS to the server with rustls (ring), following libpq's `sslmode` rules:
//!
//! | sslmode | TLS | certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `prefer` (default) | when the server offers it | not checked; with `sslrootcert`: must chain to it |
//! | `require` | always | not checked; with `sslrootcert`: must chain to it |
//! | `verify-ca` | always | must chain to `sslrootcert` (any host name) |
//! | `verify-full` | always | must chain to `sslrootcert` and name the URL's host |
//!
//! The system's trust store is never used: a database CA is named explicitly.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::PostgresError;
use crate::url::{DatabaseUrl, SslMode};

/// The largest CA file read (bytes).
const MAX_CA_FILE: u64 = 1 << 20;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The TLS connector for `url`'s `sslmode` and `sslrootcert`.
pub(crate) fn connector(url: &DatabaseUrl) -> Result<MakeRustlsConnect, PostgresError> {
    let provider = provider();
    let verifier: Arc<dyn ServerCertVerifier> = match url.ssl_root_cert() {
        Some(path) => {
            let roots = Arc::new(load_roots(path)?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| PostgresError::CaFile {
                    path: path.display().to_string(),
                    problem: format!("its certificates cannot be used as roots ({e})"),
                })?;
            match url.ssl_mode() {
                SslMode::VerifyFull => webpki,
                _ => Arc::new(ChainOnly(webpki)),
            }
        }
        None => Arc::new(EncryptOnly(provider.signature_verification_algorithms)),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PostgresError::Tls {
            url: url.shown().to_string(),
            detail: format!("no usable TLS version ({e})"),
        })?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// Reads every certificate of a PEM file.
fn load_roots(path: &std::path::Path) -> Result<RootCertStore, PostgresError> {
    let shown = path.display().to_string();
    let fail = |problem: String| PostgresError::CaFile {
        path: shown.clone(),
        problem,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot be read ({e})")))?;
    if meta.len() > MAX_CA_FILE {
        return Err(fail(format!(
            "is {} bytes; a CA file is at most {MAX_CA_FILE} bytes",
            meta.len()
        )));
    }
    let pem = std::fs::read(path).map_err(|e| fail(format!("cannot be read ({e})")))?;
    let mut roots = RootCertStore::empty();
    let mut found = 0;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| fail(format!("is not valid PEM ({e})")))?;
        found += 1;
        roots
            .add(cert)
            .map_err(|e| fail(format!("certificate {found} cannot be a root ({e})")))?;
    }
    if found == 0 {
        return Err(fail(
            "holds no certificate (expected -----BEGIN CERTIFICATE----- blocks)".into(),
        ));
    }
    Ok(roots)
}

/// `verify-ca`: the chain must reach a root of `sslrootcert`; the host name is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The name is checked last, after the chain: a name error means the chain is good.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer`/`require` without `sslrootcert`: encrypted, the certificate not checked (as
/// libpq does); the handshake signatures still are.
#[derive(Debug)]
struct EncryptOnly(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

/// The rustls error in a connection error's sources, if TLS failed.
fn rustls_cause(e: &postgres::Error) -> Option<rustls::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<rustls::Error>() {
            return Some(r.clone());
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(r) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(r.clone());
        }
        source = s.source();
    }
    None
}

/// Explains a failed connection: a refused certificate or a server without TLS as
/// [`PostgresError::Tls`] saying what to check, anything else as [`PostgresError::Connect`].
pub(crate) fn connect_error(url: &DatabaseUrl, e: &postgres::Error) -> PostgresError {
    let detail = url.scrub(&crate::error::describe(e));
    let ca = url
        .ssl_root_cert()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(none)".into());
    if let Some(r) = rustls_cause(e) {
        let why = match &r {
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            ) => format!(
                "the server's certificate does not name host `{}`: connect with the name in its \
                 certificate, or use sslmode=verify-ca to check only the CA",
                url.host()
            ),
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
                "the server's certificate is not signed by the CA in sslrootcert ({ca}): give \
                 the CA that signed the server's certificate"
            ),
            rustls::Error::InvalidCertificate(CertificateError::Expired)
            | rustls::Error::InvalidCertificate(CertificateError::ExpiredContext { .. }) => {
                "the server's certificate has expired: renew it on the server".to_string()
            }
            other => format!(
                "{other} (sslmode={}, sslrootcert {ca})",
                url.ssl_mode().as_str()
            ),
        };
        return PostgresError::Tls {
            url: url.shown().to_string(),
            detail: why,
        };
    }
    if detail.contains("server does not support TLS") {
        return PostgresError::Tls {
            url: url.shown().to_string(),
            detail: format!(
                "the server does not offer TLS but sslmode={} requires it: turn ssl on in the \
                 server's postgresql.conf, or lower sslmode",
                url.ssl_mode().as_str()
            ),
        };
    }
    if e.code() == Some(&postgres::error::SqlState::INVALID_CATALOG_NAME) {
        return PostgresError::Connect {
            url: url.shown().to_string(),
            detail: format!(
                "{detail}: create it first (`CREATE DATABASE \"{}\"` as a database \
                 administrator), then run `cardline db migrate`",
                url.database()
            ),
            unreachable: false,
        };
    }
    let unreachable = e.as_db_error().is_none() && crate::error::is_connection_failure(e)
        || detail.contains("error connecting to server")
        || detail.contains("timeout");
    PostgresError::Connect {
        url: url.shown().to_string(),
        detail,
        unreachable,
    }
}
