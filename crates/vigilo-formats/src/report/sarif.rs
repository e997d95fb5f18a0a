//! Scan results as SARIF 2.1.0 (OASIS), for GitHub code scanning and other
//! SARIF viewers.
//!
//! One run. `tool.driver.rules` holds one rule per advisory found, sorted by
//! id: the summary as description, `https://osv.dev/vulnerability/<id>` as
//! help, the aliases (and `security`) as tags, and GitHub's
//! `security-severity` score (critical 9.5, high 8.0, medium 5.5, low 2.0)
//! with the matching default level (critical and high are `error`, medium
//! `warning`, low and unrated `note`).
//!
//! `results` holds one result per (finding, advisory), in the report's
//! order. Its physical location is the outermost file of the evidence chain
//! (`app.ear` for `app.ear!/lib/log4j-core-2.14.1.jar`) as a relative URI, or
//! a `file://` URI for absolute paths; nested members add a logical location
//! of kind `module` naming the whole chain. Mitigated findings are reported
//! (the finding's status, or a match on an advisory its mitigations
//! neutralise) are reported at level `note` and say so in their message. `partialFingerprints` has
//! `vigilo/v1`, the SHA-256 of `id|chain|purl`, stable across scans of the
//! same file. The result's property bag carries `status`, `purl` and
//! `mitigations`.
//!
//! Diagnostics are `invocations[0].toolExecutionNotifications`, their codes
//! described once in `tool.driver.notifications`; the scan itself is
//! `executionSuccessful` whatever they say: unreadable files do not fail it.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use vigilo_core::Severity;
use vigilo_core::inventory::{CHAIN_SEPARATOR, Finding, FindingAdvisory, Status};

use super::Report;
use super::json::{
    advisory_status, diagnostic_severity, purl, sha256_hex, tool_version, utc, write_value,
};
use crate::diag::{Diagnostic, DiagnosticCode};

/// The `$schema` written.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The driver's `informationUri`: where to read about vigilo.
pub const INFORMATION_URI: &str = "https://example.invalid/vigilo";

/// Writes `report` as a SARIF 2.1.0 log (see the module docs).
pub fn write_sarif(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    // Rules: one per advisory id, sorted; the first occurrence describes it.
    let mut advisories: BTreeMap<&str, &FindingAdvisory> = BTreeMap::new();
    for f in &report.findings {
        for a in &f.advisories {
            advisories.entry(a.id.as_str()).or_insert(a);
        }
    }
    let rule_index: BTreeMap<&str, usize> = advisories
        .keys()
        .enumerate()
        .map(|(i, id)| (*id, i))
        .collect();
    let rules: Vec<Value> = advisories.values().map(|a| rule(a)).collect();

    let mut results = Vec::new();
    for f in &report.findings {
        for a in &f.advisories {
            let index = rule_index.get(a.id.as_str()).copied().unwrap_or_default();
            results.push(result(f, a, index));
        }
    }

    let codes: Vec<DiagnosticCode> = {
        let mut c: Vec<DiagnosticCode> = report.diagnostics.iter().map(|d| d.code).collect();
        c.sort_unstable();
        c.dedup();
        c
    };
    let descriptors: Vec<Value> = codes
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "shortDescription": { "text": c.description() },
            })
        })
        .collect();
    let notifications: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| notification(d, codes.binary_search(&d.code).unwrap_or_default()))
        .collect();

    let mut invocation = Map::new();
    invocation.insert("executionSuccessful".into(), true.into());
    invocation.insert("toolExecutionNotifications".into(), notifications.into());
    if let Some(t) = utc(&report.started) {
        invocation.insert("startTimeUtc".into(), t.into());
    }
    if let Some(t) = utc(&report.finished) {
        invocation.insert("endTimeUtc".into(), t.into());
    }
    if !report.host.is_empty() {
        invocation.insert("machine".into(), report.host.clone().into());
    }

    let mut driver = Map::new();
    driver.insert("name".into(), "vigilo".into());
    driver.insert("version".into(), tool_version(report).into());
    driver.insert("informationUri".into(), INFORMATION_URI.into());
    driver.insert("rules".into(), rules.into());
    if !descriptors.is_empty() {
        driver.insert("notifications".into(), descriptors.into());
    }

    let doc = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "invocations": [invocation],
            "results": results,
        }],
    });
    write_value(doc, out)
}

