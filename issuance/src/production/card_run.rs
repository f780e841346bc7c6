//! One card through one station: the journaled steps, the failure policy, and the
//! resynchronisation with a printer whose link was lost in the middle of a step.

use std::time::{Duration, Instant};

use cardline_device::{CardPosition, EncodingPlan, EncodingReceipt, Pin, Puk};
use sha2::Digest;

use super::pause::{Readiness, wait_until_ready};
use super::policy::{Disposition, StepError};
use super::run::Production;
use super::{CardImage, FaceError, ProductionEvent, Station};
use crate::model::{AttemptId, Card, ProductionStep};
use crate::secrets::{generate_guid, generate_pin, generate_puk, master_key_id_of};
use crate::store::{AttemptKeys, AttemptSuccess, JournalRecord, SealedSecrets, StoreError};

/// How a card's attempt ended.
pub(super) enum CardOutcome {
    /// Produced: the card is `unassigned`.
    Produced,
    /// Rejected at `step`: the card is `failed` (a card fault, counted by the breaker).
    Failed {
        /// The step that failed.
        step: ProductionStep,
        /// Why.
        reason: String,
    },
    /// Cancelled with the card in hand, or its printer was lost and found again: the blank
    /// was rejected, the attempt is void, the card waits again.
    PutBack,
    /// The station's setup is at fault: the blank was rejected, the attempt is void, the card
    /// waits again, and the station must pause until an operator resumes it.
    Paused(String),
    /// The station cannot go on: blank rejected, attempt void, station stops.
    StationStopped(String),
    /// The printer stopped answering with the card inside and production was cancelled while
    /// waiting for it: the attempt stays in flight, for recovery once this run has ended.
    LeftInFlight(String),
}

/// Why a step did not complete.
enum StepFailure {
    /// The card is at fault.
    Card(String),
    /// The station's setup is at fault (the operator must fix and resume).
    Setup(String),
    /// The station cannot go on.
    Station(String),
    /// Cancelled while the station was paused.
    Cancelled(String),
    /// The printer was lost and where the card is is not known: reject it as soon as the
    /// printer answers, never feed another meanwhile.
    Lost(String),
}

impl StepFailure {
    fn text(&self) -> &str {
        match self {
            StepFailure::Card(t)
            | StepFailure::Setup(t)
            | StepFailure::Station(t)
            | StepFailure::Cancelled(t)
            | StepFailure::Lost(t) => t,
        }
    }
}

/// What a resynchronised printer says about a step interrupted by a lost link.
enum Resync {
    /// The step completed before the link was lost.
    Done,
    /// The step can be sent again.
    Retry,
    /// The card is somewhere it should not be: a card fault.
    Spoiled(String),
    /// Where the card is is not known.
    Unknown(String),
}

/// One attempt of one card on one station.
pub(super) struct CardRun<'p, 's> {
    p: &'p Production<'p>,
    station: &'s mut Station,
    card: &'s Card,
    attempt: AttemptId,
    /// Time spent paused for an operator.
    pub(super) paused: Duration,
    /// What the encoder reported for the card, once it was encoded.
    pub(super) receipt: Option<EncodingReceipt>,
    /// Journal records not committed yet: the last step's ok outcome and the chip, committed
    /// with the next step's intent or the attempt's end (nothing physical happens between).
    pending: Pending,
    /// The face, when it was rendered before the attempt began (a desk renders the next card
    /// while the previous one is ejecting).
    face: Option<Result<CardImage, FaceError>>,
    /// Work done on a thread of its own while the card is ejecting and its success is
    /// committed (a desk claims and prepares its station's next card then); joined before
    /// [`produce`](Self::produce) returns.
    while_ejecting: Option<&'p (dyn Fn() + Sync)>,
}

/// Journal records waiting for the next commit.
#[derive(Default)]
struct Pending {
    finished: Option<ProductionStep>,
    keys: Option<AttemptKeys>,
    chip: Option<String>,
}

impl Pending {
    /// The records to commit, in order, then `next`.
    fn records<'a>(&'a self, next: Option<JournalRecord<'a>>) -> Vec<JournalRecord<'a>> {
        let mut records = Vec::with_capacity(4);
        records.extend(self.finished.map(|s| JournalRecord::StepFinished(s, None)));
        records.extend(self.keys.as_ref().map(JournalRecord::Keys));
        records.extend(self.chip.as_deref().map(JournalRecord::Chip));
        records.extend(next);
        records
    }
}

