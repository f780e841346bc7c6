//! Desk CA certificates in the store (docs/key-hierarchy.md): recorded when the root certifies
//! one (`ca desk-init`) or a desk installs one (`ca desk-import`), revoked alone
//! (`ca desk-revoke`), listed with their reason on the root's CRL, and refused for issuing
//! once revoked: the store checks the issuing CA of every attempt that encodes with the feed's
//! intent ([`crate::store::StoreError::IssuerRevoked`]), before any blank is fed.

use serde::{Deserialize, Serialize};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::CaError;

/// One desk CA certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskCaRecord {
    /// The desk's name.
    pub desk: String,
    /// Serial number, hex.
    pub serial: String,
    /// SHA-256 of the certificate DER, hex.
    pub fingerprint: String,
    /// The issuer key id attempts record (`ca-` + 16 hex digits of the fingerprint).
    pub issuer_id: String,
    /// The certificate's subject (`CN=…`).
    pub subject: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// When the store recorded it (set by the store).
    pub recorded_at: String,
    /// The certificate DER, hex.
    pub der: String,
    /// When it was revoked (`None`: not revoked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// Why ([`super::revocation::RevocationReason`] stored name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<String>,
}

/// The issuer key id of a CA certificate of SHA-256 `fingerprint` (hex), as attempts record it.
pub fn issuer_id_of(fingerprint: &str) -> String {
    format!("ca-{}", &fingerprint[..fingerprint.len().min(16)])
}

impl DeskCaRecord {
    /// The record of `desk`'s CA certificate `der` (not yet stored, not revoked).
    pub fn new(desk: &str, der: &[u8]) -> Result<Self, CaError> {
        let (_, cert) = X509Certificate::from_der(der).map_err(|e| CaError::BadProfile {
            profile: "desk CA certificate".into(),
            why: e.to_string(),
        })?;
        let fingerprint = super::sha256_hex(der);
        Ok(DeskCaRecord {
            desk: desk.to_string(),
            serial: hex::encode(cert.raw_serial()),
            issuer_id: issuer_id_of(&fingerprint),
            fingerprint,
            subject: cert.subject().to_string(),
            not_after: cert
                .validity()
                .not_after
                .to_datetime()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            recorded_at: String::new(),
            der: hex::encode(der),
            revoked_at: None,
            revocation_reason: None,
        })
    }

    /// The record of `desk`'s CA certificate in PEM.
    pub fn from_pem(desk: &str, pem: &str) -> Result<Self, CaError> {
        let (_, parsed) =
            x509_parser::pem::parse_x509_pem(pem.as_bytes()).map_err(|e| CaError::BadProfile {
                profile: "desk CA certificate".into(),
                why: format!("not PEM ({e})"),
            })?;
        Self::new(desk, &parsed.contents)
    }
}

impl DeskCaRecord {
    /// The record of `desk`'s CA certificate `pem` after checking that it is that desk's CA
    /// (`CN=cardline desk DESK issuing CA`) and that the root `root_pem` signed it: for a desk
    /// CA made before cardline recorded them, revoked with `ca desk-revoke --cert`.
    pub fn from_pem_issued_by(desk: &str, pem: &str, root_pem: &str) -> Result<Self, CaError> {
        let bad = |why: String| CaError::BadProfile {
            profile: "desk CA certificate".into(),
            why,
        };
        let record = Self::from_pem(desk, pem)?;
        let expected = format!("CN=cardline desk {desk} issuing CA");
        if record.subject != expected {
            return Err(bad(format!(
                "it is `{}`, not the CA of desk {desk} (`{expected}`)",
                record.subject
            )));
        }
        let (_, root) = x509_parser::pem::parse_x509_pem(root_pem.as_bytes())
            .map_err(|e| bad(format!("the root certificate is not PEM ({e})")))?;
        let (_, root) = X509Certificate::from_der(&root.contents)
            .map_err(|e| bad(format!("the root certificate: {e}")))?;
        let der = hex::decode(&record.der).map_err(|_| bad("not hex".into()))?;
        let (_, cert) = X509Certificate::from_der(&der).map_err(|e| bad(e.to_string()))?;
        cert.verify_signature(Some(root.public_key())).map_err(|_| {
            bad(format!(
                "it is not signed by this home's CA `{}`: run desk-revoke on the administrator's \
                 home that holds the office's root",
                root.subject()
            ))
        })?;
        Ok(record)
    }
}

