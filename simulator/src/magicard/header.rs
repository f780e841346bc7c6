//! The print job header (docs/magicard-protocol.md §2): comma-separated ASCII tokens between
//! `0x01` and `0x1C`, read from the device's side.
//!
//! A token is a keyword with its value glued on (`IMFBGR`, `SZB682752`, `PAG1`); bare numbers
//! continue the keyword before them (`NCT90,295,260,450`, `PCT0,0,1025,641`). Unknown tokens
//! are kept and ignored. The plane layout is read from the header, never assumed: `IMF` names
//! the planes, the `SZ*` tokens give their lengths and order, `X-GP-8` says they are 8-bit.

use std::fmt;

use super::planes::{
    COLOR_PLANE_6BIT, DOTS, EIGHT_BIT_PLANE, LINES, MONO_PLANE_1BIT, PlaneFormat, PlaneLetter,
};

/// The header of one print job, as the device understood it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobHeader {
    /// Every token as received (the empty token of the leading comma left out).
    pub tokens: Vec<String>,
    /// The planes that follow, in order, with their byte lengths (terminators not counted).
    pub planes: Vec<(PlaneLetter, usize)>,
    /// `X-GP-8`: 8-bit planes (Gutenprint's filter output).
    pub eight_bit: bool,
    /// `X-GP-RK`: the host asked to extract black from the colour data.
    pub extract_black: bool,
    /// `PAG`: 1 = front, 2 = back (1 when absent).
    pub page: u8,
    /// `DPXON`: part of a duplex card.
    pub duplex: bool,
    /// `BAC`: the back side's format (duplex only), as given.
    pub back_format: Option<String>,
    /// `OVRON`: an overcoat panel is laid over the side.
    pub overcoat: bool,
    /// `NCT x1,y1,x2,y2`: holes in the overcoat.
    pub overcoat_holes: Vec<[u32; 4]>,
    /// `USFON`: HoloKote.
    pub holokote: bool,
    /// `REJON`: reject faulty cards.
    pub reject_faulty: bool,
}

/// Why a header was refused. Each message names the token and what would be accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// Not ASCII text.
    NotAscii,
    /// A comma right before the FS (Magicard's firmware faults on it, §2).
    TrailingComma,
    /// No `IMF` token, or one that names no known plane set.
    Format(String),
    /// A token whose number does not parse.
    BadNumber(String),
    /// A plane letter given twice.
    DuplicatePlane(char),
    /// The `SZ*` tokens do not match `IMF`.
    PlanesDisagree {
        /// What `IMF` says.
        imf: String,
        /// The letters of the `SZ*` tokens.
        sizes: String,
    },
    /// A plane length no layout has, or one beyond 672 × 1016 × 1 bytes.
    PlaneSize {
        /// The plane.
        letter: char,
        /// The length announced.
        size: usize,
        /// The lengths that would be accepted here.
        accepted: String,
    },
    /// `PAG` other than 1 or 2.
    Page(String),
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAscii => f.write_str("header is not ASCII text"),
            Self::TrailingComma => f.write_str(
                "header ends with a comma right before FS (Magicard firmware faults on it): drop the last comma",
            ),
            Self::Format(t) => write!(
                f,
                "bad or missing IMF token `{t}`: expected IMFBGR, IMFBGRK or IMFK"
            ),
            Self::BadNumber(t) => write!(f, "token `{t}` needs a decimal number"),
            Self::DuplicatePlane(l) => write!(f, "plane SZ{l} is given twice"),
            Self::PlanesDisagree { imf, sizes } => write!(
                f,
                "IMF{imf} does not match the plane sizes given (SZ for {sizes})"
            ),
            Self::PlaneSize {
                letter,
                size,
                accepted,
            } => write!(
                f,
                "SZ{letter}{size}: plane length not accepted (at most {} bytes = {DOTS} × {LINES} × 1); accepted here: {accepted}",
                EIGHT_BIT_PLANE
            ),
            Self::Page(t) => write!(f, "bad page `{t}`: expected PAG1 or PAG2"),
        }
    }
}

