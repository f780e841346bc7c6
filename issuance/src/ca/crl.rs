//! The CRL of a [`LocalCa`]: every certificate it issued that the store marks revoked
//! (docs/revocation.md) — card certificates, and on a root the desk CA certificates revoked by
//! `ca desk-revoke` — signed with the CA key (rcgen).

use rcgen::{CertificateRevocationListParams, KeyIdMethod, RevokedCertParams, SerialNumber};
use serde::Serialize;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::revocation::RevocationReason;
use super::{CaError, LocalCa};

/// A signed CRL.
#[derive(Clone, Debug, Serialize)]
pub struct Crl {
    /// PEM (`-----BEGIN X509 CRL-----`).
    pub pem: String,
    /// The CRL number (the issue time in Unix seconds, so later CRLs have larger numbers).
    pub crl_number: u64,
    /// Issue time, RFC 3339.
    pub this_update: String,
    /// When the next CRL is due, RFC 3339.
    pub next_update: String,
    /// Serials (hex) listed.
    pub revoked_serials: Vec<String>,
    /// The desks whose CA certificates (issued by this CA, a root) are listed.
    pub revoked_desk_cas: Vec<String>,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl LocalCa {
    /// Signs a CRL listing every revoked certificate this CA issued (certificates of other
    /// issuers sharing the store are left to their own CRL), valid from `now` for `validity`.
    pub fn crl(&self, now: OffsetDateTime, validity: time::Duration) -> Result<Crl, CaError> {
        let corrupt = |why: String| CaError::Corrupt {
            path: self.dir().join(super::CA_CERT_FILE),
            why,
        };
        let (_, ca) =
            X509Certificate::from_der(&self.cert_der).map_err(|e| corrupt(e.to_string()))?;
        let ours = ca.subject().as_raw().to_vec();
        let mut revoked_certs = Vec::new();
        let mut revoked_serials = Vec::new();
        for record in self.issued()? {
            let Some(at) = record.revoked_at.as_deref() else {
                continue;
            };
            let what = format!("certificate {} in the index", record.serial);
            let reason = record.revocation_reason.as_deref();
            if let Some((entry, serial)) = revoked_entry(&what, &record.der, at, reason, &ours)? {
                revoked_certs.push(entry);
                revoked_serials.push(serial);
            }
        }
        // A root: the desk CA certificates it certified and `ca desk-revoke` revoked.
        let mut revoked_desk_cas = Vec::new();
        for record in self.desk_cas()? {
            let Some(at) = record.revoked_at.as_deref() else {
                continue;
            };
            let what = format!("desk CA certificate {} in the store", record.serial);
            let reason = record.revocation_reason.as_deref();
            if let Some((entry, serial)) = revoked_entry(&what, &record.der, at, reason, &ours)? {
                revoked_certs.push(entry);
                revoked_serials.push(serial);
                revoked_desk_cas.push(record.desk.clone());
            }
        }
        let crl_number = now.unix_timestamp().max(1) as u64;
        let next = now + validity;
        let params = CertificateRevocationListParams {
            this_update: now,
            next_update: next,
            crl_number: SerialNumber::from(crl_number),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let crl = params
            .signed_by(&self.issuer)
            .map_err(|e| CaError::Signing {
                detail: e.to_string(),
            })?;
        Ok(Crl {
            pem: crl.pem().map_err(|e| CaError::Signing {
                detail: e.to_string(),
            })?,
            crl_number,
            this_update: rfc3339(now),
            next_update: rfc3339(next),
            revoked_serials,
            revoked_desk_cas,
        })
    }
}

/// The CRL entry of a revoked certificate (DER as hex, revoked `at` in RFC 3339, with its
/// reason) and its serial in hex, or `None` when another CA issued it (`ours`: this CA's raw
/// subject); `what` names the record in errors.
fn revoked_entry(
    what: &str,
    der_hex: &str,
    at: &str,
    reason: Option<&str>,
    ours: &[u8],
) -> Result<Option<(RevokedCertParams, String)>, CaError> {
    let index_error = |why: &str| CaError::Index {
        detail: format!("{what}: {why}"),
    };
    let der = hex::decode(der_hex).map_err(|_| index_error("DER is not hex"))?;
    let (_, cert) =
        X509Certificate::from_der(&der).map_err(|_| index_error("DER does not parse"))?;
    if cert.issuer().as_raw() != ours {
        return Ok(None);
    }
    let revocation_time = OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .map_err(|_| index_error("revocation time is not RFC 3339"))?;
    let entry = RevokedCertParams {
        serial_number: SerialNumber::from_slice(cert.raw_serial()),
        revocation_time,
        reason_code: reason
            .and_then(RevocationReason::parse)
            .map(RevocationReason::rcgen),
        invalidity_date: None,
    };
    Ok(Some((entry, hex::encode(cert.raw_serial()))))
}
