//! `cardline face ...`: look at and check card face templates.

use std::path::PathBuf;

use anyhow::Context as _;
use cardline_issuance::face::{self, CardFields, PreparedFace};
use cardline_issuance::store::StoreError;

use crate::context::Context;

/// Subcommands of `cardline face`.
#[derive(Debug, clap::Subcommand)]
pub enum FaceCommand {
    /// Render a card's face to PNG (landscape, as printed) so a person can check the design.
    Preview(PreviewArgs),
    /// Check a template and report the first mistake with file, line, key and fix.
    Check(CheckArgs),
}

/// Arguments of `cardline face preview`.
#[derive(Debug, clap::Args)]
pub struct PreviewArgs {
    /// A card number: a card record's fields are used when it exists, otherwise the text is
    /// printed as the number with today's date and the configured validity.
    #[arg(long)]
    pub card: String,
    /// Where to write the front as PNG.
    #[arg(long)]
    pub out: PathBuf,
    /// Where to write the back as PNG (the template must have a back).
    #[arg(long)]
    pub back: Option<PathBuf>,
    /// Template name (default: the options' `face_template`).
    #[arg(long)]
    pub template: Option<String>,
}

/// Arguments of `cardline face check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Template name (default: the options' `face_template`).
    #[arg(long)]
    pub template: Option<String>,
}

/// Runs a `cardline face` subcommand.
pub fn run(ctx: &Context, cmd: FaceCommand) -> anyhow::Result<()> {
    match cmd {
        FaceCommand::Preview(args) => preview(ctx, args),
        FaceCommand::Check(args) => check(ctx, args),
    }
}

fn template_name(ctx: &Context, explicit: Option<String>) -> anyhow::Result<String> {
    match explicit {
        Some(name) => Ok(name),
        None => Ok(ctx.options()?.face_template),
    }
}

fn check(ctx: &Context, args: CheckArgs) -> anyhow::Result<()> {
    let name = template_name(ctx, args.template)?;
    let template = face::load_template(ctx.home_dir(), &name)?;
    PreparedFace::new(&template)?;
    let sides = if template.back.is_some() {
        "front and back"
    } else {
        "front"
    };
    ctx.emit(
        &serde_json::json!({ "template": name, "ok": true, "back": template.back.is_some() }),
        || format!("template `{name}` is valid ({sides})"),
    )
}

/// The fields of card `card`: from its record when the home has one, else a stand-in.
fn card_fields(
    ctx: &Context,
    card: &str,
    validity_days: u32,
) -> anyhow::Result<(CardFields, bool)> {
    let today = time::OffsetDateTime::now_utc().date();
    let until = today + time::Duration::days(i64::from(validity_days));
    if ctx.has_store() {
        match ctx.store().and_then(|s| Ok(s.card(card)?)) {
            Ok(record) => {
                let mut fields = CardFields::from_card(&record, today.to_string());
                if fields.valid_until.is_empty() {
                    fields.valid_until = until.to_string();
                }
                return Ok((fields, true));
            }
            Err(e)
                if matches!(
                    e.downcast_ref::<StoreError>(),
                    Some(StoreError::CardNotFound(_))
                ) => {}
            Err(e) if ctx.verbose > 0 => {
                eprintln!("note: card records unavailable ({e:#}); using `{card}` as the number")
            }
            Err(_) => {}
        }
    }
    let fields = CardFields {
        card_number: card.to_owned(),
        valid_until: until.to_string(),
        issued: today.to_string(),
        order: "PREVIEW".to_owned(),
    };
    Ok((fields, false))
}

fn preview(ctx: &Context, args: PreviewArgs) -> anyhow::Result<()> {
    let options = ctx.options()?;
    let name = args
        .template
        .unwrap_or_else(|| options.face_template.clone());
    let template = face::load_template(ctx.home_dir(), &name)?;
    if args.back.is_some() && template.back.is_none() {
        anyhow::bail!(
            "template `{name}` has no back side; add a [back] section or use --template temporary-duplex"
        );
    }
    let (fields, from_record) = card_fields(ctx, &args.card, options.validity_days)?;
    let image = PreparedFace::new(&template)?
        .render(&fields)
        .with_context(|| {
            format!(
                "rendering card `{}` with template `{name}`",
                fields.card_number
            )
        })?;
    face::write_side_png(&image.front, &args.out)?;
    if let (Some(path), Some(back)) = (&args.back, &image.back) {
        face::write_side_png(back, path)?;
    }
    let report = serde_json::json!({
        "template": name,
        "card_number": fields.card_number,
        "from_record": from_record,
        "front": args.out,
        "back": args.back,
    });
    ctx.emit(&report, || {
        let source = if from_record {
            "card record"
        } else {
            "stand-in fields"
        };
        let mut text = format!(
            "front: {} (card {}, template `{name}`, {source})",
            args.out.display(),
            fields.card_number
        );
        if let Some(b) = &args.back {
            text.push_str(&format!("\nback:  {}", b.display()));
        }
        text
    })
}
