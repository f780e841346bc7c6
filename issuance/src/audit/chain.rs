//! The chain: how one audit entry is bound to its writer, its sequence number, the entry before
//! it and the audit key. Backend-neutral: every store computes [`AuditSealer::seal`] inside the
//! transaction that writes the entry, from the writer's head it read (and locked) there.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::key::AuditKey;

/// The `prev_hash` of a writer's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Format label hashed first, so a future format cannot be confused with this one.
const FORMAT: &[u8] = b"cardline-audit-entry-v1";

/// What an audit entry says (everything the MAC covers besides the chain fields).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryContent {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The operator recorded (the OS user unless `--operator` named someone).
    pub operator: String,
    /// The OS user of the process, when it differs from `operator`.
    pub os_user: Option<String>,
    /// The action (`card.assign`).
    pub action: String,
    /// The card concerned.
    pub card_number: Option<String>,
    /// The order concerned.
    pub order_id: Option<i64>,
    /// State before.
    pub from_state: Option<String>,
    /// State after.
    pub to_state: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

/// The chain fields of an entry, as stored next to its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainFields {
    /// The writer (host, or host/desk) whose chain the entry is in.
    pub writer: String,
    /// 1, 2, 3, ... per writer.
    pub seq: i64,
    /// `entry_hash` of the writer's previous entry ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// SHA-256 of the canonical encoding (content and the fields above), hex.
    pub entry_hash: String,
    /// HMAC-SHA256 of the canonical encoding under the audit key (`None`: written without a key).
    pub mac: Option<String>,
    /// Id of the audit key that made `mac`.
    pub key_id: Option<String>,
}

/// The newest entry of one writer: where its next entry links.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriterHead {
    /// The writer.
    pub writer: String,
    /// Its newest sequence number.
    pub seq: i64,
    /// That entry's hash.
    pub hash: String,
}

/// Who writes entries and with which key. A store without a key still chains entries (sequence
/// numbers and hashes) but cannot MAC them: `audit verify` reports such entries as unprotected.
#[derive(Clone, Debug)]
pub struct AuditSealer {
    /// The writer name (this host, or `host/desk` for a desk daemon).
    pub writer: String,
    /// The audit key (`None`: entries are chained but not MACed).
    pub key: Option<AuditKey>,
    /// The OS user of this process, recorded on an entry when the operator differs.
    pub os_user: Option<String>,
}

impl AuditSealer {
    /// A sealer for `writer` with `key`.
    pub fn new(writer: impl Into<String>, key: Option<AuditKey>) -> Self {
        Self {
            writer: writer.into(),
            key,
            os_user: None,
        }
    }

    /// The same sealer recording `os_user` next to a differing operator.
    pub fn with_os_user(mut self, os_user: impl Into<String>) -> Self {
        self.os_user = Some(os_user.into());
        self
    }

    /// The OS user to record on an entry of `operator` (`None` when they are the same).
    pub fn os_user_for(&self, operator: &str) -> Option<String> {
        self.os_user.clone().filter(|u| u != operator)
    }

    /// The chain fields of the entry after `head` (`None`: the writer's first entry).
    pub fn seal(&self, content: &EntryContent, head: Option<&WriterHead>) -> ChainFields {
        self.seal_as(&self.writer, content, head)
    }

    /// The chain fields of the entry after `head` in the chain of `writer`, one of this
    /// writer's chains (a PostgreSQL store keeps one per connection: `host/desk#2`).
    pub fn seal_as(
        &self,
        writer: &str,
        content: &EntryContent,
        head: Option<&WriterHead>,
    ) -> ChainFields {
        let (seq, prev_hash) = match head {
            Some(h) => (h.seq + 1, h.hash.clone()),
            None => (1, GENESIS_HASH.to_string()),
        };
        let key_id = self.key.as_ref().map(AuditKey::key_id);
        let bytes = canonical(content, writer, seq, &prev_hash, key_id.as_deref());
        ChainFields {
            writer: writer.to_string(),
            seq,
            prev_hash,
            entry_hash: hex::encode(Sha256::digest(&bytes)),
            mac: self.key.as_ref().map(|k| k.mac_hex(&bytes)),
            key_id,
        }
    }
}

/// The bytes an entry's hash and MAC cover: a format label, then every field as a presence
/// byte, a 4-byte big-endian length and the UTF-8 bytes, so no two entries encode alike.
pub fn canonical(
    content: &EntryContent,
    writer: &str,
    seq: i64,
    prev_hash: &str,
    key_id: Option<&str>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(FORMAT);
    let seq = seq.to_string();
    let order = content.order_id.map(|o| o.to_string());
    let fields: [Option<&str>; 13] = [
        Some(writer),
        Some(&seq),
        Some(prev_hash),
        key_id,
        Some(&content.at),
        Some(&content.operator),
        content.os_user.as_deref(),
        Some(&content.action),
        content.card_number.as_deref(),
        order.as_deref(),
        content.from_state.as_deref(),
        content.to_state.as_deref(),
        content.reason.as_deref(),
    ];
    for field in fields {
        match field {
            None => out.push(0),
            Some(s) => {
                out.push(1);
                out.extend_from_slice(&(s.len() as u32).to_be_bytes());
                out.extend_from_slice(s.as_bytes());
            }
        }
    }
    out
}

/// The hash an entry should carry given its stored fields.
pub fn entry_hash(content: &EntryContent, chain: &ChainFields) -> String {
    let bytes = canonical(
        content,
        &chain.writer,
        chain.seq,
        &chain.prev_hash,
        chain.key_id.as_deref(),
    );
    hex::encode(Sha256::digest(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_cannot_slide_into_each_other_and_seal_links_to_the_head() {
        let a = EntryContent {
            card_number: Some("AB".into()),
            reason: None,
            ..EntryContent::default()
        };
        let b = EntryContent {
            card_number: Some("A".into()),
            reason: Some("B".into()),
            ..EntryContent::default()
        };
        assert_ne!(
            canonical(&a, "w", 1, GENESIS_HASH, None),
            canonical(&b, "w", 1, GENESIS_HASH, None)
        );
        let sealer = AuditSealer::new("host", Some(AuditKey::from_bytes([7; 32])));
        let first = sealer.seal(&a, None);
        assert_eq!((first.seq, first.prev_hash.as_str()), (1, GENESIS_HASH));
        let head = WriterHead {
            writer: "host".into(),
            seq: first.seq,
            hash: first.entry_hash.clone(),
        };
        let second = sealer.seal(&b, Some(&head));
        assert_eq!(second.seq, 2);
        assert_eq!(second.prev_hash, first.entry_hash);
        assert_eq!(entry_hash(&b, &second), second.entry_hash);
    }
}
