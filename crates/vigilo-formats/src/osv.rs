//! OSV 1.6 records (JSON or YAML) to [`Advisory`], and back to JSON.
//!
//! The record is first read into a JSON value (YAML is converted), so that
//! the stored form keeps every field, `database_specific` and
//! `ecosystem_specific` included. It is then decoded into the wire types
//! below (errors carry the JSON pointer of the offending value), and finally
//! checked semantically: every version in a range must parse under its
//! ecosystem's scheme and every range must be well-formed.

use serde::Deserialize;
use serde_json::Value;
use vigilo_core::advisory::{Advisory, Affected, AffectedRange, RangeKind};
use vigilo_core::version::range::{Event, Range};
use vigilo_core::{Ecosystem, Scheme, Version};

use crate::diag::{Diagnostic, DiagnosticCode, Severity};

/// Largest record accepted, in bytes.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// Input syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Json,
    Yaml,
}

impl Syntax {
    /// Guesses the syntax from a file name.
    pub fn from_path(path: &str) -> Option<Syntax> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Some(Syntax::Json)
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(Syntax::Yaml)
        } else {
            None
        }
    }
}

#[derive(Debug, Deserialize)]
struct WireRecord {
    #[serde(default)]
    schema_version: Option<String>,
    id: String,
    modified: String,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    related: Option<Vec<String>>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    affected: Option<Vec<WireAffected>>,
}

#[derive(Debug, Deserialize)]
struct WireAffected {
    #[serde(default)]
    package: Option<WirePackage>,
    #[serde(default)]
    ranges: Option<Vec<WireRange>>,
    #[serde(default)]
    versions: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct WirePackage {
    ecosystem: String,
    name: String,
    #[serde(default)]
    purl: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    repo: Option<String>,
    events: Vec<WireEvent>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireEvent {
    #[serde(default)]
    introduced: Option<String>,
    #[serde(default)]
    fixed: Option<String>,
    #[serde(default)]
    last_affected: Option<String>,
    #[serde(default)]
    limit: Option<String>,
}

/// A record that parsed, with its JSON form and warnings.
#[derive(Debug, Clone)]
pub struct ParsedRecord {
    pub advisory: Advisory,
    /// The whole record as JSON (all fields kept).
    pub json: Value,
    pub warnings: Vec<Diagnostic>,
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push('/');
                out.push_str(&crate::diag::pointer_token(key));
            }
            Segment::Unknown => break,
        }
    }
    out
}

/// Reads bytes of the given syntax into a JSON value.
pub fn to_json(bytes: &[u8], syntax: Syntax) -> Result<Value, String> {
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(format!("record larger than {MAX_RECORD_BYTES} bytes"));
    }
    match syntax {
        Syntax::Json => serde_json::from_slice(bytes).map_err(|e| e.to_string()),
        Syntax::Yaml => {
            let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
            serde_yaml_ng::from_str::<Value>(text).map_err(|e| e.to_string())
        }
    }
}

/// Parses one record. `path` names it in diagnostics.
pub fn parse_record(bytes: &[u8], syntax: Syntax, path: &str) -> Result<ParsedRecord, Diagnostic> {
    let diag = |code, pointer: String, record: Option<String>, message: String| Diagnostic {
        code,
        severity: Severity::Error,
        path: path.to_owned(),
        record,
        pointer,
        message,
    };
    let json =
        to_json(bytes, syntax).map_err(|m| diag(DiagnosticCode::Syntax, String::new(), None, m))?;
    from_json(json, path)
}

