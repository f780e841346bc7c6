//! The printer's mechanics: feeding, parking, printing, ejecting and rejecting a card, with
//! their durations and the faults that can stop them. Each action returns `Err(reply)` with the
//! fault reply the printer gives (docs/printer-driver.md fault table).

use std::time::Duration;

use cardline_device::JobPhase;

use super::SimPrinter;
use super::output::{PrintedCard, PrintedSide};
use super::replies::{
    ERR_BUSY, ERR_CARD_JAM, ERR_COVER_OPEN, ERR_FEEDER_EMPTY, ERR_FEEDER_JAM, ERR_HEAD_TEMP,
    ERR_REJECT_BOX_FULL, ERR_RIB_DETECTION, ERR_RIBBON_END,
};
use crate::faults::ScriptedFault;

/// A ribbon in the printer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RibbonLoad {
    /// Ribbon type as the printer names it (`ymcko`, `ko`, `k` …).
    pub kind: String,
    /// Prints on a fresh ribbon (`Rrt;qty`).
    pub capacity: u32,
    /// Prints left (`Rrt;count`).
    pub remaining: u32,
    /// Sales zone code (`Rrt;zone`).
    pub zone: String,
}

impl RibbonLoad {
    /// A fresh YMCKO ribbon, 200 prints.
    pub fn ymcko() -> Self {
        Self::fresh("ymcko", 200)
    }

    /// A fresh ribbon of `kind` with `capacity` prints.
    pub fn fresh(kind: &str, capacity: u32) -> Self {
        Self {
            kind: kind.into(),
            capacity,
            remaining: capacity,
            zone: "F616".into(),
        }
    }
}

/// Where the card inside the printer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimCardPosition {
    /// Moving (the current motion has not finished on the clock).
    InTransit,
    /// At the print position.
    PrintPosition,
    /// Parked at the smart-card contact station.
    ContactStation,
    /// Parked at the contactless station.
    ContactlessStation,
    /// Stuck after a jam in the given phase.
    Jammed(JobPhase),
}

/// Life counters (`Rco`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Cards taken from the feeder.
    pub cards_fed: u32,
    /// Cards printed (all sides done).
    pub cards_printed: u32,
    /// Cards ejected to the output hopper.
    pub cards_ejected: u32,
    /// Cards moved to the reject box.
    pub cards_rejected: u32,
    /// Panels printed.
    pub panels_printed: u32,
    /// Print jobs (`Ss`…`Se`) finished.
    pub jobs: u32,
    /// Cleaning cycles run.
    pub cleanings: u32,
    /// Jams.
    pub jams: u32,
}

/// The card inside the printer.
#[derive(Clone, Debug)]
pub(super) struct CardInPrinter {
    pub number: u32,
    pub at: SimCardPosition,
    /// Clock time at which the current motion ends.
    pub arrives_at: Duration,
}

/// Which side downloads go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Side {
    Recto,
    Verso,
}

/// An open `Ss` … `Se` sequence.
#[derive(Clone, Debug)]
pub(super) struct Sequence {
    pub side: Side,
    pub recto: PrintedSide,
    pub verso: PrintedSide,
}

impl Sequence {
    pub fn new() -> Self {
        Self {
            side: Side::Recto,
            recto: PrintedSide::default(),
            verso: PrintedSide::default(),
        }
    }

    pub fn current(&mut self) -> &mut PrintedSide {
        match self.side {
            Side::Recto => &mut self.recto,
            Side::Verso => &mut self.verso,
        }
    }
}

/// The fault reply a printer gives, as an action's error.
pub(super) type Fault = &'static str;

fn jam_reply(phase: JobPhase) -> Fault {
    if phase == JobPhase::Feeding {
        ERR_FEEDER_JAM
    } else {
        ERR_CARD_JAM
    }
}

impl SimPrinter {
    pub(super) fn position_of(&self, c: &CardInPrinter) -> SimCardPosition {
        match c.at {
            SimCardPosition::Jammed(_) => c.at,
            _ if c.arrives_at > self.clock.now() => SimCardPosition::InTransit,
            at => at,
        }
    }

