//! [`LocalCa`]: the built-in issuing CA (rcgen, ring backend).

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PublicKeyData, SerialNumber,
};
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{FromDer, X509Certificate};
use zeroize::Zeroizing;

use super::index::{IssuedIndex, IssuedRecord};
use super::key_file::{read_sealed_key, write_sealed_key};
use super::profile::check_public_key;
use super::{CaError, CertificateAuthority, IssueRequest, IssuedCertificate, sha256_hex};
use crate::secrets::{SecretsError, StationKey, create_private_dir};
use crate::store::CertificateIndex;
use std::sync::Arc;

/// The CA certificate (PEM) inside the CA directory.
pub const CA_CERT_FILE: &str = "ca.crt";
/// The sealed CA private key inside the CA directory.
pub const CA_KEY_FILE: &str = "ca.key.sealed";

/// Certificates start this long before they are issued, so a card works at once on a host
/// whose clock is a little behind.
pub(super) const BACKDATE: Duration = Duration::minutes(5);
/// Validity of a new CA certificate.
const CA_VALIDITY: Duration = Duration::days(10 * 365);

/// The CA key algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CaKeyAlgorithm {
    /// ECDSA P-256 with SHA-256 (default).
    #[default]
    P256,
    /// ECDSA P-384 with SHA-384.
    P384,
}

impl CaKeyAlgorithm {
    /// The name used on the command line and in the key envelope: `p256`, `p384`.
    pub fn name(self) -> &'static str {
        match self {
            CaKeyAlgorithm::P256 => "p256",
            CaKeyAlgorithm::P384 => "p384",
        }
    }
    /// Parses `p256`/`p384` (also `P-256`, `P-384`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().replace('-', "").as_str() {
            "p256" => Some(CaKeyAlgorithm::P256),
            "p384" => Some(CaKeyAlgorithm::P384),
            _ => None,
        }
    }
    pub(super) fn rcgen(self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            CaKeyAlgorithm::P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            CaKeyAlgorithm::P384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        }
    }
}

/// A local issuing CA kept in one directory (see the [module docs](super)).
pub struct LocalCa {
    dir: PathBuf,
    pub(super) cert_der: Vec<u8>,
    cert_pem: String,
    subject: String,
    algorithm: CaKeyAlgorithm,
    not_after: OffsetDateTime,
    pub(super) issuer: Issuer<'static, KeyPair>,
    index: IssuedIndex,
}

impl std::fmt::Debug for LocalCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCa")
            .field("dir", &self.dir)
            .field("subject", &self.subject)
            .field("algorithm", &self.algorithm)
            .field("key", &"***")
            .finish()
    }
}

pub(super) fn random_serial() -> Result<SerialNumber, CaError> {
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial).map_err(|e| SecretsError::Random {
        detail: e.to_string(),
    })?;
    // Positive, and always 16 bytes long.
    serial[0] = (serial[0] & 0x7f) | 0x40;
    Ok(SerialNumber::from_slice(&serial))
}

/// What `cardline ca show` reports about a local CA (no secret in it).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CaSummary {
    /// The CA directory.
    pub dir: String,
    /// The CA subject.
    pub subject: String,
    /// Key algorithm (`p256`, `p384`).
    pub algorithm: String,
    /// Serial number of the CA certificate, hex.
    pub serial: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// SHA-256 of the CA certificate DER, hex.
    pub fingerprint: String,
    /// Certificates issued so far.
    pub issued: usize,
    /// The CA certificate, PEM.
    pub certificate_pem: String,
}

fn read_certificate(path: &Path) -> Result<(String, Vec<u8>), CaError> {
    let pem_text = std::fs::read_to_string(path).map_err(|source| CaError::Io {
        operation: "reading",
        path: path.to_path_buf(),
        source,
    })?;
    let (_, pem) =
        x509_parser::pem::parse_x509_pem(pem_text.as_bytes()).map_err(|e| CaError::Corrupt {
            path: path.to_path_buf(),
            why: format!("not a PEM certificate ({e})"),
        })?;
    Ok((pem_text, pem.contents))
}

pub(super) fn signing(e: rcgen::Error) -> CaError {
    CaError::Signing {
        detail: e.to_string(),
    }
}

impl LocalCa {
    /// True when `dir` holds a CA (certificate or key file).
    pub fn exists(dir: &Path) -> bool {
        dir.join(CA_CERT_FILE).exists() || dir.join(CA_KEY_FILE).exists()
    }

