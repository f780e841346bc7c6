//! The print job header: one type per token (`docs/magicard-protocol.md` §2).
//!
//! The header is the tokens joined by commas, with a leading comma and no trailing one (a comma
//! right before the `1C` is a firmware fault per Magicard's driver notes).

use super::overcoat::{Overcoat, OvercoatHole};
use super::planes::Plane;

/// Which planes follow the header (`IMF`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    /// `IMFBGR`: yellow, magenta, cyan.
    Bgr,
    /// `IMFBGRK`: yellow, magenta, cyan, black.
    Bgrk,
    /// `IMFK`: black only.
    K,
}

impl ImageFormat {
    /// The planes of this format, in sending order.
    pub fn planes(self) -> &'static [Plane] {
        match self {
            ImageFormat::Bgr => &[Plane::Yellow, Plane::Magenta, Plane::Cyan],
            ImageFormat::Bgrk => &[Plane::Yellow, Plane::Magenta, Plane::Cyan, Plane::Black],
            ImageFormat::K => &[Plane::Black],
        }
    }

    fn code(self) -> &'static str {
        match self {
            ImageFormat::Bgr => "BGR",
            ImageFormat::Bgrk => "BGRK",
            ImageFormat::K => "K",
        }
    }
}

/// The back side's format announced on the front page of a duplex card (`BAC`, \[DOC\]: Magicard's
/// driver writes `CK`/`C`/`K` with an `O` appended when the back has overcoat, and `O` alone
/// for an overcoat-only back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackFormat {
    /// The back's image format.
    pub format: ImageFormat,
    /// True when the back has overcoat.
    pub overcoat: bool,
    /// True when the back has nothing printed (only overcoat, or nothing).
    pub blank: bool,
}

impl BackFormat {
    fn code(self) -> String {
        let planes = match (self.blank, self.format) {
            (true, _) => "",
            (false, ImageFormat::Bgrk) => "CK",
            (false, ImageFormat::Bgr) => "C",
            (false, ImageFormat::K) => "K",
        };
        let o = if self.overcoat { "O" } else { "" };
        match (planes, o) {
            ("", "") => "K".into(),
            _ => format!("{planes}{o}"),
        }
    }
}

/// One header token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderToken {
    /// `NOC<n>`: number of copies (cardline: 1).
    Copies(u32),
    /// `VER<text>`: the driver's version (cardline's crate version).
    DriverVersion(String),
    /// `LAN<code>`: the printer's display language (`ENG`).
    Language(&'static str),
    /// `TDT<8 hex digits>`: the job's timestamp, Unix seconds.
    Timestamp(u32),
    /// `REJON`/`REJOFF`: let the printer reject faulty cards by itself (cardline: off, it
    /// rejects with `RJT`).
    RejectFaulty(bool),
    /// `ESS<n>`: eject side / number (\[DOC unclear\]; the fixtures send `ESS1`).
    EjectSide(u8),
    /// `KEE`: the print head identifier of the Rio/Tango family (as in the fixtures).
    PrintHeadRio,
    /// `RT2`: Rio/Tango 2 job (as in the fixtures).
    RioTango2,
    /// `DPXON`/`DPXOFF`: duplex.
    Duplex(bool),
    /// `BAC<format>`: the back's format (front page of a duplex card only).
    Back(BackFormat),
    /// `PAG1`/`PAG2`: front / back page.
    Page(u8),
    /// `SLWON`/`SLWOFF`: ColourSure (as in the fixtures: on).
    ColourSure(bool),
    /// `IMF<format>`: which planes follow.
    Format(ImageFormat),
    /// `XCO0,YCO0`: image origin (two tokens on the wire).
    Origin,
    /// `WID1016,HGT642`: image size as the fixtures announce it (two tokens on the wire).
    Size,
    /// `OVRON`/`OVROFF`: overcoat.
    Overcoat(bool),
    /// `NNNOFF`: "use with laminate" off (as in the fixtures).
    UseWithLaminate(bool),
    /// `USFOFF`: HoloKote off.
    HoloKote(bool),
    /// `PCT0,0,1025,641`: the overcoat area, the whole card (Rio/Tango value).
    OvercoatArea,
    /// `NCT<x1>,<y1>,<x2>,<y2>`: a hole in the overcoat.
    OvercoatHole(OvercoatHole),
    /// `DDD<n>`: print head position (as in the fixtures: 50).
    HeadPosition(u8),
    /// `SZB`/`SZG`/`SZR`/`SZK<n>`: byte length of a plane, terminator not counted.
    PlaneSize(Plane, usize),
}

fn on_off(on: bool) -> &'static str {
    if on { "ON" } else { "OFF" }
}

