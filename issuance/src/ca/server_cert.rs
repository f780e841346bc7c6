//! A TLS server certificate for `cardline serve`, issued by the home's CA (`cardline ca
//! server-cert --host NAME --out-dir DIR`): browsers and API clients that trust the CA
//! certificate (`ca/ca.crt`) then trust the console without a CA of their own.
//!
//! The certificate names the hosts in its subjectAltName (DNS names or IP addresses), is for
//! server authentication only (EKU serverAuth, not a CA), valid 397 days (at most until the
//! CA ends); its P-256 key is new and written only to `server-key.pem` (mode 0600).

use std::path::{Path, PathBuf};

use rcgen::{
    CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use super::CaError;
use super::local::{BACKDATE, LocalCa, random_serial, signing};

/// How long a server certificate is valid (the browsers' limit for public ones).
pub const SERVER_CERT_VALIDITY: Duration = Duration::days(397);
/// At most this many host names in one certificate.
pub const MAX_SERVER_HOSTS: usize = 32;
/// The certificate chain file written by [`ServerCert::write`].
pub const SERVER_CERT_FILE: &str = "server.pem";
/// The private key file written by [`ServerCert::write`] (mode 0600).
pub const SERVER_KEY_FILE: &str = "server-key.pem";

/// An issued server certificate with its key (the key never shows in `Debug`).
pub struct ServerCert {
    /// The chain (PEM): the server certificate, then the CA certificate.
    pub chain_pem: String,
    key_pem: Zeroizing<String>,
    /// The host names it is for.
    pub hosts: Vec<String>,
    /// End of validity.
    pub not_after: OffsetDateTime,
}

impl std::fmt::Debug for ServerCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerCert")
            .field("hosts", &self.hosts)
            .field("not_after", &self.not_after)
            .field("key", &"***")
            .finish()
    }
}

fn bad_host(why: String) -> CaError {
    CaError::BadProfile {
        profile: "server certificate".into(),
        why,
    }
}

/// The subjectAltName entry of `host`: an IP address, or a DNS name (letters, digits, `-`,
/// `.`, at most 253 characters; a leading `*.` for a wildcard).
fn san(host: &str) -> Result<SanType, CaError> {
    if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse() {
        return Ok(SanType::IpAddress(ip));
    }
    let body = host.strip_prefix("*.").unwrap_or(host);
    let ok = !body.is_empty()
        && host.len() <= 253
        && body.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !ok {
        return Err(bad_host(format!(
            "`{}` is not a host name or IP address (labels of letters, digits and `-`, separated by `.`; no port)",
            host.chars().take(80).collect::<String>()
        )));
    }
    let name = rcgen::string::Ia5String::try_from(host.to_ascii_lowercase())
        .map_err(|e| bad_host(format!("`{host}`: {e}")))?;
    Ok(SanType::DnsName(name))
}

impl LocalCa {
    /// Issues a server certificate for `hosts` (1 to [`MAX_SERVER_HOSTS`]) with a new P-256
    /// key, signed by this CA.
    pub fn issue_server_cert(&self, hosts: &[String]) -> Result<ServerCert, CaError> {
        if hosts.is_empty() || hosts.len() > MAX_SERVER_HOSTS {
            return Err(bad_host(format!(
                "give 1 to {MAX_SERVER_HOSTS} host names (--host NAME), not {}",
                hosts.len()
            )));
        }
        let sans = hosts
            .iter()
            .map(|h| san(h.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        let now = OffsetDateTime::now_utc();
        if self.not_after() <= now + Duration::days(1) {
            return Err(CaError::BadValidity {
                not_after: self.not_after().to_string(),
                why: format!(
                    "the CA `{}` ends within a day: renew the CA first",
                    self.subject()
                ),
            });
        }
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(signing)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, hosts[0].trim().to_string());
        params.subject_alt_names = sans;
        params.not_before = now - BACKDATE;
        params.not_after = (now + SERVER_CERT_VALIDITY).min(self.not_after());
        params.serial_number = Some(random_serial()?);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, self.issuer()).map_err(signing)?;
        tracing::info!(hosts = %hosts.join(", "), "server certificate issued");
        Ok(ServerCert {
            chain_pem: format!("{}{}", cert.pem(), self.certificate_pem()),
            key_pem: Zeroizing::new(key.serialize_pem()),
            hosts: hosts.iter().map(|h| h.trim().to_string()).collect(),
            not_after: params.not_after,
        })
    }
}

