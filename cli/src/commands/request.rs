//! `cardline request --count N`: request temporary cards.

use serde::Serialize;

use crate::context::Context;

/// Arguments of `cardline request`.
#[derive(Debug, clap::Args)]
pub struct RequestArgs {
    /// How many cards to request (1–1,000,000).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub count: u32,
}

#[derive(Serialize)]
struct RequestReport {
    count: usize,
    first: Option<String>,
    last: Option<String>,
}

/// Creates the records in one transaction, numbered by the options' scheme.
pub fn run(ctx: &Context, args: RequestArgs) -> anyhow::Result<()> {
    let options = ctx.options()?;
    let store = ctx.store()?;
    let cards = store.request_cards(args.count, &options.numbering, &ctx.actor())?;
    let report = RequestReport {
        count: cards.len(),
        first: cards.first().map(|c| c.number.clone()),
        last: cards.last().map(|c| c.number.clone()),
    };
    ctx.emit(&report, || match (&report.first, &report.last) {
        (Some(first), Some(last)) if report.count > 1 => {
            format!("requested {} cards: {first} … {last}", report.count)
        }
        (Some(first), _) => format!("requested 1 card: {first}"),
        _ => "requested no card".into(),
    })
}
