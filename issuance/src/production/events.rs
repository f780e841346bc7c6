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
        /// What to do (close the cover, load cards, check the reader pattern ...).
        reason: String,
        /// What ends the pause: the printer reporting ready again (`printer_ready`), or an
        /// operator resuming the station (`operator_resumes`: `cardline stations resume NAME`).
        until: PauseUntil,
    },
    /// A paused station is ready again.
    StationResumed {
        /// The station.
        station: String,
    },
    /// A card in hand was put back to wait for a new blank (its blank was rejected or lost)
    /// because the station, not the card, was at fault.
    CardPutBack {
        /// The station.
        station: String,
        /// The card number.
        card: String,
        /// Why.
        reason: String,
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

/// What ends a station's pause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseUntil {
    /// The printer reports ready again (cover closed, ribbon replaced, cards loaded).
    PrinterReady,
    /// An operator resumes the station after fixing what the message names.
    OperatorResumes,
    /// The database answers again (a desk waits for it by itself).
    StoreAvailable,
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
    /// Cards of the order still waiting for production at the end (no attempt in flight).
    pub remaining: u32,
    /// Cards of the order in the hands of other runs (other processes or desks) at the end.
    pub in_other_runs: u32,
    /// True when the order was closed (completed or cancelled) by someone else during the run.
    pub order_closed: bool,
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
    /// Why it is paused for an operator at the end of the run, if it is.
    pub paused: Option<String>,
    /// A store failure that ended this station's work (attempt in flight left for recovery).
    pub error: Option<String>,
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

impl ProductionSummary {
    /// True when a station stopped, failed on the store, or ended paused.
    pub fn degraded(&self) -> bool {
        self.stations
            .iter()
            .any(|s| s.stopped.is_some() || s.error.is_some() || s.paused.is_some())
    }

    /// True when a station ended on a store failure.
    pub fn store_failed(&self) -> bool {
        self.stations.iter().any(|s| s.error.is_some())
    }
}
