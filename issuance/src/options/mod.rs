//! The administrator's options: named profiles of TOML text over built-in defaults, kept in
//! the store ([`profiles`]; `cardline options show|set|edit|log`), one of them the default.
//!
//! Validation follows the PIV card edge: PIN 6–8 digits, PUK exactly 8 (6–8 only with
//! `card_profile = "generic-6-8"`). Certificates can only be issued when encoding is on. Every
//! problem names the file, the line, the key, the value and what is allowed.
//!
//! ```
//! use cardline_issuance::options::Options;
//! let o = Options::from_toml("pin_length = 8\n", "options.toml").unwrap();
//! assert_eq!((o.pin_length, o.puk_length, o.validity_days), (8, 8, 14));
//! let print_only = Options::from_toml("encode = false\n", "options.toml").unwrap();
//! assert!(print_only.certificates.is_empty());
//! let e = Options::from_toml("encode = false\ncertificates = [\"piv-auth\"]\n", "options.toml")
//!     .unwrap_err();
//! assert!(e.to_string().contains("certificates need encoding on"));
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cardline_device::{KeyAlgorithm, KeyRequest, ManagementKey, Pin, PivSlot, Puk};

use crate::numbering::Numbering;

mod check;
mod effective;
mod error;
mod file;
pub mod profiles;
mod template;

pub use effective::{EffectiveOption, Source};
pub use error::{OptionsError, Problem};
pub use template::DEFAULT_PROFILE_TEXT;

/// Name of the default certificate profile (PIV authentication, slot 9A).
pub const PIV_AUTH: &str = "piv-auth";

/// The administrator's options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Digits of the PIN generated for each card (6–8).
    pub pin_length: u8,
    /// Digits of the PUK generated for each card (8; 6–8 if the card profile allows).
    pub puk_length: u8,
    /// What the blank cards are.
    pub card_profile: CardProfile,
    /// Encode the chip (PIN, PUK, management key, keys and certificates).
    pub encode: bool,
    /// Names of the certificate profiles to issue, in order (needs `encode`).
    pub certificates: Vec<String>,
    /// Every known certificate profile by name (built-in plus the file's).
    pub certificate_profiles: BTreeMap<String, CertificateProfile>,
    /// Days an assigned card stays valid (1–366).
    pub validity_days: u32,
    /// Card numbering scheme.
    pub numbering: Numbering,
    /// Name of the card face template.
    pub face_template: String,
    /// PIN letters (`cards secrets --order ID --reveal`) carry the PUK too
    /// (`pin_letters.include_puk`); when false only the PIN is exported.
    pub pin_letters_include_puk: bool,
    /// Dotted keys set by the profile file (for `options show`); empty for pure defaults.
    pub file_keys: BTreeSet<String>,
    /// The file the options were read from, if any.
    pub source_file: Option<String>,
}

/// What kind of blank card is used: it fixes the PUK lengths the card accepts and the
/// transport credentials the blanks ship with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CardProfile {
    /// A PIV card (SP 800-73-4): PUK exactly 8 digits.
    Piv,
    /// A PIV-compatible card that accepts PUKs of 6–8 digits.
    Generic6To8,
}

impl CardProfile {
    /// Every profile.
    pub const ALL: [CardProfile; 2] = [CardProfile::Piv, CardProfile::Generic6To8];

    /// The option-file name: `piv`, `generic-6-8`.
    pub fn name(self) -> &'static str {
        match self {
            CardProfile::Piv => "piv",
            CardProfile::Generic6To8 => "generic-6-8",
        }
    }

    /// Parses an option-file name.
    pub fn parse(s: &str) -> Option<CardProfile> {
        CardProfile::ALL.into_iter().find(|p| p.name() == s)
    }

    /// PUK lengths the card accepts.
    pub fn puk_lengths(self) -> std::ops::RangeInclusive<u8> {
        match self {
            CardProfile::Piv => 8..=8,
            CardProfile::Generic6To8 => 6..=8,
        }
    }

    /// PIN lengths the card accepts (PIV card edge: 6–8).
    pub fn pin_lengths(self) -> std::ops::RangeInclusive<u8> {
        6..=8
    }

    /// The PIN blank cards ship with (PIV test cards: `123456`).
    pub fn transport_pin(self) -> Pin {
        Pin::new(b"123456".to_vec())
    }

    /// The PUK blank cards ship with (`12345678`).
    pub fn transport_puk(self) -> Puk {
        Puk::new(b"12345678".to_vec())
    }

    /// The management key blank cards ship with (01..08 three times, 3DES).
    pub fn transport_management_key(self) -> ManagementKey {
        ManagementKey::piv_default()
    }
}

