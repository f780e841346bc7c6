//! YubiKey PIV extensions (Yubico PIV APDU reference): SET MANAGEMENT KEY (FF), GET METADATA
//! (F7), RESET (FB). GET VERSION (FD), GET SERIAL (F8) are answered in the dispatcher and
//! SET PIN RETRIES (FA) next to the other PIN commands.

use super::auth::is_asymmetric_slot;
use super::command::Command;
use super::state::{CardState, DEFAULT_MGM_KEY, DEFAULT_PIN, DEFAULT_PUK};
use super::sw::Sw;
use super::tlv::tlv;
use super::{SimCard, keys, mgm};

impl SimCard {
    /// SET MANAGEMENT KEY `00 FF FF <FF|FE|FD> Lc <alg> 9B <len> <key>`; needs 9B auth.
    pub(super) fn set_management_key(&mut self, cmd: &Command) -> Result<Vec<u8>, Sw> {
        if cmd.p1 != 0xFF || !matches!(cmd.p2, 0xFD..=0xFF) {
            return Err(Sw::INCORRECT_P1P2);
        }
        if !self.session.mgm_authenticated {
            return Err(Sw::SECURITY_STATUS);
        }
        let d = &cmd.data;
        let ok = d.len() >= 3
            && d[1] == 0x9B
            && mgm::key_len(d[0]) == Some(d[2] as usize)
            && d.len() == 3 + d[2] as usize;
        if !ok {
            return Err(Sw::INCORRECT_DATA);
        }
        self.state.management_key.algorithm = d[0];
        self.state.management_key.key = d[3..].to_vec();
        self.state.management_key.touch = cmd.p2;
        Ok(Vec::new())
    }

    /// GET METADATA `00 F7 00 <key ref>`: algorithm, policies, origin, public key, defaults,
    /// retry counters.
    pub(super) fn get_metadata(&mut self, cmd: &Command) -> Result<Vec<u8>, Sw> {
        if cmd.p1 != 0 {
            return Err(Sw::INCORRECT_P1P2);
        }
        let s = &self.state;
        let mut out = Vec::new();
        match cmd.p2 {
            0x9B => {
                let k = &s.management_key;
                let touch = if k.touch == 0xFE { 0x02 } else { 0x01 };
                out.extend(tlv(&[0x01], &[k.algorithm]));
                out.extend(tlv(&[0x02], &[0x00, touch]));
                out.extend(tlv(&[0x05], &[u8::from(k.key == DEFAULT_MGM_KEY)]));
            }
            r @ (0x80 | 0x81) => {
                let (reference, default) = if r == 0x80 {
                    (&s.pin, DEFAULT_PIN)
                } else {
                    (&s.puk, DEFAULT_PUK)
                };
                out.extend(tlv(&[0x01], &[0xFF]));
                out.extend(tlv(&[0x05], &[u8::from(reference.value == default)]));
                out.extend(tlv(&[0x06], &[reference.tries_total, reference.tries_left]));
            }
            slot if is_asymmetric_slot(slot) => {
                let k = s.key(slot).ok_or(Sw::REF_NOT_FOUND)?;
                out.extend(tlv(&[0x01], &[k.algorithm]));
                out.extend(tlv(&[0x02], &[k.pin_policy, k.touch_policy]));
                out.extend(tlv(&[0x03], &[k.origin]));
                out.extend(tlv(
                    &[0x04],
                    &keys::public_key_objects(k.algorithm, &k.private)?,
                ));
            }
            _ => return Err(Sw::REF_NOT_FOUND),
        }
        Ok(out)
    }

    /// RESET `00 FB 00 00`: wipes the application, only when PIN and PUK are both blocked.
    pub(super) fn reset_application(&mut self) -> Result<Vec<u8>, Sw> {
        if self.state.pin.tries_left != 0 || self.state.puk.tries_left != 0 {
            return Err(Sw::CONDITIONS);
        }
        let version = self.state.version;
        let algorithm = if version >= [5, 7, 0] {
            mgm::ALG_AES192
        } else {
            mgm::ALG_3DES
        };
        self.state = CardState::factory(self.state.serial, version, algorithm);
        self.reset();
        Ok(Vec::new())
    }
}
