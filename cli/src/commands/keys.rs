//! `cardline keys init`: create the station key and the management-key master key.

use cardline_issuance::secrets::KeyFiles;
use serde::Serialize;

use crate::context::Context;

/// Subcommands of `cardline keys`.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Create `keys/station.key` (seals PIN/PUK and the CA key) and
    /// `keys/management-master.key` (per-card management keys), mode 0600. Never overwrites.
    Init,
}

#[derive(Serialize)]
struct KeysCreated {
    station_key: String,
    station_key_id: String,
    management_master_key: String,
}

/// Runs a `cardline keys` subcommand.
pub fn run(ctx: &Context, cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Init => {
            let files = KeyFiles::in_home(ctx.home_dir());
            let key_id = files.init()?;
            if ctx.has_store() {
                ctx.store()?.audit_note(
                    "keys.init",
                    None,
                    None,
                    Some(&format!("station key {key_id}")),
                    &ctx.actor(),
                )?;
            }
            let created = KeysCreated {
                station_key: files.station_key_path().display().to_string(),
                station_key_id: key_id,
                management_master_key: files.master_key_path().display().to_string(),
            };
            ctx.emit(&created, || {
                format!(
                    "created {} (key id {})\ncreated {}\nBack both up: without the station key no \
                     sealed PIN/PUK and no CA key can be opened; without the master key no issued \
                     card can be managed.",
                    created.station_key, created.station_key_id, created.management_master_key
                )
            })
        }
    }
}
