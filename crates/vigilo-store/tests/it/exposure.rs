//! Exposure findings: recording a match is idempotent, a finding a match no
//! longer raises is resolved (and reopened when raised again), an advisory's
//! arrival owes notices and an upload's match does not, bookkeeping makes
//! re-matching incremental, and every listing is scoped to one
//! organisation; on every backend.

use vigilo_core::inventory::Status;
use vigilo_store::exposure::{ComponentNote, FindingFilter, FindingState, NewFinding};
use vigilo_store::{Actor, AdvisoryRecord, AssetComponent, NewAsset, Store};
use vigilo_test_support::for_each_backend;

use crate::support::{open, org};

const LOG4J: &str = "org.apache.logging.log4j:log4j-core";
const JAR: &str = "app.ear!/lib/x.war!/WEB-INF/lib/log4j-core-2.14.1.jar";

fn actor(org_id: &str) -> Actor {
    Actor {
        actor: "token:test".into(),
        org_id: Some(org_id.into()),
        ..Actor::default()
    }
}

fn inventory(name: &str, log4j: &str) -> NewAsset {
    NewAsset {
        name: name.into(),
        host: "build-01".into(),
        scanned_at: 1_714_641_247_000_000,
        document: r#"{"schema":"vigilo-scan/1"}"#.into(),
        components: vec![
            AssetComponent {
                ecosystem: "PyPI".into(),
                name: "Jinja2".into(),
                version: "2.11.2".into(),
                purl: None,
                path: Some("requirements.txt".into()),
            },
            AssetComponent {
                ecosystem: "Maven".into(),
                name: LOG4J.into(),
                version: log4j.into(),
                purl: Some(format!(
                    "pkg:maven/org.apache.logging.log4j/log4j-core@{log4j}"
                )),
                path: Some(JAR.replace("2.14.1", log4j)),
            },
        ],
    }
}

