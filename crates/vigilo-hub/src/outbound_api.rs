//! The outbound path: recipients, disclosures checked against the rule
//! packs' constraints, and submissions to other hubs with verified receipts.
//!
//! ```text
//! POST   /api/recipients                      register a recipient (admin)
//! GET    /api/recipients                      list them
//! DELETE /api/recipients/{id}                 remove one (admin)
//! POST   /api/cases/{id}/disclosures/check    would this disclosure be allowed?
//! POST   /api/cases/{id}/submit               submit a duty's stage to a recipient's hub
//! POST   /api/cases/{id}/disclosures          record a manual disclosure (e-mail, portal)
//! GET    /api/cases/{id}/disclosures          the case's outbound log
//! ```
//!
//! Every outbound disclosure about a case — a submission to another hub, a
//! manual submission, a publication — passes [`clear_disclosure`], the one
//! guard: it asks `vigilo_duties::check_disclosure` whether a constraint of
//! a rule pack that applies to the organisation and case forbids it (China's
//! Art. 9(7): no undisclosed details to foreign recipients other than the
//! product's provider; nothing published before the fix). A violation is a
//! 409 naming each constraint and its explanation; only an administrator
//! can override it, with a reason, and the override is audited
//! (`disclosure.override`) with the disclosure it allowed.
//!
//! A submission to a vigilo hub posts the report to the recipient's `POST
//! /api/reports` with the organisation's token there, and accepts the answer
//! only as a receipt signed by the key pinned when the recipient was
//! registered, over the digest of exactly the report sent. The receipt's
//! `received_at` becomes the submission's instant; the receipt is stored
//! with the disclosure, and `vigilo receipts verify` checks it offline.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigilo_core::Scope;
use vigilo_duties::{Disclosure as DutyDisclosure, Violation};
use vigilo_store::cases::{check_flag_value, check_name, check_not_future, check_provenance};
use vigilo_store::outbound::{check_country, check_duty_recipient};
use vigilo_store::{
    CaseRecord, Disclosure, DisclosureKind, NewCaseSubmission, NewDisclosure, NewRecipient,
    Recipient, RecipientKind, micros_to_rfc3339,
};

use crate::AppState;
use crate::api::store_problem;
use crate::auth::Auth;
use crate::cases_api::{facts, profile_of, record_of, rules};
use crate::fields::{FieldErrors, object, string, unknown_members};
use crate::json::ApiJson;
use crate::problem::{Problem, ProblemBody, pointer_push};

const RECIPIENT_MEMBERS: [&str; 8] = [
    "name",
    "kind",
    "country",
    "role",
    "serves",
    "url",
    "token",
    "public_key",
];
const CHECK_MEMBERS: [&str; 6] = [
    "recipient_id",
    "recipient",
    "country",
    "role",
    "publication",
    "flags",
];
const SUBMIT_MEMBERS: [&str; 7] = [
    "recipient_id",
    "rule",
    "stage",
    "covers",
    "include_technical_details",
    "flags",
    "override",
];
const MANUAL_MEMBERS: [&str; 12] = [
    "recipient_id",
    "publication",
    "recipient",
    "country",
    "role",
    "rule",
    "stage",
    "covers",
    "at",
    "evidence",
    "flags",
    "override",
];
/// How long a remote hub may take to answer a submission.
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest receipt answer read from a remote hub.
const MAX_RECEIPT_BYTES: usize = 64 * 1024;

/// The client for submissions: no redirects (the token must not follow
/// one elsewhere), a timeout, rustls.
static CLIENT: LazyLock<Result<reqwest::Client, String>> = LazyLock::new(|| {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(SUBMIT_TIMEOUT)
        .user_agent(concat!("vigilo-hub/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
});

fn client() -> Result<&'static reqwest::Client, Problem> {
    CLIENT
        .as_ref()
        .map_err(|e| Problem::internal_logged(format!("building the HTTP client: {e}")))
}

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_recipients, create_recipient))
        .routes(routes!(remove_recipient))
        .routes(routes!(check_disclosure))
        .routes(routes!(submit))
        .routes(routes!(list_disclosures, record_manual))
}

// ----- views -----

/// A recipient (its token never shown).
#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientView {
    pub id: String,
    pub name: String,
    /// `vigilo_hub` or `manual`.
    pub kind: String,
    pub country: String,
    pub role: String,
    /// The duty recipients it stands for.
    pub serves: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The pinned receipt key (`ed25519:HEX`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    pub has_token: bool,
    pub created_at: String,
    pub created_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<String>,
}

