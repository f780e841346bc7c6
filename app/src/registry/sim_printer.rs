//! [`NamingPngs`]: a simulated station's printer — the real driver in front of a `SimPrinter` —
//! that names the PNG files the simulator wrote for a print after the card
//! ([`CardImage::label`], the production card number): the Evolis byte stream does not carry it.

use cardline_device::{CardImage, CardPrinter, PrinterCapabilities, PrinterError, PrinterStatus};
use cardline_sim::printer::SimPrinterHandle;

/// The driver of a simulated printer, naming each print's PNGs after its card.
pub(super) struct NamingPngs {
    /// The driver (reconnecting Evolis driver on the simulator's link).
    pub(super) inner: Box<dyn CardPrinter>,
    /// The simulated printer behind it.
    pub(super) device: SimPrinterHandle,
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
            && self
                .device
                .last_pngs()
                .is_some_and(|w| w.job > job && w.label.is_none())
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
