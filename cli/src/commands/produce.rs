//! `cardline order produce ID` (the operator's "Next"): recovers what a crash left in flight,
//! then produces the order on every station of the stations file, with live progress.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::Context as _;
use cardline_device::{CertificateIssuer, CertificateRequest, IssuerError, Pin, Puk};
use cardline_issuance::ca::{CertProfileSpec, LocalCa, ProfileIssuer};
use cardline_issuance::face::{CardFields, PreparedFace};
use cardline_issuance::model::{Card, OrderId};
use cardline_issuance::production::{
    EncodingSettings, FaceError, FaceRenderer, Production, ProductionEvent, ProductionSettings,
    ProductionSummary, RunGuard, SealError, SecretSealer, Station, produce_order, recover,
};
use cardline_issuance::secrets::{KeyFiles, StationKey, seal_card_secrets};
use cardline_issuance::store::{ProductionJournal, SealedSecrets, Store, StoreError};
use time::OffsetDateTime;

use crate::context::Context;
use progress::Progress;

mod progress;

/// `order produce` arguments.
#[derive(Debug, clap::Args)]
pub struct ProduceArgs {
    /// The order to produce.
    pub id: OrderId,
    /// Produce only on these stations (repeatable; default: every station of the file). Lets
    /// several processes share one order, each driving its own stations.
    #[arg(long = "station", value_name = "NAME")]
    pub stations: Vec<String>,
}

/// Runs `order produce`.
pub fn run(ctx: &Context, args: ProduceArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    // The order first: `order produce 99` says there is no order 99, whatever the stations.
    store.order(args.id)?;
    let mut line = crate::stations_registry::open_home_stations(ctx, &args.stations)?;
    let kit = ProductionKit::load(ctx)?;
    let summary = run_production(
        ctx,
        &store,
        &kit,
        args.id,
        &mut line.stations,
        ctx.json,
        !args.stations.is_empty(),
    )?;
    if !ctx.json {
        ctx.print_text(&summary_text(&summary))?;
    }
    if summary.remaining > 0 && !summary.cancelled {
        anyhow::bail!(
            "{} card(s) of order {} are still in production: a station stopped (see above)",
            summary.remaining,
            args.id
        );
    }
    Ok(())
}

/// This process as a production run: claims the stations (those another live run holds are
/// left out and named; when the operator named them, refused), recovers what a gone run left
/// in flight on them, then produces with progress output (JSON lines or a progress bar).
pub(crate) fn run_production(
    ctx: &Context,
    store: &std::sync::Arc<dyn Store>,
    kit: &ProductionKit,
    order_id: OrderId,
    stations: &mut Vec<Station>,
    json_lines: bool,
    named: bool,
) -> anyhow::Result<ProductionSummary> {
    let journal: std::sync::Arc<dyn ProductionJournal> = store.clone();
    let run = RunGuard::start(journal, "produce", &ctx.actor())?;
    let mut claimed = Vec::with_capacity(stations.len());
    for station in stations.drain(..) {
        match run.claim(&station.name, &ctx.actor()) {
            Ok(()) => claimed.push(station),
            Err(e @ StoreError::StationInUse { .. }) if named => return Err(e.into()),
            Err(e @ StoreError::StationInUse { .. }) => {
                eprintln!("note: {e}; producing without it");
            }
            Err(e) => return Err(e.into()),
        }
    }
    *stations = claimed;
    if stations.is_empty() {
        anyhow::bail!(
            "every station of the stations file is in use by another production run (see the notes above)"
        );
    }
    let report = recover(store.as_journal(), stations, &ctx.actor())?;
    for outcome in &report.outcomes {
        if json_lines {
            writeln!(
                std::io::stdout(),
                "{}",
                serde_json::json!({"event": "recovered", "recovery": outcome})
            )?;
        } else {
            eprintln!("recovery: {}", serde_json::to_string(outcome)?);
        }
    }
    let total = store.waiting_cards(order_id)?;
    let names: Vec<String> = stations.iter().map(|s| s.name.clone()).collect();
    let progress = Mutex::new(Progress::new(total, &names, json_lines));
    let sink = |e: &ProductionEvent| progress.lock().expect("progress lock").show(e);
    let cancel = cancel_flag();
    cancel.store(false, Ordering::SeqCst);
    let issuer = kit.issuer();
    let p = Production {
        journal: store.as_journal(),
        run: run.id(),
        settings: &kit.settings,
        issuer: &issuer,
        sealer: &kit.sealer,
        face: &kit.face,
        cancel,
        events: &sink,
        reopen: None,
    };
    let summary = produce_order(&p, order_id, stations)?;
    progress.into_inner().expect("progress lock").finish();
    run.end()?;
    Ok(summary)
}