impl From<Recipient> for RecipientView {
    fn from(r: Recipient) -> Self {
        RecipientView {
            id: r.id,
            name: r.name,
            kind: r.kind.as_str().to_owned(),
            country: r.country,
            role: r.role,
            serves: r.serves,
            url: r.url,
            public_key: r.public_key,
            has_token: r.has_token,
            created_at: micros_to_rfc3339(r.created_at),
            created_by: r.created_by,
            removed_at: r.removed_at.map(micros_to_rfc3339),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientList {
    pub recipients: Vec<RecipientView>,
}

/// A disclosure recorded on the outbound log.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosureView {
    pub id: String,
    pub case_id: String,
    /// `submission`, `manual` or `publication`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient_id: Option<String>,
    pub recipient: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The constraints it violated (overridden), empty when none.
    #[schema(value_type = Vec<Object>)]
    pub violations: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submission_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The signed receipt, verified against the recipient's pinned key.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub receipt: Option<Value>,
    pub at: String,
    pub actor: String,
}

impl From<Disclosure> for DisclosureView {
    fn from(d: Disclosure) -> Self {
        DisclosureView {
            id: d.id,
            case_id: d.case_id,
            kind: d.kind.as_str().to_owned(),
            recipient_id: d.recipient_id,
            recipient: d.recipient,
            country: d.country,
            role: d.role,
            violations: d.violations,
            override_reason: d.override_reason,
            submission_id: d.submission_id,
            digest: d.digest,
            receipt: d.receipt,
            at: micros_to_rfc3339(d.at),
            actor: d.actor,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosureList {
    pub disclosures: Vec<DisclosureView>,
}

/// Whether a disclosure would be allowed, and why not.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckView {
    pub allowed: bool,
    /// `rule`, `constraint`, `explanation`, `on_violation`.
    #[schema(value_type = Vec<Object>)]
    pub violations: Vec<Violation>,
    /// Duties of the case flagged for legal review (never resolved here).
    #[schema(value_type = Vec<Object>)]
    pub conflicts: Vec<Value>,
}

// ----- the guard -----

/// Who a disclosure goes to, as the constraints see it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Target {
    pub recipient_id: Option<String>,
    pub recipient: String,
    /// ISO 3166 alpha-2; `None` when unknown (then every country test
    /// counts it as foreign).
    pub country: Option<String>,
    pub role: Option<String>,
    pub publication: bool,
    pub flags: BTreeMap<String, Value>,
}

impl Target {
    fn of(r: &Recipient) -> Target {
        Target {
            recipient_id: Some(r.id.clone()),
            recipient: r.name.clone(),
            country: Some(r.country.clone()),
            role: Some(r.role.clone()),
            ..Target::default()
        }
    }

    /// The world: a publication.
    pub(crate) fn public() -> Target {
        Target {
            recipient: "public".into(),
            publication: true,
            ..Target::default()
        }
    }
}

/// A disclosure the guard let through.
#[derive(Debug)]
pub(crate) struct Cleared {
    pub violations: Vec<Violation>,
    pub override_reason: Option<String>,
}

impl Cleared {
    /// The disclosure to record: to `target`, at `at` (micros), with the
    /// violations overridden and the reason; no submission, digest or
    /// receipt (the caller adds those it has).
    pub(crate) fn disclosure(self, kind: DisclosureKind, target: Target, at: i64) -> NewDisclosure {
        NewDisclosure {
            kind,
            recipient_id: target.recipient_id,
            recipient: target.recipient,
            country: target.country,
            role: target.role,
            violations: serde_json::to_value(&self.violations).unwrap_or_else(|_| json!([])),
            override_reason: self.override_reason,
            submission: None,
            digest: None,
            receipt: None,
            at,
        }
    }
}

/// The constraints a disclosure of the case to `target` violates.
pub(crate) async fn violations(
    state: &AppState,
    auth: &Auth,
    record: &CaseRecord,
    target: &Target,
) -> Result<Vec<Violation>, Problem> {
    let profile = profile_of(state, auth).await?;
    let facts = facts(record)?;
    let mut found = vigilo_duties::check_disclosure(
        rules()?,
        &profile,
        &facts,
        &DutyDisclosure {
            recipient: target.recipient.clone(),
            country: target.country.clone().unwrap_or_default(),
            role: target.role.clone(),
            publication: target.publication,
            flags: target.flags.clone(),
        },
    );
    found.extend(embargo_violation(record, target, Timestamp::now()));
    Ok(found)
}

/// The case's own embargo: nothing is published before its instant.
fn embargo_violation(record: &CaseRecord, target: &Target, now: Timestamp) -> Option<Violation> {
    let e = record.case.embargo.as_ref()?;
    (target.publication && e.until > now.as_microsecond()).then(|| Violation {
        rule: "case.embargo".into(),
        constraint: "embargo".into(),
        explanation: format!(
            "the case is under embargo until {} ({}): nothing is published before then",
            micros_to_rfc3339(e.until),
            e.tz
        ),
        on_violation: "block_with_admin_override".into(),
    })
}

/// The one guard of the outbound path: a disclosure of the case to
/// `target` goes only when no constraint forbids it, or when an
/// administrator overrides the violations with a reason. A blocked
/// disclosure is a 409 naming each violated constraint and its
/// explanation; an override by a token without the `admin` scope is a 403.
pub(crate) async fn clear_disclosure(
    state: &AppState,
    auth: &Auth,
    record: &CaseRecord,
    target: &Target,
    override_reason: Option<&str>,
) -> Result<Cleared, Problem> {
    let found = violations(state, auth, record, target).await?;
    if found.is_empty() {
        return Ok(Cleared {
            violations: found,
            override_reason: None,
        });
    }
    let Some(reason) = override_reason else {
        let mut p = Problem::conflict(format!(
            "disclosing case {} to {} is blocked by {} constraint(s): {}. Nothing was sent. \
             An administrator may override this with a reason (`\"override\": {{\"reason\": \
             \"…\"}}`), which is audited",
            record.case.id,
            target.recipient,
            found.len(),
            found
                .iter()
                .map(|v| format!("{} {}: {}", v.rule, v.constraint, v.explanation))
                .collect::<Vec<_>>()
                .join("; ")
        ));
        for v in &found {
            p = p.with_error(
                "/override",
                format!(
                    "{} {} ({}): {}",
                    v.rule, v.constraint, v.on_violation, v.explanation
                ),
            );
        }
        return Err(p);
    };
    if !auth.principal.scopes.contains(Scope::Admin) {
        return Err(Problem::forbidden(format!(
            "only an administrator can override the constraints that block this disclosure ({})",
            found
                .iter()
                .map(|v| format!("{} {}", v.rule, v.constraint))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(Cleared {
        violations: found,
        override_reason: Some(reason.to_owned()),
    })
}

/// Who a submission of `rule`'s `stage` recorded without a named recipient
/// went to: the organisation's registered recipient serving the stage's
/// duty recipient, else that duty recipient by name, country unknown (so
/// the constraints treat it as foreign).
pub(crate) async fn stage_target(
    state: &AppState,
    auth: &Auth,
    rule: &str,
    stage: &str,
) -> Result<Target, Problem> {
    let duty_recipient = rules()?
        .pack(rule)
        .and_then(|p| p.stages.iter().find(|s| s.id == stage))
        .map(|s| s.recipient.clone())
        .ok_or_else(|| Problem::unprocessable(format!("rule {rule} has no stage {stage}")))?;
    let registered = state
        .store
        .list_recipients(&auth.principal.org_id, false)
        .await
        .map_err(store_problem)?
        .into_iter()
        .find(|r| r.serves.contains(&duty_recipient));
    Ok(match registered {
        Some(r) => Target::of(&r),
        None => Target {
            recipient: duty_recipient,
            ..Target::default()
        },
    })
}

/// The duties a just-recorded fact made late on arrival: overdue now, and
/// not overdue (or not there) before the fact. As (rule, stage, due before,
/// due now) in micros.
pub(crate) fn late_on_arrival(
    before: Option<&vigilo_duties::Computation>,
    after: &vigilo_duties::Computation,
) -> Vec<(String, String, Option<i64>, i64)> {
    use vigilo_duties::DutyStatus;
    after
        .duties
        .iter()
        .filter(|d| d.status == DutyStatus::Overdue)
        .filter_map(|d| {
            let prev = before.and_then(|b| {
                b.duties
                    .iter()
                    .find(|p| p.rule == d.rule && p.stage == d.stage)
            });
            if prev.is_some_and(|p| p.status == DutyStatus::Overdue) {
                return None;
            }
            Some((
                d.rule.clone(),
                d.stage.clone(),
                prev.and_then(|p| p.due).map(|t| t.as_microsecond()),
                d.due?.as_microsecond(),
            ))
        })
        .collect()
}

// ----- reading bodies -----

fn string_list(
    obj: &Map<String, Value>,
    key: &str,
    max: usize,
    check: fn(&str) -> Result<(), String>,
    errors: &mut FieldErrors,
) -> Vec<String> {
    let pointer = pointer_push("", key);
    match obj.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.len() <= max => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| match v.as_str() {
                Some(s) => match check(s) {
                    Ok(()) => Some(s.to_owned()),
                    Err(m) => {
                        errors.push(format!("{pointer}/{i}"), m);
                        None
                    }
                },
                None => {
                    errors.push(format!("{pointer}/{i}"), "must be a string");
                    None
                }
            })
            .collect(),
        Some(Value::Array(_)) => {
            errors.push(pointer, format!("at most {max} items"));
            Vec::new()
        }
        Some(_) => {
            errors.push(pointer, "must be an array of strings");
            Vec::new()
        }
    }
}

fn flags(obj: &Map<String, Value>, errors: &mut FieldErrors) -> BTreeMap<String, Value> {
    match obj.get("flags") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(m)) => m
            .iter()
            .filter(|(k, v)| {
                let p = pointer_push("/flags", k);
                if let Err(e) = check_name(k) {
                    errors.push(p, e);
                    false
                } else if let Err(e) = check_flag_value(v) {
                    errors.push(p, e);
                    false
                } else {
                    true
                }
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        Some(_) => {
            errors.push("/flags", "must be an object of flags");
            BTreeMap::new()
        }
    }
}

pub(crate) fn override_reason<'a>(
    obj: &'a Map<String, Value>,
    errors: &mut FieldErrors,
) -> Option<&'a str> {
    match obj.get("override") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => {
            unknown_members(o, "/override", &["reason"], "an override", errors);
            let reason = string(o, "reason", "/override", true, errors)?;
            match check_provenance(reason) {
                Ok(()) => Some(reason),
                Err(m) => {
                    errors.push("/override/reason", m);
                    None
                }
            }
        }
        Some(_) => {
            errors.push("/override", "must be an object: {\"reason\": \"…\"}");
            None
        }
    }
}

fn boolean(obj: &Map<String, Value>, key: &str, errors: &mut FieldErrors) -> bool {
    match obj.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push(pointer_push("", key), "must be true or false");
            false
        }
    }
}

