//! `STA,<KEY>` status queries (`docs/magicard-protocol.md` §4). The reply repeats the query:
//! `STA,<KEY>,<value>` (\[CL\] reply shape), so a late answer to another query is never taken
//! for this one.

use super::{Answer, Command};
use crate::error_codes::MagicardFault;
use cardline_device::CardPosition;

/// The value of a `STA,<key>` reply, `None` unless it starts with `STA,<key>,`.
fn value<'a>(key: &str, a: Answer<'a>) -> Option<&'a str> {
    let Answer::Value(text) = a else {
        return None;
    };
    text.strip_prefix("STA,")?
        .strip_prefix(key)?
        .strip_prefix(',')
        .map(str::trim)
}

/// Identity keys (\[DOC\] Gutenprint's query list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdentityKey {
    /// `MDL`: the model.
    Model,
    /// `MSR`: the printer's serial number.
    Serial,
    /// `VRS`: the firmware version.
    Firmware,
}

impl IdentityKey {
    fn key(self) -> &'static str {
        match self {
            IdentityKey::Model => "MDL",
            IdentityKey::Serial => "MSR",
            IdentityKey::Firmware => "VRS",
        }
    }
}

/// `STA,MDL` / `STA,MSR` / `STA,VRS`: model, serial number, firmware (text as the printer sends
/// it; an empty value is `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadIdentity(pub IdentityKey);

impl Command for ReadIdentity {
    type Output = Option<String>;
    fn text(&self) -> String {
        format!("STA,{}", self.0.key())
    }
    fn parse(&self, a: Answer<'_>) -> Option<Option<String>> {
        value(self.0.key(), a).map(|v| (!v.is_empty()).then(|| v.to_string()))
    }
}

/// Counter keys (\[DOC\] Gutenprint's query list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterKey {
    /// `TCQ`: cards printed over the printer's life.
    TotalCards,
    /// `DFR`: dye film panels remaining.
    PanelsRemaining,
}

impl CounterKey {
    fn key(self) -> &'static str {
        match self {
            CounterKey::TotalCards => "TCQ",
            CounterKey::PanelsRemaining => "DFR",
        }
    }
}

/// `STA,TCQ` / `STA,DFR`: a decimal counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadCounter(pub CounterKey);

impl Command for ReadCounter {
    type Output = u64;
    fn text(&self) -> String {
        format!("STA,{}", self.0.key())
    }
    fn parse(&self, a: Answer<'_>) -> Option<u64> {
        value(self.0.key(), a)?.parse().ok()
    }
}

/// `STA,ERR`: the current error code, `0` when none (\[CL\]); `None` = no error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadErrorCode;

impl Command for ReadErrorCode {
    type Output = Option<MagicardFault>;
    fn text(&self) -> String {
        "STA,ERR".into()
    }
    fn parse(&self, a: Answer<'_>) -> Option<Option<MagicardFault>> {
        let code: u32 = value("ERR", a)?.parse().ok()?;
        Some(MagicardFault::from_status(code))
    }
}

/// `STA,POS`: where the card is — `NONE`, `STANDBY`, `CONTACTS`, `PRINT` (\[CL\]). Standby (inside,
/// before the head) and print are both [`CardPosition::PrintPosition`]: inside, not at a station.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadPosition;

impl Command for ReadPosition {
    type Output = CardPosition;
    fn text(&self) -> String {
        "STA,POS".into()
    }
    fn parse(&self, a: Answer<'_>) -> Option<CardPosition> {
        Some(match value("POS", a)? {
            "NONE" => CardPosition::NoCard,
            "STANDBY" | "PRINT" => CardPosition::PrintPosition,
            "CONTACTS" => CardPosition::ContactStation,
            other => CardPosition::Unknown(other.to_string()),
        })
    }
}

