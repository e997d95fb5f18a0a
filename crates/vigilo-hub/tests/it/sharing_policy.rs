//! Nothing leaks: random organisations, sharing groups (open and
//! confidential) and markings; every read path — TAXII objects in every
//! collection, paginated; manifests; single objects and their versions;
//! `/api/sharing/objects` with its counts and search — returns exactly what
//! an independent model of TLP 2.0 allows each organisation (and anonymous
//! callers), and an object one may not see is answered exactly as one that
//! does not exist; on every backend.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::{Method, StatusCode};
use proptest::prelude::*;
use proptest::strategy::ValueTree as _;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};
use vigilo_core::marking::{Marking, Tlp};
use vigilo_store::shared::NewShared;
use vigilo_test_support::for_each_backend;

use crate::support::{Call, Hub};

const ORGS: usize = 4;
const TAXII: &str = "application/taxii+json;version=2.1";

#[derive(Debug, Clone)]
struct Object {
    owner: usize,
    tlp: Tlp,
    groups: BTreeSet<usize>,
    orgs: BTreeSet<usize>,
}

#[derive(Debug, Clone)]
struct Scenario {
    /// (owner, members, confidential)
    groups: Vec<(usize, BTreeSet<usize>, bool)>,
    objects: Vec<Object>,
}

