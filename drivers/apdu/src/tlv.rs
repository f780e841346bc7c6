//! BER-TLV (ISO 7816-4 §5.2) for PIV objects, on top of `iso7816-tlv` with its quirks handled.
//!
//! `iso7816-tlv` parses recursively whenever a tag has the "constructed" bit set, and then rejects
//! the whole response for one nested object it does not like. PIV uses many tags whose
//! constructed bit is set but whose value is opaque bytes (the certificate container's `70`/`71`,
//! the CHUID's FASC-N `30`, every CCC tag `F0`..`FE`). So this module parses one level at a time:
//! [`parse`] returns the objects of one level with their raw values, and
//! [`Tlv::children`] descends on request. Tags are read and validated with
//! [`iso7816_tlv::ber::Tag`]. Filler bytes `00`/`FF` between objects (allowed by ISO 7816-4) are
//! skipped. Errors name the path of tags down to the malformed one and its offset.

use iso7816_tlv::ber::Tag;

/// One BER-TLV object: a tag and its raw value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tlv {
    tag: u32,
    value: Vec<u8>,
}

/// Why a TLV could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlvFault {
    /// The tag field is invalid or longer than 3 bytes.
    BadTag,
    /// The length field is invalid (reserved form or more than 4 length bytes).
    BadLength,
    /// The value runs past the end of the input.
    Truncated,
}

/// A malformed TLV: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed BER-TLV at {} (offset {offset}): {fault:?}", path_text(.path))]
pub struct TlvError {
    /// Tags from the outermost object down to the parent of the malformed one (empty: top level).
    pub path: Vec<u32>,
    /// Byte offset of the malformed object within its parent's value.
    pub offset: usize,
    /// What is wrong.
    pub fault: TlvFault,
}

fn path_text(path: &[u32]) -> String {
    if path.is_empty() {
        return "top level".into();
    }
    path.iter()
        .map(|t| format!("{t:X}"))
        .collect::<Vec<_>>()
        .join("/")
}

impl Tlv {
    /// A new object. Panics if `tag` is not a valid BER tag of at most 3 bytes (a programming
    /// error: tags are constants).
    pub fn new(tag: u32, value: impl Into<Vec<u8>>) -> Self {
        assert!(Tag::try_from(tag).is_ok(), "invalid BER-TLV tag {tag:X}");
        Self {
            tag,
            value: value.into(),
        }
    }

    /// The tag as an integer (`0x5FC102`, `0x7F49`, `0x53`).
    pub fn tag(&self) -> u32 {
        self.tag
    }

    /// The raw value bytes.
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    /// The length of the value (not of the whole encoded object, unlike `iso7816-tlv`).
    pub fn value_len(&self) -> usize {
        self.value.len()
    }

    /// Parses the value as a sequence of objects (one level down).
    pub fn children(&self) -> Result<Vec<Tlv>, TlvError> {
        parse(&self.value).map_err(|mut e| {
            e.path.insert(0, self.tag);
            e
        })
    }

    /// Encodes tag, length and value.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.value.len() + 8);
        self.write(&mut out);
        out
    }

    /// Appends the encoding to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let tag = Tag::try_from(self.tag).expect("validated in new");
        out.extend_from_slice(tag.to_bytes());
        encode_length(self.value.len(), out);
        out.extend_from_slice(&self.value);
    }
}

/// Encodes one object: `tag ‖ length ‖ value`.
pub fn encode(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 8);
    write(tag, value, &mut out);
    out
}

/// Appends one object to `out`.
pub fn write(tag: u32, value: &[u8], out: &mut Vec<u8>) {
    let tag = Tag::try_from(tag).expect("invalid BER-TLV tag");
    out.extend_from_slice(tag.to_bytes());
    encode_length(value.len(), out);
    out.extend_from_slice(value);
}

