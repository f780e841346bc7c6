//! `cardline recover`: settles the production attempts a crash left in flight (also run
//! automatically by `order produce`).

use cardline_issuance::production::{RecoveryOutcome, recover};

use crate::context::Context;

/// `recover` arguments.
#[derive(Debug, clap::Args)]
pub struct RecoverArgs {}

/// Runs `recover`.
pub fn run(ctx: &Context, _args: RecoverArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let mut line = crate::stations_registry::open_home_stations(ctx, &[])?;
    let report = recover(store.as_ref(), &mut line.stations, &ctx.actor())?;
    ctx.emit(&report, || {
        if report.outcomes.is_empty() {
            return "nothing to recover: no production attempt was left in flight".into();
        }
        let mut out = String::new();
        for o in &report.outcomes {
            out.push_str(&match o {
                RecoveryOutcome::Completed { card, reason, .. } => {
                    format!("{card}: completed ({reason})\n")
                }
                RecoveryOutcome::Voided { card, reason, .. } => {
                    format!("{card}: voided, will be produced again ({reason})\n")
                }
                RecoveryOutcome::Unsettled {
                    card,
                    station,
                    reason,
                    ..
                } => {
                    format!("{card}: NOT SETTLED on {station}: {reason}\n")
                }
                RecoveryOutcome::OtherStation { card, station, .. } => {
                    format!(
                        "{card}: in flight on {station}, which is not configured here: left alone\n"
                    )
                }
            });
        }
        out
    })?;
    if report.unsettled() > 0 {
        anyhow::bail!(
            "{} attempt(s) could not be settled: fix the station and run `cardline recover` again",
            report.unsettled()
        );
    }
    Ok(())
}
