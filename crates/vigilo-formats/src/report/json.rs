//! vigilo's own scan report: a stable JSON document for scripts and CI.
//!
//! The schema is named by the `schema` member, `vigilo-scan/1`. Within that
//! name, members are only ever added, never renamed, retyped or removed; a
//! change that breaks readers gets a new name (`vigilo-scan/2`). Objects are
//! written with their keys sorted; arrays keep the report's order (findings
//! by severity, highest first, then path; components by path). The output is
//! pretty-printed with two-space indentation and ends with a newline.
//!
//! ```text
//! {
//!   "schema": "vigilo-scan/1",
//!   "tool": { "name": "vigilo", "version": "0.1.0" },
//!   "host": "build-01",                      // the machine scanned on
//!   "started": "2024-05-02T09:14:00Z",       // RFC 3339, as recorded
//!   "finished": "2024-05-02T09:14:07Z",
//!   "roots": ["/srv/app"],                   // the roots as given
//!   "stats": {
//!     "files": 1234, "bytes": 56789, "archives": 12,   // read
//!     "components": 310, "findings": 3                 // lengths of the arrays below
//!   },
//!   "findings": [ <finding>, ... ],          // components matching advisories
//!   "components": [ <component>, ... ],      // every component, vulnerable or not
//!   "diagnostics": [ <diagnostic>, ... ]     // what could not be read or was skipped
//! }
//!
//! <component> = {
//!   "path": "app.ear!/lib/log4j-core-2.14.1.jar",  // evidence path chain, links joined by "!/"
//!   "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",  // or null
//!   "ecosystem": "Maven",                  // OSV ecosystem name
//!   "name": "org.apache.logging.log4j:log4j-core",
//!   "version": "2.14.1",                   // the lowest of version_range when that is set
//!   "version_range": null,                 // ">=2.0-beta9, <2.15.0" when the evidence proves only a range
//!   "evidence": {
//!     "path": "...",                       // same chain as "path"
//!     "method": "pom-properties",          // sbom | lockfile | installed | pom-properties |
//!                                          // jar-manifest | file-name | class-fingerprint
//!     "detail": "META-INF/maven/.../pom.properties",  // what was read
//!     "sha256": "…"                        // hex digest of the innermost file, or null
//!   },
//!   "mitigations": ["JndiLookup.class removed"],  // notes that change the verdict
//!   "mitigated": ["CVE-2021-44228"],       // advisory ids or aliases those mitigations neutralise
//!   "dev": false                           // development-only dependency
//! }
//!
//! <finding> = <component> + {
//!   "status": "affected",                  // affected | mitigated | unknown: the verdict of the scan
//!   "severity": "critical",                // highest of the advisories: low | medium | high | critical | null
//!   "advisories": [{
//!     "id": "GHSA-jfh8-c2jp-5v3q",
//!     "status": "affected",                // this advisory's verdict: mitigated when "mitigated"
//!                                          // names its id or an alias, else the finding's status
//!     "aliases": ["CVE-2021-44228"],
//!     "summary": "…",                      // or null
//!     "severity": "critical",              // or null
//!     "fixed": ["2.15.0"],                 // fixed versions of the matching range, ascending
//!     "matched_by": "introduced 2.0-beta9, fixed 2.15.0"  // the range's events, or "versions"
//!   }]
//! }
//!
//! <diagnostic> = {
//!   "code": "archive-corrupt",             // stable kebab-case code
//!   "severity": "error",                   // warning | error
//!   "path": "dist/broken.war",
//!   "record": null,                        // the record's id, when known
//!   "pointer": "",                         // JSON pointer or "line N"; "" for the whole file
//!   "message": "…"
//! }
//! ```
//!
//! This module also holds the helpers the SARIF and CycloneDX writers share:
//! canonical pretty-printing, the tool version, purls and SHA-256.

use serde_json::{Map, Value, json};
use vigilo_core::Severity;
use vigilo_core::inventory::{Finding, FindingAdvisory, Found, Status};
use vigilo_core::package::purl_for;

use super::Report;
use crate::diag::{self, Diagnostic};

/// The value of the `schema` member.
pub const SCHEMA: &str = "vigilo-scan/1";

/// Writes `report` as vigilo's JSON scan report (see the module docs).
pub fn write_json(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let doc = json!({
        "schema": SCHEMA,
        "tool": { "name": "vigilo", "version": tool_version(report) },
        "host": report.host,
        "started": report.started,
        "finished": report.finished,
        "roots": report.roots,
        "stats": {
            "files": report.stats.files,
            "bytes": report.stats.bytes,
            "archives": report.stats.archives,
            "components": report.components.len(),
            "findings": report.findings.len(),
        },
        "findings": report.findings.iter().map(finding).collect::<Vec<_>>(),
        "components": report.components.iter().map(|f| Value::Object(component(f))).collect::<Vec<_>>(),
        "diagnostics": report.diagnostics.iter().map(diagnostic).collect::<Vec<_>>(),
    });
    write_value(doc, out)
}

