//! Dispatching an order's cards to every station, one thread per station.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use cardline_device::CertificateIssuer;

use super::station_loop::run_station;
use super::{
    FaceRenderer, ProductionError, ProductionEvent, ProductionSettings, ProductionSummary,
    SecretSealer, Station, StationReopener,
};
use crate::model::{OrderId, OrderState, RunId};
use crate::store::ProductionJournal;

/// Everything a production run uses besides the stations.
pub struct Production<'a> {
    /// The production journal (attempts, runs, station pauses).
    pub journal: &'a dyn ProductionJournal,
    /// The run this process registered ([`RunGuard`](super::RunGuard)); it must hold a claim
    /// on every station it produces on.
    pub run: RunId,
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
    /// Re-opens a station after an operator resumed it; `None` keeps the station as opened.
    pub reopen: Option<&'a dyn StationReopener>,
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
/// every card is produced or failed, production was cancelled, or no station can go on. A
/// station whose store writes fail stops and says so in its summary; the others go on.
///
/// The run must hold every station ([`RunGuard::claim_all`](super::RunGuard::claim_all)) and
/// should [`recover`](super::recover) them first.
pub fn produce_order(
    p: &Production<'_>,
    order_id: OrderId,
    stations: &mut [Station],
) -> Result<ProductionSummary, ProductionError> {
    check_stations(p, stations)?;
    let state = p.journal.order_state(order_id)?;
    if state != OrderState::Open {
        return Err(ProductionError::OrderClosed {
            id: order_id,
            state: state.as_str().to_string(),
        });
    }
    let started = Instant::now();
    let line = LineState::default();
    let summaries = std::thread::scope(|scope| {
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
            .collect::<Vec<_>>()
    });
    let mut summary = ProductionSummary {
        order_id,
        cancelled: p.cancelled(),
        order_closed: line.order_closed.load(Ordering::SeqCst),
        ..Default::default()
    };
    for s in summaries {
        summary.produced += s.produced;
        summary.failed += s.failed;
        summary.stations.push(s);
    }
    summary.remaining = p.journal.waiting_cards(order_id)? as u32;
    summary.in_other_runs = p
        .journal
        .in_flight_attempts()?
        .iter()
        .filter(|a| a.order_id == order_id && a.run_id != Some(p.run))
        .count() as u32;
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    p.emit(ProductionEvent::Finished {
        summary: summary.clone(),
    });
    Ok(summary)
}

/// How producing one named card ended ([`produce_card`]).
#[derive(Debug)]
pub enum CardResult {
    /// Produced: the card is `unassigned`; the encoder's receipt when it was encoded.
    Produced {
        /// The card as it is now.
        card: crate::model::Card,
        /// What the encoder wrote and verified.
        receipt: Option<cardline_device::EncodingReceipt>,
        /// Time spent on the card.
        millis: u64,
    },
    /// A card fault: the card is `failed` (repeat it with `order repeat`).
    Failed {
        /// The card as it is now.
        card: crate::model::Card,
        /// Why.
        reason: String,
    },
    /// The station was at fault (setup, a lost printer, cancelled): the card was not
    /// touched for good and waits again.
    NotDone {
        /// Why, and what to check.
        reason: String,
    },
}

