//! `cardline recover`: settles the production attempts a crashed run left in flight on the
//! stations of this home (also run automatically by `order produce`), and with
//! `--station OLD --as-lost` the attempts stranded on a station that no longer exists.
//!
//! A live run's attempts are never touched: recovery claims the stations first (a station
//! driven by a live run is left out and named), and settles only attempts whose run is gone.

use std::sync::Arc;

use cardline_issuance::production::{
    RecoveryOutcome, RecoveryReport, RunGuard, recover, settle_lost,
};
use cardline_issuance::store::ProductionJournal;

use crate::commands::produce::claim_and_open;
use crate::context::Context;

/// `recover` arguments.
#[derive(Debug, clap::Args)]
pub struct RecoverArgs {
    /// Settle the attempts stranded on this station (renamed or removed after a crash) as
    /// lost, instead of recovering the stations of the stations file. Needs `--as-lost`.
    #[arg(long, value_name = "OLD-NAME", requires = "as_lost")]
    pub station: Option<String>,
    /// With `--station`: void its stranded attempts as lost (audited `attempt.lost`); their
    /// cards wait for new blanks; destroy the physical cards if they turn up.
    #[arg(long, requires = "station")]
    pub as_lost: bool,
}

/// Runs `recover`.
pub fn run(ctx: &Context, args: RecoverArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let mut missing = Vec::new();
    let report = match &args.station {
        Some(old) => settle_lost(store.as_journal(), old, &ctx.actor())?,
        None => {
            let journal: Arc<dyn ProductionJournal> = store.clone();
            let run = RunGuard::start(journal, "recover", &ctx.actor())?;
            // Claimed before opened: a station a live run drives is never opened (its attempts
            // are that run's); one that cannot be opened is named, its attempts stay stranded.
            let (mut line, left_out) = claim_and_open(ctx, &run, &[], false, false)?;
            missing = left_out
                .iter()
                .filter(|l| l.kind == "missing")
                .map(|l| l.station.clone())
                .collect();
            let mut held = std::mem::take(&mut line.stations);
            let report = recover(store.as_journal(), &mut held, &ctx.actor())?;
            run.end()?;
            report
        }
    };
    ctx.emit(&report, || text(&report, &missing))?;
    if report.unsettled() > 0 {
        anyhow::bail!(
            "{} attempt(s) could not be settled: fix the station and run `cardline recover` again",
            report.unsettled()
        );
    }
    if report.stranded() > 0 && args.station.is_none() {
        anyhow::bail!(
            "{} attempt(s) are stranded on stations not configured here: recover them on the \
             host that has the station, or settle them with \
             `cardline recover --station NAME --as-lost`",
            report.stranded()
        );
    }
    Ok(())
}

fn text(report: &RecoveryReport, missing: &[String]) -> String {
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
            } => format!("{card}: NOT SETTLED on {station}: {reason}\n"),
            RecoveryOutcome::LiveRun {
                card,
                station,
                run,
                host,
                pid,
                ..
            } => format!(
                "{card}: being produced on {station} by run {run} (host {host}, pid {pid}): left alone\n"
            ),
            RecoveryOutcome::Stranded { card, station, .. } if missing.contains(station) => {
                format!(
                    "{card}: NOT SETTLED on {station}, which could not be opened: fix it and run \
                     `cardline recover` again\n"
                )
            }
            RecoveryOutcome::Stranded {
                card, station, run, ..
            } => format!(
                "{card}: STRANDED on {station} (run {} is gone), which is not configured here: \
                 `cardline recover --station {station} --as-lost` settles it\n",
                run.map_or("?".into(), |r| r.to_string())
            ),
        });
    }
    out
}
