//! `cardline cards search` (also `cards list`): the operator's card search — filters, sort,
//! keyset pages with the total — as a text table, JSON (`{total, next, cards}`) or CSV.

use std::io::Write;

use cardline_issuance::model::Card;
use cardline_issuance::search::{CardPage, CardQuery, CardSort, MAX_PAGE, Page};
use cardline_issuance::store::Store;

use super::card_filters::CardFilterArgs;
use crate::context::Context;
use crate::output::{Table, or_dash, thousands};

/// Arguments of `cardline cards search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// Which cards.
    #[command(flatten)]
    pub filters: CardFilterArgs,
    /// Sort by request time, card number or last change.
    #[arg(long, value_name = "KEY", default_value = "requested", value_parser = parse_sort)]
    pub sort: CardSort,
    /// Newest (highest) first.
    #[arg(long)]
    pub desc: bool,
    /// Cards per page (1–1,000).
    #[arg(long, value_name = "N", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_PAGE)))]
    pub limit: u32,
    /// Continue after this cursor (the `next` of the previous page).
    #[arg(long, value_name = "CURSOR")]
    pub after: Option<String>,
    /// Every page, not just one (read 1,000 cards at a time).
    #[arg(long)]
    pub all_pages: bool,
    /// Print CSV: a header row, then one row per card.
    #[arg(long)]
    pub csv: bool,
}

/// Parses a sort key for clap.
fn parse_sort(s: &str) -> Result<CardSort, String> {
    CardSort::parse(s)
        .ok_or_else(|| format!("unknown sort `{s}`: allowed requested, number, updated"))
}

/// Runs the search.
pub fn run(ctx: &Context, args: SearchArgs) -> anyhow::Result<()> {
    if args.csv && ctx.json {
        anyhow::bail!("choose one output: --csv or --json");
    }
    let query = args.filters.query()?;
    let store = ctx.store()?;
    let mut page = Page {
        sort: args.sort,
        descending: args.desc,
        limit: if args.all_pages { MAX_PAGE } else { args.limit },
        after: args.after.clone(),
        count_limit: None,
    };
    if args.csv {
        return write_csv(store.as_ref(), &query, &mut page, args.all_pages);
    }
    let mut result = store.search_cards(&query, &page)?;
    if args.all_pages {
        while let Some(next) = result.next.take() {
            page.after = Some(next);
            let more = store.search_cards(&query, &page)?;
            result.cards.extend(more.cards);
            result.next = more.next;
            result.total = more.total;
        }
    }
    ctx.emit(&result, || render(&result))
}

/// The text table and the "showing N of M" line.
fn render(page: &CardPage) -> String {
    if page.cards.is_empty() {
        return if page.total == 0 {
            "no cards match".into()
        } else {
            format!("no more cards: {} match in all", thousands(page.total))
        };
    }
    let mut out = cards_table(&page.cards);
    out.push_str(&format!(
        "showing {} of {}",
        thousands(page.cards.len() as u64),
        thousands(page.total)
    ));
    if let Some(next) = &page.next {
        out.push_str(&format!(" — next page: --after {next}"));
    }
    out.push('\n');
    out
}

/// NUMBER, STATE, ORDER, REQUESTER, DESK, REQUESTED, and REASON when a failed card is shown.
pub fn cards_table(cards: &[Card]) -> String {
    let reasons = cards.iter().any(|c| c.failure_reason.is_some());
    let mut header = vec!["NUMBER", "STATE", "ORDER", "REQUESTER", "DESK", "REQUESTED"];
    if reasons {
        header.push("REASON");
    }
    let mut t = Table::new(header);
    for c in cards {
        let mut row = vec![
            c.number.clone(),
            c.state.to_string(),
            c.shown_order()
                .map_or_else(|| "-".into(), |o| o.to_string()),
            or_dash(c.request.requester.as_deref()),
            or_dash(c.request.desk.as_deref()),
            c.request.requested_at.clone(),
        ];
        if reasons {
            row.push(or_dash(c.failure_reason.as_deref()));
        }
        t.row(row);
    }
    t.render()
}

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 14] = [
    "number",
    "state",
    "order",
    "requester",
    "desk",
    "purpose",
    "note",
    "requested_at",
    "failure_reason",
    "assigned_to",
    "valid_until",
    "chip_id",
    "created_at",
    "updated_at",
];

fn write_csv(
    store: &dyn Store,
    query: &CardQuery,
    page: &mut Page,
    all_pages: bool,
) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    let mut header = csv::Writer::from_writer(Vec::new());
    header.write_record(CSV_COLUMNS)?;
    stdout.write_all(&header.into_inner().map_err(|e| e.into_error())?)?;
    loop {
        let result = store.search_cards(query, page)?;
        // One page at a time through memory, so a closed pipe is an I/O error main() knows.
        let mut rows = csv::Writer::from_writer(Vec::new());
        for c in &result.cards {
            let o = |v: &Option<String>| v.clone().unwrap_or_default();
            rows.write_record([
                c.number.clone(),
                c.state.to_string(),
                c.shown_order().map(|o| o.to_string()).unwrap_or_default(),
                o(&c.request.requester),
                o(&c.request.desk),
                o(&c.request.purpose),
                o(&c.request.note),
                c.request.requested_at.clone(),
                o(&c.failure_reason),
                o(&c.assigned_to),
                o(&c.valid_until),
                o(&c.chip_id),
                c.created_at.clone(),
                c.updated_at.clone(),
            ])?;
        }
        stdout.write_all(&rows.into_inner().map_err(|e| e.into_error())?)?;
        match result.next {
            Some(next) if all_pages => page.after = Some(next),
            _ => break,
        }
    }
    stdout.flush()?;
    Ok(())
}
