//! Who owns production: runs, their leases and heartbeats, station claims, and the rule that
//! decides when a run is provably gone.
//!
//! Every production process registers a [`Run`] (host, pid, the pid's start time) holding a
//! lease that a [`Heartbeat`] thread renews while the process lives. A station is driven by
//! one run at a time: [`claim_station`] takes it, or reports the live owner. Recovery settles
//! an attempt only when its run [`is_gone`]: the run ended, its lease ran out, or it ran on
//! this host and its process no longer exists (or the pid now belongs to another process).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{Actor, ProductionJournal, StoreError};
use crate::model::{Run, RunId};

/// How long a run's lease lasts without a heartbeat.
pub const LEASE: Duration = Duration::from_secs(30);
/// How often a live run renews its lease.
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// What a run records about itself when it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunStart {
    /// `produce`, `encode`, `recover`, `desk`.
    pub kind: String,
    /// This host's name.
    pub host: String,
    /// This process's id.
    pub pid: u32,
    /// This process's start time in clock ticks since boot, when known.
    pub pid_started: Option<u64>,
    /// The lease to take.
    pub lease: Duration,
    /// The desk name, for a desk daemon.
    pub desk: Option<String>,
}

impl RunStart {
    /// This process, for a run of `kind`.
    pub fn this_process(kind: &str) -> RunStart {
        let pid = std::process::id();
        RunStart {
            kind: kind.to_string(),
            host: host_name(),
            pid,
            pid_started: process_start_ticks(pid),
            lease: LEASE,
            desk: None,
        }
    }

    /// This process as the desk daemon `desk`.
    pub fn desk(desk: &str) -> RunStart {
        RunStart {
            desk: Some(desk.to_string()),
            ..RunStart::this_process("desk")
        }
    }
}

/// This host's name (`/proc/sys/kernel/hostname`, `$HOSTNAME`, else `localhost`).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".into())
}

/// The start time of process `pid` in clock ticks since boot (field 22 of `/proc/PID/stat`);
/// `None` when the process does not exist or /proc does not tell.
pub fn process_start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces and parentheses: fields resume after the
    // last `)`.
    let after = &stat[stat.rfind(')')? + 2..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// True when the process that started `run` on this host no longer exists: its pid is gone,
/// or now belongs to a process started at another time.
pub fn process_is_gone(run: &Run) -> bool {
    match process_start_ticks(run.pid) {
        None => true,
        Some(now) => run.pid_started.is_some_and(|then| then != now),
    }
}

/// The rule recovery and station claims follow: a run is provably gone when it ended, when
/// its lease ran out (by the store's clock), or when it ran on this host and its process is
/// gone. A live run's attempts and stations are never touched.
pub fn is_gone(run: &Run, this_host: &str) -> bool {
    run.ended_at.is_some() || run.lease_expired || (run.host == this_host && process_is_gone(run))
}

/// Claims `station` for `run`: takes it when free or when its owner is provably gone
/// ([`is_gone`]); otherwise refuses with [`StoreError::StationInUse`] naming the owner.
pub fn claim_station(
    store: &dyn ProductionJournal,
    run: RunId,
    station: &str,
    actor: &Actor,
) -> Result<(), StoreError> {
    let host = host_name();
    let mut take_over_from = None;
    for _ in 0..3 {
        match store.claim_station(run, station, take_over_from, actor)? {
            Ok(()) => return Ok(()),
            Err(owner) if owner.id == run => return Ok(()),
            Err(owner) if is_gone(&owner, &host) => take_over_from = Some(owner.id),
            Err(owner) => {
                return Err(StoreError::StationInUse {
                    station: station.to_string(),
                    run: owner.id,
                    host: owner.host,
                    pid: owner.pid,
                    since: owner.started_at,
                });
            }
        }
    }
    Err(StoreError::Conflict {
        operation: format!("claiming station {station}"),
        detail: "its owner changed three times while taking it over".into(),
    })
}

/// Renews a run's lease from a background thread until dropped (then the run is ended by
/// its owner, not here).
pub struct Heartbeat {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    /// Starts renewing `run`'s lease every [`HEARTBEAT`]. A renewal that fails is logged and
    /// tried again at the next beat; the lease ([`LEASE`]) outlasts several missed beats.
    pub fn start(store: Arc<dyn ProductionJournal>, run: RunId) -> Heartbeat {
        Self::start_every(store, run, HEARTBEAT, LEASE)
    }

    /// Like [`start`](Self::start) with other timings (tests).
    pub fn start_every(
        store: Arc<dyn ProductionJournal>,
        run: RunId,
        every: Duration,
        lease: Duration,
    ) -> Heartbeat {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("heartbeat-{run}"))
            .spawn(move || {
                // Parked between beats: dropping the heartbeat unparks it, so a run ends at
                // once (a sleeping tick made every run's end wait up to 20 ms more).
                let mut next = std::time::Instant::now() + every;
                while !flag.load(Ordering::SeqCst) {
                    let now = std::time::Instant::now();
                    if now < next {
                        std::thread::park_timeout(next - now);
                        continue;
                    }
                    next = now + every;
                    if let Err(e) = store.renew_lease(run, lease) {
                        tracing::warn!(run, "lease renewal failed: {e}");
                    }
                }
            })
            .expect("the heartbeat thread starts");
        Heartbeat {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(host: &str, pid: u32, started: Option<u64>) -> Run {
        Run {
            id: 1,
            kind: "produce".into(),
            host: host.into(),
            pid,
            pid_started: started,
            operator: "t".into(),
            started_at: "2026-11-29T00:00:00.000Z".into(),
            lease_until: "2026-11-29T00:00:30.000Z".into(),
            desk: None,
            lease_expired: false,
            ended_at: None,
        }
    }

    #[test]
    fn this_process_is_alive_and_a_reused_pid_is_not() {
        let me = RunStart::this_process("produce");
        assert!(me.pid_started.is_some(), "/proc tells our start time");
        let alive = run(&me.host, me.pid, me.pid_started);
        assert!(!is_gone(&alive, &me.host));
        let reused = run(&me.host, me.pid, me.pid_started.map(|t| t + 1));
        assert!(is_gone(&reused, &me.host), "same pid, other start time");
        // pid_max is at most 2^22: this pid cannot exist.
        let dead = run(&me.host, 4_194_305, Some(1));
        assert!(is_gone(&dead, &me.host));
    }

    #[test]
    fn another_host_is_judged_by_its_lease_and_end_only() {
        let other = run("elsewhere", 4_194_305, Some(1));
        assert!(
            !is_gone(&other, "here"),
            "a dead-looking pid on another host proves nothing"
        );
        let expired = Run {
            lease_expired: true,
            ..other.clone()
        };
        assert!(is_gone(&expired, "here"));
        let ended = Run {
            ended_at: Some("2026-11-29T00:01:00.000Z".into()),
            ..other
        };
        assert!(is_gone(&ended, "here"));
    }
}