fn tlp() -> impl Strategy<Value = Tlp> {
    prop_oneof![
        Just(Tlp::Clear),
        Just(Tlp::Green),
        Just(Tlp::Amber),
        Just(Tlp::AmberStrict),
        Just(Tlp::Red)
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let group = (
        0..ORGS,
        proptest::collection::btree_set(0..ORGS, 0..ORGS),
        any::<bool>(),
    );
    proptest::collection::vec(group, 1..3).prop_flat_map(|groups| {
        let n = groups.len();
        let object = (
            0..ORGS,
            tlp(),
            proptest::collection::btree_set(0..n, 0..=n),
            proptest::collection::btree_set(0..ORGS, 0..3),
        )
            .prop_map(|(owner, tlp, groups, orgs)| {
                let (groups, orgs) = match tlp {
                    Tlp::Clear => (BTreeSet::new(), BTreeSet::new()),
                    Tlp::Red => (BTreeSet::new(), orgs),
                    _ => (groups, orgs),
                };
                Object {
                    owner,
                    tlp,
                    groups,
                    orgs,
                }
            });
        proptest::collection::vec(object, 4..14).prop_map(move |objects| Scenario {
            groups: groups.clone(),
            objects,
        })
    })
}

/// The model: who may see an object, straight from the TLP 2.0 table in
/// `vigilo_core::marking`'s documentation (written again here, not called).
fn model_sees(s: &Scenario, viewer: Option<usize>, o: &Object) -> bool {
    let Some(v) = viewer else {
        return o.tlp == Tlp::Clear;
    };
    let in_groups = o.groups.iter().any(|g| {
        let (owner, members, _) = &s.groups[*g];
        *owner == v || members.contains(&v)
    });
    let named = o.orgs.contains(&v);
    v == o.owner
        || match o.tlp {
            Tlp::Clear => true,
            Tlp::Green => (o.groups.is_empty() && o.orgs.is_empty()) || in_groups || named,
            Tlp::Amber | Tlp::AmberStrict => in_groups || named,
            Tlp::Red => named,
        }
}

fn stix_id(i: usize) -> String {
    format!("indicator--00000000-0000-4000-8000-{i:012}")
}

async fn get(hub: &Hub, path: &str, token: Option<&str>) -> (StatusCode, Value, String) {
    let mut call = Call::new(Method::GET, path).header("accept", TAXII);
    if let Some(t) = token {
        call = call.authorization(&format!("Token {t}"));
    }
    let r = hub.send(call).await;
    let text = r.text().to_owned();
    (
        r.status,
        serde_json::from_slice(&r.body).unwrap_or(Value::Null),
        text,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_read_path_shows_an_object_its_markings_do_not_allow() {
    let mut runner = TestRunner::deterministic();
    let scenarios: Vec<Scenario> = (0..6)
        .map(|_| scenario().new_tree(&mut runner).unwrap().current())
        .collect();
    for_each_backend(|db| {
        let scenarios = scenarios.clone();
        async move {
            let hub = Hub::new(db).await;
            for (round, s) in scenarios.iter().enumerate() {
                check(&hub, round, s).await;
            }
        }
    })
    .await;
}

async fn check(hub: &Hub, round: usize, s: &Scenario) {
    let mut orgs = Vec::new();
    for i in 0..ORGS {
        orgs.push(hub.org(&format!("p{round}o{i}")).await);
    }
    let mut gids = Vec::new();
    for (owner, members, confidential) in &s.groups {
        let names: Vec<&str> = members
            .iter()
            .filter(|m| *m != owner)
            .map(|m| orgs[*m].name.as_str())
            .collect();
        let g = hub
            .post(
                "/api/sharing/groups",
                &orgs[*owner].admin,
                &json!({"name": format!("g{}", gids.len()), "members": names,
                        "confidential": confidential}),
            )
            .await
            .json(StatusCode::CREATED);
        gids.push(g["id"].as_str().unwrap().to_owned());
    }
    // The objects, each with a unique marker to search for.
    let base = round * 100;
    for (i, o) in s.objects.iter().enumerate() {
        let marker = format!("marker{round}x{i}y");
        let object = json!({
            "type": "indicator", "spec_version": "2.1", "id": stix_id(base + i),
            "created": "2026-10-01T00:00:00.000Z", "modified": "2026-10-01T00:00:00.000Z",
            "pattern": format!("[domain-name:value = '{marker}.example']"),
            "pattern_type": "stix", "valid_from": "2026-10-01T00:00:00Z",
        });
        let marking = Marking {
            tlp: o.tlp,
            groups: o.groups.iter().map(|g| gids[*g].clone()).collect(),
            orgs: o.orgs.iter().map(|x| orgs[*x].id.clone()).collect(),
        };
        hub.store
            .put_shared(
                &vigilo_store::Actor::system(),
                &orgs[o.owner].id,
                "local",
                &[NewShared {
                    id: stix_id(base + i),
                    version: "2026-10-01T00:00:00.000Z".into(),
                    kind: "indicator".into(),
                    spec_version: "2.1".into(),
                    marking,
                    object,
                }],
            )
            .await
            .unwrap();
    }
    let ours: BTreeSet<String> = (0..s.objects.len()).map(|i| stix_id(base + i)).collect();
    let absent_id = "indicator--00000000-0000-4000-8000-999999999999";

    for viewer in (0..ORGS).map(Some).chain([None]) {
        let token = viewer.map(|v| orgs[v].admin.as_str());
        let expected: BTreeSet<String> = s
            .objects
            .iter()
            .enumerate()
            .filter(|(_, o)| model_sees(s, viewer, o))
            .map(|(i, _)| stix_id(base + i))
            .collect();
        let ctx = format!("round {round}, viewer {viewer:?}, scenario {s:?}");

        // TAXII: every collection, paginated by two.
        let (_, colls, _) = get(hub, "/taxii2/api/collections/", token).await;
        let mut seen = BTreeSet::new();
        for c in colls["collections"].as_array().unwrap() {
            let cid = c["id"].as_str().unwrap();
            let mut url = format!("/taxii2/api/collections/{cid}/objects/?limit=2");
            loop {
                let (status, env, text) = get(hub, &url, token).await;
                assert_eq!(status, StatusCode::OK, "{ctx}: {text}");
                for o in env["objects"].as_array().into_iter().flatten() {
                    let id = o["id"].as_str().unwrap().to_owned();
                    if ours.contains(&id) {
                        assert!(
                            expected.contains(&id),
                            "{ctx}: {id} leaked through collection {cid}"
                        );
                        seen.insert(id);
                    }
                }
                match env["next"].as_str() {
                    Some(n) => {
                        url = format!("/taxii2/api/collections/{cid}/objects/?limit=2&next={n}")
                    }
                    None => break,
                }
            }
            let (_, manifest, _) = get(
                hub,
                &format!("/taxii2/api/collections/{cid}/manifest/"),
                token,
            )
            .await;
            for m in manifest["objects"].as_array().into_iter().flatten() {
                let id = m["id"].as_str().unwrap();
                assert!(
                    !ours.contains(id) || expected.contains(id),
                    "{ctx}: {id} leaked through a manifest"
                );
            }
            // An object one may not see answers as one that does not exist.
            let (_, _, absent) = get(
                hub,
                &format!("/taxii2/api/collections/{cid}/objects/{absent_id}/"),
                token,
            )
            .await;
            for id in ours.difference(&expected) {
                for suffix in ["", "versions/"] {
                    let (status, _, text) = get(
                        hub,
                        &format!("/taxii2/api/collections/{cid}/objects/{id}/{suffix}"),
                        token,
                    )
                    .await;
                    assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}: {id} in {cid}");
                    assert_eq!(
                        text.replace(id.as_str(), "ID"),
                        absent.replace(absent_id, "ID"),
                        "{ctx}: the answer for a hidden object differs from an absent one"
                    );
                }
            }
        }
        assert_eq!(seen, expected, "{ctx}: TAXII shows a different set");

        // The API listing, its count and its search.
        if let Some(t) = token {
            let mut listed = BTreeSet::new();
            let mut url = "/api/sharing/objects?limit=3".to_owned();
            loop {
                let page = hub.get(&url, t).await.json(StatusCode::OK);
                assert_eq!(page["count"], page["objects"].as_array().unwrap().len());
                for o in page["objects"].as_array().unwrap() {
                    let id = o["id"].as_str().unwrap().to_owned();
                    if ours.contains(&id) {
                        listed.insert(id);
                    }
                }
                match page["next_after"].as_i64() {
                    Some(n) => url = format!("/api/sharing/objects?limit=3&after={n}"),
                    None => break,
                }
            }
            assert_eq!(
                listed, expected,
                "{ctx}: /api/sharing/objects shows a different set"
            );
            for (i, _) in s.objects.iter().enumerate() {
                let found = hub
                    .get(&format!("/api/sharing/objects?q=marker{round}x{i}y"), t)
                    .await
                    .json(StatusCode::OK);
                let want = usize::from(expected.contains(&stix_id(base + i)));
                assert_eq!(found["count"], want, "{ctx}: search for object {i}");
            }
        }
    }
    // Confidential groups: a member learns of no other member.
    let views: BTreeMap<usize, Value> = {
        let mut m = BTreeMap::new();
        for (i, o) in orgs.iter().enumerate() {
            m.insert(
                i,
                hub.get("/api/sharing/groups", &o.admin)
                    .await
                    .json(StatusCode::OK),
            );
        }
        m
    };
    for (g, (owner, members, confidential)) in s.groups.iter().enumerate() {
        for m in members.iter().filter(|m| *m != owner) {
            let mine = views[m]["groups"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["id"] == gids[g].as_str())
                .unwrap_or_else(|| panic!("member {m} does not see group {g}"));
            let shown: Vec<&str> = mine["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect();
            if *confidential {
                assert_eq!(shown, [orgs[*m].name.as_str()], "round {round}: group {g}");
            }
        }
    }
}
