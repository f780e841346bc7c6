//! `cardline cards secrets --order ID --reveal --format csv|json`: the PIN letters of an
//! order — card number, requester, desk, initial PIN and (unless the order's profile says
//! `pin_letters.include_puk = false`, or `--no-puk`) PUK of every card produced in it — for a
//! mail merge.
//!
//! Nothing is printed before every card's `secrets.reveal` audit entry (with the order) is
//! committed, and nothing is revealed unless the operator confirms on a terminal or passes
//! `--yes`. With `--encrypt-to age1…` the export is age-encrypted (X25519, ASCII armor) before
//! it leaves the process, so the clear text never exists on disk. Files are created mode 0600
//! and never overwrite an existing file. The clear text lives only in zeroized buffers.

use std::fs::File;
use std::io::{BufRead, IsTerminal, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::Context as _;
use cardline_issuance::model::{Card, CardState, OrderId};
use cardline_issuance::secrets::KeyFiles;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::context::Context;
use crate::output::plural;

/// The output of PIN letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LetterFormat {
    /// A header row (`card,requester,desk,pin,puk`), one row per card.
    Csv,
    /// `{order, profile, cards: [{card, requester, desk, pin, puk}]}`.
    Json,
}

/// Options of `cards secrets --order` (PIN letters).
#[derive(Clone, Debug, Default, clap::Args)]
#[command(next_help_heading = "PIN letters (with --order)")]
pub struct LetterArgs {
    /// The export format (default csv; json with --json).
    #[arg(long, value_enum)]
    pub format: Option<LetterFormat>,
    /// Write to this new file (mode 0600) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Do not ask for confirmation (scripts).
    #[arg(long)]
    pub yes: bool,
    /// Encrypt the export to this age recipient (`age1…`, X25519), ASCII armored.
    #[arg(long, value_name = "AGE_RECIPIENT")]
    pub encrypt_to: Option<String>,
    /// Leave the PUK out.
    #[arg(long)]
    pub no_puk: bool,
}

impl LetterArgs {
    /// Refuses PIN-letter options given for a single card.
    pub fn refuse_without_order(&self) -> anyhow::Result<()> {
        if self.format.is_some()
            || self.out.is_some()
            || self.yes
            || self.encrypt_to.is_some()
            || self.no_puk
        {
            anyhow::bail!(
                "--format, --out, --yes, --encrypt-to and --no-puk export PIN letters: they go \
                 with --order ID, not with one card"
            );
        }
        Ok(())
    }
}

/// One card's letter.
struct Letter {
    card: String,
    requester: Option<String>,
    desk: Option<String>,
    pin: Zeroizing<String>,
    puk: Option<Zeroizing<String>>,
}

#[derive(Serialize)]
struct LetterJson<'a> {
    card: &'a str,
    requester: Option<&'a str>,
    desk: Option<&'a str>,
    pin: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    puk: Option<&'a str>,
}

#[derive(Serialize)]
struct LettersJson<'a> {
    order: OrderId,
    profile: &'a str,
    cards: Vec<LetterJson<'a>>,
}

#[derive(Serialize)]
struct ExportReport {
    order: OrderId,
    cards: usize,
    puk: bool,
    file: String,
    encrypted_to: Option<String>,
}

/// The cards an order produced that are still in use (in stock or assigned).
fn produced_cards(cards: Vec<Card>, order: OrderId) -> Vec<Card> {
    cards
        .into_iter()
        .filter(|c| c.produced_in_order == Some(order))
        .filter(|c| matches!(c.state, CardState::Unassigned | CardState::Assigned))
        .collect()
}

