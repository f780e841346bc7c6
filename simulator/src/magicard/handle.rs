//! [`SimMagicardHandle`]: a simulated Magicard shared between its endpoints, its station and the
//! test or operator controlling it.

use std::sync::{Arc, Mutex, MutexGuard};

use super::{
    MagicardFault, MagicardPngs, MagicardPrintedCard, SimMagicard, SimMagicardLink,
    SimMagicardState,
};
use crate::endpoint::SimulatedPrinter;
use crate::printer::RibbonLoad;

/// A shared simulated Magicard. Cloning gives another handle to the same printer.
#[derive(Clone)]
pub struct SimMagicardHandle {
    inner: Arc<Mutex<SimMagicard>>,
}

impl std::fmt::Debug for SimMagicardHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SimMagicardHandle({:?})", self.state())
    }
}

impl SimMagicardHandle {
    /// Shares `printer`.
    pub fn new(printer: SimMagicard) -> Self {
        Self {
            inner: Arc::new(Mutex::new(printer)),
        }
    }

    /// Locks the printer (a poisoned lock is recovered: the printer state stays usable).
    pub fn lock(&self) -> MutexGuard<'_, SimMagicard> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Feeds host bytes, returns the framed replies.
    pub fn feed(&self, bytes: &[u8]) -> Vec<u8> {
        self.lock().feed(bytes)
    }

    /// A snapshot of the printer's state.
    pub fn state(&self) -> SimMagicardState {
        self.lock().state()
    }

    /// An in-process [`PrinterLink`](cardline_device::PrinterLink) to this printer.
    pub fn link(&self) -> SimMagicardLink {
        SimMagicardLink::new(self.clone())
    }

    /// The last card printed on.
    pub fn last_printed(&self) -> Option<MagicardPrintedCard> {
        self.lock().last_printed().cloned()
    }

    /// Print jobs (sides) done since power-on.
    pub fn jobs(&self) -> u32 {
        self.lock().jobs()
    }

    /// Cards fed from the hopper since power-on.
    pub fn cards_fed(&self) -> u32 {
        self.lock().state().counters.cards_fed
    }

    /// The PNG files written for the last card printed on.
    pub fn last_pngs(&self) -> Option<MagicardPngs> {
        self.lock().last_pngs().cloned()
    }

    /// Names the PNGs of the last card after `label` when it was printed after job `job`
    /// ([`SimMagicard::label_pngs_since`]).
    pub fn label_pngs_since(&self, job: u32, label: &str) -> Option<Vec<std::path::PathBuf>> {
        self.lock().label_pngs_since(job, label)
    }

    /// PNG files that could not be written or named (path and reason).
    pub fn png_errors(&self) -> Vec<String> {
        self.lock().png_errors().to_vec()
    }

    /// The number of the card at the lowered contacts, if any.
    pub fn card_at_contact_station(&self) -> Option<u32> {
        self.lock().card_at_contact_station()
    }

    /// What the last framing error was, in words.
    pub fn last_stream_error(&self) -> Option<String> {
        self.lock().last_stream_error().map(str::to_string)
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
    pub fn inject(&self, fault: MagicardFault) {
        self.lock().inject(fault);
    }

    /// Adds blank cards to the hopper.
    pub fn load_hopper(&self, cards: u32) {
        self.lock().load_hopper(cards);
    }

    /// Empties the reject box.
    pub fn empty_reject_box(&self) {
        self.lock().empty_reject_box();
    }

    /// Loads a fresh dye film.
    pub fn replace_ribbon(&self, ribbon: RibbonLoad) {
        self.lock().replace_ribbon(ribbon);
    }

    /// Removes the card inside by hand (clears a jam); returns its number.
    pub fn remove_card_by_hand(&self) -> Option<u32> {
        self.lock().remove_card_by_hand()
    }
}

impl SimulatedPrinter for SimMagicardHandle {
    fn feed(&self, bytes: &[u8]) -> Vec<u8> {
        SimMagicardHandle::feed(self, bytes)
    }

    fn reset_link(&self) {
        self.lock().reset_link();
    }

    fn family(&self) -> &'static str {
        "magicard"
    }

    fn serial(&self) -> String {
        self.lock().config().serial.clone()
    }

    fn card_at_contact_station(&self) -> Option<u32> {
        SimMagicardHandle::card_at_contact_station(self)
    }
}
