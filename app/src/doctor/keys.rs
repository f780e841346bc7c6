//! Key files: the station key and the management-key master are present, readable by their
//! owner only (a key file group- or world-readable is a problem: anyone in that group can
//! open every sealed PIN and the CA key), and hold a key (their key ids are shown).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use cardline_issuance::home::Home;
use cardline_issuance::secrets::{KeyFiles, SecretsError};

use super::{Check, Found};

const FAMILY: &str = "keys";

/// Checks the keys directory and both key files.
pub(crate) fn check(home: &Home, found: &Found, out: &mut Vec<Check>) {
    let files = KeyFiles::in_home(home.root());
    if let Ok(m) = std::fs::metadata(&files.dir)
        && m.permissions().mode() & 0o077 != 0
    {
        out.push(Check::warning(
            FAMILY,
            "keys/",
            format!(
                "{} has mode {:o}: others can list the key files",
                files.dir.display(),
                m.permissions().mode() & 0o7777
            ),
            format!("chmod 700 {}", files.dir.display()),
        ));
    }
    let station = files.station_key_path();
    one(&station, found.print_only, out, || {
        files.station_key().map(|k| k.key_id())
    });
    one(&files.master_key_path(), found.print_only, out, || {
        files.master_key_id()
    });
}

fn one(
    path: &Path,
    print_only: bool,
    out: &mut Vec<Check>,
    key_id: impl FnOnce() -> Result<String, SecretsError>,
) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let shown = path.display();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let fix = "create the station keys with `cardline keys init` (or restore them from the backup of this home)";
            out.push(if print_only {
                Check::warning(
                    FAMILY,
                    name,
                    format!("{shown} is missing (the default profile is print-only: needed only to encode)"),
                    fix,
                )
            } else {
                Check::problem(FAMILY, name, format!("{shown} is missing"), fix)
            });
            return;
        }
        Err(e) => {
            out.push(Check::problem(
                FAMILY,
                name,
                format!("{shown} cannot be read: {e}"),
                "run cardline as the owner of the home (the services run as user `cardline`)",
            ));
            return;
        }
    };
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        let who = if mode & 0o007 != 0 {
            "every user of this PC"
        } else {
            "its group"
        };
        out.push(Check::problem(
            FAMILY,
            name,
            format!("{shown} has mode {mode:o}: {who} can read the key"),
            format!(
                "chmod 600 {shown}, then consider the key exposed (rotate it if others used this PC)"
            ),
        ));
        return;
    }
    match key_id() {
        Ok(id) => out.push(Check::ok(
            FAMILY,
            name,
            format!("{shown}: mode {mode:o}, key id {id}"),
        )),
        Err(e) => out.push(Check::problem(
            FAMILY,
            name,
            e.to_string(),
            "restore the key file from the backup of this home",
        )),
    }
}