impl JobHeader {
    /// Parses the text between `0x01` and `0x1C`.
    pub fn parse(raw: &[u8]) -> Result<Self, HeaderError> {
        let text = std::str::from_utf8(raw)
            .ok()
            .filter(|t| t.is_ascii())
            .ok_or(HeaderError::NotAscii)?;
        if text.ends_with(',') {
            return Err(HeaderError::TrailingComma);
        }
        let tokens: Vec<String> = text
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        let mut h = JobHeader {
            tokens: tokens.clone(),
            planes: Vec::new(),
            eight_bit: tokens.iter().any(|t| t == "X-GP-8"),
            extract_black: tokens.iter().any(|t| t == "X-GP-RK"),
            page: 1,
            duplex: false,
            back_format: None,
            overcoat: false,
            overcoat_holes: Vec::new(),
            holokote: false,
            reject_faulty: false,
        };
        let mut imf: Option<String> = None;
        for (i, t) in tokens.iter().enumerate() {
            let number = |v: &str| {
                v.parse::<usize>()
                    .map_err(|_| HeaderError::BadNumber(t.clone()))
            };
            if let Some(v) = t.strip_prefix("IMF") {
                imf = Some(v.to_string());
            } else if let Some(rest) = t.strip_prefix("SZ") {
                let mut chars = rest.chars();
                let letter = chars.next().and_then(PlaneLetter::from_char);
                let Some(letter) = letter else { continue };
                let size = number(chars.as_str())?;
                if h.planes.iter().any(|(l, _)| *l == letter) {
                    return Err(HeaderError::DuplicatePlane(letter.as_char()));
                }
                h.planes.push((letter, size));
            } else if let Some(v) = t.strip_prefix("PAG") {
                h.page = match v {
                    "1" => 1,
                    "2" => 2,
                    _ => return Err(HeaderError::Page(t.clone())),
                };
            } else if let Some(v) = t.strip_prefix("DPX") {
                h.duplex = v == "ON";
            } else if let Some(v) = t.strip_prefix("BAC") {
                h.back_format = Some(v.to_string());
            } else if let Some(v) = t.strip_prefix("OVR") {
                h.overcoat = v == "ON";
            } else if let Some(v) = t.strip_prefix("USF") {
                h.holokote = v == "ON";
            } else if let Some(v) = t.strip_prefix("REJ") {
                h.reject_faulty = v == "ON";
            } else if let Some(v) = t.strip_prefix("NCT") {
                let args = std::iter::once(v).chain(
                    tokens[i + 1..]
                        .iter()
                        .map(String::as_str)
                        .take_while(|a| a.bytes().all(|b| b.is_ascii_digit()))
                        .take(3),
                );
                let nums = args.map(number).collect::<Result<Vec<_>, _>>()?;
                let hole: [u32; 4] = nums
                    .iter()
                    .map(|n| *n as u32)
                    .collect::<Vec<_>>()
                    .try_into()
                    .map_err(|_| HeaderError::BadNumber(format!("{t} (needs x1,y1,x2,y2)")))?;
                h.overcoat_holes.push(hole);
            }
        }
        h.check_planes(imf)?;
        Ok(h)
    }

    /// `IMF` must name the planes the `SZ*` tokens give, each with a length of a known layout.
    fn check_planes(&self, imf: Option<String>) -> Result<(), HeaderError> {
        let imf = imf.ok_or_else(|| HeaderError::Format(String::new()))?;
        let expected: &[PlaneLetter] = match imf.as_str() {
            "BGR" => &[PlaneLetter::B, PlaneLetter::G, PlaneLetter::R],
            "BGRK" => &[
                PlaneLetter::B,
                PlaneLetter::G,
                PlaneLetter::R,
                PlaneLetter::K,
            ],
            "K" => &[PlaneLetter::K],
            _ => return Err(HeaderError::Format(format!("IMF{imf}"))),
        };
        let mut given: Vec<PlaneLetter> = self.planes.iter().map(|(l, _)| *l).collect();
        given.sort();
        if given != expected {
            return Err(HeaderError::PlanesDisagree {
                imf,
                sizes: self.planes.iter().map(|(l, _)| l.as_char()).collect(),
            });
        }
        for &(letter, size) in &self.planes {
            self.plane_format(letter, size)?;
        }
        Ok(())
    }

