//! Cases: the vulnerability reports and incidents an organisation handles.
//!
//! A case holds what it is about (title, kind, products, CVSS vector, CVE
//! ids, a description), its status, the duty engine's *flags*
//! (`product.made_available_in_eu: true`) and its technical details, which
//! are **sealed** (envelope encryption, [`FieldRef`] `cases.technical_details`)
//! and opened only when a caller asks, each opening audited (`case.reveal`).
//! So is the reporter's contact (personal data, `cases.reporter_contact`).
//! A case also records its impact, whether it is exploited (with evidence),
//! its embargo (an instant and the IANA time zone it was set in), the
//! advisories it is linked to and where it came from (`api` or the public
//! `intake`); its participants, messages and attachments live in
//! [`crate::case_parts`].
//!
//! The facts of a case are *events with provenance* ([`CaseEvent`]: what
//! happened, when, who says so, who recorded it and when), never bare dates;
//! its *submissions* ([`CaseSubmission`]) record a stage of a rule reported,
//! with evidence. Both are append-only. Every write runs in one transaction
//! with its audit event; every read is scoped to one organisation.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::crypto::FieldRef;
use crate::{Actor, DbContext as _, Result, Store, StoreError, now_micros};

/// Longest title, in bytes.
pub const MAX_TITLE: usize = 300;
/// Longest description, in bytes.
pub const MAX_DESCRIPTION: usize = 64 * 1024;
/// Longest technical details (before sealing), in bytes.
pub const MAX_TECHNICAL_DETAILS: usize = 256 * 1024;
/// Most products one case may name.
pub const MAX_PRODUCTS: usize = 100;
/// Longest product name, version or purl, in bytes.
pub const MAX_PRODUCT_FIELD: usize = 1000;
/// Most CVE ids one case may name.
pub const MAX_CVE_IDS: usize = 100;
/// Longest CVSS vector string, in bytes.
pub const MAX_CVSS_VECTOR: usize = 256;
/// Most flags one case may hold.
pub const MAX_FLAGS: usize = 100;
/// Most values of one list flag.
pub const MAX_FLAG_VALUES: usize = 100;
/// Longest flag value (a string flag, or one value of a list), in bytes.
pub const MAX_FLAG_VALUE: usize = 200;
/// Longest event, flag, rule or stage name, in bytes.
pub const MAX_NAME: usize = 128;
/// Longest provenance (`source`) or evidence text, in bytes.
pub const MAX_PROVENANCE: usize = 4096;
/// Most stages one submission may cover.
pub const MAX_COVERS: usize = 20;
/// Longest impact statement, in bytes.
pub const MAX_IMPACT: usize = 16 * 1024;
/// Most advisories one case may link to.
pub const MAX_LINKED_ADVISORIES: usize = 100;
/// Longest advisory id or alias, in bytes.
pub const MAX_ADVISORY_ID: usize = 128;
/// Longest reporter name, in bytes.
pub const MAX_REPORTER_NAME: usize = 200;
/// Longest reporter e-mail address, in bytes.
pub const MAX_REPORTER_EMAIL: usize = 254;
/// Longest reporter PGP key (ASCII armour), in bytes.
pub const MAX_REPORTER_PGP_KEY: usize = 16 * 1024;
/// Longest IANA time zone name, in bytes.
pub const MAX_TIME_ZONE: usize = 64;
/// How far in the future an event or submission may lie (clock skew), in
/// microseconds: five minutes.
pub const MAX_FUTURE_MICROS: i64 = 5 * 60 * 1_000_000;

/// What a case is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    Vulnerability,
    Incident,
}

impl CaseKind {
    pub const ALL: [CaseKind; 2] = [CaseKind::Vulnerability, CaseKind::Incident];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::Vulnerability => "vulnerability",
            CaseKind::Incident => "incident",
        }
    }

    pub fn parse(s: &str) -> Option<CaseKind> {
        CaseKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a case stands: received → triaged → coordinating → fixed →
/// disclosed, or rejected, or a duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Received,
    Triaged,
    Coordinating,
    Fixed,
    Disclosed,
    Rejected,
    Duplicate,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 7] = [
        CaseStatus::Received,
        CaseStatus::Triaged,
        CaseStatus::Coordinating,
        CaseStatus::Fixed,
        CaseStatus::Disclosed,
        CaseStatus::Rejected,
        CaseStatus::Duplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Received => "received",
            CaseStatus::Triaged => "triaged",
            CaseStatus::Coordinating => "coordinating",
            CaseStatus::Fixed => "fixed",
            CaseStatus::Disclosed => "disclosed",
            CaseStatus::Rejected => "rejected",
            CaseStatus::Duplicate => "duplicate",
        }
    }

    pub fn parse(s: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a case came from: the API (or the CLI, its client) or the public
/// intake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseOrigin {
    Api,
    Intake,
}

impl CaseOrigin {
    pub const ALL: [CaseOrigin; 2] = [CaseOrigin::Api, CaseOrigin::Intake];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseOrigin::Api => "api",
            CaseOrigin::Intake => "intake",
        }
    }

    pub fn parse(s: &str) -> Option<CaseOrigin> {
        CaseOrigin::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The sealed fields of a case, which a reader opens by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SealedCaseField {
    TechnicalDetails,
    ReporterContact,
}

impl SealedCaseField {
    pub const ALL: [SealedCaseField; 2] = [
        SealedCaseField::TechnicalDetails,
        SealedCaseField::ReporterContact,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SealedCaseField::TechnicalDetails => "technical_details",
            SealedCaseField::ReporterContact => "reporter_contact",
        }
    }

    pub fn parse(s: &str) -> Option<SealedCaseField> {
        SealedCaseField::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How to reach whoever reported a case: personal data, sealed at rest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReporterContact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pgp_key: Option<String>,
}

/// An embargo (publication date): the instant, and the IANA time zone it
/// was agreed in (`Europe/Berlin`), so that it reads back as it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embargo {
    /// Micros, UTC.
    pub until: i64,
    /// An IANA time zone name.
    pub tz: String,
}

impl Embargo {
    /// The embargo instant in its time zone, RFC 9557
    /// (`2026-12-01T09:00:00+01:00[Europe/Berlin]`); the UTC instant when
    /// the zone is unknown.
    pub fn local(&self) -> String {
        let Ok(t) = jiff::Timestamp::from_microsecond(self.until) else {
            return self.until.to_string();
        };
        match jiff::tz::TimeZone::get(&self.tz) {
            Ok(tz) => t.to_zoned(tz).to_string(),
            Err(_) => t.to_string(),
        }
    }
}

