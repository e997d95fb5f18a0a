//! The report writers on a realistic scan: snapshots of each format, and
//! each output checked by its format's own validator (`tests/validate_report.py`:
//! cyclonedx-python-lib for CycloneDX 1.6, the OASIS SARIF 2.1.0 schema with
//! jsonschema, vigilo's `vigilo-scan/1` schema).
//!
//! The validators need Python packages (scripts/install-test-deps installs
//! them into `.cache/test-venv`). Without them the validation tests print a
//! note and pass, unless `VIGILO_REQUIRE_REFERENCES=1`, where they fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use vigilo_core::inventory::{Evidence, Finding, FindingAdvisory, Found, Method, Status};
use vigilo_core::package::Component;
use vigilo_core::{Ecosystem, Severity};
use vigilo_formats::diag::{self, Diagnostic, DiagnosticCode};
use vigilo_formats::report::{Report, Stats, write_cyclonedx, write_json, write_sarif};

const EAR_LOG4J: &str = "deploy/shop.ear!/lib/shop-web.war!/WEB-INF/lib/log4j-core-2.14.1.jar";
const EAR_SLF4J: &str = "deploy/shop.ear!/lib/shop-web.war!/WEB-INF/lib/slf4j-api-1.7.36.jar";
const SHADED: &str = "services/billing service-3.2.jar";
const REQUIREMENTS: &str = "web/requirements.txt";

fn found(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    path: &str,
    method: Method,
    detail: &str,
    sha256: Option<&str>,
) -> Found {
    Found {
        component: Component {
            ecosystem,
            name: name.into(),
            version: version.into(),
            purl: None,
        },
        evidence: Evidence {
            path: path.into(),
            method,
            detail: detail.into(),
            sha256: sha256.map(str::to_owned),
        },
        version_range: None,
        mitigations: Vec::new(),
        mitigated: Vec::new(),
        dev: false,
    }
}

fn log4shell() -> FindingAdvisory {
    FindingAdvisory {
        id: "GHSA-jfh8-c2jp-5v3q".into(),
        aliases: vec!["CVE-2021-44228".into()],
        summary: Some("Remote code injection in Log4j".into()),
        severity: Some(Severity::Critical),
        fixed: vec!["2.15.0".into()],
        matched_by: "introduced 2.13.0, fixed 2.15.0".into(),
    }
}

/// A scan of a deployment folder: log4j-core 2.14.1 three archives deep in
/// an EAR, a shaded copy whose `JndiLookup.class` was removed, jinja2 from a
/// requirements file, a clean slf4j-api, a corrupt WAR and a skipped entry.
fn scan() -> Report {
    let mut ear_log4j = found(
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.14.1",
        EAR_LOG4J,
        Method::PomProperties,
        "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
        Some("ade7402a70667a727635d5c4c29495f4ff96f061f12539763f6f123973b465b0"),
    );
    ear_log4j.component.purl = Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1".into());
    let slf4j = found(
        Ecosystem::Maven,
        "org.slf4j:slf4j-api",
        "1.7.36",
        EAR_SLF4J,
        Method::PomProperties,
        "META-INF/maven/org.slf4j/slf4j-api/pom.properties",
        Some("d3ef575e3e4979678dc01bf1dcce51021493b4d11fb7f1be8ad982877c16a1c0"),
    );
    let mut shaded = found(
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.0-beta9",
        SHADED,
        Method::ClassFingerprint,
        "com/acme/billing/shaded/org/apache/logging/log4j/core: 1022 classes of log4j-core",
        Some("5b2a4c6f0e5d1b3c7a9e8f6d4c2b0a1e3f5d7c9b1a3e5f7d9c1b3a5e7f9d1c3b"),
    );
    shaded.version_range = Some(">=2.0-beta9, <2.15.0".into());
    shaded.mitigations = vec!["JndiLookup.class removed".into()];
    shaded.mitigated = vec!["CVE-2021-44228".into(), "CVE-2021-45046".into()];
    let jinja2 = found(
        Ecosystem::PyPI,
        "Jinja2",
        "2.11.2",
        REQUIREMENTS,
        Method::Lockfile,
        "line 7",
        Some("0b6e0c4b5a9b2c1f8e3d7a6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928"),
    );

    Report {
        roots: vec![".".into()],
        started: "2024-05-02T09:14:00Z".into(),
        finished: "2024-05-02T09:14:07Z".into(),
        tool_version: "vigilo 0.1.0".into(),
        host: "build-07".into(),
        components: vec![ear_log4j.clone(), slf4j, shaded.clone(), jinja2.clone()],
        findings: vec![
            Finding {
                found: ear_log4j,
                advisories: vec![log4shell()],
                status: Status::Affected,
            },
            Finding {
                found: shaded,
                // The lowest version of the proven range matches the
                // advisory's oldest branch.
                advisories: vec![FindingAdvisory {
                    fixed: vec!["2.3.1".into()],
                    matched_by: "introduced 2.0-beta9, fixed 2.3.1".into(),
                    ..log4shell()
                }],
                status: Status::Mitigated,
            },
            Finding {
                found: jinja2,
                advisories: vec![FindingAdvisory {
                    id: "PYSEC-2021-66".into(),
                    aliases: vec!["CVE-2020-28493".into(), "GHSA-g3rq-g295-4j3m".into()],
                    summary: None,
                    severity: Some(Severity::Medium),
                    fixed: vec!["2.11.3".into()],
                    matched_by: "introduced 0, fixed 2.11.3".into(),
                }],
                status: Status::Affected,
            },
        ],
        diagnostics: vec![
            Diagnostic {
                code: DiagnosticCode::BadArchive,
                severity: diag::Severity::Error,
                path: "deploy/legacy.war".into(),
                record: None,
                pointer: String::new(),
                message: "truncated ZIP archive: end of central directory not found".into(),
            },
            Diagnostic {
                code: DiagnosticCode::ManifestEntry,
                severity: diag::Severity::Warning,
                path: REQUIREMENTS.into(),
                record: None,
                pointer: "line 12".into(),
                message: "`-e git+https://github.com/acme/tools.git#egg=tools` has no version; \
                          skipped"
                    .into(),
            },
        ],
        stats: Stats {
            files: 1873,
            bytes: 48_213_077,
            archives: 14,
        },
    }
}

