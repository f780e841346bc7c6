//! Asymmetric slot keys (SP 800-73-4 Part 2 §3.3; algorithm ids SP 800-78-4 Table 6-2):
//! on-card generation, the public key template 7F49, raw signing and ECDH.
//!
//! Private keys are kept as bytes (EC scalar, PKCS#1 DER for RSA) so the card state can be
//! saved as JSON. RSA uses the `rsa` crate (RUSTSEC-2023-0071 timing side channel: fine for
//! a simulator).

use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::elliptic_curve::Generate;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::traits::PublicKeyParts;

use super::sw::Sw;
use super::tlv::tlv;

/// PIV algorithm id: RSA-1024.
pub const ALG_RSA1024: u8 = 0x06;
/// PIV algorithm id: RSA-2048.
pub const ALG_RSA2048: u8 = 0x07;
/// PIV algorithm id: ECC P-256.
pub const ALG_ECCP256: u8 = 0x11;
/// PIV algorithm id: ECC P-384.
pub const ALG_ECCP384: u8 = 0x14;

/// A private key held in a slot, decoded for one operation.
enum SlotKey {
    P256(p256::SecretKey),
    P384(p384::SecretKey),
    Rsa(Box<rsa::PrivateKey>),
}

impl SlotKey {
    fn decode(algorithm: u8, private: &[u8]) -> Result<SlotKey, Sw> {
        let bad = |_| Sw::REF_NOT_FOUND;
        Ok(match algorithm {
            ALG_ECCP256 => SlotKey::P256(p256::SecretKey::from_slice(private).map_err(bad)?),
            ALG_ECCP384 => SlotKey::P384(p384::SecretKey::from_slice(private).map_err(bad)?),
            ALG_RSA1024 | ALG_RSA2048 => SlotKey::Rsa(Box::new(
                rsa::PrivateKey::from_pkcs1_der(private).map_err(|_| Sw::REF_NOT_FOUND)?,
            )),
            _ => return Err(Sw::REF_NOT_FOUND),
        })
    }
}

/// Generates a private key for `algorithm`; the bytes go into the card state.
pub fn generate(algorithm: u8) -> Result<Vec<u8>, Sw> {
    let mut rng = rand::rng();
    Ok(match algorithm {
        ALG_ECCP256 => p256::SecretKey::generate_from_rng(&mut rng)
            .to_bytes()
            .to_vec(),
        ALG_ECCP384 => p384::SecretKey::generate_from_rng(&mut rng)
            .to_bytes()
            .to_vec(),
        ALG_RSA1024 | ALG_RSA2048 => {
            let bits = if algorithm == ALG_RSA1024 { 1024 } else { 2048 };
            let key = rsa::PrivateKey::new(&mut rng, bits).map_err(|_| Sw::MEMORY_FAILURE)?;
            key.to_pkcs1_der()
                .map_err(|_| Sw::MEMORY_FAILURE)?
                .as_bytes()
                .to_vec()
        }
        _ => return Err(Sw::INCORRECT_DATA),
    })
}

/// The public key data objects (inside 7F49): `86 point` for EC, `81 n 82 e` for RSA.
pub fn public_key_objects(algorithm: u8, private: &[u8]) -> Result<Vec<u8>, Sw> {
    Ok(match SlotKey::decode(algorithm, private)? {
        SlotKey::P256(k) => tlv(&[0x86], &k.public_key().to_sec1_bytes()),
        SlotKey::P384(k) => tlv(&[0x86], &k.public_key().to_sec1_bytes()),
        SlotKey::Rsa(k) => {
            let mut out = tlv(&[0x81], &k.n().to_be_bytes_trimmed_vartime());
            out.extend(tlv(&[0x82], &k.e().to_be_bytes_trimmed_vartime()));
            out
        }
    })
}

/// Fits a hash to the curve's field size: left-pad short input, keep the leftmost bytes of long.
fn fit(input: &[u8], size: usize) -> Vec<u8> {
    if input.len() >= size {
        input[..size].to_vec()
    } else {
        let mut v = vec![0; size - input.len()];
        v.extend_from_slice(input);
        v
    }
}

