//! Cases and their duties under `/api/cases` and `/api/duties`.
//!
//! A case is a vulnerability report or an incident the organisation handles:
//!
//! ```text
//! POST /api/cases
//! { "title": "RCE in the gateway",
//!   "kind": "vulnerability",                   // vulnerability | incident
//!   "status": "received",                      // optional; received (default) | triaged |
//!                                              //   coordinating | fixed | disclosed | rejected | duplicate
//!   "description": "…",                        // optional
//!   "products": [{"name": "gateway", "version": "2.3", "purl": "pkg:…"}],   // optional
//!   "cvss_vector": "CVSS:3.1/AV:N/…",          // optional; CVSS:3.1/ or CVSS:4.0/
//!   "cve_ids": ["CVE-2026-12345"],             // optional
//!   "flags": {"product.made_available_in_eu": true},  // optional: the duty engine's case flags
//!   "technical_details": "…",                  // optional; sealed at rest
//!   "impact": "…",                             // optional
//!   "exploited": true,                         // optional (default false)
//!   "exploited_evidence": "…",                 // required when exploited
//!   "reporter_contact": {"name": "…", "email": "…", "pgp_key": "…"},  // optional; sealed
//!   "embargo_until": "2026-12-01T09:00:00",    // optional: RFC 3339, or a local date-time
//!   "embargo_tz": "Europe/Berlin",             //   in this IANA zone (required with it)
//!   "linked_advisories": ["GHSA-jfh8-c2jp-5v3q"] }  // optional: advisory ids or aliases
//! ```
//!
//! `PATCH /api/cases/{id}` changes the mutable fields (status, impact,
//! exploited, exploited_evidence, embargo_until + embargo_tz,
//! linked_advisories, cve_ids, cvss_vector; `null` clears a nullable one),
//! validated whole together with what it leaves as it is. The case view
//! shows `cvss` as `{"vector", "version"}`.
//!
//! Its facts are events with provenance (`POST /api/cases/{id}/events`:
//! `{"event": "vuln.exploitation_aware", "at": "2026-10-02T07:15:00Z",
//! "source": "…"}`), its reports sent are submissions (`POST
//! /api/cases/{id}/submissions`: `{"rule", "stage", "covers", "at",
//! "evidence"}`), both append-only. `GET /api/cases/{id}/duties` computes
//! the case's duties with `vigilo-duties` from the organisation's profile
//! (roles, jurisdictions, sectors) and the case's flags, events and
//! submissions, at the time of the request; `GET /api/duties` does so for
//! every case of the organisation and lists the duties by due time.
//!
//! Bodies are validated whole: every problem is a 422 naming its field's
//! JSON pointer, and nothing is stored. Another organisation's case is a
//! 404. Reading needs the `read` scope, writing and revealing the sealed
//! fields (`?reveal=technical_details`, `?reveal=reporter_contact` or both,
//! comma-separated; each audited) `write`. Participants, messages,
//! attachments and the public intake are in `case_parts_api`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigilo_core::Scope;
use vigilo_duties::{Computation, Duty, DutyError, Facts, Profile, Rules};
use vigilo_store::cases::{
    MAX_COVERS, MAX_CVE_IDS, MAX_FLAGS, MAX_LINKED_ADVISORIES, MAX_PRODUCTS, check_advisory_id,
    check_cve_id, check_cvss_vector, check_description, check_evidence, check_flag_value,
    check_impact, check_name, check_not_future, check_product, check_provenance,
    check_reporter_contact, check_technical_details, check_time_zone, check_title,
};
use vigilo_store::{
    CaseEvent, CaseKind, CaseProduct, CaseRecord, CaseStatus, CaseSubmission, CaseUpdate,
    DisclosureKind, Embargo, NewCase, NewCaseEvent, NewCaseSubmission, NewDisclosure, OrgProfile,
    ReporterContact, SealedCaseField, StoredCase, micros_to_rfc3339,
};

use crate::ApiQuery as Query;
use crate::AppState;
use crate::api::store_problem;
use crate::auth::Auth;
use crate::fields::{FieldErrors as Errors, object, string, unknown_members};
use crate::json::ApiJson;
use crate::outbound_api::{
    Target, clear_disclosure, late_on_arrival, override_reason, stage_target,
};
use crate::problem::{Problem, ProblemBody, pointer_push};

const KINDS: &str = "vulnerability, incident";
const STATUSES: &str = "received, triaged, coordinating, fixed, disclosed, rejected, duplicate";
/// The duty statuses `GET /api/duties?status=` accepts (as the engine names them).
const DUTY_STATUSES: [&str; 7] = [
    "pending_trigger",
    "open",
    "overdue",
    "submitted",
    "submitted_late",
    "discharged",
    "target",
];
const CASE_MEMBERS: [&str; 16] = [
    "title",
    "kind",
    "status",
    "description",
    "products",
    "cvss_vector",
    "cve_ids",
    "flags",
    "technical_details",
    "impact",
    "exploited",
    "exploited_evidence",
    "reporter_contact",
    "embargo_until",
    "embargo_tz",
    "linked_advisories",
];
/// What `PATCH /api/cases/{id}` may change.
const PATCH_MEMBERS: [&str; 10] = [
    "status",
    "override",
    "impact",
    "exploited",
    "exploited_evidence",
    "embargo_until",
    "embargo_tz",
    "linked_advisories",
    "cve_ids",
    "cvss_vector",
];
const CONTACT_MEMBERS: [&str; 3] = ["name", "email", "pgp_key"];
const PRODUCT_MEMBERS: [&str; 3] = ["name", "version", "purl"];
const EVENT_MEMBERS: [&str; 3] = ["event", "at", "source"];
const SUBMISSION_MEMBERS: [&str; 6] = ["rule", "stage", "covers", "at", "evidence", "override"];
/// The sealed fields `?reveal=` names.
const REVEALABLE: &str = "technical_details, reporter_contact";

/// The rule packs and calendars embedded at build time, loaded once.
static RULES: LazyLock<Result<Rules, String>> =
    LazyLock::new(|| Rules::embedded().map_err(|e| e.to_string()));

pub(crate) fn rules() -> Result<&'static Rules, Problem> {
    RULES
        .as_ref()
        .map_err(|e| Problem::internal_logged(format!("loading the embedded rules: {e}")))
}

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cases, create_case))
        .routes(routes!(get_case, update_case))
        .routes(routes!(add_event))
        .routes(routes!(add_submission))
        .routes(routes!(case_duties))
        .routes(routes!(list_duties))
}

// ----- views -----

/// A product a case concerns.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// A fact: what happened, when, who says so, who recorded it and when.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: String,
    /// `vuln.discovered_or_learned`, `vuln.exploitation_aware`, ...
    pub event: String,
    pub at: String,
    /// Provenance.
    pub source: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

