//! [`RunGuard`]: this process as a production run — registered with a lease its heartbeat
//! renews, holding claims on the stations it drives, ended (claims released) when dropped.

use std::sync::Arc;

use super::Station;
use crate::model::{Run, RunId};
use crate::store::ownership::{Heartbeat, RunStart, claim_station};
use crate::store::{Actor, ProductionJournal, StoreError};

/// A station this run could not claim, and why (its owner, with [`StoreError::StationInUse`]).
#[derive(Debug)]
pub struct ClaimRefusal {
    /// The station.
    pub station: String,
    /// Why.
    pub error: StoreError,
}

/// This process as a production run. Dropping it ends the run (best effort; a run that
/// cannot be ended is gone anyway once its lease runs out).
pub struct RunGuard {
    store: Arc<dyn ProductionJournal>,
    run: Run,
    heartbeat: Option<Heartbeat>,
}

impl std::fmt::Debug for RunGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunGuard").field("run", &self.run).finish()
    }
}

impl RunGuard {
    /// Registers this process as a run of `kind` and starts its heartbeat.
    pub fn start(
        store: Arc<dyn ProductionJournal>,
        kind: &str,
        actor: &Actor,
    ) -> Result<RunGuard, StoreError> {
        Self::start_with(store, &RunStart::this_process(kind), actor)
    }

    /// Registers this process as the run `start` describes (a desk daemon:
    /// [`RunStart::desk`]) and starts its heartbeat.
    pub fn start_with(
        store: Arc<dyn ProductionJournal>,
        start: &RunStart,
        actor: &Actor,
    ) -> Result<RunGuard, StoreError> {
        let run = store.start_run(start, actor)?;
        tracing::info!(run = run.id, kind = %start.kind, desk = ?start.desk, "production run started");
        let heartbeat = Some(Heartbeat::start(store.clone(), run.id));
        Ok(RunGuard {
            store,
            run,
            heartbeat,
        })
    }

    /// The run's id.
    pub fn id(&self) -> RunId {
        self.run.id
    }

    /// The run as registered.
    pub fn run(&self) -> &Run {
        &self.run
    }

    /// Claims one station (see [`claim_station`]).
    pub fn claim(&self, station: &str, actor: &Actor) -> Result<(), StoreError> {
        claim_station(&*self.store, self.run.id, station, actor)
    }

    /// Releases a station this run claimed (it could not be opened, say).
    pub fn release(&self, station: &str) -> Result<(), StoreError> {
        self.store.release_station(self.run.id, station)
    }

    /// Claims the stations `names` at once, one thread each, so their writes share commits
    /// (64 stations claimed one after the other cost 64 serialized `fsync`s on SQLite, some
    /// 40 ms before the first card). Results come in the order of `names`.
    pub fn claim_each(&self, names: &[&str], actor: &Actor) -> Vec<Result<(), StoreError>> {
        if names.len() < 2 {
            return names.iter().map(|n| self.claim(n, actor)).collect();
        }
        std::thread::scope(|scope| {
            let claims: Vec<_> = names
                .iter()
                .map(|name| scope.spawn(move || self.claim(name, actor)))
                .collect();
            claims
                .into_iter()
                .map(|c| {
                    c.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    }

    /// Claims every station; those held by a live run are left out and reported.
    pub fn claim_all(
        &self,
        stations: Vec<Station>,
        actor: &Actor,
    ) -> Result<(Vec<Station>, Vec<ClaimRefusal>), StoreError> {
        let mut claimed = Vec::with_capacity(stations.len());
        let mut refused = Vec::new();
        let names: Vec<&str> = stations.iter().map(|s| s.name.as_str()).collect();
        let results = self.claim_each(&names, actor);
        for (station, result) in stations.into_iter().zip(results) {
            match result {
                Ok(()) => claimed.push(station),
                Err(e @ StoreError::StationInUse { .. }) => refused.push(ClaimRefusal {
                    station: station.name.clone(),
                    error: e,
                }),
                Err(e) => return Err(e),
            }
        }
        Ok((claimed, refused))
    }

    /// Ends the run now: its stations are released.
    pub fn end(mut self) -> Result<(), StoreError> {
        self.finish()
    }

    fn finish(&mut self) -> Result<(), StoreError> {
        if self.heartbeat.take().is_some() {
            tracing::info!(run = self.run.id, "production run ended");
            return self.store.end_run(self.run.id);
        }
        Ok(())
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        if let Err(e) = self.finish() {
            tracing::warn!(run = self.run.id, "ending the production run failed: {e}");
        }
    }
}
