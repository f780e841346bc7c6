//! The Magicard fault plan: scripted faults with the same text forms as the Evolis printer's
//! ([`ScriptedFault`]: `jam@3:printing`, `cover-opens@5`, `ribbon-ends-after=50` …) plus the
//! Magicard-only ones, and seeded random rates. Each fault ends in an error code of
//! docs/magicard-protocol.md §5.
//!
//! ```
//! use cardline_sim::magicard::MagicardFault;
//! let f: MagicardFault = "contacts-fail@2".parse().unwrap();
//! assert_eq!(f, MagicardFault::ContactsFail { card: 2 });
//! assert_eq!("jam@3:printing".parse::<MagicardFault>().unwrap().to_string(), "jam@3:printing");
//! assert!("rrt-spurious-ok=1".parse::<MagicardFault>().is_err()); // an Evolis quirk
//! ```

use std::fmt;
use std::str::FromStr;

use cardline_device::JobPhase;

use crate::faults::{FaultSyntaxError, ScriptedFault};

/// One scripted fault of a simulated Magicard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MagicardFault {
    /// Card `card` jams in `phase` (`jam@N:PHASE`): 1026. `Rejecting` jams the `RJT`.
    Jam {
        /// Card number, counted from the first feed.
        card: u32,
        /// Phase in which it jams.
        phase: JobPhase,
    },
    /// Card `card` jams in the flipper while turned for its back side (`flipper-jam@N`): 1027.
    FlipperJam {
        /// Card number.
        card: u32,
    },
    /// The magnetic verify of card `card`'s print job fails (`mag-verify@N`): 1037; nothing is
    /// printed and the card stays in.
    MagVerify {
        /// Card number.
        card: u32,
    },
    /// The cover opens when card `card` is about to be fed (`cover-opens@N[:POLLS]`): 1038 to
    /// every action until it closes, after `close_after_polls` status queries or by hand.
    CoverOpens {
        /// Card number at whose feed the cover opens.
        card: u32,
        /// `STA` queries after which it closes by itself.
        close_after_polls: Option<u32>,
    },
    /// The dye film has `prints` prints left (`ribbon-ends-after=N`): then 1042.
    RibbonEndsAfter {
        /// Prints (sides) left.
        prints: u32,
    },
    /// No dye film is loaded (`no-ribbon`): 1046.
    NoRibbon,
    /// Cleaning is overdue (`cleaning-overdue`): `STA,ERR` answers 2048 while nothing worse is
    /// wrong; actions still work; `RST` clears it.
    CleaningOverdue,
    /// The head is too hot for card `card`'s print job (`head-temp@N`): one 9001, card stays in.
    HeadTemp {
        /// Card number.
        card: u32,
    },
    /// The hopper holds only `cards` cards (`feeder-empty-after=N`): then 1025.
    FeederEmptyAfter {
        /// Cards in the hopper.
        cards: u32,
    },
    /// The reject box takes `rejects` more cards (`reject-box-full[-after=N]`): then 3001.
    RejectBoxFullAfter {
        /// Rejects it still takes.
        rejects: u32,
    },
    /// The contacts do not engage on card `card` (`contacts-fail@N`): its `CHPDOWN` answers
    /// 3002 once and the card stays in standby.
    ContactsFail {
        /// Card number.
        card: u32,
    },
    /// Frame `frame` (1 = first command or job since power-on) gets no reply (`mute@N`).
    NoReply {
        /// Frame counter.
        frame: u64,
    },
    /// Frame `frame` is answered `ERR,<code>` with any code (`error@N:CODE`), to exercise a
    /// driver's unknown-code path.
    RawError {
        /// Frame counter.
        frame: u64,
        /// The code sent.
        code: u16,
    },
}

impl MagicardFault {
    /// The shared Evolis form of this fault, when it has one.
    fn as_common(&self) -> Option<ScriptedFault> {
        Some(match *self {
            Self::Jam { card, phase } => ScriptedFault::Jam { card, phase },
            Self::CoverOpens {
                card,
                close_after_polls,
            } => ScriptedFault::CoverOpens {
                card,
                close_after_polls,
            },
            Self::RibbonEndsAfter { prints } => ScriptedFault::RibbonEndsAfter { prints },
            Self::NoRibbon => ScriptedFault::NoRibbon,
            Self::HeadTemp { card } => ScriptedFault::HeadTemp { card },
            Self::FeederEmptyAfter { cards } => ScriptedFault::FeederEmptyAfter { cards },
            Self::RejectBoxFullAfter { rejects } => ScriptedFault::RejectBoxFullAfter { rejects },
            Self::NoReply { frame } => ScriptedFault::NoReply { command: frame },
            _ => return None,
        })
    }
}

impl TryFrom<ScriptedFault> for MagicardFault {
    type Error = FaultSyntaxError;

    /// The Magicard reading of an Evolis fault; the Evolis-only ones (`rrt-spurious-ok`,
    /// `silent@CARD:N`) have none.
    fn try_from(f: ScriptedFault) -> Result<Self, Self::Error> {
        Ok(match f {
            ScriptedFault::Jam { card, phase } => Self::Jam { card, phase },
            ScriptedFault::RibbonEndsAfter { prints } => Self::RibbonEndsAfter { prints },
            ScriptedFault::NoRibbon => Self::NoRibbon,
            ScriptedFault::CoverOpens {
                card,
                close_after_polls,
            } => Self::CoverOpens {
                card,
                close_after_polls,
            },
            ScriptedFault::FeederEmptyAfter { cards } => Self::FeederEmptyAfter { cards },
            ScriptedFault::RejectBoxFullAfter { rejects } => Self::RejectBoxFullAfter { rejects },
            ScriptedFault::HeadTemp { card } => Self::HeadTemp { card },
            ScriptedFault::NoReply { command } => Self::NoReply { frame: command },
            other @ (ScriptedFault::SpuriousRibbonOk { .. } | ScriptedFault::Silent { .. }) => {
                return Err(FaultSyntaxError {
                    text: format!("{other} (an Evolis-only fault)"),
                });
            }
        })
    }
}