fn advisory(id: &str, modified: &str) -> AdvisoryRecord {
    AdvisoryRecord {
        id: id.into(),
        modified: modified.into(),
        modified_at: modified
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_microsecond(),
        withdrawn: None,
        summary: Some(format!("summary of {id}")),
        aliases: vec![format!("CVE-{id}")],
        packages: vec![("Maven".into(), LOG4J.into())],
        json: format!(r#"{{"id":"{id}","modified":"{modified}"}}"#),
        source: "test".into(),
    }
}

/// Uploads an asset and records its (empty) whole match, as the hub does.
async fn upload(store: &Store, org_id: &str, asset: &NewAsset) -> (String, i64) {
    let up = store
        .upload_asset(&actor(org_id), org_id, asset)
        .await
        .unwrap();
    store
        .apply_asset_findings(
            &actor(org_id),
            org_id,
            &up.asset.id,
            up.asset.scans,
            &[],
            &[],
        )
        .await
        .unwrap()
        .expect("the current upload");
    (up.asset.id, up.asset.scans)
}

/// What matching the changed advisories against every candidate finds:
/// each log4j-core candidate is affected (the hub's index decides in
/// production; here every version is taken as affected).
async fn rematch(store: &Store) -> vigilo_store::ApplyReport {
    let changed = store.changed_exposure_advisories().await.unwrap();
    let mut found = Vec::new();
    for c in store.exposure_candidates("Maven", LOG4J).await.unwrap() {
        for a in &changed.changed {
            found.push(NewFinding {
                org_id: c.org_id.clone(),
                asset_id: c.asset_id.clone(),
                scans: c.scans,
                advisory_id: a.id.clone(),
                ecosystem: c.component.ecosystem.clone(),
                name: c.component.name.clone(),
                version: c.component.version.clone(),
                purl: c.component.purl.clone(),
                path: c.component.path.clone(),
                status: Status::Affected,
            });
        }
    }
    store
        .apply_advisory_findings(&Actor::system(), &changed.changed, &changed.gone, &found)
        .await
        .unwrap()
}

fn open_of(advisory: &str) -> FindingFilter {
    FindingFilter {
        advisory: Some(advisory.into()),
        ..FindingFilter::default()
    }
}

#[tokio::test]
async fn findings_upsert_idempotently_and_resolve_when_gone() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let (asset, _) = upload(&store, &o.id, &inventory("web-01", "2.14.1")).await;
        assert_eq!(store.exposure_generation().await.unwrap(), 0);

        store
            .import_advisories(
                &Actor::cli(),
                None,
                &[advisory("GHSA-1", "2024-01-01T00:00:00Z")],
            )
            .await
            .unwrap();
        let changed = store.changed_exposure_advisories().await.unwrap();
        assert_eq!(changed.changed.len(), 1);
        assert_eq!(
            changed.changed[0].packages,
            [("Maven".into(), LOG4J.into())]
        );
        assert!(changed.gone.is_empty());

        let first = rematch(&store).await;
        assert_eq!(
            (first.inserted, first.updated, first.notices),
            (1, 0, 1),
            "{first:?}"
        );
        // Matched: nothing changed since.
        assert!(
            store
                .changed_exposure_advisories()
                .await
                .unwrap()
                .changed
                .is_empty()
        );
        let listed = store
            .list_findings(&o.id, &open_of("CVE-GHSA-1"), None, 10)
            .await
            .unwrap();
        assert_eq!(listed.len(), 1, "found by alias too");
        let f = listed[0].clone();
        assert_eq!(f.asset_id, asset);
        assert_eq!(f.asset_name, "web-01");
        assert_eq!(f.advisory_id, "GHSA-1");
        assert_eq!(f.advisory_aliases, ["CVE-GHSA-1"]);
        assert_eq!(f.advisory_summary.as_deref(), Some("summary of GHSA-1"));
        assert_eq!(f.path.as_deref(), Some(JAR));
        assert_eq!(f.version, "2.14.1");
        assert_eq!(f.status, "affected");
        assert_eq!(f.resolved_at, None);
        assert_eq!(f.first_seen, f.last_seen);

        // The same match again: the same finding, seen again, no new notice.
        let changed = store.changed_exposure_advisories().await.unwrap();
        let again = store
            .apply_advisory_findings(
                &Actor::system(),
                &[],
                &[],
                &[NewFinding {
                    org_id: o.id.clone(),
                    asset_id: asset.clone(),
                    scans: 1,
                    advisory_id: "GHSA-1".into(),
                    ecosystem: "Maven".into(),
                    name: LOG4J.into(),
                    version: "2.14.1".into(),
                    purl: f.purl.clone(),
                    path: f.path.clone(),
                    status: Status::Affected,
                }],
            )
            .await
            .unwrap();
        assert!(changed.changed.is_empty());
        assert_eq!(again.stale, 1, "not among the advisories matched: dropped");
        store
            .import_advisories(
                &Actor::cli(),
                None,
                &[advisory("GHSA-1", "2024-02-01T00:00:00Z")],
            )
            .await
            .unwrap();
        let again = rematch(&store).await;
        assert_eq!(
            (again.inserted, again.updated, again.notices, again.resolved),
            (0, 1, 0, 0),
            "{again:?}"
        );
        let listed = store
            .list_findings(&o.id, &FindingFilter::default(), None, 10)
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, f.id, "one finding, the same id");
        assert_eq!(listed[0].first_seen, f.first_seen);
        assert!(listed[0].last_seen >= f.last_seen);

        // The notice is owed once.
        let notices = store.pending_exposure_notices(10).await.unwrap();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].finding.id, f.id);
        store
            .clear_exposure_notice(&f.id, notices[0].finding.opened_at)
            .await
            .unwrap();
        assert!(store.pending_exposure_notices(10).await.unwrap().is_empty());

        // Re-uploaded with the fixed version: until it is matched, re-matching
        // leaves it alone; its whole match resolves the finding.
        let up = store
            .upload_asset(&actor(&o.id), &o.id, &inventory("web-01", "2.17.1"))
            .await
            .unwrap();
        assert_eq!(up.asset.scans, 2);
        let stale = store.stale_exposure_assets(10).await.unwrap();
        assert_eq!(stale.len(), 1);
        assert_eq!(
            (stale[0].asset_id.as_str(), stale[0].scans),
            (asset.as_str(), 2)
        );
        assert!(
            store
                .exposure_candidates("Maven", LOG4J)
                .await
                .unwrap()
                .is_empty()
        );
        // A match of the replaced upload is refused.
        assert_eq!(
            store
                .apply_asset_findings(&actor(&o.id), &o.id, &asset, 1, &[], &[])
                .await
                .unwrap(),
            None
        );
        let report = store
            .apply_asset_findings(&actor(&o.id), &o.id, &asset, 2, &[], &[])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(report.resolved, 1, "{report:?}");
        assert!(store.stale_exposure_assets(10).await.unwrap().is_empty());
        assert!(
            store
                .list_findings(&o.id, &FindingFilter::default(), None, 10)
                .await
                .unwrap()
                .is_empty(),
            "no open finding"
        );
        let resolved = store
            .list_findings(
                &o.id,
                &FindingFilter {
                    state: FindingState::Resolved,
                    ..FindingFilter::default()
                },
                None,
                10,
            )
            .await
            .unwrap();
        assert_eq!(resolved.len(), 1);
        assert_eq!(resolved[0].id, f.id);
        assert!(resolved[0].resolved_at.is_some());

        // Back to the vulnerable version: the same finding reopens, with a
        // mitigation noted on its component; an upload's match owes no notice.
        let up = store
            .upload_asset(&actor(&o.id), &o.id, &inventory("web-01", "2.14.1"))
            .await
            .unwrap();
        let note = ComponentNote {
            seq: 2,
            version_range: None,
            mitigated: vec!["CVE-GHSA-1".into()],
        };
        let report = store
            .apply_asset_findings(
                &actor(&o.id),
                &o.id,
                &asset,
                up.asset.scans,
                std::slice::from_ref(&note),
                &[NewFinding {
                    org_id: o.id.clone(),
                    asset_id: asset.clone(),
                    scans: up.asset.scans,
                    advisory_id: "GHSA-1".into(),
                    ecosystem: "Maven".into(),
                    name: LOG4J.into(),
                    version: "2.14.1".into(),
                    purl: f.purl.clone(),
                    path: f.path.clone(),
                    status: Status::Mitigated,
                }],
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!((report.reopened, report.notices), (1, 0), "{report:?}");
        let candidates = store.exposure_candidates("Maven", LOG4J).await.unwrap();
        assert_eq!(candidates.len(), 1);
        assert_eq!(candidates[0].note.as_ref(), Some(&note));
        let open = store
            .list_findings(
                &o.id,
                &FindingFilter {
                    state: FindingState::Status(Status::Mitigated),
                    ..FindingFilter::default()
                },
                None,
                10,
            )
            .await
            .unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].id, f.id);
        assert!(store.pending_exposure_notices(10).await.unwrap().is_empty());

        // The generation marker only moves forward.
        store.set_exposure_generation(5).await.unwrap();
        store.set_exposure_generation(3).await.unwrap();
        assert_eq!(store.exposure_generation().await.unwrap(), 5);

        // Each match was audited.
        let events = store.audit_events(None, 0, 1000).await.unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"exposure.match"), "{actions:?}");
        assert!(actions.contains(&"exposure.rematch"), "{actions:?}");
    })
    .await;
}

