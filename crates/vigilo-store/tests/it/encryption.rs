use sqlx::Row as _;
use vigilo_store::crypto::{KekSource, Key};
use vigilo_store::{Actor, Backend, OrgProfile, Store, StoreError, StoreOptions};
use vigilo_test_support::for_each_backend;

use crate::support::{kek_source, open, org};

const MARKER: &str = "zq-sealed-marker-7f3a@example.org";

fn profile(contact_email: &str) -> OrgProfile {
    OrgProfile {
        legal_name: "ACME Ltd".into(),
        jurisdictions: vec!["DE".into(), "EU".into()],
        sectors: vec!["cloud".into()],
        roles: vec!["vendor".into()],
        partnerships: vec!["coordinator.member".into()],
        recipient_zones: [("coordinator".to_owned(), "Europe/Berlin".to_owned())].into(),
        security_contact: Some(serde_json::json!({"name": "Sec Team", "email": contact_email})),
        updated_at: 0,
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn sealed_fields_hold_no_plaintext_and_cannot_be_moved() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let a = org(&store, "alpha").await;
        let b = org(&store, "bravo").await;
        let actor = Actor::system();
        store
            .put_profile(&actor, &a.id, &profile(MARKER))
            .await
            .unwrap();
        store
            .put_profile(&actor, &b.id, &profile("b@example.org"))
            .await
            .unwrap();

        let back = store
            .get_profile(&actor, &a.id, true)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back.security_contact.unwrap()["email"], MARKER);
        let hidden = store
            .get_profile(&actor, &a.id, false)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hidden.security_contact, None);

        // What the database holds is ciphertext.
        let raw: Vec<u8> =
            sqlx::query("SELECT security_contact FROM org_profiles WHERE org_id = $1")
                .bind(&a.id)
                .fetch_one(store.pool())
                .await
                .unwrap()
                .get(0);
        assert!(!contains(&raw, MARKER));
        if db.backend == vigilo_test_support::Backend::Sqlite {
            let mut bytes = std::fs::read(db.data_dir().join("vigilo.db")).unwrap();
            if let Ok(wal) = std::fs::read(db.data_dir().join("vigilo.db-wal")) {
                bytes.extend(wal);
            }
            assert!(
                contains(&bytes, "ACME Ltd"),
                "the scan does see plaintext columns"
            );
            assert!(
                !contains(&bytes, MARKER),
                "sealed plaintext found in the database file"
            );
        }

        // Move A's ciphertext into B's row: it must not decrypt.
        sqlx::query("UPDATE org_profiles SET security_contact = $1 WHERE org_id = $2")
            .bind(raw)
            .bind(&b.id)
            .execute(store.pool())
            .await
            .unwrap();
        let err = store.get_profile(&actor, &b.id, true).await.unwrap_err();
        assert!(matches!(err, StoreError::Decrypt(_)), "{err}");
    })
    .await;
}

#[tokio::test]
async fn revealing_a_sealed_field_is_audited() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let a = org(&store, "alpha").await;
        let actor = Actor::system();
        store
            .put_profile(&actor, &a.id, &profile(MARKER))
            .await
            .unwrap();
        let count = |store: Store, id: String| async move {
            store
                .audit_events(Some(&id), 0, 1000)
                .await
                .unwrap()
                .iter()
                .filter(|e| e.action == "org_profile.reveal")
                .count()
        };
        store.get_profile(&actor, &a.id, false).await.unwrap();
        assert_eq!(count(store.clone(), a.id.clone()).await, 0);
        store.get_profile(&actor, &a.id, true).await.unwrap();
        assert_eq!(count(store.clone(), a.id.clone()).await, 1);
    })
    .await;
}