/// The private-key operation of GENERAL AUTHENTICATE tag 81: ECDSA over a hash (DER signature
/// out) or raw RSA on a modulus-length block (also used for RSA decryption).
pub fn sign(algorithm: u8, private: &[u8], input: &[u8]) -> Result<Vec<u8>, Sw> {
    match SlotKey::decode(algorithm, private)? {
        SlotKey::P256(k) => {
            let sig: p256::ecdsa::DerSignature = p256::ecdsa::SigningKey::from(&k)
                .sign_prehash(&fit(input, 32))
                .map_err(|_| Sw::INCORRECT_DATA)?;
            Ok(sig.to_bytes().to_vec())
        }
        SlotKey::P384(k) => {
            let sig: p384::ecdsa::DerSignature = p384::ecdsa::SigningKey::from(&k)
                .sign_prehash(&fit(input, 48))
                .map_err(|_| Sw::INCORRECT_DATA)?;
            Ok(sig.to_bytes().to_vec())
        }
        SlotKey::Rsa(k) => {
            let size = k.size();
            if input.len() != size {
                return Err(Sw::INCORRECT_DATA);
            }
            let c = rsa::BoxedUint::from_be_slice(input, k.n().bits_precision())
                .map_err(|_| Sw::INCORRECT_DATA)?;
            if c >= *k.n().as_ref() {
                return Err(Sw::INCORRECT_DATA);
            }
            let m = rsa::hazmat::rsa_decrypt_and_check(&*k, Some(&mut rand::rng()), &c)
                .map_err(|_| Sw::INCORRECT_DATA)?;
            let bytes = m.to_be_bytes();
            Ok(bytes[bytes.len() - size..].to_vec())
        }
    }
}

/// ECDH with the peer's uncompressed point (GENERAL AUTHENTICATE tag 85): the shared x.
pub fn ecdh(algorithm: u8, private: &[u8], peer: &[u8]) -> Result<Vec<u8>, Sw> {
    match SlotKey::decode(algorithm, private)? {
        SlotKey::P256(k) => {
            let p = p256::PublicKey::from_sec1_bytes(peer).map_err(|_| Sw::INCORRECT_DATA)?;
            Ok(k.diffie_hellman(&p).raw_secret_bytes().to_vec())
        }
        SlotKey::P384(k) => {
            let p = p384::PublicKey::from_sec1_bytes(peer).map_err(|_| Sw::INCORRECT_DATA)?;
            Ok(k.diffie_hellman(&p).raw_secret_bytes().to_vec())
        }
        SlotKey::Rsa(_) => Err(Sw::INCORRECT_DATA),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::hazmat::PrehashVerifier;

    #[test]
    fn p256_sign_verifies_with_public_point() {
        let private = generate(ALG_ECCP256).unwrap();
        let objects = public_key_objects(ALG_ECCP256, &private).unwrap();
        assert_eq!(&objects[..2], &[0x86, 65]);
        let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&objects[2..]).unwrap();
        let hash = [0x42u8; 32];
        let der = sign(ALG_ECCP256, &private, &hash).unwrap();
        let sig = p256::ecdsa::DerSignature::try_from(&der[..]).unwrap();
        let sig = p256::ecdsa::Signature::from_der(sig.as_bytes()).unwrap();
        vk.verify_prehash(&hash, &sig).unwrap();
    }

    #[test]
    fn p384_point_and_ecdh_agree() {
        let a = generate(ALG_ECCP384).unwrap();
        let b = generate(ALG_ECCP384).unwrap();
        let pa = public_key_objects(ALG_ECCP384, &a).unwrap();
        let pb = public_key_objects(ALG_ECCP384, &b).unwrap();
        assert_eq!(&pa[..2], &[0x86, 97]);
        assert_eq!(
            ecdh(ALG_ECCP384, &a, &pb[2..]).unwrap(),
            ecdh(ALG_ECCP384, &b, &pa[2..]).unwrap()
        );
    }

    #[test]
    fn unknown_algorithm_is_6a80() {
        assert_eq!(generate(0x99), Err(Sw::INCORRECT_DATA));
    }
}
