//! [`Reconnecting`]: a printer that reconnects its link after a disconnect (cable pulled,
//! printer switched off and on, a pseudo-terminal reopened). `status` is asked again at once;
//! other operations report the (transient) error, so the orchestrator retries the step on the
//! reconnected link. `resync` is the driver's own (Evolis: link reset, `Pem;2`, status;
//! Magicard: link reset, `RST`, status).

use cardline_device::{
    CardImage, CardPrinter, LinkError, PrinterCapabilities, PrinterError, PrinterLink,
    PrinterStatus,
};
use cardline_evolis::EvolisPrinter;
use cardline_magicard::MagicardPrinter;

/// A printer driver that can re-establish its session on the same link.
pub trait Reconnect: CardPrinter {
    /// Resets the link and starts a new session.
    fn reconnect(&mut self) -> Result<(), PrinterError>;
}

impl<L: PrinterLink> Reconnect for EvolisPrinter<L> {
    fn reconnect(&mut self) -> Result<(), PrinterError> {
        EvolisPrinter::reconnect(self)
    }
}

impl<L: PrinterLink> Reconnect for MagicardPrinter<L> {
    fn reconnect(&mut self) -> Result<(), PrinterError> {
        MagicardPrinter::reconnect(self)
    }
}

/// Wraps a driver so that a lost link is re-established (see the module docs).
pub struct Reconnecting<P>(pub P);

fn lost_link<T>(r: &Result<T, PrinterError>) -> bool {
    matches!(r, Err(PrinterError::Link(LinkError::Disconnected { .. })))
}

impl<P: Reconnect> Reconnecting<P> {
    fn after<T>(&mut self, r: Result<T, PrinterError>) -> Result<T, PrinterError> {
        if lost_link(&r) {
            tracing::warn!(printer = %self.0.describe(), "link lost: reconnecting");
            if let Err(e) = self.0.reconnect() {
                tracing::warn!(printer = %self.0.describe(), error = %e, "reconnect failed");
            }
        }
        r
    }
}

impl<P: Reconnect> CardPrinter for Reconnecting<P> {
    fn status(&mut self) -> Result<PrinterStatus, PrinterError> {
        let first = self.0.status();
        if lost_link(&first) {
            let _ = self.after(first);
            return self.0.status();
        }
        first
    }
    fn park_for_encoding(&mut self) -> Result<(), PrinterError> {
        let r = self.0.park_for_encoding();
        self.after(r)
    }
    fn print(&mut self, image: &CardImage) -> Result<(), PrinterError> {
        let r = self.0.print(image);
        self.after(r)
    }
    fn eject(&mut self) -> Result<(), PrinterError> {
        let r = self.0.eject();
        self.after(r)
    }
    fn reject(&mut self) -> Result<(), PrinterError> {
        let r = self.0.reject();
        self.after(r)
    }
    fn capabilities(&self) -> PrinterCapabilities {
        self.0.capabilities()
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn resync(&mut self) -> Result<PrinterStatus, PrinterError> {
        self.0.resync()
    }
}
