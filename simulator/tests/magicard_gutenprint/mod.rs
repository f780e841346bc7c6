//! Runs Gutenprint (Debian: `cups cups-filters printer-driver-gutenprint`) to make Magicard
//! streams with other PPD options, as the fixtures' README does: the PPD from the Gutenprint
//! CUPS driver, `cupsfilter` PNG → CUPS raster, `rastertogutenprint.5.3` raster → stream.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

const DRIVER: &str = "/usr/lib/cups/driver/gutenprint.5.3";
const FILTER: &str = "/usr/lib/cups/filter/rastertogutenprint.5.3";

/// The installed Gutenprint, with a scratch directory.
pub struct Gutenprint {
    cupsfilter: PathBuf,
    dir: PathBuf,
}

impl Gutenprint {
    /// Gutenprint when its commands are installed; otherwise prints `skipped:` and gives `None`.
    pub fn find(test: &str) -> Option<Self> {
        let cupsfilter = ["/usr/sbin/cupsfilter", "/usr/bin/cupsfilter"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists());
        match cupsfilter {
            Some(cupsfilter) if Path::new(DRIVER).exists() && Path::new(FILTER).exists() => {
                let dir = std::env::temp_dir()
                    .join(format!("cardline-gutenprint-{}-{test}", std::process::id()));
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir).expect("scratch dir");
                Some(Self { cupsfilter, dir })
            }
            _ => {
                cardline_device::skipped!(
                    "{test}: gutenprint not installed (Debian packages cups cups-filters printer-driver-gutenprint)"
                );
                None
            }
        }
    }

    /// The PPD of a Gutenprint model, e.g. `magicard-rio-2e`, `magicard-tango-2e`.
    pub fn ppd(&self, model: &str) -> PathBuf {
        let out =
            run(Command::new(DRIVER).args(["cat", &format!("gutenprint.5.3://{model}/expert")]));
        let path = self.dir.join(format!("{model}.ppd"));
        std::fs::write(&path, out).expect("write PPD");
        path
    }

    /// A CUPS raster of `png` (one page) with the PPD and `-o` options.
    pub fn raster(&self, ppd: &Path, png: &Path, options: &[&str]) -> Vec<u8> {
        let mut c = Command::new(&self.cupsfilter);
        c.arg("-p").arg(ppd);
        for o in options {
            c.args(["-o", o]);
        }
        c.args(["-m", "application/vnd.cups-raster", "-i", "image/png"])
            .arg(png);
        run(&mut c)
    }

    /// Two single-page rasters as one two-page raster (a raster stream is a 4-byte sync word
    /// followed by pages; the second file's sync word is dropped).
    pub fn two_pages(first: &[u8], second: &[u8]) -> Vec<u8> {
        assert_eq!(&first[..4], b"3SaR", "CUPS raster v3");
        assert_eq!(&second[..4], b"3SaR", "CUPS raster v3");
        [first, &second[4..]].concat()
    }

    /// The Magicard stream Gutenprint makes from `raster` with the PPD and the job `options`
    /// (`Name=Value` separated by spaces, as CUPS passes them).
    pub fn stream(&self, ppd: &Path, raster: &[u8], options: &str) -> Vec<u8> {
        let input = self.dir.join("job.ras");
        std::fs::write(&input, raster).expect("write raster");
        run(Command::new(FILTER)
            .env("PPD", ppd)
            .args(["1", "cardline", "variant", "1", options])
            .arg(&input))
    }
}

impl Drop for Gutenprint {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs a command and returns its standard output; panics with its error output on failure.
fn run(c: &mut Command) -> Vec<u8> {
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("cannot run {c:?}: {e}"));
    if !out.status.success() || out.stdout.is_empty() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().filter(|l| l.starts_with("ERROR")).collect();
        panic!("{c:?} failed ({}): {tail:?}", out.status);
    }
    out.stdout
}
