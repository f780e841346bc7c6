//! What the simulated Magicard answers (docs/magicard-protocol.md §1, §4, §5): every reply is
//! `0x01`, the reply text, `,` (0x2C), `0x03` — e.g. `01 "STA,MSR,MC000001" 2C 03`,
//! `01 "OK" 2C 03`, `01 "ERR,1038" 2C 03`.

/// Start of a reply (and of every host frame).
pub const SOH: u8 = 0x01;
/// End of a reply (after the closing comma) and of every host frame.
pub const ETX: u8 = 0x03;

/// A command or job accepted and done.
pub const OK: &str = "OK";
/// A print job printed (§4, sent after the last plane).
pub const PRINTED: &str = "PRT,OK";
/// A command the device does not know (§4).
pub const UNKNOWN: &str = "ERR,UNKNOWN";
/// Bytes that do not form a frame: garbage between frames, a header or command without its end,
/// a header longer than [`MAX_HEADER`](super::stream::MAX_HEADER), a bad plane size or
/// terminator, a missing ETX (device-side choice, docs/magicard-protocol.md §7).
pub const FRAME: &str = "ERR,FRAME";

/// The framed bytes of one reply: `01 text 2C 03`.
pub fn frame(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 3);
    out.push(SOH);
    out.extend_from_slice(text.as_bytes());
    out.push(b',');
    out.push(ETX);
    out
}

/// The error codes of §5, as the device reports them (`ERR,<code>`, `STA,ERR`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 1025: hopper (feeder) empty.
    HopperEmpty,
    /// 1026: card jam.
    CardJam,
    /// 1027: flipper jam (turning the card for its back side).
    FlipperJam,
    /// 1037: magnetic verify failed.
    MagVerify,
    /// 1038: cover opened.
    CoverOpen,
    /// 1042: dye film used up.
    DyeFilmOut,
    /// 1046: dye film not found.
    DyeFilmMissing,
    /// 2048: cleaning overdue (a warning: actions still work).
    CleaningOverdue,
    /// 3001: reject box full.
    RejectBoxFull,
    /// 3002: smart-card contacts did not engage.
    ContactsFailed,
    /// 9001: print head over temperature.
    HeadTemperature,
    /// Any other code (scripted with `error@N:CODE`, to exercise a driver's unknown-code path).
    Other(u16),
}

impl ErrorCode {
    /// The decimal code on the wire.
    pub fn code(self) -> u16 {
        match self {
            Self::HopperEmpty => 1025,
            Self::CardJam => 1026,
            Self::FlipperJam => 1027,
            Self::MagVerify => 1037,
            Self::CoverOpen => 1038,
            Self::DyeFilmOut => 1042,
            Self::DyeFilmMissing => 1046,
            Self::CleaningOverdue => 2048,
            Self::RejectBoxFull => 3001,
            Self::ContactsFailed => 3002,
            Self::HeadTemperature => 9001,
            Self::Other(c) => c,
        }
    }

    /// The error reply text: `ERR,<code>`.
    pub fn reply(self) -> String {
        format!("ERR,{}", self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_framed_with_comma_and_etx() {
        assert_eq!(frame(OK), b"\x01OK,\x03");
        assert_eq!(frame(&ErrorCode::CoverOpen.reply()), b"\x01ERR,1038,\x03");
        assert_eq!(ErrorCode::Other(4711).reply(), "ERR,4711");
    }
}
