//! GENERAL AUTHENTICATE (SP 800-73-4 Part 2 §3.2.4) — management key mutual and external
//! authentication, private-key signing and ECDH — and GENERATE ASYMMETRIC KEY PAIR (§3.3.2).

use super::command::Command;
use super::state::SlotKeyState;
use super::sw::Sw;
use super::tlv::{self, tlv};
use super::{SimCard, keys, mgm};

/// Key reference of the card management key.
const MGM_REF: u8 = 0x9B;
/// PIN policies (YubiKey numbering).
const POLICY_NEVER: u8 = 0x01;
const POLICY_ONCE: u8 = 0x02;
const POLICY_ALWAYS: u8 = 0x03;

/// True for the asymmetric key references a key can be generated in.
pub(super) fn is_asymmetric_slot(slot: u8) -> bool {
    matches!(slot, 0x9A | 0x9C | 0x9D | 0x9E | 0x82..=0x95)
}

/// The PIN policy a slot has unless the GENERATE command asks for another.
fn default_pin_policy(slot: u8) -> u8 {
    match slot {
        0x9C => POLICY_ALWAYS,
        0x9E => POLICY_NEVER,
        _ => POLICY_ONCE,
    }
}

fn random_block(len: usize) -> Vec<u8> {
    let mut block = vec![0u8; len];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut block);
    block
}

impl SimCard {
    /// GENERAL AUTHENTICATE `00 87 <alg> <key ref> Lc 7C L {...}`.
    pub(super) fn general_authenticate(&mut self, cmd: &Command) -> Result<Vec<u8>, Sw> {
        let template = tlv::find(&cmd.data, &[0x7C])?.ok_or(Sw::INCORRECT_DATA)?;
        let items = tlv::parse(template)?;
        let get = |tag: u8| items.iter().find(|(t, _)| t == &[tag]).map(|(_, v)| *v);
        if cmd.p2 == MGM_REF {
            self.authenticate_management_key(cmd.p1, get(0x80), get(0x81), get(0x82))
        } else {
            self.use_private_key(cmd.p1, cmd.p2, get(0x81), get(0x85))
        }
    }

    fn authenticate_management_key(
        &mut self,
        algorithm: u8,
        witness: Option<&[u8]>,
        challenge: Option<&[u8]>,
        response: Option<&[u8]>,
    ) -> Result<Vec<u8>, Sw> {
        let key = &self.state.management_key;
        if algorithm != key.algorithm {
            return Err(Sw::INCORRECT_DATA);
        }
        let (alg, key) = (key.algorithm, key.key.clone());
        let block = mgm::block_len(alg);
        match (witness, challenge, response) {
            // Mutual, step 1: the card sends an encrypted witness.
            (Some([]), None, _) => {
                self.session.mgm_authenticated = false;
                let w = random_block(block);
                let encrypted = mgm::encrypt_block(alg, &key, &w)?;
                self.session.mgm_witness = Some(w);
                Ok(tlv(&[0x7C], &tlv(&[0x80], &encrypted)))
            }
            // Mutual, step 2: the host proves it decrypted the witness and sends its challenge.
            (Some(w), Some(c), _) if !w.is_empty() && c.len() == block => {
                let expected = self.session.mgm_witness.take().ok_or(Sw::CONDITIONS)?;
                if w.len() != expected.len() || w != expected.as_slice() {
                    self.session.mgm_authenticated = false;
                    return Err(Sw::SECURITY_STATUS);
                }
                let answer = mgm::encrypt_block(alg, &key, c)?;
                self.session.mgm_authenticated = true;
                Ok(tlv(&[0x7C], &tlv(&[0x82], &answer)))
            }
            // External, step 1: the card sends a plain challenge.
            (None, Some([]), _) => {
                self.session.mgm_authenticated = false;
                let c = random_block(block);
                self.session.mgm_challenge = Some(c.clone());
                Ok(tlv(&[0x7C], &tlv(&[0x81], &c)))
            }
            // External, step 2: the host returns the encrypted challenge.
            (None, None, Some(r)) if !r.is_empty() => {
                let c = self.session.mgm_challenge.take().ok_or(Sw::CONDITIONS)?;
                if r != mgm::encrypt_block(alg, &key, &c)?.as_slice() {
                    self.session.mgm_authenticated = false;
                    return Err(Sw::SECURITY_STATUS);
                }
                self.session.mgm_authenticated = true;
                Ok(Vec::new())
            }
            _ => Err(Sw::INCORRECT_DATA),
        }
    }