impl From<CaseEvent> for EventView {
    fn from(e: CaseEvent) -> Self {
        EventView {
            id: e.id,
            event: e.event,
            at: micros_to_rfc3339(e.at),
            source: e.source,
            recorded_by: e.recorded_by,
            recorded_at: micros_to_rfc3339(e.recorded_at),
        }
    }
}

/// A stage of a rule reported, with its evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionView {
    pub id: String,
    pub rule: String,
    pub stage: String,
    /// Other stages of the rule this submission also provided.
    pub covers: Vec<String>,
    pub at: String,
    pub evidence: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

impl From<CaseSubmission> for SubmissionView {
    fn from(s: CaseSubmission) -> Self {
        SubmissionView {
            id: s.id,
            rule: s.rule,
            stage: s.stage,
            covers: s.covers,
            at: micros_to_rfc3339(s.at),
            evidence: s.evidence,
            recorded_by: s.recorded_by,
            recorded_at: micros_to_rfc3339(s.recorded_at),
        }
    }
}

/// A CVSS vector, its version and its score (vigilo_core::cvss).
#[derive(Debug, Serialize, ToSchema)]
pub struct CvssView {
    pub vector: String,
    /// `3.0`, `3.1` or `4.0`.
    pub version: String,
    /// v3: the base score; v4.0: the CVSS-B/BT/BE/BTE score.
    pub score: f64,
    /// `none`, `low`, `medium`, `high`, `critical`.
    pub severity: String,
    /// v3 with temporal metrics: the temporal score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporal: Option<f64>,
    /// v3 with environmental metrics: the environmental score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environmental: Option<f64>,
    /// v4.0: `CVSS-B`, `CVSS-BT`, `CVSS-BE` or `CVSS-BTE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nomenclature: Option<String>,
}

impl CvssView {
    /// `None` for a vector that does not parse (stored before vectors were
    /// scored); stored vectors are checked on the way in.
    fn of(vector: &str) -> Option<Self> {
        let cvss = vigilo_core::cvss::parse(vector).ok()?;
        let score = cvss.score();
        Some(CvssView {
            vector: vector.to_owned(),
            version: cvss.version().as_str().to_owned(),
            score: score.base,
            severity: score.severity.as_str().to_ascii_lowercase(),
            temporal: score.temporal,
            environmental: score.environmental,
            nomenclature: score.nomenclature.map(|n| n.as_str().to_owned()),
        })
    }
}

/// How to reach whoever reported a case (personal data).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReporterContactView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pgp_key: Option<String>,
}

/// A case. `technical_details` and `reporter_contact` are present only when
/// revealed; `events` and `submissions` only on `GET /api/cases/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub id: String,
    pub title: String,
    /// `vulnerability` or `incident`.
    pub kind: String,
    /// `received`, `triaged`, `coordinating`, `fixed`, `disclosed`,
    /// `rejected` or `duplicate`.
    pub status: String,
    pub description: String,
    pub products: Vec<ProductView>,
    pub cvss_vector: Option<String>,
    pub cve_ids: Vec<String>,
    /// The duty engine's case flags.
    #[schema(value_type = Object)]
    pub flags: BTreeMap<String, Value>,
    /// Whether the case has (sealed) technical details.
    pub has_technical_details: bool,
    /// Only with `?reveal=technical_details`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub technical_details: Option<String>,
    /// The CVSS vector and its version (the same vector as `cvss_vector`).
    pub cvss: Option<CvssView>,
    pub impact: Option<String>,
    pub exploited: bool,
    pub exploited_evidence: Option<String>,
    /// Whether the case has a (sealed) reporter contact.
    pub has_reporter_contact: bool,
    /// Only with `?reveal=reporter_contact`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter_contact: Option<ReporterContactView>,
    /// The embargo instant, UTC (RFC 3339).
    pub embargo_until: Option<String>,
    /// The IANA time zone the embargo was set in.
    pub embargo_tz: Option<String>,
    /// The embargo instant in its zone (RFC 9557:
    /// `2026-12-01T09:00:00+01:00[Europe/Berlin]`).
    pub embargo_local: Option<String>,
    /// Advisory ids or aliases.
    pub linked_advisories: Vec<String>,
    /// `api` or `intake` (the public intake).
    pub origin: String,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submissions: Option<Vec<SubmissionView>>,
}

impl From<StoredCase> for CaseView {
    fn from(c: StoredCase) -> Self {
        CaseView {
            id: c.id,
            title: c.title,
            kind: c.kind.as_str().to_owned(),
            status: c.status.as_str().to_owned(),
            description: c.description,
            products: c
                .products
                .into_iter()
                .map(|p| ProductView {
                    name: p.name,
                    version: p.version,
                    purl: p.purl,
                })
                .collect(),
            cvss: c.cvss_vector.as_deref().and_then(CvssView::of),
            cvss_vector: c.cvss_vector,
            cve_ids: c.cve_ids,
            flags: c.flags,
            has_technical_details: c.has_technical_details,
            technical_details: c.technical_details,
            impact: c.impact,
            exploited: c.exploited,
            exploited_evidence: c.exploited_evidence,
            has_reporter_contact: c.has_reporter_contact,
            reporter_contact: c.reporter_contact.map(|r| ReporterContactView {
                name: r.name,
                email: r.email,
                pgp_key: r.pgp_key,
            }),
            embargo_until: c.embargo.as_ref().map(|e| micros_to_rfc3339(e.until)),
            embargo_local: c.embargo.as_ref().map(Embargo::local),
            embargo_tz: c.embargo.map(|e| e.tz),
            linked_advisories: c.linked_advisories,
            origin: c.origin.as_str().to_owned(),
            created_at: micros_to_rfc3339(c.created_at),
            updated_at: micros_to_rfc3339(c.updated_at),
            created_by: c.created_by,
            events: None,
            submissions: None,
        }
    }
}

impl From<CaseRecord> for CaseView {
    fn from(r: CaseRecord) -> Self {
        CaseView {
            events: Some(r.events.into_iter().map(EventView::from).collect()),
            submissions: Some(
                r.submissions
                    .into_iter()
                    .map(SubmissionView::from)
                    .collect(),
            ),
            ..CaseView::from(r.case)
        }
    }
}

/// The organisation's cases.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList {
    pub cases: Vec<CaseView>,
}

/// One duty of one case (the engine's duty with the case it belongs to).
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDuty {
    /// `{case id}/{rule}/{stage}`.
    pub id: String,
    pub case_id: String,
    pub case_title: String,
    /// `rule`, `title`, `stage`, `recipient`, `due` (RFC 3339 or null),
    /// `target`, `status`, `strictness`, `submitted`, `unverified`, `explain`.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub duty: Duty,
}

/// Two duties of a case flagged for legal review.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseConflict {
    pub case_id: String,
    pub rule: String,
    pub with: String,
    pub action: String,
}