/// The reporting descriptor of one advisory.
fn rule(a: &FindingAdvisory) -> Value {
    let short = a.summary.as_deref().unwrap_or(&a.id);
    let mut full = match &a.summary {
        Some(summary) => format!("{}: {summary}", a.id),
        None => a.id.clone(),
    };
    if !a.aliases.is_empty() {
        full.push_str(&format!(" (aliases: {})", a.aliases.join(", ")));
    }
    let mut tags = vec!["security".to_owned()];
    for alias in &a.aliases {
        if !tags.contains(alias) {
            tags.push(alias.clone());
        }
    }
    let mut properties = Map::new();
    properties.insert("tags".into(), tags.into());
    if let Some(score) = a.severity.map(security_severity) {
        properties.insert("security-severity".into(), score.into());
    }
    json!({
        "id": a.id,
        "shortDescription": { "text": short },
        "fullDescription": { "text": full },
        "helpUri": format!("https://osv.dev/vulnerability/{}", uri_encode(&a.id)),
        "defaultConfiguration": { "level": level(a.severity) },
        "properties": properties,
    })
}

/// The result for one advisory matched by one finding.
fn result(f: &Finding, a: &FindingAdvisory, rule_index: usize) -> Value {
    let chain = f.found.evidence.path.as_str();
    let purl = purl(&f.found);
    let fingerprint =
        sha256_hex(format!("{}|{chain}|{}", a.id, purl.as_deref().unwrap_or("")).as_bytes());
    let status = advisory_status(f, a);
    let level = match status {
        Status::Mitigated => "note",
        Status::Affected | Status::Unknown => level(a.severity),
    };
    let mut properties = Map::new();
    properties.insert("status".into(), status.as_str().into());
    if let Some(p) = purl {
        properties.insert("purl".into(), p.into());
    }
    if !f.found.mitigations.is_empty() {
        properties.insert("mitigations".into(), f.found.mitigations.clone().into());
    }
    json!({
        "ruleId": a.id,
        "ruleIndex": rule_index,
        "level": level,
        "message": { "text": message(f, a, status) },
        "locations": [location(chain)],
        "partialFingerprints": { "vigilo/v1": fingerprint },
        "properties": properties,
    })
}

/// `<name> <version> at <path> is affected by <id> (<aliases>); fixed in <fixed>`,
/// with the verdict worded by the finding's status.
fn message(f: &Finding, a: &FindingAdvisory, status: Status) -> String {
    let found = &f.found;
    let c = &found.component;
    let version = found.version_range.as_deref().unwrap_or(&c.version);
    let mut id = a.id.clone();
    if !a.aliases.is_empty() {
        id.push_str(&format!(" ({})", a.aliases.join(", ")));
    }
    let verdict = match status {
        Status::Affected => format!("is affected by {id}"),
        Status::Mitigated if found.mitigations.is_empty() => {
            format!("matches {id} but is mitigated")
        }
        Status::Mitigated => format!(
            "matches {id} but is mitigated ({})",
            found.mitigations.join("; ")
        ),
        Status::Unknown => format!("may be affected by {id}"),
    };
    let fixed = if a.fixed.is_empty() {
        "no fixed version is known".to_owned()
    } else {
        format!("fixed in {}", a.fixed.join(", "))
    };
    format!(
        "{} {version} at {} {verdict}; {fixed}",
        c.name, found.evidence.path
    )
}

fn notification(d: &Diagnostic, descriptor_index: usize) -> Value {
    let text = if d.pointer.is_empty() {
        d.message.clone()
    } else {
        format!("{} (at {})", d.message, d.pointer)
    };
    let mut n = Map::new();
    n.insert("level".into(), diagnostic_severity(d.severity).into());
    n.insert(
        "descriptor".into(),
        json!({ "id": d.code.as_str(), "index": descriptor_index }),
    );
    n.insert("message".into(), json!({ "text": text }));
    if !d.path.is_empty() {
        n.insert("locations".into(), json!([location(&d.path)]));
    }
    Value::Object(n)
}

/// The location of an evidence chain: its outermost file, plus the whole
/// chain as a logical location when it reaches inside an archive.
fn location(chain: &str) -> Value {
    let outer = chain.split(CHAIN_SEPARATOR).next().unwrap_or(chain);
    let mut loc = Map::new();
    loc.insert(
        "physicalLocation".into(),
        json!({ "artifactLocation": { "uri": path_uri(outer) } }),
    );
    if outer.len() < chain.len() {
        loc.insert(
            "logicalLocations".into(),
            json!([{ "fullyQualifiedName": chain, "kind": "module" }]),
        );
    }
    Value::Object(loc)
}

/// A file path as a URI reference: relative paths stay relative (percent-
/// encoded, so that `a b:c.jar` cannot read as a scheme), absolute ones
/// become `file://` URIs (`C:\x` becomes `file:///C:/x`).
fn path_uri(path: &str) -> String {
    let bytes = path.as_bytes();
    let drive = bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes[2], b'\\' | b'/');
    if drive {
        let (letter, rest) = path.split_at(2);
        return format!("file:///{letter}{}", uri_encode(&rest.replace('\\', "/")));
    }
    if path.starts_with('/') {
        return format!("file://{}", uri_encode(path));
    }
    uri_encode(path)
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `/`.
fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The SARIF level of an advisory severity.
fn level(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::Critical | Severity::High) => "error",
        Some(Severity::Medium) => "warning",
        Some(Severity::Low) | None => "note",
    }
}

