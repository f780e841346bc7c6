//! Certificate profiles: what a certificate for one card slot says (subject, key usage, EKUs),
//! and the checks on the on-card public key it certifies.

use cardline_device::{KeyAlgorithm, PivSlot};
use rcgen::{DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyUsagePurpose};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION,
};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::CaError;

/// Microsoft smart-card logon EKU (1.3.6.1.4.1.311.20.2.2).
const SMARTCARD_LOGON: [u64; 10] = [1, 3, 6, 1, 4, 1, 311, 20, 2, 2];

/// One certificate profile, as the options define it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertProfileSpec {
    /// The profile name the encoding plan refers to.
    pub name: String,
    /// The PIV slot the key lives in.
    pub slot: PivSlot,
    /// The key algorithm the card generates.
    pub algorithm: KeyAlgorithm,
    /// Subject template, e.g. `CN=Temporary card {card_number},O=Example,C=DE`; a template
    /// without `=` is the common name. Attributes: CN, O, OU, C, L, ST, serialNumber.
    pub subject: String,
    /// Key usages: digitalSignature, nonRepudiation (contentCommitment), keyEncipherment,
    /// dataEncipherment, keyAgreement.
    pub key_usage: Vec<String>,
    /// Extended key usages: clientAuth, serverAuth, emailProtection, codeSigning,
    /// timeStamping, smartcardLogon, or a dotted OID.
    pub extended_key_usage: Vec<String>,
}

impl CertProfileSpec {
    /// Checks the subject template and every usage name (call when the options are loaded).
    pub fn validate(&self) -> Result<(), CaError> {
        self.subject_for("0")?;
        self.key_usages()?;
        self.extended_key_usages()?;
        Ok(())
    }

    fn bad(&self, why: String) -> CaError {
        CaError::BadProfile {
            profile: self.name.clone(),
            why,
        }
    }

    /// The subject for one card.
    pub(crate) fn subject_for(&self, card_number: &str) -> Result<DistinguishedName, CaError> {
        render_subject(&self.subject, card_number).map_err(|why| self.bad(why))
    }

    pub(crate) fn key_usages(&self) -> Result<Vec<KeyUsagePurpose>, CaError> {
        self.key_usage
            .iter()
            .map(|name| {
                Ok(match normalise(name).as_str() {
                    "digitalsignature" => KeyUsagePurpose::DigitalSignature,
                    "nonrepudiation" | "contentcommitment" => KeyUsagePurpose::ContentCommitment,
                    "keyencipherment" => KeyUsagePurpose::KeyEncipherment,
                    "dataencipherment" => KeyUsagePurpose::DataEncipherment,
                    "keyagreement" => KeyUsagePurpose::KeyAgreement,
                    _ => return Err(self.bad(format!("unknown key usage `{name}`"))),
                })
            })
            .collect()
    }

    pub(crate) fn extended_key_usages(&self) -> Result<Vec<ExtendedKeyUsagePurpose>, CaError> {
        self.extended_key_usage
            .iter()
            .map(|name| {
                extended_key_usage_oid(name)
                    .map(ExtendedKeyUsagePurpose::Other)
                    .ok_or_else(|| self.bad(format!("unknown extended key usage `{name}`")))
            })
            .collect()
    }
}

/// The OID arcs of an extended key usage name (`clientAuth`, `smartcardLogon` …) or of a
/// dotted OID; `None` when unknown.
pub fn extended_key_usage_oid(name: &str) -> Option<Vec<u64>> {
    let kp = |n: u64| vec![1, 3, 6, 1, 5, 5, 7, 3, n];
    Some(match normalise(name).as_str() {
        "serverauth" => kp(1),
        "clientauth" => kp(2),
        "codesigning" => kp(3),
        "emailprotection" => kp(4),
        "timestamping" => kp(8),
        "smartcardlogon" | "mssmartcardlogin" => SMARTCARD_LOGON.to_vec(),
        _ => {
            let arcs: Option<Vec<u64>> = name.trim().split('.').map(|a| a.parse().ok()).collect();
            arcs.filter(|a| a.len() >= 2)?
        }
    })
}

fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Fills `{card_number}` into a subject template and parses it into a distinguished name.
pub fn render_subject(template: &str, card_number: &str) -> Result<DistinguishedName, String> {
    let text = template.replace("{card_number}", card_number);
    if text.contains('{') {
        return Err(format!(
            "subject `{template}` has an unknown placeholder (only {{card_number}})"
        ));
    }
    let mut dn = DistinguishedName::new();
    if !text.contains('=') {
        if text.trim().is_empty() {
            return Err("empty subject".into());
        }
        dn.push(DnType::CommonName, text.trim());
        return Ok(dn);
    }
    for part in text.split(',') {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("subject part `{part}` is not KEY=value"))?;
        let value = value.trim();
        if value.is_empty() {
            return Err(format!("subject attribute `{}` is empty", key.trim()));
        }
        let ty = match key.trim().to_ascii_uppercase().as_str() {
            "CN" => DnType::CommonName,
            "O" => DnType::OrganizationName,
            "OU" => DnType::OrganizationalUnitName,
            "C" => DnType::CountryName,
            "L" => DnType::LocalityName,
            "ST" => DnType::StateOrProvinceName,
            "SERIALNUMBER" => DnType::CustomDnType(vec![2, 5, 4, 5]),
            other => return Err(format!("unknown subject attribute `{other}`")),
        };
        if dn.get(&ty).is_some() {
            return Err(format!(
                "subject attribute `{}` appears twice: a certificate subject holds each attribute once",
                key.trim()
            ));
        }
        dn.push(ty, value);
    }
    Ok(dn)
}

/// Checks that `spki` is a well-formed SubjectPublicKeyInfo of `algorithm`.
pub(crate) fn check_public_key(spki: &[u8], algorithm: KeyAlgorithm) -> Result<(), CaError> {
    let bad = |why: String| CaError::BadPublicKey { why };
    let (rest, info) = SubjectPublicKeyInfo::from_der(spki)
        .map_err(|e| bad(format!("not a DER SubjectPublicKeyInfo ({e})")))?;
    if !rest.is_empty() {
        return Err(bad(format!(
            "{} bytes after the SubjectPublicKeyInfo",
            rest.len()
        )));
    }
    let oid = &info.algorithm.algorithm;
    let curve = info
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok());
    let parsed = info
        .parsed()
        .map_err(|e| bad(format!("unreadable public key ({e})")))?;
    match (algorithm, parsed) {
        (KeyAlgorithm::EccP256, PublicKey::EC(point))
            if *oid == OID_KEY_TYPE_EC_PUBLIC_KEY && curve.as_ref() == Some(&OID_EC_P256) =>
        {
            p256::PublicKey::from_sec1_bytes(point.data())
                .map(|_| ())
                .map_err(|_| bad("the P-256 point is not on the curve".into()))
        }
        (KeyAlgorithm::EccP384, PublicKey::EC(point))
            if *oid == OID_KEY_TYPE_EC_PUBLIC_KEY && curve.as_ref() == Some(&OID_NIST_EC_P384) =>
        {
            (point.data().len() == 97 && point.data()[0] == 4)
                .then_some(())
                .ok_or_else(|| bad("a P-384 point must be 97 bytes, uncompressed".into()))
        }
        (KeyAlgorithm::Rsa2048, PublicKey::RSA(rsa)) if *oid == OID_PKCS1_RSAENCRYPTION => {
            (rsa.key_size() == 2048)
                .then_some(())
                .ok_or_else(|| bad(format!("RSA key of {} bits, expected 2048", rsa.key_size())))
        }
        _ => Err(bad(format!(
            "key algorithm {oid} does not match the profile's {}",
            algorithm.name()
        ))),
    }
}