/// Which CA certificates of `desk` (among every recorded one, `all`) `ca desk-revoke`
/// revokes: those not yet revoked. Refuses an unknown desk and a desk already revoked
/// (backend-neutral: every store applies it inside the revoking transaction).
pub fn to_revoke<'a>(
    desk: &str,
    all: &'a [DeskCaRecord],
) -> Result<Vec<&'a DeskCaRecord>, crate::store::StoreError> {
    let of_desk: Vec<&DeskCaRecord> = all.iter().filter(|r| r.desk == desk).collect();
    let Some(newest) = of_desk.last() else {
        let mut known: Vec<&str> = all.iter().map(|r| r.desk.as_str()).collect();
        known.dedup();
        return Err(crate::store::StoreError::UnknownDeskCa {
            desk: desk.to_string(),
            known: if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            },
        });
    };
    let open: Vec<&DeskCaRecord> = of_desk
        .iter()
        .copied()
        .filter(|r| r.revoked_at.is_none())
        .collect();
    if open.is_empty() {
        return Err(crate::store::StoreError::DeskCaAlreadyRevoked {
            desk: desk.to_string(),
            serial: newest.serial.clone(),
            revoked: when_and_why(newest),
        });
    }
    Ok(open)
}

/// The refusal of an attempt whose issuing CA is the revoked desk CA `revoked`.
pub fn issuer_revoked(revoked: &DeskCaRecord) -> crate::store::StoreError {
    crate::store::StoreError::IssuerRevoked {
        desk: revoked.desk.clone(),
        issuer: revoked.issuer_id.clone(),
        revoked: when_and_why(revoked),
    }
}

/// `TIME (reason)` of a revoked record.
fn when_and_why(r: &DeskCaRecord) -> String {
    format!(
        "{} ({})",
        r.revoked_at.as_deref().unwrap_or("an unknown time"),
        reason_name(r.revocation_reason.as_deref())
    )
}

/// The RFC 5280 name of a stored reason (`keyCompromise`), or `no reason recorded`.
pub fn reason_name(stored: Option<&str>) -> String {
    stored
        .and_then(super::revocation::RevocationReason::parse)
        .map(|r| r.crl_name().to_string())
        .unwrap_or_else(|| "no reason recorded".into())
}

/// The audit text of a desk CA revocation.
pub fn revoke_note(
    desk: &str,
    reason: super::revocation::RevocationReason,
    revoked: &[&DeskCaRecord],
) -> String {
    let serials: Vec<&str> = revoked.iter().map(|r| r.serial.as_str()).collect();
    let ids: Vec<&str> = revoked.iter().map(|r| r.issuer_id.as_str()).collect();
    format!(
        "desk {desk}: CA certificate serial {} ({}) revoked, {}",
        serials.join(", "),
        ids.join(", "),
        reason.crl_name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_desk_ca_record_names_its_serial_fingerprint_and_issuer_id() {
        let dir = tempfile::tempdir().unwrap();
        let store: std::sync::Arc<dyn crate::store::CertificateIndex> =
            std::sync::Arc::new(crate::store::sqlite::SqliteStore::open_in_memory().unwrap());
        let station = crate::secrets::StationKey::generate().unwrap();
        let root = super::super::LocalCa::init(
            &dir.path().join("ca"),
            "Root",
            super::super::CaKeyAlgorithm::P256,
            &station,
            store,
        )
        .unwrap();
        let bundle = root
            .issue_desk_ca("desk-1", super::super::CaKeyAlgorithm::P256)
            .unwrap();
        let record = DeskCaRecord::from_pem("desk-1", &bundle.cert_pem).unwrap();
        assert_eq!(record.fingerprint, bundle.fingerprint());
        assert_eq!(
            record.issuer_id,
            format!("ca-{}", &record.fingerprint[..16])
        );
        assert_eq!(record.serial.len(), 32, "{record:?}");
        assert!(record.subject.contains("cardline desk desk-1 issuing CA"));
        assert!(DeskCaRecord::from_pem("desk-1", "not a certificate").is_err());
    }
}
