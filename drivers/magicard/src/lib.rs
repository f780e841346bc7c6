//! Magicard printer driver for cardline (the contract: `docs/magicard-protocol.md`).
//!
//! [`MagicardPrinter`] implements [`cardline_device::CardPrinter`] over any
//! [`cardline_device::PrinterLink`] (serial, USB, TCP, or the simulator). Each command of §4 is
//! one type in [`commands`]; each page of a print job is one more command ([`job::PrintPage`] of
//! a [`job::PrintJob`]: the front, and the back of a duplex card, each answered `PRT,OK`), built from a
//! [`cardline_device::CardImage`] by [`job`] (header tokens, native 6-bit Y/M/C and 1-bit K
//! planes, rotation into the printer's portrait lines); [`channel`] is the single send path, with
//! the bounded [`reply_reader`]; [`error_codes`] maps `ERR,<code>` to the seam's errors in one
//! function. [`model`] holds the USB ids for discovery.
//!
//! ```
//! use cardline_magicard::commands::{Command, ContactsDown};
//! use cardline_magicard::{MagicardConfig, MagicardPrinter, ScriptedLink};
//! use cardline_device::CardPrinter;
//!
//! assert_eq!(&ContactsDown.frame()[..], b"\x05\x05\x05\x05\x05\x05\x05\x05\x05\x01REQ,CHPDOWN,\x1c\x03");
//! let link = ScriptedLink::new()
//!     .status("MDL", "Rio Pro 360")
//!     .status("MSR", "MC1234")
//!     .status("VRS", "F1.2")
//!     .command("CHPDOWN", "OK")
//!     .status("POS", "CONTACTS");
//! let mut printer = MagicardPrinter::connect(link, MagicardConfig::default()).unwrap();
//! printer.park_for_encoding().unwrap();
//! assert_eq!(printer.describe(), "Magicard Rio Pro 360 on scripted");
//! ```

pub mod channel;
pub mod commands;
pub mod error_codes;
pub mod frame;
pub mod job;
pub mod model;
pub mod printer;
pub mod reply_reader;
pub mod scripted;
pub mod status_report;

pub use channel::{CommandChannel, Outcome};
pub use error_codes::{KNOWN_FAULTS, MagicardFault};
pub use job::{JobSettings, PrintJob, PrintPage};
pub use model::{
    MAGICARD_PRODUCTS, MAGICARD_VENDOR_ID, capabilities_for_model, is_magicard, model_for_product,
};
pub use printer::{MagicardConfig, MagicardPrinter, PrinterIdentity, connect};
pub use reply_reader::MAX_REPLY_BYTES;
pub use scripted::ScriptedLink;
