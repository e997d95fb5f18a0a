//! Scan results as a CycloneDX 1.6 JSON BOM with vulnerabilities (a BOM
//! that doubles as a VEX).
//!
//! - `serialNumber` is a version-4-shaped UUID made from the SHA-256 of the
//!   rest of the document, so the same report always gives the same BOM;
//!   `metadata.timestamp` is when the scan finished, `metadata.tools` names
//!   vigilo, and `metadata.properties` lists the scanned roots
//!   (`vigilo:root`).
//! - `components`: one `library` per component found, deduplicated by purl
//!   and evidence path, with `bom-ref` `c1`, `c2`… in the report's order.
//!   Maven's `group:artifact`, npm's `@scope/name` and Packagist's
//!   `vendor/name` are split into `group` and `name`. The SHA-256 of the
//!   file holding the evidence is the component's hash only when that file is
//!   the component (an archive identified by its `pom.properties`,
//!   `MANIFEST.MF` or name, in which no other component was found);
//!   development-only dependencies have scope `excluded`. `evidence.occurrences` holds the evidence path chain,
//!   `evidence.identity` how the purl was concluded: technique
//!   `manifest-analysis` (SBOMs, lockfiles, installed metadata,
//!   `pom.properties`, `MANIFEST.MF`), `filename` or `hash-comparison` (class
//!   fingerprints), with a confidence of 1.0 for SBOMs, lockfiles, installed
//!   metadata and `pom.properties`, 0.8 for class fingerprints, 0.6 for
//!   `MANIFEST.MF` and 0.4 for file names. Properties keep what CycloneDX has
//!   no field for: `vigilo:ecosystem`, `vigilo:evidence-method`,
//!   `vigilo:evidence-detail`, `vigilo:evidence-sha256` (the file's digest),
//!   `vigilo:version-range`, `vigilo:mitigation`.
//! - `vulnerabilities`: one per advisory id, sorted, with `bom-ref` the id;
//!   its source (GitHub for `GHSA-`, NVD for `CVE-`, OSV otherwise), aliases
//!   as references, the severity as a rating (method `other`), the summary as
//!   description, `Upgrade to <fixed>` as recommendation, and `affects` naming
//!   every component matching it (version status `affected`, or `unknown`
//!   when the evidence only proves a range). A copy is mitigated for the
//!   vulnerability when its finding is, or when its mitigations neutralise
//!   the advisory's id or an alias. When every affected copy is mitigated, `analysis` is `not_affected` / `code_not_present` with the
//!   mitigations as detail; when only some are, each mitigated one is listed
//!   as a `vigilo:mitigated` property (an analysis speaks for the whole
//!   vulnerability, so none is given).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use vigilo_core::Ecosystem;
use vigilo_core::inventory::{Finding, FindingAdvisory, Found, Method, Status};

use super::Report;
use super::json::{advisory_status, purl, sha256, tool_version, utc, write_value};

/// The `$schema` written.
pub const SCHEMA_URI: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";

/// Writes `report` as a CycloneDX 1.6 JSON BOM (see the module docs).
pub fn write_cyclonedx(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    // Components, deduplicated; findings may name components the inventory
    // does not list.
    let mut refs: BTreeMap<(String, &str), String> = BTreeMap::new();
    let mut unique: Vec<&Found> = Vec::new();
    let found = report
        .components
        .iter()
        .chain(report.findings.iter().map(|f| &f.found));
    for f in found {
        let key = identity_key(f);
        if refs.contains_key(&key) {
            continue;
        }
        refs.insert(key, format!("c{}", unique.len() + 1));
        unique.push(f);
    }
    let mut per_file: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &unique {
        *per_file.entry(f.evidence.path.as_str()).or_default() += 1;
    }
    let components: Vec<Value> = unique
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let alone = per_file.get(f.evidence.path.as_str()) == Some(&1);
            component(f, &format!("c{}", i + 1), alone)
        })
        .collect();

    // Vulnerabilities, one per advisory id.
    let mut vulns: BTreeMap<&str, Vuln<'_>> = BTreeMap::new();
    for f in &report.findings {
        let Some(bom_ref) = refs.get(&identity_key(&f.found)) else {
            continue;
        };
        for a in &f.advisories {
            let v = vulns.entry(a.id.as_str()).or_insert_with(|| Vuln {
                advisory: a,
                fixed: Vec::new(),
                affects: Vec::new(),
            });
            for fixed in &a.fixed {
                if !v.fixed.contains(&fixed.as_str()) {
                    v.fixed.push(fixed);
                }
            }
            if !v.affects.iter().any(|(r, _, _)| *r == bom_ref) {
                v.affects.push((bom_ref, f, advisory_status(f, a)));
            }
        }
    }
    let vulnerabilities: Vec<Value> = vulns.values().map(vulnerability).collect();

    let mut metadata = Map::new();
    if let Some(t) = utc(&report.finished) {
        metadata.insert("timestamp".into(), t.into());
    }
    metadata.insert(
        "tools".into(),
        json!({ "components": [{
            "type": "application",
            "name": "vigilo",
            "version": tool_version(report),
        }] }),
    );
    if !report.roots.is_empty() {
        let roots: Vec<Value> = report
            .roots
            .iter()
            .map(|r| property("vigilo:root", r))
            .collect();
        metadata.insert("properties".into(), roots.into());
    }

    let mut doc = json!({
        "$schema": SCHEMA_URI,
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": metadata,
        "components": components,
        "vulnerabilities": vulnerabilities,
    });
    let serial = serial_number(&doc.to_string());
    if let Value::Object(m) = &mut doc {
        m.insert("serialNumber".into(), serial.into());
    }
    write_value(doc, out)
}

