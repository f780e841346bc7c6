//! The device seams of cardline.
//!
//! Everything above the drivers (the issuance orchestrator, the CLI) talks to hardware only
//! through the traits in this crate; every driver and every simulated device implements them.
//! This crate depends on no other workspace crate and performs no I/O.
//!
//! | seam | what it is | implemented by |
//! |---|---|---|
//! | [`PrinterLink`] | a byte duplex with explicit timeouts | serial, USB, TCP links; the simulated printer |
//! | [`CardPrinter`] | a card printer: status, park, print, eject, reject | the Evolis driver |
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
pub mod image;
pub mod link;
pub mod printer;
pub mod secret;

pub use card::{CardReader, CardTransport, TransportError};
pub use encoder::{
    CardEncoder, CertificateIssuer, CertificateRequest, ChipInspection, EncodeError, EncodingPlan,
    EncodingReceipt, IssuerError, KeyAlgorithm, KeyRequest, PivSlot, SlotReceipt,
};
pub use image::{CardImage, CardSide, ColorPanel, MonoPanel, Overlay, PANEL_HEIGHT, PANEL_WIDTH};
pub use link::{LinkError, PrinterLink};
pub use printer::{
    CardPosition, CardPrinter, JobPhase, PrinterCapabilities, PrinterError, PrinterStatus,
    RibbonStatus,
};
pub use secret::{ManagementKey, MasterKey, Pin, Puk, SecretBytes};

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
