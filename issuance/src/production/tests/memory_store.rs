//! A minimal in-memory [`Store`] for the orchestrator's unit tests: cards of one order and the
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
    /// Calls of [`Store::journal`] (one transaction each in a real store).
    pub journal_commits: usize,
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

impl Store for MemoryStore {
    fn request_cards(
        &self,
        _: u32,
        _: &crate::numbering::Numbering,
        _: &Actor,
    ) -> Result<Vec<Card>, StoreError> {
        unimplemented!()
    }
    fn card(&self, number: &str) -> Result<Card, StoreError> {
        let inner = self.inner.lock().unwrap();
        inner
            .cards
            .iter()
            .find(|c| c.number == number)
            .cloned()
            .ok_or(StoreError::CardNotFound(number.into()))
    }
    fn list_cards(&self, _: &CardFilter) -> Result<Vec<Card>, StoreError> {
        Ok(self.inner.lock().unwrap().cards.clone())
    }
    fn count_by_state(&self, _: Option<OrderId>) -> Result<Vec<(CardState, u64)>, StoreError> {
        let inner = self.inner.lock().unwrap();
        Ok(CardState::ALL
            .into_iter()
            .map(|s| {
                (
                    s,
                    inner.cards.iter().filter(|c| c.state == s).count() as u64,
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect())
    }
    fn apply_event(
        &self,
        _: &str,
        _: CardEvent,
        _: &EventDetail,
        _: &Actor,
    ) -> Result<Card, StoreError> {
        unimplemented!()
    }
    fn expire_due(&self, _: &str, _: &Actor) -> Result<Vec<Card>, StoreError> {
        unimplemented!()
    }
    fn create_order(&self, _: &OrderSelection, _: &Actor) -> Result<Order, StoreError> {
        unimplemented!()
    }
    fn order(&self, id: OrderId) -> Result<Order, StoreError> {
        Ok(Order {
            id,
            state: OrderState::Open,
            created_by: "test".into(),
            created_at: String::new(),
            closed_at: None,
            cards: self.inner.lock().unwrap().cards.clone(),
        })
    }
    fn list_orders(&self) -> Result<Vec<Order>, StoreError> {
        unimplemented!()
    }
    fn cancel_order(&self, _: OrderId, _: &Actor) -> Result<Order, StoreError> {
        unimplemented!()
    }
    fn complete_order(&self, _: OrderId, _: &Actor) -> Result<Order, StoreError> {
        unimplemented!()
    }
    fn repeat_order(&self, _: OrderId, _: &[String], _: &Actor) -> Result<Vec<Card>, StoreError> {
        unimplemented!()
    }
    fn begin_attempt(
        &self,
        order_id: OrderId,
        station: &str,
        _: &Actor,
    ) -> Result<Option<(Card, AttemptId)>, StoreError> {
        let mut inner = self.inner.lock().unwrap();
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
            status: AttemptStatus::InFlight,
            chip_id: None,
            reason: None,
            started_at: "now".into(),
            finished_at: None,
            steps: vec![],
        });
        Ok(Some((card, id)))
    }
    fn journal(&self, attempt: AttemptId, records: &[JournalRecord<'_>]) -> Result<(), StoreError> {
        let mut inner = self.inner.lock().unwrap();
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
    fn in_flight_attempts(&self) -> Result<Vec<Attempt>, StoreError> {
        let inner = self.inner.lock().unwrap();
        Ok(inner
            .attempts
            .iter()
            .filter(|a| a.status == AttemptStatus::InFlight)
            .cloned()
            .collect())
    }
    fn attempts_of_card(&self, number: &str) -> Result<Vec<Attempt>, StoreError> {
        let inner = self.inner.lock().unwrap();
        Ok(inner
            .attempts
            .iter()
            .filter(|a| a.card_number == number)
            .cloned()
            .collect())
    }
    fn card_secrets(&self, _: &str) -> Result<Option<SealedSecrets>, StoreError> {
        unimplemented!()
    }
    fn audit_note(
        &self,
        _: &str,
        _: Option<&str>,
        _: Option<OrderId>,
        _: Option<&str>,
        _: &Actor,
    ) -> Result<(), StoreError> {
        Ok(())
    }
    fn audit(&self, _: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        unimplemented!()
    }
}
