//! What a card and the CA can hold, checked before any card is fed: every subject attribute
//! within its X.520 upper bound (RFC 5280 Appendix A), and the whole certificate within the
//! card's data-object size — a certificate too big for the chip fails only after the card was
//! encoded (status 6A84), one blank and one certificate per card, unless refused here.

use cardline_device::KeyAlgorithm;
use rcgen::{
    CertificateParams, DnType, DnValue, IsCa, Issuer, KeyPair, PublicKeyData, SerialNumber,
};
use time::{Duration, OffsetDateTime};

use super::CertProfileSpec;
use super::profile::render_subject;

/// The largest certificate (DER) a PIV card stores: data objects of up to 3,052 bytes
/// (YubiKey 4/5, the common PIV cards), less the certificate container's own tags (`70`,
/// `71`, `FE` and their lengths: 9 bytes).
pub const PIV_MAX_CERTIFICATE_LEN: usize = 3052 - 9;

/// The longest CA name (`cardline ca init --name`): the X.520 bound of a common name.
pub const MAX_CA_NAME_LEN: usize = 64;

/// The X.520 upper bound (characters) of a subject attribute cardline writes.
pub fn attribute_bound(ty: &DnType) -> usize {
    match ty {
        DnType::CountryName => 2,
        DnType::LocalityName | DnType::StateOrProvinceName => 128,
        _ => 64, // common name, organisation, organisational unit, serial number
    }
}

fn attribute_name(ty: &DnType) -> &'static str {
    match ty {
        DnType::CommonName => "CN",
        DnType::OrganizationName => "O",
        DnType::OrganizationalUnitName => "OU",
        DnType::CountryName => "C",
        DnType::LocalityName => "L",
        DnType::StateOrProvinceName => "ST",
        _ => "serialNumber",
    }
}

/// Checks every attribute of `profile`'s subject, rendered for `longest_card_number`, against
/// its X.520 bound; the error names the attribute, its length and the bound.
pub fn check_subject_bounds(
    profile: &CertProfileSpec,
    longest_card_number: &str,
) -> Result<(), String> {
    let dn = render_subject(&profile.subject, longest_card_number)?;
    for (ty, value) in dn.iter() {
        // render_subject writes UTF-8 strings only; other kinds are counted by their text.
        let len = match value {
            DnValue::Utf8String(s) => s.chars().count(),
            DnValue::PrintableString(s) => s.as_ref().chars().count(),
            other => format!("{other:?}").chars().count(),
        };
        let bound = attribute_bound(ty);
        if len > bound {
            return Err(format!(
                "subject attribute {} is {len} characters for the longest card number \
                 ({longest_card_number}); X.509 allows at most {bound}: shorten it",
                attribute_name(ty)
            ));
        }
    }
    Ok(())
}

/// A SubjectPublicKeyInfo of the size a card's key of `algorithm` has (only its size matters).
fn sample_spki(algorithm: KeyAlgorithm) -> Result<Vec<u8>, String> {
    let generate = |alg| {
        KeyPair::generate_for(alg)
            .map(|k| k.subject_public_key_info())
            .map_err(|e| e.to_string())
    };
    match algorithm {
        KeyAlgorithm::EccP256 => generate(&rcgen::PKCS_ECDSA_P256_SHA256),
        KeyAlgorithm::EccP384 => generate(&rcgen::PKCS_ECDSA_P384_SHA384),
        KeyAlgorithm::Rsa2048 => {
            // SEQUENCE { rsaEncryption NULL, BIT STRING { SEQUENCE { INTEGER n, INTEGER e } } }
            let mut out =
                hex_bytes("30820122300d06092a864886f70d01010105000382010f003082010a0282010100");
            out.push(0xC5);
            out.extend(std::iter::repeat_n(0xA7, 255));
            out.extend(hex_bytes("0203010001"));
            Ok(out)
        }
    }
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("constant hex"))
        .collect()
}

