//! Cuts received bytes into replies `01 <text> 2C 03` with a bounded buffer.
//!
//! Bytes from the printer are outside input: the reader never holds more than
//! [`MAX_REPLY_BYTES`] of an unfinished reply, and a peer that sends that many bytes without
//! completing a reply is reported as [`ReplyOverflow`], not buffered further. NUL bytes outside a
//! reply (USB padding) are dropped without counting; any other byte outside a reply is noise and
//! counts towards the limit, as does a reply restarted by a second `01`.

use crate::frame::{ETX, REPLY_END, SOH};
use std::collections::VecDeque;

/// The most bytes the reader accepts after the last complete reply before it gives up. The
/// longest reply of the protocol (`STA,MSR,<serial>`) is a few dozen bytes.
pub const MAX_REPLY_BYTES: usize = 1024;

/// The peer sent [`MAX_REPLY_BYTES`] without completing a reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyOverflow {
    /// The limit that was reached.
    pub limit: usize,
    /// The first bytes of what was received, for the error message.
    pub head: Vec<u8>,
}

impl std::fmt::Display for ReplyOverflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no complete reply (01 … 2C 03) within {} bytes, the reply size limit; the printer \
             kept sending (first bytes: {}) — check that the device on this link is a Magicard \
             printer and that the link settings are right",
            self.limit,
            self.head.escape_ascii()
        )
    }
}

/// Accumulates received bytes and yields complete reply texts.
#[derive(Debug, Default)]
pub struct ReplyReader {
    /// Bytes of the reply being received (after its `01`).
    current: Vec<u8>,
    /// True between a `01` and the `2C 03` that ends the reply.
    in_reply: bool,
    /// Counted bytes since the last complete reply.
    pending: usize,
    /// The first bytes since the last complete reply, for the error message.
    head: Vec<u8>,
    complete: VecDeque<String>,
}

const HEAD_BYTES: usize = 32;

impl ReplyReader {
    /// Feeds received bytes; fails once more than [`MAX_REPLY_BYTES`] arrived without a complete
    /// reply (the reader is then empty again).
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), ReplyOverflow> {
        for &b in bytes {
            if b == 0x00 && !self.in_reply {
                continue;
            }
            self.pending += 1;
            if self.head.len() < HEAD_BYTES {
                self.head.push(b);
            }
            if self.pending > MAX_REPLY_BYTES {
                let head = std::mem::take(&mut self.head);
                self.discard();
                return Err(ReplyOverflow {
                    limit: MAX_REPLY_BYTES,
                    head,
                });
            }
            if b == SOH {
                // A reply starts (or restarts: the previous one was cut off).
                self.in_reply = true;
                self.current.clear();
                continue;
            }
            if !self.in_reply {
                continue;
            }
            self.current.push(b);
            if b == ETX && self.current.ends_with(&REPLY_END) {
                self.current.truncate(self.current.len() - REPLY_END.len());
                self.current.retain(|&c| c != 0x00);
                let text = String::from_utf8_lossy(&self.current).into_owned();
                self.complete.push_back(text);
                self.current.clear();
                self.in_reply = false;
                self.pending = 0;
                self.head.clear();
            }
        }
        Ok(())
    }

    /// The oldest complete reply, if any.
    pub fn next_reply(&mut self) -> Option<String> {
        self.complete.pop_front()
    }

    /// Drops everything received so far (before a new command); returns the complete replies
    /// and the partial one that were dropped, for the log.
    pub fn discard(&mut self) -> Vec<String> {
        let mut dropped: Vec<String> = self.complete.drain(..).collect();
        if self.in_reply || !self.current.is_empty() {
            dropped.push(String::from_utf8_lossy(&self.current).into_owned());
        }
        self.current.clear();
        self.in_reply = false;
        self.pending = 0;
        self.head.clear();
        dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_cut_at_comma_etx_and_may_contain_commas() {
        let mut r = ReplyReader::default();
        r.push(b"\0\0\x01STA,POS,CON").unwrap();
        assert_eq!(r.next_reply(), None);
        r.push(b"TACTS,\x03\x01OK,\x03").unwrap();
        assert_eq!(r.next_reply().as_deref(), Some("STA,POS,CONTACTS"));
        assert_eq!(r.next_reply().as_deref(), Some("OK"));
        assert_eq!(r.next_reply(), None);
    }

    #[test]
    fn a_lone_etx_or_comma_does_not_end_a_reply() {
        let mut r = ReplyReader::default();
        r.push(b"\x01A\x03B,C,").unwrap();
        assert_eq!(r.next_reply(), None);
        r.push(b"\x03").unwrap();
        assert_eq!(r.next_reply().as_deref(), Some("A\x03B,C"));
    }

    #[test]
    fn a_second_soh_restarts_the_reply_and_noise_before_soh_is_skipped() {
        let mut r = ReplyReader::default();
        r.push(b"noise\x01half\x01OK,\x03").unwrap();
        assert_eq!(r.next_reply().as_deref(), Some("OK"));
    }

    #[test]
    fn flooding_without_terminator_overflows_at_the_limit() {
        let mut r = ReplyReader::default();
        r.push(b"\x01").unwrap();
        let flood = vec![b'A'; MAX_REPLY_BYTES - 1];
        r.push(&flood).unwrap();
        let e = r.push(b"A").unwrap_err();
        assert_eq!(e.limit, MAX_REPLY_BYTES);
        assert!(e.to_string().contains("1024 bytes"), "{e}");
        assert!(e.head.starts_with(b"\x01AAA"));
        // The reader is usable again afterwards.
        r.push(b"\x01OK,\x03").unwrap();
        assert_eq!(r.next_reply().as_deref(), Some("OK"));
    }

    #[test]
    fn noise_without_soh_also_overflows_but_nul_padding_does_not() {
        let mut r = ReplyReader::default();
        r.push(&vec![0u8; 10 * MAX_REPLY_BYTES]).unwrap();
        assert!(r.push(&vec![b'x'; MAX_REPLY_BYTES + 1]).is_err());
    }

    #[test]
    fn discard_returns_what_was_dropped() {
        let mut r = ReplyReader::default();
        r.push(b"\x01stale,\x03\x01hal").unwrap();
        assert_eq!(r.discard(), vec!["stale".to_string(), "hal".to_string()]);
        assert_eq!(r.next_reply(), None);
    }
}
