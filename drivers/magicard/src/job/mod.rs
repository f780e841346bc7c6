//! Print jobs (`docs/magicard-protocol.md` §1–§3): a [`CardImage`] turned into one page per
//! printed side, each `05×64 01 header 1C planes 03`, planes in the native format. Each page is
//! sent on its own and answered on its own (`PRT,OK`), as Gutenprint sends a duplex card: two
//! complete jobs, the front (`DPXON,PAG1`) then the back (`DPXON,PAG2`).
//!
//! Per side, the planes follow from what the side has:
//!
//! | side has | `IMF` | planes |
//! |---|---|---|
//! | colour and resin black | `BGRK` | Y, M, C (6 bit), K (1 bit) |
//! | colour only | `BGR` | Y, M, C |
//! | resin black only, or nothing | `K` | K (blank when nothing) |
//!
//! Black text and codes of the card ([`CardSide::black`]) go to the resin K plane; the colour
//! panel goes to Y/M/C by [`ink`]; the overlay becomes `OVR`/`NCT` by [`overcoat`]. The back
//! page of a duplex card is turned by 180° ([`planes::Turn`]), as Gutenprint sends it.

pub mod geometry;
pub mod header;
pub mod ink;
pub mod overcoat;
pub mod planes;

use crate::commands::{Answer, Command, JOB_TIMEOUT};
use crate::frame::{ETX, FS, GUARD, JOB_GUARDS, SOH};
use cardline_device::{CardImage, CardSide, MonoPanel, PrinterError};
use header::{BackFormat, ImageFormat, PageHeader};
use overcoat::Overcoat;
use planes::{Plane, Turn, encode_black, encode_color};
use std::borrow::Cow;
use std::time::Duration;

/// What a job says about itself beyond the image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSettings {
    /// `VER…`: the driver version (defaults to this crate's version).
    pub driver_version: String,
    /// `TDT…`: Unix seconds (defaults to now).
    pub timestamp: u32,
    /// The printer prints both sides; a back side is refused otherwise.
    pub duplex: bool,
}

impl JobSettings {
    /// This crate's version, the current time, and the given duplex capability.
    pub fn now(duplex: bool) -> Self {
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(0);
        Self {
            driver_version: env!("CARGO_PKG_VERSION").to_string(),
            timestamp,
            duplex,
        }
    }
}

/// The image format of a side.
fn format_of(side: &CardSide) -> ImageFormat {
    match (&side.color, &side.black) {
        (Some(_), Some(_)) => ImageFormat::Bgrk,
        (Some(_), None) => ImageFormat::Bgr,
        (None, _) => ImageFormat::K,
    }
}

/// The planes of a side, in sending order, with their letters, laid `turn`.
fn side_planes(side: &CardSide, turn: Turn) -> Vec<(Plane, Vec<u8>)> {
    let mut out = Vec::with_capacity(4);
    if let Some(color) = &side.color {
        let [y, m, c] = encode_color(color, turn);
        out.extend([(Plane::Yellow, y), (Plane::Magenta, m), (Plane::Cyan, c)]);
    }
    let black = match &side.black {
        Some(k) => encode_black(k, turn),
        None if side.color.is_none() => encode_black(&MonoPanel::blank(), turn),
        None => return out,
    };
    out.push((Plane::Black, black));
    out
}

/// One page of a print job (one side of the card), ready to send. As a [`Command`], its reply is
/// `PRT,OK` once the side is printed (§4, \[CL\]); the card stays inside until `EJT` or `RJT`
/// (the front of a duplex card stays for its back in any case).
#[derive(Clone, PartialEq, Eq)]
pub struct PrintPage {
    bytes: Vec<u8>,
    page: u8,
}

impl std::fmt::Debug for PrintPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrintPage({}, {} bytes)", self.page, self.bytes.len())
    }
}

impl PrintPage {
    /// The bytes sent to the printer for this page.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// 1 for the front, 2 for the back (`PAG`).
    pub fn page(&self) -> u8 {
        self.page
    }
}

impl Command for PrintPage {
    type Output = ();
    fn text(&self) -> String {
        let side = if self.page == 1 { "front" } else { "back" };
        format!("print job, {side} page ({} bytes)", self.bytes.len())
    }
    fn frame(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
    fn parse(&self, a: Answer<'_>) -> Option<()> {
        matches!(a, Answer::Value("PRT,OK")).then_some(())
    }
    fn timeout(&self) -> Duration {
        JOB_TIMEOUT
    }
}

/// A print job ready to send: one page, or two for a duplex card, each sent and answered on
/// its own.
#[derive(Clone, PartialEq, Eq)]
pub struct PrintJob {
    pages: Vec<PrintPage>,
}

impl std::fmt::Debug for PrintJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PrintJob({} page(s), {} bytes)",
            self.pages.len(),
            self.len()
        )
    }
}

