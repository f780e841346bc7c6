//! The `Host` header check (DNS rebinding): a hostile web page whose name resolves to the
//! console's address would otherwise reach the console from the operator's own browser (and,
//! say, post wrong passwords until users are locked out). Only the configured names are
//! answered; any other `Host` gets 421 Misdirected Request, a request without one 400.

use std::net::SocketAddr;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// The longest host name accepted with `--host` (DNS names have at most 253 characters).
pub const MAX_HOST: usize = 253;

/// The names the console answers to (lower case, without port).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    names: Vec<String>,
}

impl AllowedHosts {
    /// Exactly these names (`--host NAME`, repeatable): host names or IP addresses, without
    /// port; refuses an empty list and names with characters a host name cannot have.
    pub fn new<I, S>(names: I) -> Result<AllowedHosts, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out = vec![];
        for n in names {
            let n = n.as_ref().trim();
            let bare = n.trim_start_matches('[').trim_end_matches(']');
            let ok = !bare.is_empty()
                && bare.len() <= MAX_HOST
                && bare
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
                // A colon only in an IPv6 address (a port is not part of the name).
                && (!bare.contains(':') || bare.parse::<std::net::Ipv6Addr>().is_ok());
            if !ok {
                return Err(format!(
                    "`--host {n}` is not a host name or IP address (letters, digits, `.`, `-`, `:`; at most {MAX_HOST}; no port)"
                ));
            }
            out.push(bare.to_ascii_lowercase());
        }
        if out.is_empty() {
            return Err("give at least one `--host NAME`".into());
        }
        Ok(AllowedHosts { names: out })
    }

    /// The default for a listen address: its IP, plus `localhost`, `127.0.0.1` and `::1` when
    /// it is a loopback address. An unspecified address (`0.0.0.0`) has no name of its own:
    /// give `--host` then.
    pub fn for_listen(listen: SocketAddr) -> AllowedHosts {
        let ip = listen.ip();
        let mut names = vec![];
        if !ip.is_unspecified() {
            names.push(ip.to_string());
        }
        if ip.is_loopback() {
            for n in ["localhost", "127.0.0.1", "::1"] {
                if !names.iter().any(|x| x == n) {
                    names.push(n.to_string());
                }
            }
        }
        AllowedHosts { names }
    }

    /// The names, lower case.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// True when the `Host` header value `host` (with or without port) names this console.
    pub fn allows(&self, host: &str) -> bool {
        let name = strip_port(host).to_ascii_lowercase();
        let name = name.strip_suffix('.').unwrap_or(&name);
        self.names.iter().any(|n| n == name)
    }
}

/// `example.org:8443` → `example.org`, `[::1]:8443` → `::1`, `::1` stays.
fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

/// The middleware: refuses a request whose `Host` is not one of the state's names (when the
/// state has a list; [`AppState::new`] alone checks nothing, `serve` always sets one).
pub async fn check_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(allowed) = state.allowed_hosts() else {
        return next.run(req).await;
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    match host {
        None => (
            StatusCode::BAD_REQUEST,
            "a request needs a Host header naming this console",
        )
            .into_response(),
        Some(h) if allowed.allows(&h) => next.run(req).await,
        Some(h) => {
            tracing::warn!(host = %h.chars().take(80).collect::<String>(), "request for another host refused");
            (
                StatusCode::MISDIRECTED_REQUEST,
                format!(
                    "this console answers to {} only; open it by one of these names, or start `cardline serve` with `--host NAME` for the name you use",
                    allowed.names().join(", ")
                ),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_and_without_ports_and_brackets() {
        let a = AllowedHosts::new(["Console.Example.org", "10.0.0.5", "[fd00::1]"]).unwrap();
        assert!(a.allows("console.example.org"));
        assert!(a.allows("CONSOLE.example.org:8443"));
        assert!(a.allows("console.example.org.:8443"));
        assert!(a.allows("10.0.0.5:8443"));
        assert!(a.allows("[fd00::1]:8443"));
        assert!(!a.allows("evil.example"));
        assert!(!a.allows("console.example.org.evil.example"));
        assert!(!a.allows("10.0.0.50"));
        assert!(!a.allows(""));
    }

    #[test]
    fn loopback_default_takes_localhost_and_an_unspecified_address_takes_nothing() {
        let a = AllowedHosts::for_listen("127.0.0.1:8443".parse().unwrap());
        assert!(a.allows("localhost:8443") && a.allows("127.0.0.1:8443") && a.allows("[::1]:1"));
        assert!(!a.allows("rebind.example:8443"));
        let any = AllowedHosts::for_listen("0.0.0.0:8443".parse().unwrap());
        assert!(any.names().is_empty());
        assert!(!any.allows("0.0.0.0"));
    }

    #[test]
    fn bad_names_are_refused_with_the_name() {
        let e = AllowedHosts::new(["good.example", "bad host"]).unwrap_err();
        assert!(e.contains("bad host"), "{e}");
        assert!(AllowedHosts::new(["a:8443/x"]).is_err());
        assert!(AllowedHosts::new(Vec::<String>::new()).is_err());
    }
}
