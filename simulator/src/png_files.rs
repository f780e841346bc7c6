//! PNG files of printed sides, never overwritten: a name that is taken gets `-2`, `-3` … before
//! `.png` (`card-00001-front-2.png`, `TMP000000018-2.png`), so two runs writing into the same
//! directory, or a card printed again on a new blank, keep every file.
//!
//! Files are created with `create_new` (refused by the operating system when the name exists),
//! so two processes writing into one directory cannot replace each other's files either.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, ErrorKind};
use std::path::{Path, PathBuf};

/// How many suffixes are tried before giving up (`-2` … `-9999`).
const MAX_SUFFIX: u32 = 9999;
/// Most characters of a label used in a file name.
const LABEL_CHARS: usize = 64;

/// The file name of `stem` with suffix `n` (1 = none, else `-n`).
fn name(stem: &str, n: u32) -> String {
    if n == 1 {
        format!("{stem}.png")
    } else {
        format!("{stem}-{n}.png")
    }
}

/// Creates one file per stem in `dir`, all with the same suffix: the first `n` (1 = none, then
/// 2, 3 …) for which no stem's name is taken. `create` writes file `i` at the path it is given
/// and must refuse an existing file (use [`create_new`]); if a name is taken meanwhile (another
/// process), what this round created is removed and the next suffix is tried. Returns the paths.
pub(crate) fn create_unique(
    dir: &Path,
    stems: &[String],
    mut create: impl FnMut(usize, &Path) -> io::Result<()>,
) -> io::Result<Vec<PathBuf>> {
    'suffix: for n in 1..=MAX_SUFFIX {
        let paths: Vec<PathBuf> = stems.iter().map(|s| dir.join(name(s, n))).collect();
        if paths.iter().any(|p| p.exists()) {
            continue;
        }
        for (i, path) in paths.iter().enumerate() {
            match create(i, path) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    for done in &paths[..i] {
                        let _ = std::fs::remove_file(done);
                    }
                    continue 'suffix;
                }
                Err(e) => {
                    for done in &paths[..i] {
                        let _ = std::fs::remove_file(done);
                    }
                    return Err(e);
                }
            }
        }
        return Ok(paths);
    }
    Err(io::Error::new(
        ErrorKind::AlreadyExists,
        format!(
            "{}: every name from {} to {} is taken; move the old PNG files away",
            dir.display(),
            name(stems.first().map_or("card", String::as_str), 1),
            name(stems.first().map_or("card", String::as_str), MAX_SUFFIX)
        ),
    ))
}

/// Opens a new file for writing; fails with `AlreadyExists` rather than replace one.
pub(crate) fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Writes an RGB picture (row-major, 3 bytes per pixel) as a new PNG file at `path`.
pub(crate) fn write_rgb_png(
    path: &Path,
    width: usize,
    height: usize,
    rgb: Vec<u8>,
) -> io::Result<()> {
    let img = image::RgbImage::from_raw(width as u32, height as u32, rgb)
        .ok_or_else(|| io::Error::other("picture size does not match its pixels"))?;
    let mut out = BufWriter::new(create_new(path)?);
    let written = img
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(io::Error::other)
        .and_then(|()| out.into_inner().map_err(|e| e.into_error()).map(drop));
    if written.is_err() {
        let _ = std::fs::remove_file(path);
    }
    written
}

/// Gives existing files new names (one per stem, same directory as each file, the same suffix
/// for all), never replacing a file: hard-linked under the new name then unlinked, or copied
/// when the file system has no hard links. Returns the new paths.
pub(crate) fn rename_unique(files: &[PathBuf], stems: &[String]) -> io::Result<Vec<PathBuf>> {
    let Some(dir) = files.first().and_then(|f| f.parent()) else {
        return Ok(Vec::new());
    };
    let renamed = create_unique(dir, stems, |i, to| {
        let from = &files[i];
        match std::fs::hard_link(from, to) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(e),
            Err(_) => {
                let mut src = File::open(from)?;
                let mut dst = create_new(to)?;
                io::copy(&mut src, &mut dst).map(drop)
            }
        }
    })?;
    for old in files {
        std::fs::remove_file(old)?;
    }
    Ok(renamed)
}

