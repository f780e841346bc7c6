//! Printer links for cardline: [`PrinterLink`](cardline_device::PrinterLink) over a serial port
//! ([`SerialLink`]), USB bulk endpoints ([`UsbLink`]) and TCP ([`TcpLink`]), opened from a URI by
//! [`open_link`], plus discovery ([`list_usb_printers`], [`list_serial_ports`]).
//!
//! ```
//! use cardline_link::LinkUri;
//! let uri = LinkUri::parse("serial:///dev/ttyUSB0?baud=115200&parity=none&flow=none").unwrap();
//! assert!(matches!(uri, LinkUri::Serial(s) if s.baud == 115_200));
//! assert!(LinkUri::parse("usb://0f49:0a00").is_ok());
//! assert!(LinkUri::parse("tcp://printer.local:9100").is_ok());
//! ```

pub mod serial;
pub mod tcp;
pub mod uri;
pub mod usb;

pub use serial::{SerialLink, SerialPortEntry, SerialSettings, list_serial_ports};
pub use tcp::TcpLink;
pub use uri::{LinkUri, open_link};
pub use usb::{EVOLIS_VENDOR_ID, UsbLink, UsbPrinterEntry, UsbSelector, list_usb_printers};

use cardline_device::LinkError;
use std::io::ErrorKind;
use std::time::Duration;

/// Maps an I/O error of a link to a [`LinkError`]: timeouts, disconnects, everything else.
pub(crate) fn io_error(
    link: String,
    operation: &'static str,
    after: Duration,
    e: std::io::Error,
) -> LinkError {
    match e.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => LinkError::Timeout {
            link,
            operation,
            after,
        },
        ErrorKind::BrokenPipe
        | ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::NotConnected
        | ErrorKind::UnexpectedEof => LinkError::Disconnected {
            link,
            detail: e.to_string(),
        },
        // EIO: a pseudo-terminal whose other side closed, or a USB serial adapter unplugged.
        _ if e.raw_os_error() == Some(5) => LinkError::Disconnected {
            link,
            detail: e.to_string(),
        },
        _ => LinkError::Io { link, source: e },
    }
}
