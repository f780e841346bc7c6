//! Command APDUs as the card sees them (ISO 7816-4 §5.1): header, Lc, data, Le; short and
//! extended length. Parsed here from the card's side, independently of `cardline-apdu`.

use super::sw::Sw;

/// One parsed command APDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Class byte.
    pub cla: u8,
    /// Instruction.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (empty for cases 1 and 2).
    pub data: Vec<u8>,
    /// Maximum response length the host accepts (Ne). Absent Le means "as much as a response
    /// of this length class holds": 256 (short) or 65536 (extended). yubico-piv-tool sends GET
    /// DATA without Le and still expects the object.
    pub ne: usize,
    /// True when the APDU used extended length fields.
    pub extended: bool,
}

impl Command {
    /// Parses a command APDU (cases 1, 2S, 3S, 4S, 2E, 3E, 4E). Malformed lengths give 6700.
    pub fn parse(apdu: &[u8]) -> Result<Command, Sw> {
        if apdu.len() < 4 {
            return Err(Sw::WRONG_LENGTH);
        }
        let (cla, ins, p1, p2) = (apdu[0], apdu[1], apdu[2], apdu[3]);
        let body = &apdu[4..];
        let mk = |data: &[u8], ne: usize, extended: bool| Command {
            cla,
            ins,
            p1,
            p2,
            data: data.to_vec(),
            ne,
            extended,
        };
        let short_le = |b: u8| if b == 0 { 256 } else { b as usize };
        let ext_le = |hi: u8, lo: u8| {
            let v = u16::from_be_bytes([hi, lo]) as usize;
            if v == 0 { 65536 } else { v }
        };
        match body.len() {
            0 => Ok(mk(&[], 256, false)),
            1 => Ok(mk(&[], short_le(body[0]), false)),
            _ if body[0] != 0 => {
                let lc = body[0] as usize;
                match body.len() - 1 {
                    n if n == lc => Ok(mk(&body[1..], 256, false)),
                    n if n == lc + 1 => Ok(mk(&body[1..=lc], short_le(body[lc + 1]), false)),
                    _ => Err(Sw::WRONG_LENGTH),
                }
            }
            3 => Ok(mk(&[], ext_le(body[1], body[2]), true)),
            n if n >= 4 => {
                let lc = u16::from_be_bytes([body[1], body[2]]) as usize;
                if lc == 0 {
                    return Err(Sw::WRONG_LENGTH);
                }
                match n - 3 {
                    m if m == lc => Ok(mk(&body[3..], 65536, true)),
                    m if m == lc + 2 => Ok(mk(
                        &body[3..3 + lc],
                        ext_le(body[3 + lc], body[4 + lc]),
                        true,
                    )),
                    _ => Err(Sw::WRONG_LENGTH),
                }
            }
            _ => Err(Sw::WRONG_LENGTH),
        }
    }

    /// True when CLA announces that more blocks of a chained command follow (b5 = 0x10).
    pub fn is_chained(&self) -> bool {
        self.cla & 0x10 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_cases() {
        let c1 = Command::parse(&[0x00, 0xFB, 0x00, 0x00]).unwrap();
        assert!(c1.data.is_empty() && c1.ne == 256);
        // yubico-piv-tool's VERIFY status query carries a stray Le.
        let c2 = Command::parse(&hex::decode("0020008000").unwrap()).unwrap();
        assert!(c2.data.is_empty() && c2.ne == 256 && c2.p2 == 0x80);
        let c3 = Command::parse(&hex::decode("00CB3FFF055C035FC102").unwrap()).unwrap();
        assert_eq!((c3.data.len(), c3.ne), (5, 256));
        let c4 = Command::parse(&hex::decode("00CB3FFF035C017E08").unwrap()).unwrap();
        assert_eq!((c4.data, c4.ne), (vec![0x5C, 0x01, 0x7E], 8));
        let c2e = Command::parse(&hex::decode("00C00000000000").unwrap()).unwrap();
        assert!(c2e.extended && c2e.ne == 65536);
        let mut long = hex::decode("00DB3FFF0007D0").unwrap();
        long.extend(vec![0xAB; 2000]);
        long.extend([0x10, 0x00]);
        let c4e = Command::parse(&long).unwrap();
        assert_eq!((c4e.data.len(), c4e.ne, c4e.extended), (2000, 4096, true));
    }

    #[test]
    fn rejects_bad_lengths() {
        assert_eq!(Command::parse(&[0x00, 0xA4]), Err(Sw::WRONG_LENGTH));
        assert_eq!(
            Command::parse(&hex::decode("00A4040005A000").unwrap()),
            Err(Sw::WRONG_LENGTH)
        );
        assert_eq!(
            Command::parse(&hex::decode("00DB3FFF000005AABB").unwrap()),
            Err(Sw::WRONG_LENGTH)
        );
    }

    #[test]
    fn chaining_bit() {
        let c = Command::parse(&hex::decode("10DB3FFF02AABB").unwrap()).unwrap();
        assert!(c.is_chained());
    }
}
