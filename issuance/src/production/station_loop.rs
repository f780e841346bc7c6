//! One station's loop: wait until it may work, take a card, produce it, count faults in a row
//! (the breaker), until no card waits.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::breaker::Breaker;
use super::card_run::{CardOutcome, CardRun};
use super::pause::{Readiness, Resumed, pause_for_operator, wait_for_resume, wait_until_ready};
use super::run::{LineState, Production};
use super::{PauseUntil, ProductionEvent, Station, StationSummary};
use crate::model::OrderId;
use crate::store::StoreError;

/// How long an idle station waits at most before it looks again while cards are in hand on
/// other stations (it is woken at once when one of them lets go of its card).
const REQUEUE_POLL: Duration = Duration::from_millis(20);

/// Runs one station until the order is drained, production is cancelled, or the station
/// stops. A store failure ends this station only, recorded in its summary.
pub(super) fn run_station(
    p: &Production<'_>,
    order_id: OrderId,
    station: &mut Station,
    line: &LineState,
) -> StationSummary {
    let mut summary = StationSummary {
        name: station.name.clone(),
        ..Default::default()
    };
    p.emit(ProductionEvent::StationStarted {
        station: station.name.clone(),
        printer: station.printer.describe(),
    });
    if let Err(e) = station_work(p, order_id, station, line, &mut summary) {
        let reason = format!("store: {e} (an attempt in flight is settled by `cardline recover`)");
        p.emit(ProductionEvent::StationStopped {
            station: station.name.clone(),
            reason: reason.clone(),
        });
        summary.error = Some(reason);
    }
    summary
}

fn station_work(
    p: &Production<'_>,
    order_id: OrderId,
    station: &mut Station,
    line: &LineState,
    summary: &mut StationSummary,
) -> Result<(), StoreError> {
    let mut breaker = Breaker::default();
    let mut announced_pause: Option<String> = None;
    loop {
        if p.cancelled() || line.is_drained() {
            break;
        }
        // A pause an operator must lift: this run's breaker or setup fault, or one recorded
        // before the run started.
        if let Some(pause) = p.journal.station_pause(&station.name)? {
            if announced_pause.as_deref() != Some(pause.reason.as_str()) {
                p.emit(ProductionEvent::StationPaused {
                    station: station.name.clone(),
                    reason: pause.reason.clone(),
                    until: PauseUntil::OperatorResumes,
                });
            }
            match wait_for_resume(p, station, || line.is_drained()) {
                Resumed::Yes(waited) => {
                    summary.paused_ms += waited.as_millis() as u64;
                    announced_pause = None;
                    breaker.reset();
                    continue;
                }
                Resumed::GaveUp(waited) => {
                    summary.paused_ms += waited.as_millis() as u64;
                    summary.paused = Some(pause.reason);
                    break;
                }
            }
        }
        match wait_until_ready(p, station, || line.is_drained(), None) {
            Readiness::Ready(paused) => summary.paused_ms += paused.as_millis() as u64,
            Readiness::GaveUp(paused) => {
                summary.paused_ms += paused.as_millis() as u64;
                break;
            }
            Readiness::Broken(reason) => {
                p.emit(ProductionEvent::StationStopped {
                    station: station.name.clone(),
                    reason: reason.clone(),
                });
                summary.stopped = Some(reason);
                break;
            }
        }
        // Count the claim before asking the store, so no other station can see "no card in
        // hand" between our claim and the count and leave a card we put back undone.
        let seen = line.let_go_count();
        line.in_hand.fetch_add(1, Ordering::SeqCst);
        let claimed = p
            .journal
            .begin_attempt(p.run, order_id, &station.name, &p.settings.actor);
        let claimed = match claimed {
            Ok(c) => c,
            Err(StoreError::OrderState { .. } | StoreError::OrderNotFound(_)) => {
                line.order_closed.store(true, Ordering::SeqCst);
                line.put_down();
                break;
            }
            Err(e) => {
                line.put_down();
                return Err(e);
            }
        };
        let Some((card, attempt)) = claimed else {
            // No card waits now; but a card in hand elsewhere may still be put back (its
            // station stopped), so the order is drained only when no station holds one.
            if line.in_hand.fetch_sub(1, Ordering::SeqCst) == 1 {
                line.drained.store(true, Ordering::SeqCst);
                line.card_let_go();
                break;
            }
            line.wait_past(seen, REQUEUE_POLL);
            continue;
        };
        let mut run = CardRun::new(p, station, &card, attempt);
        let outcome = run.produce();
        let paused = run.paused;
        if matches!(
            outcome,
            Ok(CardOutcome::Produced | CardOutcome::Failed { .. })
        ) {
            line.put_down_finished();
        } else {
            line.put_down();
        }
        summary.paused_ms += paused.as_millis() as u64;
        match outcome? {
            CardOutcome::Produced => {
                summary.produced += 1;
                breaker.reset();
            }
            CardOutcome::Failed { step, reason } => {
                summary.failed += 1;
                breaker.card_fault(step, &reason);
                if breaker.in_a_row >= station.breaker_after {
                    let message = breaker.message();
                    pause_for_operator(p, station, &message);
                    announced_pause = p
                        .journal
                        .station_pause(&station.name)?
                        .map(|pause| pause.reason);
                }
            }
            CardOutcome::PutBack => {}
            CardOutcome::Paused(reason) => {
                pause_for_operator(p, station, &reason);
                announced_pause = p
                    .journal
                    .station_pause(&station.name)?
                    .map(|pause| pause.reason);
            }
            CardOutcome::StationStopped(reason) => {
                summary.stopped = Some(reason);
                break;
            }
            CardOutcome::LeftInFlight(reason) => {
                summary.stopped = Some(reason);
                break;
            }
        }
    }
    Ok(())
}
