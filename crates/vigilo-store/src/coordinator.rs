//! The coordinator's evidence: on a hub run by a coordinator (a national
//! CSIRT, a regulator's platform), what each member organisation's own
//! records say about when it knew of a vulnerability, and when it reported
//! it to the coordinator.
//!
//! Knowledge is evidenced by a member's case naming the CVE (its earliest
//! awareness event, else when the case was opened), an advisory it
//! published naming it, a sighting of exploitation attempts of it in its
//! logs, a disclosure of the case to the product's provider (its report to
//! the vendor), and the awareness facts its own reports to the coordinator
//! state. Reporting is evidenced by the reports the coordinator's hub
//! received (with their signed receipts). This module only gathers the
//! evidence, across organisations; the hub decides who may see it and
//! computes lateness with the membership agreement's rule pack.

use std::collections::BTreeSet;

use serde_json::Value;
use sqlx::Row;

use crate::{DbContext as _, Result, Store};

/// The events that mean "the organisation knew".
pub const AWARENESS_EVENTS: [&str; 3] = [
    "vuln.discovered_or_learned",
    "vuln.exploitation_aware",
    "incident.aware",
];

/// One piece of evidence that an organisation knew of a CVE at an instant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Evidence {
    pub cve: String,
    pub org_id: String,
    /// Micros.
    pub at: i64,
    /// `case`, `advisory`, `sighting`, `vendor_report`, `report_claim`.
    pub kind: &'static str,
    /// `case:ID`, `advisory:ID`, `indicator:ID`, `disclosure:ID`, `report:ID`.
    pub reference: String,
    pub detail: String,
}

/// A report an organisation made to this hub about a CVE.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reported {
    pub cve: String,
    pub org_id: String,
    /// Micros: when the hub received it (what its receipt attests).
    pub at: i64,
    pub report_id: String,
}

/// The CVE ids in a text, upper-cased, sorted, without duplicates.
pub fn cve_ids_in(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while let Some(pos) = text[i..].find(['C', 'c']).map(|p| p + i) {
        i = pos + 1;
        let rest = &bytes[pos..];
        if rest.len() < 13 || !rest[..4].eq_ignore_ascii_case(b"CVE-") {
            continue;
        }
        let year = &rest[4..8];
        if !year.iter().all(u8::is_ascii_digit) || rest[8] != b'-' {
            continue;
        }
        let digits = rest[9..].iter().take_while(|b| b.is_ascii_digit()).count();
        if (4..=19).contains(&digits) {
            let end = 9 + digits;
            let before_ok = pos == 0 || !bytes[pos - 1].is_ascii_alphanumeric();
            let after_ok = rest.get(end).is_none_or(|b| !b.is_ascii_alphanumeric());
            if before_ok && after_ok {
                out.insert(format!(
                    "CVE-{}-{}",
                    String::from_utf8_lossy(year),
                    String::from_utf8_lossy(&rest[9..end])
                ));
            }
        }
    }
    out
}

fn strings(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push(' ');
        }
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// The awareness facts a report states: its `events` members naming an
/// awareness event with an RFC 3339 `at`.
fn claimed_awareness(report: &Value) -> Option<(i64, String)> {
    report
        .get("events")?
        .as_array()?
        .iter()
        .filter_map(|e| {
            let name = e.get("event")?.as_str()?;
            if !AWARENESS_EVENTS.contains(&name) {
                return None;
            }
            let at: jiff::Timestamp = e.get("at")?.as_str()?.parse().ok()?;
            Some((at.as_microsecond(), name.to_owned()))
        })
        .min()
}