impl<'p, 's> CardRun<'p, 's> {
    pub(super) fn new(
        p: &'p Production<'p>,
        station: &'s mut Station,
        card: &'s Card,
        attempt: AttemptId,
    ) -> Self {
        CardRun {
            p,
            station,
            card,
            attempt,
            paused: Duration::ZERO,
            receipt: None,
            pending: Pending::default(),
            face: None,
            while_ejecting: None,
        }
    }

    /// The face already rendered for this card (instead of rendering it in `produce`).
    pub(super) fn with_face(mut self, face: Option<Result<CardImage, FaceError>>) -> Self {
        self.face = face;
        self
    }

    /// Runs `work` beside the eject and the success commit (never when the card fails before).
    pub(super) fn while_ejecting(mut self, work: &'p (dyn Fn() + Sync)) -> Self {
        self.while_ejecting = Some(work);
        self
    }

    /// Produces the card; store errors leave the attempt in flight for recovery.
    pub(super) fn produce(&mut self) -> Result<CardOutcome, StoreError> {
        let started = Instant::now();
        self.p.emit(ProductionEvent::CardStarted {
            station: self.station.name.clone(),
            card: self.card.number.clone(),
            attempt: self.attempt,
        });
        let image = if self.station.prints {
            let rendered = self.face.take().unwrap_or_else(|| {
                let geometry = self.station.printer.capabilities().geometry;
                self.p.face.render_at(self.card, geometry)
            });
            match rendered {
                Ok(image) => Some(image),
                Err(e) => {
                    let failure = StepFailure::Setup(e.to_string());
                    return self.settle(ProductionStep::Print, failure, false);
                }
            }
        } else {
            None
        };
        let mut success = AttemptSuccess::default();
        if let Some(material) = self.encoding_material() {
            let (plan, sealed) = match material {
                Ok(m) => m,
                Err(reason) => {
                    return self.settle(ProductionStep::Encode, StepFailure::Setup(reason), false);
                }
            };
            // Journal the planned GUID before the chip is touched (committed with the feed's
            // intent), so recovery can match it.
            self.pending.chip = Some(hex::encode(plan.guid));
            // The key ids go with the feed's intent: a replaced management-key master is
            // refused by the store before any blank is fed.
            self.pending.keys = Some(AttemptKeys {
                management_master: master_key_id_of(&plan.management_key_master),
                seal: sealed.key_id.clone(),
                issuer: self.p.issuer.key_id(),
            });
            let fed = match self.printer_step(ProductionStep::Feed, |s| {
                Ok(s.printer.park_for_encoding()?)
            }) {
                Err(e @ (StoreError::KeyReplaced { .. } | StoreError::IssuerRevoked { .. })) => {
                    // The keys are loaded when production starts: the station stops, the
                    // operator installs the right key and starts production again.
                    let failure = StepFailure::Station(e.to_string());
                    return self.settle(ProductionStep::Encode, failure, false);
                }
                other => other?,
            };
            if let Err(f) = fed {
                return self.settle(ProductionStep::Feed, f, true);
            }
            let issuer = self.p.issuer;
            let timeout = self.p.settings.card_timeout;
            let receipt = match self.step(ProductionStep::Encode, |s| {
                encode(s, &plan, issuer, timeout)
            })? {
                Ok(r) => r,
                Err(f) => return self.settle(ProductionStep::Encode, f, true),
            };
            self.pending.chip = Some(receipt.chip_id.clone());
            success = AttemptSuccess {
                chip_id: Some(receipt.chip_id.clone()),
                certificate_fingerprints: receipt
                    .slots
                    .iter()
                    .map(|s| hex::encode(sha2::Sha256::digest(&s.certificate)))
                    .collect(),
                secrets: Some(sealed),
            };
            self.receipt = Some(receipt);
        }
        if let Some(image) = &image
            && let Err(f) =
                self.printer_step(ProductionStep::Print, |s| Ok(s.printer.print(image)?))?
        {
            return self.settle(ProductionStep::Print, f, true);
        }
        let beside = self.while_ejecting.take();
        let ejected = std::thread::scope(|scope| {
            let helper = beside.map(|work| scope.spawn(work));
            let ejected = self.eject_and_succeed(&success);
            if let Some(helper) = helper {
                helper.join().expect("the work beside the eject panicked");
            }
            ejected
        });
        if let Err(f) = ejected? {
            return self.settle(ProductionStep::Eject, f, true);
        }
        self.p.emit(ProductionEvent::CardProduced {
            station: self.station.name.clone(),
            card: self.card.number.clone(),
            chip_id: success.chip_id,
            millis: started.elapsed().as_millis() as u64,
        });
        Ok(CardOutcome::Produced)
    }

