//! Revocation: which certificates a card's life revokes, and why (backend-neutral; every store
//! applies [`revocation_for_event`] and [`SPOILED_ATTEMPT`] inside the transaction that moves
//! the card or closes the attempt, so a certificate is never left valid for a spoiled chip).
//!
//! | what happened | revoked | reason (RFC 5280 §5.3.1) |
//! |---|---|---|
//! | an attempt failed (card rejected) or was voided/lost (crash, jam) | every certificate of the card not belonging to a succeeded attempt | `cessationOfOperation` |
//! | `Repeat` (misprinted or failed card produced again on a new blank) | every certificate of the card | `superseded` |
//! | `Lock` (lost, stolen, returned for good) | every certificate of the card | `privilegeWithdrawn` |
//! | `Expire` | every certificate of the card | `cessationOfOperation` |
//!
//! `Withdraw` takes an assigned card back to the pool to be assigned again: its certificate
//! (bound to the card number, not the holder) stays valid; `Lock` is "withdrawn for good".

use serde::{Deserialize, Serialize};

use crate::model::CardEvent;

/// Why a certificate was revoked (the subset of RFC 5280 CRL reasons cardline uses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationReason {
    /// The chip never went into service, or the card's life ended (spoiled, expired).
    CessationOfOperation,
    /// A new physical card replaced this one.
    Superseded,
    /// The card was locked: the holder's privilege is withdrawn.
    PrivilegeWithdrawn,
    /// The key may be in someone else's hands (a stolen desk's CA).
    KeyCompromise,
    /// The subject's affiliation changed (a desk moved to another office).
    AffiliationChanged,
}

impl RevocationReason {
    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CessationOfOperation => "cessation_of_operation",
            Self::Superseded => "superseded",
            Self::PrivilegeWithdrawn => "privilege_withdrawn",
            Self::KeyCompromise => "key_compromise",
            Self::AffiliationChanged => "affiliation_changed",
        }
    }

    /// The RFC 5280 name (`keyCompromise`, `cessationOfOperation`, ...).
    pub fn crl_name(self) -> &'static str {
        match self {
            Self::CessationOfOperation => "cessationOfOperation",
            Self::Superseded => "superseded",
            Self::PrivilegeWithdrawn => "privilegeWithdrawn",
            Self::KeyCompromise => "keyCompromise",
            Self::AffiliationChanged => "affiliationChanged",
        }
    }

    /// Parses an RFC 5280 name (`keyCompromise`) or a stored one (`key_compromise`).
    pub fn parse_crl_name(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.crl_name() == s || r.as_str() == s)
    }

    const ALL: [Self; 5] = [
        Self::CessationOfOperation,
        Self::Superseded,
        Self::PrivilegeWithdrawn,
        Self::KeyCompromise,
        Self::AffiliationChanged,
    ];

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The CRL reason code.
    pub fn rcgen(self) -> rcgen::RevocationReason {
        match self {
            Self::CessationOfOperation => rcgen::RevocationReason::CessationOfOperation,
            Self::Superseded => rcgen::RevocationReason::Superseded,
            Self::PrivilegeWithdrawn => rcgen::RevocationReason::PrivilegeWithdrawn,
            Self::KeyCompromise => rcgen::RevocationReason::KeyCompromise,
            Self::AffiliationChanged => rcgen::RevocationReason::AffiliationChanged,
        }
    }
}

/// The reason every certificate of a card is revoked when `event` moves it (`None`: the
/// event revokes nothing).
pub fn revocation_for_event(event: CardEvent) -> Option<RevocationReason> {
    match event {
        CardEvent::Repeat => Some(RevocationReason::Superseded),
        CardEvent::Lock => Some(RevocationReason::PrivilegeWithdrawn),
        CardEvent::Expire | CardEvent::ProductionFailed => {
            Some(RevocationReason::CessationOfOperation)
        }
        _ => None,
    }
}

/// The reason of certificates of a voided, lost or failed attempt's chip.
pub const SPOILED_ATTEMPT: RevocationReason = RevocationReason::CessationOfOperation;

/// A certificate's status, as `cards show` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateStatus {
    /// Serial, hex.
    pub serial: String,
    /// SHA-256 of the DER, hex.
    pub fingerprint: String,
    /// The chip it was issued to.
    pub chip_id: Option<String>,
    /// Issue time.
    pub issued_at: String,
    /// End of validity.
    pub not_after: String,
    /// `valid` or `revoked`.
    pub status: String,
    /// When revoked.
    pub revoked_at: Option<String>,
    /// Why revoked.
    pub revocation_reason: Option<String>,
}