/// A case whose duties could not be computed (facts out of order, a
/// calendar that ends too early, ...).
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDutyError {
    pub case_id: String,
    pub detail: String,
}

/// The duties of every case of the organisation, soonest due first; duties
/// with no due instant (pending a trigger, soft targets) last.
#[derive(Debug, Serialize, ToSchema)]
pub struct DutyList {
    pub duties: Vec<CaseDuty>,
    pub conflicts: Vec<CaseConflict>,
    /// Cases whose duties could not be computed: fix their facts.
    pub errors: Vec<CaseDutyError>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CasesQuery {
    /// Only cases with this status.
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RevealQuery {
    /// `technical_details`, `reporter_contact`, or both comma-separated:
    /// include those sealed fields (`write` scope; each reveal audited).
    pub reveal: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DutiesQuery {
    /// Only duties with this status: `pending_trigger`, `open`, `overdue`,
    /// `submitted`, `submitted_late`, `discharged` or `target`.
    pub status: Option<String>,
}

// ----- validation -----

/// A string member passed through `check`, the error recorded at its pointer.
fn checked<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    required: bool,
    check: impl Fn(&str) -> Result<(), String>,
    errors: &mut Errors,
) -> Option<&'a str> {
    let s = string(obj, key, "", required, errors)?;
    match check(s) {
        Ok(()) => Some(s),
        Err(m) => {
            errors.push(pointer_push("", key), m);
            None
        }
    }
}

/// Member `key` as a list of strings (absent or null: empty).
fn string_list(
    obj: &Map<String, Value>,
    key: &str,
    max: usize,
    check: impl Fn(&str) -> Result<(), String>,
    errors: &mut Errors,
) -> Vec<String> {
    let pointer = pointer_push("", key);
    match obj.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) if list.len() > max => {
            errors.push(pointer, format!("more than {max} entries"));
            Vec::new()
        }
        Some(Value::Array(list)) => {
            let mut out = Vec::with_capacity(list.len());
            for (i, v) in list.iter().enumerate() {
                match v.as_str() {
                    Some(s) => match check(s) {
                        Ok(()) => out.push(s.to_owned()),
                        Err(m) => errors.push(format!("{pointer}/{i}"), m),
                    },
                    None => errors.push(format!("{pointer}/{i}"), "must be a string"),
                }
            }
            out
        }
        Some(_) => {
            errors.push(pointer, "must be an array of strings");
            Vec::new()
        }
    }
}

/// Member `at`: an RFC 3339 instant not more than five minutes after `now`.
fn instant(obj: &Map<String, Value>, now: Timestamp, errors: &mut Errors) -> Option<i64> {
    let s = string(obj, "at", "", true, errors)?;
    let Ok(t) = s.trim().parse::<Timestamp>() else {
        errors.push(
            "/at",
            "not an RFC 3339 time with an offset (e.g. 2026-10-02T07:15:00Z)",
        );
        return None;
    };
    let at = t.as_microsecond();
    match check_not_future(at, now.as_microsecond()) {
        Ok(()) => Some(at),
        Err(m) => {
            errors.push("/at", m);
            None
        }
    }
}

pub(crate) fn read_product(
    item: &Value,
    pointer: &str,
    errors: &mut Errors,
) -> Option<CaseProduct> {
    let Some(obj) = item.as_object() else {
        errors.push(pointer, "must be an object with name, version and purl");
        return None;
    };
    let before = errors.total();
    unknown_members(obj, pointer, &PRODUCT_MEMBERS, "a product", errors);
    let product = CaseProduct {
        name: string(obj, "name", pointer, true, errors)?.to_owned(),
        version: string(obj, "version", pointer, false, errors).map(str::to_owned),
        purl: string(obj, "purl", pointer, false, errors).map(str::to_owned),
    };
    if let Err((member, m)) = check_product(&product) {
        errors.push(pointer_push(pointer, member), m);
    }
    (errors.total() == before).then_some(product)
}

/// Validates a new case whole.
fn read_case(doc: &Value) -> Result<NewCase, Problem> {
    let root = object(doc, "case")?;
    let mut errors = Errors::default();
    unknown_members(root, "", &CASE_MEMBERS, "a case", &mut errors);
    let title = checked(root, "title", true, check_title, &mut errors);
    let kind = string(root, "kind", "", true, &mut errors).and_then(|k| {
        let kind = CaseKind::parse(k);
        if kind.is_none() {
            errors.push(
                "/kind",
                format!("unknown kind {k:?}: expected one of {KINDS}"),
            );
        }
        kind
    });
    let status = match string(root, "status", "", false, &mut errors) {
        None => Some(CaseStatus::Received),
        Some(s) => {
            let status = CaseStatus::parse(s);
            if status.is_none() {
                errors.push(
                    "/status",
                    format!("unknown status {s:?}: expected one of {STATUSES}"),
                );
            }
            status
        }
    };
    let description = checked(root, "description", false, check_description, &mut errors);
    let technical = checked(
        root,
        "technical_details",
        false,
        check_technical_details,
        &mut errors,
    );
    let cvss = checked(root, "cvss_vector", false, check_cvss_vector, &mut errors);
    let cve_ids = string_list(root, "cve_ids", MAX_CVE_IDS, check_cve_id, &mut errors);
    let mut products = Vec::new();
    match root.get("products") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) if list.len() > MAX_PRODUCTS => {
            errors.push("/products", format!("more than {MAX_PRODUCTS} products"));
        }
        Some(Value::Array(list)) => {
            for (i, item) in list.iter().enumerate() {
                if let Some(p) = read_product(item, &format!("/products/{i}"), &mut errors) {
                    products.push(p);
                }
            }
        }
        Some(_) => errors.push("/products", "must be an array of products"),
    }
    let mut flags = BTreeMap::new();
    match root.get("flags") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) if map.len() > MAX_FLAGS => {
            errors.push("/flags", format!("more than {MAX_FLAGS} flags"));
        }
        Some(Value::Object(map)) => {
            for (k, v) in map {
                let pointer = pointer_push("/flags", k);
                match check_name(k).and_then(|()| check_flag_value(v)) {
                    Ok(()) => {
                        flags.insert(k.clone(), v.clone());
                    }
                    Err(m) => errors.push(pointer, m),
                }
            }
        }
        Some(_) => errors.push(
            "/flags",
            "must be an object of flags (true/false, a string or a list of strings)",
        ),
    }
    let impact = checked(root, "impact", false, check_impact, &mut errors);
    let exploited = boolean(root, "exploited", &mut errors).unwrap_or(false);
    let evidence = checked(
        root,
        "exploited_evidence",
        false,
        check_evidence,
        &mut errors,
    );
    if exploited && root.get("exploited_evidence").is_none_or(Value::is_null) {
        errors.push("/exploited_evidence", "required when exploited is true");
    }
    let reporter_contact = read_contact(root, "reporter_contact", &mut errors);
    let embargo = read_embargo(root, &mut errors).flatten();
    let linked_advisories = string_list(
        root,
        "linked_advisories",
        MAX_LINKED_ADVISORIES,
        check_advisory_id,
        &mut errors,
    );
    errors.result("case")?;
    match (title, kind, status) {
        (Some(title), Some(kind), Some(status)) => Ok(NewCase {
            title: title.trim().to_owned(),
            kind,
            status,
            description: description.unwrap_or_default().to_owned(),
            products,
            cvss_vector: cvss.map(str::to_owned),
            cve_ids,
            flags,
            technical_details: technical.map(str::to_owned),
            impact: impact.map(str::to_owned),
            exploited,
            exploited_evidence: evidence.map(|e| e.trim().to_owned()),
            reporter_contact,
            embargo,
            linked_advisories,
        }),
        _ => Err(Problem::internal_logged(
            "a case validated without its title or kind",
        )),
    }
}

