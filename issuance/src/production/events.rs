//! Progress events and the summary of a production run.

use std::time::Duration;

use serde::Serialize;

use crate::model::OrderId;

/// Something that happened during production, for progress output (JSON lines with `--json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ProductionEvent {
    /// A station starts working on the order.
    StationStarted {
        /// The station.
        station: String,
        /// The printer and its link.
        printer: String,
    },
    /// A station took a card.
    CardStarted {
        /// The station.
        station: String,
        /// The card number.
        card: String,
        /// The attempt journaling it.
        attempt: i64,
    },
    /// A step failed with a transient fault and is tried again.
    StepRetried {
        /// The station.
        station: String,
        /// The card number.
        card: String,
        /// The step (`feed`, `encode`, `print`, `eject`).
        step: String,
        /// The fault.
        error: String,
    },
    /// A card was produced and is now `unassigned`.
    CardProduced {
        /// The station.
        station: String,
        /// The card number.
        card: String,
        /// The chip serial/GUID, when encoded.
        chip_id: Option<String>,
        /// Time the station spent on the card, in milliseconds.
        millis: u64,
    },
    /// A card was rejected and is now `failed`.
    CardFailed {
        /// The station.
        station: String,
        /// The card number.
        card: String,
        /// Why.
        reason: String,
    },
    /// A station needs a person; the message says what to do.
    StationPaused {
        /// The station.
        station: String,
        /// What to do (close the cover, load cards ...).
        reason: String,
    },
    /// A paused station is ready again.
    StationResumed {
        /// The station.
        station: String,
    },
    /// A station stopped for good in this run (its card, if any, was put back).
    StationStopped {
        /// The station.
        station: String,
        /// Why.
        reason: String,
    },
    /// Production of the order ended (all cards done, cancelled, or no station left).
    Finished {
        /// The summary.
        summary: ProductionSummary,
    },
}

/// What one production run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProductionSummary {
    /// The order.
    pub order_id: OrderId,
    /// Cards produced in this run.
    pub produced: u32,
    /// Cards rejected in this run.
    pub failed: u32,
    /// Cards of the order still `in_production` at the end (a station stopped, or cancelled).
    pub remaining: u32,
    /// True when production was cancelled.
    pub cancelled: bool,
    /// Wall time of the run in milliseconds.
    pub elapsed_ms: u64,
    /// Per station.
    pub stations: Vec<StationSummary>,
}

/// What one station did in a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StationSummary {
    /// The station.
    pub name: String,
    /// Cards produced.
    pub produced: u32,
    /// Cards rejected.
    pub failed: u32,
    /// Time spent paused waiting for an operator, in milliseconds.
    pub paused_ms: u64,
    /// Why it stopped early, if it did.
    pub stopped: Option<String>,
}

impl StationSummary {
    /// Cards per hour over `elapsed`.
    pub fn cards_per_hour(&self, elapsed: Duration) -> f64 {
        let s = elapsed.as_secs_f64();
        if s <= 0.0 {
            0.0
        } else {
            self.produced as f64 * 3600.0 / s
        }
    }
}
