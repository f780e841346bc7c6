//! Public keys returned by GENERATE ASYMMETRIC KEY PAIR (tag 7F49) → DER SubjectPublicKeyInfo,
//! and the comparison with a certificate's key.

use cardline_apdu::tlv;
use cardline_device::KeyAlgorithm;

use crate::error::PivError;

const CMD: &str = "GENERATE ASYMMETRIC KEY PAIR";

/// A public key generated on the card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedKey {
    /// The algorithm.
    pub algorithm: KeyAlgorithm,
    /// DER SubjectPublicKeyInfo.
    pub spki: Vec<u8>,
    /// The SPKI's BIT STRING contents: `04‖X‖Y` for EC, DER RSAPublicKey for RSA.
    pub key_bits: Vec<u8>,
}

/// Parses `7F49 { 86 point }` (EC) or `7F49 { 81 modulus, 82 exponent }` (RSA).
pub fn parse_generated(algorithm: KeyAlgorithm, answer: &[u8]) -> Result<GeneratedKey, PivError> {
    let template = tlv::parse_one(answer).map_err(|e| PivError::tlv(CMD, e))?;
    if template.tag() != 0x7F49 {
        return Err(PivError::malformed(
            CMD,
            format!("template {:X} instead of 7F49", template.tag()),
        ));
    }
    let parts = template.children().map_err(|e| PivError::tlv(CMD, e))?;
    let field = |tag: u32| {
        tlv::find(&parts, tag)
            .map(|t| t.value().to_vec())
            .ok_or_else(|| PivError::malformed(CMD, format!("7F49 lacks tag {tag:X}")))
    };
    match algorithm {
        KeyAlgorithm::EccP256 => {
            let point = field(0x86)?;
            p256::PublicKey::from_sec1_bytes(&point)
                .map_err(|_| PivError::malformed(CMD, "not a P-256 point"))?;
            Ok(ec_key(algorithm, &P256_OID, point))
        }
        KeyAlgorithm::EccP384 => {
            let point = field(0x86)?;
            p384::PublicKey::from_sec1_bytes(&point)
                .map_err(|_| PivError::malformed(CMD, "not a P-384 point"))?;
            Ok(ec_key(algorithm, &P384_OID, point))
        }
        KeyAlgorithm::Rsa2048 => {
            let modulus = field(0x81)?;
            let exponent = field(0x82)?;
            let significant = modulus.iter().skip_while(|&&b| b == 0).count();
            if significant != 256 {
                return Err(PivError::malformed(
                    CMD,
                    format!("RSA modulus of {significant} bytes, not 256"),
                ));
            }
            let mut rsa_key = der_integer(&modulus);
            rsa_key.extend(der_integer(&exponent));
            let key_bits = der(0x30, &rsa_key);
            let algorithm_id = der(0x30, &[RSA_OID.as_slice(), &[0x05, 0x00]].concat());
            Ok(GeneratedKey {
                algorithm,
                spki: spki(&algorithm_id, &key_bits),
                key_bits,
            })
        }
    }
}

/// True when the DER certificate certifies exactly this key (same algorithm OID and key bits).
pub fn certificate_holds(certificate: &[u8], key: &GeneratedKey) -> Result<bool, PivError> {
    let (_, cert) = x509_parser::parse_x509_certificate(certificate)
        .map_err(|e| PivError::malformed("certificate", e.to_string()))?;
    let spki = cert.public_key();
    let oid = spki.algorithm.algorithm.to_id_string();
    let want_oid = match key.algorithm {
        KeyAlgorithm::EccP256 | KeyAlgorithm::EccP384 => "1.2.840.10045.2.1",
        KeyAlgorithm::Rsa2048 => "1.2.840.113549.1.1.1",
    };
    Ok(oid == want_oid && spki.subject_public_key.data.as_ref() == key.key_bits.as_slice())
}