/// One certificate to issue: which slot, which key, what the certificate says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateProfile {
    /// The PIV slot the key is generated in.
    pub slot: PivSlot,
    /// The key algorithm.
    pub algorithm: KeyAlgorithm,
    /// Subject template, e.g. `CN=Temporary card {card_number},O=cardline`.
    pub subject: String,
    /// Key usages (digitalSignature, keyEncipherment, keyAgreement, ...).
    pub key_usage: Vec<String>,
    /// Extended key usages (clientAuth, smartcardLogon, or dotted OIDs).
    pub extended_key_usage: Vec<String>,
}

impl CertificateProfile {
    /// The built-in `piv-auth` profile: slot 9A, P-256, client auth and smart-card logon.
    pub fn piv_auth() -> CertificateProfile {
        CertificateProfile {
            slot: PivSlot::AUTHENTICATION,
            algorithm: KeyAlgorithm::EccP256,
            subject: "CN=Temporary card {card_number},O=cardline".into(),
            key_usage: vec!["digitalSignature".into()],
            extended_key_usage: vec!["clientAuth".into(), "smartcardLogon".into()],
        }
    }

    /// This profile as the CA's spec under `name`.
    pub fn to_spec(&self, name: &str) -> crate::ca::CertProfileSpec {
        crate::ca::CertProfileSpec {
            name: name.into(),
            slot: self.slot,
            algorithm: self.algorithm,
            subject: self.subject.clone(),
            key_usage: self.key_usage.clone(),
            extended_key_usage: self.extended_key_usage.clone(),
        }
    }
}

/// Default PIN length.
pub const DEFAULT_PIN_LENGTH: u8 = 6;
/// Default PUK length.
pub const DEFAULT_PUK_LENGTH: u8 = 8;
/// Default validity of an assigned card, in days.
pub const DEFAULT_VALIDITY_DAYS: u32 = 14;
/// Allowed validity, in days.
pub const VALIDITY_DAYS: std::ops::RangeInclusive<u32> = 1..=366;
/// Default card face template.
pub const DEFAULT_FACE_TEMPLATE: &str = "temporary";

impl Default for Options {
    fn default() -> Self {
        Options {
            pin_length: DEFAULT_PIN_LENGTH,
            puk_length: DEFAULT_PUK_LENGTH,
            card_profile: CardProfile::Piv,
            encode: true,
            certificates: vec![PIV_AUTH.into()],
            certificate_profiles: BTreeMap::from([(
                PIV_AUTH.to_string(),
                CertificateProfile::piv_auth(),
            )]),
            validity_days: DEFAULT_VALIDITY_DAYS,
            numbering: Numbering::default(),
            face_template: DEFAULT_FACE_TEMPLATE.into(),
            pin_letters_include_puk: true,
            file_keys: BTreeSet::new(),
            source_file: None,
        }
    }
}

impl Options {
    /// Reads and validates a profile file (missing keys take their defaults). A file larger
    /// than [`TOML_FILE_LIMIT`](crate::file_limits::TOML_FILE_LIMIT) is refused unread.
    pub fn load(path: &Path) -> Result<Options, OptionsError> {
        let limit = crate::file_limits::TOML_FILE_LIMIT;
        let text =
            crate::file_limits::read_text(path, limit, "an options file").map_err(|source| {
                OptionsError::Read {
                    file: path.to_path_buf(),
                    source,
                }
            })?;
        Options::from_toml(&text, &path.display().to_string())
    }

    /// Parses and validates profile text; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<Options, OptionsError> {
        file::parse(text, file)
    }

    /// Validates options built in code (errors carry no line numbers).
    pub fn validate(&self) -> Result<(), OptionsError> {
        let problems = check::check(self, &BTreeMap::new());
        if problems.is_empty() {
            Ok(())
        } else {
            Err(OptionsError::Invalid {
                file: self
                    .source_file
                    .clone()
                    .unwrap_or_else(|| "<options>".into()),
                problems,
            })
        }
    }

    /// The certificate profiles to issue, resolved, in order.
    pub fn issued_profiles(&self) -> Vec<(&str, &CertificateProfile)> {
        self.certificates
            .iter()
            .filter_map(|n| {
                self.certificate_profiles
                    .get_key_value(n)
                    .map(|(k, v)| (k.as_str(), v))
            })
            .collect()
    }

    /// The keys the encoder generates (one per issued certificate profile).
    pub fn key_requests(&self) -> Vec<KeyRequest> {
        self.issued_profiles()
            .into_iter()
            .map(|(name, p)| KeyRequest {
                slot: p.slot,
                algorithm: p.algorithm,
                profile: name.into(),
            })
            .collect()
    }

    /// The issued profiles as the CA's specs.
    pub fn certificate_specs(&self) -> Vec<crate::ca::CertProfileSpec> {
        self.issued_profiles()
            .into_iter()
            .map(|(name, p)| p.to_spec(name))
            .collect()
    }

    /// Every effective value with where it came from (`options show`).
    pub fn effective_with_sources(&self) -> Vec<EffectiveOption> {
        effective::list(self)
    }
}

#[cfg(test)]
mod tests;
