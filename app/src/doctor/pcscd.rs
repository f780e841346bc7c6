//! The PC/SC service: pcscd answers, and the readers it lists (with a card or not). pcsc-lite
//! finds pcscd's socket at `/run/pcscd/pcscd.comm`, or where `PCSCLITE_CSOCK_NAME` says.

use cardline_device::TransportError;
use cardline_pcsc::PcscReaders;

use super::Check;

const FAMILY: &str = "pcscd";

/// Checks that pcscd runs and lists its readers.
pub(crate) fn check(out: &mut Vec<Check>) {
    let readers = match PcscReaders::establish() {
        Ok(r) => r,
        Err(TransportError::NoService) => {
            out.push(Check::problem(
                FAMILY,
                "service",
                "pcscd is not running: no card can be encoded",
                "start it: `systemctl enable --now pcscd.socket` (or `pcscd` as root); the package depends on pcscd",
            ));
            return;
        }
        Err(e) => {
            out.push(Check::problem(
                FAMILY,
                "service",
                format!("PC/SC does not answer: {e}"),
                "restart pcscd: `systemctl restart pcscd`",
            ));
            return;
        }
    };
    out.push(Check::ok(FAMILY, "service", "pcscd answers"));
    match readers.survey() {
        Ok(list) if list.is_empty() => out.push(Check::warning(
            FAMILY,
            "readers",
            "pcscd runs but lists no reader",
            "plug in the printers' contact readers (USB) and check them with `pcsc_scan`; print-only stations need none",
        )),
        Ok(list) => {
            let shown: Vec<String> = list
                .iter()
                .map(|r| {
                    let card = if r.card_present { "card" } else { "no card" };
                    format!("{} ({card})", r.name)
                })
                .collect();
            out.push(Check::ok(
                FAMILY,
                "readers",
                format!("{} reader(s): {}", list.len(), shown.join(", ")),
            ));
        }
        Err(e) => out.push(Check::problem(
            FAMILY,
            "readers",
            format!("pcscd runs but its readers cannot be listed: {e}"),
            "restart pcscd: `systemctl restart pcscd`",
        )),
    }
}
