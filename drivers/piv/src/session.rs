//! The PIV card edge client (SP 800-73-4 Part 2 §3, YubiKey extensions) as a typestate session:
//! [`PivSession<Basic>`] can read and present PINs; only [`PivSession<Admin>`], obtained by
//! management-key authentication, can generate keys, write objects and replace the key.

use std::marker::PhantomData;

use cardline_apdu::{CardChannel, Command, ExchangeStats, LengthEncoding, StatusWord, tlv};
use cardline_device::{CardTransport, ManagementKey, PivSlot};
use zeroize::Zeroizing;

use crate::error::{Credential, PivError};
use crate::mgmt::ManagementAlgorithm;
use crate::objects;
use crate::profile::{CardProfile, Version};

/// The PIV application identifier, right-truncated as OpenSC sends it; cards match by prefix.
pub const PIV_AID: [u8; 9] = [0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00];
/// The PIV registered application provider id (`A0 00 00 03 08`).
pub const PIV_RID: [u8; 5] = [0xA0, 0x00, 0x00, 0x03, 0x08];

/// Marker: no management-key authentication in this session.
#[derive(Debug)]
pub struct Basic;
/// Marker: the management key (9B) is authenticated in this session.
#[derive(Debug)]
pub struct Admin;

/// What the VERIFY status query says about the PIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinStatus {
    /// Verified in this session.
    Verified,
    /// Not verified; this many tries left.
    TriesLeft(u8),
    /// Blocked (needs the PUK).
    Blocked,
}

/// YubiKey GET METADATA (F7) answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    /// Algorithm id (tag 01).
    pub algorithm: Option<u8>,
    /// True when the factory value is still set (tag 05).
    pub is_default: Option<bool>,
    /// Retries total and remaining (tag 06), for PIN/PUK.
    pub retries: Option<(u8, u8)>,
}

/// A PIV session over a card channel. `A` is [`Basic`] or [`Admin`].
pub struct PivSession<'c, A = Basic> {
    pub(crate) channel: CardChannel<'c>,
    pub(crate) access: PhantomData<A>,
}

impl<A> std::fmt::Debug for PivSession<'_, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PivSession<{}>({}, {} APDUs)",
            std::any::type_name::<A>()
                .rsplit("::")
                .next()
                .unwrap_or("?"),
            self.channel.reader_name(),
            self.channel.stats().apdus
        )
    }
}

/// A refused management-key authentication: the error, and the session back (unprivileged).
pub struct Refused<'c> {
    /// The unprivileged session, still usable.
    pub session: PivSession<'c, Basic>,
    /// Why authentication failed.
    pub error: PivError,
}

impl std::fmt::Debug for Refused<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Refused({})", self.error)
    }
}

pub(crate) fn check(command: &str, sw: StatusWord) -> Result<(), PivError> {
    if sw.is_ok() {
        Ok(())
    } else {
        Err(PivError::Card {
            command: command.into(),
            sw,
        })
    }
}

fn credential_error(credential: Credential, sw: StatusWord, command: &str) -> PivError {
    match sw {
        StatusWord::WrongPin { tries } => PivError::WrongCredential { credential, tries },
        StatusWord::AuthBlocked => PivError::Blocked { credential },
        sw => PivError::Card {
            command: command.into(),
            sw,
        },
    }
}

/// A PIN or PUK 0xFF-padded to 8 bytes (SP 800-73-4 Part 2 §2.4.3).
fn pad8(value: &[u8], credential: Credential) -> Result<Zeroizing<Vec<u8>>, PivError> {
    if value.is_empty() || value.len() > 8 {
        return Err(PivError::Unsupported {
            what: format!(
                "a {} of {} characters (1–8)",
                credential.name(),
                value.len()
            ),
        });
    }
    let mut v = Zeroizing::new(value.to_vec());
    v.resize(8, 0xFF);
    Ok(v)
}

impl<'c> PivSession<'c, Basic> {
    /// Selects the PIV application (SELECT `A0 00 00 03 08 00 00 10 00`) and checks the
    /// application property template when the card returns one.
    pub fn open(transport: &'c mut dyn CardTransport) -> Result<Self, PivError> {
        Self::open_with(transport, LengthEncoding::Short)
    }

