//! Assets: upload in one transaction, replacement on re-upload, organisation
//! scoping, paging, lookups by package key, validation, and the audit event.

use vigilo_store::{Actor, AssetComponent, NewAsset, StoreError};
use vigilo_test_support::for_each_backend;

use crate::support::{open, org};

fn component(ecosystem: &str, name: &str, version: &str) -> AssetComponent {
    AssetComponent {
        ecosystem: ecosystem.into(),
        name: name.into(),
        version: version.into(),
        purl: None,
        path: Some(format!("lib/{name}-{version}")),
    }
}

fn upload(name: &str, components: Vec<AssetComponent>) -> NewAsset {
    NewAsset {
        name: name.into(),
        host: "build-01".into(),
        scanned_at: 1_714_641_247_000_000,
        document: r#"{"schema":"vigilo-scan/1"}"#.into(),
        components,
    }
}

fn actor(org_id: &str) -> Actor {
    Actor {
        actor: "token:test".into(),
        org_id: Some(org_id.into()),
        ..Actor::default()
    }
}

#[tokio::test]
async fn upload_round_trip_and_replacement() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let mut first = upload(
            " web-01 ",
            vec![
                component("PyPI", "Jinja2", "2.11.2"),
                component("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"),
                component("Debian:12", "OpenSSL", "3.0.11-1~deb12u2"),
            ],
        );
        first.components[0].purl = Some("pkg:pypi/jinja2@2.11.2".into());
        let up = store
            .upload_asset(&actor(&o.id), &o.id, &first)
            .await
            .unwrap();
        assert!(up.created);
        assert_eq!(up.replaced, 0);
        assert_eq!(up.asset.name, "web-01", "the name is trimmed");
        assert_eq!(up.asset.component_count, 3);
        assert_eq!(up.asset.scans, 1);
        assert_eq!(up.asset.uploaded_by, "token:test");
        let id = up.asset.id.clone();
        assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);

        let listed = store.list_assets(&o.id).await.unwrap();
        assert_eq!(listed, vec![up.asset.clone()]);
        assert_eq!(store.asset(&o.id, &id).await.unwrap(), Some(up.asset));
        let comps = store.asset_components(&o.id, &id, 0, 100).await.unwrap();
        assert_eq!(
            comps.iter().map(|c| c.seq).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(comps[0].name, "Jinja2", "kept as given");
        assert_eq!(comps[0].key_name, "jinja2", "normalised for lookups");
        assert_eq!(comps[0].purl.as_deref(), Some("pkg:pypi/jinja2@2.11.2"));
        assert_eq!(comps[0].path.as_deref(), Some("lib/Jinja2-2.11.2"));
        assert_eq!(comps[2].ecosystem, "Debian:12");
        assert_eq!(comps[2].key_ecosystem, "Debian");
        assert_eq!(comps[2].key_name, "openssl");
        assert_eq!(
            store.asset_document(&o.id, &id).await.unwrap().as_deref(),
            Some(r#"{"schema":"vigilo-scan/1"}"#)
        );
        // Paging by seq.
        let page = store.asset_components(&o.id, &id, 1, 1).await.unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].seq, 2);

        // A re-upload of the same name replaces the inventory, keeps the id.
        let mut second = upload("web-01", vec![component("npm", "lodash", "4.17.20")]);
        second.host = "web-01.example".into();
        second.document = r#"{"schema":"vigilo-scan/1","n":2}"#.into();
        let again = store
            .upload_asset(&actor(&o.id), &o.id, &second)
            .await
            .unwrap();
        assert!(!again.created);
        assert_eq!(again.replaced, 3);
        assert_eq!(again.asset.id, id);
        assert_eq!(again.asset.scans, 2);
        assert_eq!(again.asset.component_count, 1);
        assert_eq!(again.asset.host, "web-01.example");
        let comps = store.asset_components(&o.id, &id, 0, 100).await.unwrap();
        assert_eq!(comps.len(), 1);
        assert_eq!((comps[0].seq, comps[0].name.as_str()), (1, "lodash"));
        assert!(
            store
                .components_with_package("PyPI", "jinja2")
                .await
                .unwrap()
                .is_empty(),
            "the replaced components are gone"
        );
        assert_eq!(
            store.asset_document(&o.id, &id).await.unwrap().as_deref(),
            Some(r#"{"schema":"vigilo-scan/1","n":2}"#)
        );
        assert_eq!(store.list_assets(&o.id).await.unwrap().len(), 1);

        // Each upload is audited with its counts, for its organisation.
        let events = store.audit_events(Some(&o.id), 0, 1000).await.unwrap();
        let uploads: Vec<_> = events
            .iter()
            .filter(|e| e.action == "asset.upload")
            .collect();
        assert_eq!(uploads.len(), 2);
        assert_eq!(uploads[0].object, format!("asset:{id}"));
        assert_eq!(uploads[0].actor, "token:test");
        let detail: serde_json::Value =
            serde_json::from_str(uploads[1].detail.as_deref().unwrap()).unwrap();
        assert_eq!(detail["components"], 1);
        assert_eq!(detail["replaced"], 3);
        assert_eq!(detail["scans"], 2);
        assert_eq!(detail["created"], false);
        assert!(store.verify_audit(None).await.unwrap().broken.is_none());
    })
    .await;
}

