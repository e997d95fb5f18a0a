//! The real-client proof of the OSV API: pip-audit (from PyPI), pointed at a
//! running `vigilo serve` with the PyPA advisories imported, reports exactly
//! what vigilo's own matcher reports for the same pinned requirements.
//!
//! pip-audit must be on `PATH` (or in `<repo>/.cache/test-venv`, where
//! `scripts/install-test-deps` puts it); without it the test skips with a
//! note, unless `VIGILO_REQUIRE_REFERENCES=1`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vigilo_test_support::{Backend, TestDb};

use crate::advisories::shared_data;
use crate::support::{Vigilo, http, poll, send};

/// (package, advisory id) pairs.
type Findings = BTreeSet<(String, String)>;

/// The README's known PyPI hits for the pinned lockfiles.
const KNOWN: &[(&str, &str)] = &[
    ("pyyaml", "PYSEC-2020-96"),
    ("pyyaml", "PYSEC-2021-142"),
    ("jinja2", "PYSEC-2021-66"),
    ("urllib3", "PYSEC-2021-108"),
    ("urllib3", "PYSEC-2023-192"),
    ("urllib3", "PYSEC-2023-212"),
    ("requests", "PYSEC-2023-74"),
    ("flask", "PYSEC-2023-62"),
];

fn required() -> bool {
    std::env::var("VIGILO_REQUIRE_REFERENCES").is_ok_and(|v| v == "1")
}

/// pip-audit on `PATH`, else in the repository's test venv.
#[allow(clippy::print_stderr)]
fn pip_audit() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/test-venv/bin/pip-audit");
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("pip-audit"))
            .find(|p| p.is_file())
    });
    let found = on_path.or_else(|| venv.is_file().then_some(venv));
    if found.is_none() {
        assert!(
            !required(),
            "pip-audit is required (VIGILO_REQUIRE_REFERENCES=1) but not on PATH nor in \
             .cache/test-venv: pip install pip-audit==2.10.1"
        );
        eprintln!("skipping: pip-audit not found (pip install pip-audit==2.10.1)");
    }
    found
}