/// Converts a JSON value holding one OSV record.
pub fn from_json(json: Value, path: &str) -> Result<ParsedRecord, Diagnostic> {
    let id_hint = json.get("id").and_then(Value::as_str).map(str::to_owned);
    let diag = |code, pointer: String, message: String| Diagnostic {
        code,
        severity: Severity::Error,
        path: path.to_owned(),
        record: id_hint.clone(),
        pointer,
        message,
    };
    if !json.is_object() {
        return Err(diag(
            DiagnosticCode::Schema,
            String::new(),
            "an OSV record must be a JSON object".into(),
        ));
    }
    let wire: WireRecord = serde_path_to_error::deserialize(&json).map_err(|e| {
        let mut pointer = pointer_of(e.path());
        let msg = e.inner().to_string();
        if let Some(field) = msg
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            pointer = format!("{pointer}/{field}");
        }
        diag(DiagnosticCode::Schema, pointer, msg)
    })?;
    let _ = (&wire.schema_version, &wire.details);
    if wire.modified.trim().parse::<jiff::Timestamp>().is_err() {
        return Err(diag(
            DiagnosticCode::Schema,
            "/modified".into(),
            format!("modified {:?} is not an RFC 3339 timestamp", wire.modified),
        ));
    }
    if wire.id.trim().is_empty() {
        return Err(diag(
            DiagnosticCode::Schema,
            "/id".into(),
            "id is empty".into(),
        ));
    }
    let mut warnings = Vec::new();
    let mut affected = Vec::new();
    for (ai, a) in wire.affected.unwrap_or_default().into_iter().enumerate() {
        let base = format!("/affected/{ai}");
        let Some(pkg) = a.package else {
            // Affected entries without a package (e.g. only GIT ranges) carry
            // nothing vigilo matches against package versions.
            continue;
        };
        let ecosystem = Ecosystem::parse(&pkg.ecosystem);
        let scheme = ecosystem.scheme();
        if scheme.is_none() {
            warnings.push(Diagnostic {
                code: DiagnosticCode::UnknownEcosystem,
                severity: Severity::Warning,
                path: path.to_owned(),
                record: Some(wire.id.clone()),
                pointer: format!("{base}/package/ecosystem"),
                message: format!(
                    "ecosystem {:?} has no known version scheme: its ranges are kept but not evaluated",
                    pkg.ecosystem
                ),
            });
        }
        let mut ranges = Vec::new();
        for (ri, r) in a.ranges.unwrap_or_default().into_iter().enumerate() {
            let rbase = format!("{base}/ranges/{ri}");
            let text = events_text(&r.events);
            let kind = match r.kind.as_str() {
                "GIT" => {
                    ranges.push(AffectedRange::Git {
                        repo: r.repo.unwrap_or_default(),
                        text,
                    });
                    continue;
                }
                "SEMVER" => RangeKind::SemVer,
                "ECOSYSTEM" => RangeKind::Ecosystem,
                other => {
                    return Err(diag(
                        DiagnosticCode::Schema,
                        format!("{rbase}/type"),
                        format!("unknown range type {other:?}: expected SEMVER, ECOSYSTEM or GIT"),
                    ));
                }
            };
            let range_scheme = match (kind, scheme) {
                (RangeKind::SemVer, Some(Scheme::Go)) => Some(Scheme::Go),
                (RangeKind::SemVer, _) => Some(Scheme::SemVer),
                (RangeKind::Ecosystem, s) => s,
            };
            let Some(range_scheme) = range_scheme else {
                ranges.push(AffectedRange::Unordered { text });
                continue;
            };
            let mut events = Vec::new();
            for (ei, e) in r.events.iter().enumerate() {
                let epath = format!("{rbase}/events/{ei}");
                let set: Vec<(&str, &String)> = [
                    ("introduced", &e.introduced),
                    ("fixed", &e.fixed),
                    ("last_affected", &e.last_affected),
                    ("limit", &e.limit),
                ]
                .into_iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
                .collect();
                let [(key, text)] = set.as_slice() else {
                    return Err(diag(
                        DiagnosticCode::BadRange,
                        epath,
                        "an event must have exactly one of introduced, fixed, last_affected, limit"
                            .into(),
                    ));
                };
                if *key == "introduced" && text.as_str() == "0" {
                    events.push(Event::Introduced(None));
                    continue;
                }
                let v = match Version::parse(range_scheme, text) {
                    Ok(v) => v,
                    Err(err) => match coerce_semver(range_scheme, text) {
                        // osv.dev reads `1.0` in a SemVer-family range as `1.0.0`; do the same, and say so.
                        Some((v, coerced)) => {
                            warnings.push(Diagnostic {
                                code: DiagnosticCode::BadVersion,
                                severity: Severity::Warning,
                                path: path.to_owned(),
                                record: Some(wire.id.clone()),
                                pointer: format!("{epath}/{key}"),
                                message: format!("{err}; read as {coerced}"),
                            });
                            v
                        }
                        None => {
                            return Err(diag(
                                DiagnosticCode::BadVersion,
                                format!("{epath}/{key}"),
                                err.to_string(),
                            ));
                        }
                    },
                };
                events.push(match *key {
                    "introduced" => Event::Introduced(Some(v)),
                    "fixed" => Event::Fixed(v),
                    "last_affected" => Event::LastAffected(v),
                    _ => Event::Limit(v),
                });
            }
            let range = Range::new(events).map_err(|err| {
                diag(
                    DiagnosticCode::BadRange,
                    format!("{rbase}/events"),
                    err.to_string(),
                )
            })?;
            ranges.push(AffectedRange::Versions { kind, range, text });
        }
        affected.push(Affected {
            ecosystem,
            name: pkg.name,
            purl: pkg.purl,
            ranges,
            versions: a.versions.unwrap_or_default(),
        });
    }
    Ok(ParsedRecord {
        advisory: Advisory {
            id: wire.id,
            modified: wire.modified,
            published: wire.published,
            withdrawn: wire.withdrawn,
            aliases: wire.aliases.unwrap_or_default(),
            related: wire.related.unwrap_or_default(),
            summary: wire.summary,
            severity: severity_of(&json),
            affected,
        },
        json,
        warnings,
    })
}

