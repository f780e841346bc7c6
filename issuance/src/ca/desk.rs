//! Desk CAs: one issuing CA per desk, certified by the office's root CA.
//!
//! The root CA stays in the administrator's home. For each desk the administrator runs
//! `cardline ca desk-init --desk NAME --out FILE`: a new key and a CA certificate for that
//! desk (path length 0: it certifies cards, never another CA), signed by the root, written
//! with the root's certificate into a bundle encrypted under a passphrase (age scrypt). On the
//! desk, `cardline ca desk-import FILE` opens the bundle, checks that the desk certificate is
//! signed by the root it carries and belongs to the key, seals the key under the desk's station
//! key and installs both certificates. Every card certificate the desk issues then chains to
//! the root; a stolen desk is revoked alone (its CA certificate), and the issued-certificates
//! index lives in the shared database, so a key is certified once across desks.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose, PublicKeyData,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};
use zeroize::Zeroizing;

use super::local::{BACKDATE, random_serial, signing, write_certificate};
use super::{CaError, CaKeyAlgorithm, LocalCa};
use crate::secrets::StationKey;
use crate::store::CertificateIndex;

/// The root CA certificate (PEM) a desk CA directory keeps beside its own.
pub const ROOT_CERT_FILE: &str = "root.crt";
/// How long a desk CA certificate is valid at most (the root's end bounds it too).
pub const DESK_CA_VALIDITY: time::Duration = time::Duration::days(5 * 365);
/// Shortest bundle passphrase accepted.
pub const MIN_PASSPHRASE_CHARS: usize = 12;
/// Largest bundle file opened.
pub const MAX_BUNDLE_BYTES: u64 = 64 * 1024;
/// Longest desk name (it goes into the CA's common name).
pub const MAX_DESK_NAME: usize = 40;

const FORMAT: &str = "cardline desk CA bundle v1";

/// A desk's CA key and certificate with the root's certificate. The key is zeroized on drop
/// and never shown by `Debug`.
#[derive(Serialize, Deserialize)]
pub struct DeskCaBundle {
    format: String,
    /// The desk the CA belongs to.
    pub desk: String,
    /// The key algorithm (`p256`, `p384`).
    pub algorithm: String,
    key_pkcs8_hex: String,
    /// The desk CA certificate (PEM).
    pub cert_pem: String,
    /// The root CA certificate (PEM).
    pub root_pem: String,
    /// The office's management-key master (hex), which every desk must share: per-card
    /// management keys are derived from it ([`DeskCaBundle::with_master`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    master_key_hex: Option<String>,
}

impl Drop for DeskCaBundle {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key_pkcs8_hex);
        if let Some(master) = &mut self.master_key_hex {
            zeroize::Zeroize::zeroize(master);
        }
    }
}

impl std::fmt::Debug for DeskCaBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeskCaBundle")
            .field("desk", &self.desk)
            .field("algorithm", &self.algorithm)
            .field("key", &"***")
            .field("master", &self.master_key_hex.as_ref().map(|_| "***"))
            .finish()
    }
}

fn bad_bundle(why: impl Into<String>) -> CaError {
    CaError::BadProfile {
        profile: "desk CA bundle".into(),
        why: why.into(),
    }
}

/// Checks a desk name: 1–40 characters of letters, digits, `-`, `_`, `.`.
pub fn check_desk_name(desk: &str) -> Result<(), CaError> {
    let ok = !desk.is_empty()
        && desk.chars().count() <= MAX_DESK_NAME
        && desk
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(CaError::BadProfile {
            profile: "desk name".into(),
            why: format!(
                "`{}` is not a desk name: 1–{MAX_DESK_NAME} letters, digits, `-`, `_` or `.`",
                desk.chars().take(60).collect::<String>()
            ),
        })
    }
}

