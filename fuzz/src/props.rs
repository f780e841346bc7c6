//! Property helpers shared by the targets: what a clear error message is, and how inputs are
//! split into parts.

use cardline_device::PrinterError;

/// The longest error message a target accepts: messages repeat parts of the input, cut.
pub const MAX_MESSAGE: usize = 8 * 1024;

/// An error message is clear: not empty, not only blanks, bounded in length (it echoes at most
/// a cut part of the input), and naming `must_name` when given.
pub fn clear_message(what: &str, message: &str, must_name: Option<&str>) -> Result<(), String> {
    if message.trim().is_empty() {
        return Err(format!("unclear error: {what} has an empty message"));
    }
    if message.len() > MAX_MESSAGE {
        return Err(format!(
            "unclear error: {what} has a message of {} bytes (it repeats the input uncut): {}…",
            message.len(),
            message.chars().take(120).collect::<String>()
        ));
    }
    if let Some(name) = must_name
        && !message.contains(name)
    {
        return Err(format!(
            "unclear error: {what} does not name `{name}`: {message}"
        ));
    }
    Ok(())
}

/// A printer error is clear; a refusal, a nonsense reply or a flood names the command.
pub fn clear_printer_error(e: &PrinterError) -> Result<(), String> {
    let command = match e {
        PrinterError::Refused { command, .. }
        | PrinterError::Protocol { command, .. }
        | PrinterError::ReplyOverflow { command, .. } => Some(command.as_str()),
        _ => None,
    };
    clear_message(&format!("{e:?}"), &e.to_string(), command)
}

/// Splits `input` at the first `sep` into (before, after); without `sep` the second part is
/// empty.
pub fn split_once(input: &[u8], sep: u8) -> (&[u8], &[u8]) {
    match input.iter().position(|b| *b == sep) {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => (input, &[]),
    }
}

/// The chunk sizes a stream is fed in, varied by the input so that split points move.
pub fn chunk_sizes(input: &[u8]) -> impl Iterator<Item = usize> {
    let salt = input
        .iter()
        .take(16)
        .fold(7usize, |h, b| h.wrapping_mul(31) ^ *b as usize);
    (0usize..).map(move |i| 1 + (salt.wrapping_add(i.wrapping_mul(2_654_435_761)) >> 3) % 509)
}

/// Cuts `input` into pieces of the sizes of [`chunk_sizes`].
pub fn chunks(input: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = input;
    for size in chunk_sizes(input) {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at(size.min(rest.len()));
        out.push(piece);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_must_say_something_bounded() {
        assert!(clear_message("e", "  ", None).is_err());
        assert!(clear_message("e", &"x".repeat(MAX_MESSAGE + 1), None).is_err());
        assert!(clear_message("e", "bad line 3", Some("line")).is_ok());
        assert!(clear_message("e", "bad", Some("line")).is_err());
    }

    #[test]
    fn chunks_cover_the_input_in_order() {
        let input: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
        let pieces = chunks(&input);
        assert!(pieces.len() > 10);
        assert_eq!(pieces.concat(), input);
        assert_eq!(split_once(b"a\0b\0c", 0), (&b"a"[..], &b"b\0c"[..]));
    }
}
