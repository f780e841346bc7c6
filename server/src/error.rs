//! Errors of starting the server, and how store errors map to HTTP statuses.

use std::net::SocketAddr;

use axum::http::StatusCode;
use cardline_issuance::store::StoreError;

/// Why `cardline serve` could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Neither TLS files nor plain HTTP were given.
    #[error(
        "give the TLS certificate and key (--cert FILE --key FILE), or ask for plain HTTP with \
         --insecure-http (loopback addresses only, e.g. --listen 127.0.0.1:8443)"
    )]
    NeedsTlsOrInsecureHttp,
    /// Both TLS files and plain HTTP were given.
    #[error("--insecure-http and --cert/--key exclude each other: choose one")]
    TlsAndInsecureHttp,
    /// A TLS file could not be used.
    #[error("TLS {what} {path}: {why}")]
    Tls {
        /// The file.
        path: std::path::PathBuf,
        /// What it should hold.
        what: &'static str,
        /// Why it cannot be used.
        why: String,
    },
    /// Plain HTTP on a non-loopback address.
    #[error(
        "plain HTTP is served only on a loopback address, not on {0}: listen on 127.0.0.1 \
         or [::1]"
    )]
    PlainHttpNotLoopback(SocketAddr),
    /// A `--host` name is unusable, or none was given where one is needed.
    #[error("{0}")]
    BadHost(String),
    /// The address could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, #[source] std::io::Error),
    /// Serving failed.
    #[error("the server stopped: {0}")]
    Io(#[source] std::io::Error),
}

/// The HTTP status of a store error, and whether its message may be shown to the client
/// (backend details stay in the server log).
pub fn store_status(e: &StoreError) -> (StatusCode, bool) {
    use StoreError as E;
    match e {
        E::CardNotFound(_)
        | E::OrderNotFound(_)
        | E::AttemptNotFound(_)
        | E::UserNotFound(_)
        | E::TokenNotFound(_) => (StatusCode::NOT_FOUND, true),
        E::Transition(_)
        | E::OrderState { .. }
        | E::NotSelectable { .. }
        | E::TooFewCards { .. }
        | E::NothingToOrder
        | E::UserExists(_)
        | E::StationInUse { .. }
        | E::AttemptClosed { .. } => (StatusCode::CONFLICT, true),
        E::InvalidQuery(_)
        | E::InvalidRequest(_)
        | E::InvalidTime { .. }
        | E::InvalidUserName { .. }
        | E::MissingDetail { .. }
        | E::NotADirectEvent { .. }
        | E::Numbering(_) => (StatusCode::UNPROCESSABLE_ENTITY, true),
        E::Busy { .. } | E::Unavailable { .. } => (StatusCode::SERVICE_UNAVAILABLE, true),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, false),
    }
}

/// The text a client sees for a store error.
pub fn store_message(e: &StoreError) -> String {
    let (status, shown) = store_status(e);
    if shown {
        e.to_string()
    } else {
        tracing::error!(error = %e, "store error");
        format!(
            "{}: the store failed; the server log has the details",
            status.canonical_reason().unwrap_or("error")
        )
    }
}