fn read_event(doc: &Value, now: Timestamp) -> Result<NewCaseEvent, Problem> {
    let root = object(doc, "event")?;
    let mut errors = Errors::default();
    unknown_members(root, "", &EVENT_MEMBERS, "an event", &mut errors);
    let event = checked(root, "event", true, check_name, &mut errors);
    let at = instant(root, now, &mut errors);
    let source = checked(root, "source", true, check_provenance, &mut errors);
    errors.result("event")?;
    match (event, at, source) {
        (Some(event), Some(at), Some(source)) => Ok(NewCaseEvent {
            event: event.to_owned(),
            at,
            source: source.trim().to_owned(),
        }),
        _ => Err(Problem::internal_logged("an event validated incompletely")),
    }
}

fn read_submission(doc: &Value, now: Timestamp) -> Result<NewCaseSubmission, Problem> {
    let root = object(doc, "submission")?;
    let rules = rules()?;
    let mut errors = Errors::default();
    unknown_members(root, "", &SUBMISSION_MEMBERS, "a submission", &mut errors);
    let rule = checked(root, "rule", true, check_name, &mut errors);
    let pack = rule.and_then(|r| {
        let pack = rules.pack(r);
        if pack.is_none() {
            errors.push("/rule", format!("unknown rule id {r:?}"));
        }
        pack
    });
    let has_stage = |s: &str| -> Result<(), String> {
        check_name(s)?;
        match pack {
            Some(p) if !p.stages.iter().any(|st| st.id == s) => {
                Err(format!("rule {} has no stage {s:?}", p.id))
            }
            _ => Ok(()),
        }
    };
    let stage = checked(root, "stage", true, has_stage, &mut errors);
    let covers = string_list(root, "covers", MAX_COVERS, has_stage, &mut errors);
    let at = instant(root, now, &mut errors);
    let evidence = checked(root, "evidence", true, check_provenance, &mut errors);
    errors.result("submission")?;
    match (rule, stage, at, evidence) {
        (Some(rule), Some(stage), Some(at), Some(evidence)) => Ok(NewCaseSubmission {
            rule: rule.to_owned(),
            stage: stage.to_owned(),
            covers,
            at,
            evidence: evidence.trim().to_owned(),
        }),
        _ => Err(Problem::internal_logged(
            "a submission validated incompletely",
        )),
    }
}

/// Member `key` as true/false (`None` when absent or null, or not a boolean:
/// the error recorded).
fn boolean(obj: &Map<String, Value>, key: &str, errors: &mut Errors) -> Option<bool> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            errors.push(pointer_push("", key), "must be true or false");
            None
        }
    }
}

/// Member `key` as a reporter contact `{"name", "email", "pgp_key"}`
/// (absent or null: none).
pub(crate) fn read_contact(
    obj: &Map<String, Value>,
    key: &str,
    errors: &mut Errors,
) -> Option<ReporterContact> {
    let pointer = pointer_push("", key);
    let item = obj.get(key).filter(|v| !v.is_null())?;
    let Some(c) = item.as_object() else {
        errors.push(pointer, "must be an object with name, email and pgp_key");
        return None;
    };
    let before = errors.total();
    unknown_members(c, &pointer, &CONTACT_MEMBERS, "a contact", errors);
    let contact = ReporterContact {
        name: string(c, "name", &pointer, false, errors).map(|s| s.trim().to_owned()),
        email: string(c, "email", &pointer, false, errors).map(|s| s.trim().to_owned()),
        pgp_key: string(c, "pgp_key", &pointer, false, errors).map(str::to_owned),
    };
    if errors.total() != before {
        return None;
    }
    match check_reporter_contact(&contact) {
        Ok(()) => Some(contact),
        Err((member, m)) => {
            let at = if member.is_empty() {
                pointer
            } else {
                pointer_push(&pointer, member)
            };
            errors.push(at, m);
            None
        }
    }
}

/// An embargo instant: RFC 3339 with an offset, or a local date-time
/// (`2026-12-01T09:00:00`) or date (`2026-12-01`, midnight) in `tz`.
fn embargo_instant(text: &str, tz: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t.as_microsecond());
    }
    let zone = jiff::tz::TimeZone::get(tz).map_err(|e| format!("time zone {tz:?}: {e}"))?;
    let civil = text
        .parse::<jiff::civil::DateTime>()
        .or_else(|_| {
            text.parse::<jiff::civil::Date>()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        })
        .map_err(|_| {
            "not an RFC 3339 time (2026-12-01T09:00:00Z), a local date-time \
             (2026-12-01T09:00:00) or a date (2026-12-01)"
                .to_owned()
        })?;
    civil
        .to_zoned(zone)
        .map(|z| z.timestamp().as_microsecond())
        .map_err(|e| format!("not a time in {tz}: {e}"))
}

/// Members `embargo_until` and `embargo_tz`, which go together: `None` when
/// both are absent, `Some(None)` when both are null (cleared), else the
/// embargo (errors recorded).
fn read_embargo(obj: &Map<String, Value>, errors: &mut Errors) -> Option<Option<Embargo>> {
    let until_v = obj.get("embargo_until");
    let tz_v = obj.get("embargo_tz");
    if until_v.is_none() && tz_v.is_none() {
        return None;
    }
    if until_v.is_none_or(Value::is_null) && tz_v.is_none_or(Value::is_null) {
        return Some(None);
    }
    let tz = checked(obj, "embargo_tz", false, check_time_zone, errors);
    let until = string(obj, "embargo_until", "", false, errors);
    match (until, tz) {
        (Some(until), Some(tz)) => match embargo_instant(until, tz) {
            Ok(at) => Some(Some(Embargo {
                until: at,
                tz: tz.to_owned(),
            })),
            Err(m) => {
                errors.push("/embargo_until", m);
                None
            }
        },
        (None, _) if until_v.is_none_or(Value::is_null) => {
            errors.push("/embargo_until", "required with embargo_tz");
            None
        }
        (_, None) if tz_v.is_none_or(Value::is_null) => {
            errors.push(
                "/embargo_tz",
                "required with embargo_until: the IANA time zone the embargo is set in",
            );
            None
        }
        _ => None,
    }
}

