//! Dispatching an order's cards to every station, one thread per station.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cardline_device::{CertificateIssuer, PrinterStatus};

use super::card_run::{CardOutcome, CardRun};
use super::policy::{Disposition, StepError};
use super::{
    FaceRenderer, ProductionError, ProductionEvent, ProductionSettings, ProductionSummary,
    SecretSealer, Station, StationSummary,
};
use crate::model::{CardState, OrderId, OrderState};
use crate::store::{Store, StoreError};

/// Everything a production run uses besides the stations.
pub struct Production<'a> {
    /// The store (journal, cards, secrets).
    pub store: &'a dyn Store,
    /// How to produce.
    pub settings: &'a ProductionSettings,
    /// The certificate authority, for encoded cards.
    pub issuer: &'a dyn CertificateIssuer,
    /// Seals each card's initial PIN and PUK.
    pub sealer: &'a dyn SecretSealer,
    /// Renders each card's face.
    pub face: &'a dyn FaceRenderer,
    /// Set it to stop feeding: cards in hand are finished, the others stay waiting.
    pub cancel: &'a AtomicBool,
    /// Receives progress events (called from the station threads).
    pub events: &'a (dyn Fn(&ProductionEvent) + Sync),
}

impl Production<'_> {
    pub(super) fn emit(&self, event: ProductionEvent) {
        (self.events)(&event);
    }

    pub(super) fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

/// Produces the waiting cards of an open order on all `stations` in parallel and returns when
/// every card is produced or failed, production was cancelled, or no station can go on.
///
/// Run [`recover`](super::recover) first so no attempt of these stations is left in flight.
pub fn produce_order(
    p: &Production<'_>,
    order_id: OrderId,
    stations: &mut [Station],
) -> Result<ProductionSummary, ProductionError> {
    check_stations(p, stations)?;
    let order = p.store.order(order_id)?;
    if order.state != OrderState::Open {
        return Err(ProductionError::OrderClosed {
            id: order_id,
            state: order.state.as_str().to_string(),
        });
    }
    let started = Instant::now();
    let line = LineState::default();
    let results: Vec<Result<StationSummary, StoreError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = stations
            .iter_mut()
            .map(|station| {
                let line = &line;
                scope.spawn(move || run_station(p, order_id, station, line))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a station thread panicked"))
            .collect()
    });
    let mut summary = ProductionSummary {
        order_id,
        cancelled: p.cancelled(),
        ..Default::default()
    };
    for r in results {
        let s = r?;
        summary.produced += s.produced;
        summary.failed += s.failed;
        summary.stations.push(s);
    }
    summary.remaining = p
        .store
        .count_by_state(Some(order_id))?
        .into_iter()
        .find(|(s, _)| *s == CardState::InProduction)
        .map_or(0, |(_, n)| n as u32);
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    p.emit(ProductionEvent::Finished {
        summary: summary.clone(),
    });
    Ok(summary)
}

fn check_stations(p: &Production<'_>, stations: &[Station]) -> Result<(), ProductionError> {
    if stations.is_empty() {
        return Err(ProductionError::NoStation);
    }
    let mut names = std::collections::HashSet::new();
    for s in stations {
        if !names.insert(s.name.as_str()) {
            return Err(ProductionError::DuplicateStation(s.name.clone()));
        }
        if p.settings.encoding.is_some() && s.encoder.is_none() {
            return Err(ProductionError::StationCannotEncode {
                station: s.name.clone(),
            });
        }
    }
    Ok(())
}

/// How often an idle station looks again while cards are in hand on other stations.
const REQUEUE_POLL: Duration = Duration::from_millis(20);

/// What the stations of one run share.
#[derive(Default)]
struct LineState {
    /// Set when no card waits and none is in hand: paused stations stop waiting.
    drained: AtomicBool,
    /// Cards being produced right now, on any station of this run.
    in_hand: std::sync::atomic::AtomicUsize,
}

