//! Hardware-in-the-loop production scenarios for cardline, simulated by default.
//!
//! The scenarios (tests/production_*.rs) run a whole production line — SQLite journal, CA,
//! sealed secrets, card face, the orchestrator — against the stations of a *rig*:
//!
//! - without `CARDLINE_RIG`: simulated stations, a mixed line — SimPrinter driven by the real
//!   Evolis driver and SimMagicard driven by the real Magicard driver, in turn
//!   (`CARDLINE_SIM_FAMILY=evolis|magicard` makes them all one family) — over in-process links,
//!   each with a SimStation whose chips the real PIV driver encodes;
//! - with `CARDLINE_RIG=rigs/my-office.toml` (a stations file naming real printers and PC/SC
//!   readers): the same scenarios on hardware. Scenarios that write cards run only with
//!   `CARDLINE_RIG_DESTRUCTIVE=1`; scenarios that need injected faults run only on simulated
//!   stations. Every skip prints a `skipped: ...` line. A rig file may name Evolis and Magicard
//!   printers alike (`evolis+usb://0f49:…`, `magicard+usb://0c1f:…`, `magicard+tcp://…`).

pub mod line;
pub mod rig;

pub use line::{Produced, TestLine};
pub use rig::{Rig, RigStation};
