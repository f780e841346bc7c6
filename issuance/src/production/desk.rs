//! Desk daemons: a desk's stations producing every order released to the desks, for as long
//! as the process lives.
//!
//! A desk is a run ([`RunGuard::start_with`](super::RunGuard::start_with) with
//! [`RunStart::desk`](crate::store::ownership::RunStart::desk)) holding its stations. Each
//! station thread loops: respect a recorded pause, wait until the printer is ready, take the
//! next waiting card of the oldest released order
//! ([`ProductionJournal::begin_released_attempt`]), produce it with *that order's* kit (its
//! option profile decides encoding, PIN length, certificates, face), and when no card waits,
//! sleep until work may have arrived ([`ProductionJournal::wait_for_work`]). Unlike a one-shot
//! `order produce`, a desk never gives a station up: a printer that breaks is re-opened after
//! a while, a database that goes away is waited for (the card in hand is then found and
//! settled by [`recover_own`]), and only [`Desk::stop`] ends it — cards in hand are finished
//! first. One housekeeping thread puts the untouched cards of desks that stopped renewing
//! their lease back in the queue ([`ProductionJournal::requeue_untouched`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cardline_device::CertificateIssuer;
use serde::Serialize;

use super::breaker::Breaker;
use super::card_run::{CardOutcome, CardRun};
use super::pause::{Readiness, Resumed, pause_for_operator, wait_for_resume, wait_until_ready};
use super::recovery::recover_own;
use super::run::Production;
use super::{
    FaceRenderer, PauseUntil, ProductionEvent, ProductionSettings, SecretSealer, Station,
    StationReopener, StationSummary,
};
use crate::model::{AttemptId, Card, OrderId, RunId};
use crate::store::{Actor, ProductionJournal, StoreError};

/// How long a station leaves aside an order it cannot produce (a print-only station and an
/// order that encodes, a profile that does not load) before looking at it again.
const SKIP_FOR: Duration = Duration::from_secs(60);
/// How often the housekeeping thread requeues untouched cards of lapsed desks.
const HOUSEKEEPING: Duration = Duration::from_secs(5);

/// What producing the cards of one order needs besides the station: its settings, CA,
/// sealer and face — all from the order's option profile.
pub trait OrderKit: Send + Sync {
    /// How to produce (encoding, PIN/PUK lengths, retries).
    fn settings(&self) -> &ProductionSettings;
    /// The certificate authority.
    fn issuer(&self) -> Box<dyn CertificateIssuer + '_>;
    /// Seals each card's initial PIN and PUK.
    fn sealer(&self) -> &dyn SecretSealer;
    /// Renders each card's face.
    fn face(&self) -> &dyn FaceRenderer;
}

/// Gives the kit of an order (loaded from its option profile, cached by the provider).
/// Provided by the composition root.
pub trait KitSource: Sync {
    /// The kit of the order `order`.
    fn kit_for(&self, order: OrderId) -> Result<Arc<dyn OrderKit>, String>;
    /// The kit of the default profile (for the waits between cards).
    fn default_kit(&self) -> Result<Arc<dyn OrderKit>, String>;
}

/// A desk daemon's run.
pub struct Desk<'a> {
    /// The production journal.
    pub journal: &'a dyn ProductionJournal,
    /// The desk's run; it must hold every station.
    pub run: RunId,
    /// Who produces (recorded on every audit entry).
    pub actor: Actor,
    /// The kits of the orders.
    pub kits: &'a dyn KitSource,
    /// Set it to stop: cards in hand are finished, then every station stops.
    pub stop: &'a AtomicBool,
    /// Receives progress events (called from the station threads).
    pub events: &'a (dyn Fn(&ProductionEvent) + Sync),
    /// Re-opens a station (after a resume, or after it broke).
    pub reopen: Option<&'a dyn StationReopener>,
    /// How long an idle station waits for work before looking again (the store may wake
    /// it sooner).
    pub idle_poll: Duration,
    /// How long to wait before trying again after the database or a station failed.
    pub retry: Duration,
}