#[tokio::test]
async fn a_wrong_kek_is_refused_before_anything_changes() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        org(&store, "alpha").await;
        store.close().await;
        let snapshot = db_state(&db).await;
        let wrong = Key::generate();
        let err = Store::open(&StoreOptions::new(
            db.url.clone(),
            KekSource::Inline(wrong.to_text().to_string()),
        ))
        .await
        .unwrap_err();
        assert!(matches!(err, StoreError::WrongKek { .. }), "{err}");
        assert!(err.to_string().contains("Nothing was changed"));
        assert_eq!(db_state(&db).await, snapshot);

        // Without its key file the hub does not invent a new key.
        let kek_path = db.data_dir().join("keys").join("kek");
        let saved = std::fs::read(&kek_path).unwrap();
        std::fs::remove_file(&kek_path).unwrap();
        let err = Store::open(&StoreOptions::new(db.url.clone(), kek_source(&db)))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("KEK file not found"), "{err}");
        assert!(!kek_path.exists());
        std::fs::write(&kek_path, saved).unwrap();
        open(&db).await;
    })
    .await;
}

/// The database's logical state: schema versions, metadata, audit head and
/// row counts. (File bytes are not comparable: SQLite may fold its WAL into
/// the main file when the last connection closes, which changes no content.)
async fn db_state(db: &vigilo_test_support::TestDb) -> Vec<String> {
    let pool = db.any_pool().await;
    let mut state = Vec::new();
    for sql in [
        "SELECT CAST(count(*) AS BIGINT) FROM _sqlx_migrations",
        "SELECT CAST(count(*) AS BIGINT) FROM audit_events",
        "SELECT CAST(count(*) AS BIGINT) FROM org_keys",
        "SELECT seq FROM audit_head",
    ] {
        let n: i64 = sqlx::query(sql).fetch_one(&pool).await.unwrap().get(0);
        state.push(format!("{sql}: {n}"));
    }
    for r in sqlx::query("SELECT key, value FROM meta ORDER BY key")
        .fetch_all(&pool)
        .await
        .unwrap()
    {
        state.push(format!(
            "{}={}",
            r.get::<String, _>(0),
            r.get::<String, _>(1)
        ));
    }
    pool.close().await;
    state
}

#[tokio::test]
async fn kek_rotation_rewraps_keys_and_retires_the_old_kek() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let a = org(&store, "alpha").await;
        let actor = Actor::system();
        store
            .put_profile(&actor, &a.id, &profile(MARKER))
            .await
            .unwrap();
        let kek_path = db.data_dir().join("keys").join("kek");
        let old_text = std::fs::read_to_string(&kek_path).unwrap();
        let new = Key::generate();
        let n = store
            .rotate_kek(&actor, &new, Some(&kek_path))
            .await
            .unwrap();
        assert_eq!(n, 2, "one organisation data key and the hub signing key");
        store.close().await;
        assert_eq!(
            Key::parse_text(&std::fs::read_to_string(&kek_path).unwrap())
                .unwrap()
                .fingerprint(),
            new.fingerprint()
        );

        let reopened = open(&db).await;
        let p = reopened
            .get_profile(&actor, &a.id, true)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.security_contact.unwrap()["email"], MARKER);
        assert!(reopened.verify_audit(None).await.unwrap().broken.is_none());
        reopened.close().await;

        let err = Store::open(&StoreOptions::new(
            db.url.clone(),
            KekSource::Inline(old_text),
        ))
        .await
        .unwrap_err();
        assert!(matches!(err, StoreError::WrongKek { .. }), "{err}");
    })
    .await;
}

#[tokio::test]
async fn a_rotation_interrupted_after_commit_recovers_the_new_key() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        org(&store, "alpha").await;
        let kek_path = db.data_dir().join("keys").join("kek");
        let old = std::fs::read(&kek_path).unwrap();
        let new = Key::generate();
        store
            .rotate_kek(&Actor::system(), &new, Some(&kek_path))
            .await
            .unwrap();
        store.close().await;
        // Simulate a crash between the commit and the rename.
        let mut next = kek_path.as_os_str().to_owned();
        next.push(".next");
        std::fs::rename(&kek_path, &next).unwrap();
        std::fs::write(&kek_path, old).unwrap();
        let reopened = open(&db).await;
        assert_eq!(
            reopened.backend() == Backend::Sqlite,
            db.backend == vigilo_test_support::Backend::Sqlite
        );
        assert_eq!(
            Key::parse_text(&std::fs::read_to_string(&kek_path).unwrap())
                .unwrap()
                .fingerprint(),
            new.fingerprint()
        );
    })
    .await;
}