/// id-ecPublicKey, DER.
const EC_OID: [u8; 9] = [0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
/// prime256v1, DER.
const P256_OID: [u8; 10] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
/// secp384r1, DER.
const P384_OID: [u8; 7] = [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22];
/// rsaEncryption, DER.
const RSA_OID: [u8; 11] = [
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01,
];

fn ec_key(algorithm: KeyAlgorithm, curve: &[u8], point: Vec<u8>) -> GeneratedKey {
    let algorithm_id = der(0x30, &[EC_OID.as_slice(), curve].concat());
    GeneratedKey {
        algorithm,
        spki: spki(&algorithm_id, &point),
        key_bits: point,
    }
}

fn spki(algorithm_id: &[u8], key_bits: &[u8]) -> Vec<u8> {
    let mut bits = vec![0x00];
    bits.extend_from_slice(key_bits);
    der(0x30, &[algorithm_id, &der(0x03, &bits)].concat())
}

fn der(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    tlv::encode_length(value.len(), &mut out);
    out.extend_from_slice(value);
    out
}

fn der_integer(unsigned_be: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = unsigned_be
        .iter()
        .copied()
        .skip_while(|&b| b == 0)
        .collect();
    let mut v = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|&b| b & 0x80 != 0) {
        v.push(0);
    }
    v.extend(trimmed);
    der(0x02, &v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p256_point() -> Vec<u8> {
        // The P-256 generator G, a valid point.
        hex::decode(
            "046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296\
             4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5",
        )
        .unwrap()
    }

    #[test]
    fn p256_7f49_becomes_a_standard_spki() {
        let point = p256_point();
        let mut answer = vec![0x7F, 0x49, 0x43, 0x86, 0x41];
        answer.extend_from_slice(&point);
        let key = parse_generated(KeyAlgorithm::EccP256, &answer).unwrap();
        assert_eq!(key.key_bits, point);
        // 30 59 30 13 06 07 <ecPublicKey> 06 08 <prime256v1> 03 42 00 04...
        assert_eq!(&key.spki[..4], &[0x30, 0x59, 0x30, 0x13]);
        assert_eq!(&key.spki[23..27], &[0x03, 0x42, 0x00, 0x04]);
        assert_eq!(key.spki.len(), 91);
        let parsed = p256::PublicKey::from_sec1_bytes(&key.key_bits).unwrap();
        assert_eq!(parsed, p256::PublicKey::from_sec1_bytes(&point).unwrap());
    }

    #[test]
    fn rsa_7f49_with_long_length_becomes_pkcs1_spki() {
        let mut modulus = vec![0xC5u8; 256];
        modulus[255] = 0x01;
        let mut inner = vec![0x81, 0x82, 0x01, 0x00];
        inner.extend_from_slice(&modulus);
        inner.extend_from_slice(&[0x82, 0x03, 0x01, 0x00, 0x01]);
        let mut answer = vec![0x7F, 0x49, 0x82, 0x01, 0x09];
        answer.extend_from_slice(&inner);
        assert_eq!(answer.len(), 5 + 265);
        let key = parse_generated(KeyAlgorithm::Rsa2048, &answer).unwrap();
        // RSAPublicKey = SEQ { INTEGER 00 C5.. (257), INTEGER 01 00 01 }
        assert_eq!(
            &key.key_bits[..8],
            &[0x30, 0x82, 0x01, 0x0A, 0x02, 0x82, 0x01, 0x01]
        );
        assert_eq!(
            &key.key_bits[key.key_bits.len() - 5..],
            &[0x02, 0x03, 1, 0, 1]
        );
        assert_eq!(key.spki.len(), 294);
    }

    #[test]
    fn bad_points_and_templates_are_malformed() {
        let mut answer = vec![0x7F, 0x49, 0x43, 0x86, 0x41, 0x04];
        answer.extend_from_slice(&[0x01; 64]);
        assert!(matches!(
            parse_generated(KeyAlgorithm::EccP256, &answer),
            Err(PivError::Malformed { .. })
        ));
        let e = parse_generated(KeyAlgorithm::EccP256, &[0x7F, 0x49, 0x03, 0x86, 0x41, 0x04])
            .unwrap_err();
        assert!(e.to_string().contains("7F49"), "{e}");
        assert!(parse_generated(KeyAlgorithm::EccP384, &[0x53, 0x00]).is_err());
    }
}
