//! The printer fault plan: scripted faults ("jam on card 17 while printing", "ribbon ends after
//! 50 prints", "cover opens at card 5") and seeded random rates. The same seed replays the same
//! run (STYLE habit 12); the seed is printed by whoever builds a random plan.
//!
//! Scripted faults have a text form, used by `cardline sim printer --fault`:
//!
//! ```
//! use cardline_sim::faults::ScriptedFault;
//! use cardline_device::JobPhase;
//! let f: ScriptedFault = "jam@17:printing".parse().unwrap();
//! assert_eq!(f, ScriptedFault::Jam { card: 17, phase: JobPhase::Printing });
//! assert_eq!(f.to_string(), "jam@17:printing");
//! ```

use std::fmt;
use std::str::FromStr;

use cardline_device::JobPhase;

/// One scripted fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptedFault {
    /// Card number `card` (1 = first card fed) jams in `phase` (`jam@17:printing`).
    Jam {
        /// Card number, counted from the first feed.
        card: u32,
        /// Phase in which it jams.
        phase: JobPhase,
    },
    /// The ribbon has `prints` prints left (`ribbon-ends-after=50`).
    RibbonEndsAfter {
        /// Prints left.
        prints: u32,
    },
    /// No ribbon is installed (`no-ribbon`): `ERR RIB DETECTION`.
    NoRibbon,
    /// The cover opens when card `card` is about to be fed; it closes after `close_after_polls`
    /// status queries, or only by an explicit call (`cover-opens@5` / `cover-opens@5:3`).
    CoverOpens {
        /// Card number at whose feed the cover opens.
        card: u32,
        /// Status queries (R commands) after which it closes by itself.
        close_after_polls: Option<u32>,
    },
    /// The feeder holds only `cards` cards (`feeder-empty-after=10`).
    FeederEmptyAfter {
        /// Cards in the feeder.
        cards: u32,
    },
    /// The reject box is full after `rejects` more rejects (`reject-box-full` = now,
    /// `reject-box-full-after=2`).
    RejectBoxFullAfter {
        /// Rejects it still takes.
        rejects: u32,
    },
    /// The head is too hot when card `card` is printed: one `ERR HEAD TEMP` (`head-temp@3`).
    HeadTemp {
        /// Card number.
        card: u32,
    },
    /// The `command`-th command (1 = first since power-on) gets no reply at all (`mute@12`).
    NoReply {
        /// Command counter.
        command: u64,
    },
    /// The printer stops answering in the middle of card `card`'s print (`silent@3:4`): its
    /// first panel download (`Db`, `Dbc`, `Dbp`, `Dbpc`) and the `commands − 1` commands after
    /// it, whatever they are (status queries, `Pem`, `Srs` …), get no reply and do nothing;
    /// then it answers again. The card stays where it is (at the print position).
    Silent {
        /// Card number, counted from the first feed.
        card: u32,
        /// Commands left unanswered, the download included (at least 1).
        commands: u32,
    },
    /// The next `replies` ribbon queries (`Rrt;*`) answer a spurious `OK`, the firmware quirk
    /// seen right after cover events (spec §1.4) (`rrt-spurious-ok=2`).
    SpuriousRibbonOk {
        /// How many `Rrt` queries answer `OK`.
        replies: u32,
    },
}

fn phase_name(p: JobPhase) -> &'static str {
    match p {
        JobPhase::Feeding => "feeding",
        JobPhase::Parking => "parking",
        JobPhase::Printing => "printing",
        JobPhase::Ejecting => "ejecting",
        JobPhase::Rejecting => "rejecting",
    }
}

