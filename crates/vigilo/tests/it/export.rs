//! `vigilo export`: everything an organisation owns, decrypted, with a manifest.

use serde_json::json;
use sha2::{Digest as _, Sha256};
use vigilo_test_support::for_each_backend;

use crate::support::{Vigilo, http, org_with_admin_token, put};

const FILES: [&str; 23] = [
    "org.jsonl",
    "members.jsonl",
    "tokens.jsonl",
    "profile.jsonl",
    "advisories.jsonl",
    "advisories_csaf.jsonl",
    "shared_stix.jsonl",
    "sharing_groups.jsonl",
    "partners.jsonl",
    "assets.jsonl",
    "indicators.jsonl",
    "sightings.jsonl",
    "cases.jsonl",
    "case_participants.jsonl",
    "case_messages.jsonl",
    "case_attachments.jsonl",
    "received_reports.jsonl",
    "recipients.jsonl",
    "disclosures.jsonl",
    "late_duties.jsonl",
    "webhooks.jsonl",
    "findings.jsonl",
    "audit.jsonl",
];

fn read_jsonl(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}: bad line {l}: {e}", path.display()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn export_writes_every_kind_with_a_matching_manifest() {
    for_each_backend(|db| async move {
        let v = Vigilo::new(&db);
        let client = http();
        let server = v.serve(&[]).await;
        let (token_id, secret) = org_with_admin_token(&v, "acme").await;
        v.run(&[
            "user",
            "create",
            "--org",
            "acme",
            "--email",
            "ana@acme.example",
            "--role",
            "analyst",
            "--no-password",
        ])
        .await
        .ok();
        let contact = json!({"email": "psirt@acme.example", "pgp": "0xDEADBEEF"});
        put(
            &client,
            &server,
            "/api/org/profile",
            &secret,
            &json!({"legal_name": "ACME Inc.", "sectors": ["cloud"], "security_contact": contact}),
        )
        .await
        .expect(204);
        // An asset, uploaded the way `vigilo scan --upload` does.
        let scanned = tempfile::tempdir().expect("tempdir");
        std::fs::write(scanned.path().join("requirements.txt"), "jinja2==2.11.2\n").expect("write");
        v.run_with(
            &[
                "scan",
                "--no-progress",
                "--hub",
                &server.url(""),
                "--upload",
                "--asset",
                "web-1",
                scanned.path().to_str().expect("UTF-8"),
            ],
            &[("VIGILO_TOKEN", &secret)],
        )
        .await
        .ok();
        // Another organisation's data must stay out of acme's export.
        let (_, other_secret) = org_with_admin_token(&v, "other").await;
        v.run_with(
            &[
                "scan",
                "--no-progress",
                "--hub",
                &server.url(""),
                "--upload",
                "--asset",
                "other-1",
                scanned.path().to_str().expect("UTF-8"),
            ],
            &[("VIGILO_TOKEN", &other_secret)],
        )
        .await
        .ok();
        server.stop().await;

        let out_dir = v.data_dir().join("exports").join("acme");
        let out_path = out_dir.to_str().expect("UTF-8").to_owned();
        let out = v
            .run(&["export", "--org", "acme", "--out", &out_path])
            .await
            .ok();
        assert!(out.stdout.contains("exported acme"), "{out}");

        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out_dir.join("manifest.json")).expect("manifest.json"),
        )
        .expect("manifest is JSON");
        assert_eq!(manifest["org_name"], "acme", "{manifest}");
        let files = manifest["files"].as_object().expect("files");
        assert_eq!(files.len(), FILES.len(), "{manifest}");
        for name in FILES {
            let path = out_dir.join(name);
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            let entry = &files[name];
            assert_eq!(
                entry["sha256"].as_str().expect("sha256"),
                hex::encode(Sha256::digest(&bytes)),
                "{name}: manifest hash does not match"
            );
            let lines = bytes
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .count();
            assert_eq!(entry["records"], lines, "{name}: record count");
            assert!(
                !String::from_utf8_lossy(&bytes).contains(&secret),
                "{name} holds a token secret"
            );
        }
        let mut listed: Vec<String> = std::fs::read_dir(&out_dir)
            .expect("read export dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        listed.sort();
        let mut want: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
        want.push("manifest.json".into());
        want.sort();
        assert_eq!(listed, want, "no stray files in the export");

        let org = read_jsonl(&out_dir.join("org.jsonl"));
        assert_eq!(org.len(), 1);
        assert_eq!(org[0]["name"], "acme");
        let acme_id = org[0]["id"].as_str().expect("org id").to_owned();
        assert_eq!(manifest["org_id"], acme_id.as_str());

        let members = read_jsonl(&out_dir.join("members.jsonl"));
        assert_eq!(members.len(), 1);
        assert_eq!(members[0]["user"]["email"], "ana@acme.example");
        assert_eq!(members[0]["role"], "analyst");
        assert!(!members[0].to_string().contains("argon2"));

        let tokens = read_jsonl(&out_dir.join("tokens.jsonl"));
        assert_eq!(tokens.len(), 1, "{tokens:?}");
        assert_eq!(tokens[0]["id"], token_id.as_str());

        let profile = read_jsonl(&out_dir.join("profile.jsonl"));
        assert_eq!(profile.len(), 1);
        assert_eq!(profile[0]["legal_name"], "ACME Inc.");
        assert_eq!(profile[0]["security_contact"], contact, "decrypted contact");

        let assets = read_jsonl(&out_dir.join("assets.jsonl"));
        assert_eq!(assets.len(), 1, "{assets:?}");
        assert_eq!(assets[0]["asset"]["name"], "web-1");
        assert_eq!(assets[0]["report"]["schema"], "vigilo-scan/1");
        assert_eq!(assets[0]["report"]["components"][0]["name"], "jinja2");

        let audit = read_jsonl(&out_dir.join("audit.jsonl"));
        let actions: Vec<&str> = audit.iter().filter_map(|e| e["action"].as_str()).collect();
        for want in [
            "org.create",
            "token.create",
            "org_profile.write",
            "org.export",
        ] {
            assert!(actions.contains(&want), "{want} missing from {actions:?}");
        }
        assert!(
            audit.iter().all(|e| e["org_id"] == acme_id.as_str()),
            "another organisation's events were exported"
        );
        assert!(
            audit
                .iter()
                .all(|e| e["hash"].as_str().is_some_and(|h| h.len() == 64))
        );

        // Exporting again into the now non-empty folder is refused.
        let before = std::fs::read(out_dir.join("manifest.json")).expect("manifest");
        let again = v
            .run(&["export", "--org", "acme", "--out", &out_path])
            .await
            .code(2);
        assert!(again.stderr.contains("not empty"), "{again}");
        assert_eq!(
            std::fs::read(out_dir.join("manifest.json")).expect("manifest"),
            before
        );
        // An existing empty folder is fine; an unknown organisation is not.
        let empty = v.data_dir().join("exports").join("empty");
        std::fs::create_dir_all(&empty).expect("mkdir");
        v.run(&[
            "export",
            "--org",
            "acme",
            "--out",
            empty.to_str().expect("UTF-8"),
        ])
        .await
        .ok();
        assert!(empty.join("manifest.json").is_file());
        let missing = v.data_dir().join("exports").join("missing");
        let out = v
            .run(&[
                "export",
                "--org",
                "nope",
                "--out",
                missing.to_str().expect("UTF-8"),
            ])
            .await
            .code(2);
        assert!(out.stderr.contains("nope"), "{out}");
        assert!(!missing.exists());
        // No partial folders are left behind.
        let leftovers: Vec<String> = std::fs::read_dir(v.data_dir().join("exports"))
            .expect("read exports")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("partial"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        v.run(&["audit", "verify"]).await.ok();
    })
    .await;
}