/// Member `key` as a nullable string: `None` when absent, `Some(None)` when
/// null, else the checked string.
fn nullable(
    obj: &Map<String, Value>,
    key: &str,
    check: impl Fn(&str) -> Result<(), String>,
    errors: &mut Errors,
) -> Option<Option<String>> {
    match obj.get(key) {
        None => None,
        Some(Value::Null) => Some(None),
        Some(_) => checked(obj, key, false, check, errors).map(|s| Some(s.trim().to_owned())),
    }
}

/// Validates a case change whole.
fn read_patch(doc: &Value) -> Result<CaseUpdate, Problem> {
    let root = object(doc, "change")?;
    let mut errors = Errors::default();
    unknown_members(root, "", &PATCH_MEMBERS, "a case change", &mut errors);
    if root.keys().all(|k| k == "override") {
        errors.push(
            "",
            format!(
                "nothing to change: give one of {}",
                PATCH_MEMBERS.join(", ")
            ),
        );
    }
    let status = string(root, "status", "", false, &mut errors).and_then(|s| {
        let status = CaseStatus::parse(s);
        if status.is_none() {
            errors.push(
                "/status",
                format!("unknown status {s:?}: expected one of {STATUSES}"),
            );
        }
        status
    });
    let mut change = CaseUpdate {
        status,
        impact: nullable(root, "impact", check_impact, &mut errors),
        exploited: boolean(root, "exploited", &mut errors),
        exploited_evidence: nullable(root, "exploited_evidence", check_evidence, &mut errors),
        embargo: read_embargo(root, &mut errors),
        linked_advisories: None,
        cve_ids: None,
        cvss_vector: nullable(root, "cvss_vector", check_cvss_vector, &mut errors),
    };
    if root.get("exploited").is_some_and(Value::is_null) {
        errors.push("/exploited", "must be true or false");
    }
    if change.exploited == Some(true) && root.get("exploited_evidence").is_some_and(Value::is_null)
    {
        errors.push("/exploited_evidence", "required when exploited is true");
    }
    if root.contains_key("linked_advisories") {
        change.linked_advisories = Some(string_list(
            root,
            "linked_advisories",
            MAX_LINKED_ADVISORIES,
            check_advisory_id,
            &mut errors,
        ));
    }
    if root.contains_key("cve_ids") {
        change.cve_ids = Some(string_list(
            root,
            "cve_ids",
            MAX_CVE_IDS,
            check_cve_id,
            &mut errors,
        ));
    }
    errors.result("change")?;
    Ok(change)
}

fn status_filter(status: Option<&str>) -> Result<Option<CaseStatus>, Problem> {
    match status.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => CaseStatus::parse(s).map(Some).ok_or_else(|| {
            let m = format!("unknown status {s:?}: expected one of {STATUSES}");
            Problem::bad_request(format!("status: {m}")).with_error("/status", m)
        }),
    }
}

// ----- duties -----

/// The organisation's profile as the duty engine sees it (who it is: roles,
/// jurisdictions, sectors); an organisation with no profile has none.
pub(crate) fn duty_profile(profile: Option<&OrgProfile>) -> Profile {
    match profile {
        None => Profile::default(),
        Some(p) => Profile {
            org: Some(p.legal_name.clone()),
            roles: p.roles.clone(),
            jurisdictions: p.jurisdictions.clone(),
            sectors: p.sectors.clone(),
            partnerships: p.partnerships.clone(),
            recipient_zones: p.recipient_zones.clone(),
        },
    }
}

pub(crate) fn timestamp(micros: i64) -> Result<Timestamp, Problem> {
    Timestamp::from_microsecond(micros).map_err(Problem::internal_logged)
}

/// A case's facts as the duty engine reads them.
pub(crate) fn facts(r: &CaseRecord) -> Result<Facts, Problem> {
    let events = r
        .events
        .iter()
        .map(|e| {
            Ok(vigilo_duties::Event {
                event: e.event.clone(),
                at: timestamp(e.at)?,
                source: Some(e.source.clone()),
                recorded_by: Some(e.recorded_by.clone()),
            })
        })
        .collect::<Result<_, Problem>>()?;
    let submissions = r
        .submissions
        .iter()
        .map(|s| {
            Ok(vigilo_duties::Submission {
                rule: s.rule.clone(),
                stage: s.stage.clone(),
                at: timestamp(s.at)?,
                covers: s.covers.clone(),
                evidence: Some(s.evidence.clone()),
            })
        })
        .collect::<Result<_, Problem>>()?;
    Ok(Facts {
        flags: r.case.flags.clone(),
        events,
        submissions,
    })
}

fn duty_problem(e: &DutyError) -> Problem {
    Problem::unprocessable(format!("the case's duties cannot be computed: {e}"))
        .with_error("", e.to_string())
}

pub(crate) async fn profile_of(state: &AppState, auth: &Auth) -> Result<Profile, Problem> {
    let p = state
        .store
        .get_profile(&auth.actor, &auth.principal.org_id, false)
        .await
        .map_err(store_problem)?;
    Ok(duty_profile(p.as_ref()))
}

pub(crate) async fn record_of(
    state: &AppState,
    auth: &Auth,
    id: &str,
) -> Result<CaseRecord, Problem> {
    state
        .store
        .get_case(&auth.actor, &auth.principal.org_id, id, false)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found(format!("no case {id}")))
}

