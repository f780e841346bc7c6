//! Just enough BER-TLV (ISO 7816-4 §5.2) for the card's side: multi-byte tags, lengths up to
//! 0x82 xx xx, no constructed-tag interpretation (callers descend explicitly).

use super::sw::Sw;

/// Encodes one TLV.
pub fn tlv(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    out.extend(encode_len(value.len()));
    out.extend_from_slice(value);
    out
}

/// Encodes a BER length.
pub fn encode_len(len: usize) -> Vec<u8> {
    match len {
        0..=0x7F => vec![len as u8],
        0x80..=0xFF => vec![0x81, len as u8],
        _ => vec![0x82, (len >> 8) as u8, len as u8],
    }
}

/// One data object: tag bytes and value.
pub type DataObject<'a> = (Vec<u8>, &'a [u8]);

/// Splits `input` into (tag bytes, value) pairs; any malformation gives 6A80.
pub fn parse(mut input: &[u8]) -> Result<Vec<DataObject<'_>>, Sw> {
    let mut items = Vec::new();
    while !input.is_empty() {
        let mut t = 1;
        if input[0] & 0x1F == 0x1F {
            loop {
                let b = *input.get(t).ok_or(Sw::INCORRECT_DATA)?;
                t += 1;
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        let tag = input[..t].to_vec();
        let first = *input.get(t).ok_or(Sw::INCORRECT_DATA)?;
        let (len, hdr) = match first {
            0..=0x7F => (first as usize, t + 1),
            0x81 => (*input.get(t + 1).ok_or(Sw::INCORRECT_DATA)? as usize, t + 2),
            0x82 => {
                let hi = *input.get(t + 1).ok_or(Sw::INCORRECT_DATA)? as usize;
                let lo = *input.get(t + 2).ok_or(Sw::INCORRECT_DATA)? as usize;
                (hi << 8 | lo, t + 3)
            }
            _ => return Err(Sw::INCORRECT_DATA),
        };
        let value = input.get(hdr..hdr + len).ok_or(Sw::INCORRECT_DATA)?;
        items.push((tag, value));
        input = &input[hdr + len..];
    }
    Ok(items)
}

/// The value of the first TLV with `tag` in `input`.
pub fn find<'a>(input: &'a [u8], tag: &[u8]) -> Result<Option<&'a [u8]>, Sw> {
    Ok(parse(input)?
        .into_iter()
        .find(|(t, _)| t == tag)
        .map(|(_, v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_lengths() {
        for n in [0usize, 5, 127, 128, 255, 256, 3000] {
            let enc = tlv(&[0x5F, 0xC1, 0x05], &vec![0xAA; n]);
            let items = parse(&enc).unwrap();
            assert_eq!(items, vec![(vec![0x5F, 0xC1, 0x05], &vec![0xAA; n][..])]);
        }
        assert_eq!(tlv(&[0x53], &[0; 300])[..4], [0x53, 0x82, 0x01, 0x2C]);
    }

    #[test]
    fn parses_put_data_body() {
        let body = hex::decode("5C035FC1025303010203").unwrap();
        assert_eq!(find(&body, &[0x5C]).unwrap(), Some(&[0x5F, 0xC1, 0x02][..]));
        assert_eq!(find(&body, &[0x53]).unwrap(), Some(&[1, 2, 3][..]));
        assert_eq!(parse(&[0x53, 0x05, 0x01]), Err(Sw::INCORRECT_DATA));
    }
}