/// What makes two found components the same BOM component: the purl (or
/// ecosystem, name and version without one) and the evidence path.
fn identity_key(f: &Found) -> (String, &str) {
    let c = &f.component;
    let id = purl(f).unwrap_or_else(|| format!("{}/{}@{}", c.ecosystem, c.name, c.version));
    (id, f.evidence.path.as_str())
}

/// The BOM component of `f`. `alone`: no other component was found in the
/// file its evidence names.
fn component(f: &Found, bom_ref: &str, alone: bool) -> Value {
    let c = &f.component;
    let purl = purl(f);
    let mut m = Map::new();
    m.insert("type".into(), "library".into());
    m.insert("bom-ref".into(), bom_ref.into());
    let (group, name) = split_name(&c.ecosystem, &c.name);
    if let Some(g) = group {
        m.insert("group".into(), g.into());
    }
    m.insert("name".into(), name.into());
    m.insert("version".into(), c.version.clone().into());
    if let Some(p) = &purl {
        m.insert("purl".into(), p.clone().into());
    }
    // The evidence's digest is the file's; it is the component's own only
    // when that file is the component: an archive identified by its own
    // metadata or name, holding no other component (a fat jar's digest is
    // not that of the libraries inside it, nor a lockfile's of its entries).
    let sha256 = f.evidence.sha256.as_deref().filter(|h| is_sha256(h));
    let archive_itself = matches!(
        f.evidence.method,
        Method::PomProperties | Method::JarManifest | Method::FileName
    );
    if let Some(h) = sha256.filter(|_| alone && archive_itself) {
        m.insert(
            "hashes".into(),
            json!([{ "alg": "SHA-256", "content": h.to_ascii_lowercase() }]),
        );
    }
    if f.dev {
        m.insert("scope".into(), "excluded".into());
    }

    let method = f.evidence.method;
    let confidence = confidence(method);
    let mut technique = Map::new();
    technique.insert("technique".into(), technique_of(method).into());
    technique.insert("confidence".into(), confidence.into());
    if !f.evidence.detail.is_empty() {
        technique.insert("value".into(), f.evidence.detail.clone().into());
    }
    let identity = match &purl {
        Some(p) => json!({
            "field": "purl",
            "confidence": confidence,
            "concludedValue": p,
            "methods": [technique],
        }),
        None => json!({
            "field": "name",
            "confidence": confidence,
            "concludedValue": c.name,
            "methods": [technique],
        }),
    };
    m.insert(
        "evidence".into(),
        json!({
            "identity": [identity],
            "occurrences": [{ "location": f.evidence.path }],
        }),
    );

    let mut properties = vec![
        property("vigilo:ecosystem", &c.ecosystem.to_string()),
        property("vigilo:evidence-method", method.as_str()),
    ];
    if !f.evidence.detail.is_empty() {
        properties.push(property("vigilo:evidence-detail", &f.evidence.detail));
    }
    if let Some(h) = sha256 {
        properties.push(property("vigilo:evidence-sha256", &h.to_ascii_lowercase()));
    }
    if let Some(range) = &f.version_range {
        properties.push(property("vigilo:version-range", range));
    }
    for mitigation in &f.mitigations {
        properties.push(property("vigilo:mitigation", mitigation));
    }
    m.insert("properties".into(), properties.into());
    Value::Object(m)
}

