//! [`PivEncoder`]: executes an [`EncodingPlan`] on a PIV card and proves the result by reading
//! it back.
//!
//! Order (one session, no step undoes another): SELECT → GET VERSION → GET SERIAL → CHANGE PIN
//! (presents the transport PIN) → CHANGE PUK → 9B auth with the transport key → SET MANAGEMENT KEY
//! (derived) → 9B auth with the new key → per key: GENERATE, issue, PUT certificate → PUT CHUID,
//! PUT CCC → read back every object, compare bytes and keys → VERIFY the new PIN. SET PIN RETRIES
//! is never sent: on YubiKeys it resets PIN and PUK to the factory values, so it could only come
//! before the PIN change (see the spec's retry-count gotcha).

use cardline_apdu::LengthEncoding;
use cardline_device::{
    CardEncoder, CardTransport, CertificateIssuer, CertificateRequest, ChipInspection, EncodeError,
    EncodingPlan, EncodingReceipt, ManagementKey, PivSlot, SlotReceipt,
};

use crate::error::{Credential, PivError};
use crate::mgmt::{ManagementAlgorithm, derive_management_key};
use crate::objects;
use crate::profile::CardProfile;
use crate::pubkey::certificate_holds;
use crate::session::{Admin, Basic, PinStatus, PivSession};

/// Slots whose certificates [`PivEncoder::inspect`] reads.
const INSPECTED_SLOTS: [PivSlot; 4] = [
    PivSlot::AUTHENTICATION,
    PivSlot::SIGNATURE,
    PivSlot::KEY_MANAGEMENT,
    PivSlot::CARD_AUTHENTICATION,
];

/// The PIV personalisation plan executor.
#[derive(Debug)]
pub struct PivEncoder {
    transport_management_key: ManagementKey,
    preflight: bool,
    encoding: LengthEncoding,
}

impl Default for PivEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl PivEncoder {
    /// An encoder whose blanks ship with the PIV default management key (used by `inspect`;
    /// `encode` takes the transport key from the plan).
    pub fn new() -> Self {
        Self {
            transport_management_key: ManagementKey::piv_default(),
            preflight: false,
            encoding: LengthEncoding::Short,
        }
    }

    /// Blanks ship with this management key instead of the PIV default.
    pub fn with_transport_management_key(key: ManagementKey) -> Self {
        Self {
            transport_management_key: key,
            preflight: false,
            encoding: LengthEncoding::Short,
        }
    }

    /// Reads the PIN state before presenting the transport PIN (one more APDU: GET METADATA 80
    /// on YubiKey 5.3+, else the VERIFY status query). A card whose PIN is no longer the factory
    /// value, or is blocked, is then refused without spending a try. Off by default: CHANGE
    /// REFERENCE DATA checks the transport PIN itself and reports the counter when it is wrong,
    /// at the cost of one try on a card that was already personalised.
    pub fn with_preflight(mut self, on: bool) -> Self {
        self.preflight = on;
        self
    }

    /// Uses extended-length APDUs (one APDU per certificate write and read instead of chained
    /// blocks and GET RESPONSE). Only for readers and cards known to support them; printer
    /// contact stations often do not.
    pub fn with_extended_length(mut self, on: bool) -> Self {
        self.encoding = if on {
            LengthEncoding::Extended
        } else {
            LengthEncoding::Short
        };
        self
    }
}

impl CardEncoder for PivEncoder {
    fn encode(
        &mut self,
        card: &mut dyn CardTransport,
        plan: &EncodingPlan,
        issuer: &dyn CertificateIssuer,
    ) -> Result<EncodingReceipt, EncodeError> {
        personalise(card, plan, issuer, self.preflight, self.encoding)
    }

    fn inspect(&mut self, card: &mut dyn CardTransport) -> Result<ChipInspection, EncodeError> {
        Ok(inspect(
            card,
            &self.transport_management_key,
            self.encoding,
        )?)
    }
}

/// Checks everything that can be checked before the card is touched, so a bad plan never leaves
/// a half-personalised card.
fn check_plan(plan: &EncodingPlan) -> Result<(), EncodeError> {
    for (what, len) in [
        ("set a PIN", plan.pin.len()),
        ("set a PUK", plan.puk.len()),
        ("present a transport PIN", plan.transport_pin.len()),
        ("present a transport PUK", plan.transport_puk.len()),
    ] {
        if !(1..=8).contains(&len) {
            return Err(EncodeError::Unsupported(format!(
                "{what} of {len} characters"
            )));
        }
    }
    if let Some(bad) = plan.keys.iter().find(|k| !k.slot.is_valid()) {
        return Err(EncodeError::Unsupported(format!(
            "generate in slot {}",
            bad.slot
        )));
    }
    Ok(())
}

