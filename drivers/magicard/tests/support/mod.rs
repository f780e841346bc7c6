//! Shared helpers of the driver tests: a scripted session, fast settings, and an independent
//! reader of Magicard print streams (`decoder`).
#![allow(dead_code)] // each test file uses a subset

pub mod decoder;

use cardline_magicard::{MagicardConfig, MagicardPrinter, ScriptedLink};
use std::time::Duration;

/// A scripted printer that answers the identity queries of `connect`.
pub fn session(model: &str) -> ScriptedLink {
    ScriptedLink::new()
        .status("MDL", model)
        .status("MSR", "MC0042")
        .status("VRS", "F1.10")
}

/// Short waits for scripted printers.
pub fn fast() -> MagicardConfig {
    MagicardConfig {
        park_timeout: Duration::from_millis(30),
        poll_interval: Duration::from_millis(1),
        reply_timeout_cap: Some(Duration::from_millis(200)),
        ..MagicardConfig::default()
    }
}

/// Asserts the whole script was played and nothing unexpected was sent.
pub fn finish(p: &MagicardPrinter<ScriptedLink>) {
    let link = p.link();
    assert!(
        link.finished(),
        "mismatch: {:?}, {} exchanges left",
        link.mismatch(),
        link.remaining()
    );
}

/// The fixture directory shared by the project.
pub fn fixture_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/magicard-gutenprint")
}
