//! Requests for temporary cards: what each request says (requester, desk or site, purpose,
//! note, when it was asked for), checked before anything is written, and read in bulk from a
//! CSV file ([`csv`]) where every problem names its row and column and nothing is written
//! unless every row is good.

pub mod csv;

use crate::model::RequestInfo;

/// The longest requester, desk, purpose (characters).
pub const MAX_FIELD_LEN: usize = 200;
/// The longest note (characters).
pub const MAX_NOTE_LEN: usize = 1000;

/// One card to request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RequestData {
    /// Who asks for the card.
    pub requester: Option<String>,
    /// The desk or site it is for.
    pub desk: Option<String>,
    /// Why it is needed.
    pub purpose: Option<String>,
    /// A free note.
    pub note: Option<String>,
    /// When it was requested (RFC 3339); `None` = now.
    pub requested_at: Option<String>,
}

/// A request field that is not acceptable, with what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct FieldError {
    /// The field (`requester`, `note` ...).
    pub field: &'static str,
    /// What is wrong and what is allowed.
    pub problem: String,
}

impl RequestData {
    /// Trims every field (empty → none) and checks lengths, characters and the date.
    pub fn normalised(mut self) -> Result<RequestData, FieldError> {
        self.requester = field("requester", self.requester, MAX_FIELD_LEN)?;
        self.desk = field("desk", self.desk, MAX_FIELD_LEN)?;
        self.purpose = field("purpose", self.purpose, MAX_FIELD_LEN)?;
        self.note = field("note", self.note, MAX_NOTE_LEN)?;
        if let Some(at) = self.requested_at.take().filter(|t| !t.trim().is_empty()) {
            let t = at.trim();
            let canonical = crate::store::sqlite::timestamp::canonical_date_or_time(t)
                .ok_or_else(|| FieldError {
                    field: "requested_at",
                    problem: format!(
                        "`{}` is not a date: write YYYY-MM-DD or an RFC 3339 time (2026-11-29T09:30:00Z)",
                        shorten(t)
                    ),
                })?;
            self.requested_at = Some(canonical);
        }
        Ok(self)
    }

    /// As recorded on the card (`requested_at` filled by the store when `None`).
    pub fn info(&self, now: &str) -> RequestInfo {
        RequestInfo {
            requester: self.requester.clone(),
            desk: self.desk.clone(),
            purpose: self.purpose.clone(),
            note: self.note.clone(),
            requested_at: self.requested_at.clone().unwrap_or_else(|| now.to_string()),
        }
    }
}

fn field(
    name: &'static str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    let Some(v) = value else { return Ok(None) };
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let len = v.chars().count();
    if len > max {
        return Err(FieldError {
            field: name,
            problem: format!("is {len} characters (`{}`): at most {max}", shorten(v)),
        });
    }
    if let Some(c) = v.chars().find(|c| c.is_control()) {
        return Err(FieldError {
            field: name,
            problem: format!(
                "holds the control character {} (`{}`): write plain text",
                c.escape_unicode(),
                shorten(v)
            ),
        });
    }
    Ok(Some(v.to_string()))
}

/// A value shown in a message: at most 40 characters, control characters escaped.
pub fn shorten(v: &str) -> String {
    let mut out: String = v
        .chars()
        .take(40)
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    if v.chars().count() > 40 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_trimmed_bounded_and_plain() {
        let r = RequestData {
            requester: Some("  Ada Lovelace ".into()),
            desk: Some("   ".into()),
            requested_at: Some("2026-11-20".into()),
            ..Default::default()
        }
        .normalised()
        .unwrap();
        assert_eq!(r.requester.as_deref(), Some("Ada Lovelace"));
        assert_eq!(r.desk, None);
        assert_eq!(r.requested_at.as_deref(), Some("2026-11-20T00:00:00.000Z"));
        let long = RequestData {
            note: Some("n".repeat(MAX_NOTE_LEN + 1)),
            ..Default::default()
        };
        let e = long.normalised().unwrap_err().to_string();
        assert!(
            e.starts_with("note is 1001 characters") && e.contains("at most 1000"),
            "{e}"
        );
        let esc = RequestData {
            purpose: Some("a\u{1b}[2Jb".into()),
            ..Default::default()
        };
        assert!(
            esc.normalised()
                .unwrap_err()
                .to_string()
                .contains("\\u{1b}")
        );
        let bad_date = RequestData {
            requested_at: Some("yesterday".into()),
            ..Default::default()
        };
        assert!(
            bad_date
                .normalised()
                .unwrap_err()
                .to_string()
                .contains("YYYY-MM-DD")
        );
    }
}
