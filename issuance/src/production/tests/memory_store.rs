//! A minimal in-memory [`ProductionJournal`] for the orchestrator's unit tests: cards of one order and the
//! production journal, nothing else.

use std::sync::Mutex;

use crate::model::*;
use crate::store::*;

#[derive(Default)]
pub struct MemoryStore {
    pub inner: Mutex<Inner>,
}

#[derive(Default)]
pub struct Inner {
    pub cards: Vec<Card>,
    pub attempts: Vec<Attempt>,
    pub successes: Vec<(AttemptId, AttemptSuccess)>,
    /// Calls of [`ProductionJournal::journal`] (one transaction each in a real store).
    pub journal_commits: usize,
    /// Station pauses recorded.
    pub pauses: Vec<StationPause>,
    /// Printer reports written, per station, in order.
    pub printer_reports: Vec<(String, crate::printer_report::PrinterReport)>,
    /// The next `begin_attempt` fails with this error (a store failure on one station).
    pub fail_begin: Option<StoreError>,
    /// Runs that ended.
    pub ended: Vec<RunId>,
    /// The next `begin_released_attempt` commits its attempt but fails as if the connection
    /// broke before the reply came back (an ambiguous commit).
    pub lose_begin_reply: bool,
    /// The next this many calls of `journal` fail as if the database were unreachable.
    pub journal_outage: u32,
    /// After this many commits of `journal`, that many calls fail (an outage mid-card).
    pub outage_after_commits: Option<(usize, u32)>,
    /// The key registry: kind and key id.
    pub keys: Vec<(String, String)>,
    /// The size of each group of claims (`begin_released_attempts`), in order.
    pub claim_groups: Vec<usize>,
    /// How long the first group of claims takes (the others ask meanwhile).
    pub first_group_takes: std::time::Duration,
    /// The group of claims of this number (1: the first) fails with this error.
    pub fail_group: Option<(usize, StoreError)>,
}

impl MemoryStore {
    /// An open order 1 with `n` cards `in_production`.
    pub fn with_order(n: usize) -> Self {
        let s = MemoryStore::default();
        let mut inner = s.inner.lock().unwrap();
        for i in 0..n {
            inner.cards.push(Card {
                id: i as i64 + 1,
                number: format!("TMP-{:04}", i + 1),
                state: CardState::InProduction,
                order_id: Some(1),
                assigned_to: None,
                valid_until: None,
                failure_reason: None,
                chip_id: None,
                created_at: String::new(),
                updated_at: String::new(),
                ..Default::default()
            });
        }
        drop(inner);
        s
    }

    pub fn states(&self) -> Vec<CardState> {
        self.inner
            .lock()
            .unwrap()
            .cards
            .iter()
            .map(|c| c.state)
            .collect()
    }

    fn close(
        &self,
        id: AttemptId,
        status: AttemptStatus,
        reason: Option<&str>,
        to: CardState,
    ) -> Card {
        let mut inner = self.inner.lock().unwrap();
        let a = inner.attempts.iter_mut().find(|a| a.id == id).unwrap();
        assert_eq!(
            a.status,
            AttemptStatus::InFlight,
            "attempt {id} closed twice"
        );
        a.status = status;
        a.reason = reason.map(str::to_string);
        a.finished_at = Some("now".into());
        let number = a.card_number.clone();
        let card = inner.cards.iter_mut().find(|c| c.number == number).unwrap();
        card.state = to;
        card.failure_reason = reason
            .filter(|_| to == CardState::Failed)
            .map(str::to_string);
        card.clone()
    }
}

