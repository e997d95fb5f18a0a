//! `vigilo duties compute`: offline duties from a profile and facts file,
//! with the rules built into the binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use vigilo_test_support::for_each_backend;

use crate::support::*;

#[tokio::test]
async fn duties_compute_prints_rule_stage_recipient_due_and_status() {
    for_each_backend(|db| async move {
        let v = Vigilo::new(&db);
        let dir = tempfile::tempdir().unwrap();
        let profile = dir.path().join("profile.yaml");
        std::fs::write(&profile, "roles: [sec_registrant]\njurisdictions: [US]\n").unwrap();
        let facts = dir.path().join("facts.json");
        std::fs::write(
            &facts,
            r#"{"flags": {"incident.material": true},
                "events": [{"event": "incident.materiality_determined", "at": "2026-11-25T15:00:00-05:00", "source": "minutes"}]}"#,
        )
        .unwrap();
        let args = ["duties", "compute", "--profile", profile.to_str().unwrap(), "--facts", facts.to_str().unwrap(), "--now", "2026-11-27T00:00:00Z"];
        let out = v.run(&[&args[..], &["--format", "json"]].concat()).await.ok();
        let json = out.json();
        let d = json["duties"].as_array().unwrap().iter().find(|d| d["stage"] == "file_8k").unwrap();
        assert_eq!(d["rule"], "us.sec.8k.1-05");
        assert_eq!(d["recipient"], "us.sec.edgar");
        assert_eq!(d["due"], "2026-12-02T22:30:00Z");
        assert_eq!(d["status"], "open");
        assert!(!d["explain"].as_array().unwrap().is_empty());
        let table = v.run(&args).await.ok();
        assert!(table.stdout.contains("us.sec.8k.1-05 / file_8k -> us.sec.edgar"), "{table}");

        // Bad facts: exit 2 naming the problem, nothing computed.
        std::fs::write(&facts, r#"{"events": [{"event": "x", "at": "not a time"}]}"#).unwrap();
        let bad = v.run(&args).await.code(2);
        assert!(bad.stderr.contains("facts") && bad.stderr.contains("events[0].at"), "{bad}");
    })
    .await;
}

#[tokio::test]
async fn receipts_verify_accepts_a_genuine_receipt_and_rejects_a_tampered_one() {
    use ed25519_dalek::SigningKey;
    for_each_backend(|db| async move {
        let v = Vigilo::new(&db);
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::from_bytes(&[42u8; 32]);
        let report = serde_json::json!({"title": "RCE in log4j-core", "cve_ids": ["CVE-2021-44228"]});
        let r = vigilo_formats::receipt::issue(&key, "https://coordinator.example", "acme", "rep-7", &report, "2021-11-24T10:00:00Z".parse().unwrap()).unwrap();
        let file = dir.path().join("receipt.json");
        std::fs::write(&file, serde_json::to_string_pretty(&r).unwrap()).unwrap();
        let report_file = dir.path().join("report.json");
        std::fs::write(&report_file, report.to_string()).unwrap();
        let pubkey = vigilo_formats::receipt::key_text(&key.verifying_key());
        let ok = v.run(&["receipts", "verify", file.to_str().unwrap(), "--key", &pubkey, "--report", report_file.to_str().unwrap()]).await.ok();
        assert!(ok.stdout.contains("valid: https://coordinator.example received report rep-7 from acme at 2021-11-24T10:00:00Z"), "{ok}");
        let text = std::fs::read_to_string(&file).unwrap().replace("2021-11-24T10:00:00Z", "2021-11-20T10:00:00Z");
        std::fs::write(&file, text).unwrap();
        let bad = v.run(&["receipts", "verify", file.to_str().unwrap(), "--key", &pubkey]).await.code(1);
        assert!(bad.stdout.contains("INVALID") && bad.stdout.contains("signature"), "{bad}");
    })
    .await;
}

