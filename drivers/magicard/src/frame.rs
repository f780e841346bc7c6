//! Framing of commands and print jobs, and classification of replies
//! (`docs/magicard-protocol.md` §1, §4).
//!
//! | what | bytes |
//! |---|---|
//! | command | `05`×9 `01` `REQ,<text>,` `1C` `03` |
//! | print job (one page) | `05`×64 `01` header `1C` planes `03` |
//! | reply | `01` text `2C` `03` |

use crate::error_codes::MagicardFault;

/// Guard byte repeated before every command and job (§1).
pub const GUARD: u8 = 0x05;
/// Start of a command, job header or reply (§1).
pub const SOH: u8 = 0x01;
/// File separator: ends a command text or job header, and starts every plane terminator (§1, §3).
pub const FS: u8 = 0x1C;
/// End of a command, a job page, and (after `,`) of a reply (§1).
pub const ETX: u8 = 0x03;
/// Guard bytes before a command (§1, as Gutenprint's command builder).
pub const COMMAND_GUARDS: usize = 9;
/// Guard bytes before a print job page (§1, as in every fixture).
pub const JOB_GUARDS: usize = 64;
/// The two bytes that end a reply: `,` ETX (§1).
pub const REPLY_END: [u8; 2] = [0x2C, ETX];

/// Frames a command: `05×9 01 "REQ," text "," 1C 03` (§1, §4).
pub fn command_frame(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(COMMAND_GUARDS + text.len() + 8);
    out.extend_from_slice(&[GUARD; COMMAND_GUARDS]);
    out.push(SOH);
    out.extend_from_slice(b"REQ,");
    out.extend_from_slice(text.as_bytes());
    out.push(b',');
    out.push(FS);
    out.push(ETX);
    out
}

/// A classified reply text (already without `01` and `2C 03`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `OK`: done.
    Ok,
    /// Any other text not starting with `ERR`: a value (`STA,POS,CONTACTS`, `PRT,OK`).
    Value(String),
    /// `ERR,UNKNOWN`: the printer does not know the command (§4).
    UnknownCommand,
    /// `ERR,<decimal code>`: a fault of §5.
    Fault(MagicardFault),
    /// Any other text starting with `ERR`.
    Error(String),
}

impl Reply {
    /// Classifies one reply text.
    pub fn classify(text: &str) -> Reply {
        let text = text.trim();
        if text == "OK" {
            return Reply::Ok;
        }
        let Some(rest) = text.strip_prefix("ERR") else {
            return Reply::Value(text.to_string());
        };
        match rest.strip_prefix(',') {
            Some("UNKNOWN") => Reply::UnknownCommand,
            Some(code) if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) => {
                match code.parse::<u32>() {
                    Ok(code) => Reply::Fault(MagicardFault::from_code(code)),
                    Err(_) => Reply::Error(text.to_string()),
                }
            }
            _ => Reply::Error(text.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_frame_has_nine_guards_req_and_fs_etx() {
        let f = command_frame("STA,POS");
        assert_eq!(&f[..9], &[0x05; 9]);
        assert_eq!(&f[9..], b"\x01REQ,STA,POS,\x1c\x03");
    }

    #[test]
    fn classifies_every_reply_kind() {
        assert_eq!(Reply::classify("OK"), Reply::Ok);
        assert_eq!(
            Reply::classify("STA,POS,CONTACTS"),
            Reply::Value("STA,POS,CONTACTS".into())
        );
        assert_eq!(Reply::classify("ERR,UNKNOWN"), Reply::UnknownCommand);
        assert_eq!(
            Reply::classify("ERR,1026"),
            Reply::Fault(MagicardFault::CardJam)
        );
        assert_eq!(
            Reply::classify("ERR,123"),
            Reply::Fault(MagicardFault::Unknown(123))
        );
        assert_eq!(
            Reply::classify("ERR,99999999999"),
            Reply::Error("ERR,99999999999".into())
        );
        assert_eq!(Reply::classify("ERR,JAM"), Reply::Error("ERR,JAM".into()));
        assert_eq!(Reply::classify("ERR"), Reply::Error("ERR".into()));
    }
}
