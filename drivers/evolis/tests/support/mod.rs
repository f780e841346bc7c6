//! Shared helpers of the driver tests: a scripted session and fast settings.
#![allow(dead_code)] // each test file uses a subset

use cardline_evolis::{EvolisConfig, EvolisPrinter, ScriptedLink};
use std::time::Duration;

pub fn session(model: &str) -> ScriptedLink {
    ScriptedLink::new()
        .command("Pem;2", "OK")
        .command("Rtp", model)
        .command("Rsn", "SN42")
        .command("Rfv", "1.0.3")
}

pub fn fast() -> EvolisConfig {
    EvolisConfig {
        park_timeout: Duration::from_millis(30),
        poll_interval: Duration::from_millis(1),
        ..EvolisConfig::default()
    }
}

pub fn finish(p: EvolisPrinter<ScriptedLink>) {
    let link = p.link();
    assert!(
        link.finished(),
        "mismatch: {:?}, {} exchanges left",
        link.mismatch(),
        link.remaining()
    );
}

/// Status script with one reply per query, in the driver's order.
pub fn status_script(link: ScriptedLink, replies: [&str; 8]) -> ScriptedLink {
    let queries = [
        "Rlr;p",
        "Rse;o",
        "Rse;f",
        "Rlr;h",
        "Rr",
        "Rrt;count",
        "Rrt;qty",
        "Rco;c",
    ];
    queries
        .iter()
        .zip(replies)
        .fold(link, |l, (q, r)| l.command(q, r))
}
