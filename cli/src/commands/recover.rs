//! `cardline recover`: settles the production attempts a crash left in flight (also run
//! automatically by `order produce`).

use cardline_issuance::production::{RecoveryOutcome, recover};

use crate::commands::produce::open_home_line;
use crate::context::Context;

/// `recover` arguments.
#[derive(Debug, clap::Args)]
pub struct RecoverArgs {}

/// Runs `recover`.
pub fn run(ctx: &Context, _args: RecoverArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    // Stations that cannot be opened are reported on stderr (stdout carries the report).
    let mut line = open_home_line(ctx, &[], false)?;
    let report = recover(store.as_ref(), &mut line.stations, &ctx.actor())?;
    let is_missing = |station: &str| line.missing.iter().any(|m| m.name == station);
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
                RecoveryOutcome::OtherStation { card, station, .. } if is_missing(station) => {
                    format!(
                        "{card}: NOT SETTLED: in flight on {station}, which could not be opened\n"
                    )
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
    let on_missing = report
        .outcomes
        .iter()
        .filter(
            |o| matches!(o, RecoveryOutcome::OtherStation { station, .. } if is_missing(station)),
        )
        .count();
    if report.unsettled() + on_missing > 0 {
        anyhow::bail!(
            "{} attempt(s) could not be settled: fix the station and run `cardline recover` again",
            report.unsettled() + on_missing
        );
    }
    Ok(())
}
