//! `cardline order ...`: batch orders (create, show, list, cancel, complete, repeat).

use std::collections::BTreeMap;

use cardline_issuance::model::{CardState, Order, OrderId};
use cardline_issuance::store::{CardFailure, OrderOutcome, Store};
use serde::Serialize;

use crate::context::Context;
use crate::output::{Table, cards_table, or_dash, plural};

/// Subcommands of `cardline order`.
#[derive(Debug, clap::Subcommand)]
pub enum OrderCommand {
    /// Create an order from requested cards (all, the first N, a search, or numbers).
    Create(Box<super::order_create::CreateArgs>),
    /// One order: its profile, its cards, how they ended, and why the failed ones failed.
    Show {
        /// The order id.
        id: OrderId,
    },
    /// All orders, newest first, each with how its own cards ended in it.
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
        /// Print what would change; change nothing.
        #[arg(long)]
        dry_run: bool,
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
        /// Print which cards would go again; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Serialize)]
struct OrderSummary {
    id: OrderId,
    state: &'static str,
    profile: Option<String>,
    created_by: String,
    created_at: String,
    closed_at: Option<String>,
    card_count: u64,
    outcome: OrderOutcome,
}

#[derive(Serialize)]
struct OrderReport<'a> {
    #[serde(flatten)]
    order: &'a Order,
    /// The order's cards by their current state.
    counts: BTreeMap<&'static str, u64>,
    /// How the order's own cards ended in it.
    outcome: OrderOutcome,
    /// Its failed cards with station, step and reason.
    failures: Vec<CardFailure>,
}

/// Runs a `cardline order` subcommand.
pub fn run(ctx: &Context, cmd: OrderCommand) -> anyhow::Result<()> {
    let cmd = match cmd {
        OrderCommand::Create(args) => return super::order_create::run(ctx, *args),
        OrderCommand::Produce(args) => return super::produce::run(ctx, args),
        other => other,
    };
    let store = ctx.store()?;
    let actor = ctx.actor();
    match cmd {
        OrderCommand::Create(_) | OrderCommand::Produce(_) => unreachable!("handled above"),
        OrderCommand::Show { id } => {
            let order = store.order(id)?;
            emit_order(ctx, store.as_ref(), &order, "")
        }
        OrderCommand::List => list(ctx, store.as_ref()),
        OrderCommand::Release { id } => {
            let order = store.release_order(id, &actor)?;
            emit_order(ctx, store.as_ref(), &order, "released to the desks")
        }
        OrderCommand::Cancel { id } => {
            let order = store.cancel_order(id, &actor)?;
            emit_order(ctx, store.as_ref(), &order, "cancelled")
        }
        OrderCommand::Complete { id, dry_run: true } => {
            super::dry_run::complete(ctx, store.as_ref(), id)
        }
        OrderCommand::Complete { id, dry_run: false } => {
            let order = store.complete_order(id, &actor)?;
            emit_order(ctx, store.as_ref(), &order, "completed")
        }
        OrderCommand::Repeat {
            id,
            misprinted,
            dry_run: true,
        } => super::dry_run::repeat(ctx, store.as_ref(), id, &misprinted),
        OrderCommand::Repeat {
            id,
            misprinted,
            dry_run: false,
        } => {
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

/// `profile P`, or `the default profile` for an order that named none.
fn profile_text(profile: Option<&str>) -> String {
    match profile {
        Some(p) => format!("profile {p}"),
        None => "the default profile".into(),
    }
}

/// `3 produced, 1 failed` (only the non-zero parts).
fn outcome_text(o: &OrderOutcome) -> String {
    let parts: Vec<String> = [
        (o.produced, "produced"),
        (o.failed, "failed"),
        (o.waiting, "waiting"),
        (o.in_production, "in production"),
        (o.cancelled, "cancelled"),
        (o.released, "released"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() {
        "no card".into()
    } else {
        parts.join(", ")
    }
}

/// Prints one order: header, profile, outcome, current states, failures, cards.
pub fn emit_order(
    ctx: &Context,
    store: &dyn Store,
    order: &Order,
    verb: &str,
) -> anyhow::Result<()> {
    let report = OrderReport {
        order,
        counts: counts(store, order.id)?,
        outcome: store.order_outcome(order.id)?,
        failures: store.order_failures(order.id)?,
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
        out.push_str(&format!(
            "\nproduced with {}\n",
            profile_text(order.profile.as_deref())
        ));
        let now: Vec<String> = CardState::ALL
            .iter()
            .filter_map(|s| report.counts.get(s.as_str()).map(|n| format!("{n} {s}")))
            .collect();
        out.push_str(&format!(
            "{}: {} in this order; now {}\n",
            plural(order.cards.len(), "card"),
            outcome_text(&report.outcome),
            now.join(", ")
        ));
        if !report.failures.is_empty() {
            let mut t = Table::new(["FAILED CARD", "STATION", "STEP", "REASON", "AT"]);
            for f in &report.failures {
                t.row([
                    f.card.clone(),
                    f.station.clone(),
                    or_dash(f.step.as_deref()),
                    f.reason.clone(),
                    or_dash(f.at.as_deref()),
                ]);
            }
            out.push_str(&format!("\n{}", t.render()));
        }
        out.push_str(&format!("\n{}", cards_table(&order.cards)));
        out
    })
}

fn list(ctx: &Context, store: &dyn Store) -> anyhow::Result<()> {
    let mut summaries = Vec::new();
    for o in store.list_orders()? {
        let outcome = store.order_outcome(o.id)?;
        summaries.push(OrderSummary {
            id: o.id,
            state: o.state.as_str(),
            profile: o.profile,
            created_by: o.created_by,
            created_at: o.created_at,
            closed_at: o.closed_at,
            card_count: outcome.total(),
            outcome,
        });
    }
    ctx.emit(&summaries, || {
        if summaries.is_empty() {
            return "no orders yet (create one with `cardline order create --all`)".into();
        }
        let mut t = Table::new([
            "ORDER",
            "STATE",
            "PROFILE",
            "CARDS",
            "PRODUCED",
            "FAILED",
            "WAITING",
            "IN PROD",
            "CANCELLED",
            "RELEASED",
            "CREATED BY",
            "CREATED",
        ]);
        for s in &summaries {
            let o = &s.outcome;
            t.row([
                s.id.to_string(),
                s.state.to_string(),
                s.profile.clone().unwrap_or_else(|| "(default)".into()),
                s.card_count.to_string(),
                o.produced.to_string(),
                o.failed.to_string(),
                o.waiting.to_string(),
                o.in_production.to_string(),
                o.cancelled.to_string(),
                o.released.to_string(),
                s.created_by.clone(),
                s.created_at.clone(),
            ]);
        }
        t.render()
    })
}