/// A change to the mutable fields of a case: `None` leaves a field as it
/// is; `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseUpdate {
    pub status: Option<CaseStatus>,
    pub impact: Option<Option<String>>,
    pub exploited: Option<bool>,
    pub exploited_evidence: Option<Option<String>>,
    pub embargo: Option<Option<Embargo>>,
    pub linked_advisories: Option<Vec<String>>,
    pub cve_ids: Option<Vec<String>>,
    pub cvss_vector: Option<Option<String>>,
}

impl CaseUpdate {
    /// The names of the fields this change sets.
    pub fn fields(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut add = |set: bool, name| {
            if set {
                out.push(name);
            }
        };
        add(self.status.is_some(), "status");
        add(self.impact.is_some(), "impact");
        add(self.exploited.is_some(), "exploited");
        add(self.exploited_evidence.is_some(), "exploited_evidence");
        add(self.embargo.is_some(), "embargo");
        add(self.linked_advisories.is_some(), "linked_advisories");
        add(self.cve_ids.is_some(), "cve_ids");
        add(self.cvss_vector.is_some(), "cvss_vector");
        out
    }
}

/// A product a case concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseProduct {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// A case to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    pub title: String,
    pub kind: CaseKind,
    pub status: CaseStatus,
    pub description: String,
    pub products: Vec<CaseProduct>,
    pub cvss_vector: Option<String>,
    pub cve_ids: Vec<String>,
    /// The duty engine's case flags: `true`/`false`, a string, or a list of
    /// strings.
    pub flags: BTreeMap<String, serde_json::Value>,
    /// Sealed at rest.
    pub technical_details: Option<String>,
    pub impact: Option<String>,
    pub exploited: bool,
    /// Required when `exploited`.
    pub exploited_evidence: Option<String>,
    /// Personal data: sealed at rest.
    pub reporter_contact: Option<ReporterContact>,
    pub embargo: Option<Embargo>,
    /// Advisory ids or aliases.
    pub linked_advisories: Vec<String>,
}

/// A case as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCase {
    pub id: String,
    pub org_id: String,
    pub title: String,
    pub kind: CaseKind,
    pub status: CaseStatus,
    pub description: String,
    pub products: Vec<CaseProduct>,
    pub cvss_vector: Option<String>,
    pub cve_ids: Vec<String>,
    pub flags: BTreeMap<String, serde_json::Value>,
    /// Whether the case has sealed technical details.
    pub has_technical_details: bool,
    /// The technical details, opened: only when asked for.
    pub technical_details: Option<String>,
    pub impact: Option<String>,
    pub exploited: bool,
    pub exploited_evidence: Option<String>,
    /// Whether the case has a (sealed) reporter contact.
    pub has_reporter_contact: bool,
    /// The reporter's contact, opened: only when asked for.
    pub reporter_contact: Option<ReporterContact>,
    pub embargo: Option<Embargo>,
    pub linked_advisories: Vec<String>,
    pub origin: CaseOrigin,
    /// Micros.
    pub created_at: i64,
    pub updated_at: i64,
    pub created_by: String,
}

/// A fact to record: what happened, when, and who says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCaseEvent {
    /// `vuln.discovered_or_learned`, `vuln.exploitation_aware`, ...
    pub event: String,
    /// Micros, UTC.
    pub at: i64,
    /// Provenance.
    pub source: String,
}

/// A recorded fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    pub id: String,
    pub case_id: String,
    pub org_id: String,
    pub event: String,
    pub at: i64,
    pub source: String,
    pub recorded_by: String,
    pub recorded_at: i64,
}

/// A submission to record: a stage of a rule reported, with evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCaseSubmission {
    pub rule: String,
    pub stage: String,
    /// Other stages of the rule this submission also provided.
    pub covers: Vec<String>,
    /// Micros, UTC.
    pub at: i64,
    pub evidence: String,
}

/// A recorded submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSubmission {
    pub id: String,
    pub case_id: String,
    pub org_id: String,
    pub rule: String,
    pub stage: String,
    pub covers: Vec<String>,
    pub at: i64,
    pub evidence: String,
    pub recorded_by: String,
    pub recorded_at: i64,
}

/// A validated case with its sealed fields sealed, ready to insert.
pub(crate) struct PreparedCase {
    pub(crate) id: String,
    technical: Option<Vec<u8>>,
    contact: Option<Vec<u8>>,
}

/// A case with its facts and submissions, each in recording order.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRecord {
    pub case: StoredCase,
    pub events: Vec<CaseEvent>,
    pub submissions: Vec<CaseSubmission>,
}

fn technical_field<'a>(org_id: &'a str, case_id: &'a str) -> FieldRef<'a> {
    FieldRef {
        table: "cases",
        column: "technical_details",
        row_id: case_id,
        org_id,
    }
}

fn contact_field<'a>(org_id: &'a str, case_id: &'a str) -> FieldRef<'a> {
    FieldRef {
        table: "cases",
        column: "reporter_contact",
        row_id: case_id,
        org_id,
    }
}

// ----- validation (the hub checks the same first, naming JSON pointers) -----

pub(crate) fn check_text(
    text: &str,
    max: usize,
    required: bool,
    control_ok: bool,
) -> std::result::Result<(), String> {
    if required && text.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if text.len() > max {
        return Err(format!(
            "{} bytes, longer than the limit of {max}",
            text.len()
        ));
    }
    if text.contains('\0') {
        return Err("must not contain NUL characters".into());
    }
    if !control_ok && text.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

/// A title: 1-300 bytes, one line.
pub fn check_title(title: &str) -> std::result::Result<(), String> {
    check_text(title, MAX_TITLE, true, false)
}

/// A description: at most 64 KiB, no NUL.
pub fn check_description(text: &str) -> std::result::Result<(), String> {
    check_text(text, MAX_DESCRIPTION, false, true)
}

/// Technical details: 1 byte to 256 KiB, no NUL.
pub fn check_technical_details(text: &str) -> std::result::Result<(), String> {
    check_text(text, MAX_TECHNICAL_DETAILS, true, true)
}

/// Provenance or evidence: 1-4096 bytes, no NUL.
pub fn check_provenance(text: &str) -> std::result::Result<(), String> {
    check_text(text, MAX_PROVENANCE, true, true)
}

/// A product: a name (1-1000 bytes), an optional version, an optional purl
/// (`pkg:type/name…`). The error names the member.
pub fn check_product(p: &CaseProduct) -> std::result::Result<(), (&'static str, String)> {
    check_text(&p.name, MAX_PRODUCT_FIELD, true, false).map_err(|m| ("name", m))?;
    if let Some(v) = &p.version {
        check_text(v, MAX_PRODUCT_FIELD, true, false).map_err(|m| ("version", m))?;
    }
    if let Some(purl) = &p.purl {
        check_text(purl, MAX_PRODUCT_FIELD, true, false).map_err(|m| ("purl", m))?;
        let ok = purl
            .strip_prefix("pkg:")
            .and_then(|rest| rest.split_once('/'))
            .is_some_and(|(ty, name)| {
                !ty.is_empty()
                    && ty
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b))
                    && !name.is_empty()
            });
        if !ok || purl.chars().any(char::is_whitespace) {
            return Err(("purl", "not a package URL (pkg:type/name@version)".into()));
        }
    }
    Ok(())
}

