//! Time for the simulated devices: a [`Clock`] abstraction and the printer's [`TimeModel`].
//!
//! The simulated printer schedules each mechanical phase (feed, park, print a panel, eject,
//! reject) for a duration derived from a rated throughput (spec §3 and §1.10). A time scale maps
//! simulated seconds to clock seconds: `0.0` = instant (tests), `0.1` = ten times faster than a
//! real printer, `1.0` = real time. The simulated time spent is accumulated separately, so the
//! throughput a run would have had on a real printer can be reported even at scale 0.
//!
//! ```
//! use cardline_sim::clock::{Clock, ManualClock};
//! use std::time::Duration;
//! let clock = ManualClock::new();
//! clock.sleep(Duration::from_millis(1500));
//! assert_eq!(clock.now(), Duration::from_millis(1500));
//! ```

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A monotonic clock. `now` is the time since the clock's origin.
pub trait Clock: Send + Sync {
    /// Time elapsed since the clock's origin.
    fn now(&self) -> Duration;
    /// Waits for `d` (a real clock blocks; a manual clock just moves forward).
    fn sleep(&self, d: Duration);
}

/// The wall clock (monotonic), counted from its creation.
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A clock starting now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
    fn sleep(&self, d: Duration) {
        if !d.is_zero() {
            std::thread::sleep(d);
        }
    }
}

/// A clock that only moves when told to: deterministic tests of timed behaviour.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: Mutex<Duration>,
}

impl ManualClock {
    /// A clock at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) += d;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn sleep(&self, d: Duration) {
        self.advance(d);
    }
}

/// Simulated duration of each mechanical phase of the printer, at real speed.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseDurations {
    /// Take a card from the feeder to the print position.
    pub feed: Duration,
    /// Move a card between the print position and the contact (or contactless) station.
    pub park: Duration,
    /// Print one colour panel (Y, M or C).
    pub color_panel: Duration,
    /// Print one monochrome panel (K or O).
    pub mono_panel: Duration,
    /// Turn the card over for the back side.
    pub flip: Duration,
    /// Eject the card to the output hopper.
    pub eject: Duration,
    /// Move the card to the reject box.
    pub reject: Duration,
}

impl PhaseDurations {
    /// Derives the phases from rated throughputs in cards per hour for a monochrome (K) and a
    /// colour (YMCKO) single-sided card (spec §3: Primacy 2 ≈ 1000 and 225).
    ///
    /// Card handling (feed + eject) is a fixed 1.4 s; a mono panel takes the rest of a mono
    /// card; a colour panel takes a third of what a YMCKO card leaves after handling, K and O.
    pub fn from_rated(mono_cph: f64, color_cph: f64) -> Self {
        let feed = 0.8;
        let eject = 0.6;
        let mono_card = 3600.0 / mono_cph.max(1.0);
        let mono_panel = (mono_card - feed - eject).max(0.1);
        let color_card = 3600.0 / color_cph.max(1.0);
        let color_panel = ((color_card - feed - eject - 2.0 * mono_panel) / 3.0).max(0.1);
        let s = Duration::from_secs_f64;
        Self {
            feed: s(feed),
            park: s(1.0),
            color_panel: s(color_panel),
            mono_panel: s(mono_panel),
            flip: s(1.5),
            eject: s(eject),
            reject: s(0.8),
        }
    }
}

impl Default for PhaseDurations {
    fn default() -> Self {
        Self::from_rated(1000.0, 225.0)
    }
}

/// How simulated time maps to the clock.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeModel {
    /// Clock seconds per simulated second: 0 = instant, 0.1 = ten times faster than real.
    pub scale: f64,
    /// Phase durations at real speed.
    pub phases: PhaseDurations,
}

impl TimeModel {
    /// Everything happens at once (the default for tests).
    pub fn instant() -> Self {
        Self {
            scale: 0.0,
            phases: PhaseDurations::default(),
        }
    }

    /// The default phases at the given time scale.
    pub fn scaled(scale: f64) -> Self {
        Self {
            scale: scale.max(0.0),
            phases: PhaseDurations::default(),
        }
    }

    /// The clock time a simulated phase of `d` takes.
    pub fn on_clock(&self, d: Duration) -> Duration {
        if self.scale <= 0.0 {
            Duration::ZERO
        } else {
            d.mul_f64(self.scale)
        }
    }
}

impl Default for TimeModel {
    fn default() -> Self {
        Self::instant()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rated_throughput_adds_up() {
        let p = PhaseDurations::from_rated(1000.0, 225.0);
        let mono = p.feed + p.mono_panel + p.eject;
        assert!((mono.as_secs_f64() - 3.6).abs() < 1e-6);
        let color = p.feed + 3 * p.color_panel + 2 * p.mono_panel + p.eject;
        assert!((color.as_secs_f64() - 16.0).abs() < 1e-6);
    }

    #[test]
    fn scale_zero_is_instant() {
        let t = TimeModel::instant();
        assert_eq!(t.on_clock(Duration::from_secs(5)), Duration::ZERO);
        let t = TimeModel::scaled(0.1);
        assert_eq!(
            t.on_clock(Duration::from_secs(5)),
            Duration::from_millis(500)
        );
    }
}