/// The rule, its stage and covered stages, checked against the rule packs.
fn rule_stage(
    obj: &Map<String, Value>,
    required: bool,
    errors: &mut FieldErrors,
) -> Option<(String, String, Vec<String>, String)> {
    let rule = string(obj, "rule", "", required, errors);
    let stage = string(obj, "stage", "", required || rule.is_some(), errors);
    let covers = string_list(obj, "covers", 20, check_name, errors);
    let (rule, stage) = (rule?, stage?);
    let Ok(rules) = rules() else {
        errors.push("/rule", "the rule packs could not be loaded");
        return None;
    };
    let Some(pack) = rules.pack(rule) else {
        errors.push("/rule", format!("unknown rule id {rule:?}"));
        return None;
    };
    let Some(st) = pack.stages.iter().find(|s| s.id == stage) else {
        errors.push(
            "/stage",
            format!(
                "rule {rule} has no stage {stage:?}: it has {}",
                pack.stages
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        return None;
    };
    for (i, c) in covers.iter().enumerate() {
        if !pack.stages.iter().any(|s| &s.id == c) {
            errors.push(
                format!("/covers/{i}"),
                format!("rule {rule} has no stage {c:?}"),
            );
        }
    }
    Some((
        rule.to_owned(),
        stage.to_owned(),
        covers,
        st.recipient.clone(),
    ))
}

async fn recipient_of(state: &AppState, auth: &Auth, id: &str) -> Result<Recipient, Problem> {
    let r = state
        .store
        .get_recipient(&auth.principal.org_id, id)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| {
            Problem::unprocessable(format!("no recipient {id}"))
                .with_error("/recipient_id", "no such recipient in this organisation")
        })?;
    if r.removed_at.is_some() {
        return Err(
            Problem::unprocessable(format!("recipient {id} was removed"))
                .with_error("/recipient_id", "this recipient was removed"),
        );
    }
    Ok(r)
}

/// The report a submission sends: what the case is about, its facts, and
/// the duty it discharges. Technical details only when asked for.
fn report_of(
    record: &CaseRecord,
    org_name: &str,
    rule: &str,
    stage: &str,
    covers: &[String],
    now: Timestamp,
) -> Value {
    let c = &record.case;
    let mut case = json!({
        "id": c.id,
        "title": c.title,
        "kind": c.kind.as_str(),
        "description": c.description,
        "products": c.products,
        "cve_ids": c.cve_ids,
    });
    if let Some(v) = &c.cvss_vector {
        case["cvss_vector"] = json!(v);
    }
    if let Some(i) = &c.impact {
        case["impact"] = json!(i);
    }
    if c.exploited {
        case["exploited"] = json!(true);
        if let Some(e) = &c.exploited_evidence {
            case["exploited_evidence"] = json!(e);
        }
    }
    if let Some(e) = &c.embargo {
        case["embargo_until"] = json!(micros_to_rfc3339(e.until));
        case["embargo_tz"] = json!(e.tz);
    }
    if !c.linked_advisories.is_empty() {
        case["linked_advisories"] = json!(c.linked_advisories);
    }
    if let Some(t) = &c.technical_details {
        case["technical_details"] = json!(t);
    }
    json!({
        "submitted_by": org_name,
        "rule": rule,
        "stage": stage,
        "covers": covers,
        "case": case,
        "events": record.events.iter().map(|e| json!({
            "event": e.event, "at": micros_to_rfc3339(e.at), "source": e.source,
        })).collect::<Vec<_>>(),
        "sent_at": now.to_string(),
    })
}

/// Posts `report` to the recipient's hub and returns its receipt, verified
/// against the pinned key and the digest of the report, with the instant
/// it attests. Every failure is a 502 saying what went wrong; nothing is
/// stored then.
async fn send(
    r: &Recipient,
    token: &str,
    report: &Value,
    rule: &str,
    stage: &str,
) -> Result<(Value, Timestamp, String), Problem> {
    let (Some(url), Some(key)) = (&r.url, &r.public_key) else {
        return Err(Problem::unprocessable(format!(
            "recipient {} is not a vigilo hub: record a manual disclosure instead",
            r.id
        ))
        .with_error("/recipient_id", "not a vigilo hub"));
    };
    let bad_gateway = |m: String| {
        Problem::new(StatusCode::BAD_GATEWAY, "Bad Gateway").with_detail(format!(
            "submitting to {} ({url}): {m}; nothing was recorded",
            r.name
        ))
    };
    let key = vigilo_formats::receipt::parse_key(key)
        .map_err(|e| Problem::internal_logged(format!("recipient {}: pinned key: {e}", r.id)))?;
    let endpoint = format!("{}/api/reports", url.trim_end_matches('/'));
    let resp = client()?
        .post(&endpoint)
        .bearer_auth(token)
        .json(&json!({"report": report, "rule": rule, "stage": stage}))
        .send()
        .await
        .map_err(|e| bad_gateway(format!("the request failed: {e}")))?;
    let status = resp.status();
    let body = resp
        .bytes()
        .await
        .map_err(|e| bad_gateway(format!("reading the answer failed: {e}")))?;
    if body.len() > MAX_RECEIPT_BYTES {
        return Err(bad_gateway(format!(
            "the answer is {} bytes, more than a receipt's {MAX_RECEIPT_BYTES}",
            body.len()
        )));
    }
    let text = String::from_utf8_lossy(&body);
    if status != reqwest::StatusCode::CREATED {
        let detail = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("detail").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| text.chars().take(300).collect());
        return Err(bad_gateway(format!("the hub answered {status}: {detail}")));
    }
    let receipt = vigilo_formats::receipt::verify(&text, &key, Some(report)).map_err(|e| {
        bad_gateway(format!(
            "the answer is not a valid receipt for the report sent: {e}"
        ))
    })?;
    let at: Timestamp = receipt.receipt.received_at.parse().map_err(|e| {
        bad_gateway(format!(
            "the receipt's received_at {:?} is not RFC 3339: {e}",
            receipt.receipt.received_at
        ))
    })?;
    let evidence = format!(
        "receipt for report {} from {} (key {}), digest {}",
        receipt.receipt.report_id,
        receipt.receipt.issuer,
        receipt.receipt.issuer_key,
        receipt.receipt.digest
    );
    let value = serde_json::to_value(&receipt).map_err(Problem::internal_logged)?;
    Ok((value, at, evidence))
}