/// A label made safe as a file name stem: ASCII letters, digits, `-`, `_` and `.` kept, any
/// other character becomes `_`, no leading dot, at most 64 characters. `None` when nothing is
/// left.
pub(crate) fn safe_stem(label: &str) -> Option<String> {
    let stem: String = label
        .chars()
        .take(LABEL_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = stem.trim_start_matches('.');
    (!stem.is_empty()).then(|| stem.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &'static str) -> impl FnMut(usize, &Path) -> io::Result<()> {
        move |_, p| {
            use std::io::Write;
            create_new(p)?.write_all(text.as_bytes())
        }
    }

    fn stems(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn taken_names_get_the_next_suffix_and_are_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let pair = stems(&["c-front", "c-back"]);
        let first = create_unique(d, &pair, write("one")).unwrap();
        assert_eq!(first, [d.join("c-front.png"), d.join("c-back.png")]);
        let second = create_unique(d, &pair, write("two")).unwrap();
        assert_eq!(second, [d.join("c-front-2.png"), d.join("c-back-2.png")]);
        // only the back of suffix 3 is taken: both sides move on to 4, together
        std::fs::write(d.join("c-back-3.png"), "other").unwrap();
        let fourth = create_unique(d, &pair, write("four")).unwrap();
        assert_eq!(fourth, [d.join("c-front-4.png"), d.join("c-back-4.png")]);
        assert_eq!(
            std::fs::read_to_string(d.join("c-front.png")).unwrap(),
            "one"
        );
        assert_eq!(
            std::fs::read_to_string(d.join("c-back-3.png")).unwrap(),
            "other"
        );
        assert!(!d.join("c-front-3.png").exists());
    }

    #[test]
    fn a_name_taken_meanwhile_undoes_the_round_and_tries_the_next_suffix() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_path_buf();
        let pair = stems(&["a", "b"]);
        let mut calls = 0;
        let made = create_unique(&d, &pair, |i, p| {
            calls += 1;
            if calls == 2 {
                // another process takes b.png between the check and the create
                std::fs::write(p, "theirs").unwrap();
            }
            let _ = i;
            create_new(p).map(drop)
        })
        .unwrap();
        assert_eq!(made, [d.join("a-2.png"), d.join("b-2.png")]);
        assert!(!d.join("a.png").exists(), "the half round was undone");
        assert_eq!(std::fs::read_to_string(d.join("b.png")).unwrap(), "theirs");
    }

    #[test]
    fn renaming_keeps_the_content_and_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("x.png"), "old card").unwrap();
        std::fs::write(d.join("card-00001-front.png"), "new print").unwrap();
        let moved = rename_unique(&[d.join("card-00001-front.png")], &stems(&["x"])).unwrap();
        assert_eq!(moved, [d.join("x-2.png")]);
        assert_eq!(
            std::fs::read_to_string(d.join("x.png")).unwrap(),
            "old card"
        );
        assert_eq!(
            std::fs::read_to_string(d.join("x-2.png")).unwrap(),
            "new print"
        );
        assert!(!d.join("card-00001-front.png").exists());
    }

    #[test]
    fn labels_become_safe_stems() {
        assert_eq!(safe_stem("TMP000000018").as_deref(), Some("TMP000000018"));
        assert_eq!(safe_stem("../etc/passwd").as_deref(), Some("_etc_passwd"));
        assert_eq!(safe_stem("a b/c").as_deref(), Some("a_b_c"));
        assert_eq!(safe_stem("..."), None);
        assert_eq!(safe_stem(""), None);
        assert_eq!(safe_stem(&"n".repeat(200)).map(|s| s.len()), Some(64));
    }
}
