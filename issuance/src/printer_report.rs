//! What a station's printer last said about itself — ribbon, cover, feeder, errors, model and
//! serial — as the desk stores it on the station's claim row and `cardline desks`, the
//! console's Stations page and `/api/v1/stations` show it.
//!
//! Only what the printer reported is kept: a field the printer cannot say is `unknown`
//! (`None`), never a guess. A ribbon percentage exists only when the printer gave both the
//! prints left and the capacity of a fresh ribbon (Evolis); a Magicard reports panels left.
//!
//! ```
//! use cardline_device::PrinterStatus;
//! use cardline_issuance::printer_report::{CoverState, PrinterReport};
//!
//! let mut s = PrinterStatus::default();
//! s.ribbon.remaining = Some(15);
//! s.ribbon.capacity = Some(200);
//! let r = PrinterReport::from_status(&s, "2026-11-29T12:00:00.000Z");
//! assert_eq!(r.ribbon.percent, Some(7));
//! assert_eq!(r.cover, CoverState::Unknown); // the printer did not say
//! assert_eq!(r.warnings(), ["ribbon low (7 %, 15 left)"]);
//! ```

use cardline_device::{PrinterError, PrinterFault, PrinterStatus};
use serde::{Deserialize, Serialize};

/// Below this percentage a ribbon is shown as low.
pub const RIBBON_LOW_PERCENT: u8 = 10;

/// The longest error text kept (a printer's text is outside input).
const MAX_ERROR: usize = 300;

/// A station's printer as last read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrinterReport {
    /// When the desk read it (RFC 3339, UTC).
    pub read_at: String,
    /// The model, as the printer names itself; `null` when unknown.
    pub model: Option<String>,
    /// The serial number; `null` when unknown.
    pub serial: Option<String>,
    /// The ribbon.
    pub ribbon: RibbonReport,
    /// The cover.
    pub cover: CoverState,
    /// The card feeder.
    pub feeder: FeederState,
    /// Faults that stop the printer besides cover and feeder, by stable name (`ribbon_out`,
    /// `card_jam`, `reject_box_full`, `unknown_4711`).
    pub faults: Vec<String>,
    /// What the printer says is wrong, in words, or why its status could not be read;
    /// `null` when it is ready.
    pub error: Option<String>,
}

/// The ribbon as the printer reported it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RibbonReport {
    /// The ribbon type (`ymcko`, `k`, ...); `null` when unknown or no ribbon is detected.
    pub kind: Option<String>,
    /// Prints (Evolis) or panels (Magicard) left; `null` when the printer does not say.
    pub remaining: Option<u32>,
    /// Prints of a fresh ribbon; `null` when the printer does not say.
    pub capacity: Option<u32>,
    /// `remaining` in percent of `capacity`, rounded down; `null` unless both are known.
    pub percent: Option<u8>,
}

/// Whether the cover is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CoverState {
    /// The printer says its cover is open.
    Open,
    /// The printer says its cover is closed.
    Closed,
    /// The printer did not say.
    Unknown,
}

/// Whether the feeder has blank cards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FeederState {
    /// The printer says its feeder has cards.
    Ok,
    /// The printer says its feeder is empty.
    Empty,
    /// The printer did not say.
    Unknown,
}

impl CoverState {
    /// `open`, `closed`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            CoverState::Open => "open",
            CoverState::Closed => "closed",
            CoverState::Unknown => "unknown",
        }
    }
}

impl FeederState {
    /// `ok`, `empty`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            FeederState::Ok => "ok",
            FeederState::Empty => "empty",
            FeederState::Unknown => "unknown",
        }
    }
}

impl PrinterReport {
    /// What `status` says, read at `read_at`.
    pub fn from_status(status: &PrinterStatus, read_at: &str) -> PrinterReport {
        let r = &status.ribbon;
        let percent = match (r.remaining, r.capacity) {
            (Some(left), Some(cap)) if cap > 0 => {
                Some((u64::from(left.min(cap)) * 100 / u64::from(cap)) as u8)
            }
            _ => None,
        };
        let cover = match (status.cover_open, status.cover_known) {
            (true, _) => CoverState::Open,
            (false, true) => CoverState::Closed,
            (false, false) => CoverState::Unknown,
        };
        let feeder = match (status.feeder_empty, status.feeder_known) {
            (true, _) => FeederState::Empty,
            (false, true) => FeederState::Ok,
            (false, false) => FeederState::Unknown,
        };
        let mut faults: Vec<PrinterFault> = Vec::new();
        if status.reject_box_full {
            faults.push(PrinterFault::RejectBoxFull);
        }
        faults.extend(status.faults.iter().cloned());
        let words: Vec<String> = status.all_faults().iter().map(describe).collect();
        PrinterReport {
            read_at: read_at.to_string(),
            model: status.model.clone(),
            serial: status.serial.clone(),
            ribbon: RibbonReport {
                kind: r.kind.clone(),
                remaining: r.remaining,
                capacity: r.capacity,
                percent,
            },
            cover,
            feeder,
            faults: faults.iter().map(|f| f.to_string()).collect(),
            error: (!words.is_empty()).then(|| bounded(&words.join("; "))),
        }
    }

