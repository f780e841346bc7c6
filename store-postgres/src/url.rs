//! [`DatabaseUrl`]: a `postgres://` URL checked up front, with cardline's TLS and pool
//! settings taken out of it, and its password never shown.
//!
//! ```text
//! postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=verify-full&sslrootcert=/etc/cardline/db-ca.pem&pool_max_size=16]
//! ```
//!
//! Every other parameter the PostgreSQL client knows (`application_name`, `connect_timeout`,
//! `hostaddr`, `channel_binding`, ...) passes through unchanged.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::PostgresError;

/// How the connection is protected (`sslmode=`), as libpq understands it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP; never TLS.
    Disable,
    /// TLS when the server offers it, else plain; the certificate is not checked (unless
    /// `sslrootcert` is given: then it must chain to it). The default.
    #[default]
    Prefer,
    /// TLS or no connection; the certificate is not checked (unless `sslrootcert` is given:
    /// then it must chain to it).
    Require,
    /// TLS; the certificate must chain to `sslrootcert`; any host name.
    VerifyCa,
    /// TLS; the certificate must chain to `sslrootcert` and name the host of the URL.
    VerifyFull,
}

impl SslMode {
    /// The URL spelling (`verify-full`).
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn parse(s: &str) -> Option<SslMode> {
        [
            SslMode::Disable,
            SslMode::Prefer,
            SslMode::Require,
            SslMode::VerifyCa,
            SslMode::VerifyFull,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// The most connections one store handle opens when the URL does not say (`pool_max_size`).
pub const DEFAULT_POOL_MAX_SIZE: u32 = 16;
/// The largest `pool_max_size` accepted.
pub const MAX_POOL_MAX_SIZE: u32 = 512;
/// The longest URL accepted (bytes).
const MAX_URL_LEN: usize = 4096;

/// A checked `postgres://` URL. `Debug` and `Display` show it with the password as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    /// The URL as given, minus the parameters cardline handles itself (passed to the client).
    client_url: String,
    /// The URL as shown: password replaced by `***`.
    shown: String,
    /// The password, to scrub it from any message the client library writes.
    password: Option<String>,
    /// The host name, for verify-full.
    host: String,
    /// The database name.
    database: String,
    ssl_mode: SslMode,
    ssl_root_cert: Option<PathBuf>,
    pool_max_size: u32,
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.shown)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl FromStr for DatabaseUrl {
    type Err = PostgresError;
    fn from_str(s: &str) -> Result<DatabaseUrl, PostgresError> {
        DatabaseUrl::parse(s)
    }
}

/// True when `text` looks like a PostgreSQL URL (`postgres://` or `postgresql://`), so that a
/// caller can choose the backend before parsing.
pub fn is_postgres_url(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with("postgres://") || t.starts_with("postgresql://")
}

fn bad(shown: &str, problem: impl Into<String>) -> PostgresError {
    PostgresError::BadUrl {
        url: shown.to_string(),
        problem: problem.into(),
    }
}

/// Decodes `%XX` escapes; `None` when an escape is malformed or the result is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl DatabaseUrl {
    /// Parses and checks a URL. Errors name what is wrong (scheme, host, port, database,
    /// parameter, value) and show the URL with its password hidden.
    pub fn parse(text: &str) -> Result<DatabaseUrl, PostgresError> {
        let text = text.trim();
        let (scheme, rest) = match text.split_once("://") {
            Some(parts) => parts,
            None => {
                return Err(bad(
                    "(not shown)",
                    "it does not start with postgres:// (write postgres://USER:PASSWORD@HOST:PORT/DATABASE)",
                ));
            }
        };
        // Where the password is, if any, so nothing shown ever contains it.
        let (authority_end, path_and_query) = match rest.find('/') {
            Some(i) => (i, &rest[i..]),
            None => match rest.find('?') {
                Some(i) => (i, &rest[i..]),
                None => (rest.len(), ""),
            },
        };
        let authority = &rest[..authority_end];
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, raw_password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((user, pw)) => (user, Some(pw)),
                None => (u, None),
            },
            None => ("", None),
        };
        let shown_auth = match (userinfo, raw_password) {
            (Some(_), Some(_)) => format!("{user}:***@{hostport}"),
            (Some(_), None) => format!("{user}@{hostport}"),
            _ => hostport.to_string(),
        };
        let shown = format!("{scheme}://{shown_auth}{path_and_query}");
        if text.len() > MAX_URL_LEN {
            return Err(bad(
                &shown[..shown.len().min(80)],
                format!("it is {} bytes long; at most {MAX_URL_LEN}", text.len()),
            ));
        }
        if scheme != "postgres" && scheme != "postgresql" {
            return Err(bad(
                &shown,
                format!(
                    "the scheme is `{scheme}`; cardline's database URLs start with postgres://"
                ),
            ));
        }
        let password = match raw_password {
            Some(pw) => Some(percent_decode(pw).ok_or_else(|| {
                bad(
                    &shown,
                    "the password has a malformed %-escape (write %XX with two hex digits)",
                )
            })?),
            None => None,
        };
        if user.is_empty() {
            return Err(bad(
                &shown,
                "no user name: write postgres://USER@HOST/DATABASE",
            ));
        }
        let (host, port) = split_host_port(hostport);
        if host.is_empty() {
            return Err(bad(
                &shown,
                "no host: write postgres://USER@HOST[:PORT]/DATABASE (a socket directory goes in ?host=/run/postgresql)",
            ));
        }
        if let Some(port) = port
            && !port.is_empty()
            && port
                .split(',')
                .any(|p| p.parse::<u16>().map_or(true, |n| n == 0))
        {
            return Err(bad(
                &shown,
                format!("the port `{port}` is not a number 1–65535"),
            ));
        }
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, q),
            None => (path_and_query, ""),
        };
        let database = percent_decode(path.trim_start_matches('/'))
            .ok_or_else(|| bad(&shown, "the database name has a malformed %-escape"))?;
        if database.is_empty() {
            return Err(bad(
                &shown,
                "no database name: write postgres://USER@HOST/DATABASE",
            ));
        }
        if database.contains('/') {
            return Err(bad(
                &shown,
                format!("`{database}` is not a database name (it has a `/`)"),
            ));
        }

        let mut ssl_mode = None;
        let mut ssl_root_cert = None;
        let mut pool_max_size = DEFAULT_POOL_MAX_SIZE;
        let mut passed = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').ok_or_else(|| {
                bad(
                    &shown,
                    format!("parameter `{pair}` has no value (write {pair}=VALUE)"),
                )
            })?;
            let value_text = percent_decode(value).ok_or_else(|| {
                bad(
                    &shown,
                    format!("parameter `{key}` has a malformed %-escape"),
                )
            })?;
            match key {
                "sslmode" => {
                    ssl_mode = Some(SslMode::parse(&value_text).ok_or_else(|| {
                        bad(
                            &shown,
                            format!(
                                "sslmode `{value_text}` is not one of disable, prefer, require, verify-ca, verify-full"
                            ),
                        )
                    })?);
                }
                "sslrootcert" => {
                    if value_text.is_empty() {
                        return Err(bad(&shown, "sslrootcert is empty: name the CA file (PEM)"));
                    }
                    ssl_root_cert = Some(PathBuf::from(value_text));
                }
                "pool_max_size" => {
                    pool_max_size = value_text
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_POOL_MAX_SIZE).contains(n))
                        .ok_or_else(|| {
                            bad(
                                &shown,
                                format!(
                                    "pool_max_size `{value_text}` is not a number 1–{MAX_POOL_MAX_SIZE}"
                                ),
                            )
                        })?;
                }
                "sslcert" | "sslkey" | "sslcrl" | "sslpassword" | "sslcompression" | "sslsni" => {
                    return Err(bad(
                        &shown,
                        format!(
                            "parameter `{key}` is not supported by cardline (server-verified TLS with sslmode and sslrootcert is)"
                        ),
                    ));
                }
                _ => passed.push(pair),
            }
        }
        let ssl_mode = ssl_mode.unwrap_or_default();
        if matches!(ssl_mode, SslMode::VerifyCa | SslMode::VerifyFull) && ssl_root_cert.is_none() {
            return Err(bad(
                &shown,
                format!(
                    "sslmode={} needs the CA certificate that signed the server's: add &sslrootcert=/path/to/ca.pem",
                    ssl_mode.as_str()
                ),
            ));
        }
        let mut client_url = format!("{scheme}://{authority}{path}");
        if !passed.is_empty() {
            client_url.push('?');
            client_url.push_str(&passed.join("&"));
        }
        let url = DatabaseUrl {
            client_url,
            shown,
            password,
            host: percent_decode(host).unwrap_or_else(|| host.to_string()),
            database,
            ssl_mode,
            ssl_root_cert,
            pool_max_size,
        };
        // The client library checks the rest (parameter names and values) now, not at the
        // first connection.
        url.client_config()?;
        Ok(url)
    }

    /// The client library's configuration (TLS mode set by cardline, see [`crate::tls`]).
    pub(crate) fn client_config(&self) -> Result<postgres::Config, PostgresError> {
        let mut config: postgres::Config = self
            .client_url
            .parse()
            .map_err(|e: postgres::Error| bad(&self.shown, self.scrub(&e.to_string())))?;
        config.ssl_mode(match self.ssl_mode {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                postgres::config::SslMode::Require
            }
        });
        if config.get_application_name().is_none() {
            config.application_name("cardline");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        Ok(config)
    }

    /// `text` with the password (as given and %-decoded) replaced by `***`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        match &self.password {
            Some(pw) if !pw.is_empty() => text.replace(pw.as_str(), "***"),
            _ => text.to_string(),
        }
    }

    /// The URL with the password hidden (what errors and logs show).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The host name of the URL.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The database name.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The TLS mode.
    pub fn ssl_mode(&self) -> SslMode {
        self.ssl_mode
    }

    /// The CA file server certificates must chain to, when given.
    pub fn ssl_root_cert(&self) -> Option<&std::path::Path> {
        self.ssl_root_cert.as_deref()
    }

    /// The most connections a store handle opens.
    pub fn pool_max_size(&self) -> u32 {
        self.pool_max_size
    }

    /// The same server and settings with another database (tests make and drop databases
    /// through the `postgres` database).
    pub fn with_database(&self, database: &str) -> Result<DatabaseUrl, PostgresError> {
        let mut url = self.clone();
        let swap = |u: &str| -> String {
            let (head, query) = match u.split_once('?') {
                Some((h, q)) => (h, Some(q)),
                None => (u, None),
            };
            let base = match head.find("://").map(|i| i + 3) {
                Some(start) => match head[start..].find('/') {
                    Some(slash) => &head[..start + slash],
                    None => head,
                },
                None => head,
            };
            match query {
                Some(q) => format!("{base}/{database}?{q}"),
                None => format!("{base}/{database}"),
            }
        };
        url.client_url = swap(&self.client_url);
        url.shown = swap(&self.shown);
        url.database = database.to_string();
        url.client_config()?;
        Ok(url)
    }
}