/// The process-wide cancellation flag, set by Ctrl-C (the handler is installed once).
fn cancel_flag() -> &'static AtomicBool {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        let _ = ctrlc::set_handler(move || {
            if f.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\ncancelling: finishing the cards in hand (Ctrl-C again to quit now)");
        });
        flag
    })
}

/// The human summary of a run.
pub(crate) fn summary_text(s: &ProductionSummary) -> String {
    let secs = s.elapsed_ms as f64 / 1000.0;
    let mut out = format!(
        "order {}: {} produced, {} failed, {} still in production{} ({secs:.1} s)\n",
        s.order_id,
        s.produced,
        s.failed,
        s.remaining,
        if s.cancelled { ", cancelled" } else { "" }
    );
    for st in &s.stations {
        let rate = st.cards_per_hour(std::time::Duration::from_millis(s.elapsed_ms));
        out.push_str(&format!(
            "  {:<12} {:>4} produced {:>3} failed  {:>7.0} cards/h  paused {:.1} s{}\n",
            st.name,
            st.produced,
            st.failed,
            rate,
            st.paused_ms as f64 / 1000.0,
            st.stopped
                .as_ref()
                .map(|r| format!("  stopped: {r}"))
                .unwrap_or_default()
        ));
    }
    out
}

/// What production needs from the home: settings from the options, the CA, the station key,
/// the prepared card face.
pub(crate) struct ProductionKit {
    /// The orchestrator's settings.
    pub settings: ProductionSettings,
    ca: Option<LocalCa>,
    profiles: Vec<CertProfileSpec>,
    not_after: OffsetDateTime,
    sealer: StationSealer,
    face: FaceAdapter,
}

impl ProductionKit {
    /// Loads options, keys, CA and face template of the home.
    pub fn load(ctx: &Context) -> anyhow::Result<ProductionKit> {
        let options = ctx.options()?;
        let keys = KeyFiles::in_home(ctx.home_dir());
        let station_key = keys
            .station_key()
            .context("production needs the station key that seals PIN and PUK")?;
        let now = OffsetDateTime::now_utc();
        let not_after = now + time::Duration::days(i64::from(options.validity_days));
        let (encoding, ca, profiles) = if options.encode {
            let master = keys.master_key()?;
            let ca = LocalCa::load(&ctx.home.ca_dir(), &station_key, ctx.store()?)
                .context("encoded cards need the issuing CA (`cardline ca init`)")?;
            let expiry = format!(
                "{:04}{:02}{:02}",
                not_after.year(),
                u8::from(not_after.month()),
                not_after.day()
            );
            let profile = options.card_profile;
            let encoding = EncodingSettings {
                pin_length: options.pin_length.into(),
                puk_length: options.puk_length.into(),
                transport_pin: profile.transport_pin(),
                transport_puk: profile.transport_puk(),
                transport_management_key: profile.transport_management_key(),
                management_key_master: master,
                keys: options.key_requests(),
                expiry,
            };
            (Some(encoding), Some(ca), options.certificate_specs())
        } else {
            (None, None, Vec::new())
        };
        let template =
            cardline_issuance::face::load_template(ctx.home_dir(), &options.face_template)?;
        let face = PreparedFace::new(&template)?;
        let issued = format!("{}", now.date());
        // The chip's certificates and CHUID end at `not_after`: a card in stock (not yet
        // assigned) prints that date as its last valid day.
        let card_expiry = format!("{}", not_after.date());
        let mut settings = ProductionSettings::new(ctx.actor(), encoding);
        if let Ok(v) = std::env::var("CARDLINE_RETRY_DELAY_MS") {
            settings.retry_delay = std::time::Duration::from_millis(v.parse().unwrap_or(1000));
        }
        if let Ok(v) = std::env::var("CARDLINE_OPERATOR_POLL_MS") {
            settings.operator_poll = std::time::Duration::from_millis(v.parse().unwrap_or(1000));
        }
        Ok(ProductionKit {
            settings,
            ca,
            profiles,
            not_after,
            sealer: StationSealer(station_key),
            face: FaceAdapter {
                face,
                issued,
                card_expiry,
            },
        })
    }