/// Exports the PIN letters of `order`.
pub fn run(
    ctx: &Context,
    order_id: OrderId,
    reveal: bool,
    reason: Option<String>,
    args: LetterArgs,
    escrow_key: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let order = store.order(order_id)?;
    if !reveal {
        anyhow::bail!(
            "refusing to export the PINs of order {order_id} without --reveal: each card's \
             reveal is recorded in the audit log under your name ({})",
            ctx.operator
        );
    }
    require_revealer(ctx, store.as_ref(), &format!("order {order_id}"))?;
    let recipient = args
        .encrypt_to
        .as_deref()
        .map(|r| {
            age::x25519::Recipient::from_str(r.trim()).map_err(|e| {
                anyhow::anyhow!(
                    "--encrypt-to `{}` is not an age X25519 recipient ({e}): it starts with \
                     `age1` (see `age-keygen -y KEYFILE`)",
                    cardline_issuance::requests::shorten(r)
                )
            })
        })
        .transpose()?;
    let format = args.format.unwrap_or(if ctx.json {
        LetterFormat::Json
    } else {
        LetterFormat::Csv
    });
    let (profile, options) = ctx.profile_options(store.as_ref(), order.profile.as_deref())?;
    let with_puk = options.pin_letters_include_puk && !args.no_puk;
    let cards = produced_cards(order.cards, order_id);
    if cards.is_empty() {
        anyhow::bail!(
            "order {order_id} has no produced card in use: nothing to export (see `cardline \
             order show {order_id}`)"
        );
    }
    let keys = KeyFiles::in_home(ctx.home_dir());
    let mut letters = Vec::with_capacity(cards.len());
    let mut unsealed = 0;
    for card in &cards {
        let Some(sealed) = store.card_secrets(&card.number)? else {
            unsealed += 1;
            continue;
        };
        let (pin, puk) =
            cardline_issuance::escrow::open_card(&keys, escrow_key, &card.number, &sealed)?;
        let digits = |b: &[u8]| -> anyhow::Result<Zeroizing<String>> {
            Ok(Zeroizing::new(
                std::str::from_utf8(b)
                    .context("a sealed PIN or PUK is not ASCII digits")?
                    .to_string(),
            ))
        };
        letters.push(Letter {
            card: card.number.clone(),
            requester: card.request.requester.clone(),
            desk: card.request.desk.clone(),
            pin: digits(pin.expose())?,
            puk: if with_puk {
                Some(digits(puk.expose())?)
            } else {
                None
            },
        });
    }
    if letters.is_empty() {
        anyhow::bail!(
            "the cards of order {order_id} were not encoded (print only): they have no PIN"
        );
    }
    if unsealed > 0 {
        eprintln!(
            "note: {} of order {order_id} have no sealed PIN (not encoded) and are left out",
            plural(unsealed, "card")
        );
    }
    confirm(&args, order_id, letters.len(), with_puk)?;
    // Create the file before the audit (it must not exist), write it after.
    let file = args.out.as_deref().map(create_private).transpose()?;
    let what = match (format, &args.encrypt_to) {
        (LetterFormat::Csv, None) => "PIN letters, csv".to_string(),
        (LetterFormat::Json, None) => "PIN letters, json".to_string(),
        (f, Some(r)) => format!(
            "PIN letters, {}, encrypted to {}",
            if f == LetterFormat::Csv {
                "csv"
            } else {
                "json"
            },
            r.trim()
        ),
    };
    let note = match &reason {
        Some(r) => format!("{what}: {r}"),
        None => what,
    };
    let written = (|| -> anyhow::Result<()> {
        for l in &letters {
            store.audit_note(
                "secrets.reveal",
                Some(&l.card),
                Some(order_id),
                Some(&note),
                &ctx.actor(),
            )?;
        }
        let plain = match format {
            LetterFormat::Csv => csv_text(&letters, with_puk),
            LetterFormat::Json => json_text(&letters, order_id, &profile.name)?,
        };
        write_out(file, plain, recipient.as_ref())
    })();
    if let (Err(_), Some(path)) = (&written, &args.out) {
        let _ = std::fs::remove_file(path);
    }
    written?;
    if let Some(path) = &args.out {
        let report = ExportReport {
            order: order_id,
            cards: letters.len(),
            puk: with_puk,
            file: path.display().to_string(),
            encrypted_to: args.encrypt_to.map(|r| r.trim().to_string()),
        };
        ctx.emit(&report, || {
            format!(
                "wrote the PIN letters of {} of order {order_id} to {}{}",
                plural(report.cards, "card"),
                report.file,
                report
                    .encrypted_to
                    .as_ref()
                    .map(|r| format!(", encrypted to {r}"))
                    .unwrap_or_else(|| " (clear text: keep it safe, delete it after use)".into())
            )
        })?;
    }
    Ok(())
}

