//! One card through one station: the journaled steps and the failure policy.

use std::time::{Duration, Instant};

use cardline_device::{EncodingPlan, EncodingReceipt, Pin, Puk};
use sha2::Digest;

use super::policy::{Disposition, StepError};
use super::run::{Production, Readiness, wait_until_ready};
use super::secrets::{generate_digits, generate_guid};
use super::{ProductionEvent, Station};
use crate::model::{AttemptId, Card, ProductionStep};
use crate::store::{AttemptSuccess, JournalRecord, SealedSecrets, StoreError};

/// How a card's attempt ended.
pub(super) enum CardOutcome {
    /// Produced: the card is `unassigned`.
    Produced,
    /// Rejected: the card is `failed`.
    Failed,
    /// Cancelled with the card in hand: card rejected, attempt void, card waits again.
    PutBack,
    /// The station cannot go on: card rejected, attempt void, station stops.
    StationStopped(String),
}

/// Why a step did not complete.
enum StepFailure {
    /// The card is at fault.
    Card(String),
    /// The station is at fault.
    Station(String),
    /// Cancelled while the station was paused.
    Cancelled(String),
}

/// One attempt of one card on one station.
pub(super) struct CardRun<'p, 's> {
    p: &'p Production<'p>,
    station: &'s mut Station,
    card: &'s Card,
    attempt: AttemptId,
    /// Time spent paused for an operator.
    pub(super) paused: Duration,
    /// Journal records not committed yet: the last step's ok outcome and the chip, committed
    /// with the next step's intent or the attempt's end (nothing physical happens between).
    pending: Pending,
}

