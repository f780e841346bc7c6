//! The card management key (9B): its algorithms, block cipher, and the per-card key derivation.

use aes::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use cardline_device::{ManagementKey, MasterKey};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

/// HKDF salt of [`derive_management_key`]. Changing it changes every card's key.
pub const DERIVATION_SALT: &[u8] = b"cardline-piv-mgmt-v1";

/// A management key algorithm (SP 800-78-4 Table 6-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ManagementAlgorithm {
    /// 3DES EDE with three keys (id 03), 8-byte blocks.
    TripleDes,
    /// AES-128 (id 08).
    Aes128,
    /// AES-192 (id 0A): YubiKey default from firmware 5.7.
    Aes192,
    /// AES-256 (id 0C).
    Aes256,
}

impl ManagementAlgorithm {
    /// The PIV algorithm identifier (P1 of GENERAL AUTHENTICATE).
    pub fn piv_id(self) -> u8 {
        match self {
            ManagementAlgorithm::TripleDes => 0x03,
            ManagementAlgorithm::Aes128 => 0x08,
            ManagementAlgorithm::Aes192 => 0x0A,
            ManagementAlgorithm::Aes256 => 0x0C,
        }
    }

    /// Decodes a PIV algorithm identifier.
    pub fn from_piv_id(id: u8) -> Option<Self> {
        match id {
            0x03 => Some(ManagementAlgorithm::TripleDes),
            0x08 => Some(ManagementAlgorithm::Aes128),
            0x0A => Some(ManagementAlgorithm::Aes192),
            0x0C => Some(ManagementAlgorithm::Aes256),
            _ => None,
        }
    }

    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            ManagementAlgorithm::TripleDes | ManagementAlgorithm::Aes192 => 24,
            ManagementAlgorithm::Aes128 => 16,
            ManagementAlgorithm::Aes256 => 32,
        }
    }

    /// Challenge/witness block length in bytes.
    pub fn block_len(self) -> usize {
        match self {
            ManagementAlgorithm::TripleDes => 8,
            _ => 16,
        }
    }

    /// Encrypts one block. `None` when key or block length do not fit the algorithm.
    pub fn encrypt_block(self, key: &[u8], block: &[u8]) -> Option<Vec<u8>> {
        match self {
            ManagementAlgorithm::TripleDes => crypt::<des::TdesEde3>(key, block, true),
            ManagementAlgorithm::Aes128 => crypt::<aes::Aes128>(key, block, true),
            ManagementAlgorithm::Aes192 => crypt::<aes::Aes192>(key, block, true),
            ManagementAlgorithm::Aes256 => crypt::<aes::Aes256>(key, block, true),
        }
    }

    /// Decrypts one block. `None` when key or block length do not fit the algorithm.
    pub fn decrypt_block(self, key: &[u8], block: &[u8]) -> Option<Vec<u8>> {
        match self {
            ManagementAlgorithm::TripleDes => crypt::<des::TdesEde3>(key, block, false),
            ManagementAlgorithm::Aes128 => crypt::<aes::Aes128>(key, block, false),
            ManagementAlgorithm::Aes192 => crypt::<aes::Aes192>(key, block, false),
            ManagementAlgorithm::Aes256 => crypt::<aes::Aes256>(key, block, false),
        }
    }
}

fn crypt<C: KeyInit + BlockCipherEncrypt + BlockCipherDecrypt>(
    key: &[u8],
    block: &[u8],
    encrypt: bool,
) -> Option<Vec<u8>> {
    let cipher = C::new_from_slice(key).ok()?;
    let mut b = Array::try_from(block).ok()?;
    if encrypt {
        cipher.encrypt_block(&mut b);
    } else {
        cipher.decrypt_block(&mut b);
    }
    Some(b.to_vec())
}