    /// Ejects the card; once it is out, the eject's outcome and the success in one commit.
    fn eject_and_succeed(
        &mut self,
        success: &AttemptSuccess,
    ) -> Result<Result<(), StepFailure>, StoreError> {
        if let Err(f) = self.printer_step(ProductionStep::Eject, |s| Ok(s.printer.eject()?))? {
            return Ok(Err(f));
        }
        let pending = std::mem::take(&mut self.pending);
        let records = pending.records(None);
        self.p.journal.journal_and_succeed(
            self.attempt,
            &records,
            success,
            &self.p.settings.actor,
        )?;
        Ok(Ok(()))
    }

    /// Fresh PIN, PUK, GUID and the sealed secrets, when encoding is on.
    #[allow(clippy::type_complexity)]
    fn encoding_material(&self) -> Option<Result<(EncodingPlan, SealedSecrets), String>> {
        let es = self.p.settings.encoding.as_ref()?;
        // The one generator of every random secret: PIN, PUK and GUID.
        let fresh = || -> Result<(Pin, Puk, [u8; 16]), crate::secrets::SecretsError> {
            Ok((
                generate_pin(es.pin_length)?,
                generate_puk(es.puk_length)?,
                generate_guid()?,
            ))
        };
        let (pin, puk, guid) = match fresh() {
            Ok(v) => v,
            Err(e) => return Some(Err(e.to_string())),
        };
        let sealed = match self.p.sealer.seal(&self.card.number, &pin, &puk) {
            Ok(s) => s,
            Err(e) => return Some(Err(e.to_string())),
        };
        let plan = EncodingPlan {
            card_number: self.card.number.clone(),
            transport_pin: es.transport_pin.clone(),
            transport_puk: es.transport_puk.clone(),
            transport_management_key: es.transport_management_key.clone(),
            pin,
            puk,
            management_key_master: es.management_key_master.clone(),
            keys: es.keys.clone(),
            guid,
            expiry: es.expiry.clone(),
        };
        Some(Ok((plan, sealed)))
    }

    /// A printer step: like [`step`](Self::step), but a lost or silent link is never simply
    /// retried — the printer is resynchronised first and the card's position decides.
    fn printer_step(
        &mut self,
        step: ProductionStep,
        op: impl FnMut(&mut Station) -> Result<(), StepError>,
    ) -> Result<Result<(), StepFailure>, StoreError> {
        self.run_step(step, op, Some(()))
    }

    /// Runs one physical step: intent journaled, bounded retries of transient faults, pause on
    /// operator faults, outcome journaled.
    fn step<T>(
        &mut self,
        step: ProductionStep,
        op: impl FnMut(&mut Station) -> Result<T, StepError>,
    ) -> Result<Result<T, StepFailure>, StoreError> {
        self.run_step(step, op, None)
    }

