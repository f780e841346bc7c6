//! PIV card edge client and personalisation for cardline.
//!
//! * [`PivSession`]: the SP 800-73-4 card edge over any [`cardline_device::CardTransport`]
//!   (select, VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, GENERAL AUTHENTICATE 9B,
//!   GENERATE, GET/PUT DATA) plus the YubiKey extensions (FD, F8, F7, FF, FA). A session whose
//!   management key is authenticated is a different type ([`Admin`]) from one that is not
//!   ([`Basic`]).
//! * [`objects`]: CHUID, CCC and certificate container builders and parsers.
//! * [`derive_management_key`]: the per-card management key, HKDF-SHA256 over the chip id.
//! * [`PivEncoder`]: the personalisation plan executor ([`cardline_device::CardEncoder`]).
//!
//! ```
//! use cardline_device::MasterKey;
//! use cardline_piv::{derive_management_key, ManagementAlgorithm};
//! let master = MasterKey::new(vec![7; 32]);
//! let key = derive_management_key(&master, &[0, 0xBC, 0x61, 0x4E], ManagementAlgorithm::Aes192);
//! assert_eq!(key.len(), 24);
//! ```

mod admin;
mod auth;
pub mod encoder;
pub mod error;
pub mod mgmt;
pub mod objects;
pub mod profile;
pub mod pubkey;
pub mod session;

pub use encoder::PivEncoder;
pub use error::{Credential, PivError};
pub use mgmt::{ManagementAlgorithm, derive_management_key};
pub use profile::{CardProfile, Version};
pub use pubkey::GeneratedKey;
pub use session::{Admin, Basic, Metadata, PinStatus, PivSession, Refused};