/// Appends a BER length field (definite form, shortest encoding, ISO 7816-4 §5.2.2.2: up to
/// `84` and four bytes). Panics for a value of 4 GiB or more (no card object comes near).
pub fn encode_length(len: usize, out: &mut Vec<u8>) {
    let len = u32::try_from(len).expect("a BER-TLV value is shorter than 4 GiB");
    let bytes = len.to_be_bytes();
    match len {
        0..=0x7F => out.push(len as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, len as u8]),
        0x100..=0xFFFF => {
            out.push(0x82);
            out.extend_from_slice(&bytes[2..]);
        }
        0x1_0000..=0xFF_FFFF => {
            out.push(0x83);
            out.extend_from_slice(&bytes[1..]);
        }
        _ => {
            // Found by fuzzing (docs/fuzzing.md): values of 16 MiB and more were written with
            // a 3-byte length cut to its low bytes, so they parsed back as other objects.
            out.push(0x84);
            out.extend_from_slice(&bytes);
        }
    }
}

/// Parses one level of objects, skipping `00`/`FF` filler between them.
pub fn parse(input: &[u8]) -> Result<Vec<Tlv>, TlvError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < input.len() {
        if input[pos] == 0x00 || input[pos] == 0xFF {
            pos += 1;
            continue;
        }
        let at = pos;
        let err = |fault| TlvError {
            path: Vec::new(),
            offset: at,
            fault,
        };
        let (tag, tag_len) = read_tag(&input[pos..]).ok_or_else(|| err(TlvFault::BadTag))?;
        pos += tag_len;
        let (len, len_len) = read_length(&input[pos..]).ok_or_else(|| {
            if pos >= input.len() {
                err(TlvFault::Truncated)
            } else {
                err(TlvFault::BadLength)
            }
        })?;
        pos += len_len;
        let end = pos
            .checked_add(len)
            .filter(|&e| e <= input.len())
            .ok_or_else(|| err(TlvFault::Truncated))?;
        out.push(Tlv {
            tag,
            value: input[pos..end].to_vec(),
        });
        pos = end;
    }
    Ok(out)
}

/// Parses input that must hold exactly one object (filler around it allowed).
pub fn parse_one(input: &[u8]) -> Result<Tlv, TlvError> {
    let mut all = parse(input)?;
    match all.len() {
        1 => Ok(all.remove(0)),
        _ => Err(TlvError {
            path: Vec::new(),
            offset: 0,
            fault: if all.is_empty() {
                TlvFault::Truncated
            } else {
                TlvFault::BadLength
            },
        }),
    }
}

/// The first object with `tag` in a list.
pub fn find(objects: &[Tlv], tag: u32) -> Option<&Tlv> {
    objects.iter().find(|t| t.tag == tag)
}

fn read_tag(input: &[u8]) -> Option<(u32, usize)> {
    let first = *input.first()?;
    let mut len = 1;
    if first & 0x1F == 0x1F {
        loop {
            let b = *input.get(len)?;
            len += 1;
            if b & 0x80 == 0 {
                break;
            }
            if len >= 3 {
                return None;
            }
        }
    }
    let tag = input[..len]
        .iter()
        .fold(0u32, |acc, &b| (acc << 8) | b as u32);
    Tag::try_from(tag).ok().map(|_| (tag, len))
}