#[tokio::test]
async fn assets_are_scoped_to_their_organisation() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let a = org(&store, "alpha").await;
        let b = org(&store, "bravo").await;
        let pkg = vec![component("PyPI", "requests", "2.0.0")];
        let ua = store
            .upload_asset(&actor(&a.id), &a.id, &upload("shared-name", pkg.clone()))
            .await
            .unwrap();
        let ub = store
            .upload_asset(&actor(&b.id), &b.id, &upload("shared-name", pkg))
            .await
            .unwrap();
        // The same name in two organisations is two assets.
        assert!(ua.created && ub.created);
        assert_ne!(ua.asset.id, ub.asset.id);
        assert_eq!(store.asset(&b.id, &ua.asset.id).await.unwrap(), None);
        assert!(
            store
                .asset_components(&b.id, &ua.asset.id, 0, 100)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store.asset_document(&b.id, &ua.asset.id).await.unwrap(),
            None
        );
        let listed = store.list_assets(&b.id).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, ub.asset.id);
        // Re-matching reads across organisations, by package key.
        let hits = store
            .components_with_package("PyPI", "Requests")
            .await
            .unwrap();
        let mut orgs: Vec<_> = hits.iter().map(|h| h.org_id.clone()).collect();
        orgs.sort();
        let mut want = vec![a.id.clone(), b.id.clone()];
        want.sort();
        assert_eq!(orgs, want);
        assert!(hits.iter().all(|h| h.asset_name == "shared-name"));
    })
    .await;
}

#[tokio::test]
async fn lookups_use_the_package_key() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let up = store
            .upload_asset(
                &actor(&o.id),
                &o.id,
                &upload(
                    "host",
                    vec![
                        component("PyPI", "Zope.Interface", "5.0"),
                        component("Debian:12", "libssl3", "3.0.11"),
                        component("Debian:11", "libssl3", "1.1.1"),
                        component("npm", "Lodash", "4.0.0"),
                    ],
                ),
            )
            .await
            .unwrap();
        let names = |hits: Vec<vigilo_store::ComponentHit>| {
            hits.into_iter()
                .map(|h| {
                    assert_eq!(h.asset_id, up.asset.id);
                    format!(
                        "{}/{}@{}",
                        h.component.ecosystem, h.component.name, h.component.version
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(
                store
                    .components_with_package("PyPI", "zope-interface")
                    .await
                    .unwrap()
            ),
            ["PyPI/Zope.Interface@5.0"]
        );
        // A release-specific advisory finds every release's components.
        assert_eq!(
            names(
                store
                    .components_with_package("Debian:12", "libssl3")
                    .await
                    .unwrap()
            ),
            ["Debian:12/libssl3@3.0.11", "Debian:11/libssl3@1.1.1"]
        );
        // npm names are case-sensitive.
        assert!(
            store
                .components_with_package("npm", "lodash")
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn many_components_are_stored_in_batches() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let comps: Vec<_> = (0..1234)
            .map(|i| component("crates.io", &format!("crate_{i}"), "1.0.0"))
            .collect();
        let up = store
            .upload_asset(&actor(&o.id), &o.id, &upload("big", comps))
            .await
            .unwrap();
        assert_eq!(up.asset.component_count, 1234);
        let mut seen = 0;
        let mut after = 0;
        loop {
            let page = store
                .asset_components(&o.id, &up.asset.id, after, 500)
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            for (k, c) in page.iter().enumerate() {
                assert_eq!(c.seq, after + 1 + k as i64);
                assert_eq!(c.key_name, format!("crate-{}", c.seq - 1));
            }
            after = last.seq;
            seen += page.len();
        }
        assert_eq!(seen, 1234);
    })
    .await;
}

#[tokio::test]
async fn invalid_uploads_store_nothing() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let before = store.audit_events(None, 0, 10_000).await.unwrap().len();
        let cases = [
            (upload("  ", vec![]), "name"),
            (upload(&"x".repeat(256), vec![]), "name"),
            (upload("bad\nname", vec![]), "name"),
            (
                upload("a", vec![component("PyPI", "", "1.0")]),
                "components",
            ),
            (
                upload("a", vec![component("PyPI", "ok", "1.0\0")]),
                "components",
            ),
            (
                NewAsset {
                    host: "h\0".into(),
                    ..upload("a", vec![])
                },
                "host",
            ),
        ];
        for (asset, field) in cases {
            let err = store
                .upload_asset(&actor(&o.id), &o.id, &asset)
                .await
                .unwrap_err();
            match err {
                StoreError::InvalidField { field: f, .. } => assert_eq!(f, field, "{asset:?}"),
                other => panic!("expected an invalid {field}, got {other}"),
            }
        }
        // A NUL in a valid component list's last entry fails the whole upload.
        let mut comps = vec![component("PyPI", "fine", "1.0"); 3];
        comps.push(component("PyPI", "bad\0", "1.0"));
        assert!(
            store
                .upload_asset(&actor(&o.id), &o.id, &upload("a", comps))
                .await
                .is_err()
        );
        assert!(store.list_assets(&o.id).await.unwrap().is_empty());
        assert_eq!(
            store.audit_events(None, 0, 10_000).await.unwrap().len(),
            before
        );
        // An unknown organisation.
        let err = store
            .upload_asset(&Actor::system(), "no-such-org", &upload("a", vec![]))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    })
    .await;
}
