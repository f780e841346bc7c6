//! [`CardChannel`]: the one place where command chaining, 61xx/GET RESPONSE and 6Cxx are handled,
//! APDUs are counted and every frame is traced.

use cardline_device::{CardTransport, TransportError};

use crate::command::{
    CLA_CHAINING, Command, CommandError, LengthEncoding, Response, SHORT_MAX_DATA,
};
use crate::status::StatusWord;

/// Upper bound on GET RESPONSE rounds for one command (64 × 256 bytes = 16 KiB, far above any
/// PIV object); a card that keeps answering 61xx beyond it is faulty.
const MAX_RESPONSE_BLOCKS: usize = 64;

/// Counters of what went over the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExchangeStats {
    /// APDUs sent, including chained blocks, GET RESPONSE and 6Cxx resends.
    pub apdus: u32,
    /// Bytes sent to the card.
    pub bytes_out: u64,
    /// Bytes received from the card (including status words).
    pub bytes_in: u64,
}

/// Errors of an exchange with the card (status words are not errors here: they are returned in
/// the [`Response`] and judged by the caller).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    /// The reader or card session failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The command could not be encoded.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The card answered with fewer than the two status bytes. The chip is faulty; reject it.
    #[error("card answered {len} bytes, not even a status word")]
    ShortResponse {
        /// Bytes received.
        len: usize,
    },
    /// The card kept answering 61xx. The chip is faulty; reject it.
    #[error("card sent more than {blocks} response blocks")]
    EndlessResponse {
        /// The limit.
        blocks: usize,
    },
}

/// A card session with APDU-level plumbing: wraps any [`CardTransport`].
///
/// ```
/// # use cardline_apdu::{CardChannel, Command, StatusWord};
/// # use cardline_device::{CardTransport, TransportError};
/// struct Echo;
/// impl CardTransport for Echo {
///     fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, TransportError> { Ok(vec![0x90, 0]) }
///     fn atr(&self) -> Vec<u8> { vec![0x3B, 0] }
///     fn reader_name(&self) -> String { "echo".into() }
/// }
/// let mut card = Echo;
/// let mut channel = CardChannel::new(&mut card);
/// let r = channel.transmit(&Command::new(0, 0xFD, 0, 0)).unwrap();
/// assert_eq!(r.sw, StatusWord::Ok);
/// assert_eq!(channel.stats().apdus, 1);
/// ```
pub struct CardChannel<'a> {
    transport: &'a mut dyn CardTransport,
    encoding: LengthEncoding,
    stats: ExchangeStats,
}

impl<'a> CardChannel<'a> {
    /// Wraps a transport; short APDUs with command chaining (works with every reader).
    pub fn new(transport: &'a mut dyn CardTransport) -> Self {
        Self {
            transport,
            encoding: LengthEncoding::Short,
            stats: ExchangeStats::default(),
        }
    }