    /// The fault reply a jammed card gives to any question about it.
    pub(super) fn jammed(&self) -> Option<Fault> {
        match self.card.as_ref()?.at {
            SimCardPosition::Jammed(phase) => Some(jam_reply(phase)),
            _ => None,
        }
    }

    /// Common checks before a mechanical action; waits for the previous motion to finish
    /// (the printer processes one command at a time).
    pub(super) fn begin_action(&mut self, allow_jammed: bool) -> Result<(), Fault> {
        if self.cover_open {
            return Err(ERR_COVER_OPEN);
        }
        if !allow_jammed && let Some(j) = self.jammed() {
            return Err(j);
        }
        if self.rng.chance(self.config.faults.rates.busy_per_action) {
            return Err(ERR_BUSY);
        }
        let now = self.clock.now();
        if self.busy_until > now {
            self.clock.sleep(self.busy_until - now);
        }
        Ok(())
    }

    /// Spends a simulated phase; returns the clock time at which it ends.
    fn spend(&mut self, phase: Duration) -> Duration {
        self.simulated_time += phase;
        let start = self.busy_until.max(self.clock.now());
        self.busy_until = start + self.config.time.on_clock(phase);
        self.busy_until
    }

    /// True (and the fault consumed) when a scripted jam is due for `card` in `phase`.
    fn jam_due(&mut self, card: u32, phase: JobPhase) -> bool {
        let due = self
            .scripted
            .iter()
            .position(|f| *f == ScriptedFault::Jam { card, phase });
        if let Some(i) = due {
            self.scripted.remove(i);
            return true;
        }
        false
    }

    fn jam(&mut self, phase: JobPhase) -> Fault {
        if let Some(c) = &mut self.card {
            c.at = SimCardPosition::Jammed(phase);
        }
        self.sequence = None;
        self.counters.jams += 1;
        tracing::debug!("simulated jam while {phase}");
        jam_reply(phase)
    }

    /// Takes a blank card from the feeder to the print position.
    pub(super) fn feed_card(&mut self) -> Result<(), Fault> {
        if self.feeder == 0 {
            return Err(ERR_FEEDER_EMPTY);
        }
        let number = self.counters.cards_fed + 1;
        let cover = self
            .scripted
            .iter()
            .position(|f| matches!(f, ScriptedFault::CoverOpens { card, .. } if *card == number));
        if let Some(i) = cover {
            if let ScriptedFault::CoverOpens {
                close_after_polls, ..
            } = self.scripted.remove(i)
            {
                self.cover_open = true;
                self.cover_closes_after = close_after_polls;
            }
            return Err(ERR_COVER_OPEN);
        }
        let rates = self.config.faults.rates.clone();
        if self.rng.chance(rates.cover_open_per_card) {
            self.cover_open = true;
            self.cover_closes_after = Some(3);
            return Err(ERR_COVER_OPEN);
        }
        if self.rng.chance(rates.jam_per_card) {
            let phase = [JobPhase::Feeding, JobPhase::Printing, JobPhase::Ejecting]
                [self.rng.below(3) as usize];
            self.scripted.push(ScriptedFault::Jam {
                card: number,
                phase,
            });
        }
        self.feeder -= 1;
        self.counters.cards_fed = number;
        let arrives_at = self.spend(self.config.time.phases.feed);
        self.card = Some(CardInPrinter {
            number,
            at: SimCardPosition::PrintPosition,
            arrives_at,
        });
        if self.jam_due(number, JobPhase::Feeding) {
            return Err(self.jam(JobPhase::Feeding));
        }
        Ok(())
    }

    /// Moves the card inside (feeding one if none) to `to`.
    pub(super) fn move_card(&mut self, to: SimCardPosition) -> Result<(), Fault> {
        if self.card.is_none() {
            self.feed_card()?;
        }
        let number = self.card.as_ref().map_or(0, |c| c.number);
        let from = self.card.as_ref().map(|c| c.at);
        if from == Some(to) {
            return Ok(());
        }
        if self.jam_due(number, JobPhase::Parking) {
            return Err(self.jam(JobPhase::Parking));
        }
        let arrives_at = self.spend(self.config.time.phases.park);
        if let Some(c) = &mut self.card {
            c.at = to;
            c.arrives_at = arrives_at;
        }
        Ok(())
    }

