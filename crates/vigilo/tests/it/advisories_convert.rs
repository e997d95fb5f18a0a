//! `vigilo advisories convert`, run as the real binary (offline, no
//! database): OSV records of the shared data to CSAF 2.0 documents (checked
//! by the CSAF validator when node and @secvisogram/csaf-validator-lib are
//! there, required with `VIGILO_REQUIRE_REFERENCES=1`), a STIX 2.1 bundle and
//! OSV JSON; bad input reported by file.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::advisories::shared_data;
use crate::support::{BIN, Output};

/// Runs `vigilo ARGS…` with a fresh data folder and none of the caller's
/// `VIGILO_*` settings.
fn vigilo(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("VIGILO_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .env("VIGILO_DATA_DIR", home.path().join("data"))
        .current_dir(home.path())
        .args(args)
        .output()
        .unwrap();
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// Runs `scripts/csaf-validate.mjs` on `files` when node and the library are
/// there (always with `VIGILO_REQUIRE_REFERENCES=1`).
#[allow(clippy::print_stderr)]
fn csaf_validate(files: &[PathBuf]) {
    let require = std::env::var("VIGILO_REQUIRE_REFERENCES").is_ok_and(|v| v == "1");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/csaf-validate.mjs");
    let out = match Command::new("node").arg(&script).args(files).output() {
        Ok(o) => o,
        Err(e) if !require => {
            eprintln!("note: CSAF output not validated: cannot run node: {e}");
            return;
        }
        Err(e) => panic!("cannot run node: {e}"),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        assert!(
            !require,
            "VIGILO_REQUIRE_REFERENCES=1 but the CSAF validator is missing: {stderr}"
        );
        eprintln!("note: CSAF output not validated: {stderr}");
        return;
    }
    assert_eq!(
        out.status.code(),
        Some(0),
        "CSAF validator rejected the output:\n{stderr}"
    );
}

#[test]
fn converts_to_csaf_one_document_per_advisory() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("csaf");
    let maven = data.join("osv/ghsa/Maven");
    let out = vigilo(&[
        "advisories",
        "convert",
        "--to",
        "csaf",
        s(&maven),
        "--tlp",
        "TLP:AMBER+STRICT",
        "--publisher-name",
        "ACME PSIRT",
        "--publisher-namespace",
        "https://psirt.acme.example",
        "--publisher-category",
        "vendor",
        "--out",
        s(&out_dir),
    ])
    .ok();
    let inputs = json_files(&maven).len();
    assert!(
        out.stdout
            .contains(&format!("{inputs} CSAF documents written")),
        "{out}"
    );
    let files = json_files(&out_dir);
    assert_eq!(files.len(), inputs);
    let log4shell: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("ghsa-jfh8-c2jp-5v3q.json")).unwrap())
            .unwrap();
    let doc = &log4shell["document"];
    assert_eq!(doc["category"], "csaf_security_advisory");
    assert_eq!(doc["publisher"]["name"], "ACME PSIRT");
    assert_eq!(doc["publisher"]["category"], "vendor");
    assert_eq!(doc["distribution"]["tlp"]["label"], "AMBER");
    assert_eq!(log4shell["vulnerabilities"][0]["cve"], "CVE-2021-44228");
    csaf_validate(&files);

    // A second run writes the same bytes.
    let again = dir.path().join("again");
    vigilo(&[
        "advisories",
        "convert",
        "--to",
        "csaf",
        s(&maven),
        "--tlp",
        "TLP:AMBER+STRICT",
        "--publisher-name",
        "ACME PSIRT",
        "--publisher-namespace",
        "https://psirt.acme.example",
        "--publisher-category",
        "vendor",
        "--out",
        s(&again),
    ])
    .ok();
    for f in &files {
        let name = f.file_name().unwrap();
        assert_eq!(
            std::fs::read(f).unwrap(),
            std::fs::read(again.join(name)).unwrap()
        );
    }
}

#[test]
fn converts_to_one_stix_bundle_and_to_osv_json() {
    let Some(data) = shared_data() else { return };
    let npm = data.join("osv/ghsa/npm");
    let jinja = data.join("osv/pypi/jinja2/PYSEC-2021-66.yaml");
    let run = || {
        vigilo(&[
            "advisories",
            "convert",
            "--to",
            "stix",
            "--tlp",
            "green",
            s(&npm),
            s(&jinja),
        ])
        .ok()
    };
    let out = run();
    assert_eq!(
        out.stdout,
        run().stdout,
        "the same records give the same bundle"
    );
    let bundle = out.json();
    let objects = bundle["objects"].as_array().unwrap();
    let count = |t: &str| objects.iter().filter(|o| o["type"] == t).count();
    assert_eq!(count("vulnerability"), json_files(&npm).len() + 1);
    assert_eq!(count("identity"), 1);
    assert_eq!(count("marking-definition"), 1);
    assert!(objects.iter().any(|o| o["name"] == "CVE-2020-28493"));

    let dir = tempfile::tempdir().unwrap();
    vigilo(&[
        "advisories",
        "convert",
        "--to",
        "stix",
        s(&jinja),
        "--out",
        s(dir.path()),
    ])
    .ok();
    let written: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("advisories.stix.json")).unwrap())
            .unwrap();
    assert_eq!(written["type"], "bundle");

    // YAML in, the same record as JSON out.
    let osv = vigilo(&["advisories", "convert", "--to", "osv", s(&jinja)])
        .ok()
        .json();
    assert_eq!(osv["id"], "PYSEC-2021-66");
    assert_eq!(osv["affected"][0]["package"]["name"], "jinja2");
}

#[test]
fn bad_input_is_reported_by_file() {
    let Some(data) = shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken-record.json");
    std::fs::write(&bad, r#"{"id": "VIGILO-BAD-1", "summary": "no modified"}"#).unwrap();
    let good = data.join("osv/ghsa/npm/GHSA-35jh-r3h4-6jhm.json");
    let out_dir = dir.path().join("out");
    let out = vigilo(&[
        "advisories",
        "convert",
        "--to",
        "csaf",
        s(&bad),
        s(&good),
        "--out",
        s(&out_dir),
    ])
    .code(2);
    assert!(
        out.stderr.contains("broken-record.json") && out.stderr.contains("/modified"),
        "{out}"
    );
    // The good record is converted all the same.
    assert_eq!(json_files(&out_dir).len(), 1);

    let only_bad = vigilo(&["advisories", "convert", "--to", "stix", s(&bad)]).code(2);
    assert!(
        only_bad.stderr.contains("no OSV records read"),
        "{only_bad}"
    );

    let several = vigilo(&[
        "advisories",
        "convert",
        "--to",
        "csaf",
        s(&data.join("osv/ghsa/npm")),
    ])
    .code(2);
    assert!(several.stderr.contains("--out"), "{several}");

    let tlp = vigilo(&[
        "advisories",
        "convert",
        "--to",
        "csaf",
        "--tlp",
        "TLP:BLUE",
        s(&good),
    ])
    .code(2);
    assert!(tlp.stderr.contains("TLP:BLUE"), "{tlp}");

    let ns = vigilo(&[
        "advisories",
        "convert",
        "--to",
        "csaf",
        "--publisher-namespace",
        "cert",
        s(&good),
    ]);
    assert_ne!(ns.code, Some(0), "{ns}");
    assert!(ns.stderr.contains("namespace"), "{ns}");

    let missing = vigilo(&[
        "advisories",
        "convert",
        "--to",
        "osv",
        "/nonexistent/x.json",
    ])
    .code(2);
    assert!(missing.stderr.contains("/nonexistent/x.json"), "{missing}");
}
