//! PIV data objects (SP 800-73-4 Part 1 §3): tags, CHUID, CCC and the certificate container.

use cardline_apdu::tlv;

use crate::error::PivError;

/// Card Capability Container (SP 800-73-4 §3.1.1).
pub const CCC: u32 = 0x5FC107;
/// Card Holder Unique Identifier (§3.1.2).
pub const CHUID: u32 = 0x5FC102;
/// Discovery object (§3.3.2).
pub const DISCOVERY: u32 = 0x7E;
/// Printed information (YubiKey also keeps a PIN-protected management key here).
pub const PRINTED_INFORMATION: u32 = 0x5FC109;

/// FASC-N of yubico-piv-tool's CHUID template (a test-card agency/system/credential number,
/// BCD with parity): what every YubiKey personalised by it carries.
pub const TEST_FASCN: [u8; 25] = [
    0xD4, 0xE7, 0x39, 0xDA, 0x73, 0x9C, 0xED, 0x39, 0xCE, 0x73, 0x9D, 0x83, 0x68, 0x58, 0x21, 0x08,
    0x42, 0x10, 0x84, 0x21, 0xC8, 0x42, 0x10, 0xC3, 0xEB,
];

/// The bytes of a tag as they appear after `5C` in GET/PUT DATA (`5F C1 05`, `7E`).
pub fn tag_bytes(tag: u32) -> Vec<u8> {
    let b = tag.to_be_bytes();
    let skip = b.iter().take_while(|&&x| x == 0).count().min(3);
    b[skip..].to_vec()
}

/// The data field of GET DATA: `5C L <tag>`.
pub fn get_data_field(tag: u32) -> Vec<u8> {
    tlv::encode(0x5C, &tag_bytes(tag))
}

/// The data field of PUT DATA: `5C L <tag> 53 L <contents>` (Discovery uses its own tag 7E).
pub fn put_data_field(tag: u32, contents: &[u8]) -> Vec<u8> {
    let mut out = get_data_field(tag);
    let wrapper = if tag == DISCOVERY { DISCOVERY } else { 0x53 };
    tlv::write(wrapper, contents, &mut out);
    out
}

/// Unwraps a GET DATA answer: `53 L <contents>` (or `7E L ...` for Discovery).
pub fn unwrap_get_data(tag: u32, answer: &[u8]) -> Result<Vec<u8>, PivError> {
    let object = tlv::parse_one(answer).map_err(|e| PivError::tlv("GET DATA", e))?;
    let want = if tag == DISCOVERY { DISCOVERY } else { 0x53 };
    if object.tag() != want {
        return Err(PivError::malformed(
            "GET DATA",
            format!("object {:X} instead of {want:X}", object.tag()),
        ));
    }
    Ok(object.value().to_vec())
}

/// CHUID contents (inside 53): `30 FASC-N, 34 GUID, 35 expiry YYYYMMDD, 3E (empty signature),
/// FE (empty EDC)` — yubico-piv-tool's template with our GUID and expiry (59 bytes).
pub fn chuid(guid: &[u8; 16], expiry: &str) -> Result<Vec<u8>, PivError> {
    if expiry.len() != 8 || !expiry.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PivError::Unsupported {
            what: format!("a CHUID expiry `{expiry}` (must be YYYYMMDD)"),
        });
    }
    let mut out = Vec::with_capacity(59);
    tlv::write(0x30, &TEST_FASCN, &mut out);
    tlv::write(0x34, guid, &mut out);
    tlv::write(0x35, expiry.as_bytes(), &mut out);
    tlv::write(0x3E, &[], &mut out);
    tlv::write(0xFE, &[], &mut out);
    Ok(out)
}

/// What a CHUID says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chuid {
    /// The card's GUID (tag 34).
    pub guid: Option<[u8; 16]>,
    /// Expiry `YYYYMMDD` (tag 35).
    pub expiry: Option<String>,
}

/// Parses CHUID contents.
pub fn parse_chuid(contents: &[u8]) -> Result<Chuid, PivError> {
    let objects = tlv::parse(contents).map_err(|e| PivError::tlv("GET DATA CHUID", e))?;
    let guid = tlv::find(&objects, 0x34).and_then(|t| t.value().try_into().ok());
    let expiry = tlv::find(&objects, 0x35).map(|t| String::from_utf8_lossy(t.value()).into_owned());
    Ok(Chuid { guid, expiry })
}

