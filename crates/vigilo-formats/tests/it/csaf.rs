//! OSV records out as CSAF 2.0 documents: snapshots of three real records
//! (Log4Shell's GitHub advisory, a PyPA advisory, an npm advisory), and real
//! records of every ecosystem in the shared data converted and checked by
//! the Secvisogram project's (BSI) CSAF validator
//! (@secvisogram/csaf-validator-lib: the strict schema and every mandatory
//! test), run by `scripts/csaf-validate.mjs`.
//!
//! The validator needs node and the library (scripts/install-test-deps runs
//! `npm ci` in `tests/reference/node`). Without them the validation tests
//! print a note and pass, unless `VIGILO_REQUIRE_REFERENCES=1`, where they
//! fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use vigilo_core::marking::{Marking, Tlp};
use vigilo_formats::csaf::{self, Options, Publisher, PublisherCategory};
use vigilo_formats::osv::{self, Syntax};

use crate::support::shared_data;

fn options(tlp: Option<Tlp>) -> Options {
    Options {
        publisher: Publisher {
            name: "Example National CERT".into(),
            namespace: "https://cert.example".into(),
            category: PublisherCategory::Coordinator,
        },
        marking: tlp.map(Marking::tlp),
    }
}

fn read(path: &Path) -> osv::ParsedRecord {
    let bytes = std::fs::read(path).unwrap();
    let syntax = Syntax::from_path(&path.to_string_lossy()).unwrap();
    osv::parse_record(&bytes, syntax, &path.to_string_lossy()).unwrap_or_else(|d| panic!("{d}"))
}

