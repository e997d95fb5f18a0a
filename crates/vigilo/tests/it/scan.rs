//! `vigilo scan`: the command as users run it — output formats checked by
//! their own validators, exit codes, and matching and upload through a
//! running hub.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use vigilo_test_support::for_each_backend;

use crate::advisories::shared_data;
use crate::support::*;

fn real_jar(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../.cache/test-jars")
        .join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} — run scripts/fetch-test-jars", path.display()))
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A host-like tree: an app with Log4j 2.14.1, a patched one, and a
/// Python project.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("opt/app/lib");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(
        lib.join("log4j-core-2.14.1.jar"),
        real_jar("log4j-core-2.14.1.jar"),
    )
    .unwrap();
    let lib2 = dir.path().join("opt/patched/lib");
    std::fs::create_dir_all(&lib2).unwrap();
    std::fs::write(
        lib2.join("log4j-core-2.17.1.jar"),
        real_jar("log4j-core-2.17.1.jar"),
    )
    .unwrap();
    let py = dir.path().join("srv/site");
    std::fs::create_dir_all(&py).unwrap();
    std::fs::write(py.join("requirements.txt"), "jinja2==2.11.2\nrequests>=2\n").unwrap();
    dir
}

pub(crate) fn python() -> String {
    if let Ok(p) = std::env::var("VIGILO_PYTHON") {
        return p;
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache/test-venv/bin/python");
    if venv.exists() {
        return venv.display().to_string();
    }
    "python3".into()
}

/// Runs the formats' own validators (cyclonedx-python-lib, the OASIS SARIF
/// schema) on a report file.
async fn validate(format: &str, file: &Path) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../vigilo-formats/tests/validate_report.py");
    let mut cmd = tokio::process::Command::new(python());
    cmd.arg(&script).arg(format).arg(file);
    let out = run_command(cmd, &format!("validate {format}")).await;
    // Exit 3: the validator's packages are not installed (scripts/test
    // installs them and sets VIGILO_REQUIRE_REFERENCES=1).
    if out.code == Some(3) && std::env::var("VIGILO_REQUIRE_REFERENCES").as_deref() != Ok("1") {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipping the {format} validator: {}", out.stderr.trim());
        }
        return;
    }
    assert_eq!(out.code, Some(0), "{format} validation: {out}");
}

