//! `--dry-run` of the commands that change many cards at once (`cards expire`, `order
//! complete`, `order repeat`): what would change, computed by the store's own code in a
//! transaction that is rolled back, so the preview and the real run cannot disagree. Nothing
//! changes, not even the audit log.

use std::collections::HashMap;

use cardline_issuance::model::{Card, CardState, OrderId};
use cardline_issuance::store::Store;
use serde::Serialize;

use crate::context::Context;
use crate::output::{Table, plural};

/// One card's state now and after the command.
#[derive(Serialize)]
struct CardChange {
    number: String,
    from: CardState,
    to: CardState,
}

/// What a command would do.
#[derive(Serialize)]
struct DryRun {
    dry_run: bool,
    /// The command previewed (`cards expire`, `order complete` ...).
    command: String,
    /// The order concerned.
    order: Option<OrderId>,
    /// Every card that would change state.
    changes: Vec<CardChange>,
    /// The order's state after the command.
    order_state_after: Option<&'static str>,
}

impl DryRun {
    fn render(&self, nothing: &str) -> String {
        if self.changes.is_empty() {
            return format!("dry run of `{}`: {nothing}; nothing changed", self.command);
        }
        let mut t = Table::new(["NUMBER", "NOW", "WOULD BE"]);
        for c in &self.changes {
            t.row([c.number.clone(), c.from.to_string(), c.to.to_string()]);
        }
        format!(
            "dry run of `{}`: {} would change; nothing changed\n{}",
            self.command,
            plural(self.changes.len(), "card"),
            t.render()
        )
    }
}

/// Cards whose state differs between `before` (by number) and `after`.
fn changes(before: &HashMap<String, CardState>, after: &[Card]) -> Vec<CardChange> {
    after
        .iter()
        .filter_map(|c| {
            let from = *before.get(&c.number)?;
            (from != c.state).then(|| CardChange {
                number: c.number.clone(),
                from,
                to: c.state,
            })
        })
        .collect()
}

fn states_of(store: &dyn Store, id: OrderId) -> anyhow::Result<HashMap<String, CardState>> {
    Ok(store
        .order(id)?
        .cards
        .into_iter()
        .map(|c| (c.number, c.state))
        .collect())
}

/// `cards expire --dry-run`.
pub fn expire(ctx: &Context, store: &dyn Store, now: &str) -> anyhow::Result<()> {
    let after = store.preview_expire(now, &ctx.actor())?;
    let report = DryRun {
        dry_run: true,
        command: "cards expire".into(),
        order: None,
        order_state_after: None,
        changes: after
            .iter()
            .map(|c| CardChange {
                number: c.number.clone(),
                from: CardState::Assigned,
                to: c.state,
            })
            .collect(),
    };
    ctx.emit(&report, || {
        report.render("no assigned card is past its validity")
    })
}

/// `order complete ID --dry-run`.
pub fn complete(ctx: &Context, store: &dyn Store, id: OrderId) -> anyhow::Result<()> {
    let before = states_of(store, id)?;
    let after = store.preview_complete(id, &ctx.actor())?;
    let report = DryRun {
        dry_run: true,
        command: format!("order complete {id}"),
        order: Some(id),
        order_state_after: Some(after.state.as_str()),
        changes: changes(&before, &after.cards),
    };
    ctx.emit(&report, || {
        format!(
            "{}order {id} would be {}",
            report.render("no card would change"),
            after.state.as_str()
        )
    })
}

/// `order repeat ID --dry-run`.
pub fn repeat(
    ctx: &Context,
    store: &dyn Store,
    id: OrderId,
    misprinted: &[String],
) -> anyhow::Result<()> {
    let before = states_of(store, id)?;
    let after = store
        .preview_repeat(id, misprinted, &ctx.actor())
        .map_err(|e| super::cards::explain(ctx, e))?;
    let report = DryRun {
        dry_run: true,
        command: format!("order repeat {id}"),
        order: Some(id),
        order_state_after: None,
        changes: changes(&before, &after),
    };
    ctx.emit(&report, || {
        report.render("no failed or misprinted card to produce again")
    })
}
