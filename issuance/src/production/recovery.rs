//! Crash recovery: settle every attempt a dead run left in flight into a definite state.
//!
//! Only attempts whose run is provably gone ([`is_gone`]: ended, lease expired, or its process
//! on this host no longer exists) are touched; a live run's attempts are reported and left
//! alone. For each such attempt on a station this run holds, the station is asked where the
//! card is (printer status) and, when it is parked at the contact station, what the chip
//! holds. Then:
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
//!
//! An attempt of a gone run on a station no one here holds is *stranded* (the station was
//! renamed or removed after the crash, or lives on another desk): it is reported, and
//! [`settle_lost`] (`cardline recover --station OLD --as-lost`) voids it as lost, audited.

use serde::Serialize;

use cardline_device::{CardPosition, ChipInspection};

use super::Station;
use crate::model::{Attempt, AttemptId, ProductionStep, RunId};
use crate::store::ownership::{host_name, is_gone};
use crate::store::{Actor, AttemptSuccess, ProductionJournal, StoreError};

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
    /// The attempt belongs to a live run (another process or desk is producing it): left alone.
    LiveRun {
        /// The attempt.
        attempt: AttemptId,
        /// The card number.
        card: String,
        /// The station.
        station: String,
        /// The run producing it.
        run: RunId,
        /// Its host.
        host: String,
        /// Its process id.
        pid: u32,
    },
    /// The attempt's run is gone, but its station is not held here (renamed or removed after
    /// the crash, or attached to another desk): produce or recover on the host that has the
    /// station, or settle it with `cardline recover --station NAME --as-lost`.
    Stranded {
        /// The attempt.
        attempt: AttemptId,
        /// The card number.
        card: String,
        /// The station.
        station: String,
        /// The run that died, when known.
        run: Option<RunId>,
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

impl RecoveryReport {
    /// Attempts stranded on stations not held here.
    pub fn stranded(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o, RecoveryOutcome::Stranded { .. }))
            .count()
    }
}

/// Whether the run of `attempt` is provably gone (attempts older than runs have none: gone).
fn run_of(
    journal: &dyn ProductionJournal,
    attempt: &Attempt,
    host: &str,
) -> Result<Option<crate::model::Run>, StoreError> {
    let Some(id) = attempt.run_id else {
        return Ok(None);
    };
    let run = journal.run(id)?;
    Ok((!is_gone(&run, host)).then_some(run))
}

/// Settles every in-flight attempt of a gone run on one of `stations` (which this process
/// must hold, see [`RunGuard::claim_all`](super::RunGuard::claim_all)); reports the others.
pub fn recover(
    journal: &dyn ProductionJournal,
    stations: &mut [Station],
    actor: &Actor,
) -> Result<RecoveryReport, StoreError> {
    let host = host_name();
    let mut report = RecoveryReport::default();
    for attempt in journal.in_flight_attempts()? {
        if let Some(live) = run_of(journal, &attempt, &host)? {
            report.outcomes.push(RecoveryOutcome::LiveRun {
                attempt: attempt.id,
                card: attempt.card_number.clone(),
                station: attempt.station.clone(),
                run: live.id,
                host: live.host,
                pid: live.pid,
            });
            continue;
        }
        let Some(station) = stations.iter_mut().find(|s| s.name == attempt.station) else {
            report.outcomes.push(RecoveryOutcome::Stranded {
                attempt: attempt.id,
                card: attempt.card_number.clone(),
                station: attempt.station.clone(),
                run: attempt.run_id,
            });
            continue;
        };
        let outcome = settle(journal, station, &attempt, actor, "recovered after a crash")?;
        tracing::info!(attempt = attempt.id, card = %attempt.card_number, ?outcome, "recovered");
        report.outcomes.push(outcome);
    }
    Ok(report)
}