    /// Creates a CA in `dir`: a new key (sealed under `station`, mode 0600) and a self-signed
    /// CA certificate named `name`, valid 10 years, recording what it issues in `index`.
    /// Refuses when a CA exists there.
    pub fn init(
        dir: &Path,
        name: &str,
        algorithm: CaKeyAlgorithm,
        station: &StationKey,
        index: Arc<dyn CertificateIndex>,
    ) -> Result<Self, CaError> {
        if Self::exists(dir) {
            return Err(CaError::AlreadyExists {
                dir: dir.to_path_buf(),
            });
        }
        let chars = name.trim().chars().count();
        if chars == 0 || chars > super::limits::MAX_CA_NAME_LEN {
            return Err(CaError::BadProfile {
                profile: "CA name".into(),
                why: format!(
                    "`{}` is {chars} characters: a CA name is 1–{} characters (the X.509 bound of a common name)",
                    name.chars().take(80).collect::<String>(),
                    super::limits::MAX_CA_NAME_LEN
                ),
            });
        }
        create_private_dir(dir)?;
        let key = KeyPair::generate_for(algorithm.rcgen()).map_err(signing)?;
        let now = OffsetDateTime::now_utc();
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.not_before = now - BACKDATE;
        params.not_after = now + CA_VALIDITY;
        params.serial_number = Some(random_serial()?);
        // Path length 1: the root may certify desk CAs (path length 0 each), never deeper.
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(1));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).map_err(signing)?;
        let pkcs8 = Zeroizing::new(key.serialize_der());
        write_sealed_key(&dir.join(CA_KEY_FILE), &pkcs8, algorithm.name(), station)?;
        let cert_pem = cert.pem();
        write_certificate(&dir.join(CA_CERT_FILE), &cert_pem)?;
        tracing::info!(dir = %dir.display(), name, algorithm = algorithm.name(), "local CA created");
        Ok(Self {
            dir: dir.to_path_buf(),
            cert_der: cert.der().to_vec(),
            cert_pem,
            subject: format!("CN={name}"),
            algorithm,
            not_after: params.not_after,
            issuer: Issuer::new(params, key),
            index: IssuedIndex::new(index),
        })
    }

    /// Opens the CA in `dir`, decrypting its key with `station`, recording what it issues in
    /// `index` (a legacy `issued.jsonl` in `dir` is imported into it once).
    pub fn load(
        dir: &Path,
        station: &StationKey,
        index: Arc<dyn CertificateIndex>,
    ) -> Result<Self, CaError> {
        let cert_path = dir.join(CA_CERT_FILE);
        if !Self::exists(dir) {
            return Err(CaError::NotInitialised {
                dir: dir.to_path_buf(),
            });
        }
        let corrupt = |why: String| CaError::Corrupt {
            path: cert_path.clone(),
            why,
        };
        let (cert_pem, cert_der) = read_certificate(&cert_path)?;
        let (pkcs8, algorithm_name) = read_sealed_key(&dir.join(CA_KEY_FILE), station)?;
        let algorithm = CaKeyAlgorithm::parse(&algorithm_name)
            .ok_or_else(|| corrupt(format!("unknown key algorithm `{algorithm_name}`")))?;
        let key =
            KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8.as_slice().into(), algorithm.rcgen())
                .map_err(|e| CaError::Corrupt {
                    path: dir.join(CA_KEY_FILE),
                    why: format!("sealed key is not a {algorithm_name} PKCS#8 key ({e})"),
                })?;
        let (_, x509) = X509Certificate::from_der(&cert_der).map_err(|e| corrupt(e.to_string()))?;
        if x509.tbs_certificate.subject_pki.raw != key.subject_public_key_info().as_slice() {
            return Err(corrupt(
                "the certificate does not belong to the sealed key".into(),
            ));
        }
        let subject = x509.subject().to_string();
        let not_after = x509.validity().not_after.to_datetime();
        let issuer =
            Issuer::from_ca_cert_pem(&cert_pem, key).map_err(|e| corrupt(e.to_string()))?;
        let index = IssuedIndex::new(index);
        index.import_legacy(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            cert_der,
            cert_pem,
            subject,
            algorithm,
            not_after,
            issuer,
            index,
        })
    }

    /// Describes the CA in `dir` from its certificate and the store's index, without opening
    /// its key (for `cardline ca show` on a station without the station key).
    pub fn summary(dir: &Path, index: &dyn CertificateIndex) -> Result<CaSummary, CaError> {
        if !Self::exists(dir) {
            return Err(CaError::NotInitialised {
                dir: dir.to_path_buf(),
            });
        }
        let cert_path = dir.join(CA_CERT_FILE);
        let (certificate_pem, der) = read_certificate(&cert_path)?;
        let (_, x509) = X509Certificate::from_der(&der).map_err(|e| CaError::Corrupt {
            path: cert_path.clone(),
            why: e.to_string(),
        })?;
        let curve = x509
            .public_key()
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        let algorithm = match curve {
            Some(c) if c == x509_parser::oid_registry::OID_EC_P256 => "p256",
            Some(c) if c == x509_parser::oid_registry::OID_NIST_EC_P384 => "p384",
            _ => "unknown",
        };
        let rfc3339 = |t: x509_parser::time::ASN1Time| {
            t.to_datetime()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        };
        Ok(CaSummary {
            dir: dir.display().to_string(),
            subject: x509.subject().to_string(),
            algorithm: algorithm.into(),
            serial: hex::encode(x509.raw_serial()),
            not_before: rfc3339(x509.validity().not_before),
            not_after: rfc3339(x509.validity().not_after),
            fingerprint: sha256_hex(&der),
            issued: index.issued_count().map_err(|e| CaError::Index {
                detail: e.to_string(),
            })? as usize,
            certificate_pem,
        })
    }

    /// The CA directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// The CA certificate, PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.cert_pem
    }
    /// The CA subject, e.g. `CN=Example CA`.
    pub fn subject(&self) -> &str {
        &self.subject
    }
    /// The CA key algorithm.
    pub fn algorithm(&self) -> CaKeyAlgorithm {
        self.algorithm
    }
    /// End of the CA certificate's validity.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }
    /// SHA-256 of the CA certificate DER, hex.
    pub fn fingerprint(&self) -> String {
        sha256_hex(&self.cert_der)
    }
    /// The CA certificate (DER).
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    pub(super) fn issuer(&self) -> &Issuer<'static, KeyPair> {
        &self.issuer
    }

    /// Every certificate issued so far, oldest first.
    pub fn issued(&self) -> Result<Vec<IssuedRecord>, CaError> {
        self.index.records()
    }

    /// Every desk CA certificate the store records (of every root sharing it), oldest first.
    pub fn desk_cas(&self) -> Result<Vec<super::DeskCaRecord>, CaError> {
        self.index.desk_cas()
    }

    fn sign(
        &self,
        request: &IssueRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<IssuedRecord, CaError> {
        let profile = request.profile;
        let spki = rcgen::SubjectPublicKeyInfo::from_der(request.public_key_spki)
            .map_err(|e| CaError::BadPublicKey { why: e.to_string() })?;
        let mut params = CertificateParams::default();
        params.distinguished_name = profile.subject_for(request.card_number)?;
        params.not_before = now - BACKDATE;
        params.not_after = request.not_after;
        let serial = random_serial()?;
        params.serial_number = Some(serial.clone());
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = profile.key_usages()?;
        params.extended_key_usages = profile.extended_key_usages()?;
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&spki, &self.issuer).map_err(signing)?;
        let der = cert.der().to_vec();
        let rfc3339 = |t: OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        };
        Ok(IssuedRecord {
            spki_sha256: sha256_hex(request.public_key_spki),
            card_number: request.card_number.to_string(),
            profile: profile.name.clone(),
            chip_id: request.chip_id.map(str::to_string),
            serial: hex::encode(serial.to_bytes()),
            fingerprint: sha256_hex(&der),
            issued_at: rfc3339(now),
            not_after: rfc3339(request.not_after),
            der: hex::encode(&der),
            revoked_at: None,
            revocation_reason: None,
        })
    }
}