    /// Like [`open`](Self::open), choosing the APDU length encoding: extended lengths replace
    /// command chaining and GET RESPONSE rounds, when both reader and card support them.
    pub fn open_with(
        transport: &'c mut dyn CardTransport,
        encoding: LengthEncoding,
    ) -> Result<Self, PivError> {
        let mut session = Self {
            channel: CardChannel::new(transport).with_encoding(encoding),
            access: PhantomData,
        };
        session.select()?;
        Ok(session)
    }

    /// Mutual authentication with the management key (GENERAL AUTHENTICATE 9B, two APDUs).
    /// On refusal the unprivileged session comes back inside [`Refused`].
    pub fn authenticate(
        mut self,
        key: &ManagementKey,
        algorithm: ManagementAlgorithm,
    ) -> Result<PivSession<'c, Admin>, Box<Refused<'c>>> {
        match self.mutual_auth(key, algorithm) {
            Ok(()) => Ok(PivSession {
                channel: self.channel,
                access: PhantomData,
            }),
            Err(error) => Err(Box::new(Refused {
                session: self,
                error,
            })),
        }
    }
}

impl<'c, A> PivSession<'c, A> {
    /// APDUs and bytes exchanged so far in this session.
    pub fn stats(&self) -> ExchangeStats {
        self.channel.stats()
    }

    /// The card's ATR.
    pub fn atr(&self) -> Vec<u8> {
        self.channel.atr()
    }

    pub(crate) fn run(&mut self, command: &Command) -> Result<cardline_apdu::Response, PivError> {
        Ok(self.channel.transmit(command)?)
    }

    /// SELECT the PIV application again (drops PIN and management-key state on most cards).
    pub fn select(&mut self) -> Result<(), PivError> {
        let r = self.run(
            &Command::new(0, 0xA4, 0x04, 0x00)
                .with_data(PIV_AID)
                .with_le(256),
        )?;
        check("SELECT PIV", r.sw)?;
        if r.data.is_empty() {
            return Ok(());
        }
        let apt = tlv::parse_one(&r.data).map_err(|e| PivError::tlv("SELECT PIV", e))?;
        let kids = apt.children().map_err(|e| PivError::tlv("SELECT PIV", e))?;
        let names_piv =
            |v: &[u8]| v.starts_with(&PIV_RID) || v.starts_with(&[0x00, 0x00, 0x10, 0x00]);
        let aid_ok = tlv::find(&kids, 0x4F).is_none_or(|t| names_piv(t.value()));
        if apt.tag() != 0x61 || !aid_ok {
            return Err(PivError::malformed(
                "SELECT PIV",
                "not a PIV application template",
            ));
        }
        Ok(())
    }

    /// GET VERSION (YubiKey `00 FD 00 00`): `None` when the card does not have it.
    pub fn version(&mut self) -> Result<Option<Version>, PivError> {
        let r = self.run(&Command::new(0, 0xFD, 0, 0).with_le(256))?;
        if r.sw.is_unsupported() || r.sw == StatusWord::WrongP1P2 {
            return Ok(None);
        }
        check("GET VERSION", r.sw)?;
        match r.data[..] {
            [major, minor, patch] => Ok(Some(Version::new(major, minor, patch))),
            _ => Err(PivError::malformed("GET VERSION", "not 3 bytes")),
        }
    }

    /// Detects the card profile with GET VERSION.
    pub fn detect_profile(&mut self) -> Result<CardProfile, PivError> {
        Ok(match self.version()? {
            Some(version) => CardProfile::YubiKey { version },
            None => CardProfile::Generic,
        })
    }

    /// GET SERIAL (YubiKey 5 `00 F8 00 00`): 4 bytes big-endian.
    pub fn serial(&mut self) -> Result<[u8; 4], PivError> {
        let r = self.run(&Command::new(0, 0xF8, 0, 0).with_le(256))?;
        check("GET SERIAL", r.sw)?;
        r.data[..]
            .try_into()
            .map_err(|_| PivError::malformed("GET SERIAL", "not 4 bytes"))
    }

