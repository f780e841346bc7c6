//! Reading the files an operator points cardline at (options profile, stations file, card face
//! templates and their images) through a size limit: `/dev/zero`, a FIFO that never ends or a
//! 10 GB file given by mistake is refused after reading at most the limit plus one byte,
//! instead of filling memory.
//!
//! The limits (documented in docs/foundation.md and docs/card-face.md, "Limits"):
//! [`TOML_FILE_LIMIT`] for every TOML file, [`IMAGE_FILE_LIMIT`] for a template's image.

use std::fmt;
use std::io::{self, ErrorKind, Read};
use std::path::Path;

/// Largest TOML file read (options profile, stations file, card face template): 1 MiB. The
/// commented options template is about 3 KiB; a stations file with a hundred stations under
/// 20 KiB.
pub const TOML_FILE_LIMIT: u64 = 1024 * 1024;

/// Largest image file a card face template may refer to: 8 MiB. A card-sized (1016 × 648)
/// 24-bit PNG is at most about 2 MB, even for a photograph.
pub const IMAGE_FILE_LIMIT: u64 = 8 * 1024 * 1024;

/// A file bigger than the limit for its kind; the message names the limit and the fix (the
/// path is named by the error that wraps it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileTooLarge {
    /// The limit, in bytes.
    pub limit: u64,
    /// What the file should have been, e.g. "an options file".
    pub what: &'static str,
}

impl fmt::Display for FileTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "file is larger than {} (the limit for {}): is this the right file? Check the path",
            human_size(self.limit),
            self.what
        )
    }
}

impl std::error::Error for FileTooLarge {}

/// `1 MiB`, `8 MiB`, `512 KiB`, `300 bytes`.
pub fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads at most `limit` bytes of `path`; a longer file (or an endless one) is an
/// [`io::Error`] of kind [`ErrorKind::FileTooLarge`] carrying a [`FileTooLarge`].
pub fn read_bytes(path: &Path, limit: u64, what: &'static str) -> io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            ErrorKind::FileTooLarge,
            FileTooLarge { limit, what },
        ));
    }
    Ok(bytes)
}

/// Reads a UTF-8 text file of at most `limit` bytes (see [`read_bytes`]); text that is not
/// UTF-8 is an [`ErrorKind::InvalidData`] error naming the offset of the first bad byte.
pub fn read_text(path: &Path, limit: u64, what: &'static str) -> io::Result<String> {
    let bytes = read_bytes(path, limit, what)?;
    String::from_utf8(bytes).map_err(|e| {
        io::Error::new(
            ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (bad byte at offset {}): is this the right file? {what} is a TOML text file",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// The [`FileTooLarge`] inside an error from [`read_bytes`] or [`read_text`], if that is what
/// it is.
pub fn too_large(e: &io::Error) -> Option<&FileTooLarge> {
    e.get_ref()?.downcast_ref::<FileTooLarge>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_file_is_refused_after_the_limit() {
        let e = read_text(Path::new("/dev/zero"), 1024, "a test file").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::FileTooLarge);
        assert_eq!(
            too_large(&e),
            Some(&FileTooLarge {
                limit: 1024,
                what: "a test file"
            })
        );
        assert_eq!(
            e.to_string(),
            "file is larger than 1 KiB (the limit for a test file): is this the right file? Check the path"
        );
    }

    #[test]
    fn a_file_of_exactly_the_limit_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.toml");
        std::fs::write(&path, "x".repeat(100)).unwrap();
        assert_eq!(read_text(&path, 100, "f").unwrap().len(), 100);
        assert!(read_text(&path, 99, "f").is_err());
        std::fs::write(&path, b"a = 1\n\xff").unwrap();
        let e = read_text(&path, 100, "an options file").unwrap_err();
        assert!(e.to_string().contains("bad byte at offset 6"), "{e}");
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_size(TOML_FILE_LIMIT), "1 MiB");
        assert_eq!(human_size(IMAGE_FILE_LIMIT), "8 MiB");
        assert_eq!(human_size(1536), "1536 bytes");
        assert_eq!(human_size(512 * 1024), "512 KiB");
    }
}