/// Settles the attempts `run` itself left in flight on `station` — a desk whose database
/// went away in the middle of a card, now back: the station thread that held the card has
/// given it up, so the card is found and settled like after a crash.
pub fn recover_own(
    journal: &dyn ProductionJournal,
    run: RunId,
    station: &mut Station,
    actor: &Actor,
) -> Result<RecoveryReport, StoreError> {
    let mut report = RecoveryReport::default();
    for attempt in journal.in_flight_attempts()? {
        if attempt.run_id != Some(run) || attempt.station != station.name {
            continue;
        }
        let outcome = settle(
            journal,
            station,
            &attempt,
            actor,
            "recovered after the database came back",
        )?;
        tracing::info!(attempt = attempt.id, card = %attempt.card_number, ?outcome, "recovered");
        report.outcomes.push(outcome);
    }
    Ok(report)
}

/// Settles the attempts a gone run left in flight on `station`, a station no one can ask any
/// more (renamed or removed after a crash): each is voided as lost (audited `attempt.lost`),
/// its card waits for a new blank, and the operator is told to destroy the physical card if
/// it turns up. Refused while a live run holds the station; a live run's attempts are left
/// alone.
pub fn settle_lost(
    journal: &dyn ProductionJournal,
    station: &str,
    actor: &Actor,
) -> Result<RecoveryReport, StoreError> {
    let host = host_name();
    if let Some(owner) = journal.station_owner(station)?
        && !is_gone(&owner, &host)
    {
        return Err(StoreError::StationInUse {
            station: station.to_string(),
            run: owner.id,
            host: owner.host,
            pid: owner.pid,
            since: owner.started_at,
        });
    }
    let mut report = RecoveryReport::default();
    for attempt in journal.in_flight_attempts()? {
        if attempt.station != station {
            continue;
        }
        if let Some(live) = run_of(journal, &attempt, &host)? {
            report.outcomes.push(RecoveryOutcome::LiveRun {
                attempt: attempt.id,
                card: attempt.card_number.clone(),
                station: attempt.station.clone(),
                run: live.id,
                host: live.host,
                pid: live.pid,
            });
            continue;
        }
        let reason = format!(
            "settled as lost: station {station} is gone (renamed or removed after a crash); \
             card {} (chip {}) cannot be found by cardline: destroy it if it turns up",
            attempt.card_number,
            attempt.chip_id.as_deref().unwrap_or("unknown")
        );
        journal.attempt_lost(attempt.id, &reason, actor)?;
        report.outcomes.push(voided(&attempt, reason));
    }
    Ok(report)
}

fn settle(
    store: &dyn ProductionJournal,
    station: &mut Station,
    attempt: &Attempt,
    actor: &Actor,
    cause: &str,
) -> Result<RecoveryOutcome, StoreError> {
    let unsettled = |reason: String| RecoveryOutcome::Unsettled {
        attempt: attempt.id,
        card: attempt.card_number.clone(),
        station: attempt.station.clone(),
        reason,
    };
    if attempt.steps.is_empty() {
        // Every physical step is journaled before it starts: this card was claimed (a desk
        // claims a station's next card while the previous one ejects) and never fed. The
        // printer is not asked: a card inside belongs to another attempt.
        let reason = format!(
            "{cause}: card {} was claimed and never fed",
            attempt.card_number
        );
        store.attempt_voided(attempt.id, &reason, actor)?;
        return Ok(voided(attempt, reason));
    }
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
            "{cause}: card found {} and rejected{chip}",
            position_name(status.position.as_ref())
        );
        store.attempt_voided(attempt.id, &reason, actor)?;
        return Ok(voided(attempt, reason));
    }
    if eject_started && !encoded {
        let reason = format!("{cause}: the journal shows the printed card was ejected");
        store.attempt_succeeded(attempt.id, &AttemptSuccess::default(), actor)?;
        return Ok(RecoveryOutcome::Completed {
            attempt: attempt.id,
            card: attempt.card_number.clone(),
            reason,
        });
    }
    let reason = if eject_started {
        format!(
            "{cause}: card {} (chip {}) was ejected before its PIN/PUK were recorded: destroy it",
            attempt.card_number,
            attempt.chip_id.as_deref().unwrap_or("unknown")
        )
    } else {
        format!("{cause}: no card in the printer (never fed, or already rejected)")
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
