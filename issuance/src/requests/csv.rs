//! Bulk requests from a CSV file: one row per card, columns named by the header row
//! (`requester`, `desk` or `site`, `purpose`, `note`, `requested_at`; any order, any subset).
//! Every problem names the file, row and column and what is allowed; the whole file is
//! checked before anything is written, so one bad row changes nothing.

use std::collections::HashMap;
use std::io::Read;

use super::{RequestData, shorten};

/// The largest CSV file read (bytes): far above 1,000,000 requests of ordinary length.
pub const MAX_CSV_BYTES: u64 = 256 * 1024 * 1024;
/// The most rows one file may request.
pub const MAX_ROWS: usize = 1_000_000;

/// The columns a request file may have.
pub const COLUMNS: [&str; 5] = ["requester", "desk", "purpose", "note", "requested_at"];

/// What is wrong with a request file.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The file could not be read.
    #[error("cannot read {file}: {source}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than a request file may be.
    #[error(
        "{file} is larger than {limit} bytes: is this the right file? (split it into several imports)"
    )]
    TooLarge {
        /// The file.
        file: String,
        /// The limit.
        limit: u64,
    },
    /// One problem at a row (1 = the header) and column.
    #[error("{file}:{row}:{column}: {problem}")]
    At {
        /// The file.
        file: String,
        /// The row, counting the header as 1.
        row: u64,
        /// The column (its header name, or its number when the header is the problem).
        column: String,
        /// What is wrong and what is allowed.
        problem: String,
    },
    /// A problem with a whole row.
    #[error("{file}:{row}: {problem}")]
    Row {
        /// The file.
        file: String,
        /// The row, counting the header as 1.
        row: u64,
        /// What is wrong.
        problem: String,
    },
}

/// Reads the requests of `input` (named `file` in messages).
pub fn read_requests(input: impl Read, file: &str) -> Result<Vec<RequestData>, CsvError> {
    let mut limited = input.take(MAX_CSV_BYTES + 1);
    let mut bytes = Vec::new();
    limited
        .read_to_end(&mut bytes)
        .map_err(|source| CsvError::Read {
            file: file.to_string(),
            source,
        })?;
    if bytes.len() as u64 > MAX_CSV_BYTES {
        return Err(CsvError::TooLarge {
            file: file.to_string(),
            limit: MAX_CSV_BYTES,
        });
    }
    parse(&bytes, file)
}

fn parse(bytes: &[u8], file: &str) -> Result<Vec<RequestData>, CsvError> {
    let at = |row: u64, column: &str, problem: String| CsvError::At {
        file: file.to_string(),
        row,
        column: column.to_string(),
        problem,
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(::csv::Trim::None)
        .from_reader(bytes);
    let header = reader.headers().map_err(|e| csv_error(file, &e))?.clone();
    if header.is_empty() || (header.len() == 1 && header[0].trim().is_empty()) {
        return Err(CsvError::Row {
            file: file.to_string(),
            row: 1,
            problem: format!(
                "no header row: the first row names the columns ({})",
                COLUMNS.join(", ")
            ),
        });
    }
    let mut columns = Vec::with_capacity(header.len());
    for (i, name) in header.iter().enumerate() {
        let key = name
            .trim()
            .trim_start_matches('\u{feff}')
            .to_ascii_lowercase();
        let key = if key == "site" {
            "desk".to_string()
        } else {
            key
        };
        let Some(known) = COLUMNS.iter().find(|c| **c == key) else {
            return Err(at(
                1,
                &format!("column {}", i + 1),
                format!(
                    "unknown column `{}`: the columns are {} (desk may be written site)",
                    shorten(name),
                    COLUMNS.join(", ")
                ),
            ));
        };
        if columns.contains(known) {
            return Err(at(1, known, format!("column `{known}` appears twice")));
        }
        columns.push(*known);
    }
    let mut out = Vec::new();
    let mut seen: HashMap<RequestData, u64> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(file, &e))?;
        let row = record.position().map_or(0, |p| p.line());
        if out.len() >= MAX_ROWS {
            return Err(CsvError::Row {
                file: file.to_string(),
                row,
                problem: format!("more than {MAX_ROWS} rows: split the file"),
            });
        }
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // a blank line
        }
        let mut data = RequestData::default();
        for (column, value) in columns.iter().zip(record.iter()) {
            let value = Some(value.to_string());
            match *column {
                "requester" => data.requester = value,
                "desk" => data.desk = value,
                "purpose" => data.purpose = value,
                "note" => data.note = value,
                _ => data.requested_at = value,
            }
        }
        let data = data.normalised().map_err(|e| at(row, e.field, e.problem))?;
        if let Some(first) = seen.get(&data) {
            return Err(CsvError::Row {
                file: file.to_string(),
                row,
                problem: format!(
                    "repeats row {first} exactly: if two identical requests are meant, tell them apart in the note"
                ),
            });
        }
        seen.insert(data.clone(), row);
        out.push(data);
    }
    if out.is_empty() {
        return Err(CsvError::Row {
            file: file.to_string(),
            row: 2,
            problem: "no request: the file has a header but no row".into(),
        });
    }
    Ok(out)
}

fn csv_error(file: &str, e: &::csv::Error) -> CsvError {
    let row = e.position().map_or(0, |p| p.line());
    let problem = match e.kind() {
        ::csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "{len} fields where the header has {expected_len}: quote values holding commas (\"a, b\")"
        ),
        ::csv::ErrorKind::Utf8 { .. } => "not UTF-8 text: save the file as UTF-8".into(),
        _ => e.to_string(),
    };
    CsvError::Row {
        file: file.to_string(),
        row,
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<RequestData>, CsvError> {
        read_requests(text.as_bytes(), "visitors.csv")
    }

    #[test]
    fn columns_by_name_in_any_order_and_subset() {
        let rows =
            read("note,Requester,site\n\"needs, badge\",Ada,Front desk\n,Grace,\n\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].requester.as_deref(), Some("Ada"));
        assert_eq!(rows[0].note.as_deref(), Some("needs, badge"));
        assert_eq!(rows[0].desk.as_deref(), Some("Front desk"));
        assert_eq!(rows[1].desk, None);
    }

    #[test]
    fn each_problem_names_file_row_and_column() {
        let e = read("requester,colour\nAda,blue\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("visitors.csv:1:column 2: unknown column `colour`"),
            "{e}"
        );
        let e = read("requester,requested_at\nAda,2026-11-01\nBob,31/12/2026\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("visitors.csv:3:requested_at: `31/12/2026` is not a date"),
            "{e}"
        );
        let e = read("requester,purpose\nAda,visit\nBob,visit\nAda,visit\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "visitors.csv:4: repeats row 2 exactly: if two identical requests are meant, tell them apart in the note"
        );
        let e = read("requester,purpose\nAda,visit,extra\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("visitors.csv:2: 3 fields where the header has 2"),
            "{e}"
        );
        let e = read("requester\n").unwrap_err().to_string();
        assert!(e.contains("no request"), "{e}");
        let e = read("requester,requester\nA,B\n").unwrap_err().to_string();
        assert!(e.contains("appears twice"), "{e}");
    }

    #[test]
    fn a_file_too_large_is_refused_without_reading_it_all() {
        let zeros = std::io::repeat(b'a').take(MAX_CSV_BYTES + 10);
        let e = read_requests(zeros, "/dev/zero").unwrap_err();
        assert!(matches!(e, CsvError::TooLarge { .. }), "{e}");
    }
}
