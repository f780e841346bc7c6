//! Endpoints shared by every simulated printer family: the in-process [`SimLink`], the
//! pseudo-terminal [`PtyEndpoint`] and the TCP listener [`TcpEndpoint`].
//!
//! Each endpoint serves anything that implements [`SimulatedPrinter`]: bytes from the host go
//! in, the printer's replies come out. The Evolis [`SimPrinterHandle`](crate::printer::SimPrinterHandle)
//! and the Magicard [`SimMagicardHandle`](crate::magicard::SimMagicardHandle) both do, so one
//! pseudo-terminal or TCP implementation serves both families; the URI an endpoint prints
//! names the family (`evolis+serial://…`, `magicard+tcp://…`).

mod link;
mod pty;
mod tcp;

pub use link::SimLink;
pub use pty::PtyEndpoint;
pub use tcp::TcpEndpoint;

/// A simulated printer as its endpoints and its station see it: a shared handle that takes host
/// bytes and returns the replies. Cloning gives another handle to the same printer.
pub trait SimulatedPrinter: Clone + Send + Sync + 'static {
    /// Feeds bytes received from the host; returns the replies to send back.
    fn feed(&self, bytes: &[u8]) -> Vec<u8>;
    /// Drops a partial frame (the link was reset, or the client went away).
    fn reset_link(&self);
    /// The printer family, as the first part of its URI scheme: `evolis`, `magicard`.
    fn family(&self) -> &'static str;
    /// The printer's serial number (names links and the station's reader).
    fn serial(&self) -> String;
    /// The number of the card parked (motion finished) at the smart-card contacts, if any.
    fn card_at_contact_station(&self) -> Option<u32>;
}

/// Why an endpoint could not be started.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// The pseudo-terminal pair could not be created.
    #[error("cannot create a pseudo-terminal: {source}")]
    Pty {
        /// What the operating system said.
        #[source]
        source: serialport::Error,
    },
    /// The TCP listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The device thread could not be started.
    #[error("cannot start the device thread: {source}")]
    Thread {
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}
