//! Signed tombstones: how a hub tells its partners that an object it shared
//! was deleted.
//!
//! TAXII 2.1 has no deletion feed: a partner that pulled an object keeps it
//! after the publisher deletes it. vigilo publishes, in the same collections
//! and under the same marking as the deleted object, a STIX 2.1 custom
//! object of type `x-vigilo-tombstone` naming the deleted object and its
//! versions, signed by the publishing hub (ed25519 over the RFC 8785
//! canonical JSON of the object without its `signature`). A partner deletes
//! its copies only when the signature verifies against the key it pinned
//! for that partner, so no third party can make objects disappear.
//!
//! ```json
//! {"type": "x-vigilo-tombstone", "spec_version": "2.1",
//!  "id": "x-vigilo-tombstone--…", "created": "…", "modified": "…",
//!  "object_ref": "indicator--…", "versions": ["2026-10-01T00:00:00.000Z"],
//!  "issuer": "https://hub-a.example", "issuer_key": "ed25519:…",
//!  "signature": "…hex…"}
//! ```

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::jcs::{JcsError, canonicalize};
use crate::receipt::key_text;

/// The STIX type of a tombstone.
pub const TYPE: &str = "x-vigilo-tombstone";

/// Why a tombstone was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum TombstoneError {
    #[error("not a tombstone: {0}")]
    Format(String),
    #[error("the tombstone cannot be canonicalised: {0}")]
    Canonical(#[from] JcsError),
    #[error("the tombstone names key {named}, not the partner's pinned key {pinned}")]
    WrongKey { named: String, pinned: String },
    #[error("the signature does not match the tombstone: it was altered, or signed by another key")]
    BadSignature,
}

/// A verified tombstone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    /// The deleted object's id.
    pub object_ref: String,
    /// The versions deleted (empty: all of them).
    pub versions: Vec<String>,
    pub issuer: String,
}

/// The tombstone's id: derived from what it deletes, so that the same
/// deletion always has the same id.
fn id_for(object_ref: &str, versions: &[String]) -> String {
    let mut h = Sha256::new();
    h.update(object_ref.as_bytes());
    for v in versions {
        h.update([0]);
        h.update(v.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    // A name-based UUID (version 8, RFC 9562 variant).
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!(
        "{TYPE}--{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// Builds and signs a tombstone for `versions` of `object_ref` (all its
/// versions when empty), deleted at `at` by the hub `issuer`, carrying the
/// deleted object's marking definitions (`object_marking_refs`, signed
/// with the rest).
pub fn build(
    key: &SigningKey,
    issuer: &str,
    object_ref: &str,
    versions: &[String],
    at: jiff::Timestamp,
    marking_refs: &[&str],
) -> Result<Value, JcsError> {
    let when = at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let mut body = json!({
        "type": TYPE,
        "spec_version": "2.1",
        "id": id_for(object_ref, versions),
        "created": when,
        "modified": when,
        "object_ref": object_ref,
        "versions": versions,
        "issuer": issuer,
        "issuer_key": key_text(&key.verifying_key()),
    });
    if !marking_refs.is_empty() {
        body["object_marking_refs"] = json!(marking_refs);
    }
    let signature = key.sign(canonicalize(&body)?.as_bytes());
    body["signature"] = json!(hex::encode(signature.to_bytes()));
    Ok(body)
}

/// Checks a tombstone against the key pinned for its issuer.
pub fn verify(v: &Value, pinned: &VerifyingKey) -> Result<Tombstone, TombstoneError> {
    let o = v
        .as_object()
        .ok_or_else(|| TombstoneError::Format("not a JSON object".into()))?;
    let text = |k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| TombstoneError::Format(format!("`{k}` is missing or not a string")))
    };
    if text("type")? != TYPE {
        return Err(TombstoneError::Format(format!("`type` is not {TYPE}")));
    }
    let named = text("issuer_key")?;
    let pinned_text = key_text(pinned);
    if named != pinned_text {
        return Err(TombstoneError::WrongKey {
            named: named.to_owned(),
            pinned: pinned_text,
        });
    }
    let sig = hex::decode(text("signature")?)
        .map_err(|e| TombstoneError::Format(format!("signature: {e}")))?;
    let sig: [u8; 64] = sig
        .try_into()
        .map_err(|_| TombstoneError::Format("signature: not 64 bytes".into()))?;
    let mut body = o.clone();
    body.remove("signature");
    let canonical = canonicalize(&Value::Object(body))?;
    pinned
        .verify(canonical.as_bytes(), &Signature::from_bytes(&sig))
        .map_err(|_| TombstoneError::BadSignature)?;
    let versions = match o.get("versions") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| TombstoneError::Format("`versions` holds a non-string".into()))
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(TombstoneError::Format("`versions` is not an array".into())),
    };
    Ok(Tombstone {
        object_ref: text("object_ref")?.to_owned(),
        versions,
        issuer: text("issuer")?.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn a_tombstone_verifies_and_a_changed_one_does_not() {
        let k = key(7);
        let at: jiff::Timestamp = "2026-11-01T10:00:00Z".parse().unwrap();
        let t = build(
            &k,
            "https://a.example",
            "indicator--x",
            &["v1".into()],
            at,
            &["marking-definition--x"],
        )
        .unwrap();
        assert!(
            t["id"]
                .as_str()
                .unwrap()
                .starts_with("x-vigilo-tombstone--")
        );
        assert_eq!(t["modified"], "2026-11-01T10:00:00.000Z");
        let ok = verify(&t, &k.verifying_key()).unwrap();
        assert_eq!(ok.object_ref, "indicator--x");
        assert_eq!(ok.versions, ["v1"]);
        // Another target: the signature no longer matches.
        let mut forged = t.clone();
        forged["object_ref"] = json!("indicator--someone-elses");
        assert!(matches!(
            verify(&forged, &k.verifying_key()),
            Err(TombstoneError::BadSignature)
        ));
        // Signed by another key than the one pinned.
        let other = build(&key(8), "https://a.example", "indicator--x", &[], at, &[]).unwrap();
        assert!(matches!(
            verify(&other, &k.verifying_key()),
            Err(TombstoneError::WrongKey { .. })
        ));
        assert!(verify(&json!({"type": "indicator"}), &k.verifying_key()).is_err());
        // The same deletion, the same id.
        let again = build(
            &k,
            "https://a.example",
            "indicator--x",
            &["v1".into()],
            at,
            &[],
        )
        .unwrap();
        assert_eq!(again["id"], t["id"]);
    }
}