    /// A printer whose status could not be read: everything unknown, the reason as the
    /// error, the model and serial when the station knows them from before.
    pub fn unreadable(error: &PrinterError, read_at: &str, before: Option<&PrinterReport>) -> Self {
        PrinterReport {
            read_at: read_at.to_string(),
            model: before.and_then(|b| b.model.clone()),
            serial: before.and_then(|b| b.serial.clone()),
            ribbon: RibbonReport::default(),
            cover: CoverState::Unknown,
            feeder: FeederState::Unknown,
            faults: Vec::new(),
            error: Some(bounded(&format!("status could not be read: {error}"))),
        }
    }

    /// The same report read at another time (compares the content of two readings; the
    /// tests' yardstick for [`PrinterReport::nothing_new_since`]).
    #[cfg(test)]
    fn same_as(&self, other: &PrinterReport) -> bool {
        PrinterReport {
            read_at: String::new(),
            ..self.clone()
        } == PrinterReport {
            read_at: String::new(),
            ..other.clone()
        }
    }

    /// True when `self`, read after `last`, tells an operator nothing new: the same report
    /// but for when it was read and for a ribbon that merely went on printing (fewer prints
    /// left, the same percentage, not used up). A station reads its printer before every card
    /// and its ribbon count drops with each; writing every such reading cost each card one
    /// more write transaction (docs/PERFORMANCE.md).
    pub fn nothing_new_since(&self, last: &PrinterReport) -> bool {
        let printing_on = |r: &PrinterReport| PrinterReport {
            read_at: String::new(),
            ribbon: RibbonReport {
                remaining: r.ribbon.remaining.map(|n| n.min(1)),
                ..r.ribbon.clone()
            },
            ..r.clone()
        };
        printing_on(self) == printing_on(last)
    }

    /// True when the ribbon is below [`RIBBON_LOW_PERCENT`] or used up (as far as known).
    pub fn ribbon_low(&self) -> bool {
        self.ribbon.percent.is_some_and(|p| p < RIBBON_LOW_PERCENT)
            || self.ribbon.remaining == Some(0)
            || self.faults.iter().any(|f| f == "ribbon_out")
    }

    /// What an operator should look at, in words: ribbon low or out, cover open, feeder
    /// empty, the printer's errors. Empty when nothing needs attention.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let out_of_ribbon =
            self.ribbon.remaining == Some(0) || self.faults.iter().any(|f| f == "ribbon_out");
        if out_of_ribbon {
            out.push("ribbon out".to_string());
        } else if self.ribbon_low() {
            let pct = self.ribbon.percent.unwrap_or_default();
            match self.ribbon.remaining {
                Some(n) => out.push(format!("ribbon low ({pct} %, {n} left)")),
                None => out.push(format!("ribbon low ({pct} %)")),
            }
        }
        if self.faults.iter().any(|f| f == "ribbon_missing") {
            out.push("no ribbon".to_string());
        }
        if self.cover == CoverState::Open {
            out.push("cover open".to_string());
        }
        if self.feeder == FeederState::Empty {
            out.push("feeder empty".to_string());
        }
        let listed = ["ribbon_out", "ribbon_missing"];
        out.extend(
            self.faults
                .iter()
                .filter(|f| !listed.contains(&f.as_str()))
                .map(|f| f.replace('_', " ")),
        );
        if self.faults.is_empty()
            && self.cover != CoverState::Open
            && self.feeder != FeederState::Empty
            && let Some(e) = &self.error
        {
            out.push(e.clone());
        }
        out
    }

    /// One line for people: `ribbon ymcko 93 % (187/200); cover closed; feeder ok; Zenius
    /// 12345`.
    pub fn summary(&self) -> String {
        let r = &self.ribbon;
        let ribbon = match (&r.kind, r.percent, r.remaining, r.capacity) {
            (k, Some(p), Some(n), Some(c)) => {
                format!("ribbon {} {p} % ({n}/{c})", k.as_deref().unwrap_or("?"))
            }
            (k, _, Some(n), _) => format!("ribbon {} {n} left", k.as_deref().unwrap_or("?")),
            (Some(k), _, None, _) => format!("ribbon {k}"),
            (None, ..) => "ribbon unknown".to_string(),
        };
        let mut parts = vec![
            ribbon,
            format!("cover {}", self.cover.as_str()),
            format!("feeder {}", self.feeder.as_str()),
        ];
        let who = [self.model.as_deref(), self.serial.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if !who.is_empty() {
            parts.push(who);
        }
        parts.join("; ")
    }
}

impl PrinterReport {
    /// The report as a store column holds it (JSON).
    pub fn to_stored(&self) -> String {
        // Plain structs of strings and numbers always serialise.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("null"))
    }
}

/// A report as a store column holds it (JSON); `None` (with a warning) when it does not
/// parse, e.g. written by a newer cardline.
pub fn parse_stored(json: &str) -> Option<PrinterReport> {
    serde_json::from_str(json)
        .map_err(|e| tracing::warn!("a stored printer status does not parse: {e}"))
        .ok()
}

