//! Serials of the chips of simulated stations without `seed=`: one sequence per process,
//! starting at a random point of the 8-digit serial range (10000000–99999999, like a
//! YubiKey's), so no two chips of one process share a serial (stations of the same name
//! included), and two processes share one only if their ranges meet: with n and m chips, a
//! chance of about (n + m) / 90 000 000. With `seed=`, card N's chip is seeded `seed + N`
//! instead: the same URI gives the same serials, which tests rely on.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use cardline_sim::faults::PrinterFaultPlan;

/// The first serial.
const FIRST: u64 = 10_000_000;
/// How many serials there are.
const SPAN: u64 = 90_000_000;

/// A sequence of chip serials from a random start.
#[derive(Debug)]
pub struct ChipSerials {
    origin: u64,
    taken: AtomicU64,
}

impl ChipSerials {
    /// A sequence starting at a random serial: the operating system's random bytes, mixed with
    /// the process id and the time (in case the random source fails).
    pub fn starting_anywhere() -> ChipSerials {
        let time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64;
        let mixed =
            mix(PrinterFaultPlan::entropy_seed()
                ^ mix(time ^ (u64::from(std::process::id()) << 40)));
        ChipSerials {
            origin: mixed % SPAN,
            taken: AtomicU64::new(0),
        }
    }

    /// This process's sequence (started on first use).
    pub fn of_this_process() -> &'static ChipSerials {
        static SERIALS: OnceLock<ChipSerials> = OnceLock::new();
        SERIALS.get_or_init(ChipSerials::starting_anywhere)
    }

    /// The next serial (after 90 000 000 chips the sequence wraps round).
    pub fn next_serial(&self) -> u32 {
        let n = self.taken.fetch_add(1, Ordering::Relaxed);
        (FIRST + (self.origin + n) % SPAN) as u32
    }
}

/// SplitMix64's finaliser: spreads every input bit over the output.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sequence_never_repeats_a_serial_and_stays_in_range() {
        let s = ChipSerials {
            origin: SPAN - 2,
            taken: AtomicU64::new(0),
        };
        let got: Vec<u32> = (0..4).map(|_| s.next_serial()).collect();
        assert_eq!(got, [99_999_998, 99_999_999, 10_000_000, 10_000_001]);
        let s = ChipSerials::starting_anywhere();
        let mut seen: Vec<u32> = (0..10_000).map(|_| s.next_serial()).collect();
        assert!(seen.iter().all(|n| (10_000_000..=99_999_999).contains(n)));
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 10_000);
    }

    #[test]
    fn two_processes_start_at_different_serials() {
        // each process starts its own sequence; equal starts would be a 1 in 90 000 000 chance
        let starts: Vec<u32> = (0..8)
            .map(|_| ChipSerials::starting_anywhere().next_serial())
            .collect();
        let mut unique = starts.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), starts.len(), "{starts:?}");
    }
}