/// The largest certificate `profile` yields (DER bytes): subject for `longest_card_number`,
/// a card key of the profile's algorithm, signed by a P-384 CA (the largest signature) whose
/// name is as long as a CA name may be, with every extension cardline writes.
pub fn largest_certificate_len(
    profile: &CertProfileSpec,
    longest_card_number: &str,
) -> Result<usize, String> {
    let ca_key =
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).map_err(|e| e.to_string())?;
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "C".repeat(MAX_CA_NAME_LEN));
    ca_params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    let issuer = Issuer::new(ca_params, ca_key);
    let spki_der = sample_spki(profile.algorithm)?;
    let spki = rcgen::SubjectPublicKeyInfo::from_der(&spki_der).map_err(|e| e.to_string())?;
    let now = OffsetDateTime::now_utc();
    let mut params = CertificateParams::default();
    params.distinguished_name = render_subject(&profile.subject, longest_card_number)?;
    params.not_before = now;
    params.not_after = now + Duration::days(366);
    params.serial_number = Some(SerialNumber::from_slice(&[0x7F; 16]));
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = profile.key_usages().map_err(|e| e.to_string())?;
    params.extended_key_usages = profile.extended_key_usages().map_err(|e| e.to_string())?;
    params.use_authority_key_identifier_extension = true;
    let cert = params
        .signed_by(&spki, &issuer)
        .map_err(|e| e.to_string())?;
    // An ECDSA signature's DER length varies by up to 2 bytes with its leading zeros.
    Ok(cert.der().len() + 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cardline_device::PivSlot;

    fn profile(subject: &str, algorithm: KeyAlgorithm) -> CertProfileSpec {
        CertProfileSpec {
            name: "p".into(),
            slot: PivSlot::AUTHENTICATION,
            algorithm,
            subject: subject.into(),
            key_usage: vec!["digitalSignature".into()],
            extended_key_usage: vec!["clientAuth".into()],
        }
    }

    #[test]
    fn a_long_attribute_is_refused_with_its_bound() {
        let ok = profile(
            "CN=Temporary card {card_number},O=Example,C=DE",
            KeyAlgorithm::EccP256,
        );
        assert!(check_subject_bounds(&ok, "TMP000000018").is_ok());
        let long = profile(
            &format!("CN={{card_number}},O={}", "x".repeat(70)),
            KeyAlgorithm::EccP256,
        );
        let e = check_subject_bounds(&long, "TMP000000018").unwrap_err();
        assert!(
            e.contains("attribute O is 70 characters") && e.contains("at most 64"),
            "{e}"
        );
        let country = profile("CN=x,C=DEU", KeyAlgorithm::EccP256);
        assert!(
            check_subject_bounds(&country, "1")
                .unwrap_err()
                .contains("at most 2")
        );
    }

    #[test]
    fn the_estimate_grows_with_the_key_and_the_subject_and_stays_under_the_card_for_defaults() {
        let small = largest_certificate_len(
            &profile("CN=Temporary card {card_number}", KeyAlgorithm::EccP256),
            "TMP000000018",
        )
        .unwrap();
        let rsa = largest_certificate_len(
            &profile("CN=Temporary card {card_number}", KeyAlgorithm::Rsa2048),
            "TMP000000018",
        )
        .unwrap();
        assert!(small > 300 && small < 800, "{small}");
        assert!(rsa > small + 150, "an RSA key is bigger: {rsa} vs {small}");
        assert!(rsa < PIV_MAX_CERTIFICATE_LEN);
        // Every attribute at its bound still fits a card...
        let full = format!(
            "CN={},O={},OU={},L={},ST={},C=DE,serialNumber={}",
            "c".repeat(64),
            "o".repeat(64),
            "u".repeat(64),
            "l".repeat(128),
            "s".repeat(128),
            "n".repeat(64)
        );
        let bounded = largest_certificate_len(&profile(&full, KeyAlgorithm::Rsa2048), "1").unwrap();
        assert!(bounded < PIV_MAX_CERTIFICATE_LEN, "{bounded}");
        // ...an organisation of 3,000 characters does not (and breaks its bound).
        let huge = profile(
            &format!("CN={{card_number}},O={}", "x".repeat(3000)),
            KeyAlgorithm::EccP256,
        );
        let len = largest_certificate_len(&huge, "TMP000000018").unwrap();
        assert!(len > PIV_MAX_CERTIFICATE_LEN, "{len}");
        assert!(check_subject_bounds(&huge, "TMP000000018").is_err());
    }
}