/// A CVE id: `CVE-YYYY-NNNN` (four or more digits).
pub fn check_cve_id(id: &str) -> std::result::Result<(), String> {
    let ok = id.strip_prefix("CVE-").is_some_and(|rest| {
        rest.split_once('-').is_some_and(|(year, num)| {
            year.len() == 4
                && year.bytes().all(|b| b.is_ascii_digit())
                && (4..=19).contains(&num.len())
                && num.bytes().all(|b| b.is_ascii_digit())
        })
    });
    if ok {
        Ok(())
    } else {
        Err(format!("{id:?} is not a CVE id (CVE-YYYY-NNNN)"))
    }
}

/// A CVSS vector string: `CVSS:3.1/…` or `CVSS:4.0/…` with metrics after the
/// prefix (the vector is stored as given; scoring is not done here).
pub fn check_cvss_vector(v: &str) -> std::result::Result<(), String> {
    vigilo_core::cvss::parse(v)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// An event, flag, rule or stage name: 1-128 bytes of lower-case ASCII
/// letters, digits, `.`, `_` and `-` (`vuln.exploitation_aware`).
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > MAX_NAME {
        return Err(format!(
            "{} bytes, longer than the limit of {MAX_NAME}",
            name.len()
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    {
        return Err("must be lower-case ASCII letters, digits, '.', '_' and '-'".into());
    }
    Ok(())
}

/// A flag's value: `true`/`false`, a string, or a list of strings.
pub fn check_flag_value(v: &serde_json::Value) -> std::result::Result<(), String> {
    let string = |s: &str| check_text(s, MAX_FLAG_VALUE, false, false);
    match v {
        serde_json::Value::Bool(_) => Ok(()),
        serde_json::Value::String(s) => string(s),
        serde_json::Value::Array(list) => {
            if list.len() > MAX_FLAG_VALUES {
                return Err(format!("more than {MAX_FLAG_VALUES} values"));
            }
            for (i, x) in list.iter().enumerate() {
                match x.as_str() {
                    Some(s) => string(s).map_err(|m| format!("[{i}]: {m}"))?,
                    None => return Err(format!("[{i}]: must be a string")),
                }
            }
            Ok(())
        }
        _ => Err("must be true/false, a string or a list of strings".into()),
    }
}

/// An impact statement: 1 byte to 16 KiB, no NUL.
pub fn check_impact(text: &str) -> std::result::Result<(), String> {
    check_text(text, MAX_IMPACT, true, true)
}

/// Evidence of exploitation: 1-4096 bytes, no NUL.
pub fn check_evidence(text: &str) -> std::result::Result<(), String> {
    check_provenance(text)
}

/// An IANA time zone name that jiff knows (`Europe/Berlin`, `UTC`).
pub fn check_time_zone(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() || name.len() > MAX_TIME_ZONE {
        return Err(format!(
            "must be an IANA time zone name of 1-{MAX_TIME_ZONE} bytes"
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b))
    {
        return Err(format!("{name:?} is not an IANA time zone name"));
    }
    jiff::tz::TimeZone::get(name)
        .map(|_| ())
        .map_err(|_| format!("unknown time zone {name:?} (an IANA name such as Europe/Berlin)"))
}

/// An advisory id or alias: 1-128 bytes of ASCII letters, digits, `-`, `.`,
/// `_` and `:` (`GHSA-jfh8-c2jp-5v3q`, `CVE-2021-44228`).
pub fn check_advisory_id(id: &str) -> std::result::Result<(), String> {
    if id.is_empty() || id.len() > MAX_ADVISORY_ID {
        return Err(format!("must be 1-{MAX_ADVISORY_ID} bytes"));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b))
    {
        return Err(format!(
            "{id:?} is not an advisory id (ASCII letters, digits, '-', '.', '_', ':')"
        ));
    }
    Ok(())
}

/// A reporter contact: at least one of name (one line, 200 bytes), e-mail
/// (254 bytes, one `@`, no spaces) and PGP key (16 KiB). The error names
/// the member.
pub fn check_reporter_contact(
    c: &ReporterContact,
) -> std::result::Result<(), (&'static str, String)> {
    if c.name.is_none() && c.email.is_none() && c.pgp_key.is_none() {
        return Err(("", "give at least one of name, email and pgp_key".into()));
    }
    if let Some(n) = &c.name {
        check_text(n, MAX_REPORTER_NAME, true, false).map_err(|m| ("name", m))?;
    }
    if let Some(e) = &c.email {
        check_text(e, MAX_REPORTER_EMAIL, true, false).map_err(|m| ("email", m))?;
        let ok = e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        }) && !e.chars().any(char::is_whitespace);
        if !ok {
            return Err(("email", "not an e-mail address (name@domain)".into()));
        }
    }
    if let Some(k) = &c.pgp_key {
        check_text(k, MAX_REPORTER_PGP_KEY, true, true).map_err(|m| ("pgp_key", m))?;
    }
    Ok(())
}

/// An instant of a fact or submission: not more than five minutes after `now`.
pub fn check_not_future(at: i64, now: i64) -> std::result::Result<(), String> {
    if at > now.saturating_add(MAX_FUTURE_MICROS) {
        return Err("lies in the future (more than 5 minutes after now)".into());
    }
    Ok(())
}

fn validate_case(c: &NewCase) -> Result<()> {
    check_title(&c.title).map_err(|m| StoreError::invalid("title", m))?;
    check_description(&c.description).map_err(|m| StoreError::invalid("description", m))?;
    if let Some(t) = &c.technical_details {
        check_technical_details(t).map_err(|m| StoreError::invalid("technical_details", m))?;
    }
    if c.products.len() > MAX_PRODUCTS {
        return Err(StoreError::invalid(
            "products",
            format!("more than {MAX_PRODUCTS} products"),
        ));
    }
    for (i, p) in c.products.iter().enumerate() {
        check_product(p).map_err(|(member, m)| {
            StoreError::invalid("products", format!("[{i}].{member}: {m}"))
        })?;
    }
    if let Some(v) = &c.cvss_vector {
        check_cvss_vector(v).map_err(|m| StoreError::invalid("cvss_vector", m))?;
    }
    if c.cve_ids.len() > MAX_CVE_IDS {
        return Err(StoreError::invalid(
            "cve_ids",
            format!("more than {MAX_CVE_IDS} CVE ids"),
        ));
    }
    for id in &c.cve_ids {
        check_cve_id(id).map_err(|m| StoreError::invalid("cve_ids", m))?;
    }
    if c.flags.len() > MAX_FLAGS {
        return Err(StoreError::invalid(
            "flags",
            format!("more than {MAX_FLAGS} flags"),
        ));
    }
    for (k, v) in &c.flags {
        check_name(k).map_err(|m| StoreError::invalid("flags", format!("{k}: {m}")))?;
        check_flag_value(v).map_err(|m| StoreError::invalid("flags", format!("{k}: {m}")))?;
    }
    if let Some(c) = &c.reporter_contact {
        check_reporter_contact(c).map_err(|(member, m)| {
            let at = if member.is_empty() {
                String::new()
            } else {
                format!("{member}: ")
            };
            StoreError::invalid("reporter_contact", format!("{at}{m}"))
        })?;
    }
    validate_mutable(
        c.impact.as_deref(),
        c.exploited,
        c.exploited_evidence.as_deref(),
        c.embargo.as_ref(),
        &c.linked_advisories,
    )
}

/// The fields a case change may set, checked together (evidence is required
/// when the case is exploited).
fn validate_mutable(
    impact: Option<&str>,
    exploited: bool,
    evidence: Option<&str>,
    embargo: Option<&Embargo>,
    linked: &[String],
) -> Result<()> {
    if let Some(i) = impact {
        check_impact(i).map_err(|m| StoreError::invalid("impact", m))?;
    }
    match evidence {
        Some(e) => check_evidence(e).map_err(|m| StoreError::invalid("exploited_evidence", m))?,
        None if exploited => {
            return Err(StoreError::invalid(
                "exploited_evidence",
                "required when exploited is true",
            ));
        }
        None => {}
    }
    if let Some(e) = embargo {
        check_time_zone(&e.tz).map_err(|m| StoreError::invalid("embargo_tz", m))?;
        if jiff::Timestamp::from_microsecond(e.until).is_err() {
            return Err(StoreError::invalid("embargo_until", "out of range"));
        }
    }
    if linked.len() > MAX_LINKED_ADVISORIES {
        return Err(StoreError::invalid(
            "linked_advisories",
            format!("more than {MAX_LINKED_ADVISORIES} advisories"),
        ));
    }
    for id in linked {
        check_advisory_id(id).map_err(|m| StoreError::invalid("linked_advisories", m))?;
    }
    Ok(())
}

fn validate_event(e: &NewCaseEvent, now: i64) -> Result<()> {
    check_name(&e.event).map_err(|m| StoreError::invalid("event", m))?;
    check_not_future(e.at, now).map_err(|m| StoreError::invalid("at", m))?;
    check_provenance(&e.source).map_err(|m| StoreError::invalid("source", m))
}

fn validate_submission(s: &NewCaseSubmission, now: i64) -> Result<()> {
    check_name(&s.rule).map_err(|m| StoreError::invalid("rule", m))?;
    check_name(&s.stage).map_err(|m| StoreError::invalid("stage", m))?;
    if s.covers.len() > MAX_COVERS {
        return Err(StoreError::invalid(
            "covers",
            format!("more than {MAX_COVERS} stages"),
        ));
    }
    for c in &s.covers {
        check_name(c).map_err(|m| StoreError::invalid("covers", m))?;
    }
    check_not_future(s.at, now).map_err(|m| StoreError::invalid("at", m))?;
    check_provenance(&s.evidence).map_err(|m| StoreError::invalid("evidence", m))
}

// ----- rows -----

const CASE_COLUMNS: &str = "id, org_id, title, kind, status, description, products, cvss_vector, \
     cve_ids, flags, technical_details, created_at, updated_at, created_by, impact, exploited, \
     exploited_evidence, reporter_contact, embargo_until, embargo_tz, linked_advisories, origin";
const EVENT_COLUMNS: &str = "id, case_id, org_id, event, at, source, recorded_by, recorded_at";
const SUBMISSION_COLUMNS: &str =
    "id, case_id, org_id, rule, stage, covers, at, evidence, recorded_by, recorded_at";

pub(crate) fn json_text<T: Serialize>(value: &T, what: &str) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Invalid(format!("serialising {what}: {e}")))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Invalid(format!("stored {what} is not valid JSON: {e}")))
}

