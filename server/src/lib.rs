//! `cardline serve`: the operator console (server-rendered HTML) and the REST API (`/api/v1`)
//! over the same store as the CLI.
//!
//! - [`password`] and [`secret`]: Argon2id password hashes, random session ids, CSRF and API
//!   tokens (stored as SHA-256), none of them ever logged or printed by `Debug`.
//! - [`users`]: what `cardline users ...` does (add, disable, reset a password, API tokens).
//! - [`sessions`]: sessions kept in the store (the SHA-256 of the id), shared by every
//!   `serve` over the database, with idle and absolute expiry.
//! - [`auth`]: who is asking (session cookie or bearer token), roles, CSRF checks.
//! - [`tls`]: HTTPS with rustls from PEM files; plain HTTP only on loopback when asked for.
//! - `actions`: what a page and its API route both do (checks and store calls), written once.
//! - `pages` (login, home, batch orders, search, order page with live progress over
//!   server-sent events, desks and stations, audit) and `api` (`/api/v1`: JSON, API tokens,
//!   RFC 9457 problems).
//!
//! ```no_run
//! # async fn run(store: std::sync::Arc<dyn cardline_issuance::store::Store>) {
//! let config = cardline_server::ServeConfig::insecure_loopback("127.0.0.1:8443".parse().unwrap());
//! cardline_server::serve(config, store).await.unwrap();
//! # }
//! ```
//!
//! The synchronous store runs off the async workers (`spawn_blocking`). Request bodies are
//! bounded ([`MAX_BODY`]); every response carries a Content-Security-Policy without
//! `unsafe-inline` ([`headers::CSP`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use cardline_issuance::store::Store;

mod actions;
mod api;
pub mod auth;
pub mod changes;
mod error;
pub mod headers;
pub mod hosts;
mod pages;
pub mod password;
pub mod secret;
pub mod sessions;
pub mod tls;
pub mod users;

pub use api::Problem;
pub use api::bodies;
pub use error::ServeError;
pub use sessions::SessionRule;

/// The largest request body accepted (forms and JSON): 64 KiB.
pub const MAX_BODY: usize = 64 * 1024;

/// How `cardline serve` listens.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// Plain HTTP (only on a loopback address).
    pub insecure_http: bool,
    /// TLS certificate chain (PEM): HTTPS on any address, with `key`.
    pub cert: Option<PathBuf>,
    /// TLS private key (PEM).
    pub key: Option<PathBuf>,
    /// Session expiry.
    pub sessions: SessionRule,
    /// The names the console answers to (`--host NAME`, repeatable; the `Host` header of
    /// every request must be one of them). Empty: the listen address, plus `localhost` on
    /// loopback.
    pub hosts: Vec<String>,
}

impl ServeConfig {
    /// Plain HTTP on a loopback address with the default session rule.
    pub fn insecure_loopback(listen: SocketAddr) -> ServeConfig {
        ServeConfig {
            listen,
            insecure_http: true,
            cert: None,
            key: None,
            sessions: SessionRule::default(),
            hosts: vec![],
        }
    }

    /// Refuses what cannot be served safely: HTTPS needs both files; plain HTTP is served only
    /// on loopback, and only when asked for with `--insecure-http`.
    pub fn check(&self) -> Result<(), ServeError> {
        let transport = match (&self.cert, &self.key, self.insecure_http) {
            (Some(_), Some(_), false) => Ok(()),
            (Some(_), _, true) | (_, Some(_), true) => Err(ServeError::TlsAndInsecureHttp),
            (None, None, true) if self.listen.ip().is_loopback() => Ok(()),
            (None, None, true) => Err(ServeError::PlainHttpNotLoopback(self.listen)),
            _ => Err(ServeError::NeedsTlsOrInsecureHttp),
        };
        transport?;
        self.allowed_hosts().map(|_| ())
    }
}

