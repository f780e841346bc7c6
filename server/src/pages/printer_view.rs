//! How a station's printer report reads on the console, shared by the Desks and stations page
//! (one column per part) and the order page's live station list (one `Printer` cell, rendered
//! by the server and carried by the order events for the page's script). The warnings
//! themselves (ribbon below [`RIBBON_LOW_PERCENT`], cover open, feeder empty, faults) come from
//! [`PrinterReport::warnings`]; text from the printer is only ever escaped (maud) or set with
//! `textContent` (the script).
//!
//! [`RIBBON_LOW_PERCENT`]: cardline_issuance::printer_report::RIBBON_LOW_PERCENT

use cardline_issuance::printer_report::{CoverState, FeederState, PrinterReport};
use maud::{Markup, html};
use serde::Serialize;

/// What a station whose printer was never read shows.
pub const NOT_READ: &str = "not read yet";

/// `ymcko 93 % (187/200)`, `40 left`, `unknown`.
pub fn ribbon_text(p: &PrinterReport) -> String {
    let r = &p.ribbon;
    let kind = r.kind.as_deref().unwrap_or("");
    let amount = match (r.percent, r.remaining, r.capacity) {
        (Some(pct), Some(n), Some(c)) => format!("{pct} % ({n}/{c})"),
        (_, Some(n), _) => format!("{n} left"),
        _ => String::new(),
    };
    let text = format!("{kind} {amount}").trim().to_string();
    if text.is_empty() {
        "unknown".into()
    } else {
        text
    }
}

/// `Zenius Z-0042`: model and serial as far as the printer named them, else `unknown`.
pub fn printer_name(p: &PrinterReport) -> String {
    let name = [p.model.as_deref(), p.serial.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        "unknown".into()
    } else {
        name
    }
}

/// Whether the cover is shown in the warning style.
pub fn cover_warns(p: &PrinterReport) -> bool {
    p.cover == CoverState::Open
}

/// Whether the feeder is shown in the warning style.
pub fn feeder_warns(p: &PrinterReport) -> bool {
    p.feeder == FeederState::Empty
}

/// A station's printer in one cell: the order page's `Printer` column and the `printer` of a
/// station in an order event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PrinterCell {
    /// `ribbon ymcko 4 % (9/200), cover closed, feeder ok: ribbon low (4 %, 9 left)`, or
    /// `not read yet`.
    pub text: String,
    /// Shown in the warning style: something needs a person.
    pub warn: bool,
    /// When the desk read the printer (RFC 3339); `null` when never.
    pub read_at: Option<String>,
}

impl PrinterCell {
    /// The cell for a station's last report (`None`: never read).
    pub fn of(report: Option<&PrinterReport>) -> PrinterCell {
        let Some(p) = report else {
            return PrinterCell {
                text: NOT_READ.into(),
                warn: false,
                read_at: None,
            };
        };
        let warnings = p.warnings();
        let mut text = format!(
            "ribbon {}, cover {}, feeder {}",
            ribbon_text(p),
            p.cover.as_str(),
            p.feeder.as_str()
        );
        if !warnings.is_empty() {
            text.push_str(": ");
            text.push_str(&warnings.join("; "));
        }
        PrinterCell {
            text,
            warn: !warnings.is_empty(),
            read_at: Some(p.read_at.clone()),
        }
    }

    /// The `<td>`, in the warning style when something needs a person.
    pub fn td(&self) -> Markup {
        html! {
            td class=[self.warn.then_some("warn")] title=[self.read_at.as_deref().map(|at| format!("read {at}"))] { (self.text) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cardline_device::{PrinterFault, PrinterStatus, RibbonStatus};

    fn report(s: &PrinterStatus) -> PrinterReport {
        PrinterReport::from_status(s, "2026-11-29T12:00:00.000Z")
    }

    #[test]
    fn a_low_ribbon_and_an_open_cover_warn_in_one_cell() {
        let mut s = PrinterStatus {
            cover_known: true,
            feeder_known: true,
            ribbon: RibbonStatus {
                kind: Some("ymcko".into()),
                remaining: Some(9),
                capacity: Some(200),
            },
            ..PrinterStatus::default()
        };
        s.record(PrinterFault::CoverOpen);
        let cell = PrinterCell::of(Some(&report(&s)));
        assert_eq!(
            cell.text,
            "ribbon ymcko 4 % (9/200), cover open, feeder ok: ribbon low (4 %, 9 left); cover open"
        );
        assert!(cell.warn);
        assert_eq!(cell.read_at.as_deref(), Some("2026-11-29T12:00:00.000Z"));
    }

    #[test]
    fn what_the_printer_cannot_say_is_unknown_and_not_a_warning() {
        let p = report(&PrinterStatus::default());
        let cell = PrinterCell::of(Some(&p));
        assert_eq!(cell.text, "ribbon unknown, cover unknown, feeder unknown");
        assert!(!cell.warn);
        assert_eq!(printer_name(&p), "unknown");
        let never = PrinterCell::of(None);
        assert_eq!((never.text.as_str(), never.warn), (NOT_READ, false));
    }

    #[test]
    fn printer_text_is_escaped_in_the_cell() {
        let mut p = report(&PrinterStatus::default());
        p.ribbon.kind = Some("<b>x</b>".into());
        let html = PrinterCell::of(Some(&p)).td().into_string();
        assert!(
            html.contains("&lt;b&gt;x&lt;/b&gt;") && !html.contains("<b>"),
            "{html}"
        );
    }
}
