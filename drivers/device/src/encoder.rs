//! [`CardEncoder`]: personalise a card parked at a contact station.

use crate::card::{CardTransport, TransportError};
use crate::secret::{ManagementKey, MasterKey, Pin, Puk};

/// A PIV key slot (key reference): 9A authentication, 9C signature, 9D key management,
/// 9E card authentication, 82–95 retired key management.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct PivSlot(pub u8);

impl PivSlot {
    /// 9A, PIV authentication.
    pub const AUTHENTICATION: PivSlot = PivSlot(0x9A);
    /// 9C, digital signature.
    pub const SIGNATURE: PivSlot = PivSlot(0x9C);
    /// 9D, key management.
    pub const KEY_MANAGEMENT: PivSlot = PivSlot(0x9D);
    /// 9E, card authentication.
    pub const CARD_AUTHENTICATION: PivSlot = PivSlot(0x9E);

    /// Parses `9a`, `9A`, `0x9a`; `None` for anything that is not a PIV key slot.
    pub fn parse(s: &str) -> Option<PivSlot> {
        let t = s.trim().trim_start_matches("0x").trim_start_matches("0X");
        let v = u8::from_str_radix(t, 16).ok()?;
        PivSlot(v).is_valid().then_some(PivSlot(v))
    }

    /// True for 9A, 9C, 9D, 9E and 82–95.
    pub fn is_valid(self) -> bool {
        matches!(self.0, 0x9A | 0x9C | 0x9D | 0x9E | 0x82..=0x95)
    }

    /// The BER-TLV tag of the certificate data object of this slot (e.g. 5FC105 for 9A).
    pub fn certificate_object(self) -> u32 {
        match self.0 {
            0x9A => 0x5FC105,
            0x9C => 0x5FC10A,
            0x9D => 0x5FC10B,
            0x9E => 0x5FC101,
            r @ 0x82..=0x95 => 0x5FC10D + (r - 0x82) as u32,
            _ => 0,
        }
    }
}

impl std::fmt::Display for PivSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02x}", self.0)
    }
}

/// An asymmetric key algorithm a card can generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum KeyAlgorithm {
    /// NIST P-256 (PIV algorithm id 0x11).
    #[serde(rename = "p256")]
    EccP256,
    /// NIST P-384 (PIV algorithm id 0x14).
    #[serde(rename = "p384")]
    EccP384,
    /// RSA 2048 (PIV algorithm id 0x07).
    #[serde(rename = "rsa2048")]
    Rsa2048,
}

impl KeyAlgorithm {
    /// The PIV algorithm identifier (SP 800-78).
    pub fn piv_id(self) -> u8 {
        match self {
            KeyAlgorithm::EccP256 => 0x11,
            KeyAlgorithm::EccP384 => 0x14,
            KeyAlgorithm::Rsa2048 => 0x07,
        }
    }

    /// The name used in option files: `p256`, `p384`, `rsa2048`.
    pub fn name(self) -> &'static str {
        match self {
            KeyAlgorithm::EccP256 => "p256",
            KeyAlgorithm::EccP384 => "p384",
            KeyAlgorithm::Rsa2048 => "rsa2048",
        }
    }

    /// Parses an option-file name.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "p256" | "eccp256" | "p-256" => Some(KeyAlgorithm::EccP256),
            "p384" | "eccp384" | "p-384" => Some(KeyAlgorithm::EccP384),
            "rsa2048" | "rsa-2048" => Some(KeyAlgorithm::Rsa2048),
            _ => None,
        }
    }
}

/// A key pair to generate on the card, and the certificate profile that certifies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRequest {
    /// The slot to generate in.
    pub slot: PivSlot,
    /// The algorithm.
    pub algorithm: KeyAlgorithm,
    /// The certificate profile name (from the options), passed to the issuer.
    pub profile: String,
}