    /// Prints the sequence on the card (feeding or fetching it first); ejects it unless
    /// `Pneab;E` asked to keep it.
    pub(super) fn print_sequence(&mut self, seq: Sequence) -> Result<(), Fault> {
        if self.ribbon.is_none() {
            return Err(ERR_RIB_DETECTION);
        }
        self.move_card(SimCardPosition::PrintPosition)?;
        let number = self.card.as_ref().map_or(0, |c| c.number);
        let head_temp = self
            .scripted
            .iter()
            .position(|f| *f == ScriptedFault::HeadTemp { card: number });
        if let Some(i) = head_temp {
            self.scripted.remove(i);
            return Err(ERR_HEAD_TEMP);
        }
        let Sequence { recto, verso, .. } = seq;
        let sides: Vec<(PrintedSide, bool)> = [(recto, false), (verso, true)]
            .into_iter()
            .filter(|(s, back)| !back || !s.is_empty())
            .collect();
        let mut done = Vec::new();
        for (side, back) in sides {
            if side.is_empty() {
                done.push(side);
                continue;
            }
            let ribbon = self.ribbon.as_mut().ok_or(ERR_RIB_DETECTION)?;
            if ribbon.remaining == 0 {
                return Err(ERR_RIBBON_END);
            }
            if back {
                self.spend(self.config.time.phases.flip);
            }
            if self.jam_due(number, JobPhase::Printing) {
                return Err(self.jam(JobPhase::Printing));
            }
            if let Some(r) = &mut self.ribbon {
                r.remaining -= 1;
            }
            let phases = self.config.time.phases.clone();
            let colour = side.color_panel_count() as u32;
            let mono = side.panel_count() as u32 - colour;
            let arrives_at = self.spend(phases.color_panel * colour + phases.mono_panel * mono);
            if let Some(c) = &mut self.card {
                c.arrives_at = arrives_at;
            }
            self.counters.panels_printed += side.panel_count() as u32;
            done.push(side);
        }
        self.counters.cards_printed += 1;
        self.counters.jobs += 1;
        let mut sides = done.into_iter();
        let front = sides.next().unwrap_or_default();
        let back = sides.next();
        self.record_printed(number, front, back);
        if self.auto_eject {
            self.eject_card()?;
        }
        Ok(())
    }

    fn record_printed(&mut self, card_number: u32, front: PrintedSide, back: Option<PrintedSide>) {
        let job = self.counters.jobs;
        let png_files = self.write_pngs(job, card_number, &front, back.as_ref());
        let keep = self.config.keep_printed;
        if keep == 0 {
            self.printed.clear();
            return;
        }
        if self.printed.len() >= keep {
            self.printed.drain(..=self.printed.len() - keep);
        }
        self.printed.push(PrintedCard {
            job,
            card_number,
            front,
            back,
            png_files,
        });
    }

    /// Ejects the card inside to the output hopper (nothing to do without a card).
    pub(super) fn eject_card(&mut self) -> Result<(), Fault> {
        let Some(number) = self.card.as_ref().map(|c| c.number) else {
            return Ok(());
        };
        if self.jam_due(number, JobPhase::Ejecting) {
            return Err(self.jam(JobPhase::Ejecting));
        }
        self.spend(self.config.time.phases.eject);
        self.card = None;
        self.counters.cards_ejected += 1;
        Ok(())
    }

    /// Moves the card inside (jammed or not) to the reject box.
    pub(super) fn reject_card(&mut self) -> Result<(), Fault> {
        let Some(number) = self.card.as_ref().map(|c| c.number) else {
            return Ok(());
        };
        if self.reject_box >= self.config.reject_box_capacity {
            return Err(ERR_REJECT_BOX_FULL);
        }
        if self.jam_due(number, JobPhase::Rejecting) {
            return Err(self.jam(JobPhase::Rejecting));
        }
        self.spend(self.config.time.phases.reject);
        self.card = None;
        self.sequence = None;
        self.reject_box += 1;
        self.counters.cards_rejected += 1;
        Ok(())
    }

    /// Opening the cover aborts a job in progress (the card stays where it is).
    pub(super) fn abort_sequence_on_open(&mut self) {
        self.sequence = None;
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
