//! Evolis escape-command printer driver for cardline (spec `card-printers.md` §1).
//!
//! [`EvolisPrinter`] implements [`cardline_device::CardPrinter`] over any
//! [`cardline_device::PrinterLink`] (serial, USB, TCP, or the simulator). Each escape command is
//! one type in [`commands`] (frame and reply parser side by side); [`channel`] is the single
//! send path; [`fault`] is the `ERR …` vocabulary shared with the simulator (documented in
//! `docs/printer-driver.md`); [`panels`] encodes YMC (`Db`, `Dbc`) and K/O (`Dbc`) panels and
//! [`color_wire`] turns a colour side into its three payloads in one pass.
//!
//! ```
//! use cardline_evolis::commands::{Command, ReadCardPosition};
//! use cardline_evolis::{EvolisConfig, EvolisPrinter, ScriptedLink};
//! use cardline_device::{CardPosition, CardPrinter};
//!
//! assert_eq!(ReadCardPosition.frame(), b"\x1bRlr;p\r");
//! let link = ScriptedLink::new()
//!     .command("Pem;2", "OK")
//!     .command("Rtp", "Zenius")
//!     .command("Rsn", "Z1234")
//!     .command("Rfv", "1.0")
//!     .command("Sis", "OK")
//!     .command("Rlr;p", "SMART CARD");
//! let mut printer = EvolisPrinter::connect(link, EvolisConfig::default()).unwrap();
//! printer.park_for_encoding().unwrap();
//! assert!(!printer.capabilities().duplex);
//! ```

pub mod channel;
pub mod color_wire;
pub mod commands;
pub mod fault;
pub mod frame;
pub mod model;
pub mod panels;
pub mod printer;
pub mod scripted;

pub use channel::CommandChannel;
pub use color_wire::{ColorPayload, ColorRowCache, color_payloads};
pub use fault::{FAULT_REPLIES, Fault};
pub use panels::{
    ColorLevels, color_levels, compress_color, compress_mono, encode_color, pack_levels,
};
pub use printer::{EvolisConfig, EvolisPrinter, PrinterIdentity, ribbon_for};
pub use scripted::ScriptedLink;
