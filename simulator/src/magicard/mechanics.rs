//! The Magicard's mechanics: hopper → standby → contacts or print position → output hopper or
//! reject box, with the phase durations of [`crate::clock`] and the faults that stop them. Each
//! action returns `Err(code)` with the §5 error code the device answers.
//!
//! Actions finish before the device replies (the contract's "`OK` when it is there"): the
//! device sleeps on its clock for the phase (nothing at time scale 0) and accounts the
//! simulated time.

use std::time::Duration;

use cardline_device::JobPhase;

use super::replies::ErrorCode;
use super::{MagicardFault, SimMagicard};

/// Where the card inside the printer is (`STA,POS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MagicardPosition {
    /// Inside, before the head, ready to print or to go to the contacts.
    Standby,
    /// At the smart-card contacts, lowered: the chip can be reached.
    Contacts,
    /// At the print position after a print job.
    Print,
}

impl MagicardPosition {
    /// The `STA,POS` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standby => "STANDBY",
            Self::Contacts => "CONTACTS",
            Self::Print => "PRINT",
        }
    }
}

/// How a card got stuck.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Jam {
    /// In the card path (1026).
    Card,
    /// In the flipper (1027).
    Flipper,
}

/// The card inside the printer.
#[derive(Clone, Debug)]
pub(super) struct CardInside {
    pub number: u32,
    pub at: MagicardPosition,
    pub jam: Option<Jam>,
}

impl SimMagicard {
    /// The code `STA,ERR` answers: a jam, else the last failed action's code while its cause
    /// lasts, else an open cover, else the cleaning warning.
    pub(super) fn current_error(&self) -> Option<ErrorCode> {
        match self.card.as_ref().and_then(|c| c.jam) {
            Some(Jam::Card) => return Some(ErrorCode::CardJam),
            Some(Jam::Flipper) => return Some(ErrorCode::FlipperJam),
            None => {}
        }
        let still = |code: ErrorCode| match code {
            ErrorCode::CoverOpen => self.cover_open,
            ErrorCode::HopperEmpty => self.hopper == 0,
            ErrorCode::DyeFilmOut => self.ribbon.as_ref().is_some_and(|r| r.remaining == 0),
            ErrorCode::DyeFilmMissing => self.ribbon.is_none(),
            ErrorCode::RejectBoxFull => self.reject_box >= self.config.reject_box_capacity,
            ErrorCode::CardJam | ErrorCode::FlipperJam => false,
            _ => true,
        };
        self.latched
            .filter(|c| still(*c))
            .or(self.cover_open.then_some(ErrorCode::CoverOpen))
            .or(self.cleaning_overdue.then_some(ErrorCode::CleaningOverdue))
    }

    /// Runs an action: remembers its error code for `STA,ERR`, or clears the last one.
    pub(super) fn act(
        &mut self,
        action: impl FnOnce(&mut Self) -> Result<(), ErrorCode>,
    ) -> String {
        match action(self) {
            Ok(()) => {
                self.latched = None;
                super::replies::OK.into()
            }
            Err(code) => {
                tracing::debug!("magicard: action failed with {}", code.code());
                self.latched = Some(code);
                code.reply()
            }
        }
    }

    /// Checks common to every mechanical action: the cover, a jammed card.
    pub(super) fn ready(&self, allow_jammed: bool) -> Result<(), ErrorCode> {
        if self.cover_open {
            return Err(ErrorCode::CoverOpen);
        }
        match self.card.as_ref().and_then(|c| c.jam) {
            Some(Jam::Card) if !allow_jammed => Err(ErrorCode::CardJam),
            Some(Jam::Flipper) if !allow_jammed => Err(ErrorCode::FlipperJam),
            _ => Ok(()),
        }
    }

    /// Spends a mechanical phase: simulated time, and clock time at the configured scale.
    pub(super) fn spend(&mut self, phase: Duration) {
        self.simulated_time += phase;
        self.clock.sleep(self.config.time.on_clock(phase));
    }

    /// Removes and reports a scripted fault matching `hit`.
    pub(super) fn take_fault(&mut self, hit: impl Fn(&MagicardFault) -> bool) -> bool {
        match self.scripted.iter().position(hit) {
            Some(i) => {
                self.scripted.remove(i);
                true
            }
            None => false,
        }
    }

    /// Jams the card inside when a jam is scripted for it in `phase`.
    pub(super) fn jam_if_due(&mut self, phase: JobPhase) -> Result<(), ErrorCode> {
        let Some(card) = self.card.as_ref().map(|c| c.number) else {
            return Ok(());
        };
        if !self.take_fault(|f| *f == MagicardFault::Jam { card, phase }) {
            return Ok(());
        }
        self.jam(Jam::Card);
        tracing::debug!("simulated jam of card {card} while {phase}");
        Err(ErrorCode::CardJam)
    }

