//! Command and response APDUs (ISO 7816-4 §5.1): cases 1–4, short and extended encodings.

use crate::status::StatusWord;

/// CLA bit b5: more blocks of a chained command follow (ISO 7816-4 §5.4.2).
pub const CLA_CHAINING: u8 = 0x10;

/// Largest data field of a short command APDU.
pub const SHORT_MAX_DATA: usize = 255;

/// How a command's lengths are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthEncoding {
    /// Lc 1 byte (1–255), Le 1 byte (00 = 256). Works with every reader and card.
    Short,
    /// Lc `00 hi lo` (1–65535), Le 2 bytes after data (0000 = 65536), or `00 hi lo` alone.
    Extended,
}

/// The ISO 7816-4 case of a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApduCase {
    /// Header only.
    Case1,
    /// Header + Le.
    Case2,
    /// Header + Lc + data.
    Case3,
    /// Header + Lc + data + Le.
    Case4,
}

/// Errors building a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The data field does not fit the chosen encoding.
    #[error("data field of {len} bytes does not fit a {encoding:?} APDU")]
    DataTooLong {
        /// Data length.
        len: usize,
        /// Encoding asked for.
        encoding: LengthEncoding,
    },
    /// Le does not fit the chosen encoding.
    #[error("Le {le} does not fit a {encoding:?} APDU")]
    LeTooLarge {
        /// Le asked for.
        le: u32,
        /// Encoding asked for.
        encoding: LengthEncoding,
    },
}

/// A command APDU: `CLA INS P1 P2 [Lc data] [Le]`.
///
/// A command carrying a secret (VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, SET
/// MANAGEMENT KEY, GENERAL AUTHENTICATE 9B) is marked [`sensitive`](Command::sensitive): its data
/// field is logged as `<redacted N bytes>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    /// Class byte (chaining bit is set by the transmit helper, not here).
    pub cla: u8,
    /// Instruction.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Data field (may be empty).
    pub data: Vec<u8>,
    /// Expected response length: `None` = absent, `Some(256)` = short `00`, up to 65536.
    pub le: Option<u32>,
    sensitive: bool,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Command({:02X} {:02X} {:02X} {:02X}, {} data bytes{}, le {:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            if self.sensitive { " redacted" } else { "" },
            self.le
        )
    }
}

impl Command {
    /// A case 1 command (header only).
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
            sensitive: false,
        }
    }

    /// Sets the data field.
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    /// Sets Le. `256` means "as much as you have": the short `00`, and under extended encoding
    /// `00 00` (65536), so the same command works with both encodings.
    pub fn with_le(mut self, le: u32) -> Self {
        self.le = Some(le);
        self
    }

    /// Marks the data field as secret: it is never logged.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// True when the data field must not be logged.
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }

    /// The command's ISO case.
    pub fn case(&self) -> ApduCase {
        match (self.data.is_empty(), self.le.is_some()) {
            (true, false) => ApduCase::Case1,
            (true, true) => ApduCase::Case2,
            (false, false) => ApduCase::Case3,
            (false, true) => ApduCase::Case4,
        }
    }

    /// Encodes the command.
    pub fn to_bytes(&self, encoding: LengthEncoding) -> Result<Vec<u8>, CommandError> {
        let mut out = Vec::with_capacity(4 + 3 + self.data.len() + 3);
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        let n = self.data.len();
        match encoding {
            LengthEncoding::Short => {
                if n > SHORT_MAX_DATA {
                    return Err(CommandError::DataTooLong { len: n, encoding });
                }
                if n > 0 {
                    out.push(n as u8);
                    out.extend_from_slice(&self.data);
                }
                if let Some(le) = self.le {
                    if le == 0 || le > 256 {
                        return Err(CommandError::LeTooLarge { le, encoding });
                    }
                    out.push(if le == 256 { 0 } else { le as u8 });
                }
            }
            LengthEncoding::Extended => {
                if n > 0xFFFF {
                    return Err(CommandError::DataTooLong { len: n, encoding });
                }
                if n > 0 {
                    out.push(0);
                    out.extend_from_slice(&(n as u16).to_be_bytes());
                    out.extend_from_slice(&self.data);
                }
                if let Some(le) = self.le {
                    if le == 0 || le > 65536 {
                        return Err(CommandError::LeTooLarge { le, encoding });
                    }
                    if n == 0 {
                        out.push(0);
                    }
                    let le = if le == 256 { 65536 } else { le };
                    out.extend_from_slice(&((le & 0xFFFF) as u16).to_be_bytes());
                }
            }
        }
        Ok(out)
    }

    /// The header and lengths in hex with the data field replaced by `<redacted N bytes>` when
    /// the command is sensitive: what trace logs show.
    pub fn log_line(&self, encoded: &[u8]) -> String {
        if self.sensitive && !self.data.is_empty() {
            format!(
                "{} <redacted {} bytes>",
                hex::encode_upper(&encoded[..4]),
                self.data.len()
            )
        } else {
            hex::encode_upper(encoded)
        }
    }
}

