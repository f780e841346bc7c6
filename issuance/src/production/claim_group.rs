//! The claims of a desk's stations that want a card at the same moment, made in one store
//! transaction ([`ProductionJournal::begin_released_attempts`]): when an order is released,
//! every idle station of a desk wakes at once, and eight claims become one or two.
//!
//! Group commit without a fixed timer: the first station to ask claims for itself and for
//! every station that asked before it started; stations that ask meanwhile wait, and the
//! first of them claims for all of them next. Stations that woke together (an order was
//! released, a card put back) and have not asked yet — each reads its pause and its printer
//! first — are waited for, at most [`GATHER`]: the desk's first claims after a release are
//! one transaction, not one for the fastest station and a second for the others.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::model::{AttemptId, Card, RunId};
use crate::store::{Actor, ProductionJournal, StoreError};

/// How long the station claiming for a group waits for the stations that woke with it and
/// have not asked yet (a station that reads a pause or a printer that does not answer must
/// not hold the others up for longer).
pub(super) const GATHER: Duration = Duration::from_millis(40);

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
pub(super) struct ClaimGroup {
    state: Mutex<State>,
    done: Condvar,
    /// [`GATHER`], longer in tests on a busy machine.
    gather: Duration,
}

impl Default for ClaimGroup {
    fn default() -> Self {
        ClaimGroup {
            state: Mutex::default(),
            done: Condvar::new(),
            gather: GATHER,
        }
    }
}

#[derive(Default)]
struct State {
    /// Stations that asked and wait for the next group.
    asking: Vec<String>,
    /// A station is claiming for a group now.
    claiming: bool,
    /// Stations that woke from waiting for work and have neither asked nor said they will not.
    waking: usize,
    /// Outcomes not yet picked up, by station.
    outcomes: HashMap<String, Outcome>,
}

impl ClaimGroup {
    /// A group that waits up to `gather` for the stations that woke.
    #[cfg(test)]
    pub(super) fn gathering_for(gather: Duration) -> ClaimGroup {
        ClaimGroup {
            gather,
            ..ClaimGroup::default()
        }
    }

    /// A station woke from waiting for work: it will ask in a moment
    /// ([`claim`](Self::claim) with `woke`), or say it will not ([`not_asking`](Self::not_asking)).
    pub(super) fn waking(&self) {
        self.state.lock().expect("claim group").waking += 1;
    }

    /// A station that woke will not ask this time (paused, printer not ready, leaving orders
    /// aside): the group no longer waits for it.
    pub(super) fn not_asking(&self) {
        let mut state = self.state.lock().expect("claim group");
        state.waking = state.waking.saturating_sub(1);
        self.done.notify_all();
    }

    /// The next waiting card of the released orders for `station`, claimed with the other
    /// stations of the desk asking at the same moment; `woke`: the station announced itself
    /// with [`waking`](Self::waking).
    pub(super) fn claim(
        &self,
        journal: &dyn ProductionJournal,
        run: RunId,
        station: &str,
        actor: &Actor,
        woke: bool,
    ) -> Claim {
        let mut state = self.state.lock().expect("claim group");
        state.asking.push(station.to_string());
        if woke {
            state.waking = state.waking.saturating_sub(1);
            self.done.notify_all();
        }
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
            let until = Instant::now() + self.gather;
            while state.waking > 0 {
                let now = Instant::now();
                if now >= until {
                    break;
                }
                state = self
                    .done
                    .wait_timeout(state, until - now)
                    .expect("claim group")
                    .0;
            }
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