    /// `done`: the step's value when a resynchronised printer shows the step already done
    /// (printer steps, which return nothing); `None` for steps that are not printer steps.
    fn run_step<T>(
        &mut self,
        step: ProductionStep,
        mut op: impl FnMut(&mut Station) -> Result<T, StepError>,
        mut done: Option<T>,
    ) -> Result<Result<T, StepFailure>, StoreError> {
        let resync_printer = done.is_some();
        self.flush(Some(JournalRecord::StepStarted(step)))?;
        let mut retries = 0;
        loop {
            let e = match op(self.station) {
                Ok(v) => {
                    self.pending.finished = Some(step);
                    return Ok(Ok(v));
                }
                Err(e) => e,
            };
            let reason = format!("{}: {e}", step.as_str());
            let failure = match e.disposition() {
                Disposition::Retry if resync_printer && e.lost_printer() => {
                    if retries >= self.p.settings.step_retries {
                        StepFailure::Lost(format!("{reason} (printer lost; card position unknown)"))
                    } else {
                        retries += 1;
                        self.retried(step, &format!("{e}; resynchronising with the printer"));
                        match self.resync(step) {
                            Resync::Retry => continue,
                            Resync::Done => match done.take() {
                                Some(v) => {
                                    self.pending.finished = Some(step);
                                    return Ok(Ok(v));
                                }
                                None => continue,
                            },
                            Resync::Spoiled(why) => StepFailure::Card(format!("{reason}; {why}")),
                            Resync::Unknown(why) => StepFailure::Lost(format!("{reason}; {why}")),
                        }
                    }
                }
                Disposition::Retry if retries < self.p.settings.step_retries => {
                    retries += 1;
                    tracing::debug!(station = %self.station.name, %reason, retries, "retrying step");
                    self.retried(step, &e.to_string());
                    std::thread::sleep(self.p.settings.retry_delay);
                    continue;
                }
                Disposition::Retry | Disposition::RejectCard => StepFailure::Card(reason),
                Disposition::StopStation => StepFailure::Station(reason),
                Disposition::PauseForOperator => {
                    StepFailure::Setup(format!("{reason}: {}", e.operator_hint()))
                }
                Disposition::PauseStation => {
                    self.p.emit(ProductionEvent::StationPaused {
                        station: self.station.name.clone(),
                        reason: e.to_string(),
                        until: super::PauseUntil::PrinterReady,
                    });
                    match wait_until_ready(self.p, self.station, || false, Some(e.to_string())) {
                        Readiness::Ready(paused) => {
                            self.paused += paused;
                            continue;
                        }
                        Readiness::GaveUp(paused) => {
                            self.paused += paused;
                            StepFailure::Cancelled(format!("{reason} (cancelled while paused)"))
                        }
                        Readiness::Broken(why) => StepFailure::Station(why),
                    }
                }
            };
            let outcome = JournalRecord::StepFinished(step, Some(failure.text()));
            self.flush(Some(outcome))?;
            return Ok(Err(failure));
        }
    }

    fn retried(&self, step: ProductionStep, error: &str) {
        self.p.emit(ProductionEvent::StepRetried {
            station: self.station.name.clone(),
            card: self.card.number.clone(),
            step: step.as_str().to_string(),
            error: error.to_string(),
        });
    }

    /// Resynchronises the printer after a lost link and decides from the card's position.
    fn resync(&mut self, step: ProductionStep) -> Resync {
        use CardPosition as P;
        let status = match self.station.printer.resync() {
            Ok(s) => s,
            Err(e) => return Resync::Unknown(format!("resynchronising failed: {e}")),
        };
        let Some(position) = status.position else {
            return Resync::Unknown("the printer does not report where the card is".into());
        };
        let inside = matches!(
            position,
            P::ContactStation | P::ContactlessStation | P::PrintPosition
        );
        match (step, &position) {
            (ProductionStep::Feed, P::ContactStation) => Resync::Done,
            (ProductionStep::Feed, P::NoCard) => Resync::Retry,
            (ProductionStep::Feed, p) if inside => Resync::Spoiled(format!(
                "after the link was lost the card stopped {}",
                position_name(p)
            )),
            (ProductionStep::Print, _) if inside => Resync::Retry,
            (ProductionStep::Print, P::NoCard) => Resync::Spoiled(
                "the card left the printer during an interrupted print: destroy it if found".into(),
            ),
            (ProductionStep::Eject | ProductionStep::Reject, P::NoCard) => Resync::Done,
            (ProductionStep::Eject | ProductionStep::Reject, _) if inside => Resync::Retry,
            (_, p) => Resync::Unknown(format!("the card is {}", position_name(p))),
        }
    }

    /// Commits the pending records, then `next`, in one transaction (none when all are empty).
    fn flush(&mut self, next: Option<JournalRecord<'_>>) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut self.pending);
        let records = pending.records(next);
        if records.is_empty() {
            return Ok(());
        }
        self.p.journal.journal(self.attempt, &records)
    }