/// A component object: what was found, where, and how.
fn component(found: &Found) -> Map<String, Value> {
    let c = &found.component;
    let e = &found.evidence;
    let mut m = Map::new();
    m.insert("path".into(), e.path.clone().into());
    m.insert("purl".into(), purl(found).into());
    m.insert("ecosystem".into(), c.ecosystem.to_string().into());
    m.insert("name".into(), c.name.clone().into());
    m.insert("version".into(), c.version.clone().into());
    m.insert("version_range".into(), found.version_range.clone().into());
    m.insert(
        "evidence".into(),
        json!({
            "path": e.path,
            "method": e.method.as_str(),
            "detail": e.detail,
            "sha256": e.sha256,
        }),
    );
    m.insert("mitigations".into(), found.mitigations.clone().into());
    m.insert("mitigated".into(), found.mitigated.clone().into());
    m.insert("dev".into(), found.dev.into());
    m
}

/// A finding object: the component plus its verdict and advisories.
fn finding(f: &Finding) -> Value {
    let mut m = component(&f.found);
    m.insert("status".into(), f.status.as_str().into());
    m.insert("severity".into(), f.severity().map(Severity::as_str).into());
    m.insert(
        "advisories".into(),
        f.advisories
            .iter()
            .map(|a| advisory(f, a))
            .collect::<Vec<_>>()
            .into(),
    );
    Value::Object(m)
}

fn advisory(f: &Finding, a: &FindingAdvisory) -> Value {
    json!({
        "id": a.id,
        "status": advisory_status(f, a).as_str(),
        "aliases": a.aliases,
        "summary": a.summary,
        "severity": a.severity.map(Severity::as_str),
        "fixed": a.fixed,
        "matched_by": a.matched_by,
    })
}

fn diagnostic(d: &Diagnostic) -> Value {
    json!({
        "code": d.code.as_str(),
        "severity": diagnostic_severity(d.severity),
        "path": d.path,
        "record": d.record,
        "pointer": d.pointer,
        "message": d.message,
    })
}

// Shared by the report writers.

/// The verdict on one advisory of a finding: mitigated when the component's
/// mitigations neutralise the advisory (its id or one of its aliases is in
/// [`Found::mitigated`]), the finding's status otherwise.
pub(super) fn advisory_status(f: &Finding, a: &FindingAdvisory) -> Status {
    let neutralised = f.found.mitigated.iter().any(|m| {
        m.eq_ignore_ascii_case(&a.id) || a.aliases.iter().any(|x| m.eq_ignore_ascii_case(x))
    });
    if neutralised {
        Status::Mitigated
    } else {
        f.status
    }
}

/// `warning` or `error`.
pub(super) fn diagnostic_severity(s: diag::Severity) -> &'static str {
    match s {
        diag::Severity::Warning => "warning",
        diag::Severity::Error => "error",
    }
}

/// The tool's version, without the `vigilo ` that [`Report::tool_version`]
/// may start with; this crate's version when the report has none.
pub(super) fn tool_version(report: &Report) -> &str {
    let v = report.tool_version.trim();
    let v = v.strip_prefix("vigilo").map_or(v, str::trim_start);
    if v.is_empty() {
        env!("CARGO_PKG_VERSION")
    } else {
        v
    }
}

/// The component's package URL: the one it was found with, else the one
/// its ecosystem, name and version make (none for ecosystems without a purl
/// type).
pub(super) fn purl(found: &Found) -> Option<String> {
    let c = &found.component;
    c.purl
        .clone()
        .or_else(|| purl_for(&c.ecosystem, &c.name, &c.version))
}

/// An RFC 3339 instant in UTC (`2024-05-02T09:14:07Z`), or `None` when it
/// does not parse.
pub(super) fn utc(s: &str) -> Option<String> {
    s.parse::<jiff::Timestamp>().ok().map(|t| t.to_string())
}

/// Writes `value` pretty-printed with sorted keys and a trailing newline.
pub(super) fn write_value(value: Value, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &sorted(value))?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Rebuilds every object with its keys inserted in sorted order, so that the
/// output is the same whether or not serde_json's `preserve_order` feature is
/// switched on somewhere in the build.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// SHA-256 of `data`, as lower-case hex: stable identifiers (SARIF
/// fingerprints, the CycloneDX serial number).
pub(super) fn sha256_hex(data: &[u8]) -> String {
    hex_lower(&sha256(data))
}

