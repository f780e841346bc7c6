//! `cardline audit [--card C] [--order O] [--by USER] [--action A] [--limit N]`: read the
//! append-only audit log. `--by` filters on who did it; the global `--operator` says who *you*
//! are, so the two never mix. `audit verify` and `audit checkpoint` check and anchor the
//! tamper-evident chain (docs/audit.md).

use cardline_issuance::model::OrderId;
use cardline_issuance::store::AuditFilter;

use crate::context::Context;
use crate::output::{Table, or_dash};

/// Arguments of `cardline audit`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    /// `verify` or `checkpoint`; without one, list entries.
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    /// Filters of the listing.
    #[command(flatten)]
    pub list: ListArgs,
}

/// Subcommands of `cardline audit`.
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Check every entry's MAC, sequence number and link, and (with --checkpoint) that nothing
    /// the checkpoint covers was cut; exits 4 naming every edited, deleted, reordered or
    /// inserted entry.
    Verify(super::audit_verify::VerifyArgs),
    /// Write a signed checkpoint of every writer's newest entry to FILE (keep it off this
    /// machine).
    Checkpoint(super::audit_verify::CheckpointArgs),
}

/// Filters of `cardline audit`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
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

/// Lists entries, or runs a subcommand.
pub fn run(ctx: &Context, args: AuditArgs) -> anyhow::Result<()> {
    match args.command {
        Some(AuditCommand::Verify(v)) => super::audit_verify::verify(ctx, v),
        Some(AuditCommand::Checkpoint(c)) => super::audit_verify::checkpoint(ctx, c),
        None => list(ctx, args.list),
    }
}

/// Prints the entries, oldest first.
fn list(ctx: &Context, args: ListArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let entries = store.audit(&AuditFilter {
        card_number: args.card,
        order_id: args.order,
        operator: args.by,
        action: args.action,
        limit: args.limit,
        ..AuditFilter::default()
    })?;
    ctx.emit(&entries, || {
        if entries.is_empty() {
            return "no audit entries match".into();
        }
        let mut t = Table::new([
            "ID", "AT", "OPERATOR", "ACTION", "CARD", "ORDER", "FROM", "TO", "REASON",
        ]);
        for e in &entries {
            let operator = match &e.os_user {
                Some(os) => format!("{} (os user {os})", e.operator),
                None => e.operator.clone(),
            };
            t.row([
                e.id.to_string(),
                e.at.clone(),
                operator,
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
