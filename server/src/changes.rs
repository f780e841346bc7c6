//! One change watcher per server: a single task reads the store's cheap change mark
//! ([`ProductionJournal::change_mark`]) every [`TICK`] while at least one live page listens,
//! and wakes every listener when it moved, with the store time of the change. So a thousand
//! open order pages cost one tiny query every 100 ms, not a thousand reads of their orders;
//! each page re-reads its order only when something changed.
//!
//! A backend without a cheap mark (`None`) wakes the listeners every [`FALLBACK`] instead.
//!
//! [`ProductionJournal::change_mark`]: cardline_issuance::store::ProductionJournal::change_mark

use std::sync::{Arc, Weak};
use std::time::Duration;

use cardline_issuance::store::Store;
use tokio::sync::{OnceCell, watch};

/// How often the watcher reads the change mark.
pub const TICK: Duration = Duration::from_millis(100);
/// How often listeners are woken when the backend has no change mark.
pub const FALLBACK: Duration = Duration::from_secs(1);

/// What listeners see: a counter that moves on every change and the change's store time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// Moves on every change seen.
    pub seq: u64,
    /// The store time (RFC 3339) of the newest change, when the backend knows it.
    pub at: Option<String>,
}

/// The server's change watcher (started by its first listener).
pub struct Changes {
    tx: Arc<watch::Sender<Change>>,
    started: OnceCell<()>,
}

impl Default for Changes {
    fn default() -> Self {
        Changes {
            tx: Arc::new(watch::channel(Change::default()).0),
            started: OnceCell::new(),
        }
    }
}

impl Changes {
    /// Listens to changes; the first call starts the watcher task (which ends when the
    /// server's state is dropped) once it has read the mark every later change is compared
    /// with, so a change made after this returns is always seen.
    pub async fn subscribe(&self, store: Arc<dyn Store>) -> watch::Receiver<Change> {
        let rx = self.tx.subscribe();
        self.started
            .get_or_init(|| async {
                let s = store.clone();
                let baseline = tokio::task::spawn_blocking(move || s.as_journal().change_mark())
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .flatten()
                    .map(|m| m.mark);
                tokio::spawn(watch_store(Arc::downgrade(&self.tx), store, baseline));
            })
            .await;
        rx
    }
}

async fn watch_store(
    tx: Weak<watch::Sender<Change>>,
    store: Arc<dyn Store>,
    mut last: Option<String>,
) {
    let mut seq = 0u64;
    let mut since_fallback = Duration::ZERO;
    loop {
        tokio::time::sleep(TICK).await;
        let Some(sender) = tx.upgrade() else { return };
        if sender.receiver_count() == 0 {
            continue;
        }
        let s = store.clone();
        let mark = tokio::task::spawn_blocking(move || s.as_journal().change_mark()).await;
        match mark {
            Ok(Ok(Some(m))) => {
                if last.as_deref() != Some(m.mark.as_str()) {
                    seq += 1;
                    sender.send_replace(Change {
                        seq,
                        at: Some(m.at),
                    });
                    last = Some(m.mark);
                }
            }
            Ok(Ok(None)) => {
                since_fallback += TICK;
                if since_fallback >= FALLBACK {
                    since_fallback = Duration::ZERO;
                    seq += 1;
                    sender.send_replace(Change { seq, at: None });
                }
            }
            // A busy or failing store: try again at the next tick.
            Ok(Err(e)) => tracing::debug!(error = %e, "change mark not read"),
            Err(_) => return,
        }
    }
}
