//! The device seams of cardline.
//!
//! Everything above the drivers (the issuance orchestrator, the CLI) talks to hardware only
//! through the traits in this crate; every driver and every simulated device implements them.
//! This crate depends on no other workspace crate and performs no I/O.
//!
//! | seam | what it is | implemented by |
//! |---|---|---|
//! | [`PrinterLink`] | a byte duplex with explicit timeouts | serial, USB, TCP links; the simulated printer |
//! | [`CardPrinter`] | a card printer: status, park, print, eject, reject; capabilities (duplex, [`PanelGeometry`], [`ColorModel`]); faults in one vocabulary ([`PrinterFault`]) | the Evolis and Magicard drivers |
//! | [`CardTransport`] | an exclusive session with one card: APDU in, response out | PC/SC; the simulated card |
//! | [`CardReader`] | a contact reader that yields card sessions | PC/SC readers; the simulated station |
//! | [`CardEncoder`] | personalises a parked card from an [`EncodingPlan`] | the PIV driver |
//!
//! ```
//! use cardline_device::{PrinterError, JobPhase};
//! let e = PrinterError::Jam { phase: JobPhase::Printing };
//! assert!(e.is_card_fault() && !e.needs_operator());
//! ```

pub mod card;
pub mod echo;
pub mod encoder;
pub mod fault;
pub mod image;
pub mod link;
pub mod printer;
pub mod secret;

pub use card::{CardReader, CardTransport, TransportError};
pub use encoder::{
    CardEncoder, CertificateIssuer, CertificateRequest, ChipInspection, EncodeError, EncodingPlan,
    EncodingReceipt, IssuerError, KeyAlgorithm, KeyRequest, PivSlot, SlotReceipt,
};
pub use fault::{FaultClass, PrinterFault};
pub use image::{
    CardImage, CardSide, ColorPanel, MonoPanel, Overlay, PANEL_HEIGHT, PANEL_WIDTH, PanelGeometry,
};
pub use link::{LinkError, PrinterLink};
pub use printer::{
    CardPosition, CardPrinter, ColorModel, JobPhase, PrinterCapabilities, PrinterError,
    PrinterStatus, RibbonStatus,
};
pub use secret::{ManagementKey, MasterKey, Pin, Puk, SecretBytes};

/// A duration as people read it: `850 ms`, `4.2 s`, `2 min 05 s` — never `4.999872119s`.
pub fn human_duration(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        let s = d.as_secs();
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

/// Prints `skipped: <message>` straight to the process's standard error, past the test
/// harness's output capture, so a test that cannot run (no pcscd, no rig, no pseudo-terminal)
/// says so visibly in every `cargo test` run instead of passing silently.
///
/// ```
/// cardline_device::skipped!("no rig file ({} unset)", "CARDLINE_RIG");
/// ```
#[macro_export]
macro_rules! skipped {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(
            ::std::io::stderr(),
            "skipped: {}",
            ::std::format_args!($($arg)*)
        );
    }};
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_are_rounded_for_people() {
        use std::time::Duration;
        assert_eq!(
            super::human_duration(Duration::from_micros(850_400)),
            "850 ms"
        );
        assert_eq!(
            super::human_duration(Duration::from_nanos(4_999_872_119)),
            "5.0 s"
        );
        assert_eq!(
            super::human_duration(Duration::from_secs(125)),
            "2 min 05 s"
        );
        let e = crate::LinkError::Timeout {
            link: "tcp:printer:9100".into(),
            operation: "waiting for a reply",
            after: Duration::from_nanos(1_234_567_891),
        };
        assert_eq!(
            e.to_string(),
            "tcp:printer:9100: no answer within 1.2 s while waiting for a reply"
        );
    }
}