#[tokio::test]
async fn scan_answers_log4shell_with_no_setup_in_every_format() {
    for_each_backend(|db| async move {
        let v = Vigilo::new(&db);
        let dir = tree();
        let root = dir.path();

        // The table: the vulnerable copy, by severity, with its path.
        let table = v.run(&["scan", "--no-progress", s(root)]).await.ok();
        let line = table
            .stdout
            .lines()
            .find(|l| l.contains("log4j-core"))
            .unwrap_or_else(|| panic!("{table}"));
        assert!(line.starts_with("critical"), "{line}");
        assert!(line.contains("CVE-2021-44228"), "{line}");
        assert!(line.contains("opt/app/lib/log4j-core-2.14.1.jar"), "{line}");
        assert!(!table.stdout.contains("log4j-core-2.17.1.jar"), "{table}");

        // --fail-on: exit 1 at or above the threshold.
        v.run(&["scan", "--no-progress", "--fail-on", "critical", s(root)])
            .await
            .code(1);
        let patched = root.join("opt/patched");
        v.run(&["scan", "--no-progress", "--fail-on", "low", s(&patched)])
            .await
            .ok();

        // JSON: the stable schema.
        let json = v
            .run(&["scan", "--no-progress", "--format", "json", s(root)])
            .await
            .ok()
            .json();
        assert_eq!(json["schema"], "vigilo-scan/1");
        let findings = json["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 1, "{json:#}");
        let f = &findings[0];
        assert_eq!(f["name"], "org.apache.logging.log4j:log4j-core");
        assert_eq!(f["version"], "2.14.1");
        assert_eq!(f["ecosystem"], "Maven");
        assert_eq!(f["status"], "affected");
        assert_eq!(
            f["purl"],
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
        assert_eq!(f["evidence"]["method"], "pom-properties");
        assert_eq!(f["advisories"].as_array().unwrap().len(), 4);
        let names: Vec<&str> = json["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert!(names.contains(&"jinja2"), "{names:?}");
        // The unpinned requirement is reported, not guessed.
        assert!(
            json["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["path"].as_str().unwrap().ends_with("requirements.txt")),
            "{json:#}"
        );

        // SARIF and CycloneDX, through their validators.
        let out_dir = tempfile::tempdir().unwrap();
        for (format, file) in [("sarif", "scan.sarif"), ("cyclonedx", "scan.cdx.json")] {
            let path = out_dir.path().join(file);
            v.run(&[
                "scan",
                "--no-progress",
                "--format",
                format,
                "--output",
                s(&path),
                s(root),
            ])
            .await
            .ok();
            validate(format, &path).await;
        }
        let sarif: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out_dir.path().join("scan.sarif")).unwrap())
                .unwrap();
        let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        assert_eq!(rules.len(), 4);

        // Bad input: a clear error and exit 2.
        let missing = v.run(&["scan", "/no/such/place"]).await.code(2);
        assert!(missing.stderr.contains("/no/such/place"), "{missing}");
        let bad = v.run(&["scan", "--exclude", "a{", s(root)]).await.code(2);
        assert!(bad.stderr.contains("exclude"), "{bad}");
    })
    .await;
}

#[tokio::test]
async fn scan_matches_through_a_hub_and_uploads_the_inventory() {
    let Some(data) = shared_data() else {
        return;
    };
    for_each_backend(|db| {
        let data = data.clone();
        async move {
            let v = Vigilo::new(&db);
            let server = v.serve(&[]).await;
            v.run(&["org", "create", "acme"]).await.ok();
            let token = v
                .run(&[
                    "token", "create", "--org", "acme", "--role", "analyst", "--name", "scanner",
                ])
                .await
                .ok()
                .stdout
                .trim()
                .to_owned();
            let ghsa = data.join("osv/ghsa/Maven");
            v.run(&["advisories", "import", s(&ghsa)]).await.ok();
            let dir = tree();
            let hub = server.url("");
            // The hub reloads its advisory index within a couple of seconds.
            let mut json = serde_json::Value::Null;
            for _ in 0..50 {
                json = v
                    .run_with(
                        &[
                            "scan",
                            "--no-progress",
                            "--no-builtin",
                            "--format",
                            "json",
                            "--hub",
                            hub.trim_end_matches('/'),
                            "--upload",
                            "--asset",
                            "web-1",
                            s(dir.path()),
                        ],
                        &[("VIGILO_TOKEN", &token)],
                    )
                    .await
                    .ok()
                    .json();
                if !json["findings"].as_array().unwrap().is_empty() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            let ids: Vec<&str> = json["findings"][0]["advisories"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|a| a["id"].as_str())
                .collect();
            assert!(ids.contains(&"GHSA-jfh8-c2jp-5v3q"), "{json:#}");
            assert!(ids.contains(&"GHSA-8489-44mv-ggj8"), "{json:#}");

            let assets = send(
                http()
                    .get(server.url("/api/assets"))
                    .header("Authorization", format!("Bearer {token}")),
            )
            .await
            .unwrap()
            .expect(200)
            .json();
            let list = assets.as_array().unwrap();
            assert_eq!(list.len(), 1, "{assets:#}");
            assert_eq!(list[0]["name"], "web-1");
            assert_eq!(
                list[0]["components"].as_u64().unwrap() as usize,
                json["components"].as_array().unwrap().len()
            );

            // Upload without a token: refused before anything is sent.
            let no_token = v
                .run(&[
                    "scan",
                    "--no-progress",
                    "--hub",
                    &hub,
                    "--upload",
                    s(dir.path()),
                ])
                .await
                .code(2);
            assert!(no_token.stderr.contains("token"), "{no_token}");
        }
    })
    .await;
}
