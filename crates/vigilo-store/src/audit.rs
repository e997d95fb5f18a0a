//! The audit chain: a hash-chained, append-only log with signed checkpoints.
//!
//! Entry `n` stores `prev_hash` (the hash of entry `n-1`, zeros for the first)
//! and `hash = SHA-256(domain ‖ prev_hash ‖ seq ‖ at ‖ fields…)` with every
//! variable-length field length-prefixed, so no two different entries share an
//! encoding. Editing an entry changes its hash; deleting, inserting or
//! reordering entries breaks a `prev_hash` link or the sequence. Periodically
//! the hub signs `(seq, hash)` with its ed25519 key ([`Checkpoint`]); a
//! rewrite of history before a checkpoint then needs that key too.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash preceding the first entry.
pub const GENESIS: [u8; 32] = [0u8; 32];

/// Sign a checkpoint every this many events (and on a timer, and at shutdown).
pub const CHECKPOINT_EVERY: i64 = 256;

/// What is being recorded (before it gets its place in the chain).
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    /// Who acted: `token:<id>`, `user:<id>`, `cli:<os user>`, `system`, `anonymous`.
    pub actor: String,
    /// The organisation the event belongs to (whose admins can read it).
    pub org_id: Option<String>,
    /// Dotted verb, e.g. `token.create`, `org_profile.read`.
    pub action: String,
    /// What it acted on, e.g. `token:01H…`.
    pub object: String,
    pub request_id: Option<String>,
    pub source: Option<String>,
    /// Extra facts as a JSON object text (never secrets).
    pub detail: Option<String>,
}

/// One stored entry of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    pub seq: i64,
    /// Microseconds since the Unix epoch.
    #[serde(serialize_with = "ser_micros")]
    pub at: i64,
    pub actor: String,
    pub org_id: Option<String>,
    pub action: String,
    pub object: String,
    pub request_id: Option<String>,
    pub source: Option<String>,
    #[serde(serialize_with = "ser_detail")]
    pub detail: Option<String>,
    #[serde(serialize_with = "ser_hex")]
    pub prev_hash: Vec<u8>,
    #[serde(serialize_with = "ser_hex")]
    pub hash: Vec<u8>,
}

fn ser_hex<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(v))
}

fn ser_micros<S: serde::Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::micros_to_rfc3339(*v))
}

fn ser_detail<S: serde::Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        None => s.serialize_none(),
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(value) => value.serialize(s),
            Err(_) => s.serialize_str(text),
        },
    }
}

fn put(h: &mut Sha256, field: Option<&str>) {
    match field {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        }
    }
}

/// Computes the hash of an entry from its content and predecessor.
pub fn entry_hash(prev_hash: &[u8], seq: i64, at: i64, e: &NewEvent) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"vigilo-audit-v1\0");
    h.update(prev_hash);
    h.update(seq.to_be_bytes());
    h.update(at.to_be_bytes());
    put(&mut h, Some(&e.actor));
    put(&mut h, e.org_id.as_deref());
    put(&mut h, Some(&e.action));
    put(&mut h, Some(&e.object));
    put(&mut h, e.request_id.as_deref());
    put(&mut h, e.source.as_deref());
    put(&mut h, e.detail.as_deref());
    h.finalize().into()
}

impl AuditEvent {
    /// Recomputes this entry's hash from its stored fields.
    pub fn recompute_hash(&self) -> [u8; 32] {
        let e = NewEvent {
            actor: self.actor.clone(),
            org_id: self.org_id.clone(),
            action: self.action.clone(),
            object: self.object.clone(),
            request_id: self.request_id.clone(),
            source: self.source.clone(),
            detail: self.detail.clone(),
        };
        entry_hash(&self.prev_hash, self.seq, self.at, &e)
    }
}

/// A signed statement "the chain had `hash` at `seq`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: Vec<u8>,
    pub at: i64,
    pub key_id: String,
    pub signature: Vec<u8>,
}

fn checkpoint_message(seq: i64, hash: &[u8], at: i64) -> Vec<u8> {
    let mut m = b"vigilo-audit-checkpoint-v1\0".to_vec();
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(hash);
    m.extend_from_slice(&at.to_be_bytes());
    m
}

/// The key id of a hub signing key: hex of the first 8 bytes of SHA-256(public key).
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

pub fn sign_checkpoint(key: &SigningKey, seq: i64, hash: &[u8], at: i64) -> Checkpoint {
    let sig = key.sign(&checkpoint_message(seq, hash, at));
    Checkpoint {
        seq,
        hash: hash.to_vec(),
        at,
        key_id: key_id(&key.verifying_key()),
        signature: sig.to_bytes().to_vec(),
    }
}

pub fn verify_checkpoint(key: &VerifyingKey, c: &Checkpoint) -> bool {
    let Ok(sig) = Signature::from_slice(&c.signature) else {
        return false;
    };
    key.verify(&checkpoint_message(c.seq, &c.hash, c.at), &sig)
        .is_ok()
}