type Writer = fn(&Report, &mut dyn std::io::Write) -> std::io::Result<()>;

fn render(write: Writer) -> String {
    let mut out = Vec::new();
    write(&scan(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// Snapshots live in `tests/snapshots/`, named by format.
fn snapshot(name: &str, write: Writer) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(format!("{name} of the scan built by report::scan()"));
    settings.bind(|| insta::assert_snapshot!(name, render(write)));
}

#[test]
fn json_snapshot() {
    snapshot("report_json", write_json);
}

#[test]
fn sarif_snapshot() {
    snapshot("report_sarif", write_sarif);
}

#[test]
fn cyclonedx_snapshot() {
    snapshot("report_cyclonedx", write_cyclonedx);
}

#[test]
fn writers_are_deterministic() {
    for write in [write_json as Writer, write_sarif, write_cyclonedx] {
        assert_eq!(render(write), render(write));
    }
}

#[test]
fn json_report_content() {
    let v = parse(&render(write_json));
    assert_eq!(v["schema"], "vigilo-scan/1");
    assert_eq!(v["tool"]["version"], "0.1.0");
    assert_eq!(v["stats"]["components"], 4);
    assert_eq!(v["stats"]["findings"], 3);
    assert_eq!(v["stats"]["archives"], 14);
    let findings = v["findings"].as_array().unwrap();
    let summary: Vec<(&str, &str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap(),
                f["status"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (EAR_LOG4J, "affected", "critical"),
            (SHADED, "mitigated", "critical"),
            (REQUIREMENTS, "affected", "medium"),
        ]
    );
    assert_eq!(findings[1]["version_range"], ">=2.0-beta9, <2.15.0");
    assert_eq!(findings[1]["advisories"][0]["status"], "mitigated");
    assert_eq!(findings[2]["purl"], "pkg:pypi/jinja2@2.11.2");
    assert_eq!(findings[2]["evidence"]["detail"], "line 7");
    assert_eq!(v["components"][1]["name"], "org.slf4j:slf4j-api");
    assert!(v["components"][1].get("advisories").is_none());
    assert_eq!(v["diagnostics"][1]["pointer"], "line 12");
}

#[test]
fn sarif_report_content() {
    let v = parse(&render(write_sarif));
    let run = &v["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["GHSA-jfh8-c2jp-5v3q", "PYSEC-2021-66"]);
    let results = run["results"].as_array().unwrap();
    let levels: Vec<(&str, &str)> = results
        .iter()
        .map(|r| (r["ruleId"].as_str().unwrap(), r["level"].as_str().unwrap()))
        .collect();
    assert_eq!(
        levels,
        [
            ("GHSA-jfh8-c2jp-5v3q", "error"),
            ("GHSA-jfh8-c2jp-5v3q", "note"),
            ("PYSEC-2021-66", "warning"),
        ]
    );
    let uri = |r: &Value| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(uri(&results[0]), "deploy/shop.ear");
    assert_eq!(
        results[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        EAR_LOG4J
    );
    assert_eq!(uri(&results[1]), "services/billing%20service-3.2.jar");
    assert_eq!(
        results[2]["message"]["text"],
        "Jinja2 2.11.2 at web/requirements.txt is affected by PYSEC-2021-66 \
         (CVE-2020-28493, GHSA-g3rq-g295-4j3m); fixed in 2.11.3"
    );
    // Same advisory, different copies: different fingerprints.
    assert_ne!(
        results[0]["partialFingerprints"]["vigilo/v1"],
        results[1]["partialFingerprints"]["vigilo/v1"]
    );
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0]["level"], "error");
    assert_eq!(notes[1]["descriptor"]["id"], "manifest-entry-skipped");
}

#[test]
fn cyclonedx_report_content() {
    let text = render(write_cyclonedx);
    let v = parse(&text);
    let components = v["components"].as_array().unwrap();
    assert_eq!(components.len(), 4);
    let refs: Vec<(&str, &str)> = components
        .iter()
        .map(|c| (c["bom-ref"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        refs,
        [
            ("c1", "log4j-core"),
            ("c2", "slf4j-api"),
            ("c3", "log4j-core"),
            ("c4", "Jinja2"),
        ]
    );
    assert_eq!(components[0]["group"], "org.apache.logging.log4j");
    assert_eq!(
        components[0]["evidence"]["occurrences"][0]["location"],
        EAR_LOG4J
    );
    assert_eq!(
        components[2]["evidence"]["identity"][0]["methods"][0]["technique"],
        "hash-comparison"
    );
    let vulns = v["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 2);
    assert_eq!(vulns[0]["id"], "GHSA-jfh8-c2jp-5v3q");
    let affects: Vec<&str> = vulns[0]["affects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["ref"].as_str().unwrap())
        .collect();
    assert_eq!(affects, ["c1", "c3"]);
    // One copy is exploitable, so no analysis; the mitigated one is named.
    assert!(vulns[0].get("analysis").is_none());
    assert_eq!(vulns[0]["properties"][0]["value"], "c3");
    assert_eq!(vulns[1]["ratings"][0]["severity"], "medium");
    assert_eq!(vulns[1]["source"]["name"], "OSV");

    // vigilo reads its own BOM back as an inventory, purls intact.
    let (read, diags) =
        vigilo_formats::inventory::parse_inventory(text.as_bytes(), "bom.json").unwrap();
    assert!(diags.is_empty(), "{diags:?}");
    let purls: Vec<Option<&str>> = read.iter().map(|c| c.purl.as_deref()).collect();
    assert_eq!(
        purls,
        [
            Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
            Some("pkg:maven/org.slf4j/slf4j-api@1.7.36"),
            Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.0-beta9"),
            Some("pkg:pypi/jinja2@2.11.2"),
        ]
    );
}

// Validation by the formats' reference implementations.

/// The Python to run the validators with: `VIGILO_PYTHON`, else the test
/// venv at the workspace root when there is one, else `python3`.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("VIGILO_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/test-venv/bin/python");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}

/// Exit status of `validate_report.py` when a validator package is missing.
const MISSING: i32 = 3;

#[allow(clippy::print_stderr)]
fn validate(format: &str, write: Writer) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("report.{format}.json"));
    std::fs::write(&file, render(write)).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate_report.py");
    let python = python();
    let require = std::env::var("VIGILO_REQUIRE_REFERENCES").is_ok_and(|v| v == "1");
    let output = match Command::new(&python)
        .arg(&script)
        .arg(format)
        .arg(&file)
        .output()
    {
        Ok(o) => o,
        Err(e) if !require => {
            eprintln!(
                "note: {format} report not validated: cannot run {}: {e}",
                python.display()
            );
            return;
        }
        Err(e) => panic!("cannot run {}: {e}", python.display()),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(MISSING) {
        assert!(
            !require,
            "VIGILO_REQUIRE_REFERENCES=1 but the {format} validator is missing \
             (run scripts/install-test-deps): {stderr}"
        );
        eprintln!("note: {format} report not validated: {stderr}");
        return;
    }
    assert!(
        output.status.success(),
        "{format} report rejected by its validator ({}):\n{stderr}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn cyclonedx_passes_cyclonedx_python_lib() {
    validate("cyclonedx", write_cyclonedx);
}

#[test]
fn sarif_passes_the_oasis_schema() {
    validate("sarif", write_sarif);
}

#[test]
fn json_passes_the_scan_schema() {
    validate("json", write_json);
}

#[test]
fn validators_reject_broken_reports() {
    // The checks are only worth something if they can fail.
    fn rejected(format: &str, text: &str) -> Option<bool> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("broken.json");
        std::fs::write(&file, text).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate_report.py");
        let out = Command::new(python())
            .arg(script)
            .arg(format)
            .arg(&file)
            .output()
            .ok()?;
        match out.status.code() {
            Some(MISSING) => None,
            Some(1) => Some(true),
            _ => Some(false),
        }
    }
    let require = std::env::var("VIGILO_REQUIRE_REFERENCES").is_ok_and(|v| v == "1");
    let mut cdx = parse(&render(write_cyclonedx));
    cdx["vulnerabilities"][0]["affects"][0]["ref"] = "c99".into();
    let mut sarif = parse(&render(write_sarif));
    sarif["runs"][0]["results"][0]["level"] = "critical".into();
    let mut json = parse(&render(write_json));
    json["findings"][0]["status"] = "vulnerable".into();
    for (format, doc) in [("cyclonedx", cdx), ("sarif", sarif), ("json", json)] {
        match rejected(format, &doc.to_string()) {
            Some(r) => assert!(r, "{format}: a broken report passed"),
            None => assert!(!require, "{format}: validator missing"),
        }
    }
}
