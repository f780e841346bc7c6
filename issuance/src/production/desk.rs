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

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cardline_device::{CardImage, CertificateIssuer, PanelGeometry};
use serde::Serialize;

use super::breaker::Breaker;
use super::card_run::{CardOutcome, CardRun};
use super::claim_group::ClaimGroup;
use super::pause::{Readiness, Resumed, pause_for_operator, wait_for_resume, wait_until_ready};
use super::recovery::recover_own;
use super::run::Production;
use super::{
    FaceError, FaceRenderer, PauseUntil, ProductionEvent, ProductionSettings, SecretSealer,
    Station, StationReopener, StationSummary,
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
    let crew = Crew::default();
    // Each station, the printer watch and the housekeeping may write at once.
    let writers = stations.len() + 2;
    d.journal.prepare_writers(writers);
    let summaries = std::thread::scope(|scope| {
        let (requeued, crew) = (&requeued, &crew);
        scope.spawn(move || housekeeping(d, requeued, writers));
        let handles: Vec<_> = stations
            .iter_mut()
            .map(|station| scope.spawn(move || desk_station(d, station, crew)))
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

/// What a desk's stations share.
#[derive(Default)]
struct Crew {
    /// Stations waiting for work.
    idle: AtomicUsize,
    /// The claims of stations that want a card at the same moment.
    claims: ClaimGroup,
}

/// One station of a desk, until the desk stops.
fn desk_station(d: &Desk<'_>, station: &mut Station, crew: &Crew) -> StationSummary {
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
        if let Err(e) = station_turn(d, station, &mut st, &mut summary, crew) {
            wait_for_store(d, station, &e);
            // Settled below with the rest of what this run has in flight on the station.
            st.ahead = None;
            // Settle whatever this run left in flight on this station, not only the card the
            // thread knew it held: a claim whose COMMIT reached the server but whose reply was
            // lost with the connection is an attempt of ours that no one else may void (our
            // run is live) and that this thread never learnt about.
            settle_in_hand(d, station, st.in_hand.take());
        }
    }
    if let Err(e) = give_back_ahead(d, station, &mut st, "the desk stops") {
        // Still in flight with no step: the next start of this desk (or another desk's
        // housekeeping once this run has ended) puts it back.
        tracing::warn!(station = %station.name, "giving back the card claimed ahead: {e}");
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
    /// The next card, claimed while the previous one was ejecting.
    ahead: Option<Ahead>,
    /// The station woke from waiting for work and announced it to the desk's claim group
    /// ([`ClaimGroup::waking`]); its next claim, or the end of its next turn, answers.
    woke: bool,
}

/// The answer a station that woke owes its desk's claim group: given by its claim, or when
/// the turn ends without one.
struct Woke<'c> {
    claims: &'c ClaimGroup,
    pending: bool,
}

impl Woke<'_> {
    /// True once: the claim that answers.
    fn answer(&mut self) -> bool {
        std::mem::take(&mut self.pending)
    }
}

impl Drop for Woke<'_> {
    fn drop(&mut self) {
        if self.pending {
            self.claims.not_asking();
        }
    }
}

/// A card a station claimed while its previous card was ejecting, its face rendered: the
/// claim, the kit and the face are off the path between one card out and the next fed.
struct Ahead {
    card: Card,
    attempt: AttemptId,
    /// The kit of the card's order, when it loaded.
    kit: Option<Arc<dyn OrderKit>>,
    face: Option<Result<CardImage, FaceError>>,
}

/// What a station needs to claim and prepare its next card on a thread of its own.
struct AheadPlan<'s> {
    station: &'s str,
    skip: &'s [OrderId],
    /// The printer's panels, when the station prints.
    prints: Option<PanelGeometry>,
    crew: &'s Crew,
}

