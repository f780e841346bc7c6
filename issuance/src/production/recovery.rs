//! Crash recovery: settle every attempt a dead process left in flight into a definite state.
//!
//! For each in-flight attempt on one of our stations, the station is asked where the card is
//! (printer status) and, when it is parked at the contact station, what the chip holds. Then:
//!
//! | where the card is | journal says | settled as |
//! |---|---|---|
//! | inside the printer | anything | card rejected, attempt void (card produced again) |
//! | out, not encoded | eject started | attempt succeeded (the printed card is in the hopper) |
//! | out, encoded | eject started | attempt void: the PIN/PUK died with the process, destroy that card |
//! | out | no eject | attempt void (never fed, or already rejected) |
//!
//! A voided attempt's card is rejected and never encoded again, so a key generated in it is
//! never certified a second time; the card record stays `in_production` and gets a new blank.

use serde::Serialize;

use cardline_device::{CardPosition, ChipInspection};

use super::Station;
use crate::model::{Attempt, AttemptId, ProductionStep};
use crate::store::{Actor, AttemptSuccess, Store, StoreError};

/// How one in-flight attempt was settled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RecoveryOutcome {
    /// The journal and the printer prove the card was produced: it is now `unassigned`.
    Completed {
        /// The attempt.
        attempt: AttemptId,
        /// The card number.
        card: String,
        /// The evidence.
        reason: String,
    },
    /// The physical card was rejected (or must be destroyed); the card waits for a new blank.
    Voided {
        /// The attempt.
        attempt: AttemptId,
        /// The card number.
        card: String,
        /// Why, and what the operator should do.
        reason: String,
    },
    /// The attempt could not be settled now (station unreachable, reject failed).
    Unsettled {
        /// The attempt.
        attempt: AttemptId,
        /// The card number.
        card: String,
        /// The station.
        station: String,
        /// Why.
        reason: String,
    },
    /// The attempt belongs to a station this process does not hold (another process may be
    /// producing on it).
    OtherStation {
        /// The attempt.
        attempt: AttemptId,
        /// The card number.
        card: String,
        /// The station.
        station: String,
    },
}

/// What recovery did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RecoveryReport {
    /// One entry per in-flight attempt found.
    pub outcomes: Vec<RecoveryOutcome>,
}

impl RecoveryReport {
    /// Attempts left in flight on our own stations.
    pub fn unsettled(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o, RecoveryOutcome::Unsettled { .. }))
            .count()
    }
}

/// Settles every in-flight attempt of `stations` (matched by station name).
pub fn recover(
    store: &dyn Store,
    stations: &mut [Station],
    actor: &Actor,
) -> Result<RecoveryReport, StoreError> {
    let mut report = RecoveryReport::default();
    for attempt in store.in_flight_attempts()? {
        let Some(station) = stations.iter_mut().find(|s| s.name == attempt.station) else {
            report.outcomes.push(RecoveryOutcome::OtherStation {
                attempt: attempt.id,
                card: attempt.card_number.clone(),
                station: attempt.station.clone(),
            });
            continue;
        };
        let outcome = settle(store, station, &attempt, actor)?;
        tracing::info!(attempt = attempt.id, card = %attempt.card_number, ?outcome, "recovered");
        report.outcomes.push(outcome);
    }
    Ok(report)
}

fn settle(
    store: &dyn Store,
    station: &mut Station,
    attempt: &Attempt,
    actor: &Actor,
) -> Result<RecoveryOutcome, StoreError> {
    let unsettled = |reason: String| RecoveryOutcome::Unsettled {
        attempt: attempt.id,
        card: attempt.card_number.clone(),
        station: attempt.station.clone(),
        reason,
    };
    let status = match station.printer.status() {
        Ok(s) => s,
        Err(e) => return Ok(unsettled(format!("printer status: {e}"))),
    };
    let encoded = attempt
        .steps
        .iter()
        .any(|s| s.step == ProductionStep::Encode);
    let eject_started = attempt
        .steps
        .iter()
        .any(|s| s.step == ProductionStep::Eject);
    let inside = matches!(
        status.position,
        Some(
            CardPosition::ContactStation
                | CardPosition::ContactlessStation
                | CardPosition::PrintPosition
                | CardPosition::Unknown(_)
        )
    );
    if inside {
        let chip = if status.position == Some(CardPosition::ContactStation) {
            describe_chip(station, attempt)
        } else {
            String::new()
        };
        store.step_started(attempt.id, ProductionStep::Reject)?;
        if let Err(e) = station.printer.reject() {
            let reason = format!("reject: {e}");
            store.step_finished(attempt.id, ProductionStep::Reject, Some(&reason))?;
            return Ok(unsettled(reason));
        }
        store.step_finished(attempt.id, ProductionStep::Reject, None)?;
        let reason = format!(
            "recovered after a crash: card found {} and rejected{chip}",
            position_name(status.position.as_ref())
        );
        store.attempt_voided(attempt.id, &reason, actor)?;
        return Ok(voided(attempt, reason));
    }
    if eject_started && !encoded {
        let reason =
            "recovered after a crash: the journal shows the printed card was ejected".to_string();
        store.attempt_succeeded(attempt.id, &AttemptSuccess::default(), actor)?;
        return Ok(RecoveryOutcome::Completed {
            attempt: attempt.id,
            card: attempt.card_number.clone(),
            reason,
        });
    }
    let reason = if eject_started {
        format!(
            "recovered after a crash: card {} (chip {}) was ejected before its PIN/PUK were recorded: destroy it",
            attempt.card_number,
            attempt.chip_id.as_deref().unwrap_or("unknown")
        )
    } else {
        "recovered after a crash: no card in the printer (never fed, or already rejected)"
            .to_string()
    };
    store.attempt_voided(attempt.id, &reason, actor)?;
    Ok(voided(attempt, reason))
}

fn voided(attempt: &Attempt, reason: String) -> RecoveryOutcome {
    RecoveryOutcome::Voided {
        attempt: attempt.id,
        card: attempt.card_number.clone(),
        reason,
    }
}

fn position_name(p: Option<&CardPosition>) -> String {
    match p {
        Some(CardPosition::ContactStation) => "at the contact station".into(),
        Some(CardPosition::ContactlessStation) => "at the contactless station".into(),
        Some(CardPosition::PrintPosition) => "at the print position".into(),
        Some(CardPosition::Unknown(s)) => format!("at `{s}`"),
        Some(CardPosition::NoCard) | None => "nowhere".into(),
    }
}

/// Reads the parked chip and says whether it is the one this attempt planned.
fn describe_chip(station: &mut Station, attempt: &Attempt) -> String {
    let Station {
        reader, encoder, ..
    } = station;
    let Some(encoder) = encoder.as_mut() else {
        return String::new();
    };
    let inspection: ChipInspection = match reader.connect(std::time::Duration::from_secs(2)) {
        Ok(mut card) => match encoder.inspect(&mut *card) {
            Ok(i) => i,
            Err(e) => return format!("; chip unreadable ({e})"),
        },
        Err(e) => return format!("; chip unreadable ({e})"),
    };
    let planned = attempt.chip_id.as_deref();
    let ours = planned.is_some()
        && (inspection.guid.as_deref() == planned || inspection.chip_id.as_deref() == planned);
    if inspection.still_blank {
        "; chip still blank".into()
    } else if ours {
        format!(
            "; chip holds this attempt's GUID and {} certificate(s): its keys are discarded with the card",
            inspection.certificates.len()
        )
    } else {
        "; chip partly personalised".into()
    }
}
