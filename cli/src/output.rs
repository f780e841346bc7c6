//! Human-readable output helpers: aligned text tables, and escaping of control characters so
//! that text an operator or a device supplied (names, reasons, printer replies) can never move
//! the cursor, recolour or rewrite the terminal it is shown on.

/// Ends the command with a specific exit code (after its output was printed): 3 = done but
/// degraded (a station missing or stopped), 130 = cancelled by Ctrl-C.
#[derive(Debug)]
pub struct Exit {
    /// The process exit code.
    pub code: u8,
    /// A last line for stderr, if any.
    pub message: Option<String>,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.message {
            Some(m) => write!(f, "{m} (exit {})", self.code),
            None => write!(f, "exit {}", self.code),
        }
    }
}

impl std::error::Error for Exit {}

/// The exit code of a run that finished its cards while some station was missing, in use,
/// stopped or left paused: the operator should look.
pub const EXIT_DEGRADED: u8 = 3;
/// The exit code after Ctrl-C cancelled production (the summary is printed first).
pub const EXIT_CANCELLED: u8 = 130;

/// `text` with every control character (except newline and tab) escaped as `\u{..}`.
pub fn clean(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if needs_escape(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn needs_escape(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// A table cell: one line, control characters (newlines included) escaped.
fn cell(text: String) -> String {
    if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        text
    }
}

/// An aligned text table: a header row, then rows; columns padded to their widest cell.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new<I, S>(header: I) -> Table
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (missing cells are blank; control characters are escaped).
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows
            .push(cells.into_iter().map(|c| cell(c.into())).collect());
    }

    /// True when no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Renders the table, one line per row, no trailing spaces.
    pub fn render(&self) -> String {
        let cols = self
            .rows
            .iter()
            .map(Vec::len)
            .chain([self.header.len()])
            .max()
            .unwrap_or(0);
        let mut width = vec![0usize; cols];
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for (i, cell) in row.iter().enumerate() {
                width[i] = width[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (i, w) in width.iter().enumerate() {
                let cell = row.get(i).map(String::as_str).unwrap_or("");
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', w - cell.chars().count()));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// `-` for a missing value.
pub fn or_dash(v: Option<&str>) -> String {
    v.unwrap_or("-").to_string()
}

/// The common card table: number, state, order, person, validity, last change.
pub fn cards_table(cards: &[cardline_issuance::model::Card]) -> String {
    let mut t = Table::new([
        "NUMBER",
        "STATE",
        "ORDER",
        "ASSIGNED TO",
        "VALID UNTIL",
        "UPDATED",
    ]);
    for c in cards {
        t.row([
            c.number.clone(),
            c.state.to_string(),
            c.shown_order()
                .map_or_else(|| "-".into(), |o| o.to_string()),
            or_dash(c.assigned_to.as_deref()),
            or_dash(c.valid_until.as_deref()),
            c.updated_at.clone(),
        ]);
    }
    t.render()
}

/// `1 card` / `3 cards`.
pub fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// The stable name of an attempt status (`in_flight`).
pub fn attempt_status(s: cardline_issuance::model::AttemptStatus) -> &'static str {
    use cardline_issuance::model::AttemptStatus as A;
    match s {
        A::InFlight => "in_flight",
        A::Succeeded => "succeeded",
        A::Failed => "failed",
        A::Void => "void",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_to_the_widest_cell() {
        let mut t = Table::new(["NUMBER", "STATE"]);
        t.row(["TMP1", "requested"]);
        t.row(["TMP000000017", "in_production"]);
        let text = t.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "NUMBER        STATE");
        assert_eq!(lines[1], "TMP1          requested");
        assert_eq!(lines[2], "TMP000000017  in_production");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(100_000), "100,000");
    }

    #[test]
    fn control_characters_from_outside_are_escaped() {
        let evil = "Mallory\x1b[2J\x1b]0;owned\x07\rX";
        let shown = clean(evil);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert!(shown.starts_with("Mallory\\u{1b}[2J"), "{shown}");
        assert_eq!(clean("two\nlines\tand a tab"), "two\nlines\tand a tab");
        let mut t = Table::new(["NAME"]);
        t.row([format!("a\nb{evil}")]);
        assert_eq!(t.render().lines().count(), 2, "a cell stays on its line");
    }
}
