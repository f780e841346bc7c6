//! What `cardline desks` (and the console) show: every run that has not ended — desk daemons
//! and one-shot `order produce` runs — with its stations and what each is doing.

use serde::Serialize;

use crate::model::{Attempt, Run, RunId};
use crate::printer_report::PrinterReport;
use crate::store::ownership::{LEASE, host_name, is_gone};
use crate::store::{ProductionJournal, StoreError};

/// What a desk or run is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeskState {
    /// At least one station has a card in hand.
    Producing,
    /// Every station is paused until an operator resumes it.
    Paused,
    /// Waiting for work.
    Idle,
    /// Its process is gone or its lease ran out: its untouched cards go back to the queue,
    /// a card it held in a printer waits for its recovery.
    Gone,
}

/// One station of a desk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeskStation {
    /// The station.
    pub name: String,
    /// `producing`, `paused` or `idle` (a gone desk's stations say what they were doing).
    pub state: DeskState,
    /// The card in hand, when producing.
    pub card: Option<String>,
    /// Why it is paused.
    pub reason: Option<String>,
    /// What its printer last reported (ribbon, cover, feeder, errors, model, serial, when it
    /// was read); `null` until the desk read it.
    pub printer: Option<PrinterReport>,
    /// What about the printer needs a person, in words (`ribbon low (7 %, 15 left)`, `cover
    /// open`, `feeder empty`, errors); empty when nothing does or nothing is known.
    pub printer_warnings: Vec<String>,
}

/// One desk (or one-shot run) as `cardline desks` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeskView {
    /// The desk name (`desk run --desk NAME`), or `None` for a one-shot run.
    pub desk: Option<String>,
    /// The run id.
    pub run: RunId,
    /// `desk`, `produce`, `encode`, `recover`.
    pub kind: String,
    /// Host and process.
    pub host: String,
    /// Its process id.
    pub pid: u32,
    /// Who started it.
    pub operator: String,
    /// When it started.
    pub started_at: String,
    /// Until when its lease holds (renewed every few seconds while it lives).
    pub lease_until: String,
    /// Its last heartbeat: when the lease was last renewed (RFC 3339).
    pub heartbeat_at: Option<String>,
    /// What it is doing.
    pub state: DeskState,
    /// Its stations.
    pub stations: Vec<DeskStation>,
}

/// The card a station of `run` works on: the one it touched (a station also holds the next
/// card, claimed while the card in hand ejects, untouched), else the one it claimed.
fn station_card(in_flight: &[Attempt], station: &str, run: RunId) -> Option<String> {
    let mine = || {
        in_flight
            .iter()
            .filter(move |a| a.station == station && a.run_id == Some(run))
    };
    mine()
        .find(|a| !a.steps.is_empty())
        .or_else(|| mine().next())
        .map(|a| a.card_number.clone())
}

/// Every run not ended, newest first, with its stations.
pub fn desks(journal: &dyn ProductionJournal) -> Result<Vec<DeskView>, StoreError> {
    let host = host_name();
    let claims = journal.station_claims()?;
    let pauses = journal.station_pauses()?;
    let in_flight = journal.in_flight_attempts()?;
    let mut out = Vec::new();
    for run in journal.runs(false)? {
        let stations: Vec<DeskStation> = claims
            .iter()
            .filter(|c| c.run == run.id)
            .map(|c| {
                let card = station_card(&in_flight, &c.station, run.id);
                let reason = pauses
                    .iter()
                    .find(|p| p.station == c.station)
                    .map(|p| p.reason.clone());
                let state = match (&card, &reason) {
                    (Some(_), _) => DeskState::Producing,
                    (None, Some(_)) => DeskState::Paused,
                    (None, None) => DeskState::Idle,
                };
                DeskStation {
                    name: c.station.clone(),
                    state,
                    card,
                    reason,
                    printer_warnings: c
                        .printer
                        .as_ref()
                        .map(PrinterReport::warnings)
                        .unwrap_or_default(),
                    printer: c.printer.clone(),
                }
            })
            .collect();
        let state = state_of(&run, &host, &stations);
        out.push(DeskView {
            desk: run.desk.clone(),
            run: run.id,
            kind: run.kind.clone(),
            host: run.host.clone(),
            pid: run.pid,
            operator: run.operator.clone(),
            started_at: run.started_at.clone(),
            lease_until: run.lease_until.clone(),
            heartbeat_at: heartbeat_of(&run.lease_until),
            state,
            stations,
        });
    }
    Ok(out)
}

fn state_of(run: &Run, host: &str, stations: &[DeskStation]) -> DeskState {
    if is_gone(run, host) {
        DeskState::Gone
    } else if stations.iter().any(|s| s.state == DeskState::Producing) {
        DeskState::Producing
    } else if !stations.is_empty() && stations.iter().all(|s| s.state == DeskState::Paused) {
        DeskState::Paused
    } else {
        DeskState::Idle
    }
}

/// When a lease ending at `lease_until` was renewed: a heartbeat takes [`LEASE`].
fn heartbeat_of(lease_until: &str) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    let until = time::OffsetDateTime::parse(lease_until, &Rfc3339).ok()?;
    let lease = time::Duration::try_from(LEASE).ok()?;
    (until - lease).format(&Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(id: i64, station: &str, card: &str, touched: bool) -> Attempt {
        let step = crate::model::StepRecord {
            step: crate::model::ProductionStep::Feed,
            started_at: "t".into(),
            finished_at: None,
            outcome: None,
        };
        Attempt {
            id,
            card_id: id,
            card_number: card.into(),
            order_id: 1,
            station: station.into(),
            run_id: Some(3),
            status: crate::model::AttemptStatus::InFlight,
            chip_id: None,
            reason: None,
            key_ids: None,
            started_at: "t".into(),
            finished_at: None,
            steps: if touched { vec![step] } else { Vec::new() },
        }
    }

    #[test]
    fn a_station_shows_the_card_in_its_printer_not_the_one_claimed_ahead() {
        // The card claimed ahead may come first (ids of two desks interleave; recovery
        // orders may differ): the touched one is shown whatever the order.
        let held = [
            attempt(8, "s1", "TMP-AHEAD", false),
            attempt(7, "s1", "TMP-IN-PRINTER", true),
            attempt(9, "s2", "TMP-CLAIMED", false),
        ];
        assert_eq!(
            station_card(&held, "s1", 3).as_deref(),
            Some("TMP-IN-PRINTER")
        );
        assert_eq!(
            station_card(&held, "s2", 3).as_deref(),
            Some("TMP-CLAIMED"),
            "a card claimed and not fed yet is the station's card"
        );
        assert_eq!(
            station_card(&held, "s1", 4),
            None,
            "another run's attempts are not"
        );
    }
}