fn status_name(d: &Duty) -> String {
    match serde_json::to_value(d.status) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// A duty's id: `{case id}/{rule}/{stage}` (what `vigilo duties explain`
/// takes).
pub(crate) fn duty_id(case_id: &str, rule: &str, stage: &str) -> String {
    format!("{case_id}/{rule}/{stage}")
}

/// The duties of every case of an organisation, computed at `now` from its
/// stored profile, optionally only those of one status (`open`, ...),
/// soonest due first; duties with no due instant last. The one place the
/// API, the CLI's `duties list` and the reminder job get duties from.
pub(crate) async fn org_duties(
    store: &vigilo_store::Store,
    org_id: &str,
    wanted: Option<&str>,
    now: Timestamp,
) -> Result<DutyList, Problem> {
    let rules = rules()?;
    let stored = store
        .get_profile(&vigilo_store::Actor::system(), org_id, false)
        .await
        .map_err(store_problem)?;
    let profile = duty_profile(stored.as_ref());
    let records = store
        .list_case_records(org_id, None)
        .await
        .map_err(store_problem)?;
    let mut list = DutyList {
        duties: Vec::new(),
        conflicts: Vec::new(),
        errors: Vec::new(),
    };
    for r in &records {
        let computed = vigilo_duties::compute(rules, &profile, &facts(r)?, now);
        match computed {
            Ok(c) => {
                list.duties.extend(
                    c.duties
                        .into_iter()
                        .filter(|d| wanted.is_none_or(|w| status_name(d) == w))
                        .map(|duty| CaseDuty {
                            id: duty_id(&r.case.id, &duty.rule, &duty.stage),
                            case_id: r.case.id.clone(),
                            case_title: r.case.title.clone(),
                            duty,
                        }),
                );
                list.conflicts
                    .extend(c.conflicts.into_iter().map(|f| CaseConflict {
                        case_id: r.case.id.clone(),
                        rule: f.rule,
                        with: f.with,
                        action: f.action,
                    }));
            }
            Err(e) => list.errors.push(CaseDutyError {
                case_id: r.case.id.clone(),
                detail: e.to_string(),
            }),
        }
    }
    list.duties.sort_by(|a, b| {
        let due = match (a.duty.due, b.duty.due) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        due.then_with(|| a.case_id.cmp(&b.case_id))
            .then_with(|| a.duty.rule.cmp(&b.duty.rule))
            .then_with(|| a.duty.stage.cmp(&b.duty.stage))
    });
    Ok(list)
}

// ----- handlers -----

/// Opens a case. Validated whole (422 naming each bad field's JSON
/// pointer); the technical details are sealed. Answers 201 with
/// `Location: /api/cases/{id}`.
#[utoipa::path(post, path = "/api/cases", tag = "cases",
    request_body(content = Object, description = "`{\"title\": \"RCE in the gateway\", \"kind\": \"vulnerability\", \"status\": \"received\", \"description\": \"…\", \"products\": [{\"name\": \"gateway\", \"version\": \"2.3\", \"purl\": \"pkg:generic/gateway@2.3\"}], \"cvss_vector\": \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\", \"cve_ids\": [\"CVE-2026-12345\"], \"flags\": {\"product.made_available_in_eu\": true}, \"technical_details\": \"…\", \"impact\": \"…\", \"exploited\": true, \"exploited_evidence\": \"…\", \"reporter_contact\": {\"name\": \"…\", \"email\": \"…\", \"pgp_key\": \"…\"}, \"embargo_until\": \"2026-12-01T09:00:00\", \"embargo_tz\": \"Europe/Berlin\", \"linked_advisories\": [\"GHSA-jfh8-c2jp-5v3q\"]}`: kind vulnerability or incident; status (default received) one of received, triaged, coordinating, fixed, disclosed, rejected, duplicate; CVSS vectors start with CVSS:3.1/ or CVSS:4.0/; flags are true/false, strings or lists of strings; only title and kind are required"),
    responses((status = 201, body = CaseView),
        (status = 400, body = ProblemBody), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 413, body = ProblemBody),
        (status = 415, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn create_case(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(doc): ApiJson<Value>,
) -> Result<Response, Problem> {
    auth.require(Scope::Write)?;
    let new = read_case(&doc)?;
    let case = state
        .store
        .create_case(&auth.actor, &auth.principal.org_id, &new)
        .await
        .map_err(store_problem)?;
    let location = HeaderValue::from_str(&format!("/api/cases/{}", case.id))
        .map_err(Problem::internal_logged)?;
    let view = CaseView {
        events: Some(Vec::new()),
        submissions: Some(Vec::new()),
        ..CaseView::from(case)
    };
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        ApiJson(view),
    )
        .into_response())
}

/// The caller's organisation's cases in the order they were opened,
/// optionally of one status (technical details, events and submissions
/// left out).
#[utoipa::path(get, path = "/api/cases", tag = "cases", params(CasesQuery),
    responses((status = 200, body = CaseList), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn list_cases(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<CasesQuery>,
) -> Result<ApiJson<CaseList>, Problem> {
    auth.require(Scope::Read)?;
    let status = status_filter(q.status.as_deref())?;
    let cases = state
        .store
        .list_cases(&auth.principal.org_id, status)
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(CaseList {
        cases: cases.into_iter().map(CaseView::from).collect(),
    }))
}

/// One case with its events and submissions. The sealed technical details
/// and reporter contact only with `?reveal=technical_details`,
/// `?reveal=reporter_contact` or both comma-separated (`write` scope), and
/// every reveal is audited (`case.reveal` naming the field). Another
/// organisation's case is a 404.
#[utoipa::path(get, path = "/api/cases/{id}", tag = "cases", params(
        ("id" = String, Path, description = "case id"), RevealQuery),
    responses((status = 200, body = CaseView), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn get_case(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<RevealQuery>,
) -> Result<ApiJson<CaseView>, Problem> {
    auth.require(Scope::Read)?;
    let mut reveal = Vec::new();
    for name in q.reveal.as_deref().unwrap_or_default().split(',') {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        match SealedCaseField::parse(name) {
            Some(f) => reveal.push(f),
            None => {
                let m = format!("unknown field {name:?}: the sealed fields are {REVEALABLE}");
                return Err(Problem::bad_request(format!("reveal: {m}")).with_error("/reveal", m));
            }
        }
    }
    if !reveal.is_empty() {
        auth.require(Scope::Write)?;
    }
    let record = state
        .store
        .get_case_revealing(&auth.actor, &auth.principal.org_id, &id, &reveal)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found(format!("no case {id}")))?;
    Ok(ApiJson(CaseView::from(record)))
}

