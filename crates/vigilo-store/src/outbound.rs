//! The outbound path: recipients an organisation reports to, the
//! disclosures it makes about its cases, and duties made late on arrival.
//!
//! A [`Recipient`] is a remote vigilo hub (a coordinator's, a regulator's:
//! reports go to its `POST /api/reports`, which answers with a signed
//! receipt) or a recipient reached by hand (e-mail, a web portal). Its API
//! token is sealed; its receipt key is pinned when it is registered.
//!
//! A [`Disclosure`] records one outbound disclosure about a case — a
//! submission to a hub, a manual submission, a publication — with the
//! outcome of the rule packs' constraint check: the violations found and,
//! when an administrator overrode them, the reason. It is stored in one
//! transaction with the case submission it discharges (if any) and its
//! audit events (`case.disclosure`, and `disclosure.override` when
//! violations were overridden). The check itself lives in `vigilo-duties`;
//! the hub calls it on every outbound path before it calls this.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::cases::{CaseSubmission, NewCaseSubmission, check_name, check_provenance};
use crate::crypto::FieldRef;
use crate::{Actor, DbContext as _, Result, Store, StoreError, now_micros};

/// Longest recipient name, URL or override reason, in bytes.
pub const MAX_RECIPIENT_FIELD: usize = 2000;
/// Most duty recipients one recipient may serve.
pub const MAX_SERVES: usize = 50;

/// How a recipient is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    /// A vigilo hub: submissions go to its `POST /api/reports`.
    VigiloHub,
    /// E-mail, a web portal: submissions are recorded by hand.
    Manual,
}

impl RecipientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientKind::VigiloHub => "vigilo_hub",
            RecipientKind::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<RecipientKind> {
        [RecipientKind::VigiloHub, RecipientKind::Manual]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A recipient to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecipient {
    pub name: String,
    pub kind: RecipientKind,
    /// ISO 3166 alpha-2, upper case.
    pub country: String,
    /// `coordinator`, `regulator`, `csirt`, `product_provider`, ...
    pub role: String,
    /// The duty recipients (`csirt_coordinator`, ...) it stands for.
    pub serves: Vec<String>,
    /// `vigilo_hub`: base URL, API token (sealed), pinned key.
    pub url: Option<String>,
    pub token: Option<String>,
    pub public_key: Option<String>,
}

/// A registered recipient (the token stays sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub kind: RecipientKind,
    pub country: String,
    pub role: String,
    pub serves: Vec<String>,
    pub url: Option<String>,
    pub has_token: bool,
    pub public_key: Option<String>,
    pub created_at: i64,
    pub created_by: String,
    pub removed_at: Option<i64>,
}

/// What kind of disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisclosureKind {
    /// A report submitted to a vigilo hub, answered with a signed receipt.
    Submission,
    /// A submission made by hand (e-mail, portal), recorded with evidence.
    Manual,
    /// A publication to the world (an advisory, disclosure of the case).
    Publication,
}