/// CCC contents (yubico-piv-tool's template, 51 bytes): `F0 15 A0 00 00 01 16 FF 02 <14-byte
/// card id>`, container and grammar version 21, data model 10 (PIV), the rest empty.
pub fn ccc(card_id: &[u8; 14]) -> Vec<u8> {
    let mut f0 = vec![0xA0, 0x00, 0x00, 0x01, 0x16, 0xFF, 0x02];
    f0.extend_from_slice(card_id);
    let mut out = Vec::with_capacity(51);
    tlv::write(0xF0, &f0, &mut out);
    tlv::write(0xF1, &[0x21], &mut out);
    tlv::write(0xF2, &[0x21], &mut out);
    tlv::write(0xF3, &[], &mut out);
    tlv::write(0xF4, &[0x00], &mut out);
    tlv::write(0xF5, &[0x10], &mut out);
    for tag in [0xF6, 0xF7, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE] {
        tlv::write(tag, &[], &mut out);
    }
    out
}

/// Certificate container contents (inside 53): `70 L <DER>`, `71 01 00` (not compressed),
/// `FE 00` (empty EDC).
pub fn certificate_container(der: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(der.len() + 10);
    tlv::write(0x70, der, &mut out);
    tlv::write(0x71, &[0x00], &mut out);
    tlv::write(0xFE, &[], &mut out);
    out
}

/// The DER certificate inside certificate container contents. Compressed certificates
/// (`71 01 01`) are reported as unsupported.
pub fn parse_certificate_container(contents: &[u8]) -> Result<Vec<u8>, PivError> {
    let objects = tlv::parse(contents).map_err(|e| PivError::tlv("GET DATA certificate", e))?;
    if tlv::find(&objects, 0x71).is_some_and(|t| t.value().first().is_some_and(|b| b & 1 == 1)) {
        return Err(PivError::Unsupported {
            what: "gzip-compressed certificates".into(),
        });
    }
    tlv::find(&objects, 0x70)
        .map(|t| t.value().to_vec())
        .ok_or_else(|| PivError::malformed("GET DATA certificate", "no 70 (certificate) inside"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    #[test]
    fn get_and_put_data_fields_match_the_spec() {
        assert_eq!(get_data_field(0x5FC105), hex("5C 03 5F C1 05"));
        assert_eq!(get_data_field(DISCOVERY), hex("5C 01 7E"));
        assert_eq!(
            put_data_field(CHUID, &[0xAA]),
            hex("5C 03 5F C1 02 53 01 AA")
        );
        assert_eq!(put_data_field(DISCOVERY, &[1]), hex("5C 01 7E 7E 01 01"));
        assert_eq!(
            unwrap_get_data(CCC, &hex("53 02 F1 00")).unwrap(),
            hex("F1 00")
        );
        assert!(unwrap_get_data(CCC, &hex("54 00")).is_err());
    }

    #[test]
    fn chuid_matches_yubico_template_with_our_guid_and_expiry() {
        let guid: [u8; 16] = core::array::from_fn(|i| i as u8);
        let c = chuid(&guid, "20300101").unwrap();
        let want = hex(
            "30 19 D4 E7 39 DA 73 9C ED 39 CE 73 9D 83 68 58 21 08 42 10 84 21 C8 42 10 C3 EB \
             34 10 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F \
             35 08 32 30 33 30 30 31 30 31 3E 00 FE 00",
        );
        assert_eq!(c, want);
        assert_eq!(c.len(), 59);
        let parsed = parse_chuid(&c).unwrap();
        assert_eq!(parsed.guid, Some(guid));
        assert_eq!(parsed.expiry.as_deref(), Some("20300101"));
        assert!(chuid(&guid, "2030-01-01").is_err());
    }

    #[test]
    fn ccc_matches_yubico_template() {
        let id = [0x11u8; 14];
        let c = ccc(&id);
        let want = hex(
            "F0 15 A0 00 00 01 16 FF 02 11 11 11 11 11 11 11 11 11 11 11 11 11 11 \
             F1 01 21 F2 01 21 F3 00 F4 01 00 F5 01 10 F6 00 F7 00 FA 00 FB 00 FC 00 FD 00 FE 00",
        );
        assert_eq!(c, want);
        assert_eq!(c.len(), 51);
    }

    #[test]
    fn certificate_container_round_trips_and_rejects_gzip() {
        let der = vec![0x30, 0x82, 0x01, 0x00, 0xAB];
        let c = certificate_container(&der);
        assert_eq!(c, hex("70 05 30 82 01 00 AB 71 01 00 FE 00"));
        assert_eq!(parse_certificate_container(&c).unwrap(), der);
        let gz = hex("70 01 1F 71 01 01 FE 00");
        assert!(matches!(
            parse_certificate_container(&gz),
            Err(PivError::Unsupported { .. })
        ));
        assert!(parse_certificate_container(&hex("71 01 00")).is_err());
    }
}