// ----- handlers -----

/// Registers a recipient: `{"name", "kind": "vigilo_hub" | "manual",
/// "country": "DE", "role": "coordinator", "serves": ["coordinator"],
/// "url", "token", "public_key"}`. For a vigilo hub the URL, the
/// organisation's API token there (sealed at rest) and the hub's receipt
/// key are required; pin the key from the hub operator (`GET /api/hub/key`
/// shows it). Admin scope; audited.
#[utoipa::path(post, path = "/api/recipients", tag = "outbound",
    request_body(content = Object, description = "`{\"name\": \"National coordinator\", \"kind\": \"vigilo_hub\", \"country\": \"DE\", \"role\": \"coordinator\", \"serves\": [\"coordinator\"], \"url\": \"https://coordinator.example\", \"token\": \"vgl_…\", \"public_key\": \"ed25519:…\"}`"),
    responses((status = 201, body = RecipientView), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn create_recipient(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(doc): ApiJson<Value>,
) -> Result<Response, Problem> {
    auth.require(Scope::Admin)?;
    let root = object(&doc, "recipient")?;
    let mut errors = FieldErrors::default();
    unknown_members(root, "", &RECIPIENT_MEMBERS, "a recipient", &mut errors);
    let name = string(root, "name", "", true, &mut errors).filter(|n| {
        let ok = !n.trim().is_empty();
        if !ok {
            errors.push("/name", "must not be empty");
        }
        ok
    });
    let kind = string(root, "kind", "", true, &mut errors).and_then(|k| {
        let parsed = RecipientKind::parse(k);
        if parsed.is_none() {
            errors.push("/kind", format!("{k:?}: expected vigilo_hub or manual"));
        }
        parsed
    });
    let country = string(root, "country", "", true, &mut errors).filter(|c| {
        check_country(c)
            .map_err(|m| errors.push("/country", m))
            .is_ok()
    });
    let role = string(root, "role", "", true, &mut errors)
        .filter(|r| check_name(r).map_err(|m| errors.push("/role", m)).is_ok());
    let serves = string_list(
        root,
        "serves",
        vigilo_store::outbound::MAX_SERVES,
        check_duty_recipient,
        &mut errors,
    );
    let url = string(root, "url", "", false, &mut errors);
    let token = string(root, "token", "", false, &mut errors);
    let public_key = string(root, "public_key", "", false, &mut errors);
    errors.result("recipient")?;
    let (Some(name), Some(kind), Some(country), Some(role)) = (name, kind, country, role) else {
        return Err(Problem::internal_logged(
            "a recipient validated incompletely",
        ));
    };
    let new = NewRecipient {
        name: name.to_owned(),
        kind,
        country: country.to_owned(),
        role: role.to_owned(),
        serves,
        url: url.map(str::to_owned),
        token: token.map(str::to_owned),
        public_key: public_key.map(str::to_owned),
    };
    let r = state
        .store
        .create_recipient(&auth.actor, &auth.principal.org_id, &new)
        .await
        .map_err(store_problem)?;
    Ok((StatusCode::CREATED, ApiJson(RecipientView::from(r))).into_response())
}

/// The organisation's recipients (tokens never shown).
#[utoipa::path(get, path = "/api/recipients", tag = "outbound",
    responses((status = 200, body = RecipientList), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn list_recipients(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<ApiJson<RecipientList>, Problem> {
    auth.require(Scope::Read)?;
    let list = state
        .store
        .list_recipients(&auth.principal.org_id, false)
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(RecipientList {
        recipients: list.into_iter().map(RecipientView::from).collect(),
    }))
}

/// Removes a recipient (its token is erased; the disclosures naming it
/// keep it). Admin scope; audited.
#[utoipa::path(delete, path = "/api/recipients/{id}", tag = "outbound",
    params(("id" = String, Path, description = "recipient id")),
    responses((status = 204), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn remove_recipient(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    auth.require(Scope::Admin)?;
    state
        .store
        .remove_recipient(&auth.actor, &auth.principal.org_id, &id)
        .await
        .map_err(store_problem)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Would disclosing the case to this recipient be allowed? `{"recipient_id"}`
/// or `{"recipient", "country", "role"}` or `{"publication": true}`, with
/// optional disclosure `flags` (`disclosure.includes_exploit_tool`). Answers
/// the violations (empty when allowed) and the case's conflicts flagged for
/// legal review. Nothing is recorded.
#[utoipa::path(post, path = "/api/cases/{id}/disclosures/check", tag = "outbound",
    params(("id" = String, Path, description = "case id")),
    request_body(content = Object, description = "`{\"recipient_id\": \"…\"}` or `{\"recipient\": \"vendor-x\", \"country\": \"US\", \"role\": \"product_provider\"}` or `{\"publication\": true}`; optional `flags`"),
    responses((status = 200, body = CheckView), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn check_disclosure(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(doc): ApiJson<Value>,
) -> Result<ApiJson<CheckView>, Problem> {
    auth.require(Scope::Read)?;
    let root = object(&doc, "check")?;
    let mut errors = FieldErrors::default();
    unknown_members(root, "", &CHECK_MEMBERS, "a check", &mut errors);
    let target = read_target(root, &mut errors);
    let flags = flags(root, &mut errors);
    errors.result("check")?;
    let record = record_of(&state, &auth, &id).await?;
    let mut target = match target {
        Some(TargetRef::Registered(rid)) => Target::of(&recipient_of(&state, &auth, &rid).await?),
        Some(TargetRef::Given(t)) => t,
        None => return Err(Problem::internal_logged("a check validated incompletely")),
    };
    target.flags = flags;
    let found = violations(&state, &auth, &record, &target).await?;
    let profile = profile_of(&state, &auth).await?;
    let conflicts =
        match vigilo_duties::compute(rules()?, &profile, &facts(&record)?, Timestamp::now()) {
            Ok(c) => c
                .conflicts
                .iter()
                .map(|f| json!({"rule": f.rule, "with": f.with, "action": f.action}))
                .collect(),
            Err(_) => Vec::new(),
        };
    Ok(ApiJson(CheckView {
        allowed: found.is_empty(),
        violations: found,
        conflicts,
    }))
}

enum TargetRef {
    Registered(String),
    Given(Target),
}

/// `recipient_id`, or `recipient` + `country` + `role`, or `publication`.
fn read_target(root: &Map<String, Value>, errors: &mut FieldErrors) -> Option<TargetRef> {
    let publication = boolean(root, "publication", errors);
    let rid = string(root, "recipient_id", "", false, errors);
    let name = string(root, "recipient", "", false, errors);
    let country = string(root, "country", "", false, errors).filter(|c| {
        check_country(c)
            .map_err(|m| errors.push("/country", m))
            .is_ok()
    });
    let role = string(root, "role", "", false, errors)
        .filter(|r| check_name(r).map_err(|m| errors.push("/role", m)).is_ok());
    match (publication, rid, name) {
        (true, None, None) => Some(TargetRef::Given(Target::public())),
        (false, Some(rid), None) => Some(TargetRef::Registered(rid.to_owned())),
        (false, None, Some(name)) if !name.trim().is_empty() => {
            if country.is_none() {
                errors.push(
                    "/country",
                    "required with `recipient`: the constraints test the recipient's country",
                );
            }
            Some(TargetRef::Given(Target {
                recipient: name.trim().to_owned(),
                country: country.map(str::to_owned),
                role: role.map(str::to_owned),
                ..Target::default()
            }))
        }
        _ => {
            errors.push(
                "",
                "name the recipient: `recipient_id`, or `recipient` with `country` (and \
                 `role`), or `publication: true`",
            );
            None
        }
    }
}

/// Submits a stage of a duty to a recipient's vigilo hub: `{"recipient_id",
/// "rule", "stage", "covers", "include_technical_details", "flags",
/// "override": {"reason"}}`. The disclosure is checked against the rule
/// packs' constraints first (409 when blocked; an admin may override with a
/// reason, audited). The report goes to the hub's `POST /api/reports`; its
/// answer is accepted only as a receipt signed by the pinned key over the
/// digest of the report sent (else 502, nothing recorded). The submission
/// is recorded at the receipt's `received_at`, with the receipt. Answers
/// 201 with the disclosure.
#[utoipa::path(post, path = "/api/cases/{id}/submit", tag = "outbound",
    params(("id" = String, Path, description = "case id")),
    request_body(content = Object, description = "`{\"recipient_id\": \"…\", \"rule\": \"partnership.coordinator-membership\", \"stage\": \"report\", \"covers\": [], \"include_technical_details\": false, \"override\": {\"reason\": \"…\"}}`"),
    responses((status = 201, body = DisclosureView), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 422, body = ProblemBody),
        (status = 502, body = ProblemBody)),
    security(("token" = [])))]
async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(doc): ApiJson<Value>,
) -> Result<Response, Problem> {
    auth.require(Scope::Write)?;
    let root = object(&doc, "submission")?;
    let mut errors = FieldErrors::default();
    unknown_members(root, "", &SUBMIT_MEMBERS, "a submission", &mut errors);
    let rid = string(root, "recipient_id", "", true, &mut errors);
    let duty = rule_stage(root, true, &mut errors);
    let technical = boolean(root, "include_technical_details", &mut errors);
    let flags = flags(root, &mut errors);
    let reason = override_reason(root, &mut errors);
    errors.result("submission")?;
    let (Some(rid), Some((rule, stage, covers, duty_recipient))) = (rid, duty) else {
        return Err(Problem::internal_logged(
            "a submission validated incompletely",
        ));
    };
    let recipient = recipient_of(&state, &auth, rid).await?;
    if recipient.kind != RecipientKind::VigiloHub {
        return Err(Problem::unprocessable(format!(
            "recipient {} is reached by hand: record the disclosure with POST \
             /api/cases/{id}/disclosures",
            recipient.name
        ))
        .with_error("/recipient_id", "not a vigilo hub"));
    }
    if !recipient.serves.iter().any(|s| s == &duty_recipient) {
        let m = format!(
            "stage {stage} of {rule} goes to {duty_recipient}, and recipient {} serves {}",
            recipient.name,
            if recipient.serves.is_empty() {
                "no duty recipient".to_owned()
            } else {
                recipient.serves.join(", ")
            }
        );
        return Err(Problem::unprocessable(m.clone()).with_error("/recipient_id", m));
    }
    if technical {
        auth.require(Scope::Write)?;
    }
    let record = state
        .store
        .get_case(&auth.actor, &auth.principal.org_id, &id, technical)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found(format!("no case {id}")))?;
    let mut target = Target::of(&recipient);
    target.flags = flags;
    let cleared = clear_disclosure(&state, &auth, &record, &target, reason).await?;
    let token = state
        .store
        .recipient_token(&auth.principal.org_id, &recipient.id)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::unprocessable("the recipient has no token"))?;
    let org_name = state
        .store
        .org_by_id(&auth.principal.org_id)
        .await
        .map_err(store_problem)?
        .map_or_else(|| auth.principal.org_id.clone(), |o| o.name);
    let report = report_of(&record, &org_name, &rule, &stage, &covers, Timestamp::now());
    let (receipt, at, evidence) = send(&recipient, &token, &report, &rule, &stage).await?;
    let digest = vigilo_formats::receipt::digest(&report).map_err(Problem::internal_logged)?;
    let (disclosure, _) = state
        .store
        .record_disclosure(
            &auth.actor,
            &auth.principal.org_id,
            &id,
            &NewDisclosure {
                submission: Some(NewCaseSubmission {
                    rule,
                    stage,
                    covers,
                    at: at.as_microsecond(),
                    evidence,
                }),
                digest: Some(digest),
                receipt: Some(receipt),
                ..cleared.disclosure(DisclosureKind::Submission, target, at.as_microsecond())
            },
        )
        .await
        .map_err(store_problem)?;
    Ok((
        StatusCode::CREATED,
        ApiJson(DisclosureView::from(disclosure)),
    )
        .into_response())
}