impl LocalCa {
    /// Creates the issuing CA of `desk`, certified by this (root) CA. Refuses when this CA's
    /// certificate allows no CA below it (path length 0: a CA made before desk CAs existed).
    pub fn issue_desk_ca(
        &self,
        desk: &str,
        algorithm: CaKeyAlgorithm,
    ) -> Result<DeskCaBundle, CaError> {
        check_desk_name(desk)?;
        let (_, root) =
            X509Certificate::from_der(self.cert_der()).map_err(|e| CaError::Corrupt {
                path: self.dir().join(super::CA_CERT_FILE),
                why: e.to_string(),
            })?;
        if let Ok(Some(bc)) = root.basic_constraints()
            && bc.value.path_len_constraint == Some(0)
        {
            return Err(bad_bundle(format!(
                "the CA `{}` was created with path length 0 (before desk CAs): it may certify \
                 cards only. Create a root for the office with `cardline ca init` in a new \
                 administrator home, then `ca desk-init` there",
                self.subject()
            )));
        }
        let now = OffsetDateTime::now_utc();
        let key = KeyPair::generate_for(algorithm.rcgen()).map_err(signing)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(
            DnType::CommonName,
            format!("cardline desk {desk} issuing CA"),
        );
        params.not_before = now - BACKDATE;
        params.not_after = (now + DESK_CA_VALIDITY).min(self.not_after());
        params.serial_number = Some(random_serial()?);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, self.issuer()).map_err(signing)?;
        tracing::info!(desk, "desk CA certified by the root");
        Ok(DeskCaBundle {
            format: FORMAT.into(),
            desk: desk.to_string(),
            algorithm: algorithm.name().to_string(),
            key_pkcs8_hex: hex::encode(Zeroizing::new(key.serialize_der())),
            cert_pem: cert.pem(),
            root_pem: self.certificate_pem().to_string(),
            master_key_hex: None,
        })
    }

    /// Installs a desk CA from `bundle` in `dir` (its key sealed under `station`), after
    /// checking that the desk certificate belongs to the key and is signed by the root in the
    /// bundle. Refuses when a CA exists in `dir`.
    pub fn import_desk_ca(
        dir: &Path,
        bundle: &DeskCaBundle,
        station: &StationKey,
        index: Arc<dyn CertificateIndex>,
    ) -> Result<LocalCa, CaError> {
        if LocalCa::exists(dir) {
            return Err(CaError::AlreadyExists {
                dir: dir.to_path_buf(),
            });
        }
        let algorithm = CaKeyAlgorithm::parse(&bundle.algorithm)
            .ok_or_else(|| bad_bundle(format!("unknown key algorithm `{}`", bundle.algorithm)))?;
        let pkcs8 = Zeroizing::new(
            hex::decode(bundle.key_pkcs8_hex.as_str())
                .map_err(|_| bad_bundle("the key is not hex"))?,
        );
        let key =
            KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8.as_slice().into(), algorithm.rcgen())
                .map_err(|e| bad_bundle(format!("the key is not a {algorithm:?} key ({e})")))?;
        let desk_der = pem_der(&bundle.cert_pem, "desk certificate")?;
        let root_der = pem_der(&bundle.root_pem, "root certificate")?;
        let (_, desk_cert) = X509Certificate::from_der(&desk_der)
            .map_err(|e| bad_bundle(format!("desk certificate: {e}")))?;
        let (_, root_cert) = X509Certificate::from_der(&root_der)
            .map_err(|e| bad_bundle(format!("root certificate: {e}")))?;
        if desk_cert.tbs_certificate.subject_pki.raw != key.subject_public_key_info().as_slice() {
            return Err(bad_bundle(
                "the desk certificate does not belong to the key",
            ));
        }
        desk_cert
            .verify_signature(Some(root_cert.public_key()))
            .map_err(|_| bad_bundle("the desk certificate is not signed by the bundle's root"))?;
        crate::secrets::create_private_dir(dir)?;
        super::key_file::write_sealed_key(
            &dir.join(super::CA_KEY_FILE),
            &pkcs8,
            algorithm.name(),
            station,
        )?;
        write_certificate(&dir.join(ROOT_CERT_FILE), &bundle.root_pem)?;
        write_certificate(&dir.join(super::CA_CERT_FILE), &bundle.cert_pem)?;
        LocalCa::load(dir, station, index)
    }
}

fn pem_der(pem: &str, what: &str) -> Result<Vec<u8>, CaError> {
    let (_, parsed) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| bad_bundle(format!("{what}: not PEM ({e})")))?;
    Ok(parsed.contents)
}

impl DeskCaBundle {
    /// SHA-256 of the desk CA certificate (DER), hex.
    pub fn fingerprint(&self) -> String {
        pem_der(&self.cert_pem, "desk certificate")
            .map(|der| super::sha256_hex(&der))
            .unwrap_or_default()
    }

    /// The root CA's subject (`CN=…`).
    pub fn root_subject(&self) -> String {
        pem_der(&self.root_pem, "root certificate")
            .ok()
            .and_then(|der| {
                X509Certificate::from_der(&der)
                    .ok()
                    .map(|(_, c)| c.subject().to_string())
            })
            .unwrap_or_default()
    }