impl ProductionJournal for MemoryStore {
    fn start_run(&self, start: &ownership::RunStart, _: &Actor) -> Result<Run, StoreError> {
        Ok(Run {
            id: 1,
            kind: start.kind.clone(),
            host: start.host.clone(),
            pid: start.pid,
            pid_started: start.pid_started,
            operator: "test".into(),
            started_at: "now".into(),
            lease_until: "later".into(),
            lease_expired: false,
            ended_at: None,
            desk: start.desk.clone(),
        })
    }
    fn renew_lease(&self, _: RunId, _: std::time::Duration) -> Result<(), StoreError> {
        Ok(())
    }
    fn end_run(&self, run: RunId) -> Result<(), StoreError> {
        self.inner.lock().unwrap().ended.push(run);
        Ok(())
    }
    fn run(&self, id: RunId) -> Result<Run, StoreError> {
        let ended = self.inner.lock().unwrap().ended.contains(&id);
        self.start_run(
            &ownership::RunStart::this_process("produce"),
            &Actor::system(),
        )
        .map(|r| Run {
            id,
            ended_at: ended.then(|| "then".into()),
            ..r
        })
    }
    fn claim_station(
        &self,
        _: RunId,
        _: &str,
        _: Option<RunId>,
        _: &Actor,
    ) -> Result<Result<(), Run>, StoreError> {
        Ok(Ok(()))
    }
    fn release_station(&self, _: RunId, _: &str) -> Result<(), StoreError> {
        Ok(())
    }
    fn station_owner(&self, _: &str) -> Result<Option<Run>, StoreError> {
        Ok(None)
    }
    fn pause_station(
        &self,
        station: &str,
        reason: &str,
        run: Option<RunId>,
        _: &Actor,
    ) -> Result<(), StoreError> {
        let mut inner = self.inner.lock().unwrap();
        inner.pauses.retain(|p| p.station != station);
        inner.pauses.push(StationPause {
            station: station.into(),
            reason: reason.into(),
            paused_at: "now".into(),
            run_id: run,
        });
        Ok(())
    }
    fn station_pause(&self, station: &str) -> Result<Option<StationPause>, StoreError> {
        let inner = self.inner.lock().unwrap();
        Ok(inner.pauses.iter().find(|p| p.station == station).cloned())
    }
    fn station_pauses(&self) -> Result<Vec<StationPause>, StoreError> {
        Ok(self.inner.lock().unwrap().pauses.clone())
    }
    fn resume_station(&self, station: &str, _: &Actor) -> Result<bool, StoreError> {
        let mut inner = self.inner.lock().unwrap();
        let before = inner.pauses.len();
        inner.pauses.retain(|p| p.station != station);
        Ok(inner.pauses.len() < before)
    }
    fn begin_attempt(
        &self,
        run: RunId,
        order_id: OrderId,
        station: &str,
        _: &Actor,
    ) -> Result<Option<(Card, AttemptId)>, StoreError> {
        let mut inner = self.inner.lock().unwrap();
        if let Some(e) = inner.fail_begin.take() {
            return Err(e);
        }
        let busy: Vec<String> = inner
            .attempts
            .iter()
            .filter(|a| a.status == AttemptStatus::InFlight)
            .map(|a| a.card_number.clone())
            .collect();
        let Some(card) = inner
            .cards
            .iter()
            .find(|c| c.state == CardState::InProduction && !busy.contains(&c.number))
            .cloned()
        else {
            return Ok(None);
        };
        let id = inner.attempts.len() as i64 + 1;
        inner.attempts.push(Attempt {
            id,
            card_id: card.id,
            card_number: card.number.clone(),
            order_id,
            station: station.into(),
            run_id: Some(run),
            status: AttemptStatus::InFlight,
            chip_id: None,
            reason: None,
            key_ids: None,
            started_at: "now".into(),
            finished_at: None,
            steps: vec![],
        });
        Ok(Some((card, id)))
    }
    fn begin_attempt_for(
        &self,
        _: RunId,
        _: OrderId,
        _: &str,
        _: &str,
        _: &Actor,
    ) -> Result<Option<(Card, AttemptId)>, StoreError> {
        unimplemented!()
    }
    fn begin_released_attempt(
        &self,
        run: RunId,
        station: &str,
        skip: &[OrderId],
        actor: &Actor,
    ) -> Result<Option<(Card, AttemptId)>, StoreError> {
        if skip.contains(&1) {
            return Ok(None);
        }
        let begun = self.begin_attempt(run, 1, station, actor)?;
        let mut inner = self.inner.lock().unwrap();
        if begun.is_some() && std::mem::take(&mut inner.lose_begin_reply) {
            return Err(StoreError::Unavailable {
                operation: "taking the next card".into(),
                detail: "connection reset by peer".into(),
            });
        }
        Ok(begun)
    }
    fn begin_released_attempts(
        &self,
        run: RunId,
        stations: &[&str],
        actor: &Actor,
    ) -> Result<Vec<Option<(Card, AttemptId)>>, StoreError> {
        let takes = {
            let mut inner = self.inner.lock().unwrap();
            inner.claim_groups.push(stations.len());
            let n = inner.claim_groups.len();
            if inner.fail_group.as_ref().is_some_and(|(k, _)| *k == n) {
                return Err(inner.fail_group.take().unwrap().1);
            }
            if n == 1 {
                inner.first_group_takes
            } else {
                std::time::Duration::ZERO
            }
        };
        std::thread::sleep(takes);
        stations
            .iter()
            .map(|s| self.begin_released_attempt(run, s, &[], actor))
            .collect()
    }
    fn released_orders(&self) -> Result<Vec<OrderId>, StoreError> {
        Ok(vec![1])
    }
    fn requeue_untouched(&self, _: &Actor) -> Result<Vec<Attempt>, StoreError> {
        Ok(Vec::new())
    }
    fn runs(&self, _: bool) -> Result<Vec<Run>, StoreError> {
        Ok(Vec::new())
    }
    fn station_claims(&self) -> Result<Vec<StationClaim>, StoreError> {
        Ok(Vec::new())
    }
    fn report_printer(
        &self,
        _: RunId,
        station: &str,
        report: &crate::printer_report::PrinterReport,
    ) -> Result<bool, StoreError> {
        let mut inner = self.inner.lock().unwrap();
        inner
            .printer_reports
            .push((station.to_string(), report.clone()));
        Ok(true)
    }
    fn wait_for_work(&self, _: std::time::Duration) {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    fn register_key(&self, kind: &str, key_id: &str, _: &Actor) -> Result<bool, StoreError> {
        let mut inner = self.inner.lock().unwrap();
        match inner.keys.iter().find(|(k, _)| k == kind) {
            Some((_, id)) => {
                crate::store::check_registered_key(kind, key_id, (id.clone(), "now".into()))
                    .map(|()| false)
            }
            None => {
                inner.keys.push((kind.into(), key_id.into()));
                Ok(true)
            }
        }
    }
    fn journal(&self, attempt: AttemptId, records: &[JournalRecord<'_>]) -> Result<(), StoreError> {
        let mut inner = self.inner.lock().unwrap();
        if let Some((after, calls)) = inner.outage_after_commits
            && inner.journal_commits == after
        {
            inner.journal_outage = calls;
            inner.outage_after_commits = None;
        }
        if inner.journal_outage > 0 {
            inner.journal_outage -= 1;
            return Err(StoreError::Unavailable {
                operation: "journaling a step".into(),
                detail: "connection refused".into(),
            });
        }
        inner.journal_commits += 1;
        let a = inner.attempts.iter_mut().find(|a| a.id == attempt).unwrap();
        for r in records {
            match *r {
                JournalRecord::StepStarted(step) => a.steps.push(StepRecord {
                    step,
                    started_at: "now".into(),
                    finished_at: None,
                    outcome: None,
                }),
                JournalRecord::StepFinished(step, error) => {
                    let s = a
                        .steps
                        .iter_mut()
                        .rev()
                        .find(|s| s.step == step && s.finished_at.is_none())
                        .expect("intent journaled before outcome");
                    s.finished_at = Some("now".into());
                    s.outcome = Some(error.unwrap_or("ok").to_string());
                }
                JournalRecord::Chip(chip) => a.chip_id = Some(chip.into()),
                JournalRecord::Keys(keys) => a.key_ids = Some(keys.to_text()),
            }
        }
        Ok(())
    }
    fn attempt_succeeded(
        &self,
        attempt: AttemptId,
        success: &AttemptSuccess,
        _: &Actor,
    ) -> Result<Card, StoreError> {
        self.inner
            .lock()
            .unwrap()
            .successes
            .push((attempt, success.clone()));
        Ok(self.close(
            attempt,
            AttemptStatus::Succeeded,
            None,
            CardState::Unassigned,
        ))
    }
    fn attempt_failed(
        &self,
        attempt: AttemptId,
        reason: &str,
        _: &Actor,
    ) -> Result<Card, StoreError> {
        Ok(self.close(
            attempt,
            AttemptStatus::Failed,
            Some(reason),
            CardState::Failed,
        ))
    }
    fn attempt_voided(
        &self,
        attempt: AttemptId,
        reason: &str,
        _: &Actor,
    ) -> Result<Card, StoreError> {
        Ok(self.close(
            attempt,
            AttemptStatus::Void,
            Some(reason),
            CardState::InProduction,
        ))
    }
    fn attempt_lost(
        &self,
        attempt: AttemptId,
        reason: &str,
        actor: &Actor,
    ) -> Result<Card, StoreError> {
        self.attempt_voided(attempt, reason, actor)
    }
    fn card_of_attempt(&self, attempt: AttemptId) -> Result<Card, StoreError> {
        let inner = self.inner.lock().unwrap();
        let a = inner.attempts.iter().find(|a| a.id == attempt).unwrap();
        Ok(inner
            .cards
            .iter()
            .find(|c| c.number == a.card_number)
            .unwrap()
            .clone())
    }
    fn in_flight_attempts(&self) -> Result<Vec<Attempt>, StoreError> {
        let inner = self.inner.lock().unwrap();
        Ok(inner
            .attempts
            .iter()
            .filter(|a| a.status == AttemptStatus::InFlight)
            .cloned()
            .collect())
    }
    fn waiting_cards(&self, _: OrderId) -> Result<u64, StoreError> {
        let inner = self.inner.lock().unwrap();
        let busy: Vec<&str> = inner
            .attempts
            .iter()
            .filter(|a| a.status == AttemptStatus::InFlight)
            .map(|a| a.card_number.as_str())
            .collect();
        Ok(inner
            .cards
            .iter()
            .filter(|c| c.state == CardState::InProduction && !busy.contains(&c.number.as_str()))
            .count() as u64)
    }
    fn order_state(&self, _: OrderId) -> Result<OrderState, StoreError> {
        Ok(OrderState::Open)
    }
}

impl MemoryStore {
    /// One card by number.
    pub fn card(&self, number: &str) -> Card {
        let inner = self.inner.lock().unwrap();
        inner
            .cards
            .iter()
            .find(|c| c.number == number)
            .unwrap()
            .clone()
    }

    /// Attempts of one card, oldest first.
    pub fn attempts_of_card(&self, number: &str) -> Vec<Attempt> {
        let inner = self.inner.lock().unwrap();
        inner
            .attempts
            .iter()
            .filter(|a| a.card_number == number)
            .cloned()
            .collect()
    }
}
