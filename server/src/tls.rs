//! HTTPS: a rustls server configuration from PEM files, and a listener that does each TLS
//! handshake in a task of its own (bounded in number and time) so a slow client cannot hold
//! up the others.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::ServeError;

/// Largest certificate or key file read (1 MiB).
pub const MAX_PEM_FILE: u64 = 1024 * 1024;
/// A TLS handshake not done in this time is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// TLS handshakes in progress at most; further connections wait in the kernel's backlog.
pub const MAX_HANDSHAKES: usize = 256;

fn read_pem(path: &Path, what: &'static str) -> Result<Vec<u8>, ServeError> {
    use std::io::Read;
    let bad = |why: String| ServeError::Tls {
        path: path.to_path_buf(),
        what,
        why,
    };
    let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(e.to_string()))?;
    if bytes.len() as u64 > MAX_PEM_FILE {
        return Err(bad("it is larger than 1 MiB; give a PEM file".into()));
    }
    Ok(bytes)
}

/// The rustls server configuration of a certificate chain and its private key (PEM files).
pub fn server_config(cert: &Path, key: &Path) -> Result<rustls::ServerConfig, ServeError> {
    let cert_bytes = read_pem(cert, "certificate chain")?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| ServeError::Tls {
            path: cert.to_path_buf(),
            what: "certificate chain",
            why: format!("not a PEM certificate chain: {e}"),
        })?;
    if chain.is_empty() {
        return Err(ServeError::Tls {
            path: cert.to_path_buf(),
            what: "certificate chain",
            why: "it holds no `BEGIN CERTIFICATE` block".into(),
        });
    }
    let key_bytes = read_pem(key, "private key")?;
    let private = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|e| ServeError::Tls {
        path: key.to_path_buf(),
        what: "private key",
        why: format!("no PEM private key (PKCS#8, PKCS#1 or SEC1) in it: {e}"),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(chain, private))
        .map_err(|e| ServeError::Tls {
            path: key.to_path_buf(),
            what: "private key",
            why: format!("the key does not fit the certificate or is not supported: {e}"),
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A TCP listener that hands out connections after their TLS handshake.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Option<(TlsStream<TcpStream>, SocketAddr)>>,
}

impl TlsListener {
    /// TLS over an already bound TCP listener.
    pub fn new(tcp: TcpListener, config: rustls::ServerConfig) -> TlsListener {
        TlsListener {
            tcp,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            handshakes: JoinSet::new(),
        }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let room = self.handshakes.len() < MAX_HANDSHAKES;
            tokio::select! {
                accepted = self.tcp.accept(), if room => match accepted {
                    Ok((stream, addr)) => {
                        let acceptor = self.acceptor.clone();
                        self.handshakes.spawn(async move {
                            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                                Ok(Ok(tls)) => Some((tls, addr)),
                                Ok(Err(e)) => {
                                    tracing::debug!(peer = %addr, error = %e, "TLS handshake failed");
                                    None
                                }
                                Err(_) => {
                                    tracing::debug!(peer = %addr, "TLS handshake timed out");
                                    None
                                }
                            }
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(done) = self.handshakes.join_next(), if !self.handshakes.is_empty() => {
                    if let Ok(Some(conn)) = done {
                        return conn;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}
