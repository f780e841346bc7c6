//! `cardline doctor`: checks, in order, what production on this PC needs, and says for each
//! check whether it is ok, worth a look (warning) or stops production (problem), with the fix.
//!
//! One file per check family, run in this order: [`home`] (the home and its database),
//! [`keys`] (key files), [`ca`] (the issuing CA), [`options`] (the default option profile),
//! [`pcscd`] (the PC/SC service and its readers), [`stations`] (each station of the stations
//! file, opened through the registries), [`usb`] (permissions on the USB printers of every
//! family in the registry), [`clock`] (time synchronisation). A family whose input is missing says so instead
//! of failing (no database: the CA's index and the options profile are not read).
//!
//! ```
//! use cardline_app::doctor::{Doctor, Level};
//! let home = tempfile::tempdir().unwrap();
//! let report = Doctor::new(home.path()).run();
//! // A home without a database cannot produce: the database check is a problem with its fix.
//! let db = report.checks.iter().find(|c| c.name == "database").unwrap();
//! assert_eq!(db.level, Level::Problem);
//! assert!(db.fix.as_deref().unwrap().contains("cardline"), "{db:?}");
//! assert!(report.blocks_production());
//! ```

pub mod ca;
pub mod clock;
pub mod home;
pub mod keys;
pub mod options;
pub mod pcscd;
pub mod stations;
pub mod usb;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cardline_issuance::home::Home;
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_link::UsbPrinterEntry;
use serde::Serialize;
use time::OffsetDateTime;

use crate::discover::SystemUsb;

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Nothing to do.
    Ok,
    /// Production can run, but look at it (a CA expiring soon, a clock not known to be synced).
    Warning,
    /// Production cannot run (or cannot run safely) until it is fixed.
    Problem,
}

impl Level {
    /// `ok`, `warning`, `problem`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Problem => "problem",
        }
    }
}

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The family (`home`, `keys`, `ca`, `options`, `pcscd`, `station`, `usb`, `clock`).
    pub family: &'static str,
    /// What was checked (`database`, `station.key`, a station's name, a USB device …).
    pub name: String,
    /// How it came out.
    pub level: Level,
    /// What was found.
    pub detail: String,
    /// What to do about it (warnings and problems).
    pub fix: Option<String>,
}

impl Check {
    /// An ok check.
    pub fn ok(family: &'static str, name: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            family,
            name: name.into(),
            level: Level::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    /// A warning with its fix.
    pub fn warning(
        family: &'static str,
        name: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            level: Level::Warning,
            fix: Some(fix.into()),
            ..Check::ok(family, name, detail)
        }
    }

    /// A problem with its fix.
    pub fn problem(
        family: &'static str,
        name: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            level: Level::Problem,
            fix: Some(fix.into()),
            ..Check::ok(family, name, detail)
        }
    }
}

/// Every check, in the order they ran.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The home checked.
    pub home: String,
    /// The checks.
    pub checks: Vec<Check>,
}

impl Report {
    /// How many checks came out at `level`.
    pub fn count(&self, level: Level) -> usize {
        self.checks.iter().filter(|c| c.level == level).count()
    }

    /// True when a problem stops production (the CLI then exits non-zero).
    pub fn blocks_production(&self) -> bool {
        self.count(Level::Problem) > 0
    }
}

/// What the checks read, and the overrides tests and odd installs use.
#[derive(Clone, Debug)]
pub struct Doctor {
    /// The home checked.
    pub home: Home,
    /// The USB devices to look at instead of this machine's (tests, a list recorded
    /// elsewhere); `None`: this machine's USB, through libusb.
    pub usb_devices: Option<Vec<UsbPrinterEntry>>,
    /// The program asked whether the clock is synchronised (`timedatectl`).
    pub timedatectl: PathBuf,
    /// Now (the CA's validity is measured against it).
    pub now: OffsetDateTime,
}

/// What the earlier checks opened for the later ones.
pub(crate) struct Found {
    /// The store, when the database is current and opens.
    pub store: Option<Arc<SqliteStore>>,
    /// Why there is no store (said by the checks that needed it).
    pub no_store: String,
    /// The default option profile prints without encoding (`encode = false`): missing keys
    /// and CA are then warnings, not problems (print-only production needs neither).
    pub print_only: bool,
}

impl Doctor {
    /// The checks of the home at `home`, on this machine's USB, with `timedatectl` from `PATH`.
    pub fn new(home: &Path) -> Doctor {
        Doctor {
            home: Home::new(home),
            usb_devices: None,
            timedatectl: PathBuf::from("timedatectl"),
            now: OffsetDateTime::now_utc(),
        }
    }

    /// Runs every check, in order.
    pub fn run(&self) -> Report {
        let mut checks = Vec::new();
        let found = home::check(&self.home, &mut checks);
        keys::check(&self.home, &found, &mut checks);
        ca::check(&self.home, &found, self.now, &mut checks);
        options::check(&self.home, &found, &mut checks);
        pcscd::check(&mut checks);
        stations::check(&self.home, &found, &mut checks);
        match &self.usb_devices {
            Some(devices) => usb::check(devices.as_slice(), &mut checks),
            None => usb::check(&SystemUsb, &mut checks),
        }
        clock::check(&self.timedatectl, &mut checks);
        Report {
            home: self.home.root().display().to_string(),
            checks,
        }
    }
}

#[cfg(test)]
mod tests;