/// Journal records waiting for the next commit.
#[derive(Default)]
struct Pending {
    finished: Option<ProductionStep>,
    chip: Option<String>,
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
            pending: Pending::default(),
        }
    }

    /// Produces the card; store errors leave the attempt in flight for recovery.
    pub(super) fn produce(&mut self) -> Result<CardOutcome, StoreError> {
        let started = Instant::now();
        self.p.emit(ProductionEvent::CardStarted {
            station: self.station.name.clone(),
            card: self.card.number.clone(),
            attempt: self.attempt,
        });
        let image = match self.p.face.render(self.card) {
            Ok(image) => image,
            Err(e) => return self.settle(StepFailure::Station(e.to_string()), false),
        };
        let mut success = AttemptSuccess::default();
        if let Some(material) = self.encoding_material() {
            let (plan, sealed) = match material {
                Ok(m) => m,
                Err(reason) => return self.settle(StepFailure::Station(reason), false),
            };
            // Journal the planned GUID before the chip is touched (committed with the feed's
            // intent), so recovery can match it.
            self.pending.chip = Some(hex::encode(plan.guid));
            if let Err(f) = self.step(ProductionStep::Feed, |s| {
                Ok(s.printer.park_for_encoding()?)
            })? {
                return self.settle(f, true);
            }
            let issuer = self.p.issuer;
            let timeout = self.p.settings.card_timeout;
            let receipt = match self.step(ProductionStep::Encode, |s| {
                encode(s, &plan, issuer, timeout)
            })? {
                Ok(r) => r,
                Err(f) => return self.settle(f, true),
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
        }
        if let Err(f) = self.step(ProductionStep::Print, |s| Ok(s.printer.print(&image)?))? {
            return self.settle(f, true);
        }
        if let Err(f) = self.step(ProductionStep::Eject, |s| Ok(s.printer.eject()?))? {
            return self.settle(f, true);
        }
        self.flush(None)?;
        self.p
            .store
            .attempt_succeeded(self.attempt, &success, &self.p.settings.actor)?;
        self.p.emit(ProductionEvent::CardProduced {
            station: self.station.name.clone(),
            card: self.card.number.clone(),
            chip_id: success.chip_id,
            millis: started.elapsed().as_millis() as u64,
        });
        Ok(CardOutcome::Produced)
    }

    /// Fresh PIN, PUK, GUID and the sealed secrets, when encoding is on.
    #[allow(clippy::type_complexity)]
    fn encoding_material(&self) -> Option<Result<(EncodingPlan, SealedSecrets), String>> {
        let es = self.p.settings.encoding.as_ref()?;
        let pin = Pin::new(generate_digits(es.pin_length).to_vec());
        let puk = Puk::new(generate_digits(es.puk_length).to_vec());
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
            guid: generate_guid(),
            expiry: es.expiry.clone(),
        };
        Some(Ok((plan, sealed)))
    }

    /// Runs one physical step: intent journaled, bounded retries of transient faults, pause on
    /// operator faults, outcome journaled.
    fn step<T>(
        &mut self,
        step: ProductionStep,
        mut op: impl FnMut(&mut Station) -> Result<T, StepError>,
    ) -> Result<Result<T, StepFailure>, StoreError> {
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
                Disposition::Retry if retries < self.p.settings.step_retries => {
                    retries += 1;
                    tracing::debug!(station = %self.station.name, %reason, retries, "retrying step");
                    self.p.emit(ProductionEvent::StepRetried {
                        station: self.station.name.clone(),
                        card: self.card.number.clone(),
                        step: step.as_str().to_string(),
                        error: e.to_string(),
                    });
                    std::thread::sleep(self.p.settings.retry_delay);
                    continue;
                }
                Disposition::Retry | Disposition::RejectCard => StepFailure::Card(reason),
                Disposition::StopStation => StepFailure::Station(reason),
                Disposition::PauseStation => {
                    self.p.emit(ProductionEvent::StationPaused {
                        station: self.station.name.clone(),
                        reason: e.to_string(),
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
            let text = match &failure {
                StepFailure::Card(t) | StepFailure::Station(t) | StepFailure::Cancelled(t) => t,
            };
            let outcome = JournalRecord::StepFinished(step, Some(text));
            self.flush(Some(outcome))?;
            return Ok(Err(failure));
        }
    }

    /// Commits the pending records, then `next`, in one transaction (none when all are empty).
    fn flush(&mut self, next: Option<JournalRecord<'_>>) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut self.pending);
        let mut records = Vec::with_capacity(3);
        records.extend(
            pending
                .finished
                .map(|s| JournalRecord::StepFinished(s, None)),
        );
        records.extend(pending.chip.as_deref().map(JournalRecord::Chip));
        records.extend(next);
        if records.is_empty() {
            return Ok(());
        }
        self.p.store.journal(self.attempt, &records)
    }

    /// Ends a failed attempt: rejects the card in hand (journaled) and records the outcome.
    fn settle(
        &mut self,
        failure: StepFailure,
        card_in_hand: bool,
    ) -> Result<CardOutcome, StoreError> {
        if card_in_hand
            && let Err(f) = self.step(ProductionStep::Reject, |s| Ok(s.printer.reject()?))?
        {
            let (StepFailure::Card(t) | StepFailure::Station(t) | StepFailure::Cancelled(t)) = f;
            tracing::warn!(station = %self.station.name, card = %self.card.number, "reject failed: {t}");
        }
        self.flush(None)?;
        let (store, actor) = (self.p.store, &self.p.settings.actor);
        match failure {
            StepFailure::Card(reason) => {
                store.attempt_failed(self.attempt, &reason, actor)?;
                self.p.emit(ProductionEvent::CardFailed {
                    station: self.station.name.clone(),
                    card: self.card.number.clone(),
                    reason,
                });
                Ok(CardOutcome::Failed)
            }
            StepFailure::Cancelled(reason) => {
                store.attempt_voided(self.attempt, &reason, actor)?;
                Ok(CardOutcome::PutBack)
            }
            StepFailure::Station(reason) => {
                store.attempt_voided(self.attempt, &reason, actor)?;
                self.p.emit(ProductionEvent::StationStopped {
                    station: self.station.name.clone(),
                    reason: reason.clone(),
                });
                Ok(CardOutcome::StationStopped(reason))
            }
        }
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
