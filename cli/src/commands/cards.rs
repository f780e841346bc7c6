//! `cardline cards ...`: search (list), show, assign, withdraw, lock, secrets, expire.

use anyhow::Context as _;
use cardline_issuance::ca::revocation::CertificateStatus;
use cardline_issuance::model::{Attempt, AuditEntry, Card, CardEvent};
use cardline_issuance::store::sqlite::timestamp;
use cardline_issuance::store::{AuditFilter, EventDetail, Store, StoreError};
use serde::Serialize;

use crate::context::Context;
use crate::output::{Table, cards_table, or_dash, plural};

/// Subcommands of `cardline cards`.
#[derive(Debug, clap::Subcommand)]
pub enum CardsCommand {
    /// Search cards: filters, sort, pages with the total; text, --json or --csv.
    #[command(visible_alias = "list")]
    Search(super::search::SearchArgs),
    /// One card with its full history and its production attempts.
    Show {
        /// The card number.
        card: String,
    },
    /// Give an `unassigned` card to a person (valid for the options' validity_days).
    Assign {
        /// The card number.
        card: String,
        /// The person.
        #[arg(long)]
        to: String,
        /// Why (recorded in the audit log).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Take an assigned card back (it returns to `unassigned`).
    Withdraw {
        /// The card number.
        card: String,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Lock a produced card for good (lost, stolen, destroyed).
    Lock {
        /// The card number.
        card: String,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Print the card's initial PIN and PUK (needs --reveal; audited as `secrets.reveal`).
    Secrets(super::secrets::SecretsArgs),
    /// Move every assigned card whose validity ended to `expired`.
    Expire {
        /// Treat this RFC 3339 time as now (default: the current time).
        #[arg(long)]
        now: Option<String>,
        /// Print the cards that would expire; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Runs a `cardline cards` subcommand.
pub fn run(ctx: &Context, cmd: CardsCommand) -> anyhow::Result<()> {
    let cmd = match cmd {
        CardsCommand::Secrets(args) => return super::secrets::run(ctx, args),
        CardsCommand::Search(args) => return super::search::run(ctx, args),
        other => other,
    };
    let store = ctx.store()?;
    match cmd {
        CardsCommand::Show { card } => show(ctx, store.as_ref(), &card),
        CardsCommand::Assign { card, to, reason } => {
            let options = ctx.options()?;
            let detail = EventDetail {
                reason,
                assigned_to: Some(to),
                valid_until: Some(timestamp::days_from_now(options.validity_days)),
            };
            change(ctx, store.as_ref(), &card, CardEvent::Assign, detail)
        }
        CardsCommand::Withdraw { card, reason } => {
            let detail = EventDetail {
                reason,
                ..EventDetail::default()
            };
            change(ctx, store.as_ref(), &card, CardEvent::Withdraw, detail)
        }
        CardsCommand::Lock { card, reason } => {
            let detail = EventDetail {
                reason,
                ..EventDetail::default()
            };
            change(ctx, store.as_ref(), &card, CardEvent::Lock, detail)
        }
        CardsCommand::Secrets(_) | CardsCommand::Search(_) => unreachable!("handled above"),
        CardsCommand::Expire { now, dry_run } => {
            let now = now.unwrap_or_else(timestamp::now);
            if dry_run {
                return super::dry_run::expire(ctx, store.as_ref(), &now);
            }
            let expired = store.expire_due(&now, &ctx.actor())?;
            ctx.emit(&expired, || {
                if expired.is_empty() {
                    "no assigned card is past its validity".into()
                } else {
                    format!(
                        "expired {}:\n{}",
                        plural(expired.len(), "card"),
                        cards_table(&expired)
                    )
                }
            })
        }
    }
}

fn change(
    ctx: &Context,
    store: &dyn Store,
    number: &str,
    event: CardEvent,
    detail: EventDetail,
) -> anyhow::Result<()> {
    let card = store
        .apply_event(number, event, &detail, &ctx.actor())
        .map_err(|e| explain(ctx, e))?;
    ctx.emit(&card, || match event {
        CardEvent::Assign => format!(
            "{} assigned to {} until {}",
            card.number,
            or_dash(card.assigned_to.as_deref()),
            or_dash(card.valid_until.as_deref())
        ),
        CardEvent::Withdraw => format!("{} withdrawn; it is unassigned again", card.number),
        CardEvent::Lock => format!("{} locked for good", card.number),
        _ => format!("{} is {}", card.number, card.state),
    })
}

/// Adds a typo hint when a card number is unknown but has a wrong check digit.
pub fn explain(ctx: &Context, err: StoreError) -> anyhow::Error {
    if let StoreError::CardNotFound(number) = &err
        && let Ok(options) = ctx.options()
        && let Err(why) = options.numbering.validate(number)
    {
        return anyhow::Error::new(err).context(why.to_string());
    }
    err.into()
}

#[derive(Serialize)]
struct CardReport {
    card: Card,
    history: Vec<AuditEntry>,
    attempts: Vec<Attempt>,
    certificates: Vec<CertificateStatus>,
}

fn show(ctx: &Context, store: &dyn Store, number: &str) -> anyhow::Result<()> {
    let card = store.card(number).map_err(|e| explain(ctx, e))?;
    let history = store.audit(&AuditFilter {
        card_number: Some(card.number.clone()),
        ..AuditFilter::default()
    })?;
    let attempts = store
        .attempts_of_card(&card.number)
        .context("reading the card's production attempts")?;
    let certificates = store
        .certificates_of_card(&card.number)
        .context("reading the card's certificates")?
        .into_iter()
        .map(|r| CertificateStatus {
            status: if r.revoked_at.is_some() {
                "revoked"
            } else {
                "valid"
            }
            .into(),
            serial: r.serial,
            fingerprint: r.fingerprint,
            chip_id: r.chip_id,
            issued_at: r.issued_at,
            not_after: r.not_after,
            revoked_at: r.revoked_at,
            revocation_reason: r.revocation_reason,
        })
        .collect();
    let report = CardReport {
        card,
        history,
        attempts,
        certificates,
    };
    ctx.emit(&report, || render_card(&report))
}

fn render_card(r: &CardReport) -> String {
    let c = &r.card;
    let mut out = String::new();
    let mut fields = Table::new(["CARD", c.number.as_str()]);
    fields.row(["state", c.state.as_str()]);
    fields.row([
        "order",
        &c.shown_order()
            .map_or_else(|| "-".into(), |o| o.to_string()),
    ]);
    fields.row(["assigned to", &or_dash(c.assigned_to.as_deref())]);
    fields.row(["valid until", &or_dash(c.valid_until.as_deref())]);
    fields.row(["chip", &or_dash(c.chip_id.as_deref())]);
    if let Some(f) = &c.failure_reason {
        fields.row(["failure", f.as_str()]);
    }
    fields.row(["created", c.created_at.as_str()]);
    fields.row(["updated", c.updated_at.as_str()]);
    out.push_str(&fields.render());
    out.push_str("\nHistory\n");
    let mut h = Table::new(["AT", "OPERATOR", "ACTION", "FROM", "TO", "ORDER", "REASON"]);
    for e in &r.history {
        h.row([
            e.at.clone(),
            e.operator.clone(),
            e.action.clone(),
            or_dash(e.from_state.as_deref()),
            or_dash(e.to_state.as_deref()),
            e.order_id.map_or_else(|| "-".into(), |o| o.to_string()),
            or_dash(e.reason.as_deref()),
        ]);
    }
    out.push_str(&h.render());
    out.push_str("\nProduction attempts\n");
    if r.attempts.is_empty() {
        out.push_str("none\n");
    } else {
        let mut a = Table::new([
            "ATTEMPT", "ORDER", "STATION", "STATUS", "CHIP", "STARTED", "STEPS", "REASON",
        ]);
        for at in &r.attempts {
            let steps: Vec<String> = at
                .steps
                .iter()
                .map(|s| {
                    let outcome = match s.outcome.as_deref() {
                        None => "…",
                        Some("ok") => "ok",
                        Some(_) => "failed",
                    };
                    format!("{}:{outcome}", s.step.as_str())
                })
                .collect();
            a.row([
                at.id.to_string(),
                at.order_id.to_string(),
                at.station.clone(),
                crate::output::attempt_status(at.status).to_string(),
                or_dash(at.chip_id.as_deref()),
                at.started_at.clone(),
                steps.join(" "),
                or_dash(at.reason.as_deref()),
            ]);
        }
        out.push_str(&a.render());
        for at in r.attempts.iter().filter(|a| a.key_ids.is_some()) {
            out.push_str(&format!(
                "attempt {} keys: {}\n",
                at.id,
                at.key_ids.as_deref().unwrap_or_default()
            ));
        }
    }
    out.push_str("\nCertificates\n");
    if r.certificates.is_empty() {
        out.push_str("none\n");
    } else {
        let mut t = Table::new(["SERIAL", "CHIP", "ISSUED", "NOT AFTER", "STATUS"]);
        for c in &r.certificates {
            let status = match (&c.revoked_at, &c.revocation_reason) {
                (Some(at), reason) => {
                    format!(
                        "revoked {at} ({})",
                        reason.as_deref().unwrap_or("unspecified")
                    )
                }
                (None, _) => "valid".into(),
            };
            t.row([
                c.serial.clone(),
                or_dash(c.chip_id.as_deref()),
                c.issued_at.clone(),
                c.not_after.clone(),
                status,
            ]);
        }
        out.push_str(&t.render());
    }
    out
}