    fn use_private_key(
        &mut self,
        algorithm: u8,
        slot: u8,
        input: Option<&[u8]>,
        peer_point: Option<&[u8]>,
    ) -> Result<Vec<u8>, Sw> {
        if !is_asymmetric_slot(slot) {
            return Err(Sw::REF_NOT_FOUND);
        }
        let key = self.state.key(slot).ok_or(Sw::REF_NOT_FOUND)?;
        if key.algorithm != algorithm {
            return Err(Sw::INCORRECT_DATA);
        }
        let allowed = match key.pin_policy {
            POLICY_NEVER => true,
            POLICY_ALWAYS => self.session.pin_verified && self.session.pin_always_window,
            _ => self.session.pin_verified,
        };
        if !allowed {
            return Err(Sw::SECURITY_STATUS);
        }
        let out = match (input, peer_point) {
            (Some(data), None) if !data.is_empty() => keys::sign(algorithm, &key.private, data)?,
            (None, Some(point)) if !point.is_empty() => keys::ecdh(algorithm, &key.private, point)?,
            _ => return Err(Sw::INCORRECT_DATA),
        };
        Ok(tlv(&[0x7C], &tlv(&[0x82], &out)))
    }

    /// GENERATE ASYMMETRIC KEY PAIR `00 47 00 <slot> Lc AC L {80 01 alg [AA 01 pin] [AB 01 touch]}`.
    pub(super) fn generate_key_pair(&mut self, cmd: &Command) -> Result<Vec<u8>, Sw> {
        if cmd.p1 != 0 {
            return Err(Sw::INCORRECT_P1P2);
        }
        if !is_asymmetric_slot(cmd.p2) {
            return Err(Sw::REF_NOT_FOUND);
        }
        if !self.session.mgm_authenticated {
            return Err(Sw::SECURITY_STATUS);
        }
        let template = tlv::find(&cmd.data, &[0xAC])?.ok_or(Sw::INCORRECT_DATA)?;
        let one = |tag: u8| -> Result<Option<u8>, Sw> {
            match tlv::find(template, &[tag])? {
                None => Ok(None),
                Some([b]) => Ok(Some(*b)),
                Some(_) => Err(Sw::INCORRECT_DATA),
            }
        };
        let algorithm = one(0x80)?.ok_or(Sw::INCORRECT_DATA)?;
        let pin_policy = match one(0xAA)? {
            None | Some(0) => default_pin_policy(cmd.p2),
            Some(p @ POLICY_NEVER..=POLICY_ALWAYS) => p,
            Some(_) => return Err(Sw::INCORRECT_DATA),
        };
        let touch_policy = match one(0xAB)? {
            None | Some(0) => 0x01,
            Some(t @ 0x01..=0x03) => t,
            Some(_) => return Err(Sw::INCORRECT_DATA),
        };
        let started = std::time::Instant::now();
        let private = keys::generate(algorithm)?;
        if let Some(delay) = self.faults.slow_key_generation {
            std::thread::sleep(delay.saturating_sub(started.elapsed()));
        }
        let public = keys::public_key_objects(algorithm, &private)?;
        self.state.set_key(
            cmd.p2,
            SlotKeyState {
                algorithm,
                pin_policy,
                touch_policy,
                origin: 0x01,
                private,
            },
        );
        Ok(tlv(&[0x7F, 0x49], &public))
    }
}
