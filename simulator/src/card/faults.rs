//! Faults a simulated chip can be told to show (all off by default).

use std::time::Duration;

/// Which error an EEPROM write failure reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EepromFailure {
    /// 6581: memory failure.
    MemoryFailure,
    /// 6A84: not enough memory.
    NotEnoughMemory,
}

/// The faults injected into one [`SimCard`](super::SimCard).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardFaults {
    /// The chip answers no APDU at all (the ATR still comes; a dead chip behind good contacts).
    pub mute: bool,
    /// The card is pulled out while processing the command that comes after this many more
    /// commands (`Some(0)` = the very next one). It then stays out until
    /// [`SimCard::insert`](super::SimCard::insert).
    pub remove_after_commands: Option<u32>,
    /// PUT DATA fails with this status word and stores nothing.
    pub eeprom_failure: Option<EepromFailure>,
    /// GENERATE ASYMMETRIC KEY PAIR takes at least this long.
    pub slow_key_generation: Option<Duration>,
    /// The card answers reset with a T=0-only ATR (`3B 02 14 50`), which PIV clients refuse.
    pub wrong_atr: bool,
}