impl DisclosureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DisclosureKind::Submission => "submission",
            DisclosureKind::Manual => "manual",
            DisclosureKind::Publication => "publication",
        }
    }

    pub fn parse(s: &str) -> Option<DisclosureKind> {
        [
            DisclosureKind::Submission,
            DisclosureKind::Manual,
            DisclosureKind::Publication,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A disclosure to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDisclosure {
    pub kind: DisclosureKind,
    pub recipient_id: Option<String>,
    /// The recipient's name (or `public`).
    pub recipient: String,
    pub country: Option<String>,
    pub role: Option<String>,
    /// The constraint check's violations (a JSON array; empty when none).
    pub violations: Value,
    /// Set when violations were overridden by an administrator.
    pub override_reason: Option<String>,
    /// The case submission this disclosure discharges.
    pub submission: Option<NewCaseSubmission>,
    /// `sha256:` digest of the report sent.
    pub digest: Option<String>,
    /// The verified signed receipt, as received.
    pub receipt: Option<Value>,
    /// When it happened (micros): the receipt's `received_at`, or the
    /// manual submission's instant, or now.
    pub at: i64,
}

/// A recorded disclosure.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    pub id: String,
    pub org_id: String,
    pub case_id: String,
    pub kind: DisclosureKind,
    pub recipient_id: Option<String>,
    pub recipient: String,
    pub country: Option<String>,
    pub role: Option<String>,
    pub violations: Value,
    pub override_reason: Option<String>,
    pub submission_id: Option<String>,
    pub digest: Option<String>,
    pub receipt: Option<Value>,
    pub at: i64,
    pub actor: String,
}

/// A duty whose due instant was already past when the fact that fixed it
/// was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateDuty {
    pub id: String,
    pub case_id: String,
    pub rule: String,
    pub stage: String,
    pub due_before: Option<i64>,
    pub due_after: i64,
    pub event_id: String,
    pub recorded_at: i64,
}

fn token_field<'a>(org_id: &'a str, id: &'a str) -> FieldRef<'a> {
    FieldRef {
        table: "recipients",
        column: "token",
        row_id: id,
        org_id,
    }
}

fn check_field(
    value: &str,
    field: &'static str,
    required: bool,
) -> std::result::Result<(), StoreError> {
    crate::cases::check_text(value, MAX_RECIPIENT_FIELD, required, false)
        .map_err(|m| StoreError::invalid(field, m))
}

/// An ISO 3166 alpha-2 code: two upper-case ASCII letters.
pub fn check_country(c: &str) -> std::result::Result<(), String> {
    if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(format!(
            "{c:?} is not an ISO 3166 alpha-2 country code (two upper-case letters)"
        ))
    }
}

/// A duty recipient as the rule packs name it: `eu.srp`, `role:coordinator`.
pub fn check_duty_recipient(name: &str) -> std::result::Result<(), String> {
    match name.split_once(':') {
        Some(("role", rest)) => check_name(rest),
        Some(_) => Err(format!(
            "{name:?}: the only prefix a duty recipient takes is `role:`"
        )),
        None => check_name(name),
    }
}

fn validate_recipient(r: &NewRecipient) -> Result<()> {
    check_field(&r.name, "name", true)?;
    check_country(&r.country).map_err(|m| StoreError::invalid("country", m))?;
    check_name(&r.role).map_err(|m| StoreError::invalid("role", m))?;
    if r.serves.len() > MAX_SERVES {
        return Err(StoreError::invalid(
            "serves",
            format!("more than {MAX_SERVES} duty recipients"),
        ));
    }
    for s in &r.serves {
        check_duty_recipient(s).map_err(|m| StoreError::invalid("serves", m))?;
    }
    match r.kind {
        RecipientKind::VigiloHub => {
            let url = r
                .url
                .as_deref()
                .ok_or_else(|| StoreError::invalid("url", "a vigilo hub needs its URL"))?;
            check_field(url, "url", true)?;
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(StoreError::invalid("url", "must be an http(s) URL"));
            }
            if r.token.as_deref().is_none_or(|t| t.trim().is_empty()) {
                return Err(StoreError::invalid(
                    "token",
                    "a vigilo hub needs an API token of the organisation's account there",
                ));
            }
            let key = r.public_key.as_deref().ok_or_else(|| {
                StoreError::invalid("public_key", "a vigilo hub needs its pinned receipt key")
            })?;
            vigilo_formats::receipt::parse_key(key)
                .map_err(|e| StoreError::invalid("public_key", e.to_string()))?;
        }
        RecipientKind::Manual => {
            for (field, v) in [("url", &r.url), ("token", &r.token)] {
                if v.is_some() {
                    return Err(StoreError::invalid(
                        field,
                        "only a vigilo hub recipient has one",
                    ));
                }
            }
        }
    }
    Ok(())
}

