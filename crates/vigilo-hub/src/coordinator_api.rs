//! The coordinator view: `GET /api/coordinator/vulnerabilities`.
//!
//! On a hub run by a coordinator (a national CSIRT, a regulator's
//! platform), for each vulnerability (CVE id): which member organisations
//! knew of it and since when — the first evidence in their own records on
//! this hub: their case's awareness event, an advisory they published, a
//! sighting of exploitation attempts they uploaded, their report to the
//! product's provider, or the awareness their report states — and when each
//! reported it to the coordinator. The reporting deadline comes from the
//! membership agreement's rule pack (`partnership.coordinator-membership`:
//! 24 hours from learning of it), so late and missing reports are listed.
//! This is the report that would have shown the regulator in the story who
//! knew first.
//!
//! Only the hub operator's organisation (the coordinator) may read it.

use std::collections::BTreeMap;

use axum::extract::State;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigilo_core::Scope;
use vigilo_duties::{Event, Facts, Profile};
use vigilo_store::coordinator::{Evidence, Reported};
use vigilo_store::micros_to_rfc3339;

use crate::ApiQuery as Query;
use crate::AppState;
use crate::api::store_problem;
use crate::auth::Auth;
use crate::cases_api::{rules, timestamp};
use crate::json::ApiJson;
use crate::problem::{Problem, ProblemBody};

/// The membership agreement's rule pack and stage the deadline comes from.
pub(crate) const MEMBERSHIP_RULE: &str = "partnership.coordinator-membership";
const MEMBERSHIP_STAGE: &str = "report";

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(vulnerabilities))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CoordinatorQuery {
    /// Only this CVE id.
    pub cve: Option<String>,
}

/// One piece of evidence that a member knew.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceView {
    /// `case`, `advisory`, `sighting`, `vendor_report`, `report_claim`,
    /// `report`.
    pub kind: String,
    pub at: String,
    /// `case:ID`, `advisory:ID`, `indicator:ID`, `disclosure:ID`, `report:ID`.
    pub reference: String,
    pub detail: String,
}

/// What one member knew and when it reported.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub org_id: String,
    pub org: String,
    /// The earliest evidence's instant.
    pub knew_since: String,
    pub first_evidence: EvidenceView,
    /// Every piece of evidence, earliest first.
    pub evidence: Vec<EvidenceView>,
    /// When the coordinator's hub received its first report naming the CVE.
    pub reported_at: Option<String>,
    pub report_id: Option<String>,
    /// When the membership agreement wanted the report.
    pub due: Option<String>,
    /// `on_time`, `late`, `missing` (past due, no report) or `open` (not
    /// yet due, no report).
    pub status: String,
    /// How long after its due instant it reported (late), or how long it
    /// has been overdue (missing), in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_by_seconds: Option<i64>,
}

