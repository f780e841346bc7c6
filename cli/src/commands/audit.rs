//! `cardline audit [--card C] [--order O] [--by USER] [--action A] [--limit N]`: read the
//! append-only audit log. `--by` filters on who did it; the global `--operator` says who *you*
//! are, so the two never mix.

use cardline_issuance::model::OrderId;
use cardline_issuance::store::AuditFilter;

use crate::context::Context;
use crate::output::{Table, or_dash};

/// Arguments of `cardline audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Only entries about this card.
    #[arg(long)]
    pub card: Option<String>,
    /// Only entries about this order.
    #[arg(long)]
    pub order: Option<OrderId>,
    /// Only entries written by this operator (user name as recorded).
    #[arg(long, value_name = "USER")]
    pub by: Option<String>,
    /// Only entries of this action (`card.assign`), or every action under a prefix ending in
    /// `.` (`station.`).
    #[arg(long)]
    pub action: Option<String>,
    /// Only the newest N entries.
    #[arg(long)]
    pub limit: Option<u32>,
}

/// Prints the entries, oldest first.
pub fn run(ctx: &Context, args: AuditArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let entries = store.audit(&AuditFilter {
        card_number: args.card,
        order_id: args.order,
        operator: args.by,
        action: args.action,
        limit: args.limit,
    })?;
    ctx.emit(&entries, || {
        if entries.is_empty() {
            return "no audit entries match".into();
        }
        let mut t = Table::new([
            "ID", "AT", "OPERATOR", "ACTION", "CARD", "ORDER", "FROM", "TO", "REASON",
        ]);
        for e in &entries {
            t.row([
                e.id.to_string(),
                e.at.clone(),
                e.operator.clone(),
                e.action.clone(),
                or_dash(e.card_number.as_deref()),
                e.order_id.map_or_else(|| "-".into(), |o| o.to_string()),
                or_dash(e.from_state.as_deref()),
                or_dash(e.to_state.as_deref()),
                or_dash(e.reason.as_deref()),
            ]);
        }
        t.render()
    })
}