/// Changes a case's mutable fields: `status`, `impact`, `exploited`,
/// `exploited_evidence` (required while exploited), `embargo_until` with
/// `embargo_tz`, `linked_advisories`, `cve_ids`, `cvss_vector`; `null`
/// clears a nullable one. Validated whole (422 naming each bad member's
/// JSON pointer, nothing stored); audited (`case.update`, with the old and
/// new status when it changes; a status change alone as `case.status`).
#[utoipa::path(patch, path = "/api/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "case id")),
    request_body(content = Object, description = "`{\"status\": \"triaged\", \"impact\": \"…\", \"exploited\": true, \"exploited_evidence\": \"…\", \"embargo_until\": \"2026-12-01T09:00:00\", \"embargo_tz\": \"Europe/Berlin\", \"linked_advisories\": [\"GHSA-…\"], \"cve_ids\": [\"CVE-2026-12345\"], \"cvss_vector\": \"CVSS:4.0/…\"}`: any subset; status one of received, triaged, coordinating, fixed, disclosed, rejected, duplicate"),
    responses((status = 200, body = CaseView), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn update_case(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(doc): ApiJson<Value>,
) -> Result<ApiJson<CaseView>, Problem> {
    auth.require(Scope::Write)?;
    let change = read_patch(&doc)?;
    let reason = read_override(&doc)?;
    let store = &state.store;
    let org = &auth.principal.org_id;
    // Disclosing the case is a publication: the outbound guard decides.
    let publication = match change.status {
        Some(CaseStatus::Disclosed) => {
            let record = record_of(&state, &auth, &id).await?;
            if record.case.status == CaseStatus::Disclosed {
                None
            } else {
                let target = Target::public();
                let cleared = clear_disclosure(&state, &auth, &record, &target, reason).await?;
                Some((target, cleared))
            }
        }
        _ => None,
    };
    let case = match change.status {
        // A status change alone is audited as such (`case.status`).
        Some(status) if change.fields() == ["status"] => {
            store
                .update_case_status(&auth.actor, org, &id, status)
                .await
        }
        _ => store.update_case(&auth.actor, org, &id, &change).await,
    }
    .map_err(store_problem)?;
    if let Some((target, cleared)) = publication {
        store
            .record_disclosure(
                &auth.actor,
                org,
                &id,
                &cleared.disclosure(DisclosureKind::Publication, target, case.updated_at),
            )
            .await
            .map_err(store_problem)?;
    }
    Ok(ApiJson(CaseView::from(case)))
}

/// Records a fact: `{"event": "vuln.exploitation_aware", "at":
/// "2026-10-02T07:15:00Z", "source": "…"}`. `at` is RFC 3339 and at most
/// five minutes ahead; a fact that puts the case's events out of order
/// (fixed before discovered) is a 422 and nothing is stored. Append-only.
#[utoipa::path(post, path = "/api/cases/{id}/events", tag = "cases",
    params(("id" = String, Path, description = "case id")),
    request_body(content = Object, description = "`{\"event\": \"vuln.exploitation_aware\", \"at\": \"2026-10-02T07:15:00Z\", \"source\": \"customer report, ticket 4711\"}`"),
    responses((status = 201, body = EventView), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 415, body = ProblemBody),
        (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn add_event(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(doc): ApiJson<Value>,
) -> Result<Response, Problem> {
    auth.require(Scope::Write)?;
    let now = Timestamp::now();
    let new = read_event(&doc, now)?;
    // The facts with this one must stay in order (the engine's check).
    let record = record_of(&state, &auth, &id).await?;
    let profile = profile_of(&state, &auth).await?;
    let before = vigilo_duties::compute(rules()?, &profile, &facts(&record)?, now).ok();
    let mut with = facts(&record)?;
    with.events.push(vigilo_duties::Event {
        event: new.event.clone(),
        at: timestamp(new.at)?,
        source: Some(new.source.clone()),
        recorded_by: None,
    });
    if let Err(e @ DutyError::Facts(_)) =
        vigilo_duties::compute(rules()?, &Profile::default(), &with, now)
    {
        return Err(Problem::unprocessable(format!("{e}; nothing was stored"))
            .with_error("/at", e.to_string()));
    }
    let event = state
        .store
        .add_case_event(&auth.actor, &auth.principal.org_id, &id, &new)
        .await
        .map_err(store_problem)?;
    // A duty this fact made late on arrival is recorded as such.
    if let Ok(after) = vigilo_duties::compute(rules()?, &profile, &with, now) {
        let late = late_on_arrival(before.as_ref(), &after);
        state
            .store
            .record_late_duties(&auth.actor, &auth.principal.org_id, &id, &event.id, &late)
            .await
            .map_err(store_problem)?;
    }
    Ok((StatusCode::CREATED, ApiJson(EventView::from(event))).into_response())
}

/// Records a submission (a stage of a rule reported, e.g. by e-mail or a web
/// portal) with its evidence: `{"rule", "stage", "covers", "at",
/// "evidence"}`. The rule and its stages must exist in the rule packs.
#[utoipa::path(post, path = "/api/cases/{id}/submissions", tag = "cases",
    params(("id" = String, Path, description = "case id")),
    request_body(content = Object, description = "`{\"rule\": \"eu.cra.art14.aev\", \"stage\": \"early_warning\", \"covers\": [], \"at\": \"2026-10-03T06:00:00Z\", \"evidence\": \"SRP receipt 1234\"}`: covers (optional) names other stages of the rule this submission also provided"),
    responses((status = 201, body = SubmissionView), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 415, body = ProblemBody),
        (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn add_submission(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(doc): ApiJson<Value>,
) -> Result<Response, Problem> {
    auth.require(Scope::Write)?;
    let new = read_submission(&doc, Timestamp::now())?;
    let reason = read_override(&doc)?;
    // A submission is a disclosure to the stage's recipient: the outbound
    // guard decides, and the outbound log records it.
    let record = record_of(&state, &auth, &id).await?;
    let target = stage_target(&state, &auth, &new.rule, &new.stage).await?;
    let cleared = clear_disclosure(&state, &auth, &record, &target, reason).await?;
    let at = new.at;
    let (_, sub) = state
        .store
        .record_disclosure(
            &auth.actor,
            &auth.principal.org_id,
            &id,
            &NewDisclosure {
                submission: Some(new),
                ..cleared.disclosure(DisclosureKind::Manual, target, at)
            },
        )
        .await
        .map_err(store_problem)?;
    let sub = sub.ok_or_else(|| Problem::internal_logged("a submission was not recorded"))?;
    Ok((StatusCode::CREATED, ApiJson(SubmissionView::from(sub))).into_response())
}

/// The case's duties, computed now from the organisation's profile and the
/// case's flags, events and submissions: `{"duties": [{"rule", "title",
/// "stage", "recipient", "due", "target", "status", "strictness",
/// "submitted", "unverified", "explain"}], "conflicts": [{"rule", "with",
/// "action"}]}`. Facts the engine refuses (out of order, ...) are a 422
/// naming the reason.
#[utoipa::path(get, path = "/api/cases/{id}/duties", tag = "cases",
    params(("id" = String, Path, description = "case id")),
    responses((status = 200, description = "the computation: duties (soonest due first) and conflicts flagged for legal review", body = Object),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn case_duties(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<CaseDuties>, Problem> {
    auth.require(Scope::Read)?;
    let now = Timestamp::now();
    let record = record_of(&state, &auth, &id).await?;
    let profile = profile_of(&state, &auth).await?;
    let facts = facts(&record)?;
    let computation =
        vigilo_duties::compute(rules()?, &profile, &facts, now).map_err(|e| duty_problem(&e))?;
    let late_on_record = state
        .store
        .list_late_duties(&auth.principal.org_id, Some(&id))
        .await
        .map_err(store_problem)?
        .into_iter()
        .map(|l| LateDutyView {
            rule: l.rule,
            stage: l.stage,
            due_before: l.due_before.map(micros_to_rfc3339),
            due_after: micros_to_rfc3339(l.due_after),
            event_id: l.event_id,
            recorded_at: micros_to_rfc3339(l.recorded_at),
        })
        .collect();
    Ok(ApiJson(CaseDuties {
        computation,
        late_on_record,
    }))
}

/// A duty a recorded fact made late on arrival: its due instant was
/// already past when the fact that fixed it was recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct LateDutyView {
    pub rule: String,
    pub stage: String,
    /// The due instant before the fact (none when the duty had none).
    pub due_before: Option<String>,
    pub due_after: String,
    /// The event whose recording moved the anchor.
    pub event_id: String,
    pub recorded_at: String,
}

/// A case's duties, conflicts, and the duties made late on arrival.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDuties {
    /// `duties` and `conflicts`, as `vigilo duties compute` prints them.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub computation: Computation,
    pub late_on_record: Vec<LateDutyView>,
}

/// The optional `override` member of a body: `{"reason": "…"}`.
fn read_override(doc: &Value) -> Result<Option<&str>, Problem> {
    let root = object(doc, "body")?;
    let mut errors = Errors::default();
    let reason = override_reason(root, &mut errors);
    errors.result("body")?;
    Ok(reason)
}

/// The duties of every case of the caller's organisation, computed now,
/// optionally of one status (`?status=open`), soonest due first; duties with
/// no due instant (pending a trigger, soft targets) last.
#[utoipa::path(get, path = "/api/duties", tag = "cases", params(DutiesQuery),
    responses((status = 200, body = DutyList), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn list_duties(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<DutiesQuery>,
) -> Result<ApiJson<DutyList>, Problem> {
    auth.require(Scope::Read)?;
    let wanted = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) if DUTY_STATUSES.contains(&s) => Some(s.to_owned()),
        Some(s) => {
            let m = format!(
                "unknown duty status {s:?}: expected one of {}",
                DUTY_STATUSES.join(", ")
            );
            return Err(Problem::bad_request(format!("status: {m}")).with_error("/status", m));
        }
    };
    org_duties(
        &state.store,
        &auth.principal.org_id,
        wanted.as_deref(),
        Timestamp::now(),
    )
    .await
    .map(ApiJson)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pointers(r: Result<impl std::fmt::Debug, Problem>) -> Vec<String> {
        match r {
            Ok(v) => panic!("accepted: {v:?}"),
            Err(p) => p.errors().iter().map(|e| e.pointer.clone()).collect(),
        }
    }

    #[test]
    fn a_full_case_reads() {
        let c = read_case(&json!({
            "title": " RCE ", "kind": "vulnerability", "description": "d",
            "products": [{"name": "gw", "version": "2.3", "purl": "pkg:generic/gw@2.3"}],
            "cvss_vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "cve_ids": ["CVE-2026-12345"],
            "flags": {"product.offered_in": ["CN"], "vuln.actively_exploited": true},
            "technical_details": "x"
        }))
        .unwrap();
        assert_eq!(c.title, "RCE");
        assert_eq!(c.status, CaseStatus::Received);
        assert_eq!(c.products[0].purl.as_deref(), Some("pkg:generic/gw@2.3"));
        assert_eq!(c.flags["product.offered_in"], json!(["CN"]));
        let minimal = read_case(&json!({"title": "t", "kind": "incident"})).unwrap();
        assert!(minimal.products.is_empty() && minimal.technical_details.is_none());
    }

    #[test]
    fn every_bad_case_member_is_named() {
        let doc = json!({
            "title": "", "kind": "bug", "status": "open", "colour": 1,
            "products": [{"name": "gw", "purl": "generic/gw"}, {"version": "1"}, 7],
            "cvss_vector": "CVSS:2.0/AV:N", "cve_ids": ["CVE-1-2", 3],
            "flags": {"Bad Name": true, "n": 3}, "technical_details": 5
        });
        assert_eq!(
            pointers(read_case(&doc)),
            [
                "/colour",
                "/title",
                "/kind",
                "/status",
                "/technical_details",
                "/cvss_vector",
                "/cve_ids/0",
                "/cve_ids/1",
                "/products/0/purl",
                "/products/1/name",
                "/products/2",
                "/flags/Bad Name",
                "/flags/n",
            ]
        );
        assert_eq!(pointers(read_case(&json!([]))), [""]);
    }

    #[test]
    fn events_and_submissions_are_checked() {
        let now: Timestamp = "2026-11-01T00:00:00Z".parse().unwrap();
        let e = read_event(
            &json!({"event": "vuln.exploitation_aware", "at": "2026-10-02T09:15:00+02:00",
                    "source": "a customer"}),
            now,
        )
        .unwrap();
        assert_eq!(micros_to_rfc3339(e.at), "2026-10-02T07:15:00Z");
        assert_eq!(
            pointers(read_event(
                &json!({"event": "X", "at": "2026-11-01T00:05:01Z", "source": " "}),
                now
            )),
            ["/event", "/at", "/source"]
        );
        assert_eq!(
            pointers(read_event(
                &json!({"event": "a", "at": "2026-10-02", "source": "s"}),
                now
            )),
            ["/at"]
        );
        let s = read_submission(
            &json!({"rule": "eu.cra.art14.aev", "stage": "early_warning",
                    "covers": ["notification"], "at": "2026-10-03T06:00:00Z", "evidence": "e"}),
            now,
        )
        .unwrap();
        assert_eq!(s.covers, ["notification"]);
        assert_eq!(
            pointers(read_submission(
                &json!({"rule": "eu.cra.art14.aev", "stage": "early", "covers": ["nope"],
                        "at": "2026-10-03T06:00:00Z", "evidence": ""}),
                now
            )),
            ["/stage", "/covers/0", "/evidence"]
        );
        assert_eq!(
            pointers(read_submission(
                &json!({"rule": "no.such.rule", "stage": "x", "at": "2026-10-03T06:00:00Z",
                        "evidence": "e"}),
                now
            )),
            ["/rule"]
        );
    }

    #[test]
    fn the_profile_maps_roles_jurisdictions_and_sectors() {
        let p = duty_profile(Some(&OrgProfile {
            legal_name: "Acme GmbH".into(),
            jurisdictions: vec!["DE".into(), "EU".into()],
            sectors: vec!["cloud".into()],
            roles: vec!["manufacturer".into()],
            partnerships: vec!["coordinator.member".into()],
            recipient_zones: [("coordinator".to_owned(), "Europe/Berlin".to_owned())].into(),
            security_contact: None,
            updated_at: 0,
        }));
        assert_eq!(p.org.as_deref(), Some("Acme GmbH"));
        assert_eq!(p.roles, ["manufacturer"]);
        assert_eq!(p.jurisdictions, ["DE", "EU"]);
        assert_eq!(p.sectors, ["cloud"]);
        assert_eq!(p.partnerships, ["coordinator.member"]);
        assert_eq!(p.recipient_zones["coordinator"], "Europe/Berlin");
        assert!(duty_profile(None).roles.is_empty());
    }
}
