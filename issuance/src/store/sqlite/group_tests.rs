//! Group commit on a database file: concurrent writes share one commit, each keeps its own
//! result, a failing member is rolled back alone, and what returned `Ok` survives a reopen.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use super::super::SqliteStore;
use crate::model::OrderSelection;
use crate::numbering::Numbering;
use crate::store::conformance::station_run;
use crate::store::*;

fn store_file() -> (tempfile::TempDir, std::path::PathBuf, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cardline.db");
    let store = SqliteStore::create(&path).unwrap();
    (dir, path, store)
}

fn test_writes() -> AuditFilter {
    AuditFilter {
        action: Some("test.write".into()),
        ..AuditFilter::default()
    }
}

/// Every audit entry links to the one before it in its writer's chain, seq 1, 2, 3, ...
fn chain_holds(store: &SqliteStore) {
    let records = store.audit_records().unwrap();
    let mut last: std::collections::HashMap<String, (i64, String)> = Default::default();
    for e in &records.entries {
        let c = e.chain.as_ref().expect("chained");
        if let Some((seq, hash)) = last.get(&c.writer) {
            assert_eq!(c.seq, seq + 1, "entry #{} follows its writer's last", e.id);
            assert_eq!(
                &c.prev_hash, hash,
                "entry #{} links to the one before",
                e.id
            );
        } else {
            assert_eq!(c.seq, 1);
        }
        last.insert(c.writer.clone(), (c.seq, c.entry_hash.clone()));
    }
}

/// The reasons of the test writes found after reopening the database at `path`, sorted (the
/// audit chain checked on the way).
fn durable_writes(path: &std::path::Path) -> Vec<String> {
    let reopened = SqliteStore::open(path).unwrap();
    chain_holds(&reopened);
    let mut reasons: Vec<String> = reopened
        .audit(&test_writes())
        .unwrap()
        .into_iter()
        .filter_map(|e| e.reason)
        .collect();
    reasons.sort();
    reasons
}

