//! The cardline home directory: where the database, the options profile and the keys live.
//!
//! ```text
//! <home>/cardline.db      the SQLite store (plus -wal/-shm while in use)
//! <home>/options.toml     the administrator's options profile (written by `cardline init`)
//! <home>/ca/              the issuing CA (other modules)
//! <home>/keys/            station keys that seal card secrets (other modules)
//! <home>/stations.toml    configured production stations (other modules)
//! ```

use std::path::{Path, PathBuf};

/// File name of the database inside the home.
pub const DATABASE_FILE: &str = "cardline.db";
/// File name of the options profile inside the home.
pub const OPTIONS_FILE: &str = "options.toml";

/// A cardline home directory (it may not exist yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// The home at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Home {
        Home { root: root.into() }
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The SQLite database file.
    pub fn database(&self) -> PathBuf {
        self.root.join(DATABASE_FILE)
    }

    /// The options profile.
    pub fn options_file(&self) -> PathBuf {
        self.root.join(OPTIONS_FILE)
    }

    /// The issuing CA directory.
    pub fn ca_dir(&self) -> PathBuf {
        self.root.join("ca")
    }

    /// The directory of station keys.
    pub fn keys_dir(&self) -> PathBuf {
        self.root.join("keys")
    }

    /// The station configuration file.
    pub fn stations_file(&self) -> PathBuf {
        self.root.join("stations.toml")
    }

    /// Any other file or directory of the home, relative to its root.
    pub fn path(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.root.join(relative)
    }

    /// True once `cardline init` created the database.
    pub fn is_initialised(&self) -> bool {
        self.database().is_file()
    }
}
