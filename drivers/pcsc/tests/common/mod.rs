//! The real PC/SC rig for tests: pcscd + vpcd, a SimCard plugged into `Virtual PCD 00 00`.
//! Tests skip visibly when pcscd is absent and take /tmp/cardline-vpcd.lock so that no two
//! test processes use the vpcd readers at once.

#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cardline_pcsc::PcscReaders;
use cardline_sim::card::{SharedSimCard, SimCard, SimCardConfig, SimCardTransport};
use cardline_sim::vpcd::{VPCD_PORT, VpcdCard, VpcdHandle, reader_name_for_port};

/// The pcscd socket; without it the PC/SC tests skip.
pub const PCSCD_SOCKET: &str = "/run/pcscd/pcscd.comm";
/// Lock shared by every test that uses the vpcd readers.
pub const LOCK_FILE: &str = "/tmp/cardline-vpcd.lock";
/// How long a card may take to appear in or leave the reader (pcscd polls every ~0.4 s).
pub const CARD_TIMEOUT: Duration = Duration::from_secs(10);

/// A SimCard plugged into pcscd through vpcd, with the rig lock held.
pub struct Rig {
    /// The card (shared with the vpcd thread).
    pub card: SharedSimCard,
    /// The PC/SC service.
    pub readers: PcscReaders,
    /// The reader the card is in.
    pub reader: String,
    /// The vpcd endpoint (dropped before the lock).
    pub vpcd: Option<VpcdHandle>,
    _lock: File,
}

impl Rig {
    /// Plugs a default card in; `None` (after printing `skipped: ...`) without pcscd.
    pub fn start(test: &str) -> Option<Rig> {
        Self::start_with(test, SimCard::new(SimCardConfig::from_seed(7)))
    }

    /// Plugs `card` in; `None` (after printing `skipped: ...`) without pcscd.
    pub fn start_with(test: &str, card: SimCard) -> Option<Rig> {
        if !std::path::Path::new(PCSCD_SOCKET).exists() {
            cardline_device::skipped!("{test}: pcscd is not running ({PCSCD_SOCKET} absent)");
            return None;
        }
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(LOCK_FILE)
            .expect("open the vpcd lock file");
        lock.lock().expect("lock the vpcd readers");
        let readers = PcscReaders::establish().expect("pcscd answers");
        let reader = reader_name_for_port(VPCD_PORT).unwrap();
        if !readers.list().unwrap().contains(&reader) {
            cardline_device::skipped!(
                "{test}: pcscd has no reader `{reader}` (vsmartcard-vpcd missing)"
            );
            return None;
        }
        // A card of a previous test may still be registered: wait until pcscd saw it go.
        assert!(
            readers.wait_for_removal(&reader, CARD_TIMEOUT).unwrap(),
            "a foreign card stays in {reader}"
        );
        let card = SimCardTransport::share(card);
        let vpcd = plug(&readers, &reader, &card, test);
        Some(Rig {
            card,
            readers,
            reader,
            vpcd: Some(vpcd),
            _lock: lock,
        })
    }
}

impl Rig {
    /// Pulls the card, clears its faults, puts it back and waits until pcscd sees it: leaves
    /// the vpcd slot healthy after a fault test.
    pub fn replug(&mut self, test: &str) {
        if let Some(v) = self.vpcd.take() {
            v.stop();
        }
        assert!(
            self.readers
                .wait_for_removal(&self.reader, CARD_TIMEOUT)
                .unwrap()
        );
        {
            let mut card = self.card.lock().unwrap();
            card.set_faults(Default::default());
            card.insert();
        }
        self.vpcd = Some(plug(&self.readers, &self.reader, &self.card, test));
    }
}

/// Plugs `card` into the vpcd slot and waits until pcscd reports it.
fn plug(readers: &PcscReaders, reader: &str, card: &SharedSimCard, test: &str) -> VpcdHandle {
    let addr = ([127, 0, 0, 1], VPCD_PORT).into();
    let vpcd = VpcdCard::spawn(card.clone(), addr);
    // Debian 12's vpcd 0.8 sometimes ignores the first reconnection after a card was pulled
    // mid-command (fault tests): plug in once more.
    if readers
        .wait_for_card(reader, Duration::from_secs(3))
        .is_ok()
    {
        return vpcd;
    }
    println!("note: {test}: card not seen after 3 s, plugging it in again");
    vpcd.stop();
    let vpcd = VpcdCard::spawn(card.clone(), addr);
    readers
        .wait_for_card(reader, CARD_TIMEOUT)
        .expect("the simulated card appears in the reader");
    vpcd
}

impl Drop for Rig {
    fn drop(&mut self) {
        if let Some(v) = self.vpcd.take() {
            v.stop();
        }
        // Leave the reader empty for the next test (best effort).
        let _ = self.readers.wait_for_removal(&self.reader, CARD_TIMEOUT);
    }
}

/// Hex to bytes, spaces allowed.
pub fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

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
