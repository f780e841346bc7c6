//! Time synchronisation: certificates are issued from this PC's clock, so a clock that is not
//! synchronised can issue certificates that are not yet valid, or already expired, where they
//! are checked. Asks `timedatectl show --property=NTPSynchronized --value` (systemd); where
//! that cannot answer (no systemd, e.g. a container) the check is a warning, not a problem.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::Check;

const FAMILY: &str = "clock";
/// How long `timedatectl` may take.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Most bytes of its output read.
const MAX_OUTPUT: u64 = 4096;

const FIX: &str = "synchronise the clock with NTP: `timedatectl set-ntp true` (systemd-timesyncd) or install chrony";

/// Checks that the clock is synchronised, asking `timedatectl` (a path or a name in `PATH`).
pub(crate) fn check(timedatectl: &Path, out: &mut Vec<Check>) {
    match ask(timedatectl) {
        Ok(answer) if answer == "yes" => out.push(Check::ok(
            FAMILY,
            "sync",
            "synchronised (timedatectl: NTPSynchronized=yes)",
        )),
        Ok(answer) if answer == "no" => out.push(Check::warning(
            FAMILY,
            "sync",
            "not synchronised (timedatectl: NTPSynchronized=no): the clock may be skewed, and certificates issued now may not be valid where they are checked",
            FIX,
        )),
        Ok(other) => out.push(Check::warning(
            FAMILY,
            "sync",
            format!("timedatectl answered `{other}` instead of yes or no"),
            FIX,
        )),
        Err(why) => out.push(Check::warning(
            FAMILY,
            "sync",
            format!("cannot tell whether the clock is synchronised: {why}"),
            FIX,
        )),
    }
}

/// The first line of `timedatectl show --property=NTPSynchronized --value`, or why not.
fn ask(program: &Path) -> Result<String, String> {
    let shown = program.display();
    let mut child = Command::new(program)
        .args(["show", "--property=NTPSynchronized", "--value"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{shown} cannot run ({e})"))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{shown} did not answer within {} s",
                    TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("{shown}: {e}")),
        }
    };
    let read = |pipe: Option<&mut dyn Read>| {
        let mut text = String::new();
        if let Some(p) = pipe {
            let _ = p.take(MAX_OUTPUT).read_to_string(&mut text);
        }
        text
    };
    let stdout = read(child.stdout.as_mut().map(|p| p as &mut dyn Read));
    let stderr = read(child.stderr.as_mut().map(|p| p as &mut dyn Read));
    if !status.success() {
        let why = stderr.lines().next().unwrap_or("").trim().to_string();
        return Err(format!("{shown} failed ({status}): {why}"));
    }
    Ok(stdout.lines().next().unwrap_or("").trim().to_string())
}
