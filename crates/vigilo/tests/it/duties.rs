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