impl Store {
    /// Every piece of evidence, over all organisations except `exclude`
    /// (the coordinator's own), of when each knew of each CVE, and every
    /// report each made to this hub naming a CVE. Optionally only one CVE.
    pub async fn coordinator_evidence(
        &self,
        exclude: &str,
        only: Option<&str>,
    ) -> Result<(Vec<Evidence>, Vec<Reported>)> {
        let wanted = |cve: &str| only.is_none_or(|o| o.eq_ignore_ascii_case(cve));
        let mut evidence = Vec::new();
        let mut reported = Vec::new();

        // Cases and their earliest awareness event.
        let rows = sqlx::query(
            "SELECT c.id, c.org_id, c.cve_ids, c.created_at, \
             (SELECT MIN(e.at) FROM case_events e WHERE e.case_id = c.id \
              AND e.event IN ($2, $3, $4)) \
             FROM cases c WHERE c.org_id <> $1",
        )
        .bind(exclude)
        .bind(AWARENESS_EVENTS[0])
        .bind(AWARENESS_EVENTS[1])
        .bind(AWARENESS_EVENTS[2])
        .fetch_all(self.pool())
        .await
        .ctx("reading cases for the coordinator view")?;
        let mut case_cves = std::collections::HashMap::new();
        for r in &rows {
            let id: String = r.try_get(0).ctx("decoding a case")?;
            let org: String = r.try_get(1).ctx("decoding a case")?;
            let cves: String = r.try_get(2).ctx("decoding a case")?;
            let created: i64 = r.try_get(3).ctx("decoding a case")?;
            let aware: Option<i64> = r.try_get(4).ctx("decoding a case")?;
            let cves: Vec<String> = serde_json::from_str(&cves).unwrap_or_default();
            for cve in cves.iter().filter(|c| wanted(c)) {
                evidence.push(Evidence {
                    cve: cve.clone(),
                    org_id: org.clone(),
                    at: aware.unwrap_or(created),
                    kind: "case",
                    reference: format!("case:{id}"),
                    detail: if aware.is_some() {
                        "its case's earliest awareness event".into()
                    } else {
                        "its case was opened (no awareness event recorded)".into()
                    },
                });
            }
            case_cves.insert(id, cves);
        }

        // Its reports to the vendor: disclosures to the product's provider.
        let rows = sqlx::query(
            "SELECT id, org_id, case_id, at, recipient FROM disclosures \
             WHERE org_id <> $1 AND role = 'product_provider'",
        )
        .bind(exclude)
        .fetch_all(self.pool())
        .await
        .ctx("reading disclosures for the coordinator view")?;
        for r in &rows {
            let id: String = r.try_get(0).ctx("decoding a disclosure")?;
            let org: String = r.try_get(1).ctx("decoding a disclosure")?;
            let case: String = r.try_get(2).ctx("decoding a disclosure")?;
            let at: i64 = r.try_get(3).ctx("decoding a disclosure")?;
            let to: String = r.try_get(4).ctx("decoding a disclosure")?;
            for cve in case_cves.get(&case).into_iter().flatten() {
                if wanted(cve) {
                    evidence.push(Evidence {
                        cve: cve.clone(),
                        org_id: org.clone(),
                        at,
                        kind: "vendor_report",
                        reference: format!("disclosure:{id}"),
                        detail: format!("reported to the product's provider {to}"),
                    });
                }
            }
        }

        // Advisories it published.
        let rows = sqlx::query(
            "SELECT a.id, a.owner_org, a.imported_at, a.aliases FROM advisories a \
             WHERE a.owner_org IS NOT NULL AND a.owner_org <> $1",
        )
        .bind(exclude)
        .fetch_all(self.pool())
        .await
        .ctx("reading advisories for the coordinator view")?;
        for r in &rows {
            let id: String = r.try_get(0).ctx("decoding an advisory")?;
            let org: String = r.try_get(1).ctx("decoding an advisory")?;
            let at: i64 = r.try_get(2).ctx("decoding an advisory")?;
            let aliases: String = r.try_get(3).ctx("decoding an advisory")?;
            let mut cves = cve_ids_in(&aliases);
            cves.extend(cve_ids_in(&id));
            for cve in cves.into_iter().filter(|c| wanted(c)) {
                evidence.push(Evidence {
                    cve,
                    org_id: org.clone(),
                    at,
                    kind: "advisory",
                    reference: format!("advisory:{id}"),
                    detail: "it published an advisory naming it".into(),
                });
            }
        }

        // Sightings of exploitation attempts in its logs.
        let rows = sqlx::query(
            "SELECT i.id, i.org_id, i.rules, i.value, \
             MIN(COALESCE(s.first_seen, s.uploaded_at)), MIN(s.uploaded_at) \
             FROM indicators i JOIN sightings s ON s.indicator_id = i.id \
             WHERE i.org_id <> $1 GROUP BY i.id, i.org_id, i.rules, i.value",
        )
        .bind(exclude)
        .fetch_all(self.pool())
        .await
        .ctx("reading sightings for the coordinator view")?;
        for r in &rows {
            let id: String = r.try_get(0).ctx("decoding a sighting")?;
            let org: String = r.try_get(1).ctx("decoding a sighting")?;
            let rules: String = r.try_get(2).ctx("decoding a sighting")?;
            let value: String = r.try_get(3).ctx("decoding a sighting")?;
            let seen: i64 = r.try_get(4).ctx("decoding a sighting")?;
            let uploaded: i64 = r.try_get(5).ctx("decoding a sighting")?;
            let rules: Vec<String> = serde_json::from_str(&rules).unwrap_or_default();
            let cves: BTreeSet<&str> = rules
                .iter()
                .flat_map(|r| vigilo_formats::stix::rule_cves(r).iter().copied())
                .collect();
            for cve in cves.into_iter().filter(|c| wanted(c)) {
                // It knew once it had the sighting: when it uploaded it (the
                // attempt itself may predate its looking at the logs).
                evidence.push(Evidence {
                    cve: cve.to_owned(),
                    org_id: org.clone(),
                    at: uploaded,
                    kind: "sighting",
                    reference: format!("indicator:{id}"),
                    detail: format!(
                        "it uploaded sightings of exploitation attempts ({value}, first seen {})",
                        crate::micros_to_rfc3339(seen)
                    ),
                });
            }
        }

        // Reports received by this hub: reporting, and the awareness they claim.
        let rows = sqlx::query(
            "SELECT id, org_id, report, received_at FROM received_reports WHERE org_id <> $1",
        )
        .bind(exclude)
        .fetch_all(self.pool())
        .await
        .ctx("reading received reports for the coordinator view")?;
        for r in &rows {
            let id: String = r.try_get(0).ctx("decoding a received report")?;
            let org: String = r.try_get(1).ctx("decoding a received report")?;
            let text: String = r.try_get(2).ctx("decoding a received report")?;
            let at: i64 = r.try_get(3).ctx("decoding a received report")?;
            let report: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let mut all = String::new();
            strings(&report, &mut all);
            let claim = claimed_awareness(&report);
            for cve in cve_ids_in(&all).into_iter().filter(|c| wanted(c)) {
                if let Some((aware, event)) = &claim {
                    evidence.push(Evidence {
                        cve: cve.clone(),
                        org_id: org.clone(),
                        at: *aware,
                        kind: "report_claim",
                        reference: format!("report:{id}"),
                        detail: format!("its report states {event}"),
                    });
                }
                reported.push(Reported {
                    cve,
                    org_id: org.clone(),
                    at,
                    report_id: id.clone(),
                });
            }
        }
        evidence.sort();
        reported.sort();
        Ok((evidence, reported))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_ids_are_found_in_text() {
        let found = cve_ids_in(
            "see CVE-2021-44228, cve-2021-45046 and CVE-2024-1234567; not XCVE-2020-1111, \
             CVE-20-1234, CVE-2020-12 or CVE-2020-",
        );
        assert_eq!(
            found.into_iter().collect::<Vec<_>>(),
            ["CVE-2021-44228", "CVE-2021-45046", "CVE-2024-1234567"]
        );
        assert!(cve_ids_in("").is_empty());
        assert!(cve_ids_in("ééé CVE-2021-4422x").is_empty());
        assert_eq!(cve_ids_in("éCVE-2021-44228é").len(), 1);
    }

    #[test]
    fn reports_claim_their_earliest_awareness() {
        let r = serde_json::json!({"events": [
            {"event": "vuln.exploitation_aware", "at": "2026-10-02T08:00:00Z"},
            {"event": "vuln.discovered_or_learned", "at": "2026-10-01T08:00:00Z"},
            {"event": "vuln.fix_available", "at": "2026-09-01T08:00:00Z"},
            {"event": "vuln.discovered_or_learned", "at": "not a time"}
        ]});
        let (at, event) = claimed_awareness(&r).unwrap();
        assert_eq!(crate::micros_to_rfc3339(at), "2026-10-01T08:00:00Z");
        assert_eq!(event, "vuln.discovered_or_learned");
        assert!(claimed_awareness(&serde_json::json!({})).is_none());
    }
}
