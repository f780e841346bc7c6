//! `cardline encode --reader PATTERN --card NUMBER`: an encode-only station. The operator puts
//! the card in a PC/SC reader on the desk; the orchestrator personalises it for an existing
//! card record exactly as a printing station would — the same attempt journal, fresh PIN and
//! PUK, per-card management key, keys and certificates from the options' profiles, CHUID and
//! CCC, read-back, sealed secrets, and the same failure policy — only nothing is printed.
//!
//! The card record must be `in_production` in an open order and not in another station's
//! hands (e.g. `cardline order create NUMBER`). The attempt runs on station
//! `encode:<reader>`: on success the card is `unassigned`; a chip fault makes it `failed`
//! (repeat it with `cardline order repeat`); a station fault (no card in the reader, a refused
//! transport PIN, the CA) leaves it waiting and says what to check.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::bail;
use cardline_app::open_encode_station;
use cardline_issuance::ca::sha256_hex;
use cardline_issuance::model::CardState;
use cardline_issuance::production::{CardResult, Production, RunGuard, produce_card};
use cardline_issuance::store::{ProductionJournal, Store};
use serde::Serialize;

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
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
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
    match (card.state, card.order_id) {
        (CardState::InProduction, Some(order)) => Ok(order),
        (state, _) => bail!(
            "card `{number}` is {state}: an encode-only station encodes cards that are \
             in_production in an open order (e.g. `cardline order create {number}`; a \
             produced card goes back with `cardline order repeat ORDER --misprinted {number}`)"
        ),
    }
}

/// Runs `cardline encode`.
pub fn run(ctx: &Context, args: EncodeArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let card = store.card(&args.card)?;
    let order_id = encodable_order(store.as_ref(), &card.number)?;
    // The card's order decides the option profile it is encoded with.
    let profile = store.order_header(order_id)?.profile;
    let options = ctx.options_for(profile.as_deref())?;
    if !options.encode {
        bail!(
            "encoding is off in option profile `{}` of order {order_id} (set `encode = true` \
             with `cardline options set encode true{}`)",
            profile.as_deref().unwrap_or("default"),
            profile
                .as_deref()
                .map(|p| format!(" --profile {p}"))
                .unwrap_or_default()
        );
    }
    let mut kit = super::produce::load_kit(ctx, &store, profile.as_deref())?;
    kit.settings.card_timeout = Duration::from_secs(args.wait);
    let mut station = open_encode_station(&args.reader, "piv").map_err(anyhow::Error::msg)?;
    let journal: Arc<dyn ProductionJournal> = store.clone();
    let run = RunGuard::start(journal, "encode", &ctx.actor())?;
    run.claim(&station.name, &ctx.actor())?;
    let issuer = kit.issuer();
    let cancel = AtomicBool::new(false);
    let p = Production {
        journal: store.as_journal(),
        run: run.id(),
        settings: &kit.settings,
        issuer: &issuer,
        sealer: &kit.sealer,
        face: &kit.face,
        cancel: &cancel,
        events: &|_| {},
        reopen: None,
    };
    let reader = station.reader.name();
    let result = produce_card(&p, order_id, &card.number, &mut station)?;
    run.end()?;
    match result {
        CardResult::Produced {
            card,
            receipt,
            millis,
        } => {
            let receipt = receipt.expect("an encode-only station encodes");
            let shown = Encoded {
                card: card.number.clone(),
                state: card.state,
                reader,
                chip_id: receipt.chip_id.clone(),
                guid: receipt.guid.clone(),
                certificates_valid_until: kit.not_after().date().to_string(),
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
            ctx.emit(&shown, || text(&shown))
        }
        CardResult::Failed { card, reason } => bail!(
            "encoding card `{}` in `{reader}` failed; the card record is now {}: {reason} \
             (set the card aside; produce the record again with `cardline order repeat {order_id}`)",
            card.number,
            card.state
        ),
        CardResult::NotDone { reason } => bail!(
            "card `{}` was not encoded in `{reader}`; the card record is now in_production and \
             waits: {reason}",
            card.number
        ),
    }
}

fn text(shown: &Encoded) -> String {
    let mut out = format!(
        "encoded card {} in `{}`: chip {}, GUID {}, {} APDUs in {} ms; card is now {}\n",
        shown.card, shown.reader, shown.chip_id, shown.guid, shown.apdus, shown.millis, shown.state
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
}
