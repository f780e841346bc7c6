//! Status words the simulated card answers with (ISO 7816-4 §5.6, SP 800-73-4 Part 2 §3).

/// A status word SW1 SW2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sw(pub u16);

impl Sw {
    /// 9000: success.
    pub const OK: Sw = Sw(0x9000);
    /// 6581: memory failure (EEPROM write failed).
    pub const MEMORY_FAILURE: Sw = Sw(0x6581);
    /// 6700: wrong length.
    pub const WRONG_LENGTH: Sw = Sw(0x6700);
    /// 6883: last command of a chain expected.
    pub const LAST_OF_CHAIN_EXPECTED: Sw = Sw(0x6883);
    /// 6982: security status not satisfied.
    pub const SECURITY_STATUS: Sw = Sw(0x6982);
    /// 6983: authentication method blocked.
    pub const BLOCKED: Sw = Sw(0x6983);
    /// 6985: conditions of use not satisfied.
    pub const CONDITIONS: Sw = Sw(0x6985);
    /// 6A80: incorrect data.
    pub const INCORRECT_DATA: Sw = Sw(0x6A80);
    /// 6A82: file or application not found.
    pub const NOT_FOUND: Sw = Sw(0x6A82);
    /// 6A84: not enough memory.
    pub const NOT_ENOUGH_MEMORY: Sw = Sw(0x6A84);
    /// 6A86: incorrect P1/P2.
    pub const INCORRECT_P1P2: Sw = Sw(0x6A86);
    /// 6A88: referenced data (key) not found.
    pub const REF_NOT_FOUND: Sw = Sw(0x6A88);
    /// 6D00: instruction not supported.
    pub const INS_NOT_SUPPORTED: Sw = Sw(0x6D00);
    /// 6E00: class not supported.
    pub const CLA_NOT_SUPPORTED: Sw = Sw(0x6E00);

    /// 63Cx: verification failed, `left` tries remain.
    pub fn tries_left(left: u8) -> Sw {
        Sw(0x63C0 | u16::from(left.min(15)))
    }

    /// 61xx: `remaining` more response bytes wait for GET RESPONSE (00 = 256 or more).
    pub fn more_data(remaining: usize) -> Sw {
        Sw(0x6100 | if remaining > 255 { 0 } else { remaining as u16 })
    }

    /// The two bytes, SW1 first.
    pub fn bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }
}
