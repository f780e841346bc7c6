//! `cardline encode --reader PATTERN --card NUMBER`: an encode-only station. Personalises the
//! PIV card in a PC/SC reader for an existing card record: fresh PIN and PUK, per-card
//! management key, keys and certificates from the options' profiles (issued by the local CA),
//! CHUID and CCC; then seals the PIN/PUK and records the result.
//!
//! Rule: the card record must be `in_production` in an open order and be the next card of
//! that order waiting for production (the card a printing station would take next). The usual
//! way is an order of just that card: `cardline order create NUMBER`. The encode is
//! journaled as a production attempt on station `encode:<reader>`: on success the card becomes
//! `unassigned` with its chip id, certificate fingerprints and sealed secrets; a chip fault
//! makes it `failed` (repeat it with `cardline order repeat`); any other error (reader, CA)
//! voids the attempt and leaves the card waiting.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use cardline_device::{CardEncoder, CardTransport, EncodingPlan};
use cardline_issuance::ca::{LocalCa, ProfileIssuer, sha256_hex};
use cardline_issuance::model::{CardState, ProductionStep};
use cardline_issuance::secrets::{
    KeyFiles, generate_guid, generate_pin, generate_puk, seal_card_secrets,
};
use cardline_issuance::store::{AttemptSuccess, Store};
use cardline_pcsc::PcscReaders;
use cardline_piv::PivEncoder;
use serde::Serialize;
use time::OffsetDateTime;

use crate::context::Context;

/// Arguments of `cardline encode`.
#[derive(Debug, clap::Args)]
pub struct EncodeArgs {
    /// The PC/SC reader: the first whose name contains this text (case-insensitive).
    #[arg(long)]
    pub reader: String,
    /// The card record to personalise the card for.
    #[arg(long)]
    pub card: String,
    /// Seconds to wait for a card in the reader.
    #[arg(long, default_value_t = 10)]
    pub wait: u64,
}

#[derive(Serialize)]
struct SlotShown {
    slot: String,
    algorithm: String,
    certificate_sha256: String,
}

#[derive(Serialize)]
struct Encoded {
    card: String,
    state: CardState,
    reader: String,
    chip_id: String,
    guid: String,
    certificates_valid_until: String,
    slots: Vec<SlotShown>,
    apdus: u32,
    millis: u64,
}

/// Checks the card can be encoded here and returns its order.
fn encodable_order(store: &dyn Store, number: &str) -> anyhow::Result<i64> {
    let card = store.card(number)?;
    let order_id = match (card.state, card.order_id) {
        (CardState::InProduction, Some(order)) => order,
        (state, _) => bail!(
            "card `{number}` is {state}: an encode-only station encodes cards that are \
             in_production in an open order (e.g. `cardline order create {number}`; a \
             produced card goes back with `cardline order repeat ORDER --misprinted {number}`)"
        ),
    };
    let in_flight: Vec<i64> = store
        .in_flight_attempts()?
        .into_iter()
        .map(|a| a.card_id)
        .collect();
    let next = store
        .order(order_id)?
        .cards
        .into_iter()
        .find(|c| c.state == CardState::InProduction && !in_flight.contains(&c.id));
    match next {
        Some(c) if c.number == number => Ok(order_id),
        Some(c) => bail!(
            "card `{number}` is not next in order {order_id}: the next card waiting is `{}` \
             (encode that one, or order `{number}` on its own)",
            c.number
        ),
        None => bail!("card `{number}` is already being produced by another station"),
    }
}