    /// Uses extended-length APDUs instead of chaining (only when card and reader support them).
    pub fn with_encoding(mut self, encoding: LengthEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// What went over the wire so far.
    pub fn stats(&self) -> ExchangeStats {
        self.stats
    }

    /// The card's ATR.
    pub fn atr(&self) -> Vec<u8> {
        self.transport.atr()
    }

    /// The reader's name.
    pub fn reader_name(&self) -> String {
        self.transport.reader_name()
    }

    /// Sends a command and returns the complete response: chains data over 255 bytes (CLA|0x10 on
    /// every block but the last), resends once on 6Cxx with the corrected Le, and collects 61xx
    /// remainders with GET RESPONSE. An intermediate chained block that is refused ends the
    /// exchange with that block's response.
    pub fn transmit(&mut self, command: &Command) -> Result<Response, ExchangeError> {
        let chained = self.encoding == LengthEncoding::Short && command.data.len() > SHORT_MAX_DATA;
        let mut last = command.clone();
        if chained {
            let blocks: Vec<&[u8]> = command.data.chunks(SHORT_MAX_DATA).collect();
            let (final_block, leading) = blocks.split_last().expect("data is not empty");
            for block in leading {
                let mut part = command.clone().with_data(block.to_vec());
                part.cla |= CLA_CHAINING;
                part.le = None;
                let r = self.exchange(&part, command.is_sensitive())?;
                if !r.is_ok() {
                    return Ok(r);
                }
            }
            last.data = final_block.to_vec();
        }
        let mut response = self.exchange(&last, command.is_sensitive())?;
        if let StatusWord::WrongLe(n) = response.sw {
            let resend = last.with_le(if n == 0 { 256 } else { n as u32 });
            response = self.exchange(&resend, command.is_sensitive())?;
        }
        let mut data = std::mem::take(&mut response.data);
        let mut rounds = 0;
        while let StatusWord::MoreData(n) = response.sw {
            rounds += 1;
            if rounds > MAX_RESPONSE_BLOCKS {
                return Err(ExchangeError::EndlessResponse {
                    blocks: MAX_RESPONSE_BLOCKS,
                });
            }
            let get_response =
                Command::new(0x00, 0xC0, 0x00, 0x00).with_le(if n == 0 { 256 } else { n as u32 });
            response = self.exchange(&get_response, command.is_sensitive())?;
            data.append(&mut response.data);
        }
        Ok(Response {
            data,
            sw: response.sw,
        })
    }

    /// One APDU on the wire, counted and traced.
    fn exchange(&mut self, command: &Command, redact: bool) -> Result<Response, ExchangeError> {
        let bytes = command.to_bytes(self.encoding)?;
        tracing::trace!(target: "cardline::apdu", ">> {}", command.log_line(&bytes));
        self.stats.apdus += 1;
        self.stats.bytes_out += bytes.len() as u64;
        let raw = self.transport.transmit(&bytes)?;
        self.stats.bytes_in += raw.len() as u64;
        let response =
            Response::from_bytes(&raw).ok_or(ExchangeError::ShortResponse { len: raw.len() })?;
        if redact && !response.data.is_empty() {
            tracing::trace!(
                target: "cardline::apdu",
                "<< <redacted {} bytes> {:04X}",
                response.data.len(),
                response.sw.to_u16()
            );
        } else {
            tracing::trace!(target: "cardline::apdu", "<< {}", hex::encode_upper(&raw));
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Expected command → canned response, in order.
    struct Script {
        steps: VecDeque<(Vec<u8>, Vec<u8>)>,
    }

    impl Script {
        fn new(steps: &[(&str, &str)]) -> Self {
            let h = |s: &str| hex::decode(s.replace(' ', "")).unwrap();
            Self {
                steps: steps.iter().map(|(c, r)| (h(c), h(r))).collect(),
            }
        }
    }

    impl CardTransport for Script {
        fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
            let (want, answer) = self.steps.pop_front().expect("unexpected extra APDU");
            assert_eq!(hex::encode_upper(command), hex::encode_upper(want));
            Ok(answer)
        }
        fn atr(&self) -> Vec<u8> {
            vec![0x3B, 0x00]
        }
        fn reader_name(&self) -> String {
            "script".into()
        }
    }

    #[test]
    fn long_data_is_chained_in_255_byte_blocks_with_cla_10() {
        let data: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
        let first = format!("10DB3FFFFF{}", hex::encode_upper(&data[..255]));
        let last = format!("00DB3FFF2D{}", hex::encode_upper(&data[255..]));
        let mut card = Script::new(&[(&first, "9000"), (&last, "9000")]);
        let mut ch = CardChannel::new(&mut card);
        let r = ch
            .transmit(&Command::new(0, 0xDB, 0x3F, 0xFF).with_data(data))
            .unwrap();
        assert!(r.is_ok());
        let s = ch.stats();
        assert_eq!(s.apdus, 2);
        assert_eq!(s.bytes_out, (5 + 255 + 5 + 45) as u64);
        assert_eq!(s.bytes_in, 4);
        assert!(card.steps.is_empty());
    }

    #[test]
    fn refused_intermediate_block_stops_the_chain() {
        let data = vec![0u8; 256];
        let first = format!("10DB3FFFFF{}", "00".repeat(255));
        let mut card = Script::new(&[(&first, "6884")]);
        let mut ch = CardChannel::new(&mut card);
        let r = ch
            .transmit(&Command::new(0, 0xDB, 0x3F, 0xFF).with_data(data))
            .unwrap();
        assert_eq!(r.sw, StatusWord::ChainingUnsupported);
    }

    #[test]
    fn more_data_is_collected_with_get_response() {
        let mut card = Script::new(&[
            ("0047009A05AC0380010700", "0102610C"),
            ("00C000000C", "030405060708090A0B0C0D0E6102"),
            ("00C0000002", "0F109000"),
        ]);
        let mut ch = CardChannel::new(&mut card);
        let r = ch
            .transmit(
                &Command::new(0, 0x47, 0, 0x9A)
                    .with_data(vec![0xAC, 3, 0x80, 1, 7])
                    .with_le(256),
            )
            .unwrap();
        assert!(r.is_ok());
        assert_eq!(r.data, (1..=16).collect::<Vec<u8>>());
        assert_eq!(ch.stats().apdus, 3);
    }

    #[test]
    fn wrong_le_is_resent_with_the_cards_length() {
        let mut card = Script::new(&[("00FD000002", "6C03"), ("00FD000003", "0507029000")]);
        let mut ch = CardChannel::new(&mut card);
        let r = ch
            .transmit(&Command::new(0, 0xFD, 0, 0).with_le(2))
            .unwrap();
        assert_eq!(r.data, vec![5, 7, 2]);
        assert_eq!(ch.stats().apdus, 2);
    }

    #[test]
    fn mute_and_short_answers_are_errors() {
        struct Short;
        impl CardTransport for Short {
            fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, TransportError> {
                Ok(vec![0x90])
            }
            fn atr(&self) -> Vec<u8> {
                vec![]
            }
            fn reader_name(&self) -> String {
                "short".into()
            }
        }
        let mut card = Short;
        let mut ch = CardChannel::new(&mut card);
        assert_eq!(
            ch.transmit(&Command::new(0, 0xFD, 0, 0)),
            Err(ExchangeError::ShortResponse { len: 1 })
        );
    }

    #[test]
    fn endless_more_data_is_cut_off() {
        struct Endless;
        impl CardTransport for Endless {
            fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, TransportError> {
                Ok(vec![0xAA, 0x61, 0x01])
            }
            fn atr(&self) -> Vec<u8> {
                vec![]
            }
            fn reader_name(&self) -> String {
                "endless".into()
            }
        }
        let mut card = Endless;
        let mut ch = CardChannel::new(&mut card);
        assert!(matches!(
            ch.transmit(&Command::new(0, 0xCB, 0x3F, 0xFF)),
            Err(ExchangeError::EndlessResponse { .. })
        ));
    }
}
