//! Commands that need the management key: only a [`PivSession<Admin>`] has them.

use std::marker::PhantomData;

use cardline_apdu::{Command, tlv};
use cardline_device::{KeyAlgorithm, ManagementKey, PivSlot};
use zeroize::Zeroizing;

use crate::error::PivError;
use crate::mgmt::ManagementAlgorithm;
use crate::objects;
use crate::pubkey::{self, GeneratedKey};
use crate::session::{Admin, Basic, PivSession, check};

impl<'c> PivSession<'c, Admin> {
    /// GENERATE ASYMMETRIC KEY PAIR (`00 47 00 <slot> AC 03 80 01 <alg>`).
    pub fn generate(
        &mut self,
        slot: PivSlot,
        algorithm: KeyAlgorithm,
    ) -> Result<GeneratedKey, PivError> {
        let template = tlv::encode(0xAC, &tlv::encode(0x80, &[algorithm.piv_id()]));
        let r = self.run(
            &Command::new(0, 0x47, 0, slot.0)
                .with_data(template)
                .with_le(256),
        )?;
        check(&format!("GENERATE {slot}"), r.sw)?;
        pubkey::parse_generated(algorithm, &r.data)
    }

    /// PUT DATA (`00 DB 3F FF 5C L <tag> 53 L <contents>`), chained when long.
    pub fn put_data(&mut self, tag: u32, contents: &[u8]) -> Result<(), PivError> {
        let r = self.run(
            &Command::new(0, 0xDB, 0x3F, 0xFF).with_data(objects::put_data_field(tag, contents)),
        )?;
        check(&format!("PUT DATA {tag:X}"), r.sw)
    }

    /// Writes a DER certificate in a slot's container (`70 cert, 71 00, FE`).
    pub fn put_certificate(&mut self, slot: PivSlot, der: &[u8]) -> Result<(), PivError> {
        self.put_data(
            slot.certificate_object(),
            &objects::certificate_container(der),
        )
    }

    /// SET PIN RETRIES (YubiKey `00 FA <pin> <puk>`). Needs a verified PIN too.
    ///
    /// Gotcha: the YubiKey resets PIN and PUK to their factory values when it sets the retry
    /// counts, so this must run before the PIN and PUK are changed, never after.
    pub fn set_pin_retries(&mut self, pin_tries: u8, puk_tries: u8) -> Result<(), PivError> {
        let r = self.run(&Command::new(0, 0xFA, pin_tries, puk_tries))?;
        check("SET PIN RETRIES", r.sw)
    }

    /// SET MANAGEMENT KEY (YubiKey `00 FF FF FF 1B <alg> 9B <len> <key>`). The session drops
    /// back to [`Basic`]: authenticate with the new key to prove it took.
    pub fn set_management_key(
        mut self,
        key: &ManagementKey,
        algorithm: ManagementAlgorithm,
    ) -> Result<PivSession<'c, Basic>, PivError> {
        if key.len() != algorithm.key_len() {
            return Err(PivError::Unsupported {
                what: format!(
                    "a {}-byte key for algorithm {:02X}",
                    key.len(),
                    algorithm.piv_id()
                ),
            });
        }
        let mut data = Zeroizing::new(vec![algorithm.piv_id(), 0x9B, key.len() as u8]);
        data.extend_from_slice(key.expose());
        let r = self.run(
            &Command::new(0, 0xFF, 0xFF, 0xFF)
                .with_data(data.to_vec())
                .sensitive(),
        )?;
        check("SET MANAGEMENT KEY", r.sw)?;
        Ok(PivSession {
            channel: self.channel,
            access: PhantomData,
        })
    }

    /// Gives up the management-key privilege in the type (the card state is unchanged).
    pub fn into_basic(self) -> PivSession<'c, Basic> {
        PivSession {
            channel: self.channel,
            access: PhantomData,
        }
    }
}