fn read_length(input: &[u8]) -> Option<(usize, usize)> {
    let first = *input.first()?;
    if first & 0x80 == 0 {
        return Some((first as usize, 1));
    }
    let n = (first & 0x7F) as usize;
    if n == 0 || n > 4 || input.len() < 1 + n {
        return None;
    }
    let len = input[1..=n]
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | b as usize);
    Some((len, 1 + n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    #[test]
    fn yubikey_select_response_parses_with_nested_templates() {
        // Spec 4.1: the YubiKey APT.
        let apt = parse_one(&hex(
            "61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08",
        ))
        .unwrap();
        assert_eq!(apt.tag(), 0x61);
        let kids = apt.children().unwrap();
        assert_eq!(
            find(&kids, 0x4F).unwrap().value(),
            &hex("00 00 10 00 01 00")[..]
        );
        let alloc = find(&kids, 0x79).unwrap().children().unwrap();
        assert_eq!(alloc[0].value(), &hex("A0 00 00 03 08")[..]);
    }

    #[test]
    fn constructed_bit_tags_with_opaque_values_are_kept_raw() {
        // Spec 4.10: CCC tags F0..FE have the constructed bit but hold raw bytes.
        let ccc = hex("F1 01 21 F2 01 21 F3 00 FE 00");
        let objs = parse(&ccc).unwrap();
        assert_eq!(objs.len(), 4);
        assert_eq!(objs[0].tag(), 0xF1);
        assert_eq!(objs[0].value(), &[0x21]);
        assert_eq!(objs[2].value_len(), 0);
        // The same bytes make iso7816-tlv give up (its quirk, the reason for this wrapper).
        assert!(iso7816_tlv::ber::Tlv::from_bytes(&hex("F1 01 21")).is_err());
    }

    #[test]
    fn filler_bytes_are_skipped() {
        let objs = parse(&hex("00 FF 53 02 AA BB 00 00 FE 00 FF")).unwrap();
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0].value(), &[0xAA, 0xBB]);
        assert_eq!(objs[1].tag(), 0xFE);
    }

    #[test]
    fn malformed_nested_tag_is_reported_with_its_path() {
        // 7F49 { 86 41 <only 2 bytes> }
        let key = parse_one(&hex("7F49 04 86 41 04 AA")).unwrap();
        let e = key.children().unwrap_err();
        assert_eq!(e.path, vec![0x7F49]);
        assert_eq!(e.offset, 0);
        assert_eq!(e.fault, TlvFault::Truncated);
        assert!(e.to_string().contains("7F49"));
        let e = parse(&hex("53 85 01 02 03 04 05")).unwrap_err();
        assert_eq!(e.fault, TlvFault::BadLength);
        let e = parse(&hex("53 84 01 02 03 04")).unwrap_err();
        assert_eq!(e.fault, TlvFault::Truncated);
        let e = parse(&hex("5F FF FF 01 00")).unwrap_err();
        assert_eq!(e.fault, TlvFault::BadTag);
    }

    #[test]
    fn lengths_use_the_shortest_form_and_round_trip() {
        assert_eq!(encode(0x80, &[]), hex("80 00"));
        assert_eq!(encode(0x5C, &hex("5F C1 05")), hex("5C 03 5F C1 05"));
        assert_eq!(&encode(0x70, &[0; 0x80])[..3], &hex("70 81 80")[..]);
        assert_eq!(&encode(0x53, &[0; 0x109])[..4], &hex("53 82 01 09")[..]);
        assert_eq!(&encode(0x7F49, &[0; 5])[..3], &hex("7F 49 05")[..]);
        assert_eq!(&encode(0x5FC102, &[0; 5])[..4], &hex("5F C1 02 05")[..]);
        let big = Tlv::new(0x53, vec![7u8; 70000]);
        let back = parse_one(&big.to_bytes()).unwrap();
        assert_eq!(back, big);
        assert_eq!(back.value_len(), 70000);
    }

    #[test]
    fn values_of_16_mib_and_more_round_trip_with_a_four_byte_length() {
        // Regression (fuzz target ber_tlv): 0x100_0000 bytes were encoded as `83 00 00 00`.
        for len in [0xFF_FFFF, 0x100_0000, 0x100_0001] {
            let value = vec![0x5A; len];
            let bytes = encode(0x53, &value);
            let head = if len > 0xFF_FFFF { 6 } else { 5 };
            assert_eq!(bytes.len(), head + len, "{len:#X}");
            let back = parse_one(&bytes).unwrap();
            assert_eq!((back.tag(), back.value_len()), (0x53, len));
        }
        assert_eq!(
            &encode(0x53, &vec![0; 0x100_0000])[..6],
            &hex("53 84 01 00 00 00")[..]
        );
        assert_eq!(
            parse(&hex("53 85 00 00 00 00 01 00")).unwrap_err().fault,
            TlvFault::BadLength
        );
    }
}