    /// GET METADATA (YubiKey 5.3 `00 F7 00 <ref>`).
    pub fn metadata(&mut self, reference: u8) -> Result<Metadata, PivError> {
        let r = self.run(&Command::new(0, 0xF7, 0, reference).with_le(256))?;
        check("GET METADATA", r.sw)?;
        let items = tlv::parse(&r.data).map_err(|e| PivError::tlv("GET METADATA", e))?;
        let byte = |tag| tlv::find(&items, tag).and_then(|t| t.value().first().copied());
        Ok(Metadata {
            algorithm: byte(0x01),
            is_default: byte(0x05).map(|b| b == 1),
            retries: tlv::find(&items, 0x06).and_then(|t| match t.value() {
                [total, left] => Some((*total, *left)),
                _ => None,
            }),
        })
    }

    /// VERIFY without data (`00 20 00 80`): PIN status without consuming a try.
    pub fn pin_status(&mut self) -> Result<PinStatus, PivError> {
        let r = self.run(&Command::new(0, 0x20, 0, 0x80))?;
        match r.sw {
            StatusWord::Ok => Ok(PinStatus::Verified),
            StatusWord::WrongPin { tries } => Ok(PinStatus::TriesLeft(tries)),
            StatusWord::AuthBlocked => Ok(PinStatus::Blocked),
            sw => Err(PivError::Card {
                command: "VERIFY status".into(),
                sw,
            }),
        }
    }

    /// VERIFY the PIV PIN (`00 20 00 80 08 <PIN padded with FF>`).
    pub fn verify_pin(&mut self, pin: &[u8]) -> Result<(), PivError> {
        let data = pad8(pin, Credential::Pin)?;
        let r = self.run(
            &Command::new(0, 0x20, 0, 0x80)
                .with_data(data.to_vec())
                .sensitive(),
        )?;
        if r.sw.is_ok() {
            return Ok(());
        }
        Err(credential_error(Credential::Pin, r.sw, "VERIFY PIN"))
    }

    /// CHANGE REFERENCE DATA (`00 24 00 80|81 10 <old 8> <new 8>`).
    pub fn change_reference(
        &mut self,
        credential: Credential,
        old: &[u8],
        new: &[u8],
    ) -> Result<(), PivError> {
        let p2 = match credential {
            Credential::Pin => 0x80,
            Credential::Puk => 0x81,
        };
        let mut data = pad8(old, credential)?;
        data.extend_from_slice(&pad8(new, credential)?);
        let r = self.run(
            &Command::new(0, 0x24, 0, p2)
                .with_data(data.to_vec())
                .sensitive(),
        )?;
        if r.sw.is_ok() {
            return Ok(());
        }
        Err(credential_error(credential, r.sw, "CHANGE REFERENCE DATA"))
    }

    /// RESET RETRY COUNTER (`00 2C 00 80 10 <PUK 8> <new PIN 8>`): unblocks the PIN.
    pub fn reset_retry_counter(&mut self, puk: &[u8], new_pin: &[u8]) -> Result<(), PivError> {
        let mut data = pad8(puk, Credential::Puk)?;
        data.extend_from_slice(&pad8(new_pin, Credential::Pin)?);
        let r = self.run(
            &Command::new(0, 0x2C, 0, 0x80)
                .with_data(data.to_vec())
                .sensitive(),
        )?;
        if r.sw.is_ok() {
            return Ok(());
        }
        Err(credential_error(
            Credential::Puk,
            r.sw,
            "RESET RETRY COUNTER",
        ))
    }

    /// GET DATA (`00 CB 3F FF 5C L <tag>`): the object's contents, `None` when absent (6A82).
    pub fn get_data(&mut self, tag: u32) -> Result<Option<Vec<u8>>, PivError> {
        let r = self.run(
            &Command::new(0, 0xCB, 0x3F, 0xFF)
                .with_data(objects::get_data_field(tag))
                .with_le(256),
        )?;
        if r.sw == StatusWord::NotFound {
            return Ok(None);
        }
        check(&format!("GET DATA {tag:X}"), r.sw)?;
        objects::unwrap_get_data(tag, &r.data).map(Some)
    }

    /// The DER certificate in a slot's container, `None` when absent.
    pub fn certificate(&mut self, slot: PivSlot) -> Result<Option<Vec<u8>>, PivError> {
        self.get_data(slot.certificate_object())?
            .filter(|c| !c.is_empty())
            .map(|c| objects::parse_certificate_container(&c))
            .transpose()
    }
}
