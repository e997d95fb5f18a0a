//! `vigilo audit verify` finds every kind of tampering done straight in the database.

use vigilo_test_support::{TestDb, for_each_backend};

use crate::support::{Output, Vigilo};

/// Fills a fresh database with a few audited writes through the CLI and
/// checks that the untouched chain verifies. Returns the head's sequence number.
async fn populate(v: &Vigilo) -> i64 {
    for org in ["alpha", "bravo", "charlie"] {
        v.run(&["org", "create", org]).await.ok();
    }
    for name in ["one", "two", "three"] {
        v.run(&["token", "create", "--org", "alpha", "--name", name])
            .await
            .ok();
    }
    let report = v
        .run(&["audit", "verify", "--format", "json"])
        .await
        .ok()
        .json();
    assert_eq!(report["ok"], true, "{report}");
    let entries = report["entries"].as_i64().expect("entries");
    assert_eq!(entries, 6, "{report}");
    entries
}

/// The hub's checkpoint-signing public key, from `vigilo keys show`.
async fn hub_key(v: &Vigilo) -> String {
    let out = v.run(&["keys", "show"]).await.ok();
    out.stdout
        .split_whitespace()
        .find(|w| w.len() == 64 && w.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| panic!("no public key in: {out}"))
        .to_owned()
}

async fn exec(pool: &sqlx::AnyPool, sql: &str) {
    sqlx::query(sql)
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[track_caller]
fn assert_broken(out: &Output, words: &[&str]) {
    assert_eq!(out.code, Some(1), "audit verify must exit 1: {out}");
    let text = out.all();
    for w in words {
        assert!(text.contains(w), "expected {w:?} in: {out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn audit_verify_detects_tampering() {
    for_each_backend(|db| async move {
        let backend = db.backend;
        // (a) an edited entry
        let other_hub_key = {
            let v = Vigilo::new(&db);
            populate(&v).await;
            let other_hub_key = hub_key(&v).await;
            let pool = db.any_pool().await;
            exec(
                &pool,
                "UPDATE audit_events SET object = 'org:someone-else' WHERE seq = 3",
            )
            .await;
            pool.close().await;
            let out = v.run(&["audit", "verify"]).await;
            assert_broken(&out, &["BROKEN", "entry 3", "edited"]);
            let json = v
                .run(&["audit", "verify", "--format", "json"])
                .await
                .code(1)
                .json();
            assert_eq!(json["ok"], false, "{json}");
            assert_eq!(
                json["entries"], 2,
                "two good entries before the edit: {json}"
            );
            let broken = json["broken"].as_str().expect("broken");
            assert!(
                broken.contains("entry 3") && broken.contains("edited"),
                "{json}"
            );
            other_hub_key
        };
        // (b) a deleted middle entry
        {
            let db = TestDb::new(backend).await;
            let v = Vigilo::new(&db);
            populate(&v).await;
            let pool = db.any_pool().await;
            exec(&pool, "DELETE FROM audit_events WHERE seq = 3").await;
            pool.close().await;
            let out = v.run(&["audit", "verify"]).await;
            assert_broken(&out, &["entry 3", "missing", "deleted"]);
        }
        // (c) two entries reordered (contents swapped, sequence numbers kept)
        {
            let db = TestDb::new(backend).await;
            let v = Vigilo::new(&db);
            populate(&v).await;
            let pool = db.any_pool().await;
            exec(&pool, "UPDATE audit_events SET seq = -1 WHERE seq = 3").await;
            exec(&pool, "UPDATE audit_events SET seq = 3 WHERE seq = 4").await;
            exec(&pool, "UPDATE audit_events SET seq = 4 WHERE seq = -1").await;
            pool.close().await;
            let out = v.run(&["audit", "verify"]).await;
            assert_broken(&out, &["entry 3", "reordered"]);
        }
        // (d) the newest entries deleted and the head rewound to match: only
        // the signed checkpoint beyond them gives it away.
        {
            let db = TestDb::new(backend).await;
            let v = Vigilo::new(&db);
            let head = populate(&v).await;
            let cp = v.run(&["audit", "checkpoint"]).await.ok();
            assert!(cp.stdout.contains(&format!("entry {head}")), "{cp}");
            let again = v.run(&["audit", "checkpoint"]).await.ok();
            assert!(again.stdout.contains("already checkpointed"), "{again}");
            let ok = v
                .run(&["audit", "verify", "--format", "json"])
                .await
                .ok()
                .json();
            assert_eq!(ok["checkpoints"], 1, "{ok}");
            // Checkpoints verify under the hub's published key, not another's.
            let own = hub_key(&v).await;
            v.run(&["audit", "verify", "--public-key", &own]).await.ok();
            let out = v
                .run(&["audit", "verify", "--public-key", &other_hub_key])
                .await;
            assert_broken(&out, &[&format!("checkpoint at entry {head}"), "signature"]);
            let out = v
                .run(&["audit", "verify", "--public-key", "abcd"])
                .await
                .code(2);
            assert!(out.stderr.contains("--public-key"), "{out}");
            let keep = head - 2;
            let pool = db.any_pool().await;
            exec(
                &pool,
                &format!("DELETE FROM audit_events WHERE seq > {keep}"),
            )
            .await;
            exec(
                &pool,
                &format!(
                    "UPDATE audit_head SET seq = {keep}, \
                     hash = (SELECT hash FROM audit_events WHERE seq = {keep}) WHERE id = 1"
                ),
            )
            .await;
            pool.close().await;
            let out = v.run(&["audit", "verify"]).await;
            assert_broken(&out, &[&format!("checkpoint at entry {head}")]);
        }
        // (e) the newest entries deleted without rewinding the head.
        {
            let db = TestDb::new(backend).await;
            let v = Vigilo::new(&db);
            let head = populate(&v).await;
            let pool = db.any_pool().await;
            exec(
                &pool,
                &format!("DELETE FROM audit_events WHERE seq = {head}"),
            )
            .await;
            pool.close().await;
            let out = v.run(&["audit", "verify"]).await;
            assert_broken(&out, &["head", "deleted"]);
        }
    })
    .await;
}
