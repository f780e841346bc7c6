//! The real PC/SC rig for the interop tests: cardline-pcsc's own test rig (pcscd + vpcd, a
//! SimCard plugged into `Virtual PCD 00 00`, the vpcd lock, visible skips without pcscd), plus
//! helpers to run the outside tools (OpenSC, yubico-piv-tool, openssl).

#![allow(dead_code)]

#[path = "../../../drivers/pcsc/tests/common/mod.rs"]
mod pcsc_rig;

pub use pcsc_rig::*;

use std::path::{Path, PathBuf};

/// Runs a tool with a private HOME (no OpenSC cache from earlier cards); (success, output).
pub fn run(tool: &str, args: &[&str], home: &Path) -> (bool, String) {
    let out = std::process::Command::new(tool)
        .args(args)
        .env("HOME", home)
        .output()
        .unwrap_or_else(|e| panic!("running {tool}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// True when every tool is on PATH; prints `skipped` otherwise.
pub fn tools_present(test: &str, tools: &[&str]) -> bool {
    for tool in tools {
        let found = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).exists()))
            .unwrap_or(false);
        if !found {
            cardline_device::skipped!("{test}: `{tool}` is not installed");
            return false;
        }
    }
    true
}

/// A fresh temporary directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cardline-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
