//! Showing outside input inside an error message: truncated, with control characters escaped,
//! so a 10 MB value or a terminal escape sequence from a file or a peer never reaches the
//! operator's screen or a log line as is.
//!
//! ```
//! use cardline_device::echo;
//! assert_eq!(echo::text("ok\x1b[2J", 80), "ok\\u{1b}[2J");
//! assert_eq!(echo::text(&"x".repeat(100), 5), "xxxxx…");
//! assert_eq!(echo::bytes(b"OK\r\0\xff", 80), "OK\\r\\0\\xFF");
//! ```

use std::fmt::Write as _;

/// How many characters of a value error messages show by default.
pub const ECHO_LIMIT: usize = 80;

/// The first `max` characters of `s`, control characters escaped (`\n`, `\t`, `\u{1b}`), with
/// `…` appended when something was cut.
pub fn text(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    for c in chars.by_ref().take(max) {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// The first `max` bytes of `b` as text: printable ASCII as is, `\\`, `\0`, `\t`, `\r`, `\n`,
/// and `\xNN` for every other byte; `…` appended when something was cut.
pub fn bytes(b: &[u8], max: usize) -> String {
    let mut out = String::new();
    for &byte in b.iter().take(max) {
        match byte {
            b'\\' => out.push_str("\\\\"),
            0 => out.push_str("\\0"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            0x20..=0x7E => out.push(byte as char),
            _ => {
                let _ = write!(out, "\\x{byte:02X}");
            }
        }
    }
    if b.len() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_passes_unchanged_and_long_text_is_cut() {
        assert_eq!(text("Badge Office", 80), "Badge Office");
        assert_eq!(text("éèà", 2), "éè…");
        assert_eq!(text("abc", 3), "abc");
        assert_eq!(text("line\nnext\ttab", 80), "line\\nnext\\ttab");
    }

    #[test]
    fn bytes_escape_everything_but_printable_ascii() {
        assert_eq!(bytes(b"a\\b", 80), "a\\\\b");
        assert_eq!(bytes(&[0x1B, b'A', 0x80], 80), "\\x1BA\\x80");
        assert_eq!(bytes(&[b'A'; 10], 4), "AAAA…");
        assert_eq!(bytes(&[b'A'; 4], 4), "AAAA");
    }
}
