//! Signed receipts: a hub's proof that it received a report, and when.
//!
//! A receipt is `{"receipt": BODY, "signature": HEX}` where BODY names the
//! issuing hub and its key, the submitting organisation, the report's id,
//! the SHA-256 of the report's canonical JSON (RFC 8785), and the instant
//! it was received; the signature is ed25519 over BODY's canonical JSON.
//! The submitter keeps it as proof of timeliness; anyone with the issuer's
//! published key can check it offline ([`verify`]).

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::jcs::{JcsError, canonicalize};

/// The receipt format's version tag.
pub const VERSION: &str = "vigilo-receipt/1";

/// What the issuer attests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptBody {
    pub version: String,
    /// The issuing hub (its base URL or name).
    pub issuer: String,
    /// `ed25519:` and the issuer's public key in hex.
    pub issuer_key: String,
    pub submitter_org: String,
    pub report_id: String,
    /// `sha256:` and the hex digest of the report's canonical JSON.
    pub digest: String,
    /// RFC 3339, UTC.
    pub received_at: String,
}

/// A body and its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub receipt: ReceiptBody,
    /// Hex of the ed25519 signature over the body's canonical JSON.
    pub signature: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("not a receipt: {0}")]
    Format(String),
    #[error("the receipt cannot be canonicalised: {0}")]
    Canonical(#[from] JcsError),
    #[error("the receipt names key {named}, not the issuer's published key {published}")]
    WrongKey { named: String, published: String },
    #[error("the signature does not match the receipt: it was altered, or signed by another key")]
    BadSignature,
    #[error("the report does not match the receipt's digest (receipt {receipt}, report {report})")]
    DigestMismatch { receipt: String, report: String },
}

/// `sha256:HEX` of a report's canonical JSON.
pub fn digest(report: &Value) -> Result<String, JcsError> {
    Ok(format!(
        "sha256:{}",
        hex::encode(Sha256::digest(canonicalize(report)?.as_bytes()))
    ))
}

pub fn key_text(key: &VerifyingKey) -> String {
    format!("ed25519:{}", hex::encode(key.as_bytes()))
}

/// Issues a receipt for `report`.
pub fn issue(
    key: &SigningKey,
    issuer: &str,
    submitter_org: &str,
    report_id: &str,
    report: &Value,
    received_at: jiff::Timestamp,
) -> Result<Receipt, ReceiptError> {
    let body = ReceiptBody {
        version: VERSION.to_owned(),
        issuer: issuer.to_owned(),
        issuer_key: key_text(&key.verifying_key()),
        submitter_org: submitter_org.to_owned(),
        report_id: report_id.to_owned(),
        digest: digest(report)?,
        received_at: received_at.to_string(),
    };
    let canonical = canonicalize(
        &serde_json::to_value(&body).map_err(|e| ReceiptError::Format(e.to_string()))?,
    )?;
    let signature = key.sign(canonical.as_bytes());
    Ok(Receipt {
        receipt: body,
        signature: hex::encode(signature.to_bytes()),
    })
}

/// Parses a published key: `ed25519:HEX` or bare hex of 32 bytes.
pub fn parse_key(text: &str) -> Result<VerifyingKey, ReceiptError> {
    let hex_part = text.trim().strip_prefix("ed25519:").unwrap_or(text.trim());
    let bytes = hex::decode(hex_part).map_err(|e| ReceiptError::Format(format!("key: {e}")))?;
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| ReceiptError::Format("key: not 32 bytes".into()))?;
    VerifyingKey::from_bytes(&arr).map_err(|e| ReceiptError::Format(format!("key: {e}")))
}

/// Checks a receipt (JSON text) against the issuer's published key, and
/// when `report` is given, that it is the report the receipt covers.
pub fn verify(
    text: &str,
    published: &VerifyingKey,
    report: Option<&Value>,
) -> Result<Receipt, ReceiptError> {
    let receipt: Receipt =
        serde_json::from_str(text).map_err(|e| ReceiptError::Format(e.to_string()))?;
    if receipt.receipt.version != VERSION {
        return Err(ReceiptError::Format(format!(
            "version {:?}, expected {VERSION}",
            receipt.receipt.version
        )));
    }
    let published_text = key_text(published);
    if receipt.receipt.issuer_key != published_text {
        return Err(ReceiptError::WrongKey {
            named: receipt.receipt.issuer_key.clone(),
            published: published_text,
        });
    }
    let sig_bytes = hex::decode(&receipt.signature)
        .map_err(|e| ReceiptError::Format(format!("signature: {e}")))?;
    let sig_arr: [u8; 64] = sig_bytes
        .try_into()
        .map_err(|_| ReceiptError::Format("signature: not 64 bytes".into()))?;
    let canonical = canonicalize(
        &serde_json::to_value(&receipt.receipt).map_err(|e| ReceiptError::Format(e.to_string()))?,
    )?;
    published
        .verify(canonical.as_bytes(), &Signature::from_bytes(&sig_arr))
        .map_err(|_| ReceiptError::BadSignature)?;
    if let Some(report) = report {
        let d = digest(report)?;
        if d != receipt.receipt.digest {
            return Err(ReceiptError::DigestMismatch {
                receipt: receipt.receipt.digest.clone(),
                report: d,
            });
        }
    }
    Ok(receipt)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    #[test]
    fn issued_receipts_verify_and_tampering_is_caught() {
        let key = SigningKey::from_bytes(&[9u8; 32]);
        let report = json!({"title": "Log4Shell", "cve": ["CVE-2021-44228"], "cvss": 10.0});
        let r = issue(
            &key,
            "https://coordinator.example",
            "acme",
            "rep-1",
            &report,
            "2021-11-24T10:00:00Z".parse().unwrap(),
        )
        .unwrap();
        let text = serde_json::to_string_pretty(&r).unwrap();
        let published = key.verifying_key();
        verify(&text, &published, Some(&report)).unwrap();
        // Key order and whitespace of the report do not matter: the digest is canonical.
        let same: Value = serde_json::from_str(
            r#"{ "cvss": 1e1, "cve": ["CVE-2021-44228"], "title": "Log4Shell" }"#,
        )
        .unwrap();
        verify(&text, &published, Some(&same)).unwrap();
        // An edited time: the signature no longer matches.
        let forged = text.replace("2021-11-24T10:00:00Z", "2021-11-23T10:00:00Z");
        assert!(matches!(
            verify(&forged, &published, None),
            Err(ReceiptError::BadSignature)
        ));
        // Another report.
        let other = json!({"title": "something else"});
        assert!(matches!(
            verify(&text, &published, Some(&other)),
            Err(ReceiptError::DigestMismatch { .. })
        ));
        // Another issuer's key.
        let stranger = SigningKey::from_bytes(&[1u8; 32]).verifying_key();
        assert!(matches!(
            verify(&text, &stranger, None),
            Err(ReceiptError::WrongKey { .. })
        ));
        // A receipt re-signed by a stranger who also swapped the key in.
        let mut re = r.clone();
        re.receipt.issuer_key = key_text(&stranger);
        assert!(verify(&serde_json::to_string(&re).unwrap(), &published, None).is_err());
        assert_eq!(parse_key(&key_text(&published)).unwrap(), published);
    }
}
