//! The card management key (key reference 9B) and its block cipher: 3DES (id 03), AES-128
//! (08), AES-192 (0A), AES-256 (0C) — SP 800-78-4 Table 6-1.

use des::cipher::{Array, BlockCipherEncrypt, KeyInit};

use super::sw::Sw;

/// Algorithm id of 3DES (EDE3, three keys).
pub const ALG_3DES: u8 = 0x03;
/// Algorithm id of AES-128.
pub const ALG_AES128: u8 = 0x08;
/// Algorithm id of AES-192.
pub const ALG_AES192: u8 = 0x0A;
/// Algorithm id of AES-256.
pub const ALG_AES256: u8 = 0x0C;

/// Key length for a management key algorithm, or `None` when it is not a symmetric algorithm.
pub fn key_len(algorithm: u8) -> Option<usize> {
    match algorithm {
        ALG_3DES | ALG_AES192 => Some(24),
        ALG_AES128 => Some(16),
        ALG_AES256 => Some(32),
        _ => None,
    }
}

/// Block size of the algorithm (8 for 3DES, 16 for AES).
pub fn block_len(algorithm: u8) -> usize {
    if algorithm == ALG_3DES { 8 } else { 16 }
}

fn enc<C: KeyInit + BlockCipherEncrypt>(key: &[u8], block: &[u8]) -> Result<Vec<u8>, Sw> {
    let cipher = C::new_from_slice(key).map_err(|_| Sw::INCORRECT_DATA)?;
    let mut b = Array::try_from(block).map_err(|_| Sw::INCORRECT_DATA)?;
    cipher.encrypt_block(&mut b);
    Ok(b.to_vec())
}

/// Encrypts one block with the management key (the card's side of the 9B challenge-response).
pub fn encrypt_block(algorithm: u8, key: &[u8], block: &[u8]) -> Result<Vec<u8>, Sw> {
    if block.len() != block_len(algorithm) {
        return Err(Sw::INCORRECT_DATA);
    }
    match algorithm {
        ALG_3DES => enc::<des::TdesEde3>(key, block),
        ALG_AES128 => enc::<aes::Aes128>(key, block),
        ALG_AES192 => enc::<aes::Aes192>(key, block),
        ALG_AES256 => enc::<aes::Aes256>(key, block),
        _ => Err(Sw::INCORRECT_DATA),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tdes_known_answer_with_default_key() {
        // The default key 0102..08 ×3 makes 3DES-EDE3 degenerate to single DES with 0102..08.
        // FIPS 81-style check: DES(0102030405060708, 0000000000000000).
        let key = hex::decode("010203040506070801020304050607080102030405060708").unwrap();
        let out = encrypt_block(ALG_3DES, &key, &[0; 8]).unwrap();
        let single = enc::<des::Des>(&key[..8], &[0; 8]).unwrap();
        assert_eq!(out, single);
        assert_ne!(out, vec![0; 8]);
    }

    #[test]
    fn aes128_fips197_vector() {
        let key = hex::decode("000102030405060708090a0b0c0d0e0f").unwrap();
        let pt = hex::decode("00112233445566778899aabbccddeeff").unwrap();
        let ct = encrypt_block(ALG_AES128, &key, &pt).unwrap();
        assert_eq!(hex::encode(ct), "69c4e0d86a7b0430d8cdb78070b4c55a");
    }

    #[test]
    fn wrong_block_size_is_6a80() {
        let key = [0u8; 24];
        assert_eq!(
            encrypt_block(ALG_AES192, &key, &[0; 8]),
            Err(Sw::INCORRECT_DATA)
        );
    }
}
