//! `cardline order ...`: batch orders (create, show, list, cancel, complete, repeat).

use std::collections::BTreeMap;

use cardline_issuance::model::{CardState, Order, OrderId, OrderSelection};
use cardline_issuance::store::Store;
use serde::Serialize;

use crate::context::Context;
use crate::output::{Table, cards_table, or_dash, plural};

/// Subcommands of `cardline order`.
#[derive(Debug, clap::Subcommand)]
pub enum OrderCommand {
    /// Create an order from requested cards and print its cards.
    Create(CreateArgs),
    /// One order with its cards.
    Show {
        /// The order id.
        id: OrderId,
    },
    /// All orders, newest first.
    List,
    /// Cancel an open order: unproduced cards return to `requested`.
    Cancel {
        /// The order id.
        id: OrderId,
    },
    /// Confirm an order: failed cards that were not repeated return to `requested`.
    Complete {
        /// The order id.
        id: OrderId,
    },
    /// Release the order to the desk daemons (`cardline desk run`): every desk takes part
    /// in producing it. The "Next" step of a badge office with several desks.
    Release {
        /// The order id.
        id: OrderId,
    },
    /// Produce the order on every station of the stations file (the "Next" step).
    Produce(super::produce::ProduceArgs),
    /// Select failed (and misprinted) cards of an open order for another production run.
    Repeat {
        /// The order id.
        id: OrderId,
        /// A produced card that came out misprinted (repeatable); its attempt becomes void.
        #[arg(long = "misprinted", value_name = "CARD")]
        misprinted: Vec<String>,
    },
}

/// Which requested cards the new order takes: exactly one of `--all`, `--first N`, or numbers.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct CreateArgs {
    /// Every requested card.
    #[arg(long)]
    pub all: bool,
    /// The N oldest requested cards.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub first: Option<u32>,
    /// These card numbers.
    #[arg(value_name = "CARD")]
    pub cards: Vec<String>,
}

#[derive(Serialize)]
struct OrderSummary {
    id: OrderId,
    state: &'static str,
    created_by: String,
    created_at: String,
    closed_at: Option<String>,
    card_count: u64,
    counts: BTreeMap<&'static str, u64>,
}

#[derive(Serialize)]
struct OrderReport<'a> {
    #[serde(flatten)]
    order: &'a Order,
    counts: BTreeMap<&'static str, u64>,
}

/// Runs a `cardline order` subcommand.
pub fn run(ctx: &Context, cmd: OrderCommand) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let actor = ctx.actor();
    match cmd {
        OrderCommand::Create(args) => {
            let selection = if args.all {
                OrderSelection::All
            } else if let Some(n) = args.first {
                OrderSelection::First(n)
            } else {
                OrderSelection::Numbers(args.cards)
            };
            let order = store
                .create_order(&selection, &actor)
                .map_err(|e| super::cards::explain(ctx, e))?;
            emit_order(ctx, store.as_ref(), &order, "created")
        }
        OrderCommand::Show { id } => {
            let order = store.order(id)?;
            emit_order(ctx, store.as_ref(), &order, "")
        }
        OrderCommand::List => list(ctx, store.as_ref()),
        OrderCommand::Produce(args) => super::produce::run(ctx, args),
        OrderCommand::Release { id } => {
            let order = store.release_order(id, &actor)?;
            emit_order(ctx, store.as_ref(), &order, "released to the desks")
        }
        OrderCommand::Cancel { id } => {
            let order = store.cancel_order(id, &actor)?;
            emit_order(ctx, store.as_ref(), &order, "cancelled")
        }
        OrderCommand::Complete { id } => {
            let order = store.complete_order(id, &actor)?;
            emit_order(ctx, store.as_ref(), &order, "completed")
        }
        OrderCommand::Repeat { id, misprinted } => {
            let cards = store
                .repeat_order(id, &misprinted, &actor)
                .map_err(|e| super::cards::explain(ctx, e))?;
            ctx.emit(&cards, || {
                if cards.is_empty() {
                    format!("order {id}: no failed or misprinted card to produce again")
                } else {
                    format!(
                        "order {id}: {} selected for another production run\n{}",
                        plural(cards.len(), "card"),
                        cards_table(&cards)
                    )
                }
            })
        }
    }
}

fn counts(store: &dyn Store, id: OrderId) -> anyhow::Result<BTreeMap<&'static str, u64>> {
    Ok(store
        .count_by_state(Some(id))?
        .into_iter()
        .map(|(s, n)| (s.as_str(), n))
        .collect())
}

fn emit_order(ctx: &Context, store: &dyn Store, order: &Order, verb: &str) -> anyhow::Result<()> {
    let report = OrderReport {
        order,
        counts: counts(store, order.id)?,
    };
    ctx.emit(&report, || {
        let mut out = if verb.is_empty() {
            format!(
                "order {} ({}), created by {} at {}",
                order.id,
                order.state.as_str(),
                order.created_by,
                order.created_at
            )
        } else {
            format!("order {} {verb}", order.id)
        };
        if let Some(closed) = &order.closed_at {
            out.push_str(&format!(", closed at {closed}"));
        }
        let summary: Vec<String> = CardState::ALL
            .iter()
            .filter_map(|s| report.counts.get(s.as_str()).map(|n| format!("{n} {s}")))
            .collect();
        out.push_str(&format!(
            "\n{}: {}\n\n{}",
            plural(order.cards.len(), "card"),
            summary.join(", "),
            cards_table(&order.cards)
        ));
        out
    })
}

fn list(ctx: &Context, store: &dyn Store) -> anyhow::Result<()> {
    let mut summaries = Vec::new();
    for o in store.list_orders()? {
        let counts = counts(store, o.id)?;
        summaries.push(OrderSummary {
            id: o.id,
            state: o.state.as_str(),
            created_by: o.created_by,
            created_at: o.created_at,
            closed_at: o.closed_at,
            card_count: counts.values().sum(),
            counts,
        });
    }
    ctx.emit(&summaries, || {
        if summaries.is_empty() {
            return "no orders yet (create one with `cardline order create --all`)".into();
        }
        let mut t = Table::new([
            "ORDER",
            "STATE",
            "CARDS",
            "BY STATE",
            "CREATED BY",
            "CREATED",
            "CLOSED",
        ]);
        for s in &summaries {
            let by: Vec<String> = s.counts.iter().map(|(k, v)| format!("{k}={v}")).collect();
            t.row([
                s.id.to_string(),
                s.state.to_string(),
                s.card_count.to_string(),
                by.join(" "),
                s.created_by.clone(),
                s.created_at.clone(),
                or_dash(s.closed_at.as_deref()),
            ]);
        }
        t.render()
    })
}
