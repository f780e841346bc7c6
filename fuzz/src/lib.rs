//! Fuzz targets for every parser of bytes from outside cardline, run as property tests on the
//! stable toolchain (no nightly, no libFuzzer): [proptest](https://docs.rs/proptest) generates,
//! mutates and shrinks inputs, [`arbitrary`] gives structure to the bytes of round-trip
//! targets. `docs/fuzzing.md` lists the targets, their properties and seeds, and how to run,
//! replay and keep failing inputs.
//!
//! Each [`Target`] drives one public entry point with bytes — mutated seeds (the printer driver
//! streams of `../shared/fixtures`, files under `corpus/<target>/`, inputs recorded from the
//! drivers), sequences of dictionary tokens and random bytes — and checks its properties: no
//! panic, bounded work and memory (a [counting allocator](alloc_meter) and call budgets of
//! [hostile peers](links), never a clock), clear errors, and round trips where both sides
//! exist.
//!
//! ```
//! use cardline_fuzz::targets;
//! let tlv = targets::by_name("ber_tlv").unwrap();
//! assert!(tlv.run_one(&[0x53, 0x02, 0xAA, 0xBB]).is_ok());
//! // A panic, an unclear error or a broken round trip is reported as an `Err`.
//! // Every target has a name of its own (its corpus folder and its test).
//! let mut names: Vec<&str> = targets::ALL.iter().map(|t| t.name).collect();
//! names.sort();
//! names.dedup();
//! assert_eq!(names.len(), targets::ALL.len());
//! ```

pub mod alloc_meter;
pub mod images;
pub mod links;
pub mod mutate;
pub mod props;
pub mod runner;
pub mod target;
pub mod targets;

pub use runner::{Budget, Report, fuzz};
pub use target::Target;
