//! PC/SC card readers for cardline: the `CardReader`/`CardTransport` seams over the `pcsc`
//! crate (pcsc-lite's pcscd on Linux, WinSCard on Windows).
//!
//! * [`PcscReaders`] — list readers, survey them, pick one by name pattern or by the serial of
//!   the card in it, wait for a card with `SCardGetStatusChange` (no sleeps).
//! * [`PcscReader`] — one reader; implements [`CardReader`](cardline_device::CardReader).
//! * [`PcscSession`] — an exclusive session (T=1; T=0 only on request) with an extended-length
//!   receive buffer; implements [`CardTransport`](cardline_device::CardTransport) and resets the
//!   card when dropped. No 61xx/6Cxx handling here: that is the APDU layer's job.
//!
//! Errors are [`TransportError`](cardline_device::TransportError)s: `NoService` when pcscd is
//! not running, `NoReader`, `NoCard`, `CardRemoved`, `CardReset`, `Mute`, `BadAtr`, `Busy`.
//!
//! ```no_run
//! use std::time::Duration;
//! use cardline_device::CardTransport;
//! use cardline_pcsc::PcscReaders;
//! let readers = PcscReaders::establish()?;
//! let reader = readers.find("Virtual PCD 00 00")?;
//! let mut session = reader.open(Duration::from_secs(5))?;
//! let response = session.transmit(&[0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08])?;
//! # Ok::<(), cardline_device::TransportError>(())
//! ```

mod error;
mod readers;
mod session;

pub use error::map as map_pcsc_error;
pub use readers::{PcscReaders, ReaderInfo};
pub use session::{PcscReader, PcscSession};
