//! Printed sides written as PNG files, never overwritten (`crate::png_files`), and renamed after
//! what the card is when the host knows it (the production card number): the Evolis byte
//! stream does not carry it, so whoever drives the printer in-process names the files.

use std::path::PathBuf;

use cardline_device::{PANEL_HEIGHT, PANEL_WIDTH};

use super::SimPrinter;
use super::output::{PrintedCard, PrintedSide, WrittenPngs};
use crate::png_files::{create_unique, rename_unique, safe_stem, write_rgb_png};

impl SimPrinter {
    /// Writes the PNGs of print job `job` into the PNG directory, if any: `card-00001-front.png`
    /// (and `-back`), or `card-00001-front-2.png` … when a name is taken. Returns the paths.
    pub(super) fn write_pngs(
        &mut self,
        job: u32,
        card_number: u32,
        front: &PrintedSide,
        back: Option<&PrintedSide>,
    ) -> Vec<PathBuf> {
        let Some(dir) = self.config.png_dir.clone() else {
            return Vec::new();
        };
        let sides: Vec<(&PrintedSide, bool)> = std::iter::once((front, false))
            .chain(back.map(|b| (b, true)))
            .collect();
        let stems: Vec<String> = sides
            .iter()
            .map(|(_, is_back)| PrintedCard::png_stem(job, *is_back))
            .collect();
        let tint = self.config.tint_overlay;
        let written = create_unique(&dir, &stems, |i, path| {
            write_rgb_png(path, PANEL_WIDTH, PANEL_HEIGHT, sides[i].0.to_rgb(tint))
        });
        match written {
            Ok(files) => {
                self.last_pngs = Some(WrittenPngs {
                    job,
                    card_number,
                    files: files.clone(),
                    label: None,
                });
                files
            }
            Err(e) => {
                self.png_errors
                    .push(format!("{}: {e}", dir.join(&stems[0]).display()));
                Vec::new()
            }
        }
    }

    /// The PNG files written for the last print job that wrote any (front, then back).
    pub fn last_pngs(&self) -> Option<&WrittenPngs> {
        self.last_pngs.as_ref()
    }

    /// Names the PNGs of the last print job after `label` (`TMP000000018.png`,
    /// `TMP000000018-back.png`) when that job came after job `job` (the job counter read before
    /// the print) and they are not named yet. A taken name gets `-2`, `-3` … (a card printed
    /// again on a new blank keeps both files); nothing is ever overwritten. The label is made
    /// safe as a file name (other characters than letters, digits, `-`, `_`, `.` become `_`).
    /// Returns the new paths; a failure is recorded in [`png_errors`](Self::png_errors).
    pub fn label_pngs_since(&mut self, job: u32, label: &str) -> Option<Vec<PathBuf>> {
        let stem = safe_stem(label)?;
        let last = self
            .last_pngs
            .as_mut()
            .filter(|w| w.job > job && w.label.is_none() && !w.files.is_empty())?;
        let stems: Vec<String> = (0..last.files.len())
            .map(|i| match i {
                0 => stem.clone(),
                _ => format!("{stem}-back"),
            })
            .collect();
        match rename_unique(&last.files, &stems) {
            Ok(files) => {
                last.label = Some(label.to_string());
                let (old, job) = (std::mem::replace(&mut last.files, files.clone()), last.job);
                if let Some(card) = self.printed.iter_mut().find(|p| p.job == job) {
                    card.png_files = files.clone();
                }
                tracing::debug!(?old, ?files, "printed card named {label}");
                Some(files)
            }
            Err(e) => {
                self.png_errors
                    .push(format!("naming {:?} after {label}: {e}", last.files));
                None
            }
        }
    }
}
