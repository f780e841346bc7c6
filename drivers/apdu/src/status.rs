//! ISO 7816-4 status words (SW1 SW2) as an enum, with what each one means.

/// A status word, decoded. Callers match on names, never on raw integers; anything not named
/// lands in [`StatusWord::Unknown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusWord {
    /// 9000: success.
    Ok,
    /// 61xx: success, `n` more bytes are waiting for GET RESPONSE (0 means 256 or more).
    MoreData(u8),
    /// 6Cxx: wrong Le; resend with Le = `n`.
    WrongLe(u8),
    /// 63Cx: verification failed, `tries` left.
    WrongPin {
        /// Tries left on the reference data.
        tries: u8,
    },
    /// 6300: authentication failed (no counter).
    AuthFailed,
    /// 6983: authentication method blocked (counter at zero).
    AuthBlocked,
    /// 6982: security status not satisfied (not authenticated).
    SecurityStatus,
    /// 6985: conditions of use not satisfied.
    ConditionsOfUse,
    /// 6A80: incorrect data in the command (bad value, bad algorithm).
    IncorrectData,
    /// 6A81: function not supported.
    FunctionNotSupported,
    /// 6A82: file, object or application not found.
    NotFound,
    /// 6A84: not enough memory.
    NotEnoughMemory,
    /// 6A86: incorrect P1 P2.
    IncorrectP1P2,
    /// 6A88: referenced key or data not found.
    RefDataNotFound,
    /// 6B00: wrong parameters P1 P2 (YubiKey: bad slot).
    WrongP1P2,
    /// 6D00: instruction not supported.
    InsNotSupported,
    /// 6E00: class not supported.
    ClaNotSupported,
    /// 6700: wrong length.
    WrongLength,
    /// 6882: secure messaging not supported.
    SecureMessagingUnsupported,
    /// 6883: last command of a chain expected.
    LastCommandExpected,
    /// 6884: command chaining not supported.
    ChainingUnsupported,
    /// 6986: command not allowed (no current EF).
    CommandNotAllowed,
    /// 6F00: no precise diagnosis.
    NoPreciseDiagnosis,
    /// Anything else.
    Unknown(u16),
}

impl StatusWord {
    /// Decodes SW1 SW2.
    pub fn new(sw1: u8, sw2: u8) -> Self {
        Self::from_u16(u16::from_be_bytes([sw1, sw2]))
    }

    /// Decodes a 16-bit status word.
    pub fn from_u16(sw: u16) -> Self {
        let [sw1, sw2] = sw.to_be_bytes();
        match (sw1, sw2) {
            (0x90, 0x00) => StatusWord::Ok,
            (0x61, n) => StatusWord::MoreData(n),
            (0x6C, n) => StatusWord::WrongLe(n),
            (0x63, n) if n & 0xF0 == 0xC0 => StatusWord::WrongPin { tries: n & 0x0F },
            (0x63, 0x00) => StatusWord::AuthFailed,
            (0x69, 0x83) => StatusWord::AuthBlocked,
            (0x69, 0x82) => StatusWord::SecurityStatus,
            (0x69, 0x85) => StatusWord::ConditionsOfUse,
            (0x69, 0x86) => StatusWord::CommandNotAllowed,
            (0x6A, 0x80) => StatusWord::IncorrectData,
            (0x6A, 0x81) => StatusWord::FunctionNotSupported,
            (0x6A, 0x82) => StatusWord::NotFound,
            (0x6A, 0x84) => StatusWord::NotEnoughMemory,
            (0x6A, 0x86) => StatusWord::IncorrectP1P2,
            (0x6A, 0x88) => StatusWord::RefDataNotFound,
            (0x6B, 0x00) => StatusWord::WrongP1P2,
            (0x6D, 0x00) => StatusWord::InsNotSupported,
            (0x6E, 0x00) => StatusWord::ClaNotSupported,
            (0x67, 0x00) => StatusWord::WrongLength,
            (0x68, 0x82) => StatusWord::SecureMessagingUnsupported,
            (0x68, 0x83) => StatusWord::LastCommandExpected,
            (0x68, 0x84) => StatusWord::ChainingUnsupported,
            (0x6F, 0x00) => StatusWord::NoPreciseDiagnosis,
            _ => StatusWord::Unknown(sw),
        }
    }