/// Waits until `n` threads are queued behind the open batch.
fn until_waiting(store: &SqliteStore, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.group.waiting() < n {
        assert!(Instant::now() < deadline, "the other writers never queued");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn writers_waiting_behind_an_open_batch_share_its_commit_and_each_keeps_its_result() {
    let (_dir, path, store) = store_file();
    let op = Actor("tester".into());
    let before = store.group.batches();
    let n = 12;
    let store = Arc::new(store);
    let results: Vec<_> = std::thread::scope(|s| {
        let leader = s.spawn(|| {
            store.write("test", &op, |w| {
                // Hold the batch open until every other writer waits to join it.
                until_waiting(&store, n - 1);
                w.audit("test.write", None, None, None, None, Some("leader"))?;
                Ok("leader".to_string())
            })
        });
        until_waiting_for_leader(&store, before);
        let others: Vec<_> = (1..n)
            .map(|i| {
                let (store, op) = (&store, &op);
                s.spawn(move || {
                    store.write("test", op, |w| {
                        w.audit("test.write", None, None, None, None, Some(&format!("w{i}")))?;
                        Ok(format!("w{i}"))
                    })
                })
            })
            .collect();
        std::iter::once(leader)
            .chain(others)
            .map(|h| h.join().unwrap().unwrap())
            .collect()
    });
    assert_eq!(results[0], "leader");
    for (i, r) in results.iter().enumerate().skip(1) {
        assert_eq!(r, &format!("w{i}"), "each writer gets its own result");
    }
    assert_eq!(
        store.group.batches() - before,
        1,
        "{n} writers that waited together committed once"
    );
    drop(store);
    let written = durable_writes(&path);
    assert_eq!(written.len(), n, "every member's write is durable");
}

#[test]
fn handed_writes_run_on_the_leaders_thread_share_its_commit_and_each_keeps_its_result() {
    let (_dir, path, store) = store_file();
    let op = Actor("tester".into());
    let before = store.group.batches();
    let n = 9;
    let store = Arc::new(store);
    let (leader_thread, handed) = std::thread::scope(|s| {
        let leader = s.spawn(|| {
            store.write("test", &op, |w| {
                until_waiting(&store, n - 1);
                w.audit("test.write", None, None, None, None, Some("leader"))?;
                Ok(std::thread::current().id())
            })
        });
        until_waiting_for_leader(&store, before);
        let members: Vec<_> = (1..n)
            .map(|i| {
                let (store, op) = (&store, &op);
                s.spawn(move || {
                    let reason = format!("w{i}");
                    let result = store.write_owned("test", op, move |w| {
                        w.audit("test.write", None, None, None, None, Some(&reason))?;
                        Ok((reason, std::thread::current().id()))
                    });
                    (i, std::thread::current().id(), result.unwrap())
                })
            })
            .collect();
        let leader = leader.join().unwrap().unwrap();
        let handed: Vec<_> = members.into_iter().map(|h| h.join().unwrap()).collect();
        (leader, handed)
    });
    for (i, own_thread, (reason, ran_on)) in &handed {
        assert_eq!(reason, &format!("w{i}"), "each member gets its own result");
        assert_eq!(ran_on, &leader_thread, "the leader ran member {i}'s write");
        assert_ne!(own_thread, &leader_thread);
    }
    assert_eq!(store.group.batches() - before, 1, "one commit for all");
    drop(store);
    assert_eq!(
        durable_writes(&path).len(),
        n,
        "every handed write is durable"
    );
}

#[test]
fn a_handed_write_that_fails_or_panics_is_rolled_back_alone() {
    let (_dir, path, store) = store_file();
    let op = Actor("tester".into());
    let before = store.group.batches();
    let store = Arc::new(store);
    let (failed, panicked, kept) = std::thread::scope(|s| {
        let leader = s.spawn(|| {
            store.write("test", &op, |w| {
                until_waiting(&store, 3);
                w.audit("test.write", None, None, None, None, Some("kept-1"))
            })
        });
        until_waiting_for_leader(&store, before);
        let failing = s.spawn(|| {
            store.write_owned("test", &op, |w| -> Result<(), StoreError> {
                w.audit("test.write", None, None, None, None, Some("dropped"))?;
                Err(StoreError::Backend {
                    operation: "test".into(),
                    detail: "refused on purpose".into(),
                })
            })
        });
        let panicking = s.spawn(|| {
            store.write_owned("test", &op, |w| -> Result<(), StoreError> {
                w.audit("test.write", None, None, None, None, Some("dropped too"))?;
                panic!("a handed write panicked on purpose")
            })
        });
        let other = s.spawn(|| {
            store.write_owned("test", &op, |w| {
                w.audit("test.write", None, None, None, None, Some("kept-2"))
            })
        });
        leader.join().unwrap().unwrap();
        (
            failing.join().unwrap(),
            panicking.join(),
            other.join().unwrap(),
        )
    });
    assert!(
        failed
            .unwrap_err()
            .to_string()
            .contains("refused on purpose")
    );
    assert!(panicked.is_err(), "the panic reaches its own thread");
    kept.unwrap();
    assert_eq!(store.group.batches() - before, 1, "one shared commit");
    drop(store);
    assert_eq!(durable_writes(&path), ["kept-1", "kept-2"]);
}

/// Waits until the leader has opened its batch.
fn until_waiting_for_leader(store: &SqliteStore, before: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.group.batches() == before {
        assert!(Instant::now() < deadline, "the leader never began");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_failing_member_is_rolled_back_alone_and_the_others_commit() {
    let (_dir, path, store) = store_file();
    let op = Actor("tester".into());
    let before = store.group.batches();
    let store = Arc::new(store);
    let (ok_a, failed, ok_b) = std::thread::scope(|s| {
        let leader = s.spawn(|| {
            store.write("test", &op, |w| {
                until_waiting(&store, 2);
                w.audit("test.write", None, None, None, None, Some("kept-1"))?;
                Ok(())
            })
        });
        until_waiting_for_leader(&store, before);
        let failing = s.spawn(|| {
            store.write("test", &op, |w| -> Result<(), StoreError> {
                w.audit("test.write", None, None, None, None, Some("dropped"))?;
                Err(StoreError::Backend {
                    operation: "test".into(),
                    detail: "refused on purpose".into(),
                })
            })
        });
        let other = s.spawn(|| {
            store.write("test", &op, |w| {
                w.audit("test.write", None, None, None, None, Some("kept-2"))
            })
        });
        (
            leader.join().unwrap(),
            failing.join().unwrap(),
            other.join().unwrap(),
        )
    });
    ok_a.unwrap();
    ok_b.unwrap();
    assert!(
        failed
            .unwrap_err()
            .to_string()
            .contains("refused on purpose"),
        "the failing member gets its own error"
    );
    assert_eq!(store.group.batches() - before, 1, "one shared commit");
    drop(store);
    assert_eq!(durable_writes(&path), ["kept-1", "kept-2"]);
}

/// The leader's operation runs without a savepoint (it is the first of its transaction): when
/// it fails, the whole transaction is rolled back, and the writers queued behind it commit in
/// a batch of their own.
#[test]
fn a_failing_leader_is_rolled_back_whole_and_the_writers_queued_behind_it_commit() {
    let (_dir, path, store) = store_file();
    let op = Actor("tester".into());
    let before = store.group.batches();
    let store = Arc::new(store);
    let (failed, ok) = std::thread::scope(|s| {
        let leader = s.spawn(|| {
            store.write("test", &op, |w| -> Result<(), StoreError> {
                until_waiting(&store, 1);
                w.audit("test.write", None, None, None, None, Some("dropped"))?;
                Err(StoreError::Backend {
                    operation: "test".into(),
                    detail: "refused on purpose".into(),
                })
            })
        });
        until_waiting_for_leader(&store, before);
        let other = s.spawn(|| {
            store.write("test", &op, |w| {
                w.audit("test.write", None, None, None, None, Some("kept"))
            })
        });
        (leader.join().unwrap(), other.join().unwrap())
    });
    assert!(
        failed
            .unwrap_err()
            .to_string()
            .contains("refused on purpose"),
        "the leader gets its own error"
    );
    ok.unwrap();
    assert_eq!(
        store.group.batches() - before,
        2,
        "the queued writer opened a batch of its own"
    );
    drop(store);
    assert_eq!(durable_writes(&path), ["kept"]);
}

#[test]
fn stations_claiming_at_once_each_get_a_distinct_card_and_every_claim_is_durable() {
    let (_dir, path, store) = store_file();
    let op = Actor("tester".into());
    let stations = 32;
    store
        .request_cards(stations + 8, &Numbering::default(), &op)
        .unwrap();
    let order = store.create_order(&OrderSelection::All, &op).unwrap().id;
    let runs: Vec<_> = (0..stations)
        .map(|i| station_run(&store, &format!("st-{i}")))
        .collect();
    let before = store.group.batches();
    let start = Barrier::new(stations as usize);
    let claims: Vec<(String, AttemptId)> = std::thread::scope(|s| {
        let handles: Vec<_> = runs
            .iter()
            .enumerate()
            .map(|(i, run)| {
                let (store, op, start) = (&store, &op, &start);
                s.spawn(move || {
                    start.wait();
                    let (card, attempt) = store
                        .begin_attempt(*run, order, &format!("st-{i}"), op)
                        .unwrap()
                        .expect("a card waits for every station");
                    (card.number, attempt)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let batches = store.group.batches() - before;
    let mut numbers: Vec<&String> = claims.iter().map(|(n, _)| n).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), stations as usize, "no card claimed twice");
    assert!(batches >= 1 && batches <= u64::from(stations));
    drop(store);
    let reopened = SqliteStore::open(&path).unwrap();
    for (number, attempt) in &claims {
        let attempts = reopened.attempts_of_card(number).unwrap();
        assert!(
            attempts
                .iter()
                .any(|a| a.id == *attempt && a.status == AttemptStatus::InFlight),
            "the claim of {number} (attempt {attempt}) survived the reopen: {attempts:?}"
        );
    }
    println!("{stations} claims at once committed in {batches} batches");
}
