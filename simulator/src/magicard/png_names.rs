//! The PNG files of the last card printed, renamed after what the card is when the host knows
//! it (the production card number): the Magicard stream does not carry it, so whoever drives
//! the printer in-process names the files, as for the Evolis printer.

use std::path::PathBuf;

use super::SimMagicard;
use crate::png_files::{rename_unique, safe_stem};

/// The PNG files written for the last card printed on (front, then back).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MagicardPngs {
    /// The card's number (1 = first card fed).
    pub card_number: u32,
    /// The job counter of its first printed side (jobs count sides: a duplex card is two).
    pub first_job: u32,
    /// The files, front first.
    pub files: Vec<PathBuf>,
    /// The label they were named after, once named.
    pub label: Option<String>,
}

impl SimMagicard {
    /// Notes the PNG of a side just printed (job counter `job`) of card `card_number`; the back
    /// of the card last printed joins its front.
    pub(super) fn note_png(&mut self, card_number: u32, job: u32, file: PathBuf, back: bool) {
        match &mut self.last_pngs {
            Some(last) if back && last.card_number == card_number && last.label.is_none() => {
                last.files.push(file);
            }
            _ => {
                self.last_pngs = Some(MagicardPngs {
                    card_number,
                    first_job: job,
                    files: vec![file],
                    label: None,
                })
            }
        }
    }

    /// Print jobs (sides) done since power-on.
    pub fn jobs(&self) -> u32 {
        self.counters.jobs
    }

    /// The PNG files written for the last card printed on.
    pub fn last_pngs(&self) -> Option<&MagicardPngs> {
        self.last_pngs.as_ref()
    }

    /// Names the PNGs of the last card after `label` (`TMP000000018.png`,
    /// `TMP000000018-back.png`) when its first side was printed after job `job` (the counter
    /// read before the print) and they are not named yet. A taken name gets `-2`, `-3` …;
    /// nothing is ever overwritten; the label is made safe as a file name. Returns the new
    /// paths; a failure is recorded in [`png_errors`](Self::png_errors).
    pub fn label_pngs_since(&mut self, job: u32, label: &str) -> Option<Vec<PathBuf>> {
        let stem = safe_stem(label)?;
        let last = self
            .last_pngs
            .as_mut()
            .filter(|w| w.first_job > job && w.label.is_none() && !w.files.is_empty())?;
        let stems: Vec<String> = (0..last.files.len())
            .map(|i| match i {
                0 => stem.clone(),
                _ => format!("{stem}-back"),
            })
            .collect();
        match rename_unique(&last.files, &stems) {
            Ok(files) => {
                last.label = Some(label.to_string());
                let card = last.card_number;
                last.files = files.clone();
                if let Some(p) = self
                    .printed
                    .iter_mut()
                    .rev()
                    .find(|p| p.card_number == card)
                {
                    p.png_files = files.clone();
                }
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