#[tokio::test]
async fn findings_are_per_organisation() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let a = org(&store, "alpha").await;
        let b = org(&store, "beta").await;
        let (asset_a, _) = upload(&store, &a.id, &inventory("web-a", "2.14.1")).await;
        let (asset_b, _) = upload(&store, &b.id, &inventory("web-b", "2.14.1")).await;
        store
            .import_advisories(
                &Actor::cli(),
                None,
                &[advisory("GHSA-2", "2024-01-01T00:00:00Z")],
            )
            .await
            .unwrap();
        let report = rematch(&store).await;
        assert_eq!(report.inserted, 2, "{report:?}");

        for (o, mine, theirs) in [(&a, &asset_a, &asset_b), (&b, &asset_b, &asset_a)] {
            let all = FindingFilter {
                state: FindingState::All,
                ..FindingFilter::default()
            };
            let listed = store.list_findings(&o.id, &all, None, 100).await.unwrap();
            assert_eq!(listed.len(), 1);
            assert_eq!(&listed[0].asset_id, mine);
            assert!(listed.iter().all(|f| f.org_id == o.id));
            let by_advisory = store
                .findings_of_advisories(&o.id, &all, &["GHSA-2".into()])
                .await
                .unwrap();
            assert_eq!(by_advisory.len(), 1);
            assert_eq!(&by_advisory[0].asset_id, mine);
            assert_eq!(
                store
                    .list_exposed_advisories(&o.id, &all, None, 100)
                    .await
                    .unwrap(),
                ["GHSA-2"]
            );
            // The other organisation's asset, asked for by id: nothing.
            let foreign = FindingFilter {
                asset: Some(theirs.clone()),
                ..all.clone()
            };
            assert!(
                store
                    .list_findings(&o.id, &foreign, None, 100)
                    .await
                    .unwrap()
                    .is_empty()
            );
            assert!(
                store
                    .list_exposed_advisories(&o.id, &foreign, None, 100)
                    .await
                    .unwrap()
                    .is_empty()
            );
        }
    })
    .await;
}