const RECIPIENT_COLUMNS: &str = "id, org_id, name, kind, country, role, serves, url, token, \
     public_key, created_at, created_by, removed_at";
const DISCLOSURE_COLUMNS: &str = "id, org_id, case_id, kind, recipient_id, recipient, country, \
     role, violations, override_reason, submission_id, digest, receipt, at, actor";

fn recipient_from_row(r: &AnyRow) -> Result<Recipient> {
    let get = |r: &AnyRow| -> std::result::Result<(Recipient, String, String), sqlx::Error> {
        let token: Option<Vec<u8>> = r.try_get(8)?;
        Ok((
            Recipient {
                id: r.try_get(0)?,
                org_id: r.try_get(1)?,
                name: r.try_get(2)?,
                kind: RecipientKind::Manual,
                country: r.try_get(4)?,
                role: r.try_get(5)?,
                serves: Vec::new(),
                url: r.try_get(7)?,
                has_token: token.is_some(),
                public_key: r.try_get(9)?,
                created_at: r.try_get(10)?,
                created_by: r.try_get(11)?,
                removed_at: r.try_get(12)?,
            },
            r.try_get(3)?,
            r.try_get(6)?,
        ))
    };
    let (mut rec, kind, serves) = get(r).ctx("decoding a recipient")?;
    rec.kind = RecipientKind::parse(&kind).ok_or_else(|| {
        StoreError::Invalid(format!("stored recipient has unknown kind {kind:?}"))
    })?;
    rec.serves = serde_json::from_str(&serves)
        .map_err(|e| StoreError::Invalid(format!("stored recipient serves: {e}")))?;
    Ok(rec)
}

fn disclosure_from_row(r: &AnyRow) -> Result<Disclosure> {
    type Raw = (Disclosure, String, String, Option<String>);
    let get = |r: &AnyRow| -> std::result::Result<Raw, sqlx::Error> {
        Ok((
            Disclosure {
                id: r.try_get(0)?,
                org_id: r.try_get(1)?,
                case_id: r.try_get(2)?,
                kind: DisclosureKind::Manual,
                recipient_id: r.try_get(4)?,
                recipient: r.try_get(5)?,
                country: r.try_get(6)?,
                role: r.try_get(7)?,
                violations: Value::Null,
                override_reason: r.try_get(9)?,
                submission_id: r.try_get(10)?,
                digest: r.try_get(11)?,
                receipt: None,
                at: r.try_get(13)?,
                actor: r.try_get(14)?,
            },
            r.try_get(3)?,
            r.try_get(8)?,
            r.try_get(12)?,
        ))
    };
    let (mut d, kind, violations, receipt) = get(r).ctx("decoding a disclosure")?;
    d.kind = DisclosureKind::parse(&kind).ok_or_else(|| {
        StoreError::Invalid(format!("stored disclosure has unknown kind {kind:?}"))
    })?;
    d.violations = serde_json::from_str(&violations)
        .map_err(|e| StoreError::Invalid(format!("stored disclosure violations: {e}")))?;
    d.receipt = receipt
        .map(|r| serde_json::from_str(&r))
        .transpose()
        .map_err(|e| StoreError::Invalid(format!("stored disclosure receipt: {e}")))?;
    Ok(d)
}