/// Splits `host[:port]` (IPv6 in brackets: `[::1]:5432`).
fn split_host_port(hostport: &str) -> (&str, Option<&str>) {
    if let Some(rest) = hostport.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((h, tail)) => (h, tail.strip_prefix(':')),
            None => (hostport, None),
        };
    }
    match hostport.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (hostport, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        DatabaseUrl::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn a_good_url_keeps_its_parts_and_hides_the_password() {
        let url = DatabaseUrl::parse(
            "postgres://desk:s3cr%40t@db.example:6543/cardline?sslmode=verify-full&sslrootcert=/etc/ca.pem&application_name=desk1&pool_max_size=4",
        )
        .unwrap();
        assert_eq!(url.host(), "db.example");
        assert_eq!(url.database(), "cardline");
        assert_eq!(url.ssl_mode(), SslMode::VerifyFull);
        assert_eq!(
            url.ssl_root_cert(),
            Some(std::path::Path::new("/etc/ca.pem"))
        );
        assert_eq!(url.pool_max_size(), 4);
        let shown = format!("{url} {url:?}");
        assert!(!shown.contains("s3cr"), "{shown}");
        assert!(
            shown.contains("desk:***@db.example:6543/cardline"),
            "{shown}"
        );
        let config = url.client_config().unwrap();
        assert_eq!(config.get_password(), Some(&b"s3cr@t"[..]));
        assert_eq!(config.get_application_name(), Some("desk1"));
        assert_eq!(config.get_dbname(), Some("cardline"));
        assert_eq!(url.scrub("auth failed for s3cr@t"), "auth failed for ***");
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/d").unwrap().ssl_mode(),
            SslMode::Prefer
        );
    }

    #[test]
    fn bad_urls_say_what_is_wrong_without_the_password() {
        let cases = [
            ("mysql://u:hunter2@h/d", "scheme is `mysql`"),
            ("localhost:5432", "does not start with postgres://"),
            ("postgres://u:hunter2@:5432/d", "no host"),
            ("postgres://u:hunter2@h:99999/d", "port `99999`"),
            ("postgres://u:hunter2@h:5432", "no database name"),
            ("postgres://:hunter2@h/d", "no user name"),
            (
                "postgres://u:hunter2@h/d?sslmode=maybe",
                "sslmode `maybe` is not one of",
            ),
            (
                "postgres://u:hunter2@h/d?sslmode=verify-full",
                "add &sslrootcert=",
            ),
            (
                "postgres://u:hunter2@h/d?pool_max_size=0",
                "pool_max_size `0`",
            ),
            (
                "postgres://u:hunter2@h/d?sslcert=/c.pem",
                "`sslcert` is not supported",
            ),
            ("postgres://u:hunter2@h/d?colour=blue", "colour"),
            ("postgres://u:hunter2@h/d?sslmode", "has no value"),
            ("postgres://u:hun%zzter2@h/d", "malformed %-escape"),
        ];
        for (url, want) in cases {
            let e = err(url);
            assert!(e.contains(want), "{url}: {e}");
            assert!(!e.contains("hunter2"), "{url}: the password leaked: {e}");
            assert!(e.starts_with("bad database URL"), "{e}");
        }
        let long = format!("postgres://u@h/{}", "d".repeat(5000));
        assert!(err(&long).contains("at most 4096"));
    }

    #[test]
    fn another_database_on_the_same_server() {
        let url = DatabaseUrl::parse("postgres://u:pw@h:1/postgres?sslmode=disable").unwrap();
        let other = url.with_database("cardline_t1").unwrap();
        assert_eq!(other.database(), "cardline_t1");
        assert_eq!(
            other.shown(),
            "postgres://u:***@h:1/cardline_t1?sslmode=disable"
        );
        assert_eq!(
            other.client_config().unwrap().get_dbname(),
            Some("cardline_t1")
        );
        assert!(is_postgres_url(" postgresql://x") && !is_postgres_url("/home/a/cardline.db"));
        let v6 = DatabaseUrl::parse("postgres://u@[::1]:5433/d").unwrap();
        assert_eq!(v6.host(), "::1");
    }
}
