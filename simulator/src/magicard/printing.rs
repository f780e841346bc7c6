//! A print job from the device's side (docs/magicard-protocol.md §4): it prints the card in
//! standby (feeding one first if none is inside) and leaves it at `PRINT`; a `PAG2` job prints
//! the back of the card inside after turning it in the flipper. Answered `PRT,OK` once the last
//! plane is printed, or `ERR,<code>`.

use cardline_device::JobPhase;

use super::mechanics::{Jam, MagicardPosition};
use super::output::{CARD_HEIGHT, CARD_WIDTH, MagicardPrintedCard, MagicardSide};
use super::planes::{InkPlane, PlaneLetter};
use super::replies::{ErrorCode, PRINTED};
use super::stream::ReceivedJob;
use super::{MagicardFault, SimMagicard};
use crate::png_files::{create_unique, write_rgb_png};

impl SimMagicard {
    /// Prints a received job; returns the reply text.
    pub(super) fn print_job(&mut self, job: ReceivedJob) -> String {
        let back = job.header.page == 2;
        let keep_for_back = job.header.duplex && !back;
        match self.print_side(job) {
            Ok(()) => {
                self.latched = None;
                if self.config.eject_after_print && !keep_for_back {
                    // a stock printer's own eject; its fault, if any, is what STA,ERR says next
                    if let Err(code) = self.eject_card() {
                        self.latched = Some(code);
                        return code.reply();
                    }
                }
                PRINTED.into()
            }
            Err(code) => {
                tracing::debug!("magicard: print job failed with {}", code.code());
                self.latched = Some(code);
                code.reply()
            }
        }
    }

    fn print_side(&mut self, job: ReceivedJob) -> Result<(), ErrorCode> {
        self.ready(false)?;
        let ribbon = self.ribbon.as_ref().ok_or(ErrorCode::DyeFilmMissing)?;
        if ribbon.remaining == 0 {
            return Err(ErrorCode::DyeFilmOut);
        }
        self.feed_card()?;
        let card = self.card.as_ref().map_or(0, |c| c.number);
        if self
            .card
            .as_ref()
            .is_some_and(|c| c.at == MagicardPosition::Contacts)
        {
            tracing::debug!("magicard: print job lifts the contacts of card {card}");
            self.lift_contacts()?;
        }
        let rates = self.config.faults.rates.clone();
        if self.take_fault(|f| *f == MagicardFault::HeadTemp { card })
            || self.rng.chance(rates.head_temp_per_job)
        {
            return Err(ErrorCode::HeadTemperature);
        }
        if self.take_fault(|f| *f == MagicardFault::MagVerify { card }) {
            return Err(ErrorCode::MagVerify);
        }
        let back = job.header.page == 2;
        if back {
            self.spend(self.config.time.phases.flip);
            if self.take_fault(|f| *f == MagicardFault::FlipperJam { card }) {
                self.jam(Jam::Flipper);
                return Err(ErrorCode::FlipperJam);
            }
        }
        self.jam_if_due(JobPhase::Printing)?;
        let side = decode(job);
        let phases = self.config.time.phases.clone();
        let colour = side.color_panel_count() as u32;
        let mono = side.panel_count() as u32 - colour;
        self.spend(phases.color_panel * colour + phases.mono_panel * mono);
        if let Some(r) = &mut self.ribbon {
            r.remaining -= 1;
        }
        self.counters.panels_printed += side.panel_count() as u32;
        self.counters.jobs += 1;
        if let Some(c) = &mut self.card {
            c.at = MagicardPosition::Print;
        }
        self.record(card, side, back);
        Ok(())
    }

    /// Keeps the side (with the card's other side when it is the back of the last card) and
    /// writes its PNG.
    fn record(&mut self, card_number: u32, side: MagicardSide, back: bool) {
        let joins_last = back
            && self
                .printed
                .last()
                .is_some_and(|p| p.card_number == card_number && p.back.is_none());
        let job = if joins_last {
            self.printed.last().map_or(0, |p| p.job)
        } else {
            self.counters.cards_printed += 1;
            self.counters.cards_printed
        };
        let png = self.config.png_dir.as_ref().map(|dir| {
            let stems = [MagicardPrintedCard::png_stem(job, back)];
            create_unique(dir, &stems, |_, path| {
                write_rgb_png(path, CARD_WIDTH, CARD_HEIGHT, side.to_rgb())
            })
            .map(|mut files| files.remove(0))
            .map_err(|e| format!("{}: {e}", dir.join(&stems[0]).display()))
        });
        let png_file = match png {
            Some(Ok(path)) => {
                self.note_png(card_number, self.counters.jobs, path.clone(), back);
                Some(path)
            }
            Some(Err(e)) => {
                self.png_errors.push(e);
                None
            }
            None => None,
        };
        if self.config.keep_printed == 0 {
            self.printed.clear();
            return;
        }
        if !joins_last {
            if self.printed.len() >= self.config.keep_printed {
                self.printed
                    .drain(..=self.printed.len() - self.config.keep_printed);
            }
            self.printed.push(MagicardPrintedCard {
                job,
                card_number,
                front: None,
                back: None,
                png_files: Vec::new(),
            });
        }
        let entry = self.printed.last_mut().expect("just pushed or joined");
        entry.png_files.extend(png_file);
        if back {
            entry.back = Some(side);
        } else {
            entry.front = Some(side);
        }
    }
}

/// Decodes a job's planes (their lengths were checked against the header by the parser).
fn decode(job: ReceivedJob) -> MagicardSide {
    let mut side = MagicardSide {
        yellow: None,
        magenta: None,
        cyan: None,
        black: None,
        header: job.header,
    };
    for (letter, bytes) in job.planes {
        let format = side
            .header
            .plane_format(letter, bytes.len())
            .expect("the parser checked every plane length");
        let plane = Some(InkPlane::decode(format, &bytes));
        match letter {
            PlaneLetter::B => side.yellow = plane,
            PlaneLetter::G => side.magenta = plane,
            PlaneLetter::R => side.cyan = plane,
            PlaneLetter::K => side.black = plane,
        }
    }
    side
}