impl Store {
    /// Registers a recipient for the organisation, sealing its token, in one
    /// transaction with its audit event (`recipient.create`).
    pub async fn create_recipient(
        &self,
        actor: &Actor,
        org_id: &str,
        new: &NewRecipient,
    ) -> Result<Recipient> {
        validate_recipient(new)?;
        let id = uuid::Uuid::now_v7().to_string();
        let sealed = match &new.token {
            Some(t) => Some(self.seal(token_field(org_id, &id), t.as_bytes()).await?),
            None => None,
        };
        let now = now_micros();
        let serves = serde_json::to_string(&new.serves)
            .map_err(|e| StoreError::Invalid(format!("serialising serves: {e}")))?;
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "INSERT INTO recipients ({RECIPIENT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL)"
        ))
        .bind(id.clone())
        .bind(org_id)
        .bind(new.name.trim())
        .bind(new.kind.as_str())
        .bind(new.country.clone())
        .bind(new.role.clone())
        .bind(serves)
        .bind(new.url.clone())
        .bind(sealed.clone())
        .bind(new.public_key.clone())
        .bind(now)
        .bind(actor.actor.clone())
        .execute(&mut *tx)
        .await
        .ctx("storing a recipient")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "recipient.create",
            &format!("recipient:{id}"),
            Some(serde_json::json!({
                "name": new.name.trim(), "kind": new.kind.as_str(), "country": new.country,
                "role": new.role, "url": new.url, "public_key": new.public_key,
            })),
        )
        .await?;
        tx.commit().await.ctx("storing a recipient")?;
        Ok(Recipient {
            id,
            org_id: org_id.to_owned(),
            name: new.name.trim().to_owned(),
            kind: new.kind,
            country: new.country.clone(),
            role: new.role.clone(),
            serves: new.serves.clone(),
            url: new.url.clone(),
            has_token: sealed.is_some(),
            public_key: new.public_key.clone(),
            created_at: now,
            created_by: actor.actor.clone(),
            removed_at: None,
        })
    }

    /// The organisation's recipients, in registration order; removed ones
    /// only with `include_removed`.
    pub async fn list_recipients(
        &self,
        org_id: &str,
        include_removed: bool,
    ) -> Result<Vec<Recipient>> {
        let mut sql = format!("SELECT {RECIPIENT_COLUMNS} FROM recipients WHERE org_id = $1");
        if !include_removed {
            sql.push_str(" AND removed_at IS NULL");
        }
        sql.push_str(" ORDER BY id");
        let rows = sqlx::query(&sql)
            .bind(org_id)
            .fetch_all(self.pool())
            .await
            .ctx("listing recipients")?;
        rows.iter().map(recipient_from_row).collect()
    }

    /// One recipient of the organisation (removed ones too).
    pub async fn get_recipient(&self, org_id: &str, id: &str) -> Result<Option<Recipient>> {
        sqlx::query(&format!(
            "SELECT {RECIPIENT_COLUMNS} FROM recipients WHERE org_id = $1 AND id = $2"
        ))
        .bind(org_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .ctx("reading a recipient")?
        .map(|r| recipient_from_row(&r))
        .transpose()
    }

    /// The recipient's API token, opened: for the submission call only.
    pub async fn recipient_token(&self, org_id: &str, id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT token FROM recipients WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .ctx("reading a recipient's token")?;
        let Some(row) = row else { return Ok(None) };
        let sealed: Option<Vec<u8>> = row.try_get(0).ctx("reading a recipient's token")?;
        let Some(blob) = sealed else { return Ok(None) };
        let plain = self.open_sealed(token_field(org_id, id), &blob).await?;
        String::from_utf8(plain.to_vec())
            .map(Some)
            .map_err(|_| StoreError::Decrypt(format!("recipients.token of {id}: not UTF-8")))
    }

    /// Removes a recipient (kept, marked removed, for the disclosures that
    /// name it), audited (`recipient.remove`).
    pub async fn remove_recipient(&self, actor: &Actor, org_id: &str, id: &str) -> Result<()> {
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE recipients SET removed_at = $1, token = NULL \
             WHERE org_id = $2 AND id = $3 AND removed_at IS NULL",
        )
        .bind(now)
        .bind(org_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .ctx("removing a recipient")?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                kind: "recipient",
                id: id.to_owned(),
            });
        }
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "recipient.remove",
            &format!("recipient:{id}"),
            None,
        )
        .await?;
        tx.commit().await.ctx("removing a recipient")
    }

    /// Records a disclosure about a case of the organisation — and the case
    /// submission it discharges, if any — in one transaction with its audit
    /// events: `case.disclosure`, and `disclosure.override` naming the
    /// violations and the reason when they were overridden. A case of
    /// another organisation is [`StoreError::NotFound`]. Returns the
    /// disclosure and the submission recorded with it.
    pub async fn record_disclosure(
        &self,
        actor: &Actor,
        org_id: &str,
        case_id: &str,
        new: &NewDisclosure,
    ) -> Result<(Disclosure, Option<CaseSubmission>)> {
        let now = now_micros();
        check_field(&new.recipient, "recipient", true)?;
        if let Some(r) = &new.override_reason {
            check_provenance(r).map_err(|m| StoreError::invalid("override.reason", m))?;
        }
        let overridden = new.violations.as_array().is_some_and(|v| !v.is_empty());
        if overridden && new.override_reason.is_none() {
            return Err(StoreError::Conflict(
                "a disclosure with violations is recorded only with an override reason".into(),
            ));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2 AND org_id = $3")
            .bind(now)
            .bind(case_id)
            .bind(org_id)
            .execute(&mut *tx)
            .await
            .ctx("updating a case")?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                kind: "case",
                id: case_id.to_owned(),
            });
        }
        let submission = match &new.submission {
            None => None,
            Some(s) => {
                check_name(&s.rule).map_err(|m| StoreError::invalid("rule", m))?;
                check_name(&s.stage).map_err(|m| StoreError::invalid("stage", m))?;
                check_provenance(&s.evidence).map_err(|m| StoreError::invalid("evidence", m))?;
                let sid = uuid::Uuid::now_v7().to_string();
                let covers = serde_json::to_string(&s.covers)
                    .map_err(|e| StoreError::Invalid(format!("serialising covers: {e}")))?;
                sqlx::query(
                    "INSERT INTO case_submissions (id, case_id, org_id, rule, stage, covers, at, \
                     evidence, recorded_by, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(sid.clone())
                .bind(case_id)
                .bind(org_id)
                .bind(s.rule.clone())
                .bind(s.stage.clone())
                .bind(covers)
                .bind(s.at)
                .bind(s.evidence.trim().to_owned())
                .bind(actor.actor.clone())
                .bind(now)
                .execute(&mut *tx)
                .await
                .ctx("storing a case submission")?;
                self.append_audit(
                    &mut tx,
                    actor,
                    Some(org_id),
                    "case.submission",
                    &format!("case:{case_id}"),
                    Some(serde_json::json!({
                        "id": sid, "rule": s.rule, "stage": s.stage, "covers": s.covers,
                        "at": crate::micros_to_rfc3339(s.at),
                    })),
                )
                .await?;
                Some(CaseSubmission {
                    id: sid,
                    case_id: case_id.to_owned(),
                    org_id: org_id.to_owned(),
                    rule: s.rule.clone(),
                    stage: s.stage.clone(),
                    covers: s.covers.clone(),
                    at: s.at,
                    evidence: s.evidence.trim().to_owned(),
                    recorded_by: actor.actor.clone(),
                    recorded_at: now,
                })
            }
        };
        let submission_id = submission.as_ref().map(|s| s.id.clone());
        let violations = serde_json::to_string(&new.violations)
            .map_err(|e| StoreError::Invalid(format!("serialising violations: {e}")))?;
        let receipt = new
            .receipt
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Invalid(format!("serialising a receipt: {e}")))?;
        sqlx::query(&format!(
            "INSERT INTO disclosures ({DISCLOSURE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        ))
        .bind(id.clone())
        .bind(org_id)
        .bind(case_id)
        .bind(new.kind.as_str())
        .bind(new.recipient_id.clone())
        .bind(new.recipient.clone())
        .bind(new.country.clone())
        .bind(new.role.clone())
        .bind(violations)
        .bind(new.override_reason.clone())
        .bind(submission_id.clone())
        .bind(new.digest.clone())
        .bind(receipt)
        .bind(new.at)
        .bind(actor.actor.clone())
        .execute(&mut *tx)
        .await
        .ctx("storing a disclosure")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "case.disclosure",
            &format!("case:{case_id}"),
            Some(serde_json::json!({
                "id": id, "kind": new.kind.as_str(), "recipient": new.recipient,
                "recipient_id": new.recipient_id, "digest": new.digest,
                "receipt": new.receipt.is_some(),
            })),
        )
        .await?;
        if overridden {
            self.append_audit(
                &mut tx,
                actor,
                Some(org_id),
                "disclosure.override",
                &format!("case:{case_id}"),
                Some(serde_json::json!({
                    "disclosure": id, "violations": new.violations,
                    "reason": new.override_reason,
                })),
            )
            .await?;
        }
        tx.commit().await.ctx("storing a disclosure")?;
        let disclosure = Disclosure {
            id,
            org_id: org_id.to_owned(),
            case_id: case_id.to_owned(),
            kind: new.kind,
            recipient_id: new.recipient_id.clone(),
            recipient: new.recipient.clone(),
            country: new.country.clone(),
            role: new.role.clone(),
            violations: new.violations.clone(),
            override_reason: new.override_reason.clone(),
            submission_id,
            digest: new.digest.clone(),
            receipt: new.receipt.clone(),
            at: new.at,
            actor: actor.actor.clone(),
        };
        Ok((disclosure, submission))
    }

    /// The disclosures of the organisation, of one case or all, in
    /// recording order.
    pub async fn list_disclosures(
        &self,
        org_id: &str,
        case_id: Option<&str>,
    ) -> Result<Vec<Disclosure>> {
        let mut sql = format!("SELECT {DISCLOSURE_COLUMNS} FROM disclosures WHERE org_id = $1");
        if case_id.is_some() {
            sql.push_str(" AND case_id = $2");
        }
        sql.push_str(" ORDER BY id");
        let mut q = sqlx::query(&sql).bind(org_id);
        if let Some(c) = case_id {
            q = q.bind(c);
        }
        let rows = q.fetch_all(self.pool()).await.ctx("listing disclosures")?;
        rows.iter().map(disclosure_from_row).collect()
    }

    /// Records the duties a just-recorded fact made late on arrival (their
    /// due instant already past), in one transaction with one audit event
    /// each (`duty.late_on_record`).
    pub async fn record_late_duties(
        &self,
        actor: &Actor,
        org_id: &str,
        case_id: &str,
        event_id: &str,
        late: &[(String, String, Option<i64>, i64)],
    ) -> Result<Vec<LateDuty>> {
        if late.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_micros();
        let mut out = Vec::with_capacity(late.len());
        let mut tx = self.begin_write().await?;
        for (rule, stage, before, after) in late {
            let d = LateDuty {
                id: uuid::Uuid::now_v7().to_string(),
                case_id: case_id.to_owned(),
                rule: rule.clone(),
                stage: stage.clone(),
                due_before: *before,
                due_after: *after,
                event_id: event_id.to_owned(),
                recorded_at: now,
            };
            sqlx::query(
                "INSERT INTO duty_late_records (id, org_id, case_id, rule, stage, due_before, \
                 due_after, event_id, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(d.id.clone())
            .bind(org_id)
            .bind(case_id)
            .bind(d.rule.clone())
            .bind(d.stage.clone())
            .bind(d.due_before)
            .bind(d.due_after)
            .bind(d.event_id.clone())
            .bind(d.recorded_at)
            .execute(&mut *tx)
            .await
            .ctx("storing a late duty")?;
            self.append_audit(
                &mut tx,
                actor,
                Some(org_id),
                "duty.late_on_record",
                &format!("case:{case_id}"),
                Some(serde_json::json!({
                    "rule": d.rule, "stage": d.stage, "event": event_id,
                    "due_before": d.due_before.map(crate::micros_to_rfc3339),
                    "due_after": crate::micros_to_rfc3339(d.due_after),
                })),
            )
            .await?;
            out.push(d);
        }
        tx.commit().await.ctx("storing late duties")?;
        Ok(out)
    }

    /// The duties recorded late on arrival, of one case or all of the
    /// organisation's, in recording order.
    pub async fn list_late_duties(
        &self,
        org_id: &str,
        case_id: Option<&str>,
    ) -> Result<Vec<LateDuty>> {
        let mut sql = "SELECT id, case_id, rule, stage, due_before, due_after, event_id, \
                       recorded_at FROM duty_late_records WHERE org_id = $1"
            .to_owned();
        if case_id.is_some() {
            sql.push_str(" AND case_id = $2");
        }
        sql.push_str(" ORDER BY id");
        let mut q = sqlx::query(&sql).bind(org_id);
        if let Some(c) = case_id {
            q = q.bind(c);
        }
        let rows = q.fetch_all(self.pool()).await.ctx("listing late duties")?;
        rows.iter()
            .map(|r| {
                Ok(LateDuty {
                    id: r.try_get(0)?,
                    case_id: r.try_get(1)?,
                    rule: r.try_get(2)?,
                    stage: r.try_get(3)?,
                    due_before: r.try_get(4)?,
                    due_after: r.try_get(5)?,
                    event_id: r.try_get(6)?,
                    recorded_at: r.try_get(7)?,
                })
            })
            .collect::<std::result::Result<_, sqlx::Error>>()
            .ctx("decoding late duties")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub() -> NewRecipient {
        NewRecipient {
            name: "National coordinator".into(),
            kind: RecipientKind::VigiloHub,
            country: "DE".into(),
            role: "coordinator".into(),
            serves: vec!["role:coordinator".into()],
            url: Some("https://coordinator.example".into()),
            token: Some("vgl_x".into()),
            public_key: Some(format!("ed25519:{}", "11".repeat(32))),
        }
    }

    #[test]
    fn recipients_are_checked() {
        assert!(validate_recipient(&hub()).is_ok());
        let field = |r: NewRecipient| match validate_recipient(&r) {
            Err(StoreError::InvalidField { field, .. }) => field,
            other => panic!("accepted or wrong error: {other:?}"),
        };
        assert_eq!(
            field(NewRecipient {
                country: "de".into(),
                ..hub()
            }),
            "country"
        );
        assert_eq!(
            field(NewRecipient {
                url: Some("ftp://x".into()),
                ..hub()
            }),
            "url"
        );
        assert_eq!(
            field(NewRecipient {
                token: None,
                ..hub()
            }),
            "token"
        );
        assert_eq!(
            field(NewRecipient {
                public_key: Some("ed25519:zz".into()),
                ..hub()
            }),
            "public_key"
        );
        assert_eq!(
            field(NewRecipient {
                kind: RecipientKind::Manual,
                ..hub()
            }),
            "url"
        );
        assert!(
            validate_recipient(&NewRecipient {
                kind: RecipientKind::Manual,
                url: None,
                token: None,
                public_key: None,
                ..hub()
            })
            .is_ok()
        );
    }

    #[test]
    fn duty_recipients_may_name_a_role() {
        assert!(check_duty_recipient("role:coordinator").is_ok());
        assert!(check_duty_recipient("eu.nis2.csirt-or-ca").is_ok());
        assert!(check_duty_recipient("org:x").is_err());
        assert!(check_duty_recipient("role:").is_err());
        assert!(check_duty_recipient("Role:x").is_err());
    }

    #[test]
    fn kinds_round_trip() {
        for k in [RecipientKind::VigiloHub, RecipientKind::Manual] {
            assert_eq!(RecipientKind::parse(k.as_str()), Some(k));
        }
        for k in [
            DisclosureKind::Submission,
            DisclosureKind::Manual,
            DisclosureKind::Publication,
        ] {
            assert_eq!(DisclosureKind::parse(k.as_str()), Some(k));
        }
    }
}