/// Everything the encoder needs to personalise one card.
#[derive(Clone, Debug)]
pub struct EncodingPlan {
    /// The card record's number (printed on the card; used in certificate subjects).
    pub card_number: String,
    /// The PIN the blank card ships with (PIV test cards and YubiKeys: `123456`).
    pub transport_pin: Pin,
    /// The PUK the blank card ships with (`12345678`).
    pub transport_puk: Puk,
    /// The management key the blank card ships with.
    pub transport_management_key: ManagementKey,
    /// The new PIN to set.
    pub pin: Pin,
    /// The new PUK to set.
    pub puk: Puk,
    /// The master key the per-card management key is derived from.
    pub management_key_master: MasterKey,
    /// Keys to generate and certify.
    pub keys: Vec<KeyRequest>,
    /// The card's unique identifier written in the CHUID (16 bytes).
    pub guid: [u8; 16],
    /// Expiry written in the CHUID, `YYYYMMDD`.
    pub expiry: String,
}

/// What the encoder asks the certificate authority for one generated key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest {
    /// The card number.
    pub card_number: String,
    /// The certificate profile name.
    pub profile: String,
    /// The slot the key lives in.
    pub slot: PivSlot,
    /// The key's algorithm.
    pub algorithm: KeyAlgorithm,
    /// The public key as DER SubjectPublicKeyInfo.
    pub public_key_spki: Vec<u8>,
    /// The chip's serial or GUID, as hex.
    pub chip_id: String,
}

/// Errors of a certificate issuer.
#[derive(Debug, thiserror::Error)]
pub enum IssuerError {
    /// The profile named in the request does not exist in the options.
    #[error("unknown certificate profile `{0}`")]
    UnknownProfile(String),
    /// The public key could not be used (bad SPKI, unsupported algorithm).
    #[error("public key rejected: {0}")]
    BadPublicKey(String),
    /// The CA could not sign (key unavailable, locked, ...).
    #[error("certificate authority failed: {0}")]
    Authority(String),
}

/// A certificate authority as the encoder sees it: a callback that certifies an on-card key.
pub trait CertificateIssuer: Send + Sync {
    /// Issues a certificate (DER) for the request.
    fn issue(&self, request: &CertificateRequest) -> Result<Vec<u8>, IssuerError>;

    /// The id of the key that signs, recorded on every attempt (`None`: not known).
    fn key_id(&self) -> Option<String> {
        None
    }
}

/// What was put in one slot.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SlotReceipt {
    /// The slot.
    pub slot: PivSlot,
    /// The algorithm.
    pub algorithm: KeyAlgorithm,
    /// DER SubjectPublicKeyInfo of the key generated on the card.
    #[serde(with = "hex_bytes")]
    pub public_key_spki: Vec<u8>,
    /// DER of the certificate written and read back.
    #[serde(with = "hex_bytes")]
    pub certificate: Vec<u8>,
}

/// Proof of what the encoder did, after verification.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EncodingReceipt {
    /// The chip's serial (YubiKey serial, or the GUID in hex when the card has no serial).
    pub chip_id: String,
    /// The GUID written in the CHUID, hex.
    pub guid: String,
    /// Slots personalised.
    pub slots: Vec<SlotReceipt>,
    /// APDUs exchanged (including GET RESPONSE and chained blocks).
    pub apdus: u32,
    /// Bytes sent to the card.
    pub bytes_out: u64,
    /// Bytes received from the card.
    pub bytes_in: u64,
}

/// What a chip holds, read without changing it (used by crash recovery).
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ChipInspection {
    /// The chip's serial or GUID, when readable.
    pub chip_id: Option<String>,
    /// The CHUID GUID in hex, when a CHUID is present.
    pub guid: Option<String>,
    /// Certificates present, per slot (DER).
    pub certificates: Vec<(PivSlot, Vec<u8>)>,
    /// True when the card still accepts the transport management key (not personalised).
    pub still_blank: bool,
}

