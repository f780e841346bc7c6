//! The command set from the device's side (docs/magicard-protocol.md §4): the text between
//! `REQ,` and the final `,` → one reply text (framed by the caller).
//!
//! | command | reply |
//! |---|---|
//! | `STA,<KEY>` | `STA,<KEY>,<value>` (`ERR,UNKNOWN` for a key the device does not have) |
//! | `RST` | `OK`: clears the current error (a jammed card stays jammed) |
//! | `FEED1`, `CHPDOWN`, `CHPUP`, `EJT`, `RJT` | `OK`, or `ERR,<code>` of §5 |
//! | anything else | `ERR,UNKNOWN` |

use super::SimMagicard;
use super::replies::{OK, UNKNOWN};

impl SimMagicard {
    /// Handles one command; returns the reply text.
    pub(super) fn command(&mut self, text: &str) -> String {
        let mut words = text.split(',');
        let (Some(verb), rest) = (words.next(), words.collect::<Vec<_>>()) else {
            return UNKNOWN.into();
        };
        match (verb, rest.as_slice()) {
            ("STA", [key]) => {
                let reply = self.status(key);
                self.count_status_poll();
                reply
            }
            ("RST", []) => {
                self.latched = None;
                self.cleaning_overdue = false;
                OK.into()
            }
            ("FEED1", []) => self.act(Self::feed_card),
            ("CHPDOWN", []) => self.act(Self::lower_contacts),
            ("CHPUP", []) => self.act(Self::lift_contacts),
            ("EJT", []) => self.act(Self::eject_card),
            ("RJT", []) => self.act(Self::reject_card),
            _ => UNKNOWN.into(),
        }
    }

    /// `STA,<KEY>` → `STA,<KEY>,<value>`.
    fn status(&self, key: &str) -> String {
        let value = match key {
            "MSR" => self.config.serial.clone(),
            "VRS" => self.config.firmware.clone(),
            "MDL" => self.config.model.clone(),
            "TCQ" => self.counters.cards_printed.to_string(),
            "DFR" => self.ribbon.as_ref().map_or(0, |r| r.remaining).to_string(),
            "TPQ" => self.counters.panels_printed.to_string(),
            "ERR" => self.current_error().map_or(0, |c| c.code()).to_string(),
            "POS" => self
                .card
                .as_ref()
                .map_or("NONE", |c| c.at.as_str())
                .to_string(),
            "LID" => if self.cover_open { "OPEN" } else { "CLOSED" }.to_string(),
            "HOP" => if self.hopper == 0 { "EMPTY" } else { "OK" }.to_string(),
            "RJB" => if self.reject_box >= self.config.reject_box_capacity {
                "FULL"
            } else {
                "OK"
            }
            .to_string(),
            "RIB" => self
                .ribbon
                .as_ref()
                .map_or("NONE".to_string(), |r| r.kind.to_ascii_uppercase()),
            _ => return UNKNOWN.into(),
        };
        format!("STA,{key},{value}")
    }
}
