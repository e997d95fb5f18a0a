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