    pub(super) fn jam(&mut self, kind: Jam) {
        if let Some(c) = &mut self.card {
            c.jam = Some(kind);
        }
        self.counters.jams += 1;
    }

    /// `FEED1`: a blank from the hopper to standby (nothing to do with a card inside).
    pub(super) fn feed_card(&mut self) -> Result<(), ErrorCode> {
        self.ready(false)?;
        if self.card.is_some() {
            return Ok(());
        }
        if self.hopper == 0 {
            return Err(ErrorCode::HopperEmpty);
        }
        let number = self.counters.cards_fed + 1;
        let rates = self.config.faults.rates.clone();
        let scripted = self
            .scripted
            .iter()
            .position(|f| matches!(f, MagicardFault::CoverOpens { card, .. } if *card == number));
        let cover = match scripted.map(|i| self.scripted.remove(i)) {
            Some(MagicardFault::CoverOpens {
                close_after_polls, ..
            }) => Some(close_after_polls),
            _ if self.rng.chance(rates.cover_open_per_card) => Some(Some(3)),
            _ => None,
        };
        if let Some(closes_after) = cover {
            self.cover_open = true;
            self.cover_closes_after = closes_after;
            return Err(ErrorCode::CoverOpen);
        }
        if self.rng.chance(rates.jam_per_card) {
            let phase = [JobPhase::Feeding, JobPhase::Printing, JobPhase::Ejecting]
                [self.rng.below(3) as usize];
            self.scripted.push(MagicardFault::Jam {
                card: number,
                phase,
            });
        }
        self.hopper -= 1;
        self.counters.cards_fed = number;
        self.spend(self.config.time.phases.feed);
        self.card = Some(CardInside {
            number,
            at: MagicardPosition::Standby,
            jam: None,
        });
        self.jam_if_due(JobPhase::Feeding)
    }

    /// `CHPDOWN`: the card in standby (fed first if none) to the contacts, lowered.
    pub(super) fn lower_contacts(&mut self) -> Result<(), ErrorCode> {
        self.feed_card()?;
        let Some(card) = self.card.as_ref().map(|c| c.number) else {
            return Ok(());
        };
        if self
            .card
            .as_ref()
            .is_some_and(|c| c.at == MagicardPosition::Contacts)
        {
            return Ok(());
        }
        self.jam_if_due(JobPhase::Parking)?;
        self.spend(self.config.time.phases.park);
        if self.take_fault(|f| *f == MagicardFault::ContactsFail { card }) {
            return Err(ErrorCode::ContactsFailed);
        }
        if let Some(c) = &mut self.card {
            c.at = MagicardPosition::Contacts;
        }
        Ok(())
    }

    /// `CHPUP`: lifts the contacts; the card goes back to standby (nothing to do elsewhere).
    pub(super) fn lift_contacts(&mut self) -> Result<(), ErrorCode> {
        self.ready(false)?;
        if self
            .card
            .as_ref()
            .is_some_and(|c| c.at == MagicardPosition::Contacts)
        {
            self.spend(self.config.time.phases.park);
            if let Some(c) = &mut self.card {
                c.at = MagicardPosition::Standby;
            }
        }
        Ok(())
    }

    /// `EJT`: the card inside to the output hopper.
    pub(super) fn eject_card(&mut self) -> Result<(), ErrorCode> {
        self.ready(false)?;
        if self.card.is_none() {
            return Ok(());
        }
        self.jam_if_due(JobPhase::Ejecting)?;
        self.spend(self.config.time.phases.eject);
        self.card = None;
        self.counters.cards_ejected += 1;
        Ok(())
    }

    /// `RJT`: the card inside, jammed or not, to the reject box.
    pub(super) fn reject_card(&mut self) -> Result<(), ErrorCode> {
        self.ready(true)?;
        if self.card.is_none() {
            return Ok(());
        }
        if self.reject_box >= self.config.reject_box_capacity {
            return Err(ErrorCode::RejectBoxFull);
        }
        self.jam_if_due(JobPhase::Rejecting)?;
        self.spend(self.config.time.phases.reject);
        self.card = None;
        self.reject_box += 1;
        self.counters.cards_rejected += 1;
        Ok(())
    }

    /// Counts a status query towards a scripted cover close.
    pub(super) fn count_status_poll(&mut self) {
        if !self.cover_open {
            return;
        }
        if let Some(n) = &mut self.cover_closes_after {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.cover_open = false;
                self.cover_closes_after = None;
            }
        }
    }
}
