//! The claims of a desk's stations that want a card at the same moment, made in one store
//! transaction ([`ProductionJournal::begin_released_attempts`]): when an order is released,
//! every idle station of a desk wakes at once, and eight claims become one or two.
//!
//! Group commit without a timer: the first station to ask claims for itself and for every
//! station that asked before it started; stations that ask meanwhile wait, and the first of
//! them claims for all of them next.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

use crate::model::{AttemptId, Card, RunId};
use crate::store::{Actor, ProductionJournal, StoreError};

/// What a station's claim came to.
type Claim = Result<Option<(Card, AttemptId)>, StoreError>;

/// What a waiting station finds when its group's claim is over.
enum Outcome {
    Claimed(Box<Claim>),
    /// The group was refused for a reason that may not be this station's (another station
    /// of the group is not held by the run): nothing was claimed, claim alone.
    Alone,
}

/// The claims of one desk's stations (shared by their threads).
#[derive(Default)]
pub(super) struct ClaimGroup {
    state: Mutex<State>,
    done: Condvar,
}

#[derive(Default)]
struct State {
    /// Stations that asked and wait for the next group.
    asking: Vec<String>,
    /// A station is claiming for a group now.
    claiming: bool,
    /// Outcomes not yet picked up, by station.
    outcomes: HashMap<String, Outcome>,
}

impl ClaimGroup {
    /// The next waiting card of the released orders for `station`, claimed with the other
    /// stations of the desk asking at the same moment.
    pub(super) fn claim(
        &self,
        journal: &dyn ProductionJournal,
        run: RunId,
        station: &str,
        actor: &Actor,
    ) -> Claim {
        let mut state = self.state.lock().expect("claim group");
        state.asking.push(station.to_string());
        loop {
            match state.outcomes.remove(station) {
                Some(Outcome::Claimed(claim)) => return *claim,
                Some(Outcome::Alone) => {
                    drop(state);
                    return journal.begin_released_attempt(run, station, &[], actor);
                }
                None => {}
            }
            if state.claiming {
                state = self.done.wait(state).expect("claim group");
                continue;
            }
            state.claiming = true;
            let group = std::mem::take(&mut state.asking);
            drop(state);
            let names: Vec<&str> = group.iter().map(String::as_str).collect();
            let claimed = journal.begin_released_attempts(run, &names, actor);
            state = self.state.lock().expect("claim group");
            match claimed {
                Ok(claims) => {
                    for (name, claim) in group.into_iter().zip(claims) {
                        state
                            .outcomes
                            .insert(name, Outcome::Claimed(Box::new(Ok(claim))));
                    }
                }
                Err(e) => {
                    // A lost connection may have lost the commit's reply, not the commit: every
                    // station of the group settles what it may hold (the caller's store-error
                    // path). Any other refusal claimed nothing: each station claims alone.
                    let transient = e.is_transient();
                    let text = e.to_string();
                    let mut first = Some(e);
                    for name in group {
                        let outcome = if name == station {
                            Outcome::Claimed(Box::new(Err(first.take().expect("one error"))))
                        } else if transient {
                            Outcome::Claimed(Box::new(Err(StoreError::Unavailable {
                                operation: "starting production attempts".into(),
                                detail: format!("claiming with the desk's other stations: {text}"),
                            })))
                        } else {
                            Outcome::Alone
                        };
                        state.outcomes.insert(name, outcome);
                    }
                }
            }
            state.claiming = false;
            self.done.notify_all();
        }
    }
}