impl PrintJob {
    /// Builds the job for `image`: the front page, then the back page (`PAG2`) when the image
    /// has a back. A back on a printer that is not duplex is [`PrinterError::Unsupported`], as
    /// are panels of a geometry the driver does not map ([`geometry::check_image`]) and an
    /// overlay mask that is not one rectangular hole.
    pub fn build(image: &CardImage, settings: &JobSettings) -> Result<PrintJob, PrinterError> {
        geometry::check_image(image)?;
        if image.back.is_some() && !settings.duplex {
            return Err(PrinterError::Unsupported {
                what: "print the back side (not a duplex printer)".into(),
            });
        }
        let duplex = image.back.is_some();
        let back_format = match &image.back {
            Some(back) => Some(BackFormat {
                format: format_of(back),
                overcoat: Overcoat::for_overlay(&back.overlay, Turn::Turned)?.is_on(),
                blank: back.color.is_none() && back.black.is_none(),
            }),
            None => None,
        };
        let mut pages = vec![page(&image.front, settings, duplex, back_format, 1)?];
        if let Some(back) = &image.back {
            pages.push(page(back, settings, duplex, None, 2)?);
        }
        Ok(PrintJob { pages })
    }

    /// The pages, in sending order.
    pub fn pages(&self) -> &[PrintPage] {
        &self.pages
    }

    /// Every page's bytes, one after the other (what the printer receives in all).
    pub fn bytes(&self) -> Vec<u8> {
        self.pages
            .iter()
            .flat_map(|p| p.bytes.iter().copied())
            .collect()
    }

    /// Bytes of all pages.
    pub fn len(&self) -> usize {
        self.pages.iter().map(|p| p.bytes.len()).sum()
    }

    /// Never true: a job has at least its front page.
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }
}

/// One page: guards, `01`, header, `1C`, planes with terminators, `03`.
fn page(
    side: &CardSide,
    settings: &JobSettings,
    duplex: bool,
    back: Option<BackFormat>,
    number: u8,
) -> Result<PrintPage, PrinterError> {
    let mut bytes = Vec::new();
    write_page(&mut bytes, side, settings, duplex, back, number)?;
    Ok(PrintPage {
        bytes,
        page: number,
    })
}

/// Appends one page: guards, `01`, header, `1C`, planes with terminators, `03`. The back page
/// (`PAG2`) is turned by 180°, as Gutenprint sends it.
fn write_page(
    out: &mut Vec<u8>,
    side: &CardSide,
    settings: &JobSettings,
    duplex: bool,
    back: Option<BackFormat>,
    page: u8,
) -> Result<(), PrinterError> {
    let turn = if page == 2 {
        Turn::Turned
    } else {
        Turn::Upright
    };
    let overcoat = Overcoat::for_overlay(&side.overlay, turn)?;
    let planes = side_planes(side, turn);
    let header = PageHeader {
        driver_version: settings.driver_version.clone(),
        timestamp: settings.timestamp,
        duplex,
        back,
        page,
        format: format_of(side),
        overcoat,
        plane_sizes: planes.iter().map(|(p, data)| (*p, data.len())).collect(),
    };
    out.extend_from_slice(&[GUARD; JOB_GUARDS]);
    out.push(SOH);
    out.extend_from_slice(header.text().as_bytes());
    out.push(FS);
    for (plane, data) in &planes {
        out.extend_from_slice(data);
        out.extend_from_slice(&plane.terminator());
    }
    out.push(ETX);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cardline_device::{ColorPanel, Overlay};

    fn settings(duplex: bool) -> JobSettings {
        JobSettings {
            driver_version: "9.9.9".into(),
            timestamp: 0x6B0BEE42,
            duplex,
        }
    }

    #[test]
    fn a_blank_side_is_one_blank_k_plane() {
        let job = PrintJob::build(&CardImage::default(), &settings(false)).unwrap();
        let b = job.bytes();
        let b = &b[..];
        assert_eq!(&b[..64], &[0x05; 64]);
        assert_eq!(b[64], 0x01);
        let fs = b.iter().position(|&x| x == 0x1C).unwrap();
        let header = std::str::from_utf8(&b[65..fs]).unwrap();
        assert!(
            header.contains(",IMFK,") && header.ends_with(",SZK85344"),
            "{header}"
        );
        assert!(header.contains(",OVRON,"), "{header}");
        assert_eq!(b.len(), fs + 1 + 85_344 + 3 + 1);
        assert!(b[fs + 1..fs + 1 + 85_344].iter().all(|&x| x == 0));
        assert_eq!(&b[b.len() - 4..], b"\x1cK:\x03");
        assert_eq!(job.pages().len(), 1);
        assert_eq!(
            job.pages()[0].text(),
            format!("print job, front page ({} bytes)", b.len())
        );
    }

    #[test]
    fn a_back_needs_a_duplex_printer() {
        let card = CardImage {
            front: CardSide::default(),
            back: Some(CardSide {
                color: Some(ColorPanel::filled([0, 0, 0])),
                black: None,
                overlay: Overlay::None,
            }),
            label: None,
        };
        let e = PrintJob::build(&card, &settings(false)).unwrap_err();
        assert!(matches!(e, PrinterError::Unsupported { .. }), "{e:?}");
        let job = PrintJob::build(&card, &settings(true)).unwrap();
        let pages: Vec<u8> = job.pages().iter().map(PrintPage::page).collect();
        assert_eq!(pages, [1, 2]);
        let front = String::from_utf8_lossy(job.pages()[0].bytes());
        let back = String::from_utf8_lossy(job.pages()[1].bytes());
        assert!(front.contains(",DPXON,BACC,PAG1,") && !front.contains("PAG2"));
        assert!(back.contains(",DPXON,PAG2,") && back.ends_with('\x03'));
        assert_eq!(job.len(), job.bytes().len());
    }
}