impl ServerCert {
    /// The private key (PEM, PKCS#8).
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// Writes [`SERVER_CERT_FILE`] (mode 0644) and [`SERVER_KEY_FILE`] (mode 0600) in `dir`
    /// (created if missing); refuses to overwrite either. Returns (certificate, key) paths.
    pub fn write(&self, dir: &Path) -> Result<(PathBuf, PathBuf), CaError> {
        std::fs::create_dir_all(dir).map_err(|source| CaError::Io {
            operation: "creating the directory",
            path: dir.to_path_buf(),
            source,
        })?;
        let (cert, key) = (dir.join(SERVER_CERT_FILE), dir.join(SERVER_KEY_FILE));
        for p in [&cert, &key] {
            if p.exists() {
                return Err(CaError::Io {
                    operation: "writing (it exists and is never overwritten: move it away first)",
                    path: p.clone(),
                    source: std::io::ErrorKind::AlreadyExists.into(),
                });
            }
        }
        crate::secrets::write_private_file(&key, self.key_pem.as_bytes())?;
        crate::secrets::write_public_file(&cert, self.chain_pem.as_bytes())?;
        Ok((cert, key))
    }
}

/// What `cardline serve --tls-from-ca` finds in its certificate directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerCertOnDisk {
    /// No certificate there yet.
    Missing,
    /// A certificate of this CA, for every host asked, valid long enough: served again.
    Reusable {
        /// End of its validity.
        not_after: OffsetDateTime,
    },
    /// A certificate that cannot be served again, and why (it is kept aside, a new one issued).
    Stale(String),
}

impl LocalCa {
    /// Checks the server certificate in `dir` ([`SERVER_CERT_FILE`] and [`SERVER_KEY_FILE`])
    /// against `hosts` and this CA: it is reusable when the chain's second certificate is this
    /// CA's, the leaf was issued by it, names every host in its subjectAltName and stays valid
    /// for at least `margin` more.
    pub fn check_server_cert(
        &self,
        dir: &Path,
        hosts: &[String],
        margin: Duration,
    ) -> Result<ServerCertOnDisk, CaError> {
        let (cert, key) = (dir.join(SERVER_CERT_FILE), dir.join(SERVER_KEY_FILE));
        match (cert.exists(), key.exists()) {
            (false, false) => return Ok(ServerCertOnDisk::Missing),
            (true, true) => {}
            _ => {
                return Ok(ServerCertOnDisk::Stale(format!(
                    "only one of {SERVER_CERT_FILE} and {SERVER_KEY_FILE} is in {}",
                    dir.display()
                )));
            }
        }
        let text = std::fs::read(&cert).map_err(|source| CaError::Io {
            operation: "reading",
            path: cert.clone(),
            source,
        })?;
        let pems: Vec<_> = x509_parser::pem::Pem::iter_from_buffer(&text)
            .take(8)
            .filter_map(Result::ok)
            .collect();
        let Some(leaf_pem) = pems.first() else {
            return Ok(ServerCertOnDisk::Stale(format!(
                "{} holds no certificate",
                cert.display()
            )));
        };
        let (_, ca_pem) = x509_parser::pem::parse_x509_pem(self.certificate_pem().as_bytes())
            .map_err(|e| CaError::Corrupt {
                path: PathBuf::from(super::CA_CERT_FILE),
                why: format!("the CA certificate is not PEM: {e}"),
            })?;
        if pems.get(1).map(|p| &p.contents) != Some(&ca_pem.contents) {
            return Ok(ServerCertOnDisk::Stale(
                "its chain is not this CA's (the CA was replaced)".into(),
            ));
        }
        let Ok(leaf) = leaf_pem.parse_x509() else {
            return Ok(ServerCertOnDisk::Stale(format!(
                "{} is not a certificate",
                cert.display()
            )));
        };
        if leaf.issuer().to_string() != self.subject() {
            return Ok(ServerCertOnDisk::Stale(format!(
                "it was issued by `{}`, not by this CA `{}`",
                leaf.issuer(),
                self.subject()
            )));
        }
        let named: Vec<String> = leaf
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|san| {
                san.value
                    .general_names
                    .iter()
                    .filter_map(|n| match n {
                        x509_parser::extensions::GeneralName::DNSName(d) => {
                            Some(d.to_ascii_lowercase())
                        }
                        x509_parser::extensions::GeneralName::IPAddress(b) => ip_text(b),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        for host in hosts {
            let want = host
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_ascii_lowercase();
            let want = want
                .parse::<std::net::IpAddr>()
                .map(|ip| ip.to_string())
                .unwrap_or(want);
            if !named.contains(&want) {
                return Ok(ServerCertOnDisk::Stale(format!(
                    "it does not name `{host}` (it names {})",
                    named.join(", ")
                )));
            }
        }
        let not_after = OffsetDateTime::from_unix_timestamp(leaf.validity().not_after.timestamp())
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        if not_after < OffsetDateTime::now_utc() + margin {
            return Ok(ServerCertOnDisk::Stale(format!(
                "it ends {not_after}, within {} days",
                margin.whole_days()
            )));
        }
        Ok(ServerCertOnDisk::Reusable { not_after })
    }
}

/// An IP address of a subjectAltName (4 or 16 bytes) as text.
fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => Some(std::net::IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?).to_string()),
        16 => Some(std::net::IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?).to_string()),
        _ => None,
    }
}