    /// Adds the office's management-key master, for `ca desk-import` to install on the desk.
    pub fn with_master(mut self, master: &cardline_device::MasterKey) -> Self {
        self.master_key_hex = Some(hex::encode(master.expose()));
        self
    }

    /// The management-key master the bundle carries (`None`: a bundle made without one).
    pub fn master(&self) -> Result<Option<cardline_device::MasterKey>, CaError> {
        let Some(text) = &self.master_key_hex else {
            return Ok(None);
        };
        let bytes = Zeroizing::new(
            hex::decode(text).map_err(|_| bad_bundle("the management-key master is not hex"))?,
        );
        if bytes.len() != crate::secrets::KEY_LEN {
            return Err(bad_bundle(format!(
                "the management-key master has {} bytes, not {}",
                bytes.len(),
                crate::secrets::KEY_LEN
            )));
        }
        Ok(Some(cardline_device::MasterKey::new(bytes.to_vec())))
    }

    /// Encrypts the bundle under `passphrase` (age scrypt, ASCII armour) into `out`, a new file
    /// (mode 0600).
    pub fn write_encrypted(&self, out: &Path, passphrase: &str) -> Result<(), CaError> {
        check_passphrase(passphrase)?;
        let json = Zeroizing::new(serde_json::to_vec(self).expect("bundle serialises"));
        let encryptor = age::Encryptor::with_user_passphrase(age::secrecy::SecretString::from(
            passphrase.to_string(),
        ));
        let mut armored = Vec::new();
        {
            let armor = age::armor::ArmoredWriter::wrap_output(
                &mut armored,
                age::armor::Format::AsciiArmor,
            )
            .map_err(|e| bad_bundle(e.to_string()))?;
            let mut writer = encryptor
                .wrap_output(armor)
                .map_err(|e| bad_bundle(e.to_string()))?;
            writer
                .write_all(&json)
                .map_err(|e| bad_bundle(e.to_string()))?;
            writer
                .finish()
                .and_then(|armor| armor.finish())
                .map_err(|e| bad_bundle(e.to_string()))?;
        }
        crate::secrets::write_private_file(out, &armored)?;
        Ok(())
    }

    /// Opens a bundle file written by [`DeskCaBundle::write_encrypted`].
    pub fn read_encrypted(path: &Path, passphrase: &str) -> Result<DeskCaBundle, CaError> {
        let bytes = crate::file_limits::read_bytes(path, MAX_BUNDLE_BYTES, "a desk CA bundle")
            .map_err(|source| match crate::file_limits::too_large(&source) {
                Some(_) => bad_bundle(format!(
                    "{} is larger than {MAX_BUNDLE_BYTES} bytes: not a desk CA bundle",
                    path.display()
                )),
                None => CaError::Io {
                    operation: "reading",
                    path: path.to_path_buf(),
                    source,
                },
            })?;
        let reader = age::armor::ArmoredReader::new(&bytes[..]);
        let decryptor = age::Decryptor::new(reader).map_err(|e| {
            bad_bundle(format!(
                "{} is not a desk CA bundle from `cardline ca desk-init` ({e})",
                path.display()
            ))
        })?;
        let identity =
            age::scrypt::Identity::new(age::secrecy::SecretString::from(passphrase.to_string()));
        let mut plain = Zeroizing::new(Vec::new());
        decryptor
            .decrypt(std::iter::once(&identity as &dyn age::Identity))
            .map_err(|_| {
                bad_bundle(format!(
                    "{} does not open with this passphrase (or was altered)",
                    path.display()
                ))
            })?
            .take(MAX_BUNDLE_BYTES)
            .read_to_end(&mut plain)
            .map_err(|e| bad_bundle(e.to_string()))?;
        let bundle: DeskCaBundle = serde_json::from_slice(&plain)
            .map_err(|e| bad_bundle(format!("{}: {e}", path.display())))?;
        if bundle.format != FORMAT {
            return Err(bad_bundle(format!(
                "{}: format `{}`, this cardline reads `{FORMAT}`",
                path.display(),
                bundle.format
            )));
        }
        Ok(bundle)
    }
}

/// Refuses passphrases shorter than [`MIN_PASSPHRASE_CHARS`].
pub fn check_passphrase(passphrase: &str) -> Result<(), CaError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(bad_bundle(format!(
            "the bundle passphrase has {} characters: use at least {MIN_PASSPHRASE_CHARS}",
            passphrase.chars().count()
        )));
    }
    Ok(())
}
