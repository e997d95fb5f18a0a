//! Federation between hubs on loopback: published on A, an object reaches B
//! at B's next pull with its marking; revoked on A, it is gone from B's
//! listings; TLP:RED addressed to C never reaches B; a suspended partner
//! receives nothing and what it sends is quarantined until released; a
//! repeated pull stores nothing twice; on every backend.

use std::net::SocketAddr;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use vigilo_test_support::{TestDb, for_each_backend};

use crate::support::{Call, Hub, OrgFixture};

const TAXII: &str = "application/taxii+json;version=2.1";
const COMMUNITY: &str = "e496ccc3-efb2-4f61-af43-18c0a63f95fe";
const DIRECT: &str = "f90e97e9-5531-4a72-9a0b-cc417ceefc09";
const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";

fn serve(hub: &Hub, listener: tokio::net::TcpListener) {
    let app = hub
        .router
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
}

fn indicator(n: u32, modified: &str, extra: Value) -> Value {
    let mut o = json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--5d2f8a54-1c3e-4c1f-9d5a-{n:012}"),
        "created": "2026-10-01T00:00:00.000Z", "modified": modified,
        "pattern": format!("[domain-name:value = 'cb{n}.example']"), "pattern_type": "stix",
        "valid_from": "2026-10-01T00:00:00Z",
    });
    if let (Some(o), Some(e)) = (o.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            o.insert(k.clone(), v.clone());
        }
    }
    o
}