/// SHA-256 of `data`.
pub(super) fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use vigilo_core::Ecosystem;
    use vigilo_core::inventory::{Evidence, Method};
    use vigilo_core::package::Component;

    use super::*;
    use crate::diag::DiagnosticCode;

    fn found(ecosystem: Ecosystem, name: &str, version: &str) -> Found {
        Found {
            component: Component {
                ecosystem,
                name: name.into(),
                version: version.into(),
                purl: None,
            },
            evidence: Evidence {
                path: "requirements.txt".into(),
                method: Method::Lockfile,
                detail: "line 3".into(),
                sha256: None,
            },
            version_range: None,
            mitigations: Vec::new(),
            mitigated: Vec::new(),
            dev: false,
        }
    }

    fn render(report: &Report) -> (String, Value) {
        let mut out = Vec::new();
        write_json(report, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let value = serde_json::from_str(&text).unwrap();
        (text, value)
    }

    #[test]
    fn empty_report_is_complete_and_ends_with_a_newline() {
        let (text, v) = render(&Report::default());
        assert!(text.ends_with("}\n"));
        assert_eq!(v["schema"], "vigilo-scan/1");
        assert_eq!(v["tool"]["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(v["stats"]["components"], 0);
        assert_eq!(v["findings"], json!([]));
        assert_eq!(v["components"], json!([]));
        assert_eq!(v["diagnostics"], json!([]));
    }

    #[test]
    fn keys_are_sorted() {
        let (text, _) = render(&Report::default());
        let top: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("  \""))
            .filter_map(|l| l.trim().strip_prefix('"')?.split('"').next())
            .collect();
        let mut want = top.clone();
        want.sort_unstable();
        assert_eq!(top, want);
        assert_eq!(top.first(), Some(&"components"));
    }

    #[test]
    fn tool_version_drops_the_name() {
        let mut r = Report {
            tool_version: "vigilo 1.2.3".into(),
            ..Report::default()
        };
        assert_eq!(tool_version(&r), "1.2.3");
        r.tool_version = "1.2.3".into();
        assert_eq!(tool_version(&r), "1.2.3");
    }

    #[test]
    fn purl_is_derived_when_absent_and_null_without_a_type() {
        let report = Report {
            components: vec![
                found(Ecosystem::PyPI, "Jinja2", "2.11.2"),
                found(Ecosystem::Other("Hackage".into()), "aeson", "2.0.0"),
            ],
            ..Report::default()
        };
        let (_, v) = render(&report);
        assert_eq!(v["components"][0]["purl"], "pkg:pypi/jinja2@2.11.2");
        assert_eq!(v["components"][0]["ecosystem"], "PyPI");
        assert_eq!(v["components"][1]["purl"], Value::Null);
        assert_eq!(v["components"][1]["ecosystem"], "Hackage");
        // Components carry no verdict.
        assert!(v["components"][0].get("status").is_none());
        assert!(v["components"][0].get("advisories").is_none());
    }

    #[test]
    fn finding_carries_the_highest_severity_and_every_advisory() {
        let adv = |id: &str, severity| FindingAdvisory {
            id: id.into(),
            aliases: vec![],
            summary: None,
            severity,
            fixed: vec![],
            matched_by: "versions".into(),
        };
        let report = Report {
            findings: vec![Finding {
                found: found(Ecosystem::PyPI, "jinja2", "2.11.2"),
                advisories: vec![
                    adv("PYSEC-1", Some(Severity::Medium)),
                    adv("PYSEC-2", Some(Severity::High)),
                    adv("PYSEC-3", None),
                ],
                status: Status::Unknown,
            }],
            diagnostics: vec![Diagnostic {
                code: DiagnosticCode::Io,
                severity: diag::Severity::Warning,
                path: "x".into(),
                record: None,
                pointer: String::new(),
                message: "gone".into(),
            }],
            ..Report::default()
        };
        let (_, v) = render(&report);
        let f = &v["findings"][0];
        assert_eq!(f["severity"], "high");
        assert_eq!(f["status"], "unknown");
        assert_eq!(f["advisories"].as_array().unwrap().len(), 3);
        assert_eq!(f["advisories"][2]["severity"], Value::Null);
        assert_eq!(v["stats"]["findings"], 1);
        assert_eq!(v["diagnostics"][0]["code"], "io-error");
        assert_eq!(v["diagnostics"][0]["severity"], "warning");
    }
}