/// A fault in the words the operator reads.
fn describe(f: &PrinterFault) -> String {
    use cardline_device::PrinterError as E;
    match f {
        PrinterFault::CoverOpen => E::CoverOpen.to_string(),
        PrinterFault::FeederEmpty => E::FeederEmpty.to_string(),
        PrinterFault::RejectBoxFull => E::RejectBoxFull.to_string(),
        other => other.to_string().replace('_', " "),
    }
}

/// At most [`MAX_ERROR`] characters, no control characters.
fn bounded(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_ERROR)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cardline_device::RibbonStatus;

    const AT: &str = "2026-11-29T12:00:00.000Z";

    fn known() -> PrinterStatus {
        PrinterStatus {
            model: Some("Zenius".into()),
            serial: Some("Z1".into()),
            cover_known: true,
            feeder_known: true,
            ribbon: RibbonStatus {
                kind: Some("ymcko".into()),
                remaining: Some(187),
                capacity: Some(200),
            },
            ..PrinterStatus::default()
        }
    }

    #[test]
    fn a_ready_printer_reports_what_it_said() {
        let r = PrinterReport::from_status(&known(), AT);
        assert_eq!(r.ribbon.percent, Some(93));
        assert_eq!((r.cover, r.feeder), (CoverState::Closed, FeederState::Ok));
        assert!(r.warnings().is_empty() && r.error.is_none() && !r.ribbon_low());
        assert_eq!(
            r.summary(),
            "ribbon ymcko 93 % (187/200); cover closed; feeder ok; Zenius Z1"
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["cover"], "closed");
        assert_eq!(json["feeder"], "ok");
        assert_eq!(json["ribbon"]["percent"], 93);
        let back: PrinterReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn unknown_stays_unknown() {
        let mut s = PrinterStatus::default();
        s.ribbon.remaining = Some(40); // Magicard: panels left, no capacity
        let r = PrinterReport::from_status(&s, AT);
        assert_eq!(
            (r.cover, r.feeder),
            (CoverState::Unknown, FeederState::Unknown)
        );
        assert_eq!(r.ribbon.percent, None);
        assert!(!r.ribbon_low());
        assert_eq!(
            r.summary(),
            "ribbon ? 40 left; cover unknown; feeder unknown"
        );
    }

    #[test]
    fn faults_are_warnings() {
        let mut s = known();
        s.ribbon.remaining = Some(9);
        s.record(PrinterFault::CoverOpen);
        s.record(PrinterFault::FeederEmpty);
        s.record(PrinterFault::Jam);
        let r = PrinterReport::from_status(&s, AT);
        assert!(r.ribbon_low());
        assert_eq!(
            r.warnings(),
            [
                "ribbon low (4 %, 9 left)",
                "cover open",
                "feeder empty",
                "card jam"
            ]
        );
        assert_eq!(r.faults, ["card_jam"]);
        assert!(r.error.as_deref().unwrap().contains("cover"), "{r:?}");
        s.ribbon.remaining = Some(0);
        s.record(PrinterFault::RibbonOut);
        let out = PrinterReport::from_status(&s, AT);
        assert_eq!(out.warnings()[0], "ribbon out");
        assert!(!out.same_as(&r));
        let later = PrinterReport::from_status(&s, "2026-11-29T13:00:00.000Z");
        assert!(later.same_as(&out) && later != out);
    }

    #[test]
    fn a_ribbon_printing_on_is_nothing_new_but_a_new_percentage_or_its_end_is() {
        let mut s = known();
        let first = PrinterReport::from_status(&s, AT);
        s.ribbon.remaining = Some(186);
        let next = PrinterReport::from_status(&s, "2026-11-29T13:00:00.000Z");
        assert!(next.nothing_new_since(&first) && !next.same_as(&first));
        // 185 of 200 is 92 %, down from 93 %: worth showing.
        s.ribbon.remaining = Some(185);
        let lower = PrinterReport::from_status(&s, AT);
        assert!(!lower.nothing_new_since(&first));
        // Used up, with no capacity known to give a percentage.
        s.ribbon.capacity = None;
        s.ribbon.remaining = Some(1);
        let one_left = PrinterReport::from_status(&s, AT);
        s.ribbon.remaining = Some(0);
        let out = PrinterReport::from_status(&s, AT);
        assert!(!out.nothing_new_since(&one_left));
        s.ribbon.remaining = Some(1);
        s.record(PrinterFault::CoverOpen);
        let cover = PrinterReport::from_status(&s, AT);
        assert!(!cover.nothing_new_since(&one_left));
    }

    #[test]
    fn an_unreadable_printer_keeps_only_its_name() {
        let before = PrinterReport::from_status(&known(), AT);
        let e = PrinterError::CoverOpen;
        let r = PrinterReport::unreadable(&e, AT, Some(&before));
        assert_eq!(r.model.as_deref(), Some("Zenius"));
        assert_eq!(r.ribbon, RibbonReport::default());
        assert!(r.error.unwrap().starts_with("status could not be read: "));
        let long = "x".repeat(5000);
        assert_eq!(bounded(&long).len(), MAX_ERROR);
    }
}
