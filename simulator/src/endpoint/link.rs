//! [`SimLink`]: the in-process [`PrinterLink`] to a simulated printer, so the real driver runs
//! against the simulator without any operating-system device.

use std::collections::VecDeque;
use std::time::Duration;

use cardline_device::{LinkError, PrinterLink};

use super::SimulatedPrinter;

/// An in-process byte link to a simulated printer (`SimLink<SimPrinterHandle>` is the Evolis
/// [`SimPrinterLink`](crate::printer::SimPrinterLink), `SimLink<SimMagicardHandle>` the
/// Magicard [`SimMagicardLink`](crate::magicard::SimMagicardLink)).
///
/// The printer answers synchronously while `send` runs, so `recv` never has to wait: when no
/// reply is pending (a scripted mute fault), it fails with [`LinkError::Timeout`] at once
/// instead of sleeping for the timeout.
#[derive(Debug)]
pub struct SimLink<P> {
    printer: P,
    pending: VecDeque<u8>,
    name: String,
}

impl<P: SimulatedPrinter> SimLink<P> {
    /// A link to `printer`.
    pub fn new(printer: P) -> Self {
        let name = format!("sim:{}", printer.serial());
        Self {
            printer,
            pending: VecDeque::new(),
            name,
        }
    }

    /// The printer behind the link.
    pub fn printer(&self) -> &P {
        &self.printer
    }
}

impl<P: SimulatedPrinter> PrinterLink for SimLink<P> {
    fn send(&mut self, bytes: &[u8], _timeout: Duration) -> Result<(), LinkError> {
        let replies = self.printer.feed(bytes);
        self.pending.extend(replies);
        Ok(())
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        if self.pending.is_empty() {
            return Err(LinkError::Timeout {
                link: self.name.clone(),
                operation: "receiving",
                after: timeout,
            });
        }
        let n = buf.len().min(self.pending.len());
        for (slot, b) in buf.iter_mut().zip(self.pending.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }

    fn reset(&mut self) -> Result<(), LinkError> {
        self.pending.clear();
        self.printer.reset_link();
        Ok(())
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}
