//! [`NamingPngs`]: a simulated station's printer — the real driver in front of a simulated
//! printer of either family — that names the PNG files the simulator wrote for a print after the
//! card ([`CardImage::label`], the production card number): neither the Evolis nor the Magicard
//! byte stream carries it.

use std::path::PathBuf;

use cardline_device::{CardImage, CardPrinter, PrinterCapabilities, PrinterError, PrinterStatus};
use cardline_sim::magicard::SimMagicardHandle;
use cardline_sim::printer::SimPrinterHandle;

/// A simulated printer whose PNGs can be named after the card printed.
pub(super) trait PngNaming: Send {
    /// The print job counter now (read before a print).
    fn jobs(&self) -> u32;
    /// Names the PNGs of the card printed after job `job` after `label`.
    fn label_pngs_since(&self, job: u32, label: &str) -> Option<Vec<PathBuf>>;
    /// True when PNGs were written after job `job` and are not named yet.
    fn unnamed_pngs_since(&self, job: u32) -> bool;
    /// PNG errors so far.
    fn png_errors(&self) -> Vec<String>;
}

impl PngNaming for SimPrinterHandle {
    fn jobs(&self) -> u32 {
        SimPrinterHandle::jobs(self)
    }
    fn label_pngs_since(&self, job: u32, label: &str) -> Option<Vec<PathBuf>> {
        SimPrinterHandle::label_pngs_since(self, job, label)
    }
    fn unnamed_pngs_since(&self, job: u32) -> bool {
        self.last_pngs()
            .is_some_and(|w| w.job > job && w.label.is_none())
    }
    fn png_errors(&self) -> Vec<String> {
        SimPrinterHandle::png_errors(self)
    }
}

impl PngNaming for SimMagicardHandle {
    fn jobs(&self) -> u32 {
        SimMagicardHandle::jobs(self)
    }
    fn label_pngs_since(&self, job: u32, label: &str) -> Option<Vec<PathBuf>> {
        SimMagicardHandle::label_pngs_since(self, job, label)
    }
    fn unnamed_pngs_since(&self, job: u32) -> bool {
        self.last_pngs()
            .is_some_and(|w| w.first_job > job && w.label.is_none())
    }
    fn png_errors(&self) -> Vec<String> {
        SimMagicardHandle::png_errors(self)
    }
}

/// The driver of a simulated printer, naming each print's PNGs after its card.
pub(super) struct NamingPngs {
    /// The driver (reconnecting driver of the family on the simulator's link).
    pub(super) inner: Box<dyn CardPrinter>,
    /// The simulated printer behind it.
    pub(super) device: Box<dyn PngNaming>,
}

impl CardPrinter for NamingPngs {
    fn status(&mut self) -> Result<PrinterStatus, PrinterError> {
        self.inner.status()
    }
    fn park_for_encoding(&mut self) -> Result<(), PrinterError> {
        self.inner.park_for_encoding()
    }
    /// Prints, then names the PNGs of that print `<label>.png` (`-2`, `-3` … when the card was
    /// printed before); also after an error, when the print was done but its reply was lost.
    fn print(&mut self, image: &CardImage) -> Result<(), PrinterError> {
        let job = self.device.jobs();
        let result = self.inner.print(image);
        if let Some(label) = &image.label
            && self.device.label_pngs_since(job, label).is_none()
            && self.device.unnamed_pngs_since(job)
        {
            tracing::warn!(
                card = %label,
                errors = ?self.device.png_errors(),
                "the printed card's PNG keeps the simulator's name"
            );
        }
        result
    }
    fn eject(&mut self) -> Result<(), PrinterError> {
        self.inner.eject()
    }
    fn reject(&mut self) -> Result<(), PrinterError> {
        self.inner.reject()
    }
    fn capabilities(&self) -> PrinterCapabilities {
        self.inner.capabilities()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn resync(&mut self) -> Result<PrinterStatus, PrinterError> {
        self.inner.resync()
    }
}