/// One vulnerability: its members, earliest knowledge first.
#[derive(Debug, Serialize, ToSchema)]
pub struct VulnerabilityView {
    pub cve: String,
    /// The member that knew first, and since when.
    pub first_known_by: String,
    pub first_known_at: String,
    pub members: Vec<MemberView>,
    /// Members that reported after their due instant.
    pub late: Vec<String>,
    /// Members past due that have not reported.
    pub missing: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoordinatorView {
    /// The rule pack and stage the deadlines come from.
    pub rule: String,
    pub stage: String,
    pub vulnerabilities: Vec<VulnerabilityView>,
}

fn evidence_view(e: &Evidence) -> EvidenceView {
    EvidenceView {
        kind: e.kind.to_owned(),
        at: micros_to_rfc3339(e.at),
        reference: e.reference.clone(),
        detail: e.detail.clone(),
    }
}

/// The membership agreement's due instant for a member that knew at
/// `knew`.
fn due_for(knew: i64) -> Result<Option<Timestamp>, Problem> {
    let facts = Facts {
        events: vec![Event {
            event: "vuln.discovered_or_learned".into(),
            at: timestamp(knew)?,
            source: None,
            recorded_by: None,
        }],
        ..Facts::default()
    };
    vigilo_duties::stage_due(
        rules()?,
        &Profile::default(),
        &facts,
        MEMBERSHIP_RULE,
        MEMBERSHIP_STAGE,
    )
    .map(|d| d.map(|(t, _)| t))
    .map_err(Problem::internal_logged)
}

/// Builds the view from the evidence and reports, at `now`.
pub(crate) fn build(
    evidence: Vec<Evidence>,
    reported: &[Reported],
    names: &BTreeMap<String, String>,
    now: Timestamp,
) -> Result<Vec<VulnerabilityView>, Problem> {
    // (cve, org) -> evidence, with each report as evidence too.
    let mut by: BTreeMap<(String, String), Vec<Evidence>> = BTreeMap::new();
    for e in evidence {
        by.entry((e.cve.clone(), e.org_id.clone()))
            .or_default()
            .push(e);
    }
    let mut first_report: BTreeMap<(String, String), &Reported> = BTreeMap::new();
    for r in reported {
        by.entry((r.cve.clone(), r.org_id.clone()))
            .or_default()
            .push(Evidence {
                cve: r.cve.clone(),
                org_id: r.org_id.clone(),
                at: r.at,
                kind: "report",
                reference: format!("report:{}", r.report_id),
                detail: "it reported to the coordinator".into(),
            });
        let slot = first_report
            .entry((r.cve.clone(), r.org_id.clone()))
            .or_insert(r);
        if r.at < slot.at {
            *slot = r;
        }
    }
    let mut vulns: BTreeMap<String, Vec<MemberView>> = BTreeMap::new();
    for ((cve, org), mut ev) in by {
        ev.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.kind.cmp(b.kind)));
        let Some(first) = ev.first() else { continue };
        let knew = first.at;
        let due = due_for(knew)?;
        let report = first_report.get(&(cve.clone(), org.clone()));
        let (status, late_by) = match (report, due) {
            (Some(r), Some(d)) if r.at > d.as_microsecond() => {
                ("late", Some((r.at - d.as_microsecond()) / 1_000_000))
            }
            (Some(_), _) => ("on_time", None),
            (None, Some(d)) if now > d => (
                "missing",
                Some((now.as_microsecond() - d.as_microsecond()) / 1_000_000),
            ),
            (None, _) => ("open", None),
        };
        vulns.entry(cve).or_default().push(MemberView {
            org: names.get(&org).cloned().unwrap_or_else(|| org.clone()),
            org_id: org,
            knew_since: micros_to_rfc3339(knew),
            first_evidence: evidence_view(first),
            evidence: ev.iter().map(evidence_view).collect(),
            reported_at: report.map(|r| micros_to_rfc3339(r.at)),
            report_id: report.map(|r| r.report_id.clone()),
            due: due.map(|d| d.to_string()),
            status: status.to_owned(),
            late_by_seconds: late_by,
        });
    }
    Ok(vulns
        .into_iter()
        .filter_map(|(cve, mut members)| {
            members.sort_by(|a, b| {
                a.knew_since
                    .cmp(&b.knew_since)
                    .then_with(|| a.org.cmp(&b.org))
            });
            let first = members.first()?;
            let pick = |s: &str| -> Vec<String> {
                members
                    .iter()
                    .filter(|m| m.status == s)
                    .map(|m| m.org.clone())
                    .collect()
            };
            Some(VulnerabilityView {
                first_known_by: first.org.clone(),
                first_known_at: first.knew_since.clone(),
                late: pick("late"),
                missing: pick("missing"),
                cve,
                members,
            })
        })
        .collect())
}

