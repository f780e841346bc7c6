//! The real PC/SC rig for the interop tests: cardline-pcsc's own test rig (pcscd + vpcd, a
//! SimCard plugged into `Virtual PCD 00 00`, the vpcd lock, visible skips without pcscd, and
//! helpers to run the outside tools: OpenSC, yubico-piv-tool, openssl).

#![allow(dead_code)]

#[path = "../../../drivers/pcsc/tests/common/mod.rs"]
mod pcsc_rig;

pub use pcsc_rig::*;