/// Refuses unless `--yes`, or the operator types `yes` on the terminal.
fn confirm(args: &LetterArgs, order: OrderId, cards: usize, puk: bool) -> anyhow::Result<()> {
    if args.yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        anyhow::bail!(
            "refusing to export the PINs of order {order} without confirmation: run it on a \
             terminal and answer the question, or pass --yes"
        );
    }
    eprint!(
        "Reveal the initial PIN{} of {} of order {order}? Each reveal is audited under your \
         name. Type yes to go on: ",
        if puk { " and PUK" } else { "" },
        plural(cards, "card")
    );
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        anyhow::bail!("not confirmed: nothing was revealed");
    }
    Ok(())
}

/// Creates `path`, mode 0600; refuses when it exists.
fn create_private(path: &Path) -> anyhow::Result<File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| {
            format!(
                "cannot create {} (it must not exist yet: PIN letters never overwrite a file)",
                path.display()
            )
        })
}

/// A CSV field: quoted when it holds a comma, quote or line break.
fn csv_field(out: &mut Vec<u8>, v: &str) {
    if v.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        out.extend_from_slice(v.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(v.as_bytes());
    }
}

/// Room for the whole export, so the buffer never moves (a move would leave a copy behind).
fn capacity(letters: &[Letter]) -> usize {
    letters
        .iter()
        .map(|l| {
            let text = l.card.len()
                + l.requester.as_deref().map_or(0, str::len)
                + l.desk.as_deref().map_or(0, str::len);
            128 + 6 * text
        })
        .sum::<usize>()
        + 256
}

fn csv_text(letters: &[Letter], with_puk: bool) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(capacity(letters)));
    out.extend_from_slice(if with_puk {
        b"card,requester,desk,pin,puk\n".as_slice()
    } else {
        b"card,requester,desk,pin\n".as_slice()
    });
    for l in letters {
        csv_field(&mut out, &l.card);
        out.push(b',');
        csv_field(&mut out, l.requester.as_deref().unwrap_or(""));
        out.push(b',');
        csv_field(&mut out, l.desk.as_deref().unwrap_or(""));
        out.push(b',');
        out.extend_from_slice(l.pin.as_bytes());
        if let Some(puk) = &l.puk {
            out.push(b',');
            out.extend_from_slice(puk.as_bytes());
        }
        out.push(b'\n');
    }
    out
}

fn json_text(
    letters: &[Letter],
    order: OrderId,
    profile: &str,
) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let doc = LettersJson {
        order,
        profile,
        cards: letters
            .iter()
            .map(|l| LetterJson {
                card: &l.card,
                requester: l.requester.as_deref(),
                desk: l.desk.as_deref(),
                pin: &l.pin,
                puk: l.puk.as_deref().map(|p| p.as_str()),
            })
            .collect(),
    };
    let mut out = Zeroizing::new(Vec::with_capacity(capacity(letters) * 2));
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.push(b'\n');
    Ok(out)
}

/// Writes the export to the file or standard output, encrypted when a recipient is given.
fn write_out(
    file: Option<File>,
    plain: Zeroizing<Vec<u8>>,
    recipient: Option<&age::x25519::Recipient>,
) -> anyhow::Result<()> {
    let mut sink: Box<dyn Write> = match file {
        Some(f) => Box::new(f),
        None => Box::new(std::io::stdout().lock()),
    };
    match recipient {
        None => sink.write_all(&plain)?,
        Some(r) => {
            let encryptor =
                age::Encryptor::with_recipients(std::iter::once(r as &dyn age::Recipient))
                    .context("cannot encrypt to the recipient")?;
            let armor =
                age::armor::ArmoredWriter::wrap_output(&mut sink, age::armor::Format::AsciiArmor)?;
            let mut writer = encryptor.wrap_output(armor)?;
            writer.write_all(&plain)?;
            writer.finish()?.finish()?;
        }
    }
    sink.flush()?;
    Ok(())
}

/// Refuses a reveal of the PINs of `what` unless this person may reveal secrets
/// ([`crate::identity::REVEALERS`] once the database has users); a refusal is audited
/// (`secrets.refused`).
pub fn require_revealer(
    ctx: &Context,
    store: &dyn cardline_issuance::store::Store,
    what: &str,
) -> anyhow::Result<()> {
    let identity = ctx.identity(store)?;
    if let Err(refused) = identity.require_reveal("revealing initial PINs and PUKs") {
        store.audit_note(
            "secrets.refused",
            None,
            None,
            Some(&format!("{what}: {}", identity.how)),
            &ctx.actor(),
        )?;
        return Err(refused);
    }
    Ok(())
}
