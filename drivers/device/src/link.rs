//! [`PrinterLink`]: the byte duplex under every printer driver.

use std::time::Duration;

/// A byte duplex to a printer (serial port, USB bulk endpoints, TCP socket, or a simulated printer).
///
/// Every blocking call takes an explicit timeout. Implementations are not required to frame
/// anything: framing is the printer driver's job.
pub trait PrinterLink: Send {
    /// Writes all of `bytes`, failing with [`LinkError::Timeout`] if the device does not accept
    /// them within `timeout`.
    fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), LinkError>;

    /// Reads at least one byte into `buf`, waiting at most `timeout` for the first one, and
    /// returns how many bytes were read. Never returns `Ok(0)`; a silent device is
    /// [`LinkError::Timeout`], a closed one [`LinkError::Disconnected`].
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError>;

    /// Drops buffered input and output and, where the transport allows it, re-establishes the
    /// connection (reopen the port, reset the USB endpoint, reconnect the socket).
    fn reset(&mut self) -> Result<(), LinkError>;

    /// A short human-readable name of the link, e.g. `serial:/dev/ttyUSB0@115200`.
    fn describe(&self) -> String;
}

impl<L: PrinterLink + ?Sized> PrinterLink for Box<L> {
    fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), LinkError> {
        (**self).send(bytes, timeout)
    }
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        (**self).recv(buf, timeout)
    }
    fn reset(&mut self) -> Result<(), LinkError> {
        (**self).reset()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

/// Errors of a [`PrinterLink`].
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The device did not answer in time. Usually transient: retry once, then check the cable
    /// and that the printer is switched on.
    #[error("{link}: no answer within {} while {operation}", crate::human_duration(*.after))]
    Timeout {
        /// The link that timed out.
        link: String,
        /// What was being done (`sending`, `receiving`).
        operation: &'static str,
        /// The timeout that expired.
        after: Duration,
    },
    /// The device went away (cable pulled, printer switched off, socket closed). Reconnect the
    /// printer; the link reconnects on [`PrinterLink::reset`].
    #[error("{link}: disconnected ({detail})")]
    Disconnected {
        /// The link that was lost.
        link: String,
        /// What the operating system reported.
        detail: String,
    },
    /// The link could not be opened. The message says which device and why; check the URI,
    /// the permissions of the device node, and that nothing else holds the port.
    #[error("cannot open {uri}: {reason}")]
    Open {
        /// The URI or path that was opened.
        uri: String,
        /// Why it failed.
        reason: String,
    },
    /// An I/O error other than a timeout or a disconnect.
    #[error("{link}: I/O error: {source}")]
    Io {
        /// The link.
        link: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl LinkError {
    /// True when retrying the same operation may succeed without anyone touching the device.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            LinkError::Timeout { .. } | LinkError::Disconnected { .. }
        )
    }
}
