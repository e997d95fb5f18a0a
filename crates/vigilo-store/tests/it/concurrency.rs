use std::collections::BTreeSet;

use vigilo_core::{Role, ScopeSet};
use vigilo_store::{Actor, NewToken};
use vigilo_test_support::for_each_backend;

use crate::support::{open, org};

/// 50 concurrent writers, each creating tokens: every write is present and
/// the audit chain is intact and strictly sequential.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_writers_lose_nothing() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let mut tasks = Vec::new();
        for w in 0..50 {
            let store = store.clone();
            let org_id = o.id.clone();
            tasks.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in 0..4 {
                    let (info, _) = store
                        .create_token(
                            &Actor::system(),
                            &NewToken {
                                org_id: org_id.clone(),
                                user_id: None,
                                name: format!("w{w}-{i}"),
                                role: Role::Reader,
                                scopes: ScopeSet::parse("read").unwrap(),
                                expires_at: None,
                            },
                        )
                        .await
                        .expect("concurrent write");
                    ids.push(info.id);
                }
                ids
            }));
        }
        let mut written = BTreeSet::new();
        for t in tasks {
            written.extend(t.await.unwrap());
        }
        assert_eq!(written.len(), 200);
        let listed: BTreeSet<String> = store
            .list_tokens(&o.id)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(listed, written);
        let report = store.verify_audit(None).await.unwrap();
        assert!(report.broken.is_none(), "{:?}", report.broken);
        assert_eq!(report.entries, 201);
    })
    .await;
}
