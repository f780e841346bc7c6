//! `cardline order create`: the operator's selection — every requested card, the first N,
//! the ones a search finds (the same filters as `cards search`), or numbers given on the
//! command line or in a file — produced with a named option profile; `--dry-run` shows what
//! would be taken. Claiming the cards is one transaction: two operators selecting overlapping
//! cards at once never share a card.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use cardline_issuance::model::{Card, CardState, OrderSelection};
use cardline_issuance::store::Store;
use serde::Serialize;

use super::card_filters::CardFilterArgs;
use crate::context::Context;
use crate::output::{plural, thousands};

/// The largest number list read by `--from-file` (bytes): 1,000,000 numbers of 16 characters.
pub const MAX_NUMBERS_FILE: u64 = 32 * 1024 * 1024;
/// Cards listed one by one by a text dry run (the rest are counted).
const SHOWN: usize = 20;

/// Which requested cards the new order takes.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Every requested card (matching the filters, when given).
    #[arg(long, conflicts_with_all = ["first", "cards", "from_file"])]
    pub all: bool,
    /// Exactly the N oldest requested cards (matching the filters); refused when fewer match.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub first: Option<u32>,
    /// With --first: take fewer when fewer match.
    #[arg(long, requires = "first")]
    pub allow_fewer: bool,
    /// These card numbers.
    #[arg(value_name = "CARD", conflicts_with = "from_file")]
    pub cards: Vec<String>,
    /// The card numbers in this file (`-`: standard input), one per line; blank lines and
    /// `#` comments are ignored.
    #[arg(long, value_name = "FILE")]
    pub from_file: Option<PathBuf>,
    /// Produce the order with this option profile (default: the default profile).
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Print how many and which cards would be taken; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Which requested cards.
    #[command(flatten)]
    pub filters: CardFilterArgs,
}

impl CreateArgs {
    /// The selection these arguments say.
    fn selection(&self) -> anyhow::Result<OrderSelection> {
        let numbers = !self.cards.is_empty() || self.from_file.is_some();
        if self.allow_fewer && self.first.is_none() {
            usage("--allow-fewer goes with --first N");
        }
        if numbers && (self.first.is_some() || !self.filters.is_empty()) {
            usage(
                "card numbers select exactly those cards: give numbers, or filters with \
                 --all / --first N, not both",
            );
        }
        if let Some(bad) = self
            .filters
            .states
            .iter()
            .find(|s| **s != CardState::Requested)
        {
            usage(&format!(
                "an order takes `requested` cards only, not `{bad}`: drop --state (failed \
                 cards go again with `cardline order repeat`)"
            ));
        }
        if numbers {
            let mut list = self.cards.clone();
            if let Some(file) = &self.from_file {
                list.extend(read_numbers(file)?);
            }
            if list.is_empty() {
                anyhow::bail!("the list of card numbers is empty");
            }
            return Ok(OrderSelection::Numbers(list));
        }
        if self.filters.is_empty() {
            return Ok(match self.first {
                Some(n) if self.allow_fewer => OrderSelection::AtMost(n),
                Some(n) => OrderSelection::First(n),
                None if self.all => OrderSelection::All,
                None => usage(
                    "say which cards: --all, --first N, filters (--requester, --desk, --from, \
                     --to, --number-prefix ...; see --help), card numbers or --from-file FILE",
                ),
            });
        }
        Ok(OrderSelection::Matching {
            query: Box::new(self.filters.query()?),
            first: self.first,
            allow_fewer: self.allow_fewer,
        })
    }
}

/// A usage error: printed like clap's own, exit code 2.
fn usage(message: &str) -> ! {
    clap::Error::raw(
        clap::error::ErrorKind::ArgumentConflict,
        format!("{message}\n"),
    )
    .exit()
}

/// Reads card numbers, one per line (`#` comments, blank lines ignored), at most
/// [`MAX_NUMBERS_FILE`] bytes.
fn read_numbers(file: &Path) -> anyhow::Result<Vec<String>> {
    let shown = file.display().to_string();
    let mut bytes = Vec::new();
    let limited =
        |r: &mut dyn Read, bytes: &mut Vec<u8>| r.take(MAX_NUMBERS_FILE + 1).read_to_end(bytes);
    if file.as_os_str() == "-" {
        limited(&mut std::io::stdin().lock(), &mut bytes)
    } else {
        let mut f = std::fs::File::open(file).with_context(|| format!("cannot open {shown}"))?;
        limited(&mut f, &mut bytes)
    }
    .with_context(|| format!("cannot read {shown}"))?;
    if bytes.len() as u64 > MAX_NUMBERS_FILE {
        anyhow::bail!(
            "{shown} is larger than {} MiB: is this the right file? (split it into several orders)",
            MAX_NUMBERS_FILE / (1024 * 1024)
        );
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{shown} is not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    let mut numbers = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let number = line.split('#').next().unwrap_or("").trim();
        if number.is_empty() {
            continue;
        }
        if number.len() > 64 || number.contains(char::is_whitespace) {
            anyhow::bail!(
                "{shown}:{}: `{}` is not a card number: one number per line",
                i + 1,
                cardline_issuance::requests::shorten(number)
            );
        }
        numbers.push(number.to_string());
    }
    Ok(numbers)
}

#[derive(Serialize)]
struct Preview<'a> {
    dry_run: bool,
    profile: &'a str,
    count: usize,
    cards: &'a [Card],
}

/// Runs `order create`.
pub fn run(ctx: &Context, args: CreateArgs) -> anyhow::Result<()> {
    let selection = args.selection()?;
    let store = ctx.store()?;
    // The profile must exist and be usable before any card is claimed.
    let (profile, _) = ctx.profile_options(store.as_ref(), args.profile.as_deref())?;
    if args.dry_run {
        return preview(ctx, store.as_ref(), &selection, &profile.name);
    }
    let order = store
        .create_order_with(&selection, args.profile.as_deref(), &ctx.actor())
        .map_err(|e| super::cards::explain(ctx, e))?;
    super::order::emit_order(ctx, store.as_ref(), &order, "created")
}

fn preview(
    ctx: &Context,
    store: &dyn Store,
    selection: &OrderSelection,
    profile: &str,
) -> anyhow::Result<()> {
    let cards = store
        .preview_order(selection)
        .map_err(|e| super::cards::explain(ctx, e))?;
    let report = Preview {
        dry_run: true,
        profile,
        count: cards.len(),
        cards: &cards,
    };
    ctx.emit(&report, || {
        if cards.is_empty() {
            return "dry run: no requested card matches; nothing changed".into();
        }
        let mut out = format!(
            "dry run: the order would take {} (profile {profile}); nothing changed\n",
            plural_count(cards.len())
        );
        out.push_str(&super::search::cards_table(
            &cards[..cards.len().min(SHOWN)],
        ));
        if cards.len() > SHOWN {
            out.push_str(&format!(
                "… {} more\n",
                thousands((cards.len() - SHOWN) as u64)
            ));
        }
        out
    })
}

fn plural_count(n: usize) -> String {
    if n < 1000 {
        plural(n, "card")
    } else {
        format!("{} cards", thousands(n as u64))
    }
}