fn transport_credential(e: PivError, what: &'static str) -> EncodeError {
    match e {
        PivError::WrongCredential { tries, .. } => EncodeError::TransportCredential {
            what,
            remaining: tries,
        },
        PivError::Blocked { .. } => EncodeError::TransportCredential { what, remaining: 0 },
        other => other.into(),
    }
}

/// Authenticates with the transport key: the algorithm the profile implies first, then (if the
/// card refuses the algorithm and has GET METADATA) the one its metadata names.
fn authenticate_transport<'c>(
    session: PivSession<'c, Basic>,
    key: &ManagementKey,
    profile: CardProfile,
) -> Result<PivSession<'c, Admin>, EncodeError> {
    let guess = profile.factory_management_algorithm();
    let refused = match session.authenticate(key, guess) {
        Ok(admin) => return Ok(admin),
        Err(refused) => refused,
    };
    let wrong_algorithm = matches!(refused.error, PivError::Card { ref sw, .. }
        if matches!(sw, cardline_apdu::StatusWord::IncorrectData | cardline_apdu::StatusWord::IncorrectP1P2));
    if !(wrong_algorithm && profile.has_metadata()) {
        return Err(mgm_refused(refused.error));
    }
    let mut session = refused.session;
    let metadata = session.metadata(0x9B)?;
    let algorithm = metadata
        .algorithm
        .and_then(ManagementAlgorithm::from_piv_id)
        .ok_or_else(|| PivError::malformed("GET METADATA 9B", "no management key algorithm"))?;
    session
        .authenticate(key, algorithm)
        .map_err(|r| mgm_refused(r.error))
}

fn mgm_refused(e: PivError) -> EncodeError {
    match e {
        PivError::ManagementKeyRefused => EncodeError::TransportCredential {
            what: "management key",
            remaining: 0,
        },
        other => other.into(),
    }
}

/// Refuses a card whose PIN is not the factory one or is blocked, without spending a try.
fn check_pin_untouched(
    session: &mut PivSession<'_, Basic>,
    profile: CardProfile,
) -> Result<(), EncodeError> {
    if profile.has_metadata() {
        let pin = session.metadata(0x80)?;
        let remaining = pin.retries.map_or(0, |(_, left)| left);
        if pin.is_default == Some(false) || remaining == 0 && pin.retries.is_some() {
            return Err(EncodeError::TransportCredential {
                what: "PIN",
                remaining,
            });
        }
        return Ok(());
    }
    match session.pin_status()? {
        PinStatus::Blocked => Err(EncodeError::TransportCredential {
            what: "PIN",
            remaining: 0,
        }),
        PinStatus::Verified | PinStatus::TriesLeft(_) => Ok(()),
    }
}

