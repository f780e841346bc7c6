//! [`StationsFileReopener`]: the orchestrator re-opens a station after the operator resumed it
//! (the printer URI or reader may have been fixed in the stations file meanwhile); this opens
//! it again from the file as it is declared now, the same way the line was opened.

use std::path::PathBuf;
use std::sync::Mutex;

use cardline_issuance::production::{Station, StationReopener};

use super::{LineOptions, error_chain, open_station};
use crate::sim::SimDevice;
use crate::stations::load_stations;

/// Re-opens stations from a stations file (the orchestrator's [`StationReopener`]).
pub struct StationsFileReopener {
    path: PathBuf,
    options: LineOptions,
    /// Simulated devices of re-opened stations, kept alive with the reopener.
    devices: Mutex<Vec<SimDevice>>,
}

impl StationsFileReopener {
    /// Re-opens from the file at `path` with the options the line was opened with.
    pub fn new(path: impl Into<PathBuf>, options: LineOptions) -> StationsFileReopener {
        StationsFileReopener {
            path: path.into(),
            options,
            devices: Mutex::new(Vec::new()),
        }
    }
}

impl std::fmt::Debug for StationsFileReopener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StationsFileReopener")
            .field("path", &self.path)
            .field("options", &self.options)
            .finish()
    }
}

impl StationReopener for StationsFileReopener {
    /// Reads the file again and opens the station named `name` as declared now. A `sim://`
    /// station comes back as a fresh simulated device.
    fn reopen(&self, name: &str) -> Result<Station, String> {
        let file = load_stations(&self.path).map_err(|e| e.to_string())?;
        let spec = file
            .stations
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| {
                format!(
                    "station `{name}` is no longer declared in {}",
                    self.path.display()
                )
            })?;
        let opened = open_station(spec, &self.options).map_err(|e| error_chain(&e))?;
        if let Some(device) = opened.device {
            self.devices
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(device);
        }
        Ok(opened.station)
    }
}
