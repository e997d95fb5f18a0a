//! `vigilo case` for the rest of the record: create with impact,
//! exploitation and an embargo in its zone, participants and their status,
//! messages, and attachments, against a running hub.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use vigilo_test_support::for_each_backend;

use crate::support::*;

#[tokio::test]
async fn case_cli_adds_participants_messages_and_attachments() {
    for_each_backend(|db| async move {
        let v = Vigilo::new(&db);
        let server = v.serve(&[]).await;
        v.run(&["org", "create", "acme"]).await.ok();
        let admin = v
            .run(&[
                "token", "create", "--org", "acme", "--role", "admin", "--name", "cli",
            ])
            .await
            .ok()
            .stdout
            .trim()
            .to_owned();
        let hub = server.url("");
        let hub = hub.trim_end_matches('/');
        let env = [("VIGILO_HUB", hub), ("VIGILO_TOKEN", admin.as_str())];
        let id = v
            .run_with(
                &[
                    "case",
                    "create",
                    "--title",
                    "RCE in gateway",
                    "--impact",
                    "full takeover",
                    "--exploited",
                    "--exploited-evidence",
                    "IDS alerts",
                    "--embargo",
                    "2026-12-01T09:00:00",
                    "--embargo-tz",
                    "Europe/Berlin",
                    "--advisory",
                    "GHSA-jfh8-c2jp-5v3q",
                ],
                &env,
            )
            .await
            .ok()
            .stdout
            .trim()
            .to_owned();
        assert!(!id.is_empty());
        let pid = v
            .run_with(
                &[
                    "case",
                    "participant",
                    "add",
                    &id,
                    "--role",
                    "vendor",
                    "--name",
                    "Vendor PSIRT",
                    "--contact",
                    "psirt@vendor.example",
                    "--status",
                    "notified",
                ],
                &env,
            )
            .await
            .ok()
            .stdout
            .trim()
            .to_owned();
        v.run_with(&["case", "participant", "status", &id, &pid, "seen"], &env)
            .await
            .ok();
        v.run_with(
            &[
                "case",
                "message",
                &id,
                "--body",
                "Report sent by mail.",
                "--participant",
                &pid,
            ],
            &env,
        )
        .await
        .ok();
        let dir = tempfile::tempdir().unwrap();
        let poc = dir.path().join("poc.py");
        std::fs::write(&poc, "print('poc')\n").unwrap();
        let att = v
            .run_with(
                &[
                    "case",
                    "attach",
                    &id,
                    poc.to_str().unwrap(),
                    "--media-type",
                    "text/x-python",
                ],
                &env,
            )
            .await
            .ok();
        let sha = att.stdout.split_whitespace().nth(1).unwrap().to_owned();
        assert_eq!(sha.len(), 64, "{att}");

        let get = |path: String| {
            let admin = admin.clone();
            let url = server.url(&path);
            async move {
                send(
                    http()
                        .get(url)
                        .header("Authorization", format!("Bearer {admin}")),
                )
                .await
                .unwrap()
                .expect(200)
                .json()
            }
        };
        let case = get(format!("/api/cases/{id}")).await;
        assert_eq!(case["impact"], "full takeover");
        assert_eq!(case["exploited"], true);
        assert_eq!(case["embargo_until"], "2026-12-01T08:00:00Z");
        assert_eq!(case["embargo_tz"], "Europe/Berlin");
        assert_eq!(case["linked_advisories"][0], "GHSA-jfh8-c2jp-5v3q");
        let parts = get(format!("/api/cases/{id}/participants")).await;
        assert_eq!(parts["participants"][0]["status"], "seen");
        let msgs = get(format!("/api/cases/{id}/messages?participant_id={pid}")).await;
        assert_eq!(msgs["messages"].as_array().unwrap().len(), 2, "{msgs}");
        let atts = get(format!("/api/cases/{id}/attachments")).await;
        assert_eq!(atts["attachments"][0]["name"], "poc.py");
        assert_eq!(atts["attachments"][0]["sha256"], sha.as_str());

        // A bad status: the hub's 422 is shown, exit 2.
        let bad = v
            .run_with(&["case", "participant", "status", &id, &pid, "gone"], &env)
            .await
            .code(2);
        assert!(bad.stderr.contains("422"), "{bad}");
    })
    .await;
}