    /// The certificate issuer the encoder calls.
    pub fn issuer(&self) -> KitIssuer<'_> {
        KitIssuer(
            self.ca
                .as_ref()
                .map(|ca| ProfileIssuer::new(ca, &self.profiles, self.not_after)),
        )
    }
}

/// The CA when encoding is on; refuses when it is off (never called then).
pub(crate) struct KitIssuer<'a>(Option<ProfileIssuer<'a>>);

impl CertificateIssuer for KitIssuer<'_> {
    fn issue(&self, request: &CertificateRequest) -> Result<Vec<u8>, IssuerError> {
        match &self.0 {
            Some(i) => i.issue(request),
            None => Err(IssuerError::Authority(
                "encoding is off in the options".into(),
            )),
        }
    }
}

struct StationSealer(StationKey);

impl SecretSealer for StationSealer {
    fn seal(&self, card: &str, pin: &Pin, puk: &Puk) -> Result<SealedSecrets, SealError> {
        seal_card_secrets(&self.0, card, pin, puk).map_err(|e| SealError {
            card: card.to_string(),
            detail: e.to_string(),
        })
    }
}

struct FaceAdapter {
    face: PreparedFace,
    issued: String,
    card_expiry: String,
}

impl FaceRenderer for FaceAdapter {
    fn render(&self, card: &Card) -> Result<cardline_device::CardImage, FaceError> {
        let mut fields = CardFields::from_card(card, self.issued.clone());
        if fields.valid_until.is_empty() {
            fields.valid_until = self.card_expiry.clone();
        }
        self.face.render(&fields).map_err(|e| FaceError {
            card: card.number.clone(),
            detail: e.to_string(),
        })
    }
}

/// Flushes stdout (JSON lines must reach a reading parent process at once).
pub(crate) fn flush() {
    let _ = std::io::stdout().flush();
}

/// True when stderr is a terminal (progress bars only then).
pub(crate) fn interactive() -> bool {
    std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cardline_issuance::model::CardState;
    use std::path::Path;

    fn stock_card() -> Card {
        Card {
            id: 1,
            number: "TMP000000018".into(),
            state: CardState::InProduction,
            order_id: Some(1),
            assigned_to: None,
            valid_until: None,
            failure_reason: None,
            chip_id: None,
            created_at: "2026-11-24T00:00:00Z".into(),
            updated_at: "2026-11-24T00:00:00Z".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_card_in_stock_prints_the_chip_expiry_as_its_last_valid_day() {
        let template = cardline_issuance::face::load_template(Path::new("."), "temporary")
            .expect("built-in template");
        let adapter = FaceAdapter {
            face: PreparedFace::new(&template).unwrap(),
            issued: "2026-11-24".into(),
            card_expiry: "2026-12-08".into(),
        };
        let card = stock_card();
        let printed = adapter.render(&card).unwrap();
        let mut fields = CardFields::from_card(&card, "2026-11-24");
        assert!(fields.valid_until.is_empty());
        let blank_validity = adapter.face.render(&fields).unwrap();
        fields.valid_until = "2026-12-08".into();
        let with_expiry = adapter.face.render(&fields).unwrap();
        assert_eq!(printed, with_expiry);
        assert_ne!(printed, blank_validity);
    }
}