/// Errors of a [`CardEncoder`].
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The card answered a command with an error status word.
    #[error("card refused {command}: status {sw:04X} ({meaning})")]
    Card {
        /// The command (e.g. `GENERATE 9A`).
        command: String,
        /// The status word.
        sw: u16,
        /// What the status word means.
        meaning: String,
    },
    /// The transport PIN or PUK did not verify: the blank is not a fresh card.
    #[error(
        "the card does not accept its transport {what} ({remaining} tries left): not a fresh blank"
    )]
    TransportCredential {
        /// `PIN`, `PUK` or `management key`.
        what: &'static str,
        /// Tries left.
        remaining: u8,
    },
    /// Read-back verification failed.
    #[error("verification failed: {0}")]
    Verify(String),
    /// The card does not support what the plan asks (algorithm, object size).
    #[error("card cannot {0}")]
    Unsupported(String),
    /// The certificate issuer failed.
    #[error(transparent)]
    Issuer(#[from] IssuerError),
    /// The reader or card session failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl EncodeError {
    /// True when retrying on the same card may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, EncodeError::Transport(t) if t.is_transient())
    }
    /// True when the chip is at fault: reject the card, go on with the next.
    pub fn is_card_fault(&self) -> bool {
        match self {
            EncodeError::Card { .. } | EncodeError::Verify(_) | EncodeError::Unsupported(_) => true,
            EncodeError::Transport(t) => t.is_card_fault(),
            EncodeError::Issuer(_) | EncodeError::TransportCredential { .. } => false,
        }
    }
    /// True when a person must fix the setup: the CA is down, the reader is missing, or the
    /// blanks refuse the transport credentials of the card profile (wrong profile or used
    /// stock — every following blank would fail the same way and lose a PIN try).
    pub fn needs_operator(&self) -> bool {
        match self {
            EncodeError::Issuer(_) | EncodeError::TransportCredential { .. } => true,
            EncodeError::Transport(t) => t.needs_operator(),
            _ => false,
        }
    }
}

/// Personalises cards.
pub trait CardEncoder: Send {
    /// Personalises the card behind `card` according to `plan`, asking `issuer` for each
    /// certificate, then reads everything back and verifies it.
    fn encode(
        &mut self,
        card: &mut dyn CardTransport,
        plan: &EncodingPlan,
        issuer: &dyn CertificateIssuer,
    ) -> Result<EncodingReceipt, EncodeError>;

    /// Reads what the chip holds without changing it.
    fn inspect(&mut self, card: &mut dyn CardTransport) -> Result<ChipInspection, EncodeError>;
}

mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        let mut out = String::with_capacity(v.len() * 2);
        for b in v {
            out.push_str(&format!("{b:02x}"));
        }
        s.serialize_str(&out)
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        (0..s.len())
            .step_by(2)
            .map(|i| {
                s.get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| serde::de::Error::custom("bad hex"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_parse_and_map_to_objects() {
        assert_eq!(PivSlot::parse("9a"), Some(PivSlot::AUTHENTICATION));
        assert_eq!(PivSlot::parse("0x9E"), Some(PivSlot::CARD_AUTHENTICATION));
        assert_eq!(PivSlot::parse("9b"), None);
        assert_eq!(PivSlot::parse("zz"), None);
        assert_eq!(PivSlot::AUTHENTICATION.certificate_object(), 0x5FC105);
        assert_eq!(PivSlot::SIGNATURE.certificate_object(), 0x5FC10A);
        assert_eq!(PivSlot(0x82).certificate_object(), 0x5FC10D);
        assert_eq!(PivSlot(0x95).certificate_object(), 0x5FC120);
    }

    #[test]
    fn algorithms_round_trip_names() {
        for a in [
            KeyAlgorithm::EccP256,
            KeyAlgorithm::EccP384,
            KeyAlgorithm::Rsa2048,
        ] {
            assert_eq!(KeyAlgorithm::parse(a.name()), Some(a));
        }
        assert_eq!(KeyAlgorithm::parse("ed25519"), None);
        assert_eq!(KeyAlgorithm::EccP256.piv_id(), 0x11);
    }

    #[test]
    fn mute_chip_is_a_card_fault_and_missing_ca_needs_operator() {
        let mute = EncodeError::Transport(TransportError::Mute { reader: "r".into() });
        assert!(mute.is_card_fault() && !mute.needs_operator());
        let ca = EncodeError::Issuer(IssuerError::Authority("locked".into()));
        assert!(ca.needs_operator() && !ca.is_card_fault());
    }
}