    /// The layout of a plane of `size` bytes, or why that length is refused.
    pub fn plane_format(
        &self,
        letter: PlaneLetter,
        size: usize,
    ) -> Result<PlaneFormat, HeaderError> {
        let (format, accepted) = match (letter, self.eight_bit) {
            (PlaneLetter::K, true) if size == MONO_PLANE_1BIT => (Some(PlaneFormat::Mono1), ""),
            (_, true) if size == EIGHT_BIT_PLANE => (Some(PlaneFormat::Eight), ""),
            (PlaneLetter::K, true) => (None, "682752 (8-bit, X-GP-8) or 85344 (1-bit)"),
            (_, true) => (None, "682752 (8-bit, X-GP-8)"),
            (PlaneLetter::K, false) if size == MONO_PLANE_1BIT => (Some(PlaneFormat::Mono1), ""),
            (PlaneLetter::K, false) => (None, "85344 (1-bit; 8-bit planes need X-GP-8)"),
            (_, false) if size == COLOR_PLANE_6BIT => (Some(PlaneFormat::Six), ""),
            (_, false) => (None, "512064 (6 bit-planes; 8-bit planes need X-GP-8)"),
        };
        format.ok_or_else(|| HeaderError::PlaneSize {
            letter: letter.as_char(),
            size,
            accepted: accepted.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = ",NOC1,VER5.3.4,LANENG,TDT6B0BEE42,REJOFF,ESS1,KEE,RT2,DPXOFF,PAG1,SLWON,IMFBGR,XCO0,YCO0,WID1016,HGT642,OVROFF,NNNOFF,USFOFF,PCT0,0,1025,641,ICC1,DDD50,X-GP-8,SZB682752,SZG682752,SZR682752";

    #[test]
    fn the_fixture_header_reads() {
        let h = JobHeader::parse(FIXTURE.as_bytes()).unwrap();
        assert!(h.eight_bit && !h.duplex && !h.overcoat && h.page == 1);
        assert_eq!(
            h.planes,
            [
                (PlaneLetter::B, 682_752),
                (PlaneLetter::G, 682_752),
                (PlaneLetter::R, 682_752)
            ]
        );
        assert_eq!(h.tokens.len(), 29);
    }

    #[test]
    fn overcoat_holes_take_the_bare_numbers_after_them() {
        let h = JobHeader::parse(b",OVRON,NCT90,295,260,450,IMFK,SZK85344").unwrap();
        assert_eq!(h.overcoat_holes, [[90, 295, 260, 450]]);
        assert!(h.overcoat);
        assert_eq!(h.planes, [(PlaneLetter::K, 85_344)]);
    }

    #[test]
    fn bad_headers_name_the_problem() {
        let err = |s: &str| JobHeader::parse(s.as_bytes()).unwrap_err().to_string();
        assert!(err(",IMFBGR,SZB1,SZG1,SZR1,").contains("comma right before FS"));
        assert!(err(",SZK85344").contains("IMF"));
        assert!(err(",IMFBGR,SZB512064,SZG512064").contains("IMFBGR does not match"));
        assert!(err(",IMFK,SZK85344,SZK85344").contains("SZK is given twice"));
        let big = err(",IMFBGR,X-GP-8,SZB682753,SZG682752,SZR682752");
        assert!(
            big.contains("SZB682753") && big.contains("672 × 1016"),
            "{big}"
        );
        assert!(err(",IMFBGR,SZB682752,SZG682752,SZR682752").contains("need X-GP-8"));
        assert!(err(",IMFK,SZKx").contains("`SZKx`"));
        assert!(err(",IMFK,PAG3,SZK85344").contains("PAG1 or PAG2"));
    }
}
