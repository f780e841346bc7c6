//! Management-key (9B) mutual authentication, SP 800-73-4 Part 2 §3.2.4 and Appendix A.

use cardline_apdu::{Command, StatusWord, tlv};
use cardline_device::ManagementKey;
use zeroize::Zeroizing;

use crate::error::PivError;
use crate::mgmt::ManagementAlgorithm;
use crate::session::{PivSession, check};

impl<A> PivSession<'_, A> {
    /// True when the card accepts `key` (mutual authentication). A refused 9B authentication
    /// consumes no retry counter on PIV cards; a success leaves the card authenticated.
    pub fn accepts_management_key(
        &mut self,
        key: &ManagementKey,
        algorithm: ManagementAlgorithm,
    ) -> Result<bool, PivError> {
        match self.mutual_auth(key, algorithm) {
            Ok(()) => Ok(true),
            Err(PivError::ManagementKeyRefused) => Ok(false),
            Err(PivError::Card {
                sw: StatusWord::IncorrectData | StatusWord::IncorrectP1P2,
                ..
            }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// GENERAL AUTHENTICATE 9B, mutual: witness, then our challenge (SP 800-73-4 Part 2 §3.2.4,
    /// Appendix A.3).
    pub(crate) fn mutual_auth(
        &mut self,
        key: &ManagementKey,
        algorithm: ManagementAlgorithm,
    ) -> Result<(), PivError> {
        const CMD: &str = "GENERAL AUTHENTICATE 9B";
        if key.len() != algorithm.key_len() {
            return Err(PivError::Unsupported {
                what: format!(
                    "a {}-byte management key with algorithm {:02X}",
                    key.len(),
                    algorithm.piv_id()
                ),
            });
        }
        let block = algorithm.block_len();
        let p1 = algorithm.piv_id();
        let ask = Command::new(0, 0x87, p1, 0x9B)
            .with_data(tlv::encode(0x7C, &tlv::encode(0x80, &[])))
            .with_le(256);
        let r = self.run(&ask)?;
        check(CMD, r.sw)?;
        let witness = dynamic_item(&r.data, 0x80, block)?;
        let plain = Zeroizing::new(
            algorithm
                .decrypt_block(key.expose(), &witness)
                .ok_or_else(|| PivError::malformed(CMD, "witness does not fit the cipher"))?,
        );
        let mut challenge = vec![0u8; block];
        getrandom::fill(&mut challenge).map_err(|_| PivError::Unsupported {
            what: "a challenge: the OS random source failed".into(),
        })?;
        let mut inner = tlv::encode(0x80, &plain);
        tlv::write(0x81, &challenge, &mut inner);
        let answer = Command::new(0, 0x87, p1, 0x9B)
            .with_data(tlv::encode(0x7C, &inner))
            .with_le(256)
            .sensitive();
        let r = self.run(&answer)?;
        if r.sw == StatusWord::SecurityStatus || r.sw == StatusWord::AuthFailed {
            return Err(PivError::ManagementKeyRefused);
        }
        check(CMD, r.sw)?;
        let card_says = dynamic_item(&r.data, 0x82, block)?;
        let expected = algorithm
            .encrypt_block(key.expose(), &challenge)
            .ok_or_else(|| PivError::malformed(CMD, "challenge does not fit the cipher"))?;
        if card_says != expected {
            return Err(PivError::CardCryptogram);
        }
        Ok(())
    }
}

/// The `tag` item of a dynamic authentication template `7C { ... }`, of exactly `len` bytes.
fn dynamic_item(answer: &[u8], tag: u32, len: usize) -> Result<Vec<u8>, PivError> {
    const CMD: &str = "GENERAL AUTHENTICATE 9B";
    let template = tlv::parse_one(answer).map_err(|e| PivError::tlv(CMD, e))?;
    let items = template.children().map_err(|e| PivError::tlv(CMD, e))?;
    match tlv::find(&items, tag) {
        Some(t) if template.tag() == 0x7C && t.value_len() == len => Ok(t.value().to_vec()),
        _ => Err(PivError::malformed(
            CMD,
            format!("no {len}-byte {tag:X} in the 7C template"),
        )),
    }
}
