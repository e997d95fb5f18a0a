//! `vigilo replicate`: hub B keeps a copy of an organisation's data from
//! hub A; with A stopped, everything is read from B; a second copy with
//! nothing new changes nothing.

use serde_json::json;
use vigilo_test_support::{TestDb, for_each_backend};

use crate::support::{Vigilo, get, http, org_with_admin_token, send};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_on_b_holds_everything_after_a_is_gone() {
    for_each_backend(|db| async move {
        let a = Vigilo::new(&db);
        let server_a = a.serve(&[]).await;
        let (_, secret_a) = org_with_admin_token(&a, "acme").await;
        let client = http();
        // Some of acme's data on A: a case with sealed technical details.
        let case = send(
            client
                .post(server_a.url("/api/cases"))
                .bearer_auth(&secret_a)
                .json(&json!({"title": "Gateway RCE", "kind": "vulnerability",
                              "technical_details": "the exploit chain, step by step"})),
        )
        .await
        .unwrap();
        assert_eq!(case.status, 201, "{}", case.body);

        // B: another hub with its own database, holding acme's copy.
        let db_b = TestDb::new(db.backend).await;
        let b = Vigilo::new(&db_b);
        let (_, secret_b) = org_with_admin_token(&b, "acme").await;
        let from = server_a.url("");
        let from = from.trim_end_matches('/');
        let out = b
            .run_with(
                &["replicate", "--from", from, "--org", "acme", "--once"],
                &[("VIGILO_REPLICATE_TOKEN", secret_a.as_str())],
            )
            .await
            .ok();
        assert!(out.stdout.contains("file(s) changed"), "{out}");
        // Nothing new: nothing changes.
        let again = b
            .run_with(
                &["replicate", "--from", from, "--org", "acme", "--once"],
                &[("VIGILO_REPLICATE_TOKEN", secret_a.as_str())],
            )
            .await
            .ok();
        // Only what moved on A since (its audit log, token use) is copied again.
        let changed = |o: &str| -> usize {
            o.split(": ")
                .nth(1)
                .and_then(|r| r.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap()
        };
        assert!(
            changed(&again.stdout) < changed(&out.stdout),
            "{out} / {again}"
        );

        // A is cut off.
        server_a.stop().await;
        let server_b = b.serve(&[]).await;
        let list = get(&client, &server_b, "/api/replica", &secret_b).await;
        assert_eq!(list.status, 200, "{}", list.body);
        let names: Vec<String> = list.json()["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect();
        for want in ["cases.jsonl", "org.jsonl", "audit.jsonl", "members.jsonl"] {
            assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
        }
        let cases = get(&client, &server_b, "/api/replica/cases.jsonl", &secret_b).await;
        assert_eq!(cases.status, 200);
        assert!(
            cases.body.contains("Gateway RCE") && cases.body.contains("the exploit chain"),
            "{}",
            cases.body
        );
        // Sealed at rest on B: the plaintext is not in B's database file.
        if db.backend == vigilo_test_support::Backend::Sqlite {
            let raw = std::fs::read(b.sqlite_file()).unwrap();
            let needle = b"the exploit chain, step by step";
            assert!(
                !raw.windows(needle.len()).any(|w| w == needle),
                "plaintext in B's database"
            );
        }
        // Path tricks are refused.
        let bad = get(
            &client,
            &server_b,
            "/api/replica/..%2Fetc%2Fpasswd",
            &secret_b,
        )
        .await;
        assert_eq!(bad.status, 404);
    })
    .await;
}