fn render(rel: &str, tlp: Option<Tlp>) -> String {
    let record = read(&shared_data().join(rel));
    let doc = csaf::from_record(&record, &options(tlp)).unwrap();
    let mut out = Vec::new();
    csaf::write_document(&doc, &mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        // The generator's version changes with every release, not the document.
        .replace(
            &format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")),
            "\"version\": \"[vigilo version]\"",
        )
}

const LOG4SHELL: &str = "osv/ghsa/Maven/GHSA-jfh8-c2jp-5v3q.json";
const JINJA2: &str = "osv/pypi/jinja2/PYSEC-2021-66.yaml";
const LODASH: &str = "osv/ghsa/npm/GHSA-35jh-r3h4-6jhm.json";

fn snapshot(name: &str, text: String) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

#[test]
fn csaf_snapshot_log4shell() {
    snapshot("csaf_log4shell", render(LOG4SHELL, Some(Tlp::Clear)));
}

#[test]
fn csaf_snapshot_pypi() {
    snapshot("csaf_pypi_jinja2", render(JINJA2, None));
}

#[test]
fn csaf_snapshot_npm() {
    snapshot("csaf_npm", render(LODASH, Some(Tlp::AmberStrict)));
}

#[test]
fn output_is_reproducible() {
    assert_eq!(render(LOG4SHELL, None), render(LOG4SHELL, None));
}

#[test]
fn log4shell_structure() {
    let doc: Value = serde_json::from_str(&render(LOG4SHELL, Some(Tlp::Amber))).unwrap();
    assert_eq!(doc["document"]["category"], "csaf_security_advisory");
    assert_eq!(doc["document"]["distribution"]["tlp"]["label"], "AMBER");
    assert_eq!(doc["document"]["tracking"]["id"], "GHSA-jfh8-c2jp-5v3q");
    let v = &doc["vulnerabilities"][0];
    assert_eq!(v["cve"], "CVE-2021-44228");
    assert_eq!(v["scores"][0]["cvss_v3"]["baseScore"], 10.0);
    assert_eq!(v["scores"][0]["cvss_v3"]["baseSeverity"], "CRITICAL");
    // Three ranges, three fixed versions.
    assert_eq!(
        v["product_status"]["known_affected"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(v["product_status"]["fixed"].as_array().unwrap().len(), 3);
    let tree = doc["product_tree"].to_string();
    assert!(tree.contains("vers:maven/>=2.13.0|<2.15.0"), "{tree}");
    assert!(
        tree.contains("pkg:maven/org.apache.logging.log4j/log4j-core@2.15.0"),
        "{tree}"
    );
}

/// Real records of every ecosystem in the shared data: every GitHub
/// advisory (Maven, npm, RubyGems, NuGet and the mislabelled one), and
/// records spread over the PyPA (YAML), RustSec and Go databases.
fn sample() -> Vec<PathBuf> {
    let root = shared_data().join("osv");
    let mut out = Vec::new();
    let mut ghsa: Vec<PathBuf> = std::fs::read_dir(root.join("ghsa"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .flat_map(|d| {
            std::fs::read_dir(d)
                .unwrap()
                .filter_map(|e| e.ok().map(|e| e.path()))
        })
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    ghsa.sort();
    out.extend(ghsa);
    for (db, n) in [("pypi", 8), ("crates.io", 6), ("go", 6)] {
        let files = all_files(&root.join(db));
        let step = (files.len() / n).max(1);
        out.extend(files.into_iter().step_by(step).take(n));
    }
    out
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if Syntax::from_path(&p.to_string_lossy()).is_some() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Converts `files` into `dir`, one document each, with the TLP levels in
/// turn; the paths written.
fn convert_all(files: &[PathBuf], dir: &Path) -> Vec<PathBuf> {
    let mut written = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let record = read(f);
        let tlp = [
            None,
            Some(Tlp::Clear),
            Some(Tlp::Green),
            Some(Tlp::AmberStrict),
            Some(Tlp::Red),
        ][i % 5];
        let doc = csaf::from_record(&record, &options(tlp))
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let out = dir.join(csaf::file_name(&record.advisory.id));
        let mut bytes = Vec::new();
        csaf::write_document(&doc, &mut bytes).unwrap();
        std::fs::write(&out, bytes).unwrap();
        written.push(out);
    }
    written
}

fn require() -> bool {
    std::env::var("VIGILO_REQUIRE_REFERENCES").is_ok_and(|v| v == "1")
}

/// Exit status of `csaf-validate.mjs` when the library is missing.
const MISSING: i32 = 3;

/// Runs `scripts/csaf-validate.mjs` on `files`: `None` when the validator
/// cannot run (and that is allowed), else its exit code and stderr.
#[allow(clippy::print_stderr)]
fn run_validator(files: &[PathBuf]) -> Option<(Option<i32>, String)> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/csaf-validate.mjs");
    let node = std::env::var_os("VIGILO_NODE").unwrap_or_else(|| "node".into());
    let output = match Command::new(&node).arg(&script).args(files).output() {
        Ok(o) => o,
        Err(e) if !require() => {
            eprintln!("note: CSAF documents not validated: cannot run {node:?}: {e}");
            return None;
        }
        Err(e) => panic!("cannot run {node:?}: {e}"),
    };
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if output.status.code() == Some(MISSING) {
        assert!(
            !require(),
            "VIGILO_REQUIRE_REFERENCES=1 but @secvisogram/csaf-validator-lib is missing \
             (run scripts/install-test-deps): {stderr}"
        );
        eprintln!("note: CSAF documents not validated: {stderr}");
        return None;
    }
    Some((output.status.code(), stderr))
}

#[test]
#[allow(clippy::print_stderr)]
fn real_records_pass_the_csaf_validator() {
    let files = sample();
    assert!(files.len() >= 50, "only {} records", files.len());
    let dir = tempfile::tempdir().unwrap();
    let docs = convert_all(&files, dir.path());
    if let Some((code, stderr)) = run_validator(&docs) {
        assert_eq!(
            code,
            Some(0),
            "CSAF documents rejected by csaf-validator-lib:\n{stderr}"
        );
        eprintln!("csaf: {} documents valid", docs.len());
    }
}

#[test]
fn validator_rejects_broken_documents() {
    // The check is only worth something if it can fail.
    let dir = tempfile::tempdir().unwrap();
    let record = read(&shared_data().join(LOG4SHELL));
    let good = csaf::from_record(&record, &options(None)).unwrap();
    let mut broken = Vec::new();
    // Schema: an unknown property.
    let mut extra = good.clone();
    extra["document"]["x_vigilo"] = true.into();
    broken.push(extra);
    // Mandatory 6.1.1: a product id that is not defined.
    let mut undefined = good.clone();
    undefined["vulnerabilities"][0]["product_status"]["fixed"][0] = "CSAFPID-9999".into();
    broken.push(undefined);
    // Mandatory 6.1.9: a wrong CVSS base score.
    let mut score = good.clone();
    score["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"] = 5.0.into();
    broken.push(score);
    // Mandatory 6.1.16: version not the latest revision.
    let mut version = good;
    version["document"]["tracking"]["version"] = "7".into();
    broken.push(version);
    for (i, doc) in broken.iter().enumerate() {
        let path = dir.path().join(format!("broken-{i}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
        if let Some((code, stderr)) = run_validator(&[path]) {
            assert_eq!(code, Some(1), "broken document {i} accepted:\n{stderr}");
        }
    }
}

/// Every record of the shared data (about 8,200): slow, run by hand with
/// `cargo test -p vigilo-formats --test it csaf::every -- --ignored`.
#[test]
#[ignore = "converts and validates every shared record (minutes)"]
#[allow(clippy::print_stderr)]
fn every_shared_record() {
    let files = all_files(&shared_data().join("osv"));
    let dir = tempfile::tempdir().unwrap();
    let mut docs = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let syntax = Syntax::from_path(&f.to_string_lossy()).unwrap();
        let Ok(record) = osv::parse_record(&bytes, syntax, &f.to_string_lossy()) else {
            continue;
        };
        let doc = csaf::from_record(&record, &options(Some(Tlp::Green))).unwrap();
        let out = dir.path().join(format!(
            "{}-{}",
            docs.len(),
            csaf::file_name(&record.advisory.id)
        ));
        let mut bytes = Vec::new();
        csaf::write_document(&doc, &mut bytes).unwrap();
        std::fs::write(&out, bytes).unwrap();
        docs.push(out);
    }
    let mut failures = String::new();
    for chunk in docs.chunks(500) {
        if let Some((code, stderr)) = run_validator(chunk) {
            if code != Some(0) {
                failures.push_str(&stderr);
            }
        }
    }
    eprintln!("csaf: {} records converted", docs.len());
    assert!(failures.is_empty(), "{failures}");
}