/// The advisory's rating: the highest CVSS v3 base score among `severity`
/// (top level, then per `affected`), else `database_specific.severity`
/// (GitHub's `CRITICAL`/`HIGH`/`MODERATE`/`LOW`).
fn severity_of(json: &Value) -> Option<vigilo_core::Severity> {
    let mut best: Option<f64> = None;
    let lists = std::iter::once(json.get("severity")).chain(
        json.get("affected")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|a| a.get("severity")),
    );
    for entry in lists.flatten().filter_map(Value::as_array).flatten() {
        let ty = entry.get("type").and_then(Value::as_str).unwrap_or("");
        let score = entry.get("score").and_then(Value::as_str).unwrap_or("");
        if ty.starts_with("CVSS_V3") || ty == "CVSS_V4" {
            if let Ok(c) = vigilo_core::cvss::parse(score) {
                let s = c.score().base;
                best = Some(best.map_or(s, |b: f64| b.max(s)));
            }
        }
    }
    if let Some(score) = best {
        return vigilo_core::Severity::from_score(score);
    }
    json.pointer("/database_specific/severity")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

/// `1` → `1.0.0`, `1.2` → `1.2.0` for SemVer-family schemes.
fn coerce_semver(scheme: Scheme, text: &str) -> Option<(Version, String)> {
    if !matches!(scheme, Scheme::SemVer | Scheme::Npm | Scheme::Go) {
        return None;
    }
    let t = text.trim().trim_start_matches('v');
    let parts: Vec<&str> = t.split('.').collect();
    let numeric = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if parts.is_empty() || parts.len() > 2 || !parts.iter().all(numeric) {
        return None;
    }
    let mut full = parts.join(".");
    for _ in parts.len()..3 {
        full.push_str(".0");
    }
    Version::parse(scheme, &full).ok().map(|v| (v, full))
}

fn events_text(events: &[WireEvent]) -> String {
    let mut parts = Vec::new();
    for e in events {
        for (k, v) in [
            ("introduced", &e.introduced),
            ("fixed", &e.fixed),
            ("last_affected", &e.last_affected),
            ("limit", &e.limit),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k} {v}"));
            }
        }
    }
    parts.join(", ")
}

/// Compares two OSV `modified` timestamps (RFC 3339) as instants; a value
/// that does not parse compares as text after those that do.
pub fn modified_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let parse = |s: &str| s.trim().parse::<jiff::Timestamp>().ok();
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<ParsedRecord, Diagnostic> {
        parse_record(json.as_bytes(), Syntax::Json, "test.json")
    }

    #[test]
    fn a_minimal_record_parses() {
        let r = parse(
            r#"{"id":"X-1","modified":"2024-01-01T00:00:00Z","aliases":["CVE-1"],
                "affected":[{"package":{"ecosystem":"crates.io","name":"smallvec"},
                "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.6.1"}]}],
                "database_specific":{"x":1}}],"database_specific":{"y":2}}"#,
        )
        .unwrap();
        assert_eq!(r.advisory.id, "X-1");
        assert_eq!(r.advisory.aliases, ["CVE-1"]);
        assert_eq!(r.json["database_specific"]["y"], 2);
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn errors_carry_pointers() {
        let cases = [
            (
                r#"{"modified":"2024-01-01T00:00:00Z"}"#,
                DiagnosticCode::Schema,
                "/id",
            ),
            (
                r#"{"id":"X","modified":5}"#,
                DiagnosticCode::Schema,
                "/modified",
            ),
            (r#"[1]"#, DiagnosticCode::Schema, ""),
            (r#"{"id":"X""#, DiagnosticCode::Syntax, ""),
            (
                r#"{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"a"},
                   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"not a version!"}]}]}]}"#,
                DiagnosticCode::BadVersion,
                "/affected/0/ranges/0/events/1/fixed",
            ),
            (
                r#"{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"crates.io","name":"a"},
                   "ranges":[{"type":"SEMVER","events":[{"introduced":"2.0.0"},{"fixed":"1.0.0"}]}]}]}"#,
                DiagnosticCode::BadRange,
                "/affected/0/ranges/0/events",
            ),
            (
                r#"{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"crates.io","name":"a"},
                   "ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0","fixed":"2.0.0"}]}]}]}"#,
                DiagnosticCode::BadRange,
                "/affected/0/ranges/0/events/0",
            ),
        ];
        for (json, code, pointer) in cases {
            let d = parse(json).unwrap_err();
            assert_eq!((d.code, d.pointer.as_str()), (code, pointer), "{json}: {d}");
            assert_eq!(d.path, "test.json");
        }
    }

    #[test]
    fn unknown_ecosystems_are_kept_with_a_warning() {
        let r = parse(
            r#"{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"GitHub Actions","name":"a/b"},
               "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2"}]}],"versions":["1.0"]}]}"#,
        )
        .unwrap();
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].code, DiagnosticCode::UnknownEcosystem);
        assert!(matches!(
            r.advisory.affected[0].ranges[0],
            AffectedRange::Unordered { .. }
        ));
    }

    #[test]
    fn yaml_records_parse() {
        let yaml = "id: PYSEC-1\nmodified: '2021-01-01T00:00:00Z'\naffected:\n- package:\n    name: jinja2\n    ecosystem: PyPI\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: '0'\n    - fixed: 2.11.3\n";
        let r = parse_record(yaml.as_bytes(), Syntax::Yaml, "x.yaml").unwrap();
        assert_eq!(r.advisory.affected[0].name, "jinja2");
    }
}