impl fmt::Display for ScriptedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Jam { card, phase } => write!(f, "jam@{card}:{}", phase_name(*phase)),
            Self::RibbonEndsAfter { prints } => write!(f, "ribbon-ends-after={prints}"),
            Self::NoRibbon => f.write_str("no-ribbon"),
            Self::CoverOpens {
                card,
                close_after_polls: None,
            } => write!(f, "cover-opens@{card}"),
            Self::CoverOpens {
                card,
                close_after_polls: Some(n),
            } => write!(f, "cover-opens@{card}:{n}"),
            Self::FeederEmptyAfter { cards } => write!(f, "feeder-empty-after={cards}"),
            Self::RejectBoxFullAfter { rejects } => write!(f, "reject-box-full-after={rejects}"),
            Self::HeadTemp { card } => write!(f, "head-temp@{card}"),
            Self::NoReply { command } => write!(f, "mute@{command}"),
            Self::Silent { card, commands } => write!(f, "silent@{card}:{commands}"),
            Self::SpuriousRibbonOk { replies } => write!(f, "rrt-spurious-ok={replies}"),
        }
    }
}

/// A fault description that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "bad fault `{text}`: expected jam@N:PHASE, ribbon-ends-after=N, no-ribbon, cover-opens@N[:POLLS], \
     feeder-empty-after=N, reject-box-full[-after=N], head-temp@N, mute@N, silent@CARD:N (N ≥ 1) or rrt-spurious-ok=N"
)]
pub struct FaultSyntaxError {
    /// The text given.
    pub text: String,
}

impl FromStr for ScriptedFault {
    type Err = FaultSyntaxError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || FaultSyntaxError { text: s.into() };
        let num = |t: &str| t.trim().parse::<u32>().map_err(|_| err());
        let (head, arg) = match s.split_once(['@', '=']) {
            Some((h, a)) => (h, Some(a)),
            None => (s, None),
        };
        Ok(match (head.trim(), arg) {
            ("jam", Some(a)) => {
                let (card, phase) = a.split_once(':').ok_or_else(err)?;
                let phase = match phase.trim() {
                    "feeding" => JobPhase::Feeding,
                    "parking" => JobPhase::Parking,
                    "printing" => JobPhase::Printing,
                    "ejecting" => JobPhase::Ejecting,
                    "rejecting" => JobPhase::Rejecting,
                    _ => return Err(err()),
                };
                Self::Jam {
                    card: num(card)?,
                    phase,
                }
            }
            ("ribbon-ends-after", Some(a)) => Self::RibbonEndsAfter { prints: num(a)? },
            ("no-ribbon", None) => Self::NoRibbon,
            ("cover-opens", Some(a)) => match a.split_once(':') {
                Some((c, n)) => Self::CoverOpens {
                    card: num(c)?,
                    close_after_polls: Some(num(n)?),
                },
                None => Self::CoverOpens {
                    card: num(a)?,
                    close_after_polls: None,
                },
            },
            ("feeder-empty-after", Some(a)) => Self::FeederEmptyAfter { cards: num(a)? },
            ("reject-box-full", None) => Self::RejectBoxFullAfter { rejects: 0 },
            ("reject-box-full-after", Some(a)) => Self::RejectBoxFullAfter { rejects: num(a)? },
            ("head-temp", Some(a)) => Self::HeadTemp { card: num(a)? },
            ("rrt-spurious-ok", Some(a)) => Self::SpuriousRibbonOk { replies: num(a)? },
            ("silent", Some(a)) => {
                let (card, commands) = a.split_once(':').ok_or_else(err)?;
                Self::Silent {
                    card: num(card)?,
                    commands: Some(num(commands)?).filter(|n| *n >= 1).ok_or_else(err)?,
                }
            }
            ("mute", Some(a)) => Self::NoReply {
                command: a.trim().parse().map_err(|_| err())?,
            },
            _ => return Err(err()),
        })
    }
}