/// One turn: the pause, the printer, one card (or an idle wait). A store error returns.
fn station_turn(
    d: &Desk<'_>,
    station: &mut Station,
    st: &mut StationState,
    summary: &mut StationSummary,
    crew: &Crew,
) -> Result<(), StoreError> {
    let mut woke = Woke {
        claims: &crew.claims,
        pending: std::mem::take(&mut st.woke),
    };
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
        // The desk's other stations that woke with this one do not wait for it.
        drop(woke);
        give_back_ahead(d, station, st, "the station is paused")?;
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
    if st.ahead.is_some() && !ready_now(&p, station) {
        give_back_ahead(d, station, st, "its printer is not ready")?;
    }
    st.skip.retain(|(_, since)| since.elapsed() < SKIP_FOR);
    let skip: Vec<OrderId> = st.skip.iter().map(|(o, _)| *o).collect();
    let (card, attempt, ahead_kit, face) = match st.ahead.take() {
        Some(a) => (a.card, a.attempt, a.kit, a.face),
        None => {
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
            let Some((card, attempt)) = claim(d, crew, &station.name, &skip, woke.answer())? else {
                crew.idle.fetch_add(1, Ordering::SeqCst);
                d.journal.wait_for_work(d.idle_poll);
                // The desk's other idle stations woke too: their claims go together.
                crew.claims.waking();
                st.woke = true;
                crew.idle.fetch_sub(1, Ordering::SeqCst);
                return Ok(());
            };
            (card, attempt, None, None)
        }
    };
    let Some(order) = card.order_id else {
        d.journal
            .attempt_voided(attempt, "the card is in no order", &d.actor)?;
        return Ok(());
    };
    let kit = match ahead_kit.map_or_else(|| d.kits.kit_for(order), Ok) {
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
    // While this card ejects, the station claims and prepares its next one.
    let geometry = station
        .prints
        .then(|| station.printer.capabilities().geometry);
    let name = station.name.clone();
    let plan = AheadPlan {
        station: &name,
        skip: &skip,
        prints: geometry,
        crew,
    };
    let next = Mutex::new(None);
    let claim_next = || *next.lock().expect("next card") = Some(claim_ahead(d, &plan));
    let mut run = CardRun::new(&p, station, &card, attempt)
        .with_face(face)
        .while_ejecting(&claim_next);
    let outcome = run.produce();
    summary.paused_ms += run.paused.as_millis() as u64;
    let next = next.into_inner().expect("next card");
    let outcome = outcome?;
    st.in_hand = None;
    let claim_error = match next {
        Some(Ok(ahead)) => {
            st.ahead = ahead;
            None
        }
        Some(Err(e)) => Some(e),
        None => None,
    };
    match outcome {
        CardOutcome::Produced => {
            summary.produced += 1;
            st.breaker.reset();
        }
        CardOutcome::Failed { step, reason } => {
            summary.failed += 1;
            st.breaker.card_fault(step, &reason);
            if st.breaker.in_a_row >= station.breaker_after {
                give_back_ahead(d, station, st, "the station pauses")?;
                pause_for_operator(&p, station, &st.breaker.message());
                st.announced_pause = d.journal.station_pause(&station.name)?.map(|p| p.reason);
            }
        }
        CardOutcome::PutBack => {}
        CardOutcome::Paused(reason) => {
            give_back_ahead(d, station, st, "the station pauses")?;
            pause_for_operator(&p, station, &reason);
            st.announced_pause = d.journal.station_pause(&station.name)?.map(|p| p.reason);
        }
        CardOutcome::StationStopped(reason) => {
            give_back_ahead(d, station, st, "the station stopped")?;
            broken(d, station, &reason, summary)
        }
        CardOutcome::LeftInFlight(reason) => {
            // Stopped while the printer was silent with the card inside: the next start of
            // this desk settles it (the run is ended by then).
            summary.stopped = Some(reason);
        }
    }
    // A claim ahead that failed may have committed with its reply lost: the store error
    // settles whatever this run has in flight on the station.
    claim_error.map_or(Ok(()), Err)
}

/// Claims the station's next card and renders its face, beside the eject of the card in
/// hand — only while every station of the desk is busy (an idle one takes a waiting card at
/// once).
fn claim_ahead(d: &Desk<'_>, plan: &AheadPlan<'_>) -> Result<Option<Ahead>, StoreError> {
    if d.stopped() || plan.crew.idle.load(Ordering::SeqCst) > 0 {
        return Ok(None);
    }
    // A pause is not read here: the turn that would feed this card reads it (an operator may
    // pause the station during the eject anyway) and gives the card back.
    let Some((card, attempt)) = claim(d, plan.crew, plan.station, plan.skip, false)? else {
        return Ok(None);
    };
    let kit = card.order_id.and_then(|o| d.kits.kit_for(o).ok());
    let face = match (&kit, plan.prints) {
        (Some(kit), Some(geometry)) => Some(kit.face().render_at(&card, geometry)),
        _ => None,
    };
    Ok(Some(Ahead {
        card,
        attempt,
        kit,
        face,
    }))
}

/// Takes the next waiting card for `station`: with the desk's other stations asking at the
/// same moment (after a release, and beside the ejects: a desk's stations keep in step),
/// alone when the station leaves some orders aside. `woke`: the station woke from waiting
/// for work and announced it to the group.
fn claim(
    d: &Desk<'_>,
    crew: &Crew,
    station: &str,
    skip: &[OrderId],
    woke: bool,
) -> Result<Option<(Card, AttemptId)>, StoreError> {
    if skip.is_empty() {
        crew.claims.claim(d.journal, d.run, station, &d.actor, woke)
    } else {
        if woke {
            crew.claims.not_asking();
        }
        d.journal
            .begin_released_attempt(d.run, station, skip, &d.actor)
    }
}

/// Whether the printer is ready now (reported to the store like every reading).
fn ready_now(p: &Production<'_>, station: &mut Station) -> bool {
    let reading = station.printer.status();
    super::printer_watch::report(p, station, &reading);
    matches!(reading, Ok(status) if status.is_ready())
}

/// Voids the attempt of a card claimed ahead and never fed: the card waits again, for any
/// station (desks are woken).
fn give_back_ahead(
    d: &Desk<'_>,
    station: &Station,
    st: &mut StationState,
    why: &str,
) -> Result<(), StoreError> {
    let Some(ahead) = st.ahead.take() else {
        return Ok(());
    };
    let reason = format!(
        "station {} gives card {} back before feeding it: {why}",
        station.name, ahead.card.number
    );
    put_back(d, station, &ahead.card, ahead.attempt, &reason)?;
    tracing::info!("{reason}");
    Ok(())
}

/// Voids the attempt of a card no blank was fed for (it waits again; desks are woken) and
/// tells the operator why.
fn put_back(
    d: &Desk<'_>,
    station: &Station,
    card: &Card,
    attempt: AttemptId,
    reason: &str,
) -> Result<(), StoreError> {
    d.journal.attempt_voided(attempt, reason, &d.actor)?;
    d.emit(ProductionEvent::CardPutBack {
        station: station.name.clone(),
        card: card.number.clone(),
        reason: reason.to_string(),
    });
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
    put_back(d, station, card, attempt, &reason)?;
    tracing::warn!("{reason}");
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