#[tokio::test]
async fn case_cli_opens_a_case_records_facts_and_shows_its_duties() {
    for_each_backend(|db| async move {
        let v = Vigilo::new(&db);
        let server = v.serve(&[]).await;
        v.run(&["org", "create", "acme"]).await.ok();
        let admin = v
            .run(&["token", "create", "--org", "acme", "--role", "admin", "--name", "cli"])
            .await
            .ok()
            .stdout
            .trim()
            .to_owned();
        send(
            http()
                .put(server.url("/api/org/profile"))
                .header("Authorization", format!("Bearer {admin}"))
                .json(&serde_json::json!({"legal_name": "Acme GmbH", "roles": ["manufacturer"], "jurisdictions": ["EU"], "sectors": []})),
        )
        .await
        .unwrap()
        .expect(204);
        let hub = server.url("");
        let hub = hub.trim_end_matches('/');
        let env = [("VIGILO_HUB", hub), ("VIGILO_TOKEN", admin.as_str())];
        let id = v
            .run_with(
                &["case", "create", "--title", "RCE in gateway", "--flag", "product.made_available_in_eu", "--flag", "vuln.actively_exploited", "--cve", "CVE-2026-12345"],
                &env,
            )
            .await
            .ok()
            .stdout
            .trim()
            .to_owned();
        assert!(!id.is_empty());
        v.run_with(&["case", "event", &id, "--event", "vuln.exploitation_aware", "--at", "2026-10-02T07:15:00Z", "--source", "SOC ticket 42"], &env).await.ok();
        let duties = v.run_with(&["case", "duties", &id, "--json"], &env).await.ok().json();
        let ew = duties["duties"].as_array().unwrap().iter().find(|d| d["stage"] == "early_warning").unwrap().clone();
        assert_eq!(ew["due"], "2026-10-03T07:15:00Z");
        v.run_with(&["case", "submitted", &id, "--rule", "eu.cra.art14.aev", "--stage", "early_warning", "--at", "2026-10-02T20:00:00Z", "--evidence", "SRP ref 1"], &env).await.ok();
        let table = v.run_with(&["case", "duties", &id], &env).await.ok();
        assert!(table.stdout.contains("submitted") && table.stdout.contains("eu.cra.art14.aev / early_warning -> eu.srp"), "{table}");
        // The organisation's duties from the hub, and how one was computed.
        let all = v.run_with(&["duties", "list"], &env).await.ok();
        let line = all.stdout.lines().find(|l| l.contains(&format!("{id}/eu.cra.art14.aev/early_warning"))).unwrap_or_else(|| panic!("{all}"));
        assert!(line.contains("submitted") && line.contains("-> eu.srp"), "{line}");
        let overdue = v.run_with(&["duties", "list", "--status", "overdue", "--fail-on-overdue"], &env).await.code(1);
        assert!(overdue.stdout.contains("/eu.cra.art14.aev/notification"), "{overdue}");
        let why = v.run_with(&["duties", "explain", &format!("{id}/eu.cra.art14.aev/early_warning")], &env).await.ok();
        for want in ["how the deadline was computed", "2026-10-03T07:15:00Z", "vuln.exploitation_aware", "SOC ticket 42", "late on record"] {
            assert!(why.stdout.contains(want), "{want:?} missing: {why}");
        }
        let unknown = v.run_with(&["duties", "explain", &format!("{id}/eu.cra.art14.aev/nope")], &env).await.code(2);
        assert!(unknown.stderr.contains("has no duty"), "{unknown}");
        let list = v.run_with(&["case", "list"], &env).await.ok();
        assert!(list.stdout.contains(&id) && list.stdout.contains("RCE in gateway"), "{list}");
        // A bad fact: the hub's 422 is shown, exit 2.
        let bad = v.run_with(&["case", "event", &id, "--event", "vuln.exploitation_aware", "--at", "yesterday", "--source", "x"], &env).await.code(2);
        assert!(bad.stderr.contains("422"), "{bad}");
    })
    .await;
}