/// Implements [`Command`] for a two-state sensor query: `STA,<key>` answered `<bad>` (true) or
/// `<good>` (false).
macro_rules! two_state {
    ($ty:ty, $key:expr, $bad:expr, $good:expr) => {
        impl Command for $ty {
            type Output = bool;
            fn text(&self) -> String {
                concat!("STA,", $key).into()
            }
            fn parse(&self, a: Answer<'_>) -> Option<bool> {
                match value($key, a)? {
                    $bad => Some(true),
                    $good => Some(false),
                    _ => None,
                }
            }
        }
    };
}

/// `STA,LID`: true when the cover is `OPEN`, false when `CLOSED` (\[CL\]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLid;
two_state!(ReadLid, "LID", "OPEN", "CLOSED");

/// `STA,HOP`: true when the hopper (feeder) is `EMPTY`, false when `OK` (\[CL\]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadHopper;
two_state!(ReadHopper, "HOP", "EMPTY", "OK");

/// `STA,RJB`: true when the reject box is `FULL`, false when `OK` (\[CL\]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadRejectBox;
two_state!(ReadRejectBox, "RJB", "FULL", "OK");

/// `STA,RIB`: the dye film loaded (`YMCKO`, `KO`, `K`, …), `None` for `NONE` (\[CL\]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadRibbon;

impl Command for ReadRibbon {
    type Output = Option<String>;
    fn text(&self) -> String {
        "STA,RIB".into()
    }
    fn parse(&self, a: Answer<'_>) -> Option<Option<String>> {
        match value("RIB", a)? {
            "" => None,
            "NONE" => Some(None),
            kind => Some(Some(kind.to_ascii_lowercase())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_must_name_the_key_that_was_asked() {
        assert_eq!(
            ReadPosition.parse(Answer::Value("STA,POS,CONTACTS")),
            Some(CardPosition::ContactStation)
        );
        assert_eq!(ReadPosition.parse(Answer::Value("STA,LID,OPEN")), None);
        assert_eq!(ReadPosition.parse(Answer::Value("CONTACTS")), None);
        assert_eq!(ReadPosition.parse(Answer::Ok), None);
        assert_eq!(
            ReadPosition.parse(Answer::Value("STA,POS,FLIPPER")),
            Some(CardPosition::Unknown("FLIPPER".into()))
        );
    }

    #[test]
    fn sensors_and_counters_parse_their_values() {
        assert_eq!(ReadLid.parse(Answer::Value("STA,LID,OPEN")), Some(true));
        assert_eq!(ReadLid.parse(Answer::Value("STA,LID,CLOSED")), Some(false));
        assert_eq!(ReadLid.parse(Answer::Value("STA,LID,AJAR")), None);
        assert_eq!(ReadHopper.parse(Answer::Value("STA,HOP,EMPTY")), Some(true));
        assert_eq!(
            ReadRejectBox.parse(Answer::Value("STA,RJB,OK")),
            Some(false)
        );
        let c = ReadCounter(CounterKey::TotalCards);
        assert_eq!(c.parse(Answer::Value("STA,TCQ,1234")), Some(1234));
        assert_eq!(c.parse(Answer::Value("STA,TCQ,many")), None);
        assert_eq!(ReadErrorCode.parse(Answer::Value("STA,ERR,0")), Some(None));
        assert_eq!(
            ReadErrorCode.parse(Answer::Value("STA,ERR,1038")),
            Some(Some(MagicardFault::CoverOpen))
        );
        assert_eq!(
            ReadRibbon.parse(Answer::Value("STA,RIB,YMCKO")),
            Some(Some("ymcko".into()))
        );
        assert_eq!(ReadRibbon.parse(Answer::Value("STA,RIB,NONE")), Some(None));
        let model = ReadIdentity(IdentityKey::Model);
        assert_eq!(model.text(), "STA,MDL");
        assert_eq!(
            model.parse(Answer::Value("STA,MDL,Rio Pro 360")),
            Some(Some("Rio Pro 360".into()))
        );
    }
}