/// One advisory with the components it affects.
struct Vuln<'a> {
    advisory: &'a FindingAdvisory,
    /// Fixed versions over every match, in first-seen order.
    fixed: Vec<&'a str>,
    /// (bom-ref, finding, verdict on this advisory), one per component.
    affects: Vec<(&'a String, &'a Finding, Status)>,
}

fn vulnerability(v: &Vuln<'_>) -> Value {
    let a = v.advisory;
    let mut m = Map::new();
    m.insert("bom-ref".into(), a.id.clone().into());
    m.insert("id".into(), a.id.clone().into());
    m.insert("source".into(), source(&a.id));
    if !a.aliases.is_empty() {
        let references: Vec<Value> = a
            .aliases
            .iter()
            .map(|alias| json!({ "id": alias, "source": source(alias) }))
            .collect();
        m.insert("references".into(), references.into());
    }
    if let Some(s) = a.severity {
        m.insert(
            "ratings".into(),
            json!([{ "source": source(&a.id), "severity": s.as_str(), "method": "other" }]),
        );
    }
    if let Some(summary) = &a.summary {
        m.insert("description".into(), summary.clone().into());
    }
    if !v.fixed.is_empty() {
        m.insert(
            "recommendation".into(),
            format!("Upgrade to {}", v.fixed.join(" or ")).into(),
        );
    }
    let affects: Vec<Value> = v
        .affects
        .iter()
        .map(|(bom_ref, f, status)| {
            let status = match status {
                Status::Unknown => "unknown",
                Status::Affected | Status::Mitigated => "affected",
            };
            json!({
                "ref": bom_ref,
                "versions": [{ "version": f.found.component.version, "status": status }],
            })
        })
        .collect();
    m.insert("affects".into(), affects.into());

    let mitigated: Vec<&(&String, &Finding, Status)> = v
        .affects
        .iter()
        .filter(|(_, _, status)| *status == Status::Mitigated)
        .collect();
    if !mitigated.is_empty() && mitigated.len() == v.affects.len() {
        let detail = mitigated
            .iter()
            .map(|(bom_ref, f, _)| {
                let why = if f.found.mitigations.is_empty() {
                    "mitigated".to_owned()
                } else {
                    f.found.mitigations.join("; ")
                };
                format!("{bom_ref} ({}): {why}", f.found.evidence.path)
            })
            .collect::<Vec<_>>()
            .join("\n");
        m.insert(
            "analysis".into(),
            json!({
                "state": "not_affected",
                "justification": "code_not_present",
                "detail": format!("Every affected copy is mitigated:\n{detail}"),
            }),
        );
    } else if !mitigated.is_empty() {
        let properties: Vec<Value> = mitigated
            .iter()
            .map(|(bom_ref, _, _)| property("vigilo:mitigated", bom_ref))
            .collect();
        m.insert("properties".into(), properties.into());
    }
    Value::Object(m)
}

/// Where an advisory id comes from, by its prefix.
fn source(id: &str) -> Value {
    let (name, url) = if id.starts_with("GHSA-") {
        ("GHSA", format!("https://github.com/advisories/{id}"))
    } else if id.starts_with("CVE-") {
        ("NVD", format!("https://nvd.nist.gov/vuln/detail/{id}"))
    } else {
        ("OSV", format!("https://osv.dev/vulnerability/{id}"))
    };
    json!({ "name": name, "url": url })
}

/// `group` and `name` of a package name, for the ecosystems whose names have
/// a namespace.
fn split_name<'a>(ecosystem: &Ecosystem, name: &'a str) -> (Option<&'a str>, &'a str) {
    let split = match ecosystem {
        Ecosystem::Maven => name.split_once(':'),
        Ecosystem::Npm if name.starts_with('@') => name.split_once('/'),
        Ecosystem::Packagist => name.split_once('/'),
        _ => None,
    };
    match split {
        Some((group, n)) if !group.is_empty() && !n.is_empty() => (Some(group), n),
        _ => (None, name),
    }
}

/// How much an identification method is worth, 0 to 1.
fn confidence(method: Method) -> f64 {
    match method {
        Method::Sbom | Method::Lockfile | Method::Installed | Method::PomProperties => 1.0,
        Method::ClassFingerprint => 0.8,
        Method::JarManifest => 0.6,
        Method::FileName => 0.4,
    }
}