impl ServeConfig {
    /// The names to answer to: `hosts`, or the default for the listen address; an unspecified
    /// listen address (`0.0.0.0`) needs `--host`.
    pub fn allowed_hosts(&self) -> Result<hosts::AllowedHosts, ServeError> {
        if self.hosts.is_empty() {
            let d = hosts::AllowedHosts::for_listen(self.listen);
            if d.names().is_empty() {
                return Err(ServeError::BadHost(format!(
                    "listening on {} answers to no name of its own: give the name(s) browsers use with `--host NAME` (repeatable)",
                    self.listen
                )));
            }
            Ok(d)
        } else {
            hosts::AllowedHosts::new(&self.hosts).map_err(ServeError::BadHost)
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
    hosts: Option<Arc<hosts::AllowedHosts>>,
}

struct Inner {
    store: Arc<dyn Store>,
    sessions: sessions::Sessions,
    secure_cookies: bool,
    changes: changes::Changes,
}

impl AppState {
    /// State over `store` with the session rule `rule`; cookies carry `Secure` when
    /// `secure_cookies` (served over TLS).
    pub fn new(store: Arc<dyn Store>, rule: SessionRule, secure_cookies: bool) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                sessions: sessions::Sessions::new(rule, store.clone()),
                store,
                secure_cookies,
                changes: changes::Changes::default(),
            }),
            hosts: None,
        }
    }

    /// Answers only requests whose `Host` is one of `hosts` (421 otherwise); without this,
    /// any `Host` is answered.
    pub fn with_hosts(mut self, hosts: hosts::AllowedHosts) -> AppState {
        self.hosts = Some(Arc::new(hosts));
        self
    }

    /// The names answered to, when checked.
    pub fn allowed_hosts(&self) -> Option<&hosts::AllowedHosts> {
        self.hosts.as_deref()
    }

    /// The store.
    pub fn store(&self) -> Arc<dyn Store> {
        self.inner.store.clone()
    }

    /// The sessions (blocking store I/O: see [`AppState::with_sessions`]).
    pub fn sessions(&self) -> &sessions::Sessions {
        &self.inner.sessions
    }

    /// The server's change watcher (live pages listen to it).
    pub fn changes(&self) -> &changes::Changes {
        &self.inner.changes
    }

    /// Runs `f` with the sessions on a blocking thread.
    pub async fn with_sessions<T: Send + 'static>(
        &self,
        f: impl FnOnce(&sessions::Sessions) -> T + Send + 'static,
    ) -> T {
        let state = self.clone();
        match tokio::task::spawn_blocking(move || f(state.sessions())).await {
            Ok(v) => v,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// Cookies carry `Secure` (under TLS).
    pub fn secure_cookies(&self) -> bool {
        self.inner.secure_cookies
    }

    /// Runs `f` with the store on a blocking thread.
    pub async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> T + Send + 'static,
    ) -> T {
        let store = self.store();
        match tokio::task::spawn_blocking(move || f(store.as_ref())).await {
            Ok(v) => v,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}

/// The whole application: console pages, the API, security headers, the body limit.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .merge(pages::routes())
        .merge(api::router())
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            hosts::check_host,
        ))
        .layer(axum::middleware::map_response(headers::security_headers))
        .with_state(state)
}

/// Serves on an already bound listener (TCP, or [`tls::TlsListener`]) until `shutdown`
/// resolves.
pub async fn serve_on<L>(
    listener: L,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServeError::Io)
}

/// A console bound to its address, not serving yet: [`Listening::local_addr`] is the real address
/// (the port the system chose for `--listen 127.0.0.1:0`), printed before the first request.
pub struct Listening {
    listener: tokio::net::TcpListener,
    tls: Option<rustls::ServerConfig>,
    allowed: hosts::AllowedHosts,
    sessions: SessionRule,
}

/// Checks the configuration (and loads the TLS files), then binds.
pub async fn listen(config: ServeConfig) -> Result<Listening, ServeError> {
    config.check()?;
    let allowed = config.allowed_hosts()?;
    tracing::info!(hosts = %allowed.names().join(", "), "answering to these Host names");
    let tls = match (&config.cert, &config.key) {
        (Some(cert), Some(key)) => Some(tls::server_config(cert, key)?),
        _ => None,
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| ServeError::Bind(config.listen, e))?;
    Ok(Listening {
        listener,
        tls,
        allowed,
        sessions: config.sessions,
    })
}

impl Listening {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has an address")
    }

    /// True when the console answers over HTTPS.
    pub fn is_https(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves `store` until Ctrl-C.
    pub async fn serve(self, store: Arc<dyn Store>) -> Result<(), ServeError> {
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        let address = self.local_addr();
        match self.tls {
            Some(tls) => {
                tracing::info!(%address, "console listening (HTTPS)");
                let state = AppState::new(store, self.sessions, true).with_hosts(self.allowed);
                serve_on(tls::TlsListener::new(self.listener, tls), state, stop).await
            }
            None => {
                tracing::info!(%address, "console listening (plain HTTP, loopback only)");
                let state = AppState::new(store, self.sessions, false).with_hosts(self.allowed);
                serve_on(self.listener, state, stop).await
            }
        }
    }
}

/// `cardline serve`: [`listen`], then [`Listening::serve`] until Ctrl-C.
pub async fn serve(config: ServeConfig, store: Arc<dyn Store>) -> Result<(), ServeError> {
    listen(config).await?.serve(store).await
}