async fn post(hub: &Hub, coll: &str, token: &str, objects: Vec<Value>) -> Value {
    let r = hub
        .send(
            Call::new(
                Method::POST,
                &format!("/taxii2/api/collections/{coll}/objects/"),
            )
            .header("accept", TAXII)
            .authorization(&format!("Token {token}"))
            .raw(Some(TAXII), json!({"objects": objects}).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    serde_json::from_slice(&r.body).unwrap()
}

/// The API root a partner of B's was registered with.
async fn partners_root(b: &Hub, org: &OrgFixture, pid: &str) -> String {
    let list = b
        .get("/api/partners", &org.admin)
        .await
        .json(StatusCode::OK);
    list["partners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == pid)
        .unwrap()["api_root"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn listed(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// Hub A served on loopback (its publisher, B's account there, C), and hub
/// B with its organisation and A registered as a partner it pulls.
async fn setup(
    db: TestDb,
) -> (
    Hub,
    OrgFixture,
    OrgFixture,
    OrgFixture,
    Hub,
    OrgFixture,
    String,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let a = Hub::new(db).await;
    serve(&a, listener);
    let publisher = a.org("publisher").await;
    let b_there = a.org("b-account").await;
    let c = a.org("gamma").await;
    let b = Hub::new(TestDb::new(a.db.backend).await).await;
    let b_org = b.org("beta").await;
    let key = a
        .send(Call::new(Method::GET, "/api/hub/key"))
        .await
        .json(StatusCode::OK)["key"]
        .clone();
    let partner = b
        .post(
            "/api/partners",
            &b_org.admin,
            &json!({"name": "Hub A", "api_root": format!("{url}/taxii2/api/"),
                    "collections": [COMMUNITY, DIRECT], "token": b_there.admin,
                    "direction": "pull", "public_key": key}),
        )
        .await
        .json(StatusCode::CREATED);
    assert_eq!(partner["status"], "active");
    assert_eq!(partner["has_token"], true);
    let pid = partner["id"].as_str().unwrap().to_owned();
    (a, publisher, b_there, c, b, b_org, pid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_on_a_it_reaches_b_with_its_marking_and_revoked_it_goes() {
    for_each_backend(|db| async move {
        let (a, publisher, b_there, c, b, b_org, pid) = setup(db).await;
        // A: one GREEN object for the community, one RED to C only.
        post(
            &a,
            COMMUNITY,
            &publisher.admin,
            vec![indicator(1, "2026-10-01T00:00:00.000Z", json!({}))],
        )
        .await;
        a.store
            .put_shared(
                &vigilo_store::Actor::system(),
                &publisher.id,
                "local",
                &[vigilo_store::shared::NewShared {
                    id: "indicator--5d2f8a54-1c3e-4c1f-9d5a-000000000099".into(),
                    version: "2026-10-01T00:00:00.000Z".into(),
                    kind: "indicator".into(),
                    spec_version: "2.1".into(),
                    marking: vigilo_core::marking::Marking {
                        orgs: [c.id.clone()].into(),
                        ..vigilo_core::marking::Marking::tlp(vigilo_core::marking::Tlp::Red)
                    },
                    object: indicator(99, "2026-10-01T00:00:00.000Z", json!({})),
                }],
            )
            .await
            .unwrap();

        let report = b
            .post(
                &format!("/api/partners/{pid}/sync"),
                &b_org.admin,
                &json!({}),
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(report["errors"], json!([]), "{report}");
        assert_eq!(report["stored"], 1, "{report}");
        let seen = b
            .get("/api/sharing/objects", &b_org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(
            listed(&seen),
            ["indicator--5d2f8a54-1c3e-4c1f-9d5a-000000000001"],
            "RED to C never reaches B"
        );
        assert_eq!(
            seen["objects"][0]["tlp"], "TLP:GREEN",
            "the marking travels"
        );
        assert!(
            seen["objects"][0]["object"]["object_marking_refs"]
                .as_array()
                .unwrap()
                .contains(&json!(GREEN))
        );

        // Pulling again stores nothing twice.
        let again = b
            .post(
                &format!("/api/partners/{pid}/sync"),
                &b_org.admin,
                &json!({}),
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(again["stored"], 0, "{again}");

        // Revoked on A: gone from B's listing after the next pull.
        post(
            &a,
            COMMUNITY,
            &publisher.admin,
            vec![indicator(
                1,
                "2026-10-02T00:00:00.000Z",
                json!({"revoked": true}),
            )],
        )
        .await;
        let r = b
            .post(
                &format!("/api/partners/{pid}/sync"),
                &b_org.admin,
                &json!({}),
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(r["stored"], 1, "{r}");
        let seen = b
            .get("/api/sharing/objects", &b_org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(seen["count"], 0, "a revoked object is not listed: {seen}");

        // Deleted on A: a signed tombstone deletes B's copy at the next pull.
        let two = "indicator--5d2f8a54-1c3e-4c1f-9d5a-000000000002";
        post(
            &a,
            COMMUNITY,
            &publisher.admin,
            vec![indicator(2, "2026-10-01T00:00:00.000Z", json!({}))],
        )
        .await;
        b.post(
            &format!("/api/partners/{pid}/sync"),
            &b_org.admin,
            &json!({}),
        )
        .await
        .json(StatusCode::OK);
        let seen = b
            .get("/api/sharing/objects", &b_org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(listed(&seen), [two]);
        let path = format!("/taxii2/api/collections/{COMMUNITY}/objects/{two}/");
        let r = a
            .send(
                Call::new(Method::DELETE, &path)
                    .header("accept", TAXII)
                    .authorization(&format!("Token {}", publisher.admin)),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        // A partner with no pinned key: the tombstone is refused.
        let root = partners_root(&b, &b_org, &pid).await;
        let unpinned = b
            .post(
                "/api/partners",
                &b_org.admin,
                &json!({"name": "Hub A, unpinned", "api_root": root, "collections": [COMMUNITY],
                        "token": b_there.admin, "direction": "pull"}),
            )
            .await
            .json(StatusCode::CREATED);
        let uid = unpinned["id"].as_str().unwrap();
        let r = b
            .post(
                &format!("/api/partners/{uid}/sync"),
                &b_org.admin,
                &json!({}),
            )
            .await
            .json(StatusCode::OK);
        assert!(
            r["rejected"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m.as_str().unwrap().contains("no key is pinned")),
            "{r}"
        );
        assert_eq!(r["deleted"], 0);
        // The pinned partner's tombstone verifies: B's copy goes.
        let r = b
            .post(
                &format!("/api/partners/{pid}/sync"),
                &b_org.admin,
                &json!({}),
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(r["deleted"], 1, "{r}");
        let seen = b
            .get("/api/sharing/objects", &b_org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(seen["count"], 0, "deleted on A, gone from B: {seen}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_partner_gets_nothing_and_what_it_sends_is_quarantined() {
    for_each_backend(|db| async move {
        let (a, publisher, b_there, c, b, b_org, pid) = setup(db).await;
        post(&a, COMMUNITY, &publisher.admin, vec![indicator(1, "2026-10-01T00:00:00.000Z", json!({}))]).await;
        // A's operator keeps the registry: B's account there is partner B.
        let on_a = a
            .post(
                "/api/partners",
                &a.operator,
                &json!({"name": "Hub B", "api_root": "http://127.0.0.1:9/taxii2/api/",
                        "direction": "push", "local_org": b_there.name}),
            )
            .await
            .json(StatusCode::CREATED);
        let b_on_a = on_a["id"].as_str().unwrap();
        // Only the operator may name a local account.
        a.post(
            "/api/partners",
            &publisher.admin,
            &json!({"name": "x", "api_root": "http://127.0.0.1:9/taxii2/api/",
                    "direction": "pull", "local_org": c.name}),
        )
        .await
        .problem(StatusCode::FORBIDDEN);
        // Suspended for six months, with a reason.
        let review = (jiff::Zoned::now().date() + jiff::Span::new().months(6)).to_string();
        let s = a
            .post(
                &format!("/api/partners/{b_on_a}/status"),
                &a.operator,
                &json!({"action": "suspend", "reason": "did not report CVE-2021-44228 to us", "review_date": review}),
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(s["status"], "suspended");
        assert_eq!(s["review_date"], review.as_str());
        // Reinstating before the review date is refused, saying why.
        let p = a
            .post(&format!("/api/partners/{b_on_a}/status"), &a.operator, &json!({"action": "reinstate", "reason": "early"}))
            .await
            .problem(StatusCode::CONFLICT);
        assert!(p["detail"].as_str().unwrap().contains(&review), "{p}");

        // B pulls: nothing comes.
        let report = b.post(&format!("/api/partners/{pid}/sync"), &b_org.admin, &json!({})).await.json(StatusCode::OK);
        assert_eq!(report["stored"], 0, "{report}");
        assert_eq!(b.get("/api/sharing/objects", &b_org.admin).await.json(StatusCode::OK)["count"], 0);
        // What B sends to A is held: C does not see it; the operator lists it.
        post(&a, COMMUNITY, &b_there.admin, vec![indicator(7, "2026-10-01T00:00:00.000Z", json!({}))]).await;
        let for_c = a.get("/api/sharing/objects", &c.admin).await.json(StatusCode::OK);
        assert_eq!(listed(&for_c), ["indicator--5d2f8a54-1c3e-4c1f-9d5a-000000000001"]);
        let held = a.get(&format!("/api/partners/{b_on_a}/quarantine"), &a.operator).await.json(StatusCode::OK);
        assert_eq!(held["count"], 1);
        let released = a.post(&format!("/api/partners/{b_on_a}/quarantine/release"), &a.operator, &json!({})).await.json(StatusCode::OK);
        assert_eq!(released["released"], 1);
        let for_c = a.get("/api/sharing/objects", &c.admin).await.json(StatusCode::OK);
        assert_eq!(for_c["count"], 2);

        // Every change is audited.
        let audit = a.get("/api/audit?limit=1000", &a.operator).await.json(StatusCode::OK);
        let actions: Vec<&str> = audit["events"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
        for want in ["partner.create", "partner.suspend", "shared.release"] {
            assert!(actions.contains(&want), "{want} not audited: {actions:?}");
        }
        // Revoked: for good.
        a.post(&format!("/api/partners/{b_on_a}/status"), &a.operator, &json!({"action": "revoke", "reason": "membership ended"}))
            .await
            .json(StatusCode::OK);
        a.post(&format!("/api/partners/{b_on_a}/status"), &a.operator, &json!({"action": "reinstate", "reason": "x"}))
            .await
            .problem(StatusCode::CONFLICT);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pushes_to_b_what_bs_account_may_see_and_nothing_else() {
    for_each_backend(|db| async move {
        // B is served; A pushes into B's community collection.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let b_url = format!("http://{}", listener.local_addr().unwrap());
        let b = Hub::new(db).await;
        serve(&b, listener);
        let a_there = b.org("a-account").await;
        let reader = b.org("reader").await;
        let a = Hub::new(TestDb::new(b.db.backend).await).await;
        let publisher = a.org("publisher").await;
        let b_here = a.org("b-account").await;
        let other = a.org("other").await;
        post(
            &a,
            COMMUNITY,
            &publisher.admin,
            vec![indicator(11, "2026-10-01T00:00:00.000Z", json!({}))],
        )
        .await;
        // RED to another organisation of A: B's account may not see it.
        a.store
            .put_shared(
                &vigilo_store::Actor::system(),
                &publisher.id,
                "local",
                &[vigilo_store::shared::NewShared {
                    id: "indicator--5d2f8a54-1c3e-4c1f-9d5a-000000000012".into(),
                    version: "2026-10-01T00:00:00.000Z".into(),
                    kind: "indicator".into(),
                    spec_version: "2.1".into(),
                    marking: vigilo_core::marking::Marking {
                        orgs: [other.id.clone()].into(),
                        ..vigilo_core::marking::Marking::tlp(vigilo_core::marking::Tlp::Red)
                    },
                    object: indicator(12, "2026-10-01T00:00:00.000Z", json!({})),
                }],
            )
            .await
            .unwrap();
        let partner = a
            .post(
                "/api/partners",
                &a.operator,
                &json!({"name": "Hub B", "api_root": format!("{b_url}/taxii2/api/"),
                        "collections": [COMMUNITY], "token": a_there.admin,
                        "direction": "push", "local_org": b_here.name}),
            )
            .await
            .json(StatusCode::CREATED);
        let pid = partner["id"].as_str().unwrap();
        let r = a
            .post(
                &format!("/api/partners/{pid}/push"),
                &a.operator,
                &json!({}),
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(r["errors"], json!([]), "{r}");
        assert_eq!(r["sent"], 1, "{r}");
        assert_eq!(r["accepted"], 1, "{r}");
        let seen = b
            .get("/api/sharing/objects", &reader.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(
            listed(&seen),
            ["indicator--5d2f8a54-1c3e-4c1f-9d5a-000000000011"]
        );
        // Nothing new: nothing sent again.
        let again = a
            .post(
                &format!("/api/partners/{pid}/push"),
                &a.operator,
                &json!({}),
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(again["sent"], 0, "{again}");
    })
    .await;
}
