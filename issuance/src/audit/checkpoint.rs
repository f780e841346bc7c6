//! [`Checkpoint`]: the heads of every writer, signed with the checkpoint key derived from the
//! audit key, to be kept off the machine. A later `audit verify --checkpoint FILE` proves that
//! every entry up to those heads is still there, unchanged.
//!
//! The signed bytes are the `payload` string itself, so a checkpoint can be verified without
//! cardline: `jq -j .payload cp.json > p; jq -r .signature cp.json | xxd -r -p > sig;
//! jq -r .public_key_pem cp.json > pub.pem; openssl dgst -sha256 -verify pub.pem -signature sig p`
//! (compare `pub.pem` with the public key you recorded when the home was set up).

use serde::{Deserialize, Serialize};

use super::chain::WriterHead;
use super::key::{self, AuditKey};

/// Format tag of the payload's first line.
const FORMAT_LINE: &str = "cardline-audit-checkpoint-v1";
/// Largest checkpoint file read (a checkpoint of thousands of writers is far smaller).
pub const MAX_CHECKPOINT_BYTES: u64 = 1 << 20;

/// A signed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The signed text: the format line, `created_at`, `key_id`, then one
    /// `head <writer-hex> <seq> <hash>` line per writer.
    pub payload: String,
    /// DER ECDSA P-256 SHA-256 signature of `payload`, hex.
    pub signature: String,
    /// The verification key (PEM).
    pub public_key_pem: String,
    /// When it was taken (also in the payload).
    pub created_at: String,
    /// The audit key id (also in the payload).
    pub key_id: String,
    /// The heads (also in the payload; the payload wins).
    pub heads: Vec<WriterHead>,
}

/// Why a checkpoint cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Not a checkpoint file.
    #[error("not a cardline audit checkpoint: {0}")]
    Malformed(String),
    /// The signature does not verify, or another home's key made it.
    #[error(
        "the checkpoint's signature does not verify with this home's audit key (key id {home_key_id}): \
         it was altered or taken on another home"
    )]
    BadSignature {
        /// This home's audit key id.
        home_key_id: String,
    },
}

impl Checkpoint {
    /// Signs `heads` taken at `created_at`.
    pub fn sign(key: &AuditKey, heads: Vec<WriterHead>, created_at: &str) -> Checkpoint {
        let key_id = key.key_id();
        let payload = payload(created_at, &key_id, &heads);
        Checkpoint {
            signature: key.sign_hex(payload.as_bytes()),
            public_key_pem: key.public_key_pem(),
            created_at: created_at.to_string(),
            key_id,
            heads,
            payload,
        }
    }

    /// Parses a checkpoint file's JSON and checks its signature with `key` (this home's audit
    /// key, so a checkpoint signed by any other key is refused). The heads returned are the
    /// signed ones, from the payload.
    pub fn parse_and_check(json: &str, key: &AuditKey) -> Result<Checkpoint, CheckpointError> {
        let mut cp: Checkpoint =
            serde_json::from_str(json).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
        let bad = || CheckpointError::BadSignature {
            home_key_id: key.key_id(),
        };
        if cp.public_key_pem.trim() != key.public_key_pem().trim()
            || !key::signature_matches(&cp.public_key_pem, cp.payload.as_bytes(), &cp.signature)
        {
            return Err(bad());
        }
        let (created_at, key_id, heads) = parse_payload(&cp.payload)
            .ok_or_else(|| CheckpointError::Malformed("payload".into()))?;
        cp.created_at = created_at;
        cp.key_id = key_id;
        cp.heads = heads;
        Ok(cp)
    }
}

fn payload(created_at: &str, key_id: &str, heads: &[WriterHead]) -> String {
    let mut s = format!("{FORMAT_LINE}\ncreated_at {created_at}\nkey_id {key_id}\n");
    for h in heads {
        s.push_str(&format!(
            "head {} {} {}\n",
            hex::encode(h.writer.as_bytes()),
            h.seq,
            h.hash
        ));
    }
    s
}

fn parse_payload(payload: &str) -> Option<(String, String, Vec<WriterHead>)> {
    let mut lines = payload.lines();
    if lines.next()? != FORMAT_LINE {
        return None;
    }
    let created_at = lines.next()?.strip_prefix("created_at ")?.to_string();
    let key_id = lines.next()?.strip_prefix("key_id ")?.to_string();
    let mut heads = Vec::new();
    for line in lines {
        let mut parts = line.strip_prefix("head ")?.split(' ');
        let writer = String::from_utf8(hex::decode(parts.next()?).ok()?).ok()?;
        let seq = parts.next()?.parse().ok()?;
        let hash = parts.next()?.to_string();
        heads.push(WriterHead { writer, seq, hash });
    }
    Some((created_at, key_id, heads))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_verifies_with_its_key_only_and_an_edit_breaks_it() {
        let key = AuditKey::from_bytes([3; 32]);
        let heads = vec![WriterHead {
            writer: "host a".into(),
            seq: 7,
            hash: "ab".repeat(32),
        }];
        let cp = Checkpoint::sign(&key, heads.clone(), "2026-11-29T00:00:00Z");
        let json = serde_json::to_string(&cp).unwrap();
        let back = Checkpoint::parse_and_check(&json, &key).unwrap();
        assert_eq!(back.heads, heads);
        let other = AuditKey::from_bytes([4; 32]);
        assert!(matches!(
            Checkpoint::parse_and_check(&json, &other),
            Err(CheckpointError::BadSignature { .. })
        ));
        let forged = json.replace("head 686f73742061 7 ", "head 686f73742061 3 ");
        assert_ne!(forged, json);
        assert!(Checkpoint::parse_and_check(&forged, &key).is_err());
    }
}