/// What a desk did, per station, when it stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeskSummary {
    /// Cards produced.
    pub produced: u32,
    /// Cards failed.
    pub failed: u32,
    /// Untouched cards of lapsed desks put back in the queue by this desk.
    pub requeued: u32,
    /// Per station.
    pub stations: Vec<StationSummary>,
}

impl Desk<'_> {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn emit(&self, event: ProductionEvent) {
        (self.events)(&event);
    }

    /// Sleeps `d` unless stopped meanwhile; true when stopped.
    fn sleep(&self, d: Duration) -> bool {
        let until = Instant::now() + d;
        while Instant::now() < until {
            if self.stopped() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
        }
        self.stopped()
    }

    fn production<'k>(
        &'k self,
        kit: &'k dyn OrderKit,
        issuer: &'k dyn CertificateIssuer,
    ) -> Production<'k> {
        Production {
            journal: self.journal,
            run: self.run,
            settings: kit.settings(),
            issuer,
            sealer: kit.sealer(),
            face: kit.face(),
            cancel: self.stop,
            events: self.events,
            reopen: self.reopen,
        }
    }
}

/// Runs the desk's stations until [`Desk::stop`] is set; returns what they did.
pub fn run_desk(d: &Desk<'_>, stations: &mut [Station]) -> DeskSummary {
    let requeued = std::sync::atomic::AtomicU32::new(0);
    // Each station, the printer watch and the housekeeping may write at once.
    let writers = stations.len() + 2;
    d.journal.prepare_writers(writers);
    let summaries = std::thread::scope(|scope| {
        let requeued = &requeued;
        scope.spawn(move || housekeeping(d, requeued, writers));
        let handles: Vec<_> = stations
            .iter_mut()
            .map(|station| scope.spawn(move || desk_station(d, station)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a desk station thread panicked"))
            .collect::<Vec<_>>()
    });
    let mut summary = DeskSummary {
        requeued: requeued.load(Ordering::SeqCst),
        ..Default::default()
    };
    for s in summaries {
        summary.produced += s.produced;
        summary.failed += s.failed;
        summary.stations.push(s);
    }
    summary
}

fn housekeeping(d: &Desk<'_>, requeued: &std::sync::atomic::AtomicU32, writers: usize) {
    loop {
        match d.journal.requeue_untouched(&d.actor) {
            Ok(found) => {
                for a in &found {
                    tracing::info!(attempt = a.id, card = %a.card_number, run = ?a.run_id, "requeued the untouched card of a lapsed desk");
                }
                requeued.fetch_add(found.len() as u32, Ordering::SeqCst);
            }
            Err(e) => tracing::warn!("requeueing untouched cards of lapsed desks: {e}"),
        }
        if d.sleep(HOUSEKEEPING) {
            return;
        }
        // Connections the pool closed after a quiet spell are opened again before a release
        // (`run_desk` opened them before the first pass).
        d.journal.prepare_writers(writers);
    }
}

/// One station of a desk, until the desk stops.
fn desk_station(d: &Desk<'_>, station: &mut Station) -> StationSummary {
    let mut summary = StationSummary {
        name: station.name.clone(),
        ..Default::default()
    };
    d.emit(ProductionEvent::StationStarted {
        station: station.name.clone(),
        printer: station.printer.describe(),
    });
    let mut st = StationState::default();
    while !d.stopped() {
        if let Err(e) = station_turn(d, station, &mut st, &mut summary) {
            wait_for_store(d, station, &e);
            // Settle whatever this run left in flight on this station, not only the card the
            // thread knew it held: a claim whose COMMIT reached the server but whose reply was
            // lost with the connection is an attempt of ours that no one else may void (our
            // run is live) and that this thread never learnt about.
            settle_in_hand(d, station, st.in_hand.take());
        }
    }
    summary
}

/// What one desk station remembers between turns.
#[derive(Default)]
struct StationState {
    breaker: Breaker,
    announced_pause: Option<String>,
    /// Orders this station cannot produce now, and since when.
    skip: Vec<(OrderId, Instant)>,
    /// The attempt of the card in hand when a store error interrupted it.
    in_hand: Option<AttemptId>,
}

/// One turn: the pause, the printer, one card (or an idle wait). A store error returns.
fn station_turn(
    d: &Desk<'_>,
    station: &mut Station,
    st: &mut StationState,
    summary: &mut StationSummary,
) -> Result<(), StoreError> {
    let base = match d.kits.default_kit() {
        Ok(k) => k,
        Err(why) => {
            d.emit(ProductionEvent::StationStopped {
                station: station.name.clone(),
                reason: format!("the default option profile does not load: {why}"),
            });
            d.sleep(d.retry);
            return Ok(());
        }
    };
    let base_issuer = base.issuer();
    let p = d.production(&*base, &*base_issuer);
    if let Some(pause) = d.journal.station_pause(&station.name)? {
        if st.announced_pause.as_deref() != Some(pause.reason.as_str()) {
            d.emit(ProductionEvent::StationPaused {
                station: station.name.clone(),
                reason: pause.reason.clone(),
                until: PauseUntil::OperatorResumes,
            });
        }
        match wait_for_resume(&p, station, || false) {
            Resumed::Yes(waited) => {
                summary.paused_ms += waited.as_millis() as u64;
                st.announced_pause = None;
                st.breaker.reset();
            }
            Resumed::GaveUp(waited) => {
                summary.paused_ms += waited.as_millis() as u64;
                summary.paused = Some(pause.reason);
            }
        }
        return Ok(());
    }
    match wait_until_ready(&p, station, || false, None) {
        Readiness::Ready(paused) => summary.paused_ms += paused.as_millis() as u64,
        Readiness::GaveUp(paused) => {
            summary.paused_ms += paused.as_millis() as u64;
            return Ok(());
        }
        Readiness::Broken(reason) => {
            broken(d, station, &reason, summary);
            return Ok(());
        }
    }
    st.skip.retain(|(_, since)| since.elapsed() < SKIP_FOR);
    let skip: Vec<OrderId> = st.skip.iter().map(|(o, _)| *o).collect();
    let Some((card, attempt)) =
        d.journal
            .begin_released_attempt(d.run, &station.name, &skip, &d.actor)?
    else {
        d.journal.wait_for_work(d.idle_poll);
        return Ok(());
    };
    let Some(order) = card.order_id else {
        d.journal
            .attempt_voided(attempt, "the card is in no order", &d.actor)?;
        return Ok(());
    };
    let kit = match d.kits.kit_for(order) {
        Ok(kit) => kit,
        Err(why) => {
            put_back_untouched(
                d,
                station,
                st,
                &card,
                attempt,
                order,
                &format!("its option profile does not load: {why}"),
            )?;
            return Ok(());
        }
    };
    if kit.settings().encoding.is_some() && station.encoder.is_none() {
        put_back_untouched(
            d,
            station,
            st,
            &card,
            attempt,
            order,
            "it encodes cards and this station has no encoder",
        )?;
        return Ok(());
    }
    let issuer = kit.issuer();
    let p = d.production(&*kit, &*issuer);
    st.in_hand = Some(attempt);
    let mut run = CardRun::new(&p, station, &card, attempt);
    let outcome = run.produce();
    summary.paused_ms += run.paused.as_millis() as u64;
    let outcome = outcome?;
    st.in_hand = None;
    match outcome {
        CardOutcome::Produced => {
            summary.produced += 1;
            st.breaker.reset();
        }
        CardOutcome::Failed { step, reason } => {
            summary.failed += 1;
            st.breaker.card_fault(step, &reason);
            if st.breaker.in_a_row >= station.breaker_after {
                pause_for_operator(&p, station, &st.breaker.message());
                st.announced_pause = d.journal.station_pause(&station.name)?.map(|p| p.reason);
            }
        }
        CardOutcome::PutBack => {}
        CardOutcome::Paused(reason) => {
            pause_for_operator(&p, station, &reason);
            st.announced_pause = d.journal.station_pause(&station.name)?.map(|p| p.reason);
        }
        CardOutcome::StationStopped(reason) => broken(d, station, &reason, summary),
        CardOutcome::LeftInFlight(reason) => {
            // Stopped while the printer was silent with the card inside: the next start of
            // this desk settles it (the run is ended by then).
            summary.stopped = Some(reason);
        }
    }
    Ok(())
}

/// Voids an attempt that never touched its card and leaves its order aside for a while.
fn put_back_untouched(
    d: &Desk<'_>,
    station: &Station,
    st: &mut StationState,
    card: &Card,
    attempt: AttemptId,
    order: OrderId,
    why: &str,
) -> Result<(), StoreError> {
    let reason = format!(
        "station {} leaves order {order} aside: {why}; card {} waits for another station",
        station.name, card.number
    );
    d.journal.attempt_voided(attempt, &reason, &d.actor)?;
    tracing::warn!("{reason}");
    d.emit(ProductionEvent::CardPutBack {
        station: station.name.clone(),
        card: card.number.clone(),
        reason,
    });
    st.skip.push((order, Instant::now()));
    Ok(())
}

/// A station that cannot go on: say so, wait, open it again.
fn broken(d: &Desk<'_>, station: &mut Station, reason: &str, summary: &mut StationSummary) {
    d.emit(ProductionEvent::StationStopped {
        station: station.name.clone(),
        reason: format!(
            "{reason} (the desk opens it again in {} s)",
            d.retry.as_secs()
        ),
    });
    summary.stopped = Some(reason.to_string());
    if d.sleep(d.retry) {
        return;
    }
    if let Some(reopener) = d.reopen {
        let name = station.name.clone();
        station.close_devices();
        match reopener.reopen(&name) {
            Ok(fresh) => {
                *station = fresh;
                summary.stopped = None;
                d.emit(ProductionEvent::StationResumed {
                    station: station.name.clone(),
                });
            }
            Err(why) => tracing::warn!(station = %name, "re-opening the station: {why}"),
        }
    }
}

/// Waits until the database answers again.
fn wait_for_store(d: &Desk<'_>, station: &Station, error: &StoreError) {
    d.emit(ProductionEvent::StationPaused {
        station: station.name.clone(),
        reason: format!("the database: {error}"),
        until: PauseUntil::StoreAvailable,
    });
    let mut wait = d.retry;
    loop {
        if d.sleep(wait) {
            return;
        }
        match d.journal.run(d.run) {
            Ok(_) => break,
            Err(e) => {
                tracing::info!(station = %station.name, "still waiting for the database: {e}")
            }
        }
        wait = (wait * 2).min(Duration::from_secs(30));
    }
    d.emit(ProductionEvent::StationResumed {
        station: station.name.clone(),
    });
}

/// The database came back after failing in the middle of a card (`attempt`, when the
/// station knew it), or of a claim: find every attempt this run has in flight on the
/// station and settle it (rejected, or completed when the journal proves it was ejected).
fn settle_in_hand(d: &Desk<'_>, station: &mut Station, attempt: Option<AttemptId>) {
    loop {
        match recover_own(d.journal, d.run, station, &d.actor) {
            Ok(report) => {
                for o in &report.outcomes {
                    tracing::info!(attempt, ?o, "settled the card in hand");
                }
                if report.unsettled() == 0 {
                    return;
                }
            }
            Err(e) => tracing::warn!(attempt, "settling the card in hand: {e}"),
        }
        if d.sleep(d.retry) {
            return;
        }
    }
}
