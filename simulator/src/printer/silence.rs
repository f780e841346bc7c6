//! A printer that stops answering: scripted (`silent@CARD:N`, [`ScriptedFault::Silent`]) or on
//! demand ([`SimPrinter::set_silent`]). A silenced command gets no reply and does nothing, as
//! with a printer whose firmware hangs; the card stays where it is.

use super::SimPrinter;
use super::frame::Frame;
use crate::faults::ScriptedFault;

/// The panel downloads that start a scripted silence.
const PANEL_DOWNLOADS: &[&str] = &["Db", "Dbc", "Dbp", "Dbpc"];

impl SimPrinter {
    /// True when this command (`None`: a malformed one) is swallowed without a reply: the
    /// printer is silent on demand, a scripted silence is running, or this is the first panel
    /// download of the card a `silent@CARD:N` fault names (which starts the silence).
    pub(super) fn swallowed(&mut self, frame: Option<&Frame>) -> bool {
        if self.silent_on_demand {
            return true;
        }
        if self.silent_left == 0
            && let Some(f) = frame
            && PANEL_DOWNLOADS.contains(&f.name.as_str())
            && let Some(number) = self.card.as_ref().map(|c| c.number)
            && let Some(i) = self
                .scripted
                .iter()
                .position(|x| matches!(x, ScriptedFault::Silent { card, .. } if *card == number))
            && let ScriptedFault::Silent { commands, .. } = self.scripted.remove(i)
        {
            tracing::debug!(
                "scripted: silent for {commands} command(s) from card {number}'s download"
            );
            self.silent_left = commands;
        }
        if self.silent_left > 0 {
            self.silent_left -= 1;
            return true;
        }
        false
    }

    /// Makes the printer stop answering (`true`) or answer again (`false`), like a printer whose
    /// firmware hangs and recovers; commands received meanwhile are lost.
    pub fn set_silent(&mut self, silent: bool) {
        self.silent_on_demand = silent;
    }

    /// True while the printer does not answer (on demand or a scripted silence).
    pub fn is_silent(&self) -> bool {
        self.silent_on_demand || self.silent_left > 0
    }
}