impl std::fmt::Display for HeaderToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderToken::Copies(n) => write!(f, "NOC{n}"),
            HeaderToken::DriverVersion(v) => write!(f, "VER{v}"),
            HeaderToken::Language(l) => write!(f, "LAN{l}"),
            HeaderToken::Timestamp(t) => write!(f, "TDT{t:08X}"),
            HeaderToken::RejectFaulty(on) => write!(f, "REJ{}", on_off(*on)),
            HeaderToken::EjectSide(n) => write!(f, "ESS{n}"),
            HeaderToken::PrintHeadRio => f.write_str("KEE"),
            HeaderToken::RioTango2 => f.write_str("RT2"),
            HeaderToken::Duplex(on) => write!(f, "DPX{}", on_off(*on)),
            HeaderToken::Back(b) => write!(f, "BAC{}", b.code()),
            HeaderToken::Page(n) => write!(f, "PAG{n}"),
            HeaderToken::ColourSure(on) => write!(f, "SLW{}", on_off(*on)),
            HeaderToken::Format(i) => write!(f, "IMF{}", i.code()),
            HeaderToken::Origin => f.write_str("XCO0,YCO0"),
            HeaderToken::Size => f.write_str("WID1016,HGT642"),
            HeaderToken::Overcoat(on) => write!(f, "OVR{}", on_off(*on)),
            HeaderToken::UseWithLaminate(on) => write!(f, "NNN{}", on_off(*on)),
            HeaderToken::HoloKote(on) => write!(f, "USF{}", on_off(*on)),
            HeaderToken::OvercoatArea => f.write_str("PCT0,0,1025,641"),
            HeaderToken::OvercoatHole(h) => write!(f, "NCT{},{},{},{}", h.x1, h.y1, h.x2, h.y2),
            HeaderToken::HeadPosition(n) => write!(f, "DDD{n}"),
            HeaderToken::PlaneSize(p, n) => write!(f, "SZ{}{n}", p.letter()),
        }
    }
}

/// What varies between the pages of cardline's jobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageHeader {
    /// `VER…`.
    pub driver_version: String,
    /// `TDT…`.
    pub timestamp: u32,
    /// `DPX…`.
    pub duplex: bool,
    /// `BAC…` (front page of a duplex card).
    pub back: Option<BackFormat>,
    /// `PAG…`: 1 or 2.
    pub page: u8,
    /// `IMF…`.
    pub format: ImageFormat,
    /// `OVR…` and `NCT…`.
    pub overcoat: Overcoat,
    /// `SZ…` in plane order.
    pub plane_sizes: Vec<(Plane, usize)>,
}

impl PageHeader {
    /// The tokens, in the order of the fixtures' header (§2), minus Gutenprint's backend-only
    /// tokens (`ICC`, `X-GP-8`), with `BAC` before `PAG` and `NCT` after `PCT` as Magicard's
    /// driver orders them.
    pub fn tokens(&self) -> Vec<HeaderToken> {
        use HeaderToken as T;
        let mut t = vec![
            T::Copies(1),
            T::DriverVersion(self.driver_version.clone()),
            T::Language("ENG"),
            T::Timestamp(self.timestamp),
            T::RejectFaulty(false),
            T::EjectSide(1),
            T::PrintHeadRio,
            T::RioTango2,
            T::Duplex(self.duplex),
        ];
        t.extend(self.back.map(T::Back));
        t.extend([
            T::Page(self.page),
            T::ColourSure(true),
            T::Format(self.format),
            T::Origin,
            T::Size,
            T::Overcoat(self.overcoat.is_on()),
            T::UseWithLaminate(false),
            T::HoloKote(false),
            T::OvercoatArea,
        ]);
        if let Overcoat::WithHole(hole) = self.overcoat {
            t.push(T::OvercoatHole(hole));
        }
        t.push(T::HeadPosition(50));
        t.extend(self.plane_sizes.iter().map(|&(p, n)| T::PlaneSize(p, n)));
        t
    }

    /// The header text between `01` and `1C`: a leading comma, the tokens joined by commas.
    pub fn text(&self) -> String {
        self.tokens()
            .iter()
            .map(|t| format!(",{t}"))
            .collect::<String>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_render_as_on_the_wire() {
        assert_eq!(
            HeaderToken::Timestamp(0x6B0BEE42).to_string(),
            "TDT6B0BEE42"
        );
        assert_eq!(HeaderToken::Timestamp(0x1F).to_string(), "TDT0000001F");
        assert_eq!(
            HeaderToken::PlaneSize(Plane::Black, 85_344).to_string(),
            "SZK85344"
        );
        let hole = OvercoatHole {
            x1: 94,
            y1: 276,
            x2: 260,
            y2: 442,
        };
        assert_eq!(
            HeaderToken::OvercoatHole(hole).to_string(),
            "NCT94,276,260,442"
        );
        let back = |format, overcoat, blank| {
            HeaderToken::Back(BackFormat {
                format,
                overcoat,
                blank,
            })
            .to_string()
        };
        assert_eq!(back(ImageFormat::Bgrk, true, false), "BACCKO");
        assert_eq!(back(ImageFormat::Bgr, false, false), "BACC");
        assert_eq!(back(ImageFormat::K, true, false), "BACKO");
        assert_eq!(back(ImageFormat::K, true, true), "BACO");
        assert_eq!(back(ImageFormat::K, false, true), "BACK");
    }

    #[test]
    fn header_has_a_leading_comma_and_no_trailing_one() {
        let h = PageHeader {
            driver_version: "0.1.0".into(),
            timestamp: 1,
            duplex: false,
            back: None,
            page: 1,
            format: ImageFormat::K,
            overcoat: Overcoat::Off,
            plane_sizes: vec![(Plane::Black, 85_344)],
        };
        let text = h.text();
        assert!(text.starts_with(",NOC1,VER0.1.0,"), "{text}");
        assert!(text.ends_with(",DDD50,SZK85344"), "{text}");
    }
}
