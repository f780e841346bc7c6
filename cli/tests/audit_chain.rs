//! The tamper-evident audit log through the real binary: an attacker with write access to the
//! SQLite file (triggers dropped, rows edited, deleted, inserted, reordered, the tail cut) is
//! named by `cardline audit verify`; an untouched log verifies clean.

mod temp_home;

use std::os::unix::fs::PermissionsExt;

use rusqlite::Connection;
use serde_json::Value;
use temp_home::{cardline, fail, ok};

/// A home with a few audited actions, one by an operator other than the OS user.
fn home_with_entries() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    ok(&home, &["request", "--count", "3"]);
    ok(&home, &["--operator", "alice", "request", "--count", "2"]);
    ok(&home, &["order", "create", "--first", "2"]);
    home
}

/// Opens the database as the attacker does, with the append-only triggers dropped.
fn attacker(home: &tempfile::TempDir) -> Connection {
    let db = Connection::open(home.path().join("cardline.db")).unwrap();
    db.execute_batch(
        "DROP TRIGGER audit_is_append_only_update; DROP TRIGGER audit_is_append_only_delete;",
    )
    .unwrap();
    db
}

/// Runs `audit verify --json [extra]`; returns the exit code and the report.
fn verify(home: &tempfile::TempDir, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["--json", "audit", "verify"];
    args.extend_from_slice(extra);
    let out = cardline(home, &args);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), report)
}

fn findings(report: &Value) -> Vec<(String, Vec<i64>, Vec<i64>)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let ints = |k: &str| {
                f[k].as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_i64().unwrap())
                    .collect::<Vec<_>>()
            };
            (
                f["kind"].as_str().unwrap().to_string(),
                ints("entries"),
                ints("seqs"),
            )
        })
        .collect()
}

fn seq_of(db: &Connection, id: i64) -> i64 {
    db.query_row("SELECT seq FROM audit WHERE id = ?1", [id], |r| r.get(0))
        .unwrap()
}

