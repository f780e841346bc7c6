//! Temporary smart ID card issuance: the domain model and its state machine, the
//! administrator's options, the durable store and audit log, the issuing CA, the card face,
//! and the production orchestrator.
//!
//! This crate knows hardware only through the seams of `cardline-device`; the CLI wires
//! concrete drivers or simulated devices into it.

pub mod audit;
pub mod ca;
pub mod escrow;
pub mod face;
pub mod file_limits;
pub mod home;
pub mod lifecycle;
pub mod model;
pub mod numbering;
pub mod options;
pub mod order_rules;
pub mod printer_report;
pub mod production;
pub mod requests;
pub mod search;
pub mod secrets;
pub mod stations;
pub mod store;
