//! Framing of escape commands and classification of replies (spec §1.3, §1.4).
//!
//! A command is `ESC <mnemonic>[;<param>]* CR`; a binary payload follows the last `;` and is
//! itself terminated by CR. A reply is ASCII text ending at CR; NUL bytes (USB padding) and LF
//! are dropped wherever they appear.

use crate::fault::{Fault, NEED_CLEANING};

/// Escape: starts every command (§1.3).
pub const ESC: u8 = 0x1B;
/// Carriage return: ends every command, payload and reply (§1.3).
pub const CR: u8 = 0x0D;
/// Parameter separator (§1.3).
pub const SEP: u8 = b';';

/// Frames a command: `ESC mnemonic ;p1 ;p2 … CR` (§1.3).
pub fn frame(mnemonic: &str, params: &[&str]) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(2 + mnemonic.len() + params.iter().map(|p| p.len() + 1).sum::<usize>());
    out.push(ESC);
    out.extend_from_slice(mnemonic.as_bytes());
    for p in params {
        out.push(SEP);
        out.extend_from_slice(p.as_bytes());
    }
    out.push(CR);
    out
}

/// Frames a download command with a binary payload: `ESC mnemonic ;p1 … ; <payload> CR`
/// (§1.3: the payload follows the last `;` and is terminated by CR).
pub fn frame_with_payload(mnemonic: &str, params: &[&str], payload: &[u8]) -> Vec<u8> {
    let mut out = frame(mnemonic, params);
    out.pop();
    out.push(SEP);
    out.extend_from_slice(payload);
    out.push(CR);
    out
}

/// A classified printer reply (§1.3 "Replies", §1.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `OK`: accepted.
    Ok,
    /// A bare value such as `SMART CARD`, `5,00 Volts` or a model name.
    Value(String),
    /// `ERROR CDE`: unknown command.
    UnknownCommand,
    /// `ERROR PARAMETERS`: bad parameter.
    BadParameters,
    /// A fault from the vocabulary in [`crate::fault`].
    Fault(Fault),
    /// `ERR NEED CLEANING`: done, but the cleaning counter expired (§1.4).
    CleaningDue,
    /// Any other reply starting with `ERR`.
    Error(String),
}

impl Reply {
    /// Classifies the text of one reply (already stripped of CR, LF and NUL).
    pub fn classify(text: &str) -> Reply {
        let text = text.trim();
        if text == "OK" {
            Reply::Ok
        } else if text.starts_with("ERROR CDE") {
            Reply::UnknownCommand
        } else if text.starts_with("ERROR PARAMETERS") {
            Reply::BadParameters
        } else if text == NEED_CLEANING {
            Reply::CleaningDue
        } else if let Some(fault) = Fault::from_reply(text) {
            Reply::Fault(fault)
        } else if text.starts_with("ERR") {
            Reply::Error(text.to_string())
        } else {
            Reply::Value(text.to_string())
        }
    }
}

/// Longest reply accepted, in bytes (without its CR).
///
/// Every reply in spec §1.4/§1.5 is one short line: `OK`, an `ERR …` word, a sensor voltage,
/// a counter, a model, firmware or serial string, `192.168.1.10 Auto`; the longest is well
/// under 100 bytes. 4 KiB leaves a wide margin and bounds the memory a peer that never sends
/// CR can take.
pub const MAX_REPLY: usize = 4096;

/// How many leading bytes of an overlong reply are kept for the error message.
pub const REPLY_START: usize = 40;

/// A reply that grew past [`MAX_REPLY`] without a CR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyTooLong {
    /// Its first [`REPLY_START`] + 1 bytes (NUL and LF already dropped; the extra byte tells
    /// that the message shows a truncated start).
    pub start: Vec<u8>,
}

/// Accumulates received bytes and cuts them into replies at CR, dropping NUL and LF.
///
/// Memory is bounded: a reply longer than [`MAX_REPLY`] is reported as [`ReplyTooLong`] as soon
/// as the limit is passed, and the rest of it is dropped up to the next CR (or up to
/// [`discard`](Self::discard) before the next command).
#[derive(Debug, Default)]
pub struct ReplyAssembler {
    current: Vec<u8>,
    complete: std::collections::VecDeque<Result<String, ReplyTooLong>>,
    /// Dropping the tail of an overlong reply.
    skipping: bool,
}