/// A case row with its sealed columns, still sealed.
pub(crate) struct CaseRow {
    pub(crate) case: StoredCase,
    pub(crate) technical: Option<Vec<u8>>,
    pub(crate) contact: Option<Vec<u8>>,
}

fn case_from_row(r: &AnyRow) -> Result<CaseRow> {
    type Raw = (StoredCase, [String; 7], Option<Vec<u8>>, Option<Vec<u8>>);
    let raw = |r: &AnyRow| -> std::result::Result<Raw, sqlx::Error> {
        let sealed: Option<Vec<u8>> = r.try_get(10)?;
        let contact: Option<Vec<u8>> = r.try_get(17)?;
        let exploited: i64 = r.try_get(15)?;
        let until: Option<i64> = r.try_get(18)?;
        let tz: Option<String> = r.try_get(19)?;
        Ok((
            StoredCase {
                id: r.try_get(0)?,
                org_id: r.try_get(1)?,
                title: r.try_get(2)?,
                kind: CaseKind::Vulnerability,
                status: CaseStatus::Received,
                description: r.try_get(5)?,
                products: Vec::new(),
                cvss_vector: r.try_get(7)?,
                cve_ids: Vec::new(),
                flags: BTreeMap::new(),
                has_technical_details: sealed.is_some(),
                technical_details: None,
                impact: r.try_get(14)?,
                exploited: exploited != 0,
                exploited_evidence: r.try_get(16)?,
                has_reporter_contact: contact.is_some(),
                reporter_contact: None,
                embargo: until.zip(tz).map(|(until, tz)| Embargo { until, tz }),
                linked_advisories: Vec::new(),
                origin: CaseOrigin::Api,
                created_at: r.try_get(11)?,
                updated_at: r.try_get(12)?,
                created_by: r.try_get(13)?,
            },
            [
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(6)?,
                r.try_get(8)?,
                r.try_get(9)?,
                r.try_get(20)?,
                r.try_get(21)?,
            ],
            sealed,
            contact,
        ))
    };
    let (mut c, [kind, status, products, cve_ids, flags, linked, origin], technical, contact) =
        raw(r).ctx("decoding a case")?;
    c.kind = CaseKind::parse(&kind)
        .ok_or_else(|| StoreError::Invalid(format!("stored case has unknown kind {kind:?}")))?;
    c.status = CaseStatus::parse(&status)
        .ok_or_else(|| StoreError::Invalid(format!("stored case has unknown status {status:?}")))?;
    c.origin = CaseOrigin::parse(&origin)
        .ok_or_else(|| StoreError::Invalid(format!("stored case has unknown origin {origin:?}")))?;
    c.products = from_json(&products, "case products")?;
    c.cve_ids = from_json(&cve_ids, "case CVE ids")?;
    c.flags = from_json(&flags, "case flags")?;
    c.linked_advisories = from_json(&linked, "case linked advisories")?;
    Ok(CaseRow {
        case: c,
        technical,
        contact,
    })
}

