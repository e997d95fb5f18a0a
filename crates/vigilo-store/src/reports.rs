//! Reports received: the coordinator's side of report submission.
//!
//! A hub acting as a coordinator (a CSIRT, an authority) receives reports
//! from organisations. Each one is answered with a *signed receipt*
//! ([`vigilo_formats::receipt`]): the hub's ed25519 signature over who
//! submitted which report (its canonical digest) and when it was received.
//! The submitter keeps the receipt as proof of timeliness; anyone can check
//! it offline against the hub's published key ([`Store::hub_public_key`]).
//!
//! The report (as canonical JSON) and its receipt are stored in one
//! transaction with the audit event `report.received`; every read is scoped
//! to the submitting organisation.

use serde_json::Value;
use sqlx::Row as _;
use sqlx::any::AnyRow;
use vigilo_formats::jcs::canonicalize;
use vigilo_formats::receipt::{self, Receipt};

use crate::cases::check_name;
use crate::{Actor, DbContext as _, Result, Store, StoreError, now_micros};

/// Largest report accepted, in bytes of its canonical JSON.
pub const MAX_REPORT: usize = 1 << 20;

/// A report as received, with the receipt the hub issued for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedReport {
    pub id: String,
    /// The submitting organisation.
    pub org_id: String,
    /// The report as received (a JSON object).
    pub report: Value,
    /// `sha256:` and the hex digest of the report's canonical JSON.
    pub digest: String,
    pub rule: String,
    pub stage: Option<String>,
    /// Micros, UTC: the instant the receipt attests.
    pub received_at: i64,
    pub receipt: Receipt,
    pub submitted_by: String,
}

/// A report: a JSON object whose canonical JSON is at most [`MAX_REPORT`]
/// bytes. Returns the canonical JSON.
pub fn check_report(report: &Value) -> std::result::Result<String, String> {
    if !report.is_object() {
        return Err("must be a JSON object".into());
    }
    let canonical = canonicalize(report).map_err(|e| e.to_string())?;
    if canonical.len() > MAX_REPORT {
        return Err(format!(
            "{} bytes of canonical JSON, longer than the limit of {MAX_REPORT}",
            canonical.len()
        ));
    }
    Ok(canonical)
}

const REPORT_COLUMNS: &str =
    "id, org_id, report, digest, rule, stage, received_at, receipt, submitted_by";

fn report_from_row(r: &AnyRow) -> Result<ReceivedReport> {
    let text = |i: usize| -> Result<String> { r.try_get(i).ctx("decoding a received report") };
    let id = text(0)?;
    let report = serde_json::from_str(&text(2)?)
        .map_err(|e| StoreError::Invalid(format!("stored report {id} is not valid JSON: {e}")))?;
    let receipt = serde_json::from_str(&text(7)?).map_err(|e| {
        StoreError::Invalid(format!("stored receipt of report {id} is unreadable: {e}"))
    })?;
    Ok(ReceivedReport {
        org_id: text(1)?,
        report,
        digest: text(3)?,
        rule: text(4)?,
        stage: r.try_get(5).ctx("decoding a received report")?,
        received_at: r.try_get(6).ctx("decoding a received report")?,
        receipt,
        submitted_by: text(8)?,
        id,
    })
}

impl Store {
    /// The hub's published key, against which its receipts verify:
    /// `ed25519:` and the public key in hex.
    pub fn hub_public_key(&self) -> String {
        receipt::key_text(&self.verifying_key())
    }

    /// Receives a report from `org_id` under `rule` (and `stage`), issued by
    /// `issuer` (the hub's base URL or name): validates it (a JSON object of
    /// at most 1 MiB canonical JSON, rule and stage names; else
    /// [`StoreError::InvalidField`] and nothing is stored), signs a receipt
    /// attesting the instant of receipt, and stores report and receipt in
    /// one transaction with the audit event `report.received`.
    pub async fn receive_report(
        &self,
        actor: &Actor,
        org_id: &str,
        report: &Value,
        rule: &str,
        stage: Option<&str>,
        issuer: &str,
    ) -> Result<ReceivedReport> {
        let canonical = check_report(report).map_err(|m| StoreError::invalid("report", m))?;
        check_name(rule).map_err(|m| StoreError::invalid("rule", m))?;
        if let Some(s) = stage {
            check_name(s).map_err(|m| StoreError::invalid("stage", m))?;
        }
        let id = uuid::Uuid::now_v7().to_string();
        // Whole microseconds: the instant stored is the instant signed.
        let received_at = now_micros();
        let at = jiff::Timestamp::from_microsecond(received_at)
            .map_err(|e| StoreError::Invalid(format!("the clock is out of range: {e}")))?;
        let issued = receipt::issue(self.signing_key(), issuer, org_id, &id, report, at)
            .map_err(|e| StoreError::invalid("report", e.to_string()))?;
        let receipt_text = serde_json::to_string(&issued)
            .map_err(|e| StoreError::Invalid(format!("serialising a receipt: {e}")))?;
        let received = ReceivedReport {
            id,
            org_id: org_id.to_owned(),
            report: report.clone(),
            digest: issued.receipt.digest.clone(),
            rule: rule.to_owned(),
            stage: stage.map(str::to_owned),
            received_at,
            receipt: issued,
            submitted_by: actor.actor.clone(),
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "INSERT INTO received_reports ({REPORT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(received.id.clone())
        .bind(received.org_id.clone())
        .bind(canonical)
        .bind(received.digest.clone())
        .bind(received.rule.clone())
        .bind(received.stage.clone())
        .bind(received.received_at)
        .bind(receipt_text)
        .bind(received.submitted_by.clone())
        .execute(&mut *tx)
        .await
        .ctx("storing a received report")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "report.received",
            &format!("report:{}", received.id),
            Some(serde_json::json!({
                "id": received.id, "rule": received.rule, "stage": received.stage,
                "digest": received.digest,
                "received_at": received.receipt.receipt.received_at,
            })),
        )
        .await?;
        tx.commit().await.ctx("storing a received report")?;
        Ok(received)
    }

    /// The reports `org_id` submitted, in the order they were received.
    pub async fn list_received_reports(&self, org_id: &str) -> Result<Vec<ReceivedReport>> {
        let rows = sqlx::query(&format!(
            "SELECT {REPORT_COLUMNS} FROM received_reports WHERE org_id = $1 ORDER BY id"
        ))
        .bind(org_id)
        .fetch_all(self.pool())
        .await
        .ctx("listing received reports")?;
        rows.iter().map(report_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reports_must_be_objects_within_the_limit() {
        assert!(check_report(&json!({"title": "x"})).is_ok());
        assert!(check_report(&json!(["x"])).is_err());
        assert!(check_report(&json!("x")).is_err());
        let big = "a".repeat(MAX_REPORT);
        assert!(check_report(&json!({ "t": big })).is_err());
    }
}
