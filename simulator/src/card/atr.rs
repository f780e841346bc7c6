//! Answers-to-reset (ISO 7816-3 §8.2).

use serde::{Deserialize, Serialize};

/// The YubiKey 5 ATR (T=1; historical bytes contain "YubiKey"): OpenSC and yubico-piv-tool
/// then treat the card as a YubiKey and use the extensions (FD, F8, ...).
pub const YUBIKEY5_ATR: &[u8] = &[
    0x3B, 0xFD, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x15, 0x80, 0x73, 0xC0, 0x21, 0xC0, 0x57, 0x59,
    0x75, 0x62, 0x69, 0x4B, 0x65, 0x79, 0x40,
];

/// A generic PIV card ATR: `3B 88 80 01` (TD1 → T=0, TD2 → T=1), 8 historical bytes
/// "cardline", TCK.
pub const GENERIC_PIV_ATR: &[u8] = &[
    0x3B, 0x88, 0x80, 0x01, b'c', b'a', b'r', b'd', b'l', b'i', b'n', b'e', 0x13,
];

/// A T=0-only ATR (no TD1): the "wrong ATR" fault. PIV clients that insist on T=1 refuse it.
pub const T0_ONLY_ATR: &[u8] = &[0x3B, 0x02, 0x14, 0x50];

/// Which ATR a card answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AtrProfile {
    /// [`YUBIKEY5_ATR`].
    #[default]
    YubiKey5,
    /// [`GENERIC_PIV_ATR`].
    GenericPiv,
}

impl AtrProfile {
    /// The ATR bytes.
    pub fn atr(self) -> &'static [u8] {
        match self {
            AtrProfile::YubiKey5 => YUBIKEY5_ATR,
            AtrProfile::GenericPiv => GENERIC_PIV_ATR,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_atr_checksum_is_valid() {
        // TCK makes the XOR of T0..TCK zero when T=1 is offered.
        assert_eq!(GENERIC_PIV_ATR[1..].iter().fold(0, |a, b| a ^ b), 0);
    }

    #[test]
    fn yubikey_atr_matches_spec() {
        assert_eq!(
            hex::encode_upper(YUBIKEY5_ATR),
            "3BFD1300008131FE158073C021C057597562694B657940"
        );
    }
}
