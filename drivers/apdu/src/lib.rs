//! ISO 7816-4 APDUs, status words, chaining and BER-TLV for cardline.
//!
//! * [`Command`] / [`Response`]: command and response APDUs, cases 1–4, short and extended.
//! * [`StatusWord`]: every status word PIV cards use, by name, with [`StatusWord::meaning`].
//! * [`CardChannel`]: the one transmit path over any [`cardline_device::CardTransport`]:
//!   command chaining (255-byte blocks, CLA|0x10), 61xx → GET RESPONSE, 6Cxx → resend with Le,
//!   APDU and byte counters, `>>`/`<<` trace logging with secret data redacted.
//! * [`tlv`]: BER-TLV encode/parse, one level at a time, tolerant of filler bytes.
//!
//! ```
//! use cardline_apdu::{Command, LengthEncoding};
//! let verify_status = Command::new(0x00, 0x20, 0x00, 0x80);
//! assert_eq!(verify_status.to_bytes(LengthEncoding::Short).unwrap(), [0x00, 0x20, 0x00, 0x80]);
//! ```

pub mod channel;
pub mod command;
pub mod status;
pub mod tlv;

pub use channel::{CardChannel, ExchangeError, ExchangeStats};
pub use command::{
    ApduCase, CLA_CHAINING, Command, CommandError, LengthEncoding, Response, SHORT_MAX_DATA,
};
pub use status::StatusWord;
pub use tlv::{Tlv, TlvError, TlvFault};