/// Produces the card numbered `card_number` of an open order on `station` — an encode-only
/// station personalising the card the operator put in its reader, say — with the same steps,
/// journal and failure policy as [`produce_order`]. The run must hold the station.
pub fn produce_card(
    p: &Production<'_>,
    order_id: OrderId,
    card_number: &str,
    station: &mut Station,
) -> Result<CardResult, ProductionError> {
    check_stations(p, std::slice::from_mut(station))?;
    let state = p.journal.order_state(order_id)?;
    if state != OrderState::Open {
        return Err(ProductionError::OrderClosed {
            id: order_id,
            state: state.as_str().to_string(),
        });
    }
    let started = Instant::now();
    let claimed = p.journal.begin_attempt_for(
        p.run,
        order_id,
        card_number,
        &station.name,
        &p.settings.actor,
    )?;
    let Some((card, attempt)) = claimed else {
        return Err(ProductionError::CardNotWaiting {
            card: card_number.to_string(),
            order: order_id,
        });
    };
    let mut run = super::card_run::CardRun::new(p, station, &card, attempt);
    let outcome = run.produce()?;
    let millis = started.elapsed().as_millis() as u64;
    let receipt = run.receipt.take();
    use super::card_run::CardOutcome as O;
    Ok(match outcome {
        O::Produced => CardResult::Produced {
            card: p.journal.card_of_attempt(attempt)?,
            receipt,
            millis,
        },
        O::Failed { reason, .. } => CardResult::Failed {
            card: p.journal.card_of_attempt(attempt)?,
            reason,
        },
        O::PutBack => CardResult::NotDone {
            reason: "cancelled; the card waits again".into(),
        },
        O::Paused(reason) | O::StationStopped(reason) | O::LeftInFlight(reason) => {
            CardResult::NotDone { reason }
        }
    })
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

/// What the stations of one run share.
#[derive(Default)]
pub(super) struct LineState {
    /// Set when no card waits and none is in hand: paused stations stop waiting.
    pub(super) drained: AtomicBool,
    /// Cards being produced right now, on any station of this run.
    pub(super) in_hand: AtomicUsize,
    /// Set when the order was closed by someone else during the run.
    pub(super) order_closed: AtomicBool,
    /// Counts the wake-ups of the stations waiting for a card: a card put back (it may be
    /// taken again) or the last card in hand put down (the order may be drained).
    let_go: Mutex<u64>,
    let_go_changed: Condvar,
}

impl LineState {
    pub(super) fn is_drained(&self) -> bool {
        self.drained.load(Ordering::SeqCst) || self.order_closed.load(Ordering::SeqCst)
    }

    /// How many wake-ups so far.
    pub(super) fn let_go_count(&self) -> u64 {
        *self.let_go.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A station puts its card down (put back, left in flight, or never taken): one card
    /// fewer in hand, and the stations waiting for one wake: it may be waiting again.
    pub(super) fn put_down(&self) {
        self.in_hand.fetch_sub(1, Ordering::SeqCst);
        self.card_let_go();
    }

    /// A station puts down a card that cannot come back (produced, or failed): one card fewer
    /// in hand, and the waiting stations wake only if it was the last one in hand (they then
    /// find the order drained). Waking every idle station for each card produced near the
    /// end of a run sent each of them into a write transaction that found nothing: 64
    /// stations made 900 such claims in the last seconds of bench-busy.
    pub(super) fn put_down_finished(&self) {
        if self.in_hand.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.card_let_go();
        }
    }

    /// A station let go of its card: wakes the stations waiting for one. (The last station
    /// to find no card sets `drained` between its count and this, so the woken see it.)
    pub(super) fn card_let_go(&self) {
        *self.let_go.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.let_go_changed.notify_all();
    }

    /// Waits until a card was let go of after `seen` (or `timeout`).
    pub(super) fn wait_past(&self, seen: u64, timeout: Duration) {
        let count = self.let_go.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self
            .let_go_changed
            .wait_timeout_while(count, timeout, |c| *c == seen);
    }
}

#[cfg(test)]
mod line_tests {
    use super::*;

    #[test]
    fn a_finished_card_wakes_the_waiting_stations_only_when_it_was_the_last_in_hand() {
        let line = LineState::default();
        line.in_hand.store(3, Ordering::SeqCst);
        let seen = line.let_go_count();
        line.put_down_finished();
        assert_eq!(line.let_go_count(), seen, "two still in hand: nobody wakes");
        line.put_down();
        assert_eq!(line.let_go_count(), seen + 1, "a card put back wakes them");
        line.put_down_finished();
        assert_eq!(line.let_go_count(), seen + 2, "the last one wakes them");
        assert_eq!(line.in_hand.load(Ordering::SeqCst), 0);
        // A waiting station returns as soon as the count moves past what it saw.
        let started = std::time::Instant::now();
        line.wait_past(seen, Duration::from_secs(5));
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