/// PEP 503 normalisation, as pip-audit reports names.
fn canonical(name: &str) -> String {
    let mut out = String::new();
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The `name==version` pins of a requirements file (hash continuation
/// lines and comments skipped).
fn pins(requirements: &str) -> Vec<(String, String)> {
    requirements
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            if l.starts_with('#') || l.starts_with("--") {
                return None;
            }
            let (name, rest) = l.split_once("==")?;
            let version = rest
                .split(|c: char| c.is_whitespace() || c == ';' || c == '\\')
                .next()?;
            Some((canonical(name), version.to_owned()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pip_audit_reports_what_vigilo_matches() {
    let Some(data) = shared_data() else { return };
    let Some(pip_audit) = pip_audit() else { return };
    let pypi = data.join("osv/pypi");
    let requirements = data.join("lockfiles/pip/compiled-with-hashes/requirements.txt");
    let pinned = pins(&std::fs::read_to_string(&requirements).expect("requirements.txt"));
    assert_eq!(pinned.len(), 17, "{pinned:?}");

    let db = TestDb::new(Backend::Sqlite).await;
    let v = Vigilo::new(&db);
    let work = tempfile::tempdir().unwrap();

    // vigilo's own matcher, offline, on the same pins.
    let inventory = work.path().join("inventory.json");
    let components: Vec<Value> = pinned
        .iter()
        .map(|(n, ver)| json!({"ecosystem": "PyPI", "name": n, "version": ver}))
        .collect();
    std::fs::write(&inventory, json!({ "components": components }).to_string()).unwrap();
    let matched = v
        .run(&[
            "match",
            "--advisories",
            pypi.to_str().unwrap(),
            inventory.to_str().unwrap(),
            "--format",
            "json",
        ])
        .await
        .ok()
        .json();
    let mut vigilo: Findings = BTreeSet::new();
    for m in matched["matches"].as_array().unwrap() {
        vigilo.insert((
            canonical(m["name"].as_str().unwrap()),
            m["advisory"].as_str().unwrap().to_owned(),
        ));
    }
    for (pkg, id) in KNOWN {
        assert!(
            vigilo.contains(&((*pkg).to_owned(), (*id).to_owned())),
            "vigilo match misses {pkg} {id}: {vigilo:?}"
        );
    }

    // The hub, with the same advisories imported.
    v.run(&["advisories", "import", pypi.to_str().unwrap()])
        .await
        .ok();
    let server = v.serve(&[]).await;
    let client = http();
    let probe = json!({"package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "2.11.2"});
    let loaded = poll(Duration::from_secs(5), Duration::from_millis(100), || {
        let req = client.post(server.url("/v1/query")).json(&probe);
        async move {
            send(req)
                .await
                .ok()
                .filter(|r| r.status == 200 && r.body.contains("PYSEC-2021-66"))
        }
    })
    .await;
    assert!(
        loaded.is_some(),
        "the hub never served the imported advisories\n{}",
        server.log()
    );

    // The hub's /v1/querybatch agrees with the offline matcher.
    let queries: Vec<Value> = pinned
        .iter()
        .map(|(n, ver)| json!({"package": {"name": n, "ecosystem": "PyPI"}, "version": ver}))
        .collect();
    let batch = send(
        client
            .post(server.url("/v1/querybatch"))
            .json(&json!({ "queries": queries })),
    )
    .await
    .unwrap()
    .expect(200)
    .json();
    let mut hub: Findings = BTreeSet::new();
    for ((name, _), result) in pinned.iter().zip(batch["results"].as_array().unwrap()) {
        for vuln in result["vulns"].as_array().into_iter().flatten() {
            hub.insert((name.clone(), vuln["id"].as_str().unwrap().to_owned()));
        }
    }
    assert_eq!(hub, vigilo, "/v1/querybatch versus vigilo match");

    // pip-audit, the real client, against the hub's /v1/query.
    let started = Instant::now();
    let mut cmd = tokio::process::Command::new(&pip_audit);
    cmd.args(["-r", requirements.to_str().unwrap()])
        .args(["--no-deps", "--disable-pip", "-s", "osv"])
        .args(["--osv-url", &server.url("/v1/query")])
        .args(["-f", "json", "--progress-spinner", "off"])
        .arg("--cache-dir")
        .arg(work.path().join("pip-audit-cache"))
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .current_dir(work.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(180), cmd.output())
        .await
        .expect("pip-audit finishes within 3 minutes")
        .expect("running pip-audit");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // pip-audit exits 1 when it found vulnerabilities.
    assert_eq!(
        out.status.code(),
        Some(1),
        "pip-audit: {}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n--- hub ---\n{}",
        out.status,
        server.log()
    );
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "pip-audit wrote no JSON report ({e})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n--- hub ---\n{}",
            server.log()
        )
    });
    assert!(!stderr.contains("Traceback"), "pip-audit crashed: {stderr}");
    eprintln!("pip-audit ran in {:.2?}", started.elapsed());

    let deps = report["dependencies"].as_array().expect("dependencies");
    let audited: BTreeMap<String, String> = deps
        .iter()
        .map(|d| {
            assert!(d.get("skip_reason").is_none(), "pip-audit skipped {d}");
            (
                canonical(d["name"].as_str().unwrap()),
                d["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        audited,
        pinned.iter().cloned().collect::<BTreeMap<_, _>>(),
        "pip-audit audited every pin"
    );
    let mut reported: Findings = BTreeSet::new();
    // pip-audit folds results that share an alias into one; keep what each
    // reported result covers, to tell such a fold from a real difference.
    let mut covered: Findings = BTreeSet::new();
    for d in deps {
        let name = canonical(d["name"].as_str().unwrap());
        for vuln in d["vulns"].as_array().unwrap() {
            let id = vuln["id"].as_str().unwrap().to_owned();
            reported.insert((name.clone(), id.clone()));
            covered.insert((name.clone(), id));
            for alias in vuln["aliases"].as_array().into_iter().flatten() {
                covered.insert((name.clone(), alias.as_str().unwrap().to_owned()));
            }
        }
    }
    assert!(!reported.is_empty());
    for (pkg, id) in KNOWN {
        assert!(
            reported.contains(&((*pkg).to_owned(), (*id).to_owned())),
            "pip-audit misses {pkg} {id}: {reported:?}"
        );
    }
    let only_pip_audit: Vec<_> = reported.difference(&vigilo).collect();
    let only_vigilo: Vec<_> = vigilo.difference(&covered).collect();
    assert!(
        only_pip_audit.is_empty() && only_vigilo.is_empty(),
        "pip-audit and vigilo disagree: only pip-audit {only_pip_audit:?}, only vigilo {only_vigilo:?}"
    );
    assert_eq!(
        reported, vigilo,
        "same findings (no alias folding expected in this data)"
    );

    // pip-audit read the fix versions from the full records the hub served.
    let jinja = deps
        .iter()
        .find(|d| d["name"] == "jinja2")
        .and_then(|d| {
            d["vulns"]
                .as_array()?
                .iter()
                .find(|v| v["id"] == "PYSEC-2021-66")
        })
        .expect("jinja2 PYSEC-2021-66");
    assert_eq!(jinja["fix_versions"], json!(["2.11.3"]), "{jinja}");
    assert!(
        jinja["aliases"]
            .as_array()
            .unwrap()
            .contains(&json!("CVE-2020-28493")),
        "{jinja}"
    );
    eprintln!(
        "pip-audit and vigilo agree on {} findings over {} pins",
        reported.len(),
        pinned.len()
    );
    server.stop().await;
}