/// Runs `cardline encode`.
pub fn run(ctx: &Context, args: EncodeArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let options = ctx.options()?;
    if !options.encode {
        bail!("encoding is off in the options (set `encode = true` in the options profile)");
    }
    let keys = KeyFiles::in_home(ctx.home_dir());
    let station_key = keys
        .station_key()
        .context("encoding seals the PIN and PUK under the station key")?;
    let master = keys.master_key()?;
    let ca = LocalCa::load(&ctx.home.ca_dir(), &station_key, store.clone())
        .context("encoded cards need the issuing CA (`cardline ca init`)")?;
    let order_id = encodable_order(store.as_ref(), &args.card)?;

    // Everything that needs an operator is checked before the card record is touched.
    let reader = PcscReaders::establish()?.find(&args.reader)?;
    let mut session = reader.open(Duration::from_secs(args.wait))?;
    let reader_name = session.reader_name();

    let station = format!("encode:{reader_name}");
    let journal: std::sync::Arc<dyn cardline_issuance::store::ProductionJournal> = store.clone();
    let run = cardline_issuance::production::RunGuard::start(journal, "encode", &ctx.actor())?;
    run.claim(&station, &ctx.actor())?;
    let (card, attempt) = store
        .begin_attempt_for(run.id(), order_id, &args.card, &station, &ctx.actor())?
        .context("the card is not waiting any more: another station took it")?;

    let now = OffsetDateTime::now_utc();
    let not_after = now + time::Duration::days(i64::from(options.validity_days));
    let profile = options.card_profile;
    let pin = generate_pin(options.pin_length.into())?;
    let puk = generate_puk(options.puk_length.into())?;
    let sealed = seal_card_secrets(&station_key, &card.number, &pin, &puk)?;
    let plan = EncodingPlan {
        card_number: card.number.clone(),
        transport_pin: profile.transport_pin(),
        transport_puk: profile.transport_puk(),
        transport_management_key: profile.transport_management_key(),
        pin,
        puk,
        management_key_master: master,
        keys: options.key_requests(),
        guid: generate_guid()?,
        expiry: format!(
            "{:04}{:02}{:02}",
            not_after.year(),
            u8::from(not_after.month()),
            not_after.day()
        ),
    };
    let profiles = options.certificate_specs();
    let issuer = ProfileIssuer::new(&ca, &profiles, not_after);

    store.step_started(attempt, ProductionStep::Encode)?;
    let started = Instant::now();
    let result = PivEncoder::new().encode(&mut session, &plan, &issuer);
    let millis = started.elapsed().as_millis() as u64;
    drop(session);
    let receipt = match result {
        Ok(r) => r,
        Err(e) => {
            let reason = format!("encode: {e}");
            store.step_finished(attempt, ProductionStep::Encode, Some(&reason))?;
            let card = if e.is_card_fault() {
                store.attempt_failed(attempt, &reason, &ctx.actor())?
            } else {
                store.attempt_voided(attempt, &reason, &ctx.actor())?
            };
            return Err(anyhow::Error::new(e).context(format!(
                "encoding card `{}` in `{reader_name}` failed; the card record is now {}",
                card.number, card.state
            )));
        }
    };
    store.set_attempt_chip(attempt, &receipt.chip_id)?;
    store.step_finished(attempt, ProductionStep::Encode, None)?;
    let success = AttemptSuccess {
        chip_id: Some(receipt.chip_id.clone()),
        certificate_fingerprints: receipt
            .slots
            .iter()
            .map(|s| sha256_hex(&s.certificate))
            .collect(),
        secrets: Some(sealed),
    };
    let card = store.attempt_succeeded(attempt, &success, &ctx.actor())?;
    let shown = Encoded {
        card: card.number.clone(),
        state: card.state,
        reader: reader_name,
        chip_id: receipt.chip_id.clone(),
        guid: receipt.guid.clone(),
        certificates_valid_until: format!("{}", not_after.date()),
        slots: receipt
            .slots
            .iter()
            .map(|s| SlotShown {
                slot: s.slot.to_string(),
                algorithm: s.algorithm.name().to_string(),
                certificate_sha256: sha256_hex(&s.certificate),
            })
            .collect(),
        apdus: receipt.apdus,
        millis,
    };
    ctx.emit(&shown, || {
        let mut out = format!(
            "encoded card {} in `{}`: chip {}, GUID {}, {} APDUs in {} ms; card is now {}\n",
            shown.card,
            shown.reader,
            shown.chip_id,
            shown.guid,
            shown.apdus,
            shown.millis,
            shown.state
        );
        for s in &shown.slots {
            out.push_str(&format!(
                "  slot {} {}: certificate SHA-256 {} (valid until {})\n",
                s.slot, s.algorithm, s.certificate_sha256, shown.certificates_valid_until
            ));
        }
        out.push_str(&format!(
            "initial PIN/PUK sealed; reveal with `cardline cards secrets {} --reveal`",
            shown.card
        ));
        out
    })
}