    /// The 16-bit value (SW1 in the high byte).
    pub fn to_u16(self) -> u16 {
        match self {
            StatusWord::Ok => 0x9000,
            StatusWord::MoreData(n) => 0x6100 | n as u16,
            StatusWord::WrongLe(n) => 0x6C00 | n as u16,
            StatusWord::WrongPin { tries } => 0x63C0 | (tries & 0x0F) as u16,
            StatusWord::AuthFailed => 0x6300,
            StatusWord::AuthBlocked => 0x6983,
            StatusWord::SecurityStatus => 0x6982,
            StatusWord::ConditionsOfUse => 0x6985,
            StatusWord::CommandNotAllowed => 0x6986,
            StatusWord::IncorrectData => 0x6A80,
            StatusWord::FunctionNotSupported => 0x6A81,
            StatusWord::NotFound => 0x6A82,
            StatusWord::NotEnoughMemory => 0x6A84,
            StatusWord::IncorrectP1P2 => 0x6A86,
            StatusWord::RefDataNotFound => 0x6A88,
            StatusWord::WrongP1P2 => 0x6B00,
            StatusWord::InsNotSupported => 0x6D00,
            StatusWord::ClaNotSupported => 0x6E00,
            StatusWord::WrongLength => 0x6700,
            StatusWord::SecureMessagingUnsupported => 0x6882,
            StatusWord::LastCommandExpected => 0x6883,
            StatusWord::ChainingUnsupported => 0x6884,
            StatusWord::NoPreciseDiagnosis => 0x6F00,
            StatusWord::Unknown(sw) => sw,
        }
    }

    /// True for 9000.
    pub fn is_ok(self) -> bool {
        self == StatusWord::Ok
    }

    /// True when the command was refused because the instruction or function is absent
    /// (6D00, 6A81, 6E00): the card lacks an optional feature.
    pub fn is_unsupported(self) -> bool {
        matches!(
            self,
            StatusWord::InsNotSupported
                | StatusWord::FunctionNotSupported
                | StatusWord::ClaNotSupported
        )
    }

    /// What the status word means, for operators and error messages.
    pub fn meaning(self) -> &'static str {
        match self {
            StatusWord::Ok => "success",
            StatusWord::MoreData(_) => "more response data available",
            StatusWord::WrongLe(_) => "wrong expected length",
            StatusWord::WrongPin { .. } => "verification failed",
            StatusWord::AuthFailed => "authentication failed",
            StatusWord::AuthBlocked => "authentication method blocked",
            StatusWord::SecurityStatus => "security status not satisfied",
            StatusWord::ConditionsOfUse => "conditions of use not satisfied",
            StatusWord::CommandNotAllowed => "command not allowed",
            StatusWord::IncorrectData => "incorrect data in command",
            StatusWord::FunctionNotSupported => "function not supported",
            StatusWord::NotFound => "object or application not found",
            StatusWord::NotEnoughMemory => "not enough memory",
            StatusWord::IncorrectP1P2 => "incorrect parameters P1 P2",
            StatusWord::RefDataNotFound => "referenced key or data not found",
            StatusWord::WrongP1P2 => "wrong parameters P1 P2",
            StatusWord::InsNotSupported => "instruction not supported",
            StatusWord::ClaNotSupported => "class not supported",
            StatusWord::WrongLength => "wrong length",
            StatusWord::SecureMessagingUnsupported => "secure messaging not supported",
            StatusWord::LastCommandExpected => "last command of chain expected",
            StatusWord::ChainingUnsupported => "command chaining not supported",
            StatusWord::NoPreciseDiagnosis => "no precise diagnosis",
            StatusWord::Unknown(_) => "unknown status",
        }
    }
}

impl std::fmt::Display for StatusWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04X} ({})", self.to_u16(), self.meaning())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_status_round_trips() {
        let raw = [
            0x9000u16, 0x6105, 0x6C10, 0x63C2, 0x6300, 0x6983, 0x6982, 0x6985, 0x6986, 0x6A80,
            0x6A81, 0x6A82, 0x6A84, 0x6A86, 0x6A88, 0x6B00, 0x6D00, 0x6E00, 0x6700, 0x6882, 0x6883,
            0x6884, 0x6F00, 0x6401,
        ];
        for sw in raw {
            assert_eq!(StatusWord::from_u16(sw).to_u16(), sw, "{sw:04X}");
        }
    }

    #[test]
    fn spec_status_words_decode_to_names() {
        assert_eq!(
            StatusWord::new(0x63, 0xC2),
            StatusWord::WrongPin { tries: 2 }
        );
        assert_eq!(StatusWord::new(0x61, 0x0D), StatusWord::MoreData(0x0D));
        assert_eq!(StatusWord::new(0x6C, 0x08), StatusWord::WrongLe(8));
        assert_eq!(StatusWord::new(0x69, 0x83), StatusWord::AuthBlocked);
        assert_eq!(StatusWord::new(0x64, 0x01), StatusWord::Unknown(0x6401));
        assert!(StatusWord::new(0x6D, 0x00).is_unsupported());
        assert_eq!(
            StatusWord::NotFound.meaning(),
            "object or application not found"
        );
        assert_eq!(
            StatusWord::SecurityStatus.to_string(),
            "6982 (security status not satisfied)"
        );
    }
}
