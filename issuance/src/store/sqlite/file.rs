//! The database file itself: created only on purpose (mode 0600), and checked before SQLite
//! opens it, because SQLite happily turns an empty or missing file into a fresh database —
//! which would issue card numbers already printed on cards a second time.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::store::StoreError;

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Refuses a missing, empty or non-SQLite file with the error that names it.
pub(super) fn check_existing(path: &Path) -> Result<(), StoreError> {
    let shown = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::NoDatabase { path: shown });
        }
        Err(e) => {
            return Err(StoreError::NotADatabase {
                path: shown,
                why: format!("it cannot be read ({e})"),
            });
        }
    };
    if !meta.is_file() {
        return Err(StoreError::NotADatabase {
            path: shown,
            why: "it is not a regular file".into(),
        });
    }
    if meta.len() == 0 {
        // A database in WAL mode may have an empty main file while its first pages are still
        // in the write-ahead log; only a file with no log at all is really empty.
        let wal = path.with_extension(format!(
            "{}-wal",
            path.extension().and_then(|e| e.to_str()).unwrap_or("")
        ));
        let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        if wal_len == 0 {
            return Err(StoreError::NotADatabase {
                path: shown,
                why: "the file is empty (0 bytes)".into(),
            });
        }
        return Ok(());
    }
    let mut head = [0u8; 16];
    let read = std::fs::File::open(path)
        .and_then(|mut f| {
            let mut n = 0;
            while n < head.len() {
                match f.read(&mut head[n..])? {
                    0 => break,
                    k => n += k,
                }
            }
            Ok(n)
        })
        .map_err(|e| StoreError::NotADatabase {
            path: shown.clone(),
            why: format!("it cannot be read ({e})"),
        })?;
    if read < head.len() || &head != SQLITE_HEADER {
        return Err(StoreError::NotADatabase {
            path: shown,
            why: format!(
                "it does not start with the SQLite header ({} bytes, begins {:?})",
                meta.len(),
                String::from_utf8_lossy(&head[..read.min(16)])
                    .chars()
                    .map(|c| if c.is_control() { '.' } else { c })
                    .collect::<String>()
            ),
        });
    }
    Ok(())
}

/// Creates the database at `path` complete or not at all: `init` builds it in a temporary
/// file (mode 0600) next to it and links it into place only when `build` succeeded, so a
/// crash during `init` never leaves an empty `cardline.db` behind, and a file another process
/// created meanwhile is never replaced.
pub(super) fn create_complete(
    path: &Path,
    build: impl FnOnce(&Path) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let failed = |e: std::io::Error| StoreError::Backend {
        operation: "creating the database".into(),
        detail: format!("{}: {e}", path.display()),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cardline.db".into());
    let tmp = path.with_file_name(format!(".{name}.creating-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(failed)?;
    let built = build(&tmp);
    let linked = built.and_then(|()| match std::fs::hard_link(&tmp, path) {
        Ok(()) => Ok(()),
        // Another `init` won the race: its database stands.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(failed(e)),
    });
    let _ = std::fs::remove_file(&tmp);
    linked
}