/// Records a disclosure made by hand — a report e-mailed or entered in a
/// portal — with its evidence and time: `{"recipient_id"}` or
/// `{"recipient", "country", "role"}`, optionally the duty's `rule`,
/// `stage` and `covers` it discharges, `at` (RFC 3339, default now),
/// `evidence`, `flags`, `override`. Checked against the constraints like
/// every disclosure (409 when blocked, admin override audited).
#[utoipa::path(post, path = "/api/cases/{id}/disclosures", tag = "outbound",
    params(("id" = String, Path, description = "case id")),
    request_body(content = Object, description = "`{\"recipient\": \"CSIRT mailbox\", \"country\": \"DE\", \"role\": \"csirt\", \"rule\": \"eu.cra.art14.aev\", \"stage\": \"early_warning\", \"at\": \"2026-10-03T06:00:00Z\", \"evidence\": \"e-mail Message-ID <…>\"}`"),
    responses((status = 201, body = DisclosureView), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn record_manual(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(doc): ApiJson<Value>,
) -> Result<Response, Problem> {
    auth.require(Scope::Write)?;
    let now = Timestamp::now();
    let root = object(&doc, "disclosure")?;
    let mut errors = FieldErrors::default();
    unknown_members(root, "", &MANUAL_MEMBERS, "a disclosure", &mut errors);
    let target = read_target(root, &mut errors);
    let duty = rule_stage(root, false, &mut errors);
    let at = match string(root, "at", "", false, &mut errors) {
        None => Some(now.as_microsecond()),
        Some(text) => match text.parse::<Timestamp>() {
            Ok(t) => match check_not_future(t.as_microsecond(), now.as_microsecond()) {
                Ok(()) => Some(t.as_microsecond()),
                Err(m) => {
                    errors.push("/at", m);
                    None
                }
            },
            Err(e) => {
                errors.push("/at", format!("not an RFC 3339 instant: {e}"));
                None
            }
        },
    };
    let evidence = string(root, "evidence", "", true, &mut errors).filter(|e| {
        check_provenance(e)
            .map_err(|m| errors.push("/evidence", m))
            .is_ok()
    });
    let flags = flags(root, &mut errors);
    let reason = override_reason(root, &mut errors);
    errors.result("disclosure")?;
    let (Some(target), Some(at), Some(evidence)) = (target, at, evidence) else {
        return Err(Problem::internal_logged(
            "a disclosure validated incompletely",
        ));
    };
    let mut target = match target {
        TargetRef::Registered(rid) => Target::of(&recipient_of(&state, &auth, &rid).await?),
        TargetRef::Given(t) => t,
    };
    target.flags = flags;
    let record = record_of(&state, &auth, &id).await?;
    let cleared = clear_disclosure(&state, &auth, &record, &target, reason).await?;
    let kind = if target.publication {
        DisclosureKind::Publication
    } else {
        DisclosureKind::Manual
    };
    let (disclosure, _) = state
        .store
        .record_disclosure(
            &auth.actor,
            &auth.principal.org_id,
            &id,
            &NewDisclosure {
                submission: duty.map(|(rule, stage, covers, _)| NewCaseSubmission {
                    rule,
                    stage,
                    covers,
                    at,
                    evidence: evidence.to_owned(),
                }),
                ..cleared.disclosure(kind, target, at)
            },
        )
        .await
        .map_err(store_problem)?;
    Ok((
        StatusCode::CREATED,
        ApiJson(DisclosureView::from(disclosure)),
    )
        .into_response())
}

/// The case's outbound log: every disclosure, with the violations an
/// administrator overrode and the receipts other hubs signed.
#[utoipa::path(get, path = "/api/cases/{id}/disclosures", tag = "outbound",
    params(("id" = String, Path, description = "case id")),
    responses((status = 200, body = DisclosureList), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn list_disclosures(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<DisclosureList>, Problem> {
    auth.require(Scope::Read)?;
    record_of(&state, &auth, &id).await?;
    let list = state
        .store
        .list_disclosures(&auth.principal.org_id, Some(&id))
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(DisclosureList {
        disclosures: list.into_iter().map(DisclosureView::from).collect(),
    }))
}
