//! Rule packs, calendars, profiles and facts as data (serde), checked whole
//! before the engine sees them.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One instrument's reporting rules (`rules/packs/*.yaml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulePack {
    pub id: String,
    pub title: String,
    pub instrument: Instrument,
    pub jurisdiction: String,
    pub kind: String,
    pub status: PackStatus,
    #[serde(default)]
    pub unverified: Vec<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    pub effective: Effective,
    pub applies_if: Condition,
    #[serde(default)]
    pub anchors: BTreeMap<String, Anchor>,
    #[serde(default)]
    pub stages: Vec<Stage>,
    #[serde(default)]
    pub constraints: Vec<Constraint>,
    #[serde(default)]
    pub conflicts: Vec<Conflict>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    pub name: String,
    #[serde(default)]
    pub article: Option<String>,
    #[serde(default)]
    pub doc_no: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PackStatus {
    InForce,
    Pending,
    NotInForce,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Effective {
    /// `None` for an instrument not yet in force whose start is unknown.
    #[serde(default)]
    pub from: Option<jiff::civil::Date>,
    #[serde(default)]
    pub until: Option<jiff::civil::Date>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    pub event: String,
    #[serde(default)]
    pub may_never_occur: bool,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strictness {
    #[default]
    Hard,
    Soft,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub id: String,
    pub recipient: String,
    #[serde(default)]
    pub strictness: Strictness,
    #[serde(default)]
    pub skip_if_already_provided: bool,
    pub deadline: Deadline,
    #[serde(default)]
    pub content: Vec<String>,
}

/// Who may not receive what (checked on the outbound path).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraint {
    pub id: String,
    pub kind: String,
    #[serde(default)]
    pub when: Option<Condition>,
    #[serde(default)]
    pub forbid_recipient: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub explanation: Option<String>,
    pub on_violation: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conflict {
    pub with: String,
    #[serde(default)]
    pub when: Option<Condition>,
    pub action: String,
}

/// A condition over the profile and the case's flags.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    #[serde(default)]
    pub all: Option<Vec<Condition>>,
    #[serde(default)]
    pub any: Option<Vec<Condition>>,
    #[serde(default)]
    pub not: Option<Box<Condition>>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub jurisdiction: Option<String>,
    #[serde(default)]
    pub sector: Option<String>,
    #[serde(default)]
    pub partnership: Option<String>,
    #[serde(default)]
    pub fact: Option<String>,
    #[serde(default)]
    pub includes: Option<String>,
    #[serde(default)]
    pub always: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Exact,
    Civil,
    Business,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ends {
    #[default]
    Exact,
    EndOfDay,
    Cutoff,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Add {
    #[serde(default)]
    pub minutes: Option<i64>,
    #[serde(default)]
    pub hours: Option<i64>,
    #[serde(default)]
    pub days: Option<i64>,
    #[serde(default)]
    pub months: Option<i64>,
    #[serde(default)]
    pub business_days: Option<i64>,
}

/// A deadline formula.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub add: Option<Add>,
    #[serde(default)]
    pub mode: Option<Mode>,
    #[serde(default)]
    pub tz: Option<String>,
    #[serde(default)]
    pub calendar: Option<String>,
    #[serde(default)]
    pub ends: Option<Ends>,
    #[serde(default)]
    pub first_day_excluded: bool,
    #[serde(default)]
    pub min: Option<Vec<Deadline>>,
    #[serde(default)]
    pub max: Option<Vec<Deadline>>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub immediately: Option<bool>,
}

/// A holiday calendar (`rules/calendars/*.yaml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    pub id: String,
    pub title: String,
    pub tz: String,
    pub weekend: Vec<String>,
    #[serde(default)]
    pub holidays: Vec<jiff::civil::Date>,
    #[serde(default)]
    pub extra_workdays: Vec<jiff::civil::Date>,
    #[serde(default)]
    pub cutoff_local: Option<String>,
    pub valid_from: jiff::civil::Date,
    pub valid_through: jiff::civil::Date,
    #[serde(default)]
    pub sources: Vec<String>,
}

/// Who the organisation is (`--profile FILE`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default)]
    pub org: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub jurisdictions: Vec<String>,
    #[serde(default)]
    pub sectors: Vec<String>,
    #[serde(default)]
    pub partnerships: Vec<String>,
    /// Time zone per recipient id, for deadlines counted in the
    /// recipient's zone (`tz: recipient`).
    #[serde(default)]
    pub recipient_zones: BTreeMap<String, String>,
}

/// One timestamped fact with its provenance.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub event: String,
    pub at: Timestamp,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub recorded_by: Option<String>,
}

/// A stage submitted (a report sent), discharging a duty.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    pub rule: String,
    pub stage: String,
    pub at: Timestamp,
    /// Other stages of the same rule whose content this submission also
    /// provided ("unless already provided": a combined filing).
    #[serde(default)]
    pub covers: Vec<String>,
    #[serde(default)]
    pub evidence: Option<String>,
}

/// A case's facts (`--facts FILE`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// Flags: `true`/`false`, or a list of values (`product.offered_in: [CN, DE]`).
    #[serde(default)]
    pub flags: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub events: Vec<Event>,
    #[serde(default)]
    pub submissions: Vec<Submission>,
}
