//! cardline's composition root as a library: the one place where printer families, links,
//! PC/SC, the PIV encoder and the simulator are named and wired together. Every front end
//! (the `cardline` binary, hil-tests, benches) opens printers and stations and loads what
//! production needs through this crate, so they all run production the same way.
//!
//! - [`registry`]: printer families by URI scheme (`evolis+serial|tcp|usb`, `sim`): check a
//!   URI without I/O, open it into a printer that reconnects after a lost link and counts its
//!   bytes, the family's test card; [`discover()`] finds printers on USB and serial ports.
//! - [`encoders`]: encoder families (`piv`) and the contact readers a station can have.
//! - [`handfed`]: the encode-only station of a desk reader (`cardline encode`).
//! - [`sim`]: `sim://NAME?…` simulated stations, parameters parsed strictly.
//! - [`stations`]: the stations file checked by the registries ([`load_stations`]).
//! - [`line`](mod@line): [`open_station`] and [`open_line`] turn declarations into production stations;
//!   a station that cannot be opened is reported, not fatal; [`StationsFileReopener`]
//!   re-opens a resumed station as the file declares it now.
//! - [`database`]: the database chosen by URL (`--database`, `CARDLINE_DATABASE`, the home's
//!   `config.toml`, else the home's SQLite file) and opened as a store.
//! - [`doctor`](mod@doctor): `cardline doctor`'s checks (home, database, keys, CA, options, pcscd,
//!   stations, USB permissions, clock), one line each with its level and fix.
//! - [`kit`]: [`ProductionKit`], settings, CA, sealer and face loaded from a home.
//!
//! ```
//! use cardline_app::{LineOptions, open_line, parse_stations};
//! let file = parse_stations(
//!     "[[station]]\nname = \"s1\"\nprinter = \"sim://s1?faults=jam@3:printing\"\nreader = \"sim\"\n",
//!     "stations.toml",
//! )
//! .unwrap();
//! let mut line = open_line(&file, &LineOptions::default()).unwrap();
//! assert!(line.missing.is_empty());
//! let status = line.stations[0].printer.status().unwrap();
//! assert!(status.is_ready());
//! ```

pub mod database;
pub mod discover;
pub mod doctor;
pub mod encoders;
pub mod handfed;
pub mod kit;
pub mod line;
pub mod registry;
pub mod sim;
pub mod stations;

pub use discover::discover;
pub use handfed::{ENCODE_STATION_PREFIX, open_encode_station};
pub use kit::{KitError, ProductionKit, ProfileKits};
pub use line::{
    LineError, LineOptions, MissingStation, OpenError, OpenedLine, OpenedStation,
    StationsFileReopener, error_chain, open_line, open_station,
};
pub use registry::{OpenedPrinter, PrinterOpenError, PrinterOptions, open_printer};
pub use sim::{SimDevice, SimParams};
pub use stations::{Registries, load_stations, parse_stations};