/// A response APDU: data and status word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Response data (without SW1 SW2).
    pub data: Vec<u8>,
    /// The status word.
    pub sw: StatusWord,
}

impl Response {
    /// Splits raw response bytes into data and status word. `None` when shorter than 2 bytes.
    pub fn from_bytes(raw: &[u8]) -> Option<Self> {
        let (data, sw) = raw.split_at(raw.len().checked_sub(2)?);
        Some(Self {
            data: data.to_vec(),
            sw: StatusWord::new(sw[0], sw[1]),
        })
    }

    /// True for 9000.
    pub fn is_ok(&self) -> bool {
        self.sw.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    #[test]
    fn short_encodings_of_all_four_cases_match_the_spec() {
        // yubico-piv-tool VERIFY status query, case 2 with Le 00.
        let c = Command::new(0, 0x20, 0, 0x80).with_le(256);
        assert_eq!(c.case(), ApduCase::Case2);
        assert_eq!(
            c.to_bytes(LengthEncoding::Short).unwrap(),
            hex("00 20 00 80 00")
        );
        // GET VERSION without Le, case 1.
        let c = Command::new(0, 0xFD, 0, 0);
        assert_eq!(c.case(), ApduCase::Case1);
        assert_eq!(
            c.to_bytes(LengthEncoding::Short).unwrap(),
            hex("00 FD 00 00")
        );
        // SELECT by 5-byte AID, case 3.
        let c = Command::new(0, 0xA4, 4, 0).with_data(hex("A0 00 00 03 08"));
        assert_eq!(c.case(), ApduCase::Case3);
        assert_eq!(
            c.to_bytes(LengthEncoding::Short).unwrap(),
            hex("00 A4 04 00 05 A0 00 00 03 08")
        );
        // GENERATE 9A P-256 with Le, case 4.
        let c = Command::new(0, 0x47, 0, 0x9A)
            .with_data(hex("AC 03 80 01 11"))
            .with_le(256);
        assert_eq!(c.case(), ApduCase::Case4);
        assert_eq!(
            c.to_bytes(LengthEncoding::Short).unwrap(),
            hex("00 47 00 9A 05 AC 03 80 01 11 00")
        );
    }

    #[test]
    fn extended_encodings_use_three_byte_lc_and_two_byte_le() {
        let data = vec![0xAB; 300];
        let c = Command::new(0, 0xDB, 0x3F, 0xFF).with_data(data.clone());
        let b = c.to_bytes(LengthEncoding::Extended).unwrap();
        assert_eq!(&b[..7], &hex("00 DB 3F FF 00 01 2C")[..]);
        assert_eq!(b.len(), 7 + 300);
        let b = c
            .clone()
            .with_le(65536)
            .to_bytes(LengthEncoding::Extended)
            .unwrap();
        assert_eq!(&b[b.len() - 2..], &[0, 0]);
        // Le 256 ("everything") becomes 0000 in extended form.
        let c = Command::new(0, 0xCB, 0x3F, 0xFF).with_le(256);
        assert_eq!(
            c.to_bytes(LengthEncoding::Extended).unwrap(),
            hex("00 CB 3F FF 00 00 00")
        );
        // Case 2E: 00 hi lo.
        let c = Command::new(0, 0xCB, 0x3F, 0xFF).with_le(4098);
        assert_eq!(
            c.to_bytes(LengthEncoding::Extended).unwrap(),
            hex("00 CB 3F FF 00 10 02")
        );
        assert!(matches!(
            Command::new(0, 0xDB, 0x3F, 0xFF)
                .with_data(data)
                .to_bytes(LengthEncoding::Short),
            Err(CommandError::DataTooLong { len: 300, .. })
        ));
        assert!(matches!(
            Command::new(0, 0, 0, 0)
                .with_le(257)
                .to_bytes(LengthEncoding::Short),
            Err(CommandError::LeTooLarge { le: 257, .. })
        ));
    }

    #[test]
    fn sensitive_data_is_redacted_in_log_lines_and_debug() {
        let c = Command::new(0, 0x20, 0, 0x80)
            .with_data(hex("31 32 33 34 35 36 FF FF"))
            .sensitive();
        let b = c.to_bytes(LengthEncoding::Short).unwrap();
        assert_eq!(b, hex("00 20 00 80 08 31 32 33 34 35 36 FF FF"));
        assert_eq!(c.log_line(&b), "00200080 <redacted 8 bytes>");
        assert!(!format!("{c:?}").contains("31"));
        let plain = Command::new(0, 0xFD, 0, 0);
        assert_eq!(plain.log_line(&[0, 0xFD, 0, 0]), "00FD0000");
    }

    #[test]
    fn responses_split_data_and_status() {
        let r = Response::from_bytes(&hex("01 02 03 90 00")).unwrap();
        assert_eq!(r.data, vec![1, 2, 3]);
        assert!(r.is_ok());
        let r = Response::from_bytes(&hex("63 C2")).unwrap();
        assert_eq!(r.sw, StatusWord::WrongPin { tries: 2 });
        assert!(Response::from_bytes(&[0x90]).is_none());
    }
}
