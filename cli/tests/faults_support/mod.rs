//! Helpers of the fault-injection tests (docs/faults.md): the `cardline` binary run as a real
//! process, a pcscd owned by the test (so it can be killed and restarted without disturbing the
//! machine's own), simulated stations served by `cardline sim serve` and reached by
//! `cardline` through real devices (TCP sockets, pseudo-terminals, pcscd + vpcd), a TCP proxy
//! that cuts a printer link, and the checks every fault test ends with: every card in a final
//! state, nothing lost, nothing produced or certified twice.
#![allow(dead_code)]

pub mod checks;
pub mod cli;
pub mod pcscd;
pub mod proxy;
pub mod serve;

/// A small deterministic generator (SplitMix64): the same seed gives the same kill schedule.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// True when this process runs as root (from `/proc/self/status`, no libc needed).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// True when `program` is found on `PATH`.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}