fn personalise(
    card: &mut dyn CardTransport,
    plan: &EncodingPlan,
    issuer: &dyn CertificateIssuer,
    preflight: bool,
    encoding: LengthEncoding,
) -> Result<EncodingReceipt, EncodeError> {
    check_plan(plan)?;
    let chuid = objects::chuid(&plan.guid, &plan.expiry)?;
    let card_id: [u8; 14] = plan.guid[..14].try_into().expect("16-byte GUID");
    let ccc = objects::ccc(&card_id);

    let mut session = PivSession::open_with(card, encoding)?;
    let profile = session.detect_profile()?;
    if !profile.can_set_management_key() {
        return Err(EncodeError::Unsupported(
            "replace the management key (a generic PIV card has no SET MANAGEMENT KEY)".into(),
        ));
    }
    let chip = if profile.has_serial() {
        session.serial()?.to_vec()
    } else {
        plan.guid.to_vec()
    };
    let chip_id = hex::encode(&chip);
    if preflight {
        check_pin_untouched(&mut session, profile)?;
    }

    // CHANGE REFERENCE DATA checks the old value itself: a wrong transport PIN costs one try
    // and answers 63Cx with the counter, exactly like VERIFY would.
    session
        .change_reference(
            Credential::Pin,
            plan.transport_pin.expose(),
            plan.pin.expose(),
        )
        .map_err(|e| transport_credential(e, "PIN"))?;
    session
        .change_reference(
            Credential::Puk,
            plan.transport_puk.expose(),
            plan.puk.expose(),
        )
        .map_err(|e| transport_credential(e, "PUK"))?;

    let admin = authenticate_transport(session, &plan.transport_management_key, profile)?;
    let algorithm = profile.personalised_management_algorithm();
    let card_key = derive_management_key(&plan.management_key_master, &chip, algorithm);
    let session = admin.set_management_key(&card_key, algorithm)?;
    let mut admin = session
        .authenticate(&card_key, algorithm)
        .map_err(|r| EncodeError::from(r.error))?;

    let mut slots = Vec::with_capacity(plan.keys.len());
    for request in &plan.keys {
        let key = admin.generate(request.slot, request.algorithm)?;
        let certificate = issuer.issue(&CertificateRequest {
            card_number: plan.card_number.clone(),
            profile: request.profile.clone(),
            slot: request.slot,
            algorithm: request.algorithm,
            public_key_spki: key.spki.clone(),
            chip_id: chip_id.clone(),
        })?;
        if !certificate_holds(&certificate, &key)? {
            return Err(EncodeError::Verify(format!(
                "the issuer's certificate for slot {} certifies another key",
                request.slot
            )));
        }
        admin.put_certificate(request.slot, &certificate)?;
        slots.push((key, certificate, request.slot));
    }
    admin.put_data(objects::CHUID, &chuid)?;
    admin.put_data(objects::CCC, &ccc)?;

    let mut session = admin.into_basic();
    let mut receipts = Vec::with_capacity(slots.len());
    for (key, certificate, slot) in slots {
        let back = session.get_data(slot.certificate_object())?;
        if back.as_deref() != Some(&objects::certificate_container(&certificate)[..]) {
            return Err(EncodeError::Verify(format!(
                "certificate container of slot {slot} reads back different"
            )));
        }
        let der = objects::parse_certificate_container(back.as_deref().unwrap_or_default())?;
        if !certificate_holds(&der, &key)? {
            return Err(EncodeError::Verify(format!(
                "certificate in slot {slot} does not hold the generated key"
            )));
        }
        receipts.push(SlotReceipt {
            slot,
            algorithm: key.algorithm,
            public_key_spki: key.spki,
            certificate: der,
        });
    }
    for (tag, name, written) in [
        (objects::CHUID, "CHUID", &chuid),
        (objects::CCC, "CCC", &ccc),
    ] {
        if session.get_data(tag)?.as_ref() != Some(written) {
            return Err(EncodeError::Verify(format!("{name} reads back different")));
        }
    }
    // A successful VERIFY also resets the PIN retry counter to its maximum (SP 800-73-4 Part 2
    // §3.2.1), and the successful PUK change did the same for the PUK: counters are full.
    session.verify_pin(plan.pin.expose()).map_err(|e| match e {
        PivError::WrongCredential { .. } | PivError::Blocked { .. } => {
            EncodeError::Verify("the new PIN does not verify".into())
        }
        other => other.into(),
    })?;

    let stats = session.stats();
    Ok(EncodingReceipt {
        chip_id,
        guid: hex::encode(plan.guid),
        slots: receipts,
        apdus: stats.apdus,
        bytes_out: stats.bytes_out,
        bytes_in: stats.bytes_in,
    })
}

fn inspect(
    card: &mut dyn CardTransport,
    transport_key: &ManagementKey,
    encoding: LengthEncoding,
) -> Result<ChipInspection, PivError> {
    let mut session = PivSession::open_with(card, encoding)?;
    let profile = session.detect_profile()?;
    let serial = if profile.has_serial() {
        Some(session.serial()?)
    } else {
        None
    };
    let guid = match session.get_data(objects::CHUID)? {
        Some(contents) => objects::parse_chuid(&contents)?.guid,
        None => None,
    };
    let mut certificates = Vec::new();
    for slot in INSPECTED_SLOTS {
        if let Some(der) = session.certificate(slot)? {
            certificates.push((slot, der));
        }
    }
    // Without side effects where the card can tell: GET METADATA says whether 9B still holds
    // the factory key. Otherwise try the transport key (a refused 9B auth costs no retry).
    let metadata_says = if profile.has_metadata() && *transport_key == ManagementKey::piv_default()
    {
        session.metadata(0x9B).ok().and_then(|m| m.is_default)
    } else {
        None
    };
    let still_blank = match metadata_says {
        Some(is_default) => is_default,
        None => {
            session.accepts_management_key(transport_key, profile.factory_management_algorithm())?
        }
    };
    Ok(ChipInspection {
        chip_id: serial.map(hex::encode).or_else(|| guid.map(hex::encode)),
        guid: guid.map(hex::encode),
        certificates,
        still_blank,
    })
}