    /// Ends a failed attempt: rejects the card in hand (journaled) and records the outcome.
    fn settle(
        &mut self,
        step: ProductionStep,
        failure: StepFailure,
        card_in_hand: bool,
    ) -> Result<CardOutcome, StoreError> {
        if card_in_hand {
            let reject =
                self.printer_step(ProductionStep::Reject, |s| Ok(s.printer.reject()?))?;
            match reject {
                Ok(()) => {}
                Err(StepFailure::Lost(why)) => {
                    // The printer is silent with the card inside: never feed another. Wait
                    // until it answers, then reject the card.
                    if let Some(outcome) = self.reject_when_printer_answers(&why)? {
                        return Ok(outcome);
                    }
                }
                Err(f) => {
                    tracing::warn!(station = %self.station.name, card = %self.card.number, "reject failed: {}", f.text());
                }
            }
        }
        self.flush(None)?;
        let (journal, actor) = (self.p.journal, &self.p.settings.actor);
        match failure {
            StepFailure::Card(reason) => {
                journal.attempt_failed(self.attempt, &reason, actor)?;
                self.p.emit(ProductionEvent::CardFailed {
                    station: self.station.name.clone(),
                    card: self.card.number.clone(),
                    reason: reason.clone(),
                });
                Ok(CardOutcome::Failed { step, reason })
            }
            StepFailure::Cancelled(reason) => {
                journal.attempt_voided(self.attempt, &reason, actor)?;
                Ok(CardOutcome::PutBack)
            }
            StepFailure::Lost(reason) => {
                journal.attempt_voided(self.attempt, &reason, actor)?;
                self.put_back(&reason);
                Ok(CardOutcome::PutBack)
            }
            StepFailure::Setup(reason) => {
                journal.attempt_voided(self.attempt, &reason, actor)?;
                self.put_back(&reason);
                Ok(CardOutcome::Paused(reason))
            }
            StepFailure::Station(reason) => {
                journal.attempt_voided(self.attempt, &reason, actor)?;
                self.p.emit(ProductionEvent::StationStopped {
                    station: self.station.name.clone(),
                    reason: reason.clone(),
                });
                Ok(CardOutcome::StationStopped(reason))
            }
        }
    }

    fn put_back(&self, reason: &str) {
        self.p.emit(ProductionEvent::CardPutBack {
            station: self.station.name.clone(),
            card: self.card.number.clone(),
            reason: reason.to_string(),
        });
    }

    /// Pauses until the printer answers, then rejects the card. `Some(outcome)` when the wait
    /// ended without a reject (cancelled, or the printer cannot be used): the attempt then
    /// stays in flight for recovery.
    fn reject_when_printer_answers(
        &mut self,
        why: &str,
    ) -> Result<Option<CardOutcome>, StoreError> {
        let reason = format!(
            "{why}: the card stays in the printer until it answers; it will then be rejected"
        );
        loop {
            match wait_until_ready(self.p, self.station, || false, None) {
                Readiness::Ready(paused) => self.paused += paused,
                Readiness::GaveUp(paused) => {
                    self.paused += paused;
                    self.flush(None)?;
                    return Ok(Some(CardOutcome::LeftInFlight(format!(
                        "{reason} (cancelled while waiting: `cardline recover` settles it)"
                    ))));
                }
                Readiness::Broken(b) => {
                    self.flush(None)?;
                    return Ok(Some(CardOutcome::LeftInFlight(format!("{reason}; {b}"))));
                }
            }
            if let Ok(Ok(())) =
                self.printer_step(ProductionStep::Reject, |s| Ok(s.printer.reject()?))
            {
                return Ok(None);
            }
        }
    }
}

fn position_name(p: &CardPosition) -> String {
    match p {
        CardPosition::ContactStation => "at the contact station".into(),
        CardPosition::ContactlessStation => "at the contactless station".into(),
        CardPosition::PrintPosition => "at the print position".into(),
        CardPosition::Unknown(s) => format!("at `{s}` (unknown to cardline)"),
        CardPosition::NoCard => "not in the printer".into(),
    }
}

/// Opens a session with the parked card and personalises it.
fn encode(
    station: &mut Station,
    plan: &EncodingPlan,
    issuer: &dyn cardline_device::CertificateIssuer,
    timeout: Duration,
) -> Result<EncodingReceipt, StepError> {
    let Station {
        reader, encoder, ..
    } = station;
    let encoder = encoder
        .as_mut()
        .expect("stations are checked for an encoder before production");
    let mut card = reader.connect(timeout)?;
    Ok(encoder.encode(&mut *card, plan, issuer)?)
}