impl CertificateAuthority for LocalCa {
    fn ca_certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    fn issue(&self, request: &IssueRequest<'_>) -> Result<IssuedCertificate, CaError> {
        let profile = request.profile;
        check_public_key(request.public_key_spki, profile.algorithm)?;
        profile.validate()?;
        let now = OffsetDateTime::now_utc();
        let bad_validity = |why: String| CaError::BadValidity {
            not_after: request
                .not_after
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            why,
        };
        if request.not_after <= now {
            return Err(bad_validity("it is in the past".into()));
        }
        if request.not_after > self.not_after {
            return Err(bad_validity(format!(
                "the CA certificate ends {} (create a new CA)",
                self.not_after.date()
            )));
        }
        let issued = self.index.issue_once(
            &sha256_hex(request.public_key_spki),
            request.card_number,
            &profile.name,
            || self.sign(request, now),
        )?;
        tracing::info!(
            card = request.card_number,
            profile = %profile.name,
            serial = %issued.serial,
            recalled = issued.recalled,
            "certificate issued"
        );
        Ok(issued)
    }
}

/// Writes a certificate (PEM) to a new file `path`, mode 0644.
pub(super) fn write_certificate(path: &Path, pem: &str) -> Result<(), CaError> {
    Ok(crate::secrets::write_public_file(path, pem.as_bytes())?)
}