fn event_from_row(r: &AnyRow) -> Result<CaseEvent> {
    let get = |r: &AnyRow| -> std::result::Result<CaseEvent, sqlx::Error> {
        Ok(CaseEvent {
            id: r.try_get(0)?,
            case_id: r.try_get(1)?,
            org_id: r.try_get(2)?,
            event: r.try_get(3)?,
            at: r.try_get(4)?,
            source: r.try_get(5)?,
            recorded_by: r.try_get(6)?,
            recorded_at: r.try_get(7)?,
        })
    };
    get(r).ctx("decoding a case event")
}

fn submission_from_row(r: &AnyRow) -> Result<CaseSubmission> {
    let get = |r: &AnyRow| -> std::result::Result<(CaseSubmission, String), sqlx::Error> {
        Ok((
            CaseSubmission {
                id: r.try_get(0)?,
                case_id: r.try_get(1)?,
                org_id: r.try_get(2)?,
                rule: r.try_get(3)?,
                stage: r.try_get(4)?,
                covers: Vec::new(),
                at: r.try_get(6)?,
                evidence: r.try_get(7)?,
                recorded_by: r.try_get(8)?,
                recorded_at: r.try_get(9)?,
            },
            r.try_get(5)?,
        ))
    };
    let (mut s, covers) = get(r).ctx("decoding a case submission")?;
    s.covers = from_json(&covers, "submission covers")?;
    Ok(s)
}

pub(crate) fn not_found(case_id: &str) -> StoreError {
    StoreError::NotFound {
        kind: "case",
        id: case_id.to_owned(),
    }
}

impl Store {
    /// Creates a case for `org_id`, sealing its technical details and the
    /// reporter's contact, in one transaction with its audit event
    /// (`case.create`). Invalid input is a [`StoreError::InvalidField`] and
    /// stores nothing.
    pub async fn create_case(
        &self,
        actor: &Actor,
        org_id: &str,
        new: &NewCase,
    ) -> Result<StoredCase> {
        let prepared = self.prepare_case(org_id, new).await?;
        let mut tx = self.begin_write().await?;
        let case = self
            .insert_case(&mut tx, actor, org_id, new, &prepared, CaseOrigin::Api)
            .await?;
        tx.commit().await.ctx("storing a case")?;
        Ok(case)
    }

    /// Validates a new case and seals its sealed fields under a fresh id.
    pub(crate) async fn prepare_case(&self, org_id: &str, new: &NewCase) -> Result<PreparedCase> {
        validate_case(new)?;
        let id = uuid::Uuid::now_v7().to_string();
        let technical = match &new.technical_details {
            Some(t) => Some(
                self.seal(technical_field(org_id, &id), t.as_bytes())
                    .await?,
            ),
            None => None,
        };
        let contact = match &new.reporter_contact {
            Some(c) => {
                let text = json_text(c, "reporter contact")?;
                Some(
                    self.seal(contact_field(org_id, &id), text.as_bytes())
                        .await?,
                )
            }
            None => None,
        };
        Ok(PreparedCase {
            id,
            technical,
            contact,
        })
    }

    /// Inside a transaction from [`Store::begin_write`]: inserts a prepared
    /// case and appends its audit event (`case.create`).
    pub(crate) async fn insert_case(
        &self,
        tx: &mut sqlx::AnyConnection,
        actor: &Actor,
        org_id: &str,
        new: &NewCase,
        prepared: &PreparedCase,
        origin: CaseOrigin,
    ) -> Result<StoredCase> {
        let now = now_micros();
        let id = prepared.id.clone();
        let products = json_text(&new.products, "case products")?;
        let cve_ids = json_text(&new.cve_ids, "case CVE ids")?;
        let flags = json_text(&new.flags, "case flags")?;
        let linked = json_text(&new.linked_advisories, "case linked advisories")?;
        sqlx::query(&format!(
            "INSERT INTO cases ({CASE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                     $15, $16, $17, $18, $19, $20, $21, $22)"
        ))
        .bind(id.clone())
        .bind(org_id)
        .bind(new.title.trim())
        .bind(new.kind.as_str())
        .bind(new.status.as_str())
        .bind(new.description.clone())
        .bind(products)
        .bind(new.cvss_vector.clone())
        .bind(cve_ids)
        .bind(flags)
        .bind(prepared.technical.clone())
        .bind(now)
        .bind(now)
        .bind(actor.actor.clone())
        .bind(new.impact.clone())
        .bind(i64::from(new.exploited))
        .bind(new.exploited_evidence.clone())
        .bind(prepared.contact.clone())
        .bind(new.embargo.as_ref().map(|e| e.until))
        .bind(new.embargo.as_ref().map(|e| e.tz.clone()))
        .bind(linked)
        .bind(origin.as_str())
        .execute(&mut *tx)
        .await
        .ctx("storing a case")?;
        self.append_audit(
            tx,
            actor,
            Some(org_id),
            "case.create",
            &format!("case:{id}"),
            Some(serde_json::json!({
                "kind": new.kind.as_str(), "status": new.status.as_str(),
                "technical_details": prepared.technical.is_some(),
                "reporter_contact": prepared.contact.is_some(),
                "origin": origin.as_str(),
            })),
        )
        .await?;
        Ok(StoredCase {
            id,
            org_id: org_id.to_owned(),
            title: new.title.trim().to_owned(),
            kind: new.kind,
            status: new.status,
            description: new.description.clone(),
            products: new.products.clone(),
            cvss_vector: new.cvss_vector.clone(),
            cve_ids: new.cve_ids.clone(),
            flags: new.flags.clone(),
            has_technical_details: prepared.technical.is_some(),
            technical_details: None,
            impact: new.impact.clone(),
            exploited: new.exploited,
            exploited_evidence: new.exploited_evidence.clone(),
            has_reporter_contact: prepared.contact.is_some(),
            reporter_contact: None,
            embargo: new.embargo.clone(),
            linked_advisories: new.linked_advisories.clone(),
            origin,
            created_at: now,
            updated_at: now,
            created_by: actor.actor.clone(),
        })
    }

