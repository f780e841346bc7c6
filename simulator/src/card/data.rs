//! SELECT (SP 800-73-4 Part 2 §3.1.1), GET DATA (§3.1.2) and PUT DATA (§3.3.1).

use super::command::Command;
use super::faults::EepromFailure;
use super::sw::Sw;
use super::tlv::{self, tlv};
use super::{AtrProfile, PIV_AID, SimCard};

/// Largest object a YubiKey 5 stores (3072-byte buffer minus overhead).
pub const MAX_OBJECT_SIZE: usize = 3063;

/// Objects only readable after PIN verification (SP 800-73-4 Part 1 Table 3).
const PIN_PROTECTED: [[u8; 3]; 4] = [
    [0x5F, 0xC1, 0x03], // fingerprints
    [0x5F, 0xC1, 0x08], // facial image
    [0x5F, 0xC1, 0x09], // printed information
    [0x5F, 0xC1, 0x21], // iris
];

/// The discovery object a fresh card returns: full AID, PIN usage policy "PIV PIN only".
fn default_discovery() -> Vec<u8> {
    let mut v = tlv(&[0x4F], &PIV_AID);
    v.extend(tlv(&[0x5F, 0x2F], &[0x40, 0x00]));
    v
}

/// True for tags of data objects this card stores under tag 53.
fn is_container_tag(tag: &[u8]) -> bool {
    matches!(tag, [0x5F, 0xC1, 0x01..=0x23] | [0x5F, 0xFF, 0x00..=0x15])
}

impl SimCard {
    /// SELECT by (right-truncated) AID: the Application Property Template, or 6A82.
    pub(super) fn select(&mut self, cmd: &Command) -> Result<Vec<u8>, Sw> {
        let aid = &cmd.data;
        let piv = cmd.p1 == 0x04
            && aid.len() >= 5
            && aid.len() <= PIV_AID.len()
            && PIV_AID.starts_with(aid);
        if !piv {
            return Err(Sw::NOT_FOUND);
        }
        self.session.mgm_witness = None;
        self.session.mgm_challenge = None;
        let authority = tlv(&[0x79], &tlv(&[0x4F], &PIV_AID[..5]));
        let mut apt = match self.atr {
            // What a YubiKey answers: PIX only in 4F.
            AtrProfile::YubiKey5 => tlv(&[0x4F], &PIV_AID[5..]),
            AtrProfile::GenericPiv => tlv(&[0x4F], &PIV_AID),
        };
        apt.extend(authority);
        if self.atr == AtrProfile::GenericPiv {
            apt.extend(tlv(&[0x50], b"cardline PIV"));
        }
        Ok(tlv(&[0x61], &apt))
    }

    /// GET DATA `00 CB 3F FF Lc 5C L <tag>` → `53 L <object>` (7E and 7F61 under their own tag).
    pub(super) fn get_data(&mut self, cmd: &Command) -> Result<Vec<u8>, Sw> {
        if (cmd.p1, cmd.p2) != (0x3F, 0xFF) {
            return Err(Sw::INCORRECT_P1P2);
        }
        let tag = tlv::find(&cmd.data, &[0x5C])?.ok_or(Sw::INCORRECT_DATA)?;
        match tag {
            [0x7E] => Ok(tlv(
                &[0x7E],
                &self.state.object(tag).unwrap_or_else(default_discovery),
            )),
            [0x7F, 0x61] => Ok(tlv(tag, &self.state.object(tag).ok_or(Sw::NOT_FOUND)?)),
            _ if is_container_tag(tag) => {
                let content = self.state.object(tag).ok_or(Sw::NOT_FOUND)?;
                if PIN_PROTECTED.iter().any(|t| t == tag) && !self.session.pin_verified {
                    return Err(Sw::SECURITY_STATUS);
                }
                Ok(tlv(&[0x53], &content))
            }
            _ => Err(Sw::NOT_FOUND),
        }
    }

    /// PUT DATA `00 DB 3F FF Lc 5C L <tag> 53 L <object>` (or `7E ...`, `7F61 ...`); needs the
    /// management key. `53 00` deletes the object.
    pub(super) fn put_data(&mut self, cmd: &Command) -> Result<Vec<u8>, Sw> {
        if (cmd.p1, cmd.p2) != (0x3F, 0xFF) {
            return Err(Sw::INCORRECT_P1P2);
        }
        if !self.session.mgm_authenticated {
            return Err(Sw::SECURITY_STATUS);
        }
        let items = tlv::parse(&cmd.data)?;
        let (tag, content): (Vec<u8>, &[u8]) = match items.as_slice() {
            [(t, v)] if t == &[0x7E] || t == &[0x7F, 0x61] => (t.clone(), *v),
            [(t5c, tag), (t53, v)] if t5c == &[0x5C] && t53 == &[0x53] => (tag.to_vec(), *v),
            _ => return Err(Sw::INCORRECT_DATA),
        };
        if tag != [0x7E] && tag != [0x7F, 0x61] && !is_container_tag(&tag) {
            return Err(Sw::INCORRECT_DATA);
        }
        if content.len() > MAX_OBJECT_SIZE {
            return Err(Sw::NOT_ENOUGH_MEMORY);
        }
        match self.faults.eeprom_failure {
            Some(EepromFailure::MemoryFailure) => return Err(Sw::MEMORY_FAILURE),
            Some(EepromFailure::NotEnoughMemory) => return Err(Sw::NOT_ENOUGH_MEMORY),
            None => {}
        }
        self.state.set_object(&tag, content);
        Ok(Vec::new())
    }
}