/// The first problem found while walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq}: missing (found {found} next); entries were deleted")]
    Gap { seq: i64, found: i64 },
    #[error("entry {seq}: its content does not match its hash; the entry was edited")]
    Edited { seq: i64 },
    #[error(
        "entry {seq}: does not link to entry {prev}; entries were inserted, deleted or reordered"
    )]
    Unlinked { seq: i64, prev: i64 },
    #[error(
        "chain head records {head} entries but the log ends at {last}; entries were deleted or the head was altered"
    )]
    Head { head: i64, last: i64 },
    #[error("checkpoint at entry {seq}: {why}")]
    Checkpoint { seq: i64, why: String },
}

/// Walks entries in order, checking sequence, links and hashes.
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: Vec<u8>,
    pub checked: i64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS.to_vec(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// Feeds the next entry in `seq` order.
    pub fn push(&mut self, e: &AuditEvent) -> Result<(), ChainBreak> {
        if e.seq != self.expected_seq {
            return Err(if e.seq > self.expected_seq {
                ChainBreak::Gap {
                    seq: self.expected_seq,
                    found: e.seq,
                }
            } else {
                ChainBreak::Unlinked {
                    seq: e.seq,
                    prev: self.expected_seq - 1,
                }
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainBreak::Unlinked {
                seq: e.seq,
                prev: e.seq - 1,
            });
        }
        if e.recompute_hash().as_slice() != e.hash.as_slice() {
            return Err(ChainBreak::Edited { seq: e.seq });
        }
        self.prev_hash = e.hash.clone();
        self.expected_seq += 1;
        self.checked += 1;
        Ok(())
    }

    pub fn last_seq(&self) -> i64 {
        self.expected_seq - 1
    }

    pub fn last_hash(&self) -> &[u8] {
        &self.prev_hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS.to_vec();
        (1..=n)
            .map(|seq| {
                let e = NewEvent {
                    actor: "system".into(),
                    org_id: Some("o".into()),
                    action: "x.create".into(),
                    object: format!("x:{seq}"),
                    ..Default::default()
                };
                let hash = entry_hash(&prev, seq, seq * 10, &e).to_vec();
                AuditEvent {
                    seq,
                    at: seq * 10,
                    actor: e.actor,
                    org_id: e.org_id,
                    action: e.action,
                    object: e.object,
                    request_id: None,
                    source: None,
                    detail: None,
                    prev_hash: std::mem::replace(&mut prev, hash.clone()),
                    hash,
                }
            })
            .collect()
    }

    fn verify(events: &[AuditEvent]) -> Result<(), ChainBreak> {
        let mut v = ChainVerifier::default();
        events.iter().try_for_each(|e| v.push(e))
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify(&chain(10)), Ok(()));
    }

    #[test]
    fn edits_deletions_insertions_reorders_are_found() {
        let mut c = chain(10);
        c[4].object = "x:other".into();
        assert_eq!(verify(&c), Err(ChainBreak::Edited { seq: 5 }));

        let mut c = chain(10);
        c.remove(3);
        assert_eq!(verify(&c), Err(ChainBreak::Gap { seq: 4, found: 5 }));

        // Deleted and renumbered: the link breaks.
        let mut c = chain(10);
        c.remove(3);
        for e in &mut c[3..] {
            e.seq -= 1;
        }
        assert!(matches!(
            verify(&c),
            Err(ChainBreak::Unlinked { seq: 4, .. })
        ));

        // Two entries swapped, seq numbers kept in order.
        let mut c = chain(10);
        let (a, b) = (c[2].clone(), c[3].clone());
        c[2] = AuditEvent { seq: 3, ..b };
        c[3] = AuditEvent { seq: 4, ..a };
        assert!(verify(&c).is_err());
    }

    #[test]
    fn length_prefixing_prevents_field_shifting() {
        let a = NewEvent {
            actor: "ab".into(),
            action: "c".into(),
            ..Default::default()
        };
        let b = NewEvent {
            actor: "a".into(),
            action: "bc".into(),
            ..Default::default()
        };
        assert_ne!(
            entry_hash(&GENESIS, 1, 0, &a),
            entry_hash(&GENESIS, 1, 0, &b)
        );
    }

    #[test]
    fn checkpoints_sign_and_verify() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let c = sign_checkpoint(&key, 5, &[1u8; 32], 99);
        assert!(verify_checkpoint(&key.verifying_key(), &c));
        let forged = Checkpoint {
            seq: 6,
            ..c.clone()
        };
        assert!(!verify_checkpoint(&key.verifying_key(), &forged));
        let other = SigningKey::from_bytes(&[8u8; 32]);
        assert!(!verify_checkpoint(&other.verifying_key(), &c));
    }
}