/// Random fault rates (probability per opportunity, 0.0..=1.0).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultRates {
    /// Per card fed: the card jams, in a phase drawn at random (feeding, printing, ejecting).
    pub jam_per_card: f64,
    /// Per action command (`Sis`, `Ss`, `Se`, `Ser` …): the printer answers `ERR BUSY` once.
    pub busy_per_action: f64,
    /// Per card fed: the cover opens (closes after 3 status queries).
    pub cover_open_per_card: f64,
}

impl FaultRates {
    /// True when every rate is zero.
    pub fn is_zero(&self) -> bool {
        self.jam_per_card <= 0.0 && self.busy_per_action <= 0.0 && self.cover_open_per_card <= 0.0
    }
}

/// The fault plan of one simulated printer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PrinterFaultPlan {
    /// Scripted faults.
    pub scripted: Vec<ScriptedFault>,
    /// Random rates.
    pub rates: FaultRates,
    /// Seed of the random draws.
    pub seed: u64,
}

impl PrinterFaultPlan {
    /// No fault at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// A plan with the given scripted faults.
    pub fn scripted(faults: impl IntoIterator<Item = ScriptedFault>) -> Self {
        Self {
            scripted: faults.into_iter().collect(),
            ..Self::default()
        }
    }

    /// A plan with random rates and a seed.
    pub fn random(rates: FaultRates, seed: u64) -> Self {
        Self {
            scripted: Vec::new(),
            rates,
            seed,
        }
    }

    /// A seed from the operating system's entropy, for runs that print their seed.
    pub fn entropy_seed() -> u64 {
        let mut b = [0u8; 8];
        if getrandom::fill(&mut b).is_err() {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            return t.as_nanos() as u64;
        }
        u64::from_le_bytes(b)
    }
}

/// A small deterministic generator (SplitMix64): same seed, same draws, on every platform.
#[derive(Clone, Debug)]
pub struct FaultRng {
    state: u64,
}

impl FaultRng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_round_trips_through_text() {
        let all = [
            ScriptedFault::Jam {
                card: 3,
                phase: JobPhase::Ejecting,
            },
            ScriptedFault::RibbonEndsAfter { prints: 50 },
            ScriptedFault::NoRibbon,
            ScriptedFault::CoverOpens {
                card: 5,
                close_after_polls: Some(4),
            },
            ScriptedFault::CoverOpens {
                card: 5,
                close_after_polls: None,
            },
            ScriptedFault::FeederEmptyAfter { cards: 9 },
            ScriptedFault::RejectBoxFullAfter { rejects: 2 },
            ScriptedFault::HeadTemp { card: 1 },
            ScriptedFault::NoReply { command: 12 },
            ScriptedFault::SpuriousRibbonOk { replies: 2 },
            ScriptedFault::Silent {
                card: 2,
                commands: 5,
            },
        ];
        for f in all {
            assert_eq!(f.to_string().parse::<ScriptedFault>(), Ok(f.clone()));
        }
        assert_eq!(
            "reject-box-full".parse(),
            Ok(ScriptedFault::RejectBoxFullAfter { rejects: 0 })
        );
        assert!("jam@x:printing".parse::<ScriptedFault>().is_err());
        assert!("jam@1:flying".parse::<ScriptedFault>().is_err());
        for bad in ["silent@1", "silent@1:0", "silent@x:2", "silent@1:-1"] {
            let e = bad.parse::<ScriptedFault>().unwrap_err();
            assert_eq!(e.text, bad);
            assert!(e.to_string().contains("silent@CARD:N"), "{e}");
        }
    }

    #[test]
    fn same_seed_same_draws() {
        let mut a = FaultRng::new(42);
        let mut b = FaultRng::new(42);
        let da: Vec<bool> = (0..100).map(|_| a.chance(0.3)).collect();
        let db: Vec<bool> = (0..100).map(|_| b.chance(0.3)).collect();
        assert_eq!(da, db);
        let hits = da.iter().filter(|h| **h).count();
        assert!((15..=45).contains(&hits), "{hits}");
        assert!(!FaultRng::new(1).chance(0.0));
    }
}
