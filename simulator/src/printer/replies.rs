//! The reply vocabulary of the simulated printer (spec §1.3, §1.4; fault strings from the
//! cardline contract in docs/printer-driver.md). Every reply is ASCII terminated by CR.

/// Accepted.
pub const OK: &str = "OK";
/// Unknown command.
pub const ERROR_CDE: &str = "ERROR CDE";
/// Known command, bad parameters.
pub const ERROR_PARAMETERS: &str = "ERROR PARAMETERS";
/// Cover open (or opened during the job).
pub const ERR_COVER_OPEN: &str = "ERR COVER OPEN";
/// No card in the feeder.
pub const ERR_FEEDER_EMPTY: &str = "ERR FEEDER EMPTY";
/// Ribbon used up.
pub const ERR_RIBBON_END: &str = "ERR RIBBON END";
/// No (or unknown) ribbon.
pub const ERR_RIB_DETECTION: &str = "ERR RIB DETECTION";
/// Card jammed (printing, parking, ejecting, rejecting).
pub const ERR_CARD_JAM: &str = "ERR CARD JAM";
/// Card stuck while feeding.
pub const ERR_FEEDER_JAM: &str = "ERR FEEDER JAM";
/// Reject box full.
pub const ERR_REJECT_BOX_FULL: &str = "ERR REJECT BOX FULL";
/// Printer busy.
pub const ERR_BUSY: &str = "ERR BUSY";
/// Print head too hot.
pub const ERR_HEAD_TEMP: &str = "ERR HEAD TEMP";
/// `Rlr;p`: no card in the printer.
pub const POS_NO_CARD: &str = "OK";
/// `Rlr;p`: card inside, at (or moving to) the print position.
pub const POS_CARD: &str = "CARD";
/// `Rlr;p`: card parked at the contact station.
pub const POS_SMART: &str = "SMART CARD";
/// `Rlr;p`: card parked at the contactless station.
pub const POS_CONTACTLESS: &str = "CONTACTLESS CARD";
/// `Rlr;h`: reject box full.
pub const BOX_FULL: &str = "CARD";
/// `Rlr;h`: reject box not full.
pub const BOX_NOT_FULL: &str = "NO CARD";

/// A sensor reading with the decimal comma the firmware uses: `5,00 Volts`.
pub fn volts(v: f64) -> String {
    format!("{v:.2} Volts").replace('.', ",")
}

#[cfg(test)]
mod tests {
    #[test]
    fn volts_use_decimal_comma() {
        assert_eq!(super::volts(5.0), "5,00 Volts");
        assert_eq!(super::volts(0.0), "0,00 Volts");
        assert_eq!(super::volts(3.92), "3,92 Volts");
    }
}