#[test]
fn an_untouched_log_verifies_clean_and_records_the_os_user_beside_a_claimed_operator() {
    let home = home_with_entries();
    let (code, report) = verify(&home, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert!(findings(&report).is_empty());
    assert!(report["entries"].as_u64().unwrap() >= 9, "{report}");
    assert_eq!(report["legacy"], 0);
    let text = ok(&home, &["audit", "verify"]);
    assert!(text.contains("the audit log verifies"), "{text}");

    let db = Connection::open(home.path().join("cardline.db")).unwrap();
    let (operator, os_user, key_id, mac): (String, Option<String>, String, String) = db
        .query_row(
            "SELECT operator, os_user, key_id, mac FROM audit WHERE operator = 'alice' LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (operator.as_str(), os_user.as_deref()),
        ("alice", Some("tester"))
    );
    assert_eq!(key_id.len(), 16);
    assert_eq!(mac.len(), 64);
    let same: Option<String> = db
        .query_row(
            "SELECT os_user FROM audit WHERE operator = 'tester' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(same, None, "the OS user is recorded only when it differs");
    let mode = std::fs::metadata(home.path().join("keys/audit.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn an_edited_entry_is_named() {
    let home = home_with_entries();
    let db = attacker(&home);
    db.execute("UPDATE audit SET operator = 'nobody' WHERE id = 4", [])
        .unwrap();
    let (code, report) = verify(&home, &[]);
    assert_eq!(code, Some(4));
    assert_eq!(
        findings(&report),
        [("edited".to_string(), vec![4], vec![seq_of(&db, 4)])]
    );
    let out = cardline(&home, &["audit", "verify"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("entry #4"), "{text}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("failed verification"),
        "{out:?}"
    );
}

#[test]
fn an_edit_that_recomputes_the_hash_still_breaks_the_mac() {
    let home = home_with_entries();
    let db = attacker(&home);
    // The attacker knows the format but not the key: rewriting entry_hash does not help.
    db.execute(
        "UPDATE audit SET reason = 'nothing happened', entry_hash = prev_hash WHERE id = 5",
        [],
    )
    .unwrap();
    let (code, report) = verify(&home, &[]);
    assert_eq!(code, Some(4));
    let found = findings(&report);
    assert_eq!(found[0].0, "edited");
    assert_eq!(found[0].1, [5]);
}

#[test]
fn a_deleted_entry_is_a_sequence_gap() {
    let home = home_with_entries();
    let db = attacker(&home);
    let seq = seq_of(&db, 5);
    db.execute("DELETE FROM audit WHERE id = 5", []).unwrap();
    let (code, report) = verify(&home, &[]);
    assert_eq!(code, Some(4));
    assert_eq!(
        findings(&report),
        [("deleted".to_string(), vec![], vec![seq])]
    );
    let detail = report["findings"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("entry #4") && detail.contains("entry #6"),
        "{detail}"
    );
}

#[test]
fn inserted_entries_are_named_with_or_without_chain_fields() {
    let home = home_with_entries();
    let db = attacker(&home);
    let (writer, head): (String, i64) = db
        .query_row("SELECT writer, seq FROM audit_heads", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    // A forged entry continuing the chain, with a made-up MAC.
    db.execute(
        "INSERT INTO audit (at, operator, action, card_number, writer, seq, prev_hash, \
         entry_hash, mac, key_id) SELECT at, 'root', 'card.lock', card_number, writer, seq + 1, \
         entry_hash, entry_hash, mac, key_id FROM audit WHERE seq = ?1",
        [head],
    )
    .unwrap();
    let forged = db.last_insert_rowid();
    // A plain row as an older cardline would have written it.
    db.execute(
        "INSERT INTO audit (at, operator, action) VALUES ('2026-01-01T00:00:00Z', 'x', 'y')",
        [],
    )
    .unwrap();
    let plain = db.last_insert_rowid();
    let (code, report) = verify(&home, &[]);
    assert_eq!(code, Some(4));
    let found = findings(&report);
    assert!(
        found.contains(&("inserted".to_string(), vec![forged], vec![head + 1])),
        "{found:?} ({writer})"
    );
    assert!(
        found.contains(&("inserted".to_string(), vec![plain], vec![])),
        "{found:?}"
    );
    assert_eq!(found.len(), 2, "{found:?}");
}

#[test]
fn reordered_entries_are_named() {
    let home = home_with_entries();
    let db = attacker(&home);
    db.execute_batch(
        "UPDATE audit SET id = -1 WHERE id = 6; UPDATE audit SET id = 6 WHERE id = 7; \
         UPDATE audit SET id = 7 WHERE id = -1;",
    )
    .unwrap();
    let (code, report) = verify(&home, &[]);
    assert_eq!(code, Some(4));
    let found = findings(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "reordered");
    assert_eq!(found[0].1, [6, 7]);
}

#[test]
fn a_tail_cut_after_a_checkpoint_is_reported_and_a_forged_checkpoint_refused() {
    let home = home_with_entries();
    let cp = home.path().join("checkpoint.json");
    let written: Value = serde_json::from_str(&ok(
        &home,
        &[
            "--json",
            "audit",
            "checkpoint",
            "--out",
            cp.to_str().unwrap(),
        ],
    ))
    .unwrap();
    let signed = written["heads"][0]["seq"].as_i64().unwrap();
    let (code, _) = verify(&home, &["--checkpoint", cp.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    // A second checkpoint never replaces the first file.
    let err = fail(
        &home,
        &["audit", "checkpoint", "--out", cp.to_str().unwrap()],
    );
    assert!(err.contains("never replaced"), "{err}");

    // A careful attacker cuts the newest entries and rewinds the recorded head too.
    let db = attacker(&home);
    let keep = signed - 2;
    db.execute("DELETE FROM audit WHERE seq > ?1", [keep])
        .unwrap();
    db.execute(
        "UPDATE audit_heads SET seq = ?1, hash = (SELECT entry_hash FROM audit WHERE seq = ?1)",
        [keep],
    )
    .unwrap();
    // Without the checkpoint nothing shows: the limit docs/audit.md states.
    let (code, report) = verify(&home, &[]);
    assert_eq!((code, findings(&report)), (Some(0), vec![]));
    let (code, report) = verify(&home, &["--checkpoint", cp.to_str().unwrap()]);
    assert_eq!(code, Some(4));
    assert_eq!(
        findings(&report),
        [("tail_cut".to_string(), vec![], vec![signed - 1, signed])]
    );

    // An altered checkpoint (an earlier head claimed) is refused outright.
    let text = std::fs::read_to_string(&cp).unwrap();
    let forged = home.path().join("forged.json");
    let needle = format!(" {signed} ");
    assert!(text.contains(&needle));
    std::fs::write(&forged, text.replace(&needle, &format!(" {keep} "))).unwrap();
    let err = fail(
        &home,
        &["audit", "verify", "--checkpoint", forged.to_str().unwrap()],
    );
    assert!(err.contains("signature does not verify"), "{err}");
}

#[test]
fn a_cut_tail_shows_against_the_recorded_head() {
    let home = home_with_entries();
    let db = attacker(&home);
    let last: i64 = db
        .query_row("SELECT MAX(seq) FROM audit", [], |r| r.get(0))
        .unwrap();
    db.execute("DELETE FROM audit WHERE seq = ?1", [last])
        .unwrap();
    let (code, report) = verify(&home, &[]);
    assert_eq!(code, Some(4));
    assert_eq!(
        findings(&report),
        [("tail_cut".to_string(), vec![], vec![last])]
    );
}

#[test]
fn an_audit_key_readable_by_others_is_refused_with_the_fix() {
    let home = home_with_entries();
    let key = home.path().join("keys/audit.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = fail(&home, &["cards", "list"]);
    assert!(err.contains("chmod 600"), "{err}");
    assert!(err.contains("audit.key"), "{err}");
}

#[test]
fn a_checkpoint_verifies_off_the_machine_with_openssl_and_its_public_key() {
    let home = home_with_entries();
    let cp = home.path().join("cp.json");
    ok(
        &home,
        &["audit", "checkpoint", "--out", cp.to_str().unwrap()],
    );
    let parsed: Value = serde_json::from_str(&std::fs::read_to_string(&cp).unwrap()).unwrap();
    let dir = home.path();
    std::fs::write(dir.join("payload"), parsed["payload"].as_str().unwrap()).unwrap();
    std::fs::write(
        dir.join("sig.der"),
        hex::decode(parsed["signature"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("pub.pem"),
        parsed["public_key_pem"].as_str().unwrap(),
    )
    .unwrap();
    let run = |payload: &str| {
        std::process::Command::new("openssl")
            .args([
                "dgst",
                "-sha256",
                "-verify",
                "pub.pem",
                "-signature",
                "sig.der",
                payload,
            ])
            .current_dir(dir)
            .output()
    };
    let Ok(out) = run("payload") else {
        cardline_device::skipped!("openssl CLI not found, checkpoint not verified with openssl");
        return;
    };
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Verified OK"));
    let edited = parsed["payload"]
        .as_str()
        .unwrap()
        .replacen("head ", "head 00", 1);
    std::fs::write(dir.join("edited"), edited).unwrap();
    let out = run("edited").unwrap();
    assert!(!out.status.success(), "an edited payload must not verify");
}
