//! `cardline request`: request temporary cards, each saying who asked, for which desk, why,
//! a note and when; `--count N` alike, or `--from-csv FILE|-` one row per card. All or
//! nothing: one bad row (its file:row:column named) creates no card.

use std::path::PathBuf;

use anyhow::Context as _;
use cardline_issuance::model::Card;
use cardline_issuance::requests::RequestData;
use cardline_issuance::requests::csv::read_requests;
use serde::Serialize;

use crate::context::Context;
use crate::output::thousands;

/// Arguments of `cardline request`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("what").required(true).multiple(false).args(["count", "from_csv"]))]
pub struct RequestArgs {
    /// How many cards to request (1–1,000,000), all saying the same.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub count: Option<u32>,
    /// One card per row of this CSV file (`-`: standard input); the header names the columns:
    /// requester, desk (or site), purpose, note, requested_at.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["requester", "desk", "purpose", "note", "requested_at"])]
    pub from_csv: Option<PathBuf>,
    /// Who asks for the cards.
    #[arg(long)]
    pub requester: Option<String>,
    /// The desk or site they are for.
    #[arg(long, alias = "site")]
    pub desk: Option<String>,
    /// Why they are needed (visitor, contractor ...).
    #[arg(long)]
    pub purpose: Option<String>,
    /// A free note.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// When they were asked for: YYYY-MM-DD or an RFC 3339 time (default: now).
    #[arg(long, value_name = "DATE")]
    pub requested_at: Option<String>,
}

#[derive(Serialize)]
struct RequestReport<'a> {
    count: usize,
    first: Option<&'a str>,
    last: Option<&'a str>,
    /// Every card created, with its request data.
    cards: &'a [Card],
}

/// Creates the records in one transaction, numbered by the default profile's scheme.
pub fn run(ctx: &Context, args: RequestArgs) -> anyhow::Result<()> {
    let rows = match (&args.from_csv, args.count) {
        (Some(file), _) => read_file(file)?,
        (None, Some(count)) => {
            let row = RequestData {
                requester: args.requester,
                desk: args.desk,
                purpose: args.purpose,
                note: args.note,
                requested_at: args.requested_at,
            }
            .normalised()
            .map_err(|e| anyhow::anyhow!("--{} {}", e.field.replace('_', "-"), e.problem))?;
            vec![row; count as usize]
        }
        (None, None) => unreachable!("clap requires --count or --from-csv"),
    };
    let options = ctx.options()?;
    let store = ctx.store()?;
    let cards = store.request_cards_with(&rows, &options.numbering, &ctx.actor())?;
    let report = RequestReport {
        count: cards.len(),
        first: cards.first().map(|c| c.number.as_str()),
        last: cards.last().map(|c| c.number.as_str()),
        cards: &cards,
    };
    ctx.emit(&report, || match (report.first, report.last) {
        (Some(first), Some(last)) if report.count > 1 => {
            format!(
                "requested {} cards: {first} … {last}",
                thousands(report.count as u64)
            )
        }
        (Some(first), _) => format!("requested 1 card: {first}"),
        _ => "requested no card".into(),
    })
}

/// The rows of a request file (`-`: standard input), checked whole.
fn read_file(file: &std::path::Path) -> anyhow::Result<Vec<RequestData>> {
    if file.as_os_str() == "-" {
        return Ok(read_requests(std::io::stdin().lock(), "<stdin>")?);
    }
    let shown = file.display().to_string();
    let input = std::fs::File::open(file).with_context(|| format!("cannot open {shown}"))?;
    Ok(read_requests(std::io::BufReader::new(input), &shown)?)
}