/// The CycloneDX identity technique of an identification method.
fn technique_of(method: Method) -> &'static str {
    match method {
        Method::Sbom
        | Method::Lockfile
        | Method::Installed
        | Method::PomProperties
        | Method::JarManifest => "manifest-analysis",
        Method::FileName => "filename",
        Method::ClassFingerprint => "hash-comparison",
    }
}

fn property(name: &str, value: &str) -> Value {
    json!({ "name": name, "value": value })
}

fn is_sha256(h: &str) -> bool {
    h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `urn:uuid:` and a UUID shaped as version 4 (random), variant RFC 4122,
/// from the first 16 bytes of the SHA-256 of `content`.
fn serial_number(content: &str) -> String {
    let digest = sha256(content.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use vigilo_core::Severity;
    use vigilo_core::inventory::Evidence;
    use vigilo_core::package::Component;

    use super::*;

    fn found(ecosystem: Ecosystem, name: &str, version: &str, path: &str) -> Found {
        Found {
            component: Component {
                ecosystem,
                name: name.into(),
                version: version.into(),
                purl: None,
            },
            evidence: Evidence {
                path: path.into(),
                method: Method::Lockfile,
                detail: String::new(),
                sha256: None,
            },
            version_range: None,
            mitigations: Vec::new(),
            mitigated: Vec::new(),
            dev: false,
        }
    }

    fn log4j(path: &str, status: Status) -> Finding {
        let mut f = found(
            Ecosystem::Maven,
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            path,
        );
        f.evidence.method = Method::ClassFingerprint;
        if status == Status::Mitigated {
            f.mitigations.push("JndiLookup.class removed".into());
            f.mitigated = vec!["CVE-2021-44228".into(), "CVE-2021-45046".into()];
        }
        Finding {
            found: f,
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
        write_cyclonedx(report, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn names_split_into_group_and_name() {
        assert_eq!(
            split_name(&Ecosystem::Maven, "org.apache.logging.log4j:log4j-core"),
            (Some("org.apache.logging.log4j"), "log4j-core")
        );
        assert_eq!(
            split_name(&Ecosystem::Npm, "@babel/core"),
            (Some("@babel"), "core")
        );
        assert_eq!(split_name(&Ecosystem::Npm, "lodash"), (None, "lodash"));
        assert_eq!(
            split_name(&Ecosystem::Packagist, "symfony/http-kernel"),
            (Some("symfony"), "http-kernel")
        );
        // Go module paths are names, not groups.
        assert_eq!(
            split_name(&Ecosystem::Go, "golang.org/x/net"),
            (None, "golang.org/x/net")
        );
        assert_eq!(
            split_name(&Ecosystem::Maven, "no-colon"),
            (None, "no-colon")
        );
    }

    #[test]
    fn serial_number_is_a_v4_shaped_uuid_and_stable() {
        let s = serial_number("x");
        let uuid = s.strip_prefix("urn:uuid:").unwrap();
        let parts: Vec<&str> = uuid.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        assert_eq!(s, serial_number("x"));
        assert_ne!(s, serial_number("y"));
    }

    #[test]
    fn same_report_same_bom() {
        let report = Report {
            findings: vec![log4j("a.ear!/lib/log4j-core-2.14.1.jar", Status::Affected)],
            finished: "2024-05-02T09:14:07Z".into(),
            ..Report::default()
        };
        let a = render(&report);
        assert_eq!(a, render(&report));
        let other = Report {
            finished: "2024-05-03T09:14:07Z".into(),
            ..report
        };
        assert_ne!(a["serialNumber"], render(&other)["serialNumber"]);
    }

    #[test]
    fn components_deduplicate_by_purl_and_path() {
        let a = found(Ecosystem::Npm, "@babel/core", "7.24.0", "package-lock.json");
        let mut dev = found(
            Ecosystem::Npm,
            "@babel/core",
            "7.24.0",
            "web/package-lock.json",
        );
        dev.dev = true;
        let v = render(&Report {
            components: vec![a.clone(), a, dev],
            ..Report::default()
        });
        let comps = v["components"].as_array().unwrap();
        assert_eq!(comps.len(), 2);
        assert_eq!(comps[0]["bom-ref"], "c1");
        assert_eq!(comps[0]["group"], "@babel");
        assert_eq!(comps[0]["name"], "core");
        assert_eq!(comps[0]["purl"], "pkg:npm/%40babel/core@7.24.0");
        assert!(comps[0].get("scope").is_none());
        assert!(comps[0].get("hashes").is_none());
        assert_eq!(comps[1]["scope"], "excluded");
        assert_eq!(
            comps[1]["evidence"]["occurrences"][0]["location"],
            "web/package-lock.json"
        );
        assert_eq!(
            comps[1]["evidence"]["identity"][0]["methods"][0]["technique"],
            "manifest-analysis"
        );
        assert_eq!(v["vulnerabilities"], json!([]));
    }

    #[test]
    fn hashes_only_for_the_archive_that_is_the_component() {
        let jar = |name: &str, path: &str, method| {
            let mut f = found(Ecosystem::Maven, name, "1.0", path);
            f.evidence.method = method;
            f.evidence.sha256 = Some(format!("{:0>64}", path.len()));
            f
        };
        let lock = {
            let mut f = found(Ecosystem::Npm, "qs", "6.5.2", "package-lock.json");
            f.evidence.sha256 = Some("B".repeat(64));
            f
        };
        let v = render(&Report {
            components: vec![
                jar("g:lib", "lib.jar", Method::PomProperties),
                jar("g:fat", "fat.jar", Method::PomProperties),
                jar("g:inner", "fat.jar", Method::PomProperties),
                jar("g:named", "named-1.0.jar", Method::FileName),
                jar("g:shaded", "shaded.jar", Method::ClassFingerprint),
                lock,
            ],
            ..Report::default()
        });
        let has_hash: Vec<bool> = v["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.get("hashes").is_some())
            .collect();
        assert_eq!(has_hash, [true, false, false, true, false, false]);
        // The file's digest is kept as a property either way.
        let props = v["components"][5]["properties"].as_array().unwrap();
        assert!(props.contains(&json!({
            "name": "vigilo:evidence-sha256",
            "value": "b".repeat(64),
        })));
    }

    #[test]
    fn all_mitigated_is_not_affected() {
        let v = render(&Report {
            findings: vec![log4j("shaded.jar", Status::Mitigated)],
            ..Report::default()
        });
        let vuln = &v["vulnerabilities"][0];
        assert_eq!(vuln["analysis"]["state"], "not_affected");
        assert_eq!(vuln["analysis"]["justification"], "code_not_present");
        let detail = vuln["analysis"]["detail"].as_str().unwrap();
        assert!(
            detail.contains("c1 (shaded.jar): JndiLookup.class removed"),
            "{detail}"
        );
        assert!(vuln.get("properties").is_none());
        // The finding's component is in the BOM though the inventory was empty.
        assert_eq!(v["components"][0]["group"], "org.apache.logging.log4j");
        assert_eq!(
            v["components"][0]["evidence"]["identity"][0]["confidence"],
            0.8
        );
    }

    #[test]
    fn partly_mitigated_lists_the_mitigated_copies() {
        let v = render(&Report {
            findings: vec![
                log4j("app.ear!/lib/log4j-core-2.14.1.jar", Status::Affected),
                log4j("shaded.jar", Status::Mitigated),
            ],
            ..Report::default()
        });
        let vuln = &v["vulnerabilities"][0];
        assert!(vuln.get("analysis").is_none());
        assert_eq!(
            vuln["properties"],
            json!([{ "name": "vigilo:mitigated", "value": "c2" }])
        );
        assert_eq!(vuln["affects"].as_array().unwrap().len(), 2);
        assert_eq!(vuln["recommendation"], "Upgrade to 2.15.0");
        assert_eq!(vuln["source"]["name"], "GHSA");
        assert_eq!(vuln["references"][0]["source"]["name"], "NVD");
    }

    #[test]
    fn unknown_status_marks_the_version_unknown() {
        let mut f = log4j("x.jar", Status::Unknown);
        f.found.version_range = Some(">=2.0-beta9, <2.15.0".into());
        let v = render(&Report {
            findings: vec![f],
            ..Report::default()
        });
        assert_eq!(
            v["vulnerabilities"][0]["affects"][0]["versions"][0]["status"],
            "unknown"
        );
        let props = v["components"][0]["properties"].as_array().unwrap();
        assert!(props.contains(&json!({
            "name": "vigilo:version-range",
            "value": ">=2.0-beta9, <2.15.0",
        })));
    }
}
