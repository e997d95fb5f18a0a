use sqlx::Executor as _;
use vigilo_store::audit::ChainBreak;
use vigilo_store::{Actor, Store};
use vigilo_test_support::for_each_backend;

use crate::support::{open, org};

async fn write_events(store: &Store, n: usize) {
    let o = org(store, "acme").await;
    for i in 0..n {
        store
            .record(
                &Actor::system(),
                Some(&o.id),
                "test.event",
                &format!("thing:{i}"),
                None,
            )
            .await
            .unwrap();
    }
}

async fn broken(store: &Store) -> Option<ChainBreak> {
    store.verify_audit(None).await.unwrap().broken
}

async fn exec(store: &Store, sql: &str) {
    store.pool().execute(sql).await.unwrap();
}

#[tokio::test]
async fn intact_chain_verifies_with_checkpoints() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        write_events(&store, 20).await;
        assert_eq!(store.checkpoint().await.unwrap(), Some(21));
        assert_eq!(
            store.checkpoint().await.unwrap(),
            None,
            "head already signed"
        );
        let report = store.verify_audit(None).await.unwrap();
        assert!(report.broken.is_none(), "{:?}", report.broken);
        assert_eq!(report.entries, 21);
        assert_eq!(report.checkpoints, 1);
    })
    .await;
}

#[tokio::test]
async fn an_edited_entry_is_reported() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        write_events(&store, 10).await;
        exec(
            &store,
            "UPDATE audit_events SET object = 'thing:forged' WHERE seq = 5",
        )
        .await;
        assert_eq!(broken(&store).await, Some(ChainBreak::Edited { seq: 5 }));
    })
    .await;
}

#[tokio::test]
async fn a_deleted_entry_is_reported() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        write_events(&store, 10).await;
        exec(&store, "DELETE FROM audit_events WHERE seq = 4").await;
        assert_eq!(
            broken(&store).await,
            Some(ChainBreak::Gap { seq: 4, found: 5 })
        );
    })
    .await;
}

#[tokio::test]
async fn an_inserted_entry_is_reported() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        write_events(&store, 10).await;
        // Make room at 6 and slip a copy of entry 3 in.
        exec(&store, "UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 6").await;
        exec(&store, "UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1006").await;
        exec(
            &store,
            "INSERT INTO audit_events (seq, at, actor, org_id, action, object, request_id, source, detail, prev_hash, hash) \
             SELECT 6, at, actor, org_id, action, object, request_id, source, detail, prev_hash, hash FROM audit_events WHERE seq = 3",
        )
        .await;
        let b = broken(&store).await;
        assert!(matches!(b, Some(ChainBreak::Unlinked { seq: 6, .. })), "{b:?}");
    })
    .await;
}

#[tokio::test]
async fn reordered_entries_are_reported() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        write_events(&store, 10).await;
        exec(&store, "UPDATE audit_events SET seq = -1 WHERE seq = 7").await;
        exec(&store, "UPDATE audit_events SET seq = 7 WHERE seq = 8").await;
        exec(&store, "UPDATE audit_events SET seq = 8 WHERE seq = -1").await;
        let b = broken(&store).await;
        assert!(
            matches!(b, Some(ChainBreak::Unlinked { seq: 7, .. })),
            "{b:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_truncated_tail_is_reported() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        write_events(&store, 10).await;
        exec(&store, "DELETE FROM audit_events WHERE seq > 8").await;
        assert_eq!(
            broken(&store).await,
            Some(ChainBreak::Head { head: 11, last: 8 })
        );
    })
    .await;
}

#[tokio::test]
async fn rewriting_history_under_a_signed_checkpoint_is_reported() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        write_events(&store, 10).await;
        store.checkpoint().await.unwrap();
        // Cut the tail and rewind the head consistently: only the signed
        // checkpoint still remembers entry 11.
        exec(&store, "DELETE FROM audit_events WHERE seq > 8").await;
        exec(
            &store,
            "UPDATE audit_head SET seq = 8, hash = (SELECT hash FROM audit_events WHERE seq = 8) WHERE id = 1",
        )
        .await;
        let b = broken(&store).await;
        assert!(matches!(b, Some(ChainBreak::Checkpoint { seq: 11, .. })), "{b:?}");
    })
    .await;
}

#[tokio::test]
async fn a_forged_checkpoint_signature_is_reported() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        write_events(&store, 3).await;
        store.checkpoint().await.unwrap();
        let sql = match store.backend() {
            vigilo_store::Backend::Sqlite => {
                "UPDATE audit_checkpoints SET signature = zeroblob(64)"
            }
            vigilo_store::Backend::Postgres => {
                "UPDATE audit_checkpoints SET signature = decode(repeat('00', 64), 'hex')"
            }
        };
        exec(&store, sql).await;
        let b = broken(&store).await;
        assert!(
            matches!(b, Some(ChainBreak::Checkpoint { seq: 4, .. })),
            "{b:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn checkpoints_are_signed_automatically_every_256_entries() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        write_events(&store, 300).await;
        let cps = store.checkpoints().await.unwrap();
        assert_eq!(cps.iter().map(|c| c.seq).collect::<Vec<_>>(), vec![256]);
        assert!(store.verify_audit(None).await.unwrap().broken.is_none());
        // Under some other key, the checkpoint does not verify.
        let other = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]).verifying_key();
        let b = store.verify_audit(Some(other)).await.unwrap().broken;
        assert!(
            matches!(b, Some(ChainBreak::Checkpoint { seq: 256, .. })),
            "{b:?}"
        );
    })
    .await;
}