/// Per vulnerability (CVE id), which member organisations knew and since
/// when (the first evidence in their records on this hub), when each
/// reported to the coordinator, and who reported late or not at all under
/// the membership agreement (`partnership.coordinator-membership`). Only
/// for the hub operator's organisation (the coordinator).
#[utoipa::path(get, path = "/api/coordinator/vulnerabilities", tag = "coordinator",
    params(CoordinatorQuery),
    responses((status = 200, body = CoordinatorView), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn vulnerabilities(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<CoordinatorQuery>,
) -> Result<ApiJson<CoordinatorView>, Problem> {
    auth.require(Scope::Read)?;
    if !auth.principal.is_operator {
        return Err(Problem::forbidden(
            "the coordinator view is for the hub operator's organisation (the coordinator)",
        ));
    }
    let only = q.cve.as_deref().filter(|c| !c.is_empty());
    if let Some(c) = only {
        if vigilo_store::coordinator::cve_ids_in(c).len() != 1 {
            let m = format!("{c:?} is not a CVE id (CVE-YYYY-NNNN)");
            return Err(Problem::bad_request(format!("cve: {m}")).with_error("/cve", m));
        }
    }
    let (evidence, reported) = state
        .store
        .coordinator_evidence(&auth.principal.org_id, only)
        .await
        .map_err(store_problem)?;
    let names = state
        .store
        .list_orgs()
        .await
        .map_err(store_problem)?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(ApiJson(CoordinatorView {
        rule: MEMBERSHIP_RULE.into(),
        stage: MEMBERSHIP_STAGE.into(),
        vulnerabilities: build(evidence, &reported, &names, Timestamp::now())?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_microsecond()
    }

    fn ev(org: &str, kind: &'static str, when: &str) -> Evidence {
        Evidence {
            cve: "CVE-2026-1000".into(),
            org_id: org.into(),
            at: at(when),
            kind,
            reference: format!("{kind}:x"),
            detail: String::new(),
        }
    }

    #[test]
    fn who_knew_first_and_who_reported_late() {
        let evidence = vec![
            ev("provider", "sighting", "2026-10-01T09:00:00Z"),
            ev("provider", "case", "2026-10-01T08:00:00Z"),
            ev("finder", "case", "2026-10-03T08:00:00Z"),
            ev("bank", "advisory", "2026-10-04T08:00:00Z"),
        ];
        let reported = vec![
            Reported {
                cve: "CVE-2026-1000".into(),
                org_id: "provider".into(),
                at: at("2026-10-05T08:00:00Z"),
                report_id: "r1".into(),
            },
            Reported {
                cve: "CVE-2026-1000".into(),
                org_id: "finder".into(),
                at: at("2026-10-03T20:00:00Z"),
                report_id: "r2".into(),
            },
        ];
        let names = [("provider".to_owned(), "cloud-provider".to_owned())].into();
        let v = build(
            evidence,
            &reported,
            &names,
            "2026-10-06T00:00:00Z".parse().unwrap(),
        )
        .unwrap();
        assert_eq!(v.len(), 1);
        let v = &v[0];
        assert_eq!(v.first_known_by, "cloud-provider");
        assert_eq!(v.first_known_at, "2026-10-01T08:00:00Z");
        let status: Vec<(&str, &str)> = v
            .members
            .iter()
            .map(|m| (m.org.as_str(), m.status.as_str()))
            .collect();
        assert_eq!(
            status,
            [
                ("cloud-provider", "late"),
                ("finder", "on_time"),
                ("bank", "missing")
            ]
        );
        let p = &v.members[0];
        assert_eq!(p.first_evidence.kind, "case");
        assert_eq!(p.due.as_deref(), Some("2026-10-02T08:00:00Z"));
        assert_eq!(p.late_by_seconds, Some(3 * 86_400));
        assert_eq!(p.evidence.len(), 3, "case, sighting and the report itself");
        assert_eq!(v.late, ["cloud-provider"]);
        assert_eq!(v.missing, ["bank"]);
        assert_eq!(v.members[2].late_by_seconds, Some(16 * 3600));
    }

    #[test]
    fn a_report_alone_is_evidence_and_not_yet_due_is_open() {
        let reported = vec![Reported {
            cve: "CVE-2026-2000".into(),
            org_id: "a".into(),
            at: at("2026-10-01T00:00:00Z"),
            report_id: "r".into(),
        }];
        let v = build(
            vec![ev("b", "case", "2026-10-01T00:00:00Z")],
            &reported,
            &BTreeMap::new(),
            "2026-10-01T12:00:00Z".parse().unwrap(),
        )
        .unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].cve, "CVE-2026-1000");
        assert_eq!(v[0].members[0].status, "open");
        assert_eq!(v[1].members[0].status, "on_time");
        assert_eq!(v[1].members[0].first_evidence.kind, "report");
    }
}
