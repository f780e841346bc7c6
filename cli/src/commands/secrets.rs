//! `cardline cards secrets CARD --reveal`: print a card's initial PIN and PUK (audited), for
//! PIN delivery and helpdesk unblock; with `--order ID` the PIN letters of a whole order
//! ([`super::pin_letters`]).

use anyhow::Context as _;
use cardline_issuance::secrets::KeyFiles;
use serde::Serialize;

use crate::context::Context;

/// Arguments of `cardline cards secrets`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("which").required(true).multiple(false).args(["card", "order"]))]
pub struct SecretsArgs {
    /// The card number.
    pub card: Option<String>,
    /// Every produced card of this order (PIN letters for a mail merge).
    #[arg(long, value_name = "ID")]
    pub order: Option<cardline_issuance::model::OrderId>,
    /// Really print the PIN and PUK (an audit entry `secrets.reveal` is written first).
    #[arg(long)]
    pub reveal: bool,
    /// Why they are revealed (recorded in the audit log).
    #[arg(long)]
    pub reason: Option<String>,
    /// The escrow private key, for cards sealed to the office's escrow key (default:
    /// `keys/escrow.key` of this home, the administrator's).
    #[arg(long, value_name = "FILE")]
    pub escrow_key: Option<std::path::PathBuf>,
    /// With --order: the output format.
    #[command(flatten)]
    pub letters: super::pin_letters::LetterArgs,
}

#[derive(Serialize)]
struct Revealed<'a> {
    card: &'a str,
    pin: &'a str,
    puk: &'a str,
}

/// Runs `cardline cards secrets`.
pub fn run(ctx: &Context, args: SecretsArgs) -> anyhow::Result<()> {
    if let Some(order) = args.order {
        return super::pin_letters::run(
            ctx,
            order,
            args.reveal,
            args.reason,
            args.letters,
            args.escrow_key.as_deref(),
        );
    }
    args.letters.refuse_without_order()?;
    let number = args.card.expect("clap requires a card or --order");
    let store = ctx.store()?;
    let card = store.card(&number)?;
    let sealed = store.card_secrets(&card.number)?.with_context(|| {
        format!(
            "card `{}` has no sealed PIN/PUK (it was not encoded by cardline, state {})",
            card.number, card.state
        )
    })?;
    if !args.reveal {
        anyhow::bail!(
            "refusing to print the PIN and PUK of card `{}` without --reveal: revealing them is \
             recorded in the audit log under your name ({})",
            card.number,
            ctx.operator
        );
    }
    super::pin_letters::require_revealer(ctx, store.as_ref(), &format!("card {}", card.number))?;
    let (pin, puk) = cardline_issuance::escrow::open_card(
        &KeyFiles::in_home(ctx.home_dir()),
        args.escrow_key.as_deref(),
        &card.number,
        &sealed,
    )?;
    // Audit first: nothing is printed unless the reveal is on record.
    store.audit_note(
        "secrets.reveal",
        Some(&card.number),
        None,
        args.reason.as_deref(),
        &ctx.actor(),
    )?;
    let pin = std::str::from_utf8(pin.expose()).context("sealed PIN is not ASCII digits")?;
    let puk = std::str::from_utf8(puk.expose()).context("sealed PUK is not ASCII digits")?;
    let revealed = Revealed {
        card: &card.number,
        pin,
        puk,
    };
    ctx.emit(&revealed, || {
        format!("card {}\nPIN  {pin}\nPUK  {puk}", card.number)
    })
}