/// One station's loop: take a card, produce it, until no card waits.
fn run_station(
    p: &Production<'_>,
    order_id: OrderId,
    station: &mut Station,
    line: &LineState,
) -> Result<StationSummary, StoreError> {
    let drained = &line.drained;
    let mut summary = StationSummary {
        name: station.name.clone(),
        ..Default::default()
    };
    p.emit(ProductionEvent::StationStarted {
        station: station.name.clone(),
        printer: station.printer.describe(),
    });
    loop {
        if p.cancelled() || drained.load(Ordering::SeqCst) {
            break;
        }
        match wait_until_ready(p, station, || drained.load(Ordering::SeqCst), None) {
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
        line.in_hand.fetch_add(1, Ordering::SeqCst);
        let claimed = p
            .store
            .begin_attempt(order_id, &station.name, &p.settings.actor);
        let claimed = claimed.inspect_err(|_| {
            line.in_hand.fetch_sub(1, Ordering::SeqCst);
        })?;
        let Some((card, attempt)) = claimed else {
            // No card waits now; but a card in hand elsewhere may still be put back (its
            // station stopped), so the order is drained only when no station holds one.
            if line.in_hand.fetch_sub(1, Ordering::SeqCst) == 1 {
                drained.store(true, Ordering::SeqCst);
                break;
            }
            std::thread::sleep(REQUEUE_POLL);
            continue;
        };
        let mut run = CardRun::new(p, station, &card, attempt);
        let outcome = run.produce();
        line.in_hand.fetch_sub(1, Ordering::SeqCst);
        let outcome = outcome?;
        summary.paused_ms += run.paused.as_millis() as u64;
        match outcome {
            CardOutcome::Produced => summary.produced += 1,
            CardOutcome::Failed => summary.failed += 1,
            CardOutcome::PutBack => {}
            CardOutcome::StationStopped(reason) => {
                summary.stopped = Some(reason);
                break;
            }
        }
    }
    Ok(summary)
}

/// Whether a station may take a card.
pub(super) enum Readiness {
    /// Ready, after having been paused this long.
    Ready(Duration),
    /// Stopped waiting (cancelled, or nothing left to do), after this long.
    GaveUp(Duration),
    /// The printer cannot be used: the reason.
    Broken(String),
}

/// Polls the printer until it is ready, pausing the station (with events) meanwhile.
/// `give_up` is checked on every poll, besides cancellation; `already_paused_for` is the
/// reason of a pause the caller already announced.
pub(super) fn wait_until_ready(
    p: &Production<'_>,
    station: &mut Station,
    give_up: impl Fn() -> bool,
    already_paused_for: Option<String>,
) -> Readiness {
    let since = Instant::now();
    let mut paused_for: Option<String> = already_paused_for;
    let mut transient_failures = 0;
    loop {
        let problem = match station.printer.status() {
            Ok(status) if status.is_ready() => None,
            Ok(status) => Some(operator_message(&status)),
            Err(e) => {
                let e = StepError::from(e);
                match e.disposition() {
                    Disposition::PauseStation => Some(e.to_string()),
                    Disposition::Retry if transient_failures < p.settings.step_retries => {
                        transient_failures += 1;
                        std::thread::sleep(p.settings.retry_delay);
                        continue;
                    }
                    _ => return Readiness::Broken(format!("status: {e}")),
                }
            }
        };
        match problem {
            None => {
                if paused_for.is_some() {
                    p.emit(ProductionEvent::StationResumed {
                        station: station.name.clone(),
                    });
                    return Readiness::Ready(since.elapsed());
                }
                return Readiness::Ready(Duration::ZERO);
            }
            Some(reason) => {
                if paused_for.as_deref() != Some(reason.as_str()) {
                    p.emit(ProductionEvent::StationPaused {
                        station: station.name.clone(),
                        reason: reason.clone(),
                    });
                    paused_for = Some(reason);
                }
                if p.cancelled() || give_up() {
                    return Readiness::GaveUp(since.elapsed());
                }
                std::thread::sleep(p.settings.operator_poll);
            }
        }
    }
}

/// What the operator must do, from a status that is not ready.
fn operator_message(status: &PrinterStatus) -> String {
    use cardline_device::PrinterError as E;
    let mut parts = Vec::new();
    if status.cover_open {
        parts.push(E::CoverOpen.to_string());
    }
    if status.feeder_empty {
        parts.push(E::FeederEmpty.to_string());
    }
    if status.reject_box_full {
        parts.push(E::RejectBoxFull.to_string());
    }
    parts.extend(status.faults.iter().cloned());
    parts.join("; ")
}
