//! [`SimPrinterHandle`]: a simulated printer shared between its endpoints and the test or
//! operator controlling it (open the cover, inject faults, load cards, look at what was printed).

use std::sync::{Arc, Mutex, MutexGuard};

use super::SimPrinterLink;
use super::mechanics::RibbonLoad;
use super::output::{PrintedCard, WrittenPngs};
use super::{SimPrinter, SimPrinterState};
use crate::endpoint::SimulatedPrinter;
use crate::faults::ScriptedFault;

/// A shared simulated printer. Cloning gives another handle to the same printer.
#[derive(Clone)]
pub struct SimPrinterHandle {
    inner: Arc<Mutex<SimPrinter>>,
}

impl std::fmt::Debug for SimPrinterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SimPrinterHandle({:?})", self.state())
    }
}

impl SimPrinterHandle {
    /// Shares `printer`.
    pub fn new(printer: SimPrinter) -> Self {
        Self {
            inner: Arc::new(Mutex::new(printer)),
        }
    }

    /// Locks the printer (a poisoned lock is recovered: the printer state stays usable).
    pub fn lock(&self) -> MutexGuard<'_, SimPrinter> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Feeds host bytes, returns the replies.
    pub fn feed(&self, bytes: &[u8]) -> Vec<u8> {
        self.lock().feed(bytes)
    }

    /// A snapshot of the printer's state.
    pub fn state(&self) -> SimPrinterState {
        self.lock().state()
    }

    /// An in-process [`PrinterLink`](cardline_device::PrinterLink) to this printer.
    pub fn link(&self) -> SimPrinterLink {
        SimPrinterLink::new(self.clone())
    }

    /// The last card printed.
    pub fn last_printed(&self) -> Option<PrintedCard> {
        self.lock().last_printed().cloned()
    }

    /// The number of the card parked at the contact station, if any.
    pub fn card_at_contact_station(&self) -> Option<u32> {
        self.lock().card_at_contact_station()
    }

    /// Cards taken from the feeder since power-on (`Rco;c`), so a test can check that no
    /// other card was fed.
    pub fn cards_fed(&self) -> u32 {
        self.lock().state().counters.cards_fed
    }

    /// Print jobs finished since power-on (read it before a print to name that print's PNGs
    /// with [`label_pngs_since`](Self::label_pngs_since)).
    pub fn jobs(&self) -> u32 {
        self.lock().state().counters.jobs
    }

    /// Makes the printer stop answering (`true`) or answer again (`false`); see
    /// [`SimPrinter::set_silent`].
    pub fn set_silent(&self, silent: bool) {
        self.lock().set_silent(silent);
    }

    /// The PNG files written for the last print job that wrote any.
    pub fn last_pngs(&self) -> Option<WrittenPngs> {
        self.lock().last_pngs().cloned()
    }

    /// Names the last print job's PNGs after `label` if that job came after job `job`; see
    /// [`SimPrinter::label_pngs_since`].
    pub fn label_pngs_since(&self, job: u32, label: &str) -> Option<Vec<std::path::PathBuf>> {
        self.lock().label_pngs_since(job, label)
    }

    /// PNG files that could not be written or named (path and reason).
    pub fn png_errors(&self) -> Vec<String> {
        self.lock().png_errors().to_vec()
    }

    /// Opens the cover.
    pub fn open_cover(&self) {
        self.lock().open_cover();
    }

    /// Closes the cover.
    pub fn close_cover(&self) {
        self.lock().close_cover();
    }

    /// Injects a fault from now on.
    pub fn inject(&self, fault: ScriptedFault) {
        self.lock().inject(fault);
    }

    /// Adds blank cards to the feeder.
    pub fn load_feeder(&self, cards: u32) {
        self.lock().load_feeder(cards);
    }

    /// Empties the reject box.
    pub fn empty_reject_box(&self) {
        self.lock().empty_reject_box();
    }

    /// Installs a fresh ribbon.
    pub fn replace_ribbon(&self, ribbon: RibbonLoad) {
        self.lock().replace_ribbon(ribbon);
    }

    /// Removes the card inside by hand (clears a jam); returns its number.
    pub fn remove_card_by_hand(&self) -> Option<u32> {
        self.lock().remove_card_by_hand()
    }
}

impl SimulatedPrinter for SimPrinterHandle {
    fn feed(&self, bytes: &[u8]) -> Vec<u8> {
        SimPrinterHandle::feed(self, bytes)
    }

    fn reset_link(&self) {
        self.lock().reset_link();
    }

    fn family(&self) -> &'static str {
        "evolis"
    }

    fn serial(&self) -> String {
        self.lock().config().serial.clone()
    }

    fn card_at_contact_station(&self) -> Option<u32> {
        SimPrinterHandle::card_at_contact_station(self)
    }
}