/// GitHub code scanning's `security-severity`: a CVSS-like score, as a string,
/// inside the band GitHub maps to the same rating.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
    }
}

#[cfg(test)]
mod tests {
    use vigilo_core::Ecosystem;
    use vigilo_core::inventory::{Evidence, Found, Method};
    use vigilo_core::package::Component;

    use super::*;

    fn finding(path: &str, status: Status, mitigations: &[&str]) -> Finding {
        Finding {
            found: Found {
                component: Component {
                    ecosystem: Ecosystem::Maven,
                    name: "org.apache.logging.log4j:log4j-core".into(),
                    version: "2.14.1".into(),
                    purl: None,
                },
                evidence: Evidence {
                    path: path.into(),
                    method: Method::PomProperties,
                    detail: "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties"
                        .into(),
                    sha256: None,
                },
                version_range: None,
                mitigations: mitigations.iter().map(|m| (*m).to_owned()).collect(),
                mitigated: Vec::new(),
                dev: false,
            },
            advisories: vec![FindingAdvisory {
                id: "GHSA-jfh8-c2jp-5v3q".into(),
                aliases: vec!["CVE-2021-44228".into()],
                summary: Some("Remote code injection in Log4j".into()),
                severity: Some(Severity::Critical),
                fixed: vec!["2.15.0".into()],
                matched_by: "introduced 2.0-beta9, fixed 2.15.0".into(),
            }],
            status,
        }
    }