    async fn case_row(&self, org_id: &str, case_id: &str) -> Result<Option<CaseRow>> {
        sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE id = $1 AND org_id = $2"
        ))
        .bind(case_id)
        .bind(org_id)
        .fetch_optional(self.pool())
        .await
        .ctx("reading a case")?
        .map(|r| case_from_row(&r))
        .transpose()
    }

    async fn open_technical(&self, c: &StoredCase, sealed: &[u8]) -> Result<String> {
        let plain = self
            .open_sealed(technical_field(&c.org_id, &c.id), sealed)
            .await?;
        String::from_utf8(plain.to_vec()).map_err(|_| {
            StoreError::Decrypt(format!("cases.technical_details of {}: not UTF-8", c.id))
        })
    }

    async fn open_contact(&self, c: &StoredCase, sealed: &[u8]) -> Result<ReporterContact> {
        let plain = self
            .open_sealed(contact_field(&c.org_id, &c.id), sealed)
            .await?;
        serde_json::from_slice(&plain).map_err(|_| {
            StoreError::Decrypt(format!("cases.reporter_contact of {}: not a contact", c.id))
        })
    }

    /// One case of the organisation with its events and submissions; `None`
    /// when there is none, or it belongs to another organisation. With
    /// `reveal`, the sealed technical details are opened and the reading is
    /// audited (`case.reveal`); without, they are left out.
    pub async fn get_case(
        &self,
        actor: &Actor,
        org_id: &str,
        case_id: &str,
        reveal: bool,
    ) -> Result<Option<CaseRecord>> {
        let fields: &[SealedCaseField] = if reveal {
            &[SealedCaseField::TechnicalDetails]
        } else {
            &[]
        };
        self.get_case_revealing(actor, org_id, case_id, fields)
            .await
    }

    /// As [`Store::get_case`], opening the sealed fields named in `reveal`;
    /// each field opened is audited (`case.reveal` naming the field).
    pub async fn get_case_revealing(
        &self,
        actor: &Actor,
        org_id: &str,
        case_id: &str,
        reveal: &[SealedCaseField],
    ) -> Result<Option<CaseRecord>> {
        let Some(row) = self.case_row(org_id, case_id).await? else {
            return Ok(None);
        };
        let mut case = row.case;
        for field in SealedCaseField::ALL {
            if !reveal.contains(&field) {
                continue;
            }
            match (field, &row.technical, &row.contact) {
                (SealedCaseField::TechnicalDetails, Some(blob), _) => {
                    case.technical_details = Some(self.open_technical(&case, blob).await?);
                }
                (SealedCaseField::ReporterContact, _, Some(blob)) => {
                    case.reporter_contact = Some(self.open_contact(&case, blob).await?);
                }
                _ => continue,
            }
            self.record(
                actor,
                Some(org_id),
                "case.reveal",
                &format!("case:{case_id}"),
                Some(serde_json::json!({ "field": field.as_str() })),
            )
            .await?;
        }
        let events = self.case_events(org_id, Some(case_id)).await?;
        let submissions = self.case_submissions(org_id, Some(case_id)).await?;
        Ok(Some(CaseRecord {
            case,
            events,
            submissions,
        }))
    }

    /// The organisation's cases, optionally of one status, in creation order
    /// (technical details left out).
    pub async fn list_cases(
        &self,
        org_id: &str,
        status: Option<CaseStatus>,
    ) -> Result<Vec<StoredCase>> {
        Ok(self
            .case_rows(org_id, status)
            .await?
            .into_iter()
            .map(|r| r.case)
            .collect())
    }

    async fn case_rows(&self, org_id: &str, status: Option<CaseStatus>) -> Result<Vec<CaseRow>> {
        let mut sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE org_id = $1");
        if status.is_some() {
            sql.push_str(" AND status = $2");
        }
        sql.push_str(" ORDER BY id");
        let mut query = sqlx::query(&sql).bind(org_id);
        if let Some(s) = status {
            query = query.bind(s.as_str());
        }
        let rows = query.fetch_all(self.pool()).await.ctx("listing cases")?;
        rows.iter().map(case_from_row).collect()
    }

    async fn case_events(&self, org_id: &str, case_id: Option<&str>) -> Result<Vec<CaseEvent>> {
        let mut sql = format!("SELECT {EVENT_COLUMNS} FROM case_events WHERE org_id = $1");
        if case_id.is_some() {
            sql.push_str(" AND case_id = $2");
        }
        sql.push_str(" ORDER BY id");
        let mut query = sqlx::query(&sql).bind(org_id);
        if let Some(c) = case_id {
            query = query.bind(c);
        }
        let rows = query
            .fetch_all(self.pool())
            .await
            .ctx("reading case events")?;
        rows.iter().map(event_from_row).collect()
    }

    async fn case_submissions(
        &self,
        org_id: &str,
        case_id: Option<&str>,
    ) -> Result<Vec<CaseSubmission>> {
        let mut sql =
            format!("SELECT {SUBMISSION_COLUMNS} FROM case_submissions WHERE org_id = $1");
        if case_id.is_some() {
            sql.push_str(" AND case_id = $2");
        }
        sql.push_str(" ORDER BY id");
        let mut query = sqlx::query(&sql).bind(org_id);
        if let Some(c) = case_id {
            query = query.bind(c);
        }
        let rows = query
            .fetch_all(self.pool())
            .await
            .ctx("reading case submissions")?;
        rows.iter().map(submission_from_row).collect()
    }

    /// Every case of the organisation (optionally of one status) with its
    /// events and submissions, in creation order; technical details left
    /// out. For computing the duties of all cases at once.
    pub async fn list_case_records(
        &self,
        org_id: &str,
        status: Option<CaseStatus>,
    ) -> Result<Vec<CaseRecord>> {
        let rows = self.case_rows(org_id, status).await?;
        self.with_facts(org_id, rows.into_iter().map(|r| r.case).collect())
            .await
    }

    /// As [`Store::list_case_records`], with the technical details opened:
    /// for the export only (which is audited as a whole).
    pub(crate) async fn export_case_records(&self, org_id: &str) -> Result<Vec<CaseRecord>> {
        let rows = self.case_rows(org_id, None).await?;
        let mut cases = Vec::with_capacity(rows.len());
        for row in rows {
            let mut c = row.case;
            if let Some(blob) = &row.technical {
                c.technical_details = Some(self.open_technical(&c, blob).await?);
            }
            if let Some(blob) = &row.contact {
                c.reporter_contact = Some(self.open_contact(&c, blob).await?);
            }
            cases.push(c);
        }
        self.with_facts(org_id, cases).await
    }

    async fn with_facts(&self, org_id: &str, cases: Vec<StoredCase>) -> Result<Vec<CaseRecord>> {
        let mut events: HashMap<String, Vec<CaseEvent>> = HashMap::new();
        for e in self.case_events(org_id, None).await? {
            events.entry(e.case_id.clone()).or_default().push(e);
        }
        let mut subs: HashMap<String, Vec<CaseSubmission>> = HashMap::new();
        for s in self.case_submissions(org_id, None).await? {
            subs.entry(s.case_id.clone()).or_default().push(s);
        }
        Ok(cases
            .into_iter()
            .map(|case| CaseRecord {
                events: events.remove(&case.id).unwrap_or_default(),
                submissions: subs.remove(&case.id).unwrap_or_default(),
                case,
            })
            .collect())
    }

    /// Inside `tx`: checks that the case exists in the organisation (else
    /// [`StoreError::NotFound`]) and touches its `updated_at`.
    pub(crate) async fn touch_case(
        &self,
        tx: &mut sqlx::AnyConnection,
        org_id: &str,
        case_id: &str,
        now: i64,
    ) -> Result<()> {
        let done = sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2 AND org_id = $3")
            .bind(now)
            .bind(case_id)
            .bind(org_id)
            .execute(&mut *tx)
            .await
            .ctx("updating a case")?;
        if done.rows_affected() == 0 {
            return Err(not_found(case_id));
        }
        Ok(())
    }

    /// Appends a fact to a case of the organisation, in one transaction with
    /// its audit event (`case.event`). A case of another organisation is
    /// [`StoreError::NotFound`]; an instant more than five minutes ahead, a
    /// bad name or an empty source is [`StoreError::InvalidField`].
    pub async fn add_case_event(
        &self,
        actor: &Actor,
        org_id: &str,
        case_id: &str,
        new: &NewCaseEvent,
    ) -> Result<CaseEvent> {
        let now = now_micros();
        validate_event(new, now)?;
        let event = CaseEvent {
            id: uuid::Uuid::now_v7().to_string(),
            case_id: case_id.to_owned(),
            org_id: org_id.to_owned(),
            event: new.event.clone(),
            at: new.at,
            source: new.source.trim().to_owned(),
            recorded_by: actor.actor.clone(),
            recorded_at: now,
        };
        let mut tx = self.begin_write().await?;
        self.touch_case(&mut tx, org_id, case_id, now).await?;
        sqlx::query(&format!(
            "INSERT INTO case_events ({EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(event.id.clone())
        .bind(event.case_id.clone())
        .bind(event.org_id.clone())
        .bind(event.event.clone())
        .bind(event.at)
        .bind(event.source.clone())
        .bind(event.recorded_by.clone())
        .bind(event.recorded_at)
        .execute(&mut *tx)
        .await
        .ctx("storing a case event")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "case.event",
            &format!("case:{case_id}"),
            Some(serde_json::json!({
                "id": event.id, "event": event.event,
                "at": crate::micros_to_rfc3339(event.at), "source": event.source,
            })),
        )
        .await?;
        tx.commit().await.ctx("storing a case event")?;
        Ok(event)
    }

    /// Records a submission (a stage of a rule reported, with evidence) on a
    /// case of the organisation, in one transaction with its audit event
    /// (`case.submission`). Whether the rule and its stages exist is the
    /// caller's check (the rules live in `vigilo-duties`).
    pub async fn add_case_submission(
        &self,
        actor: &Actor,
        org_id: &str,
        case_id: &str,
        new: &NewCaseSubmission,
    ) -> Result<CaseSubmission> {
        let now = now_micros();
        validate_submission(new, now)?;
        let sub = CaseSubmission {
            id: uuid::Uuid::now_v7().to_string(),
            case_id: case_id.to_owned(),
            org_id: org_id.to_owned(),
            rule: new.rule.clone(),
            stage: new.stage.clone(),
            covers: new.covers.clone(),
            at: new.at,
            evidence: new.evidence.trim().to_owned(),
            recorded_by: actor.actor.clone(),
            recorded_at: now,
        };
        let covers = json_text(&sub.covers, "submission covers")?;
        let mut tx = self.begin_write().await?;
        self.touch_case(&mut tx, org_id, case_id, now).await?;
        sqlx::query(&format!(
            "INSERT INTO case_submissions ({SUBMISSION_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(sub.id.clone())
        .bind(sub.case_id.clone())
        .bind(sub.org_id.clone())
        .bind(sub.rule.clone())
        .bind(sub.stage.clone())
        .bind(covers)
        .bind(sub.at)
        .bind(sub.evidence.clone())
        .bind(sub.recorded_by.clone())
        .bind(sub.recorded_at)
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
                "id": sub.id, "rule": sub.rule, "stage": sub.stage, "covers": sub.covers,
                "at": crate::micros_to_rfc3339(sub.at),
            })),
        )
        .await?;
        tx.commit().await.ctx("storing a case submission")?;
        Ok(sub)
    }

    /// Sets a case's status, in one transaction with its audit event
    /// (`case.status`, naming the old and new status). Returns the case as
    /// it now stands (technical details left out).
    pub async fn update_case_status(
        &self,
        actor: &Actor,
        org_id: &str,
        case_id: &str,
        status: CaseStatus,
    ) -> Result<StoredCase> {
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE id = $1 AND org_id = $2"
        ))
        .bind(case_id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await
        .ctx("reading a case")?
        .ok_or_else(|| not_found(case_id))?;
        let mut case = case_from_row(&row)?.case;
        sqlx::query("UPDATE cases SET status = $1, updated_at = $2 WHERE id = $3 AND org_id = $4")
            .bind(status.as_str())
            .bind(now)
            .bind(case_id)
            .bind(org_id)
            .execute(&mut *tx)
            .await
            .ctx("updating a case's status")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "case.status",
            &format!("case:{case_id}"),
            Some(serde_json::json!({ "from": case.status.as_str(), "to": status.as_str() })),
        )
        .await?;
        tx.commit().await.ctx("updating a case's status")?;
        case.status = status;
        case.updated_at = now;
        Ok(case)
    }

    /// Changes the mutable fields of a case (status, impact, exploitation
    /// and its evidence, embargo, linked advisories, CVE ids, CVSS vector),
    /// checked together with what the change leaves as it is, in one
    /// transaction with its audit event (`case.update`, naming the fields
    /// set and, when it changes, the old and new status). Returns the case
    /// as it now stands (sealed fields left out).
    pub async fn update_case(
        &self,
        actor: &Actor,
        org_id: &str,
        case_id: &str,
        change: &CaseUpdate,
    ) -> Result<StoredCase> {
        if let Some(v) = change.cvss_vector.as_ref().and_then(Option::as_ref) {
            check_cvss_vector(v).map_err(|m| StoreError::invalid("cvss_vector", m))?;
        }
        if let Some(ids) = &change.cve_ids {
            if ids.len() > MAX_CVE_IDS {
                return Err(StoreError::invalid(
                    "cve_ids",
                    format!("more than {MAX_CVE_IDS} CVE ids"),
                ));
            }
            for id in ids {
                check_cve_id(id).map_err(|m| StoreError::invalid("cve_ids", m))?;
            }
        }
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE id = $1 AND org_id = $2"
        ))
        .bind(case_id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await
        .ctx("reading a case")?
        .ok_or_else(|| not_found(case_id))?;
        let mut case = case_from_row(&row)?.case;
        let from = case.status;
        if let Some(s) = change.status {
            case.status = s;
        }
        if let Some(i) = &change.impact {
            case.impact.clone_from(i);
        }
        if let Some(e) = change.exploited {
            case.exploited = e;
        }
        if let Some(e) = &change.exploited_evidence {
            case.exploited_evidence.clone_from(e);
        }
        if let Some(e) = &change.embargo {
            case.embargo.clone_from(e);
        }
        if let Some(l) = &change.linked_advisories {
            case.linked_advisories.clone_from(l);
        }
        if let Some(ids) = &change.cve_ids {
            case.cve_ids.clone_from(ids);
        }
        if let Some(v) = &change.cvss_vector {
            case.cvss_vector.clone_from(v);
        }
        validate_mutable(
            case.impact.as_deref(),
            case.exploited,
            case.exploited_evidence.as_deref(),
            case.embargo.as_ref(),
            &case.linked_advisories,
        )?;
        sqlx::query(
            "UPDATE cases SET status = $1, impact = $2, exploited = $3, exploited_evidence = $4, \
             embargo_until = $5, embargo_tz = $6, linked_advisories = $7, cve_ids = $8, \
             cvss_vector = $9, updated_at = $10 WHERE id = $11 AND org_id = $12",
        )
        .bind(case.status.as_str())
        .bind(case.impact.clone())
        .bind(i64::from(case.exploited))
        .bind(case.exploited_evidence.clone())
        .bind(case.embargo.as_ref().map(|e| e.until))
        .bind(case.embargo.as_ref().map(|e| e.tz.clone()))
        .bind(json_text(
            &case.linked_advisories,
            "case linked advisories",
        )?)
        .bind(json_text(&case.cve_ids, "case CVE ids")?)
        .bind(case.cvss_vector.clone())
        .bind(now)
        .bind(case_id)
        .bind(org_id)
        .execute(&mut *tx)
        .await
        .ctx("updating a case")?;
        let mut detail = serde_json::json!({ "fields": change.fields() });
        if from != case.status {
            detail["status"] =
                serde_json::json!({ "from": from.as_str(), "to": case.status.as_str() });
        }
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "case.update",
            &format!("case:{case_id}"),
            Some(detail),
        )
        .await?;
        tx.commit().await.ctx("updating a case")?;
        case.updated_at = now;
        Ok(case)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_statuses_round_trip() {
        for k in CaseKind::ALL {
            assert_eq!(CaseKind::parse(k.as_str()), Some(k));
        }
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(CaseStatus::parse("open"), None);
        assert_eq!(CaseKind::parse("Incident"), None);
    }

    #[test]
    fn cvss_vectors_need_a_known_version_and_metrics() {
        assert!(check_cvss_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H").is_ok());
        assert!(
            check_cvss_vector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
                .is_ok()
        );
        for bad in [
            "",
            "CVSS:3.0/AV:N",
            "AV:N/AC:L",
            "CVSS:3.1/",
            "CVSS:3.1/AV",
            "CVSS:3.1/AV:N//AC:L",
            "CVSS:4.0/AV:N AC:L",
            "CVSS:3.1/AV:N/AC:L",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:Q",
        ] {
            assert!(check_cvss_vector(bad).is_err(), "{bad:?} accepted");
        }
        assert!(check_cvss_vector(&format!("CVSS:3.1/{}", "AV:N/".repeat(60))).is_err());
    }

    #[test]
    fn names_ids_products_and_flags() {
        assert!(check_name("vuln.exploitation_aware").is_ok());
        assert!(check_name("Vuln.Aware").is_err());
        assert!(check_name("").is_err());
        assert!(check_cve_id("CVE-2021-44228").is_ok());
        assert!(check_cve_id("CVE-21-44228").is_err());
        assert!(check_cve_id("cve-2021-44228").is_err());
        assert!(check_cve_id("CVE-2021-123").is_err());
        let p = |purl: &str| CaseProduct {
            name: "log4j-core".into(),
            version: Some("2.14.1".into()),
            purl: Some(purl.into()),
        };
        assert!(check_product(&p("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")).is_ok());
        assert_eq!(
            check_product(&p("maven/log4j")).map_err(|e| e.0),
            Err("purl")
        );
        assert!(check_flag_value(&serde_json::json!(true)).is_ok());
        assert!(check_flag_value(&serde_json::json!(["CN", "DE"])).is_ok());
        assert!(check_flag_value(&serde_json::json!([1])).is_err());
        assert!(check_flag_value(&serde_json::json!({"a": 1})).is_err());
        assert!(check_flag_value(&serde_json::json!(3)).is_err());
    }

    #[test]
    fn instants_may_not_lie_far_ahead() {
        let now = 1_000_000_000_000;
        assert!(check_not_future(now + MAX_FUTURE_MICROS, now).is_ok());
        assert!(check_not_future(now + MAX_FUTURE_MICROS + 1, now).is_err());
        assert!(check_not_future(0, now).is_ok());
    }
}