impl fmt::Display for MagicardFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(common) = self.as_common() {
            return common.fmt(f);
        }
        match self {
            Self::FlipperJam { card } => write!(f, "flipper-jam@{card}"),
            Self::MagVerify { card } => write!(f, "mag-verify@{card}"),
            Self::CleaningOverdue => f.write_str("cleaning-overdue"),
            Self::ContactsFail { card } => write!(f, "contacts-fail@{card}"),
            Self::RawError { frame, code } => write!(f, "error@{frame}:{code}"),
            _ => unreachable!("every other fault has a common form"),
        }
    }
}

/// A Magicard fault description that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "bad Magicard fault `{text}`: expected one of jam@N:PHASE, flipper-jam@N, mag-verify@N, \
     cover-opens@N[:POLLS], ribbon-ends-after=N, no-ribbon, cleaning-overdue, head-temp@N, \
     feeder-empty-after=N, reject-box-full[-after=N], contacts-fail@N, mute@N, error@N:CODE"
)]
pub struct MagicardFaultSyntaxError {
    /// The text given.
    pub text: String,
}

impl FromStr for MagicardFault {
    type Err = MagicardFaultSyntaxError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || MagicardFaultSyntaxError { text: s.into() };
        let card = |t: &str| t.trim().parse::<u32>().map_err(|_| err());
        let (head, arg) = match s.split_once('@') {
            Some((h, a)) => (h.trim(), Some(a)),
            None => (s.trim(), None),
        };
        match (head, arg) {
            ("flipper-jam", Some(a)) => return Ok(Self::FlipperJam { card: card(a)? }),
            ("mag-verify", Some(a)) => return Ok(Self::MagVerify { card: card(a)? }),
            ("contacts-fail", Some(a)) => return Ok(Self::ContactsFail { card: card(a)? }),
            ("cleaning-overdue", None) => return Ok(Self::CleaningOverdue),
            ("error", Some(a)) => {
                let (frame, code) = a.split_once(':').ok_or_else(err)?;
                return Ok(Self::RawError {
                    frame: frame.trim().parse().map_err(|_| err())?,
                    code: code.trim().parse().map_err(|_| err())?,
                });
            }
            _ => {}
        }
        let common: ScriptedFault = s.parse().map_err(|_| err())?;
        Self::try_from(common).map_err(|e| MagicardFaultSyntaxError { text: e.text })
    }
}

/// Random fault rates of a simulated Magicard (probability per opportunity, 0.0..=1.0).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MagicardFaultRates {
    /// Per card fed: the card jams, in a phase drawn among feeding, printing, ejecting (1026).
    pub jam_per_card: f64,
    /// Per card fed: the cover opens (1038) and closes after 3 status queries.
    pub cover_open_per_card: f64,
    /// Per print job: the head is too hot once (9001).
    pub head_temp_per_job: f64,
}

/// The fault plan of one simulated Magicard.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MagicardFaultPlan {
    /// Scripted faults.
    pub scripted: Vec<MagicardFault>,
    /// Random rates.
    pub rates: MagicardFaultRates,
    /// Seed of the random draws (same seed, same run).
    pub seed: u64,
}

impl MagicardFaultPlan {
    /// No fault at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// A plan with the given scripted faults.
    pub fn scripted(faults: impl IntoIterator<Item = MagicardFault>) -> Self {
        Self {
            scripted: faults.into_iter().collect(),
            ..Self::default()
        }
    }

    /// A plan with random rates and a seed.
    pub fn random(rates: MagicardFaultRates, seed: u64) -> Self {
        Self {
            scripted: Vec::new(),
            rates,
            seed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_round_trips_through_text() {
        let all = [
            MagicardFault::Jam {
                card: 3,
                phase: JobPhase::Printing,
            },
            MagicardFault::FlipperJam { card: 2 },
            MagicardFault::MagVerify { card: 4 },
            MagicardFault::CoverOpens {
                card: 5,
                close_after_polls: Some(2),
            },
            MagicardFault::CoverOpens {
                card: 5,
                close_after_polls: None,
            },
            MagicardFault::RibbonEndsAfter { prints: 7 },
            MagicardFault::NoRibbon,
            MagicardFault::CleaningOverdue,
            MagicardFault::HeadTemp { card: 1 },
            MagicardFault::FeederEmptyAfter { cards: 9 },
            MagicardFault::RejectBoxFullAfter { rejects: 0 },
            MagicardFault::ContactsFail { card: 6 },
            MagicardFault::NoReply { frame: 12 },
            MagicardFault::RawError {
                frame: 3,
                code: 4711,
            },
        ];
        for f in all {
            assert_eq!(f.to_string().parse::<MagicardFault>(), Ok(f.clone()), "{f}");
        }
        assert_eq!(
            "reject-box-full".parse(),
            Ok(MagicardFault::RejectBoxFullAfter { rejects: 0 })
        );
        let err = "rrt-spurious-ok=2".parse::<MagicardFault>().unwrap_err();
        assert!(err.to_string().contains("Evolis-only"), "{err}");
        assert!("error@3".parse::<MagicardFault>().is_err());
        assert!("flipper-jam@x".parse::<MagicardFault>().is_err());
        assert!(
            "jam@1:flying"
                .parse::<MagicardFault>()
                .unwrap_err()
                .to_string()
                .contains("contacts-fail@N")
        );
    }
}
