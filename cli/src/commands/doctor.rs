//! `cardline doctor`: what production on this PC needs, checked in order, one line per check
//! with ok / warning / problem and the fix (the checks are `cardline_app::doctor`'s). Exits 1
//! when a problem stops production; warnings alone exit 0.

use std::path::PathBuf;

use cardline_app::doctor::{Doctor, Level, Report};

use crate::context::Context;

/// Arguments of `cardline doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// The program asked whether the clock is synchronised (for systems where timedatectl is
    /// elsewhere, and tests).
    #[arg(
        long,
        env = "CARDLINE_TIMEDATECTL",
        default_value = "timedatectl",
        hide = true
    )]
    timedatectl: PathBuf,
}

/// Runs the checks and prints the report.
pub fn run(ctx: &Context, args: DoctorArgs) -> anyhow::Result<()> {
    let mut doctor = Doctor::new(ctx.home_dir());
    doctor.timedatectl = args.timedatectl;
    let report = doctor.run();
    ctx.emit(&report, || text(&report))?;
    let problems = report.count(Level::Problem);
    if problems > 0 {
        anyhow::bail!(
            "{problems} problem(s) stop production on this PC: apply the fixes above, then run `cardline doctor` again"
        );
    }
    Ok(())
}

fn text(report: &Report) -> String {
    let mut out = format!("cardline doctor: home {}\n", report.home);
    for c in &report.checks {
        out.push_str(&format!(
            "{:<8} {:<8} {}: {}\n",
            c.level.as_str(),
            c.family,
            c.name,
            c.detail
        ));
        if let Some(fix) = &c.fix {
            out.push_str(&format!("{:<17} fix: {fix}\n", ""));
        }
    }
    out.push_str(&format!(
        "{} ok, {} warning(s), {} problem(s)\n",
        report.count(Level::Ok),
        report.count(Level::Warning),
        report.count(Level::Problem)
    ));
    out
}