    fn render(report: &Report) -> Value {
        let mut out = Vec::new();
        write_sarif(report, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn uris() {
        assert_eq!(path_uri("app.ear"), "app.ear");
        assert_eq!(path_uri("lib/my app.jar"), "lib/my%20app.jar");
        assert_eq!(path_uri("a:b.jar"), "a%3Ab.jar");
        assert_eq!(
            path_uri("/srv/app/a b#1.war"),
            "file:///srv/app/a%20b%231.war"
        );
        assert_eq!(path_uri(r"C:\apps\x y.ear"), "file:///C:/apps/x%20y.ear");
        assert_eq!(
            path_uri("node_modules/@babel/core"),
            "node_modules/%40babel/core"
        );
        assert_eq!(path_uri("café.jar"), "caf%C3%A9.jar");
    }

    #[test]
    fn levels_follow_severity() {
        assert_eq!(level(Some(Severity::Critical)), "error");
        assert_eq!(level(Some(Severity::High)), "error");
        assert_eq!(level(Some(Severity::Medium)), "warning");
        assert_eq!(level(Some(Severity::Low)), "note");
        assert_eq!(level(None), "note");
        // Each score sits in the band GitHub maps back to the same rating.
        for s in Severity::ALL {
            let score: f64 = security_severity(s).parse().unwrap();
            assert_eq!(Severity::from_score(score), Some(s));
        }
    }

    #[test]
    fn nested_member_points_at_the_outer_file() {
        let chain = "dist/app.ear!/lib/app.war!/WEB-INF/lib/log4j-core-2.14.1.jar";
        let v = render(&Report {
            findings: vec![finding(chain, Status::Affected, &[])],
            ..Report::default()
        });
        let r = &v["runs"][0]["results"][0];
        let loc = &r["locations"][0];
        assert_eq!(
            loc["physicalLocation"]["artifactLocation"]["uri"],
            "dist/app.ear"
        );
        assert_eq!(loc["logicalLocations"][0]["fullyQualifiedName"], chain);
        assert_eq!(loc["logicalLocations"][0]["kind"], "module");
        assert_eq!(r["level"], "error");
        assert_eq!(
            r["message"]["text"],
            format!(
                "org.apache.logging.log4j:log4j-core 2.14.1 at {chain} is affected by \
                 GHSA-jfh8-c2jp-5v3q (CVE-2021-44228); fixed in 2.15.0"
            )
        );
        assert_eq!(
            r["partialFingerprints"]["vigilo/v1"],
            sha256_hex(
                format!(
                    "GHSA-jfh8-c2jp-5v3q|{chain}|pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
                )
                .as_bytes()
            )
        );
        assert_eq!(
            v["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["security-severity"],
            "9.5"
        );
    }

    #[test]
    fn plain_file_has_no_logical_location() {
        let v = render(&Report {
            findings: vec![finding("lib/log4j-core-2.14.1.jar", Status::Affected, &[])],
            ..Report::default()
        });
        let loc = &v["runs"][0]["results"][0]["locations"][0];
        assert_eq!(
            loc["physicalLocation"]["artifactLocation"]["uri"],
            "lib/log4j-core-2.14.1.jar"
        );
        assert!(loc.get("logicalLocations").is_none());
    }

    #[test]
    fn mitigated_finding_is_a_note_that_says_why() {
        let v = render(&Report {
            findings: vec![finding(
                "shaded.jar",
                Status::Mitigated,
                &["JndiLookup.class removed"],
            )],
            ..Report::default()
        });
        let r = &v["runs"][0]["results"][0];
        assert_eq!(r["level"], "note");
        assert_eq!(r["properties"]["status"], "mitigated");
        let text = r["message"]["text"].as_str().unwrap();
        assert!(
            text.contains("but is mitigated (JndiLookup.class removed)"),
            "{text}"
        );
    }

    #[test]
    fn a_neutralised_alias_makes_that_match_mitigated() {
        // JndiLookup.class removed neutralises CVE-2021-44228, not the
        // CVE-2021-45105 denial of service.
        let mut f = finding("app.jar", Status::Affected, &["JndiLookup.class removed"]);
        f.found.mitigated = vec!["CVE-2021-44228".into()];
        f.advisories.push(FindingAdvisory {
            id: "GHSA-p6xc-xr62-6r2g".into(),
            aliases: vec!["CVE-2021-45105".into()],
            summary: None,
            severity: Some(Severity::High),
            fixed: vec!["2.17.0".into()],
            matched_by: "introduced 2.13.0, fixed 2.17.0".into(),
        });
        let v = render(&Report {
            findings: vec![f],
            ..Report::default()
        });
        let results = &v["runs"][0]["results"];
        assert_eq!(results[0]["ruleId"], "GHSA-jfh8-c2jp-5v3q");
        assert_eq!(results[0]["level"], "note");
        assert_eq!(results[0]["properties"]["status"], "mitigated");
        assert_eq!(results[1]["level"], "error");
        assert_eq!(results[1]["properties"]["status"], "affected");
        assert!(
            results[1]["message"]["text"]
                .as_str()
                .unwrap()
                .contains("is affected by GHSA-p6xc-xr62-6r2g (CVE-2021-45105); fixed in 2.17.0")
        );
    }

    #[test]
    fn one_rule_per_advisory_and_indices_agree() {
        let mut b = finding("b.jar", Status::Affected, &[]);
        b.advisories.insert(
            0,
            FindingAdvisory {
                id: "GHSA-7rjr-3q55-vv33".into(),
                aliases: vec!["CVE-2021-45046".into()],
                summary: None,
                severity: Some(Severity::Critical),
                fixed: vec!["2.16.0".into()],
                matched_by: "introduced 2.0-beta9, fixed 2.16.0".into(),
            },
        );
        let v = render(&Report {
            findings: vec![finding("a.jar", Status::Affected, &[]), b],
            ..Report::default()
        });
        let run = &v["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["GHSA-7rjr-3q55-vv33", "GHSA-jfh8-c2jp-5v3q"]);
        // Without a summary the id describes the rule.
        assert_eq!(rules[0]["shortDescription"]["text"], "GHSA-7rjr-3q55-vv33");
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        for r in results {
            let i = usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap();
            assert_eq!(rules[i]["id"], r["ruleId"]);
        }
    }

    #[test]
    fn diagnostics_become_notifications() {
        let d = |code, path: &str| Diagnostic {
            code,
            severity: crate::diag::Severity::Error,
            path: path.into(),
            record: None,
            pointer: "line 4".into(),
            message: "bad".into(),
        };
        let v = render(&Report {
            diagnostics: vec![
                d(DiagnosticCode::ManifestSyntax, "a/package-lock.json"),
                d(DiagnosticCode::BadArchive, "x.ear!/y.war"),
            ],
            started: "2024-05-02T11:14:00+02:00".into(),
            finished: "not a time".into(),
            ..Report::default()
        });
        let inv = &v["runs"][0]["invocations"][0];
        assert_eq!(inv["executionSuccessful"], true);
        assert_eq!(inv["startTimeUtc"], "2024-05-02T09:14:00Z");
        assert!(inv.get("endTimeUtc").is_none());
        let notes = inv["toolExecutionNotifications"].as_array().unwrap();
        assert_eq!(notes[0]["descriptor"]["id"], "manifest-syntax");
        assert_eq!(notes[0]["message"]["text"], "bad (at line 4)");
        assert_eq!(notes[1]["descriptor"]["id"], "archive-corrupt");
        assert_eq!(
            notes[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "x.ear"
        );
        let descriptors = v["runs"][0]["tool"]["driver"]["notifications"]
            .as_array()
            .unwrap();
        for n in notes {
            let i = usize::try_from(n["descriptor"]["index"].as_u64().unwrap()).unwrap();
            assert_eq!(descriptors[i]["id"], n["descriptor"]["id"]);
        }
    }
}
