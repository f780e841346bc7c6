//! The card state machine, in one place: [`next_state`] is the only function that decides
//! whether a card may change state.
//!
//! ```text
//! requested ──AddToOrder──> in_production ──Produced──> unassigned ──Assign──> assigned
//!     ^  ^                    │   ^   │                   │  ^  │                │ │ │
//!     │  └──CancelFromOrder───┘   │   └─ProductionFailed─> failed                 │ │ └─Expire─> expired
//!     │                           └────────Repeat──────────┘  │  └──Withdraw──────┘ │
//!     └──────────────Release──────────────────────────────────┘   (unassigned/assigned) ─Lock─> locked
//! ```
//! `Repeat` also takes an `unassigned` card the operator flagged as misprinted back to
//! `in_production`, and `CancelFromOrder` returns a `failed` card of a cancelled order to
//! `requested`.

use crate::model::{CardEvent, CardState};

/// A transition the lifecycle does not allow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a card in state `{from}` cannot {}: {}", verb(*.event), hint(*.from, *.event))]
pub struct TransitionError {
    /// The state the card is in.
    pub from: CardState,
    /// The event that was refused.
    pub event: CardEvent,
}

/// The state a card in `from` moves to on `event`, or the typed refusal.
pub fn next_state(from: CardState, event: CardEvent) -> Result<CardState, TransitionError> {
    use CardEvent as E;
    use CardState as S;
    let to = match (from, event) {
        (S::Requested, E::AddToOrder) => S::InProduction,
        (S::InProduction | S::Failed, E::CancelFromOrder) => S::Requested,
        (S::InProduction, E::Produced) => S::Unassigned,
        (S::InProduction, E::ProductionFailed) => S::Failed,
        (S::Failed | S::Unassigned, E::Repeat) => S::InProduction,
        (S::Failed, E::Release) => S::Requested,
        (S::Unassigned, E::Assign) => S::Assigned,
        (S::Assigned, E::Withdraw) => S::Unassigned,
        (S::Unassigned | S::Assigned, E::Lock) => S::Locked,
        (S::Assigned, E::Expire) => S::Expired,
        _ => return Err(TransitionError { from, event }),
    };
    Ok(to)
}

fn verb(e: CardEvent) -> &'static str {
    match e {
        CardEvent::AddToOrder => "be put in an order",
        CardEvent::CancelFromOrder => "be returned to `requested` by a cancel",
        CardEvent::Produced => "be marked produced",
        CardEvent::ProductionFailed => "be marked failed",
        CardEvent::Repeat => "be produced again",
        CardEvent::Release => "be released to `requested`",
        CardEvent::Assign => "be assigned",
        CardEvent::Withdraw => "be withdrawn",
        CardEvent::Lock => "be locked",
        CardEvent::Expire => "expire",
    }
}

fn hint(from: CardState, e: CardEvent) -> &'static str {
    match (from, e) {
        (CardState::Locked | CardState::Expired, _) => "it is final",
        (_, CardEvent::Assign) => "only `unassigned` cards can be assigned",
        (_, CardEvent::Withdraw) => "only `assigned` cards can be withdrawn",
        (_, CardEvent::AddToOrder) => "only `requested` cards can be ordered",
        (_, CardEvent::Repeat) => "only `failed` or misprinted `unassigned` cards can be repeated",
        (_, CardEvent::Expire) => "only `assigned` cards expire",
        (_, CardEvent::Lock) => "only produced cards (`unassigned` or `assigned`) can be locked",
        _ => "not allowed by the card lifecycle",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CardEvent as E;
    use CardState as S;

    /// The complete table: every state × every event, allowed ones with their target.
    fn expected(from: S, e: E) -> Option<S> {
        const TABLE: &[(S, E, S)] = &[
            (S::Requested, E::AddToOrder, S::InProduction),
            (S::InProduction, E::CancelFromOrder, S::Requested),
            (S::Failed, E::CancelFromOrder, S::Requested),
            (S::InProduction, E::Produced, S::Unassigned),
            (S::InProduction, E::ProductionFailed, S::Failed),
            (S::Failed, E::Repeat, S::InProduction),
            (S::Unassigned, E::Repeat, S::InProduction),
            (S::Failed, E::Release, S::Requested),
            (S::Unassigned, E::Assign, S::Assigned),
            (S::Assigned, E::Withdraw, S::Unassigned),
            (S::Unassigned, E::Lock, S::Locked),
            (S::Assigned, E::Lock, S::Locked),
            (S::Assigned, E::Expire, S::Expired),
        ];
        TABLE
            .iter()
            .find(|(f, ev, _)| *f == from && *ev == e)
            .map(|(_, _, t)| *t)
    }

    #[test]
    fn every_state_and_event_is_decided_by_the_table() {
        let mut allowed = 0;
        for from in S::ALL {
            for e in E::ALL {
                match (next_state(from, e), expected(from, e)) {
                    (Ok(to), Some(want)) => {
                        assert_eq!(to, want, "{from} + {e:?}");
                        allowed += 1;
                    }
                    (Err(err), None) => {
                        assert_eq!((err.from, err.event), (from, e));
                        assert!(!err.to_string().is_empty());
                    }
                    (got, want) => panic!("{from} + {e:?}: got {got:?}, want {want:?}"),
                }
            }
        }
        assert_eq!(allowed, 13);
    }

    #[test]
    fn final_states_refuse_everything() {
        for e in E::ALL {
            let err = next_state(S::Locked, e).unwrap_err();
            assert!(err.to_string().contains("final"), "{err}");
            assert!(next_state(S::Expired, e).is_err());
        }
    }

    #[test]
    fn state_names_round_trip() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        assert_eq!(S::parse("nope"), None);
    }
}
