//! VERIFY (SP 800-73-4 Part 2 §3.2.1), CHANGE REFERENCE DATA (§3.2.2) and RESET RETRY
//! COUNTER (§3.2.3), with retry counters and blocking.

use super::command::Command;
use super::state::Reference;
use super::sw::Sw;
use super::{SimCard, mgm};

/// PIV application PIN key reference.
const PIN_REF: u8 = 0x80;
/// PUK key reference.
const PUK_REF: u8 = 0x81;

/// True when `padded` is 6..=8 bytes followed only by 0xFF padding (a valid new PIN/PUK).
fn valid_new_value(padded: &[u8]) -> bool {
    let len = padded.iter().position(|&b| b == 0xFF).unwrap_or(8);
    (6..=8).contains(&len) && padded[len..].iter().all(|&b| b == 0xFF)
}

/// Constant-time comparison of two reference values.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks `candidate` against `reference`, counting a failure. `Ok` resets the counter.
fn present(reference: &mut Reference, candidate: &[u8]) -> Result<(), Sw> {
    if reference.tries_left == 0 {
        return Err(Sw::BLOCKED);
    }
    if same(&reference.value, candidate) {
        reference.tries_left = reference.tries_total;
        Ok(())
    } else {
        reference.tries_left -= 1;
        Err(Sw::tries_left(reference.tries_left))
    }
}

impl SimCard {
    /// VERIFY: `00 20 00 80 08 <PIN>`; empty data = status query; P1 FF = log out.
    pub(super) fn verify(&mut self, cmd: &Command) -> Result<Vec<u8>, Sw> {
        if cmd.p2 != PIN_REF {
            return Err(Sw::REF_NOT_FOUND);
        }
        match (cmd.p1, cmd.data.len()) {
            (0xFF, 0) => {
                self.session.pin_verified = false;
                Ok(Vec::new())
            }
            (0x00, 0) => match self.state.pin.tries_left {
                0 => Err(Sw::BLOCKED),
                _ if self.session.pin_verified => Ok(Vec::new()),
                left => Err(Sw::tries_left(left)),
            },
            (0x00, 8) => {
                self.session.pin_verified = false;
                present(&mut self.state.pin, &cmd.data)?;
                self.session.pin_verified = true;
                self.session.pin_always_window = true;
                Ok(Vec::new())
            }
            (0x00 | 0xFF, _) => Err(Sw::INCORRECT_DATA),
            _ => Err(Sw::INCORRECT_P1P2),
        }
    }

    /// CHANGE REFERENCE DATA: `00 24 00 <80|81> 10 <old 8> <new 8>`.
    pub(super) fn change_reference_data(&mut self, cmd: &Command) -> Result<Vec<u8>, Sw> {
        if cmd.p1 != 0 {
            return Err(Sw::INCORRECT_P1P2);
        }
        let is_pin = match cmd.p2 {
            PIN_REF => true,
            PUK_REF => false,
            _ => return Err(Sw::REF_NOT_FOUND),
        };
        if cmd.data.len() != 16 {
            return Err(Sw::INCORRECT_DATA);
        }
        let (old, new) = cmd.data.split_at(8);
        let reference = if is_pin {
            &mut self.state.pin
        } else {
            &mut self.state.puk
        };
        if reference.tries_left == 0 {
            return Err(Sw::BLOCKED);
        }
        if !valid_new_value(new) {
            return Err(Sw::INCORRECT_DATA);
        }
        present(reference, old)?;
        reference.value = new.to_vec();
        if is_pin {
            self.session.pin_verified = true;
        }
        Ok(Vec::new())
    }

    /// RESET RETRY COUNTER: `00 2C 00 80 10 <PUK 8> <new PIN 8>` unblocks the PIN.
    pub(super) fn reset_retry_counter(&mut self, cmd: &Command) -> Result<Vec<u8>, Sw> {
        if cmd.p1 != 0 {
            return Err(Sw::INCORRECT_P1P2);
        }
        if cmd.p2 != PIN_REF {
            return Err(Sw::REF_NOT_FOUND);
        }
        if cmd.data.len() != 16 {
            return Err(Sw::INCORRECT_DATA);
        }
        let (puk, new_pin) = cmd.data.split_at(8);
        if self.state.puk.tries_left == 0 {
            return Err(Sw::BLOCKED);
        }
        if !valid_new_value(new_pin) {
            return Err(Sw::INCORRECT_DATA);
        }
        present(&mut self.state.puk, puk)?;
        self.state.pin.value = new_pin.to_vec();
        self.state.pin.tries_left = self.state.pin.tries_total;
        self.session.pin_verified = false;
        Ok(Vec::new())
    }

    /// YubiKey SET PIN RETRIES: `00 FA <pin tries> <puk tries>`; needs the management key and
    /// the PIN; resets PIN and PUK to their defaults.
    pub(super) fn set_pin_retries(&mut self, cmd: &Command) -> Result<Vec<u8>, Sw> {
        if !self.session.mgm_authenticated || !self.session.pin_verified {
            return Err(Sw::SECURITY_STATUS);
        }
        if !(1..=15).contains(&cmd.p1) || !(1..=15).contains(&cmd.p2) {
            return Err(Sw::INCORRECT_P1P2);
        }
        let fresh = super::CardState::factory(0, [0; 3], mgm::ALG_3DES);
        self.state.pin = Reference {
            tries_total: cmd.p1,
            tries_left: cmd.p1,
            ..fresh.pin
        };
        self.state.puk = Reference {
            tries_total: cmd.p2,
            tries_left: cmd.p2,
            ..fresh.puk
        };
        self.session.pin_verified = false;
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_value_rules() {
        assert!(valid_new_value(b"123456\xFF\xFF"));
        assert!(valid_new_value(b"12345678"));
        assert!(!valid_new_value(b"12345\xFF\xFF\xFF"));
        assert!(!valid_new_value(b"123456\xFF7"));
    }
}