/// Derives the per-card management key: HKDF-SHA256 with salt [`DERIVATION_SALT`], the master
/// key as input keying material and the chip id (YubiKey serial, or the CHUID GUID) as info.
///
/// For 3DES the parity bits are set (odd parity, as YubiKeys require) and a weak or degenerate
/// key (K1 = K2 or K2 = K3) is skipped by deriving again with a counter byte appended to the info.
pub fn derive_management_key(
    master: &MasterKey,
    chip_id: &[u8],
    algorithm: ManagementAlgorithm,
) -> ManagementKey {
    let hk = Hkdf::<Sha256>::new(Some(DERIVATION_SALT), master.expose());
    for counter in 0u8..=255 {
        let mut info = chip_id.to_vec();
        if counter > 0 {
            info.push(counter);
        }
        let mut okm = Zeroizing::new(vec![0u8; algorithm.key_len()]);
        hk.expand(&info, &mut okm)
            .expect("HKDF-SHA256 can produce 32 bytes");
        if algorithm != ManagementAlgorithm::TripleDes {
            return ManagementKey::new(okm.to_vec());
        }
        set_odd_parity(&mut okm);
        if des::weak_key_test(&okm).is_ok() && okm[8..16] != okm[16..] {
            return ManagementKey::new(okm.to_vec());
        }
    }
    unreachable!("256 HKDF outputs in a row were weak DES keys")
}

/// Sets the least significant bit of each byte so every byte has odd parity (DES key format).
pub fn set_odd_parity(key: &mut [u8]) {
    for b in key.iter_mut() {
        let high = *b & 0xFE;
        *b = high | ((high.count_ones() as u8 + 1) & 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_3des_key_round_trips_a_block() {
        let key = ManagementKey::piv_default();
        let alg = ManagementAlgorithm::TripleDes;
        let ct = alg.encrypt_block(key.expose(), &[0; 8]).unwrap();
        assert_ne!(ct, vec![0; 8]);
        assert_eq!(alg.decrypt_block(key.expose(), &ct).unwrap(), vec![0; 8]);
        assert!(alg.encrypt_block(key.expose(), &[0; 16]).is_none());
    }

    #[test]
    fn aes128_matches_fips197() {
        let key = hex::decode("000102030405060708090a0b0c0d0e0f").unwrap();
        let pt = hex::decode("00112233445566778899aabbccddeeff").unwrap();
        let ct = ManagementAlgorithm::Aes128
            .encrypt_block(&key, &pt)
            .unwrap();
        assert_eq!(hex::encode(ct), "69c4e0d86a7b0430d8cdb78070b4c55a");
    }

    #[test]
    fn derived_keys_are_per_card_deterministic_and_sized() {
        let master = MasterKey::new(vec![0x42; 32]);
        let a = derive_management_key(&master, b"\x00\xbc\x61\x4e", ManagementAlgorithm::Aes192);
        let b = derive_management_key(&master, b"\x00\xbc\x61\x4e", ManagementAlgorithm::Aes192);
        let c = derive_management_key(&master, b"\x00\xbc\x61\x4f", ManagementAlgorithm::Aes192);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 24);
        assert_ne!(a, ManagementKey::piv_default());
        // Pinned: a change of salt or construction would lock every issued card out.
        let mut okm = [0u8; 24];
        Hkdf::<Sha256>::new(Some(b"cardline-piv-mgmt-v1"), &[0x42; 32])
            .expand(b"\x00\xbc\x61\x4e", &mut okm)
            .unwrap();
        assert_eq!(a.expose(), &okm);
        let aes256 = derive_management_key(&master, b"x", ManagementAlgorithm::Aes256);
        assert_eq!(aes256.len(), 32);
    }

    #[test]
    fn derived_3des_keys_have_odd_parity_and_are_not_weak() {
        let master = MasterKey::new((0..32).collect());
        for serial in 0u32..64 {
            let k = derive_management_key(
                &master,
                &serial.to_be_bytes(),
                ManagementAlgorithm::TripleDes,
            );
            assert_eq!(k.len(), 24);
            assert!(k.expose().iter().all(|b| b.count_ones() % 2 == 1));
            assert!(des::weak_key_test(k.expose()).is_ok());
        }
        let mut weak = [0u8; 8];
        set_odd_parity(&mut weak);
        assert_eq!(weak, [1; 8]);
    }
}