impl ReplyAssembler {
    /// Feeds received bytes. Empty replies (a lone CR, or NUL padding followed by CR) are skipped.
    pub fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                0x00 | b'\n' => {}
                CR if self.skipping => self.skipping = false,
                CR => {
                    if !self.current.is_empty() {
                        let text = String::from_utf8_lossy(&self.current).into_owned();
                        self.complete.push_back(Ok(text));
                        self.current.clear();
                    }
                }
                _ if self.skipping => {}
                _ => {
                    self.current.push(b);
                    if self.current.len() > MAX_REPLY {
                        let start = self.current[..=REPLY_START].to_vec();
                        self.complete.push_back(Err(ReplyTooLong { start }));
                        self.current = Vec::new();
                        self.skipping = true;
                    }
                }
            }
        }
    }

    /// The oldest complete reply (or overlong one), if any.
    pub fn next_reply(&mut self) -> Option<Result<String, ReplyTooLong>> {
        self.complete.pop_front()
    }

    /// Drops everything received so far (resynchronisation before a new command), including
    /// the tail of an overlong reply; returns what was dropped, for the log.
    pub fn discard(&mut self) -> Vec<String> {
        let mut dropped: Vec<String> = self
            .complete
            .drain(..)
            .map(|r| r.unwrap_or_else(|e| format!("<overlong reply {:?}…>", e.start)))
            .collect();
        if !self.current.is_empty() {
            dropped.push(String::from_utf8_lossy(&self.current).into_owned());
            self.current.clear();
        }
        self.skipping = false;
        dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_commands_with_escape_separators_and_cr() {
        assert_eq!(frame("Rlr", &["p"]), b"\x1bRlr;p\r");
        assert_eq!(frame("Ss", &[]), b"\x1bSs\r");
        assert_eq!(frame("Pc", &["k", "=", "10"]), b"\x1bPc;k;=;10\r");
        assert_eq!(
            frame_with_payload("Dbc", &["k", "2", "3"], &[0x01, 0x00, 0x0D]),
            b"\x1bDbc;k;2;3;\x01\x00\x0d\r"
        );
    }

    #[test]
    fn classifies_every_reply_kind() {
        assert_eq!(Reply::classify("OK"), Reply::Ok);
        assert_eq!(
            Reply::classify("SMART CARD"),
            Reply::Value("SMART CARD".into())
        );
        assert_eq!(
            Reply::classify("5,00 Volts"),
            Reply::Value("5,00 Volts".into())
        );
        assert_eq!(Reply::classify("ERROR CDE"), Reply::UnknownCommand);
        assert_eq!(Reply::classify("ERROR PARAMETERS"), Reply::BadParameters);
        assert_eq!(Reply::classify("ERR NEED CLEANING"), Reply::CleaningDue);
        assert_eq!(
            Reply::classify("ERR RIB DETECTION"),
            Reply::Fault(Fault::RibbonDetection)
        );
        assert_eq!(Reply::classify("ERR CARD"), Reply::Error("ERR CARD".into()));
    }

    #[test]
    fn assembler_cuts_at_cr_and_drops_nul_padding() {
        let mut a = ReplyAssembler::default();
        a.push(b"\0\0O");
        assert_eq!(a.next_reply(), None);
        a.push(b"K\r\0\0\0\r\nSMART");
        assert_eq!(a.next_reply(), Some(Ok("OK".into())));
        assert_eq!(a.next_reply(), None);
        a.push(b" CARD\r");
        assert_eq!(a.next_reply(), Some(Ok("SMART CARD".into())));
        a.push(b"stale\rhalf");
        assert_eq!(a.discard(), vec!["stale".to_string(), "half".to_string()]);
        assert_eq!(a.next_reply(), None);
    }

    #[test]
    fn a_reply_without_cr_stops_at_the_limit_and_its_tail_is_dropped() {
        let mut a = ReplyAssembler::default();
        a.push(&[b'A'; MAX_REPLY]);
        assert_eq!(
            a.next_reply(),
            None,
            "exactly the limit is still a reply in progress"
        );
        a.push(b"AB");
        assert_eq!(
            a.next_reply(),
            Some(Err(ReplyTooLong {
                start: vec![b'A'; REPLY_START + 1]
            }))
        );
        for _ in 0..1000 {
            a.push(&[b'A'; 1024]);
        }
        assert_eq!(a.next_reply(), None);
        assert!(
            a.current.capacity() <= MAX_REPLY + 1,
            "the buffer stays bounded"
        );
        a.push(b"tail\rOK\r");
        assert_eq!(
            a.next_reply(),
            Some(Ok("OK".into())),
            "resynchronised at CR"
        );
    }

    #[test]
    fn discard_ends_skipping_an_overlong_reply() {
        let mut a = ReplyAssembler::default();
        a.push(&[b'Z'; MAX_REPLY + 10]);
        assert_eq!(a.discard().len(), 1);
        a.push(b"OK\r");
        assert_eq!(a.next_reply(), Some(Ok("OK".into())));
    }
}
