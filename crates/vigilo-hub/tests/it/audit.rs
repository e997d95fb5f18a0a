//! The audit API and the auditing of sensitive reads.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use vigilo_test_support::for_each_backend;

use crate::support::{Call, Hub, marker};

/// All of an organisation's audit events straight from the store (no API
/// read, so nothing is appended).
async fn stored_actions(hub: &Hub, org_id: &str) -> Vec<String> {
    hub.store
        .audit_events(Some(org_id), 0, 10_000)
        .await
        .expect("read audit events")
        .into_iter()
        .map(|e| e.action)
        .collect()
}

fn events(page: &Value) -> &Vec<Value> {
    page["events"].as_array().expect("an events array")
}

#[tokio::test]
async fn an_org_admin_reads_its_own_audit_log() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let a = hub.org("audita").await;
        let b = hub.org("auditb").await;
        for (org, who) in [(&a, "a"), (&b, "b")] {
            hub.post(
                "/api/users",
                &org.admin,
                &json!({"email": format!("{who}-{}@example.org", marker()), "display_name": who, "role": "reader"}),
            )
            .await
            .json(StatusCode::CREATED);
            hub.token_with_role(&org.admin, "reader").await;
        }
        // An event whose request id is chosen by the client.
        let rid = format!("req-{}", marker());
        let r = hub
            .send(
                Call::new(Method::POST, "/api/tokens")
                    .bearer(&a.admin)
                    .header("x-request-id", &rid)
                    .json(&json!({"name": "traced", "role": "reader"})),
            )
            .await;
        r.json(StatusCode::CREATED);
        assert_eq!(r.headers["x-request-id"], rid.as_str());

        let first = hub
            .get("/api/audit?limit=1000", &a.admin)
            .await
            .json(StatusCode::OK);
        let evs = events(&first);
        assert!(evs.iter().all(|e| e["org_id"] == a.id.as_str()), "{first}");
        let text = first.to_string();
        for other in [&b.id, &b.name, &b.admin_token_id] {
            assert!(!text.contains(other.as_str()), "{other} in {text}");
        }
        let actions: Vec<&str> = evs.iter().map(|e| e["action"].as_str().unwrap()).collect();
        for want in ["org.create", "token.create", "user.create"] {
            assert!(actions.contains(&want), "{want} missing: {actions:?}");
        }
        assert_eq!(first["next_after"], Value::Null, "one page holds them all");
        let created = evs.iter().find(|e| e["action"] == "org.create").unwrap();
        assert_eq!(created["actor"], format!("token:{}", hub.operator_token_id));
        assert_eq!(created["object"], format!("org:{}", a.id));
        let traced = evs
            .iter()
            .find(|e| e["request_id"] == rid.as_str())
            .expect("the traced event");
        assert_eq!(traced["action"], "token.create");
        assert_eq!(traced["actor"], format!("token:{}", a.admin_token_id));
        assert_eq!(traced["source"], "::1");
        assert!(evs.windows(2).all(|w| w[0]["seq"].as_i64() < w[1]["seq"].as_i64()));
        for e in evs {
            assert_eq!(e["hash"].as_str().unwrap().len(), 64, "{e}");
            assert_eq!(e["prev_hash"].as_str().unwrap().len(), 64, "{e}");
        }

        // The read itself was recorded, and shows in the next read.
        let second = hub
            .get("/api/audit?limit=1000", &a.admin)
            .await
            .json(StatusCode::OK);
        let evs2 = events(&second);
        assert_eq!(evs2.len(), evs.len() + 1);
        assert_eq!(&evs2[..evs.len()], &evs[..]);
        let read = evs2.last().unwrap();
        assert_eq!(read["action"], "audit.read");
        assert_eq!(read["actor"], format!("token:{}", a.admin_token_id));
        assert_eq!(read["object"], format!("audit:{}", a.id));
        assert_eq!(read["detail"], json!({"after": 0, "count": evs.len()}));

        // Pages of two, following `next_after`, give the same events in
        // order (plus the reads made meanwhile, at the end).
        let mut after = 0;
        let mut paged: Vec<Value> = Vec::new();
        loop {
            let page = hub
                .get(&format!("/api/audit?after={after}&limit=2"), &a.admin)
                .await
                .json(StatusCode::OK);
            let evs = events(&page);
            assert!(evs.len() <= 2);
            assert!(evs.iter().all(|e| e["seq"].as_i64().unwrap() > after));
            paged.extend(evs.iter().cloned());
            match page["next_after"].as_i64() {
                Some(next) => {
                    assert_eq!(evs.len(), 2, "a short page is the last");
                    assert_eq!(Some(next), evs[1]["seq"].as_i64());
                    after = next;
                }
                None => {
                    assert!(evs.len() < 2, "a full page names the next one");
                    break;
                }
            }
            assert!(paged.len() < 1000, "pagination does not end");
        }
        assert_eq!(&paged[..evs2.len()], &evs2[..]);
        assert!(paged[evs2.len()..].iter().all(|e| e["action"] == "audit.read"));
        assert!(paged.windows(2).all(|w| w[0]["seq"].as_i64() < w[1]["seq"].as_i64()));
        // Beyond the end: empty.
        let last = paged.last().unwrap()["seq"].as_i64().unwrap();
        let page = hub
            .get(&format!("/api/audit?after={}", last + 1000), &a.admin)
            .await
            .json(StatusCode::OK);
        assert!(events(&page).is_empty());

        // B's log holds only B's events.
        let theirs = hub.get("/api/audit", &b.admin).await.json(StatusCode::OK);
        assert!(events(&theirs).iter().all(|e| e["org_id"] == b.id.as_str()));
        assert!(!theirs.to_string().contains(&a.id));

        // The operator's log is the operator organisation's.
        let op = hub
            .get("/api/audit?limit=1000", &hub.operator)
            .await
            .json(StatusCode::OK);
        let hub_id = hub.whoami(&hub.operator).await.json(StatusCode::OK)["org"]["id"].clone();
        assert!(events(&op).iter().all(|e| e["org_id"] == hub_id), "{op}");

        // Tokens without the audit scope may not read it, and their attempts
        // record nothing.
        let before = stored_actions(&hub, &a.id).await.len();
        for role in ["reader", "analyst", "reporter", "sync"] {
            let t = hub.token_with_role(&a.admin, role).await;
            hub.get("/api/audit", &t.secret)
                .await
                .problem(StatusCode::FORBIDDEN);
        }
        let after_denied = stored_actions(&hub, &a.id).await;
        assert_eq!(after_denied.len(), before + 4, "{after_denied:?}");
        assert!(after_denied[before..].iter().all(|a| a == "token.create"));

        // The chain is intact after all this.
        let report = hub.store.verify_audit(None).await.expect("verify");
        assert!(report.broken.is_none(), "{report:?}");
    })
    .await;
}

#[tokio::test]
async fn revealing_the_security_contact_is_audited() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("reveal").await;
        let reader = hub.token_with_role(&org.admin, "reader").await;

        hub.get("/api/org/profile", &org.admin)
            .await
            .problem(StatusCode::NOT_FOUND);

        let contact_email = format!("{}@example.org", marker());
        let contact_phone = format!("+{}", &marker()[..12]);
        let legal_name = format!("Legal {}", marker());
        let r = hub
            .put(
                "/api/org/profile",
                &org.admin,
                &json!({
                    "legal_name": legal_name,
                    "jurisdictions": ["EU", "BE"],
                    "sectors": ["energy"],
                    "roles": ["csirt"],
                    "security_contact": {"email": contact_email, "phone": contact_phone},
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        let reveals = || async {
            stored_actions(&hub, &org.id)
                .await
                .into_iter()
                .filter(|a| a == "org_profile.reveal")
                .count()
        };

        // Without reveal: no contact, nothing recorded; the same for a reader.
        for t in [&org.admin, &reader.secret] {
            let r = hub.get("/api/org/profile", t).await;
            let p = r.json(StatusCode::OK);
            assert_eq!(p["legal_name"], legal_name.as_str());
            assert_eq!(p["jurisdictions"], json!(["EU", "BE"]));
            assert_eq!(p["sectors"], json!(["energy"]));
            assert_eq!(p["roles"], json!(["csirt"]));
            assert!(p["updated_at"].is_string());
            assert!(p.get("security_contact").is_none_or(Value::is_null), "{p}");
            assert!(!r.text().contains(&contact_email));
            assert!(!r.text().contains(&contact_phone));
            let r = hub.get("/api/org/profile?reveal=false", t).await;
            assert!(!r.text().contains(&contact_email), "{}", r.text());
        }
        assert_eq!(reveals().await, 0);
        // A reader may not reveal, and its attempt records nothing.
        hub.get("/api/org/profile?reveal=true", &reader.secret)
            .await
            .problem(StatusCode::FORBIDDEN);
        assert_eq!(reveals().await, 0);

        // With reveal: the contact, and one event per reveal.
        for n in 1..=2 {
            let p = hub
                .get("/api/org/profile?reveal=true", &org.admin)
                .await
                .json(StatusCode::OK);
            assert_eq!(
                p["security_contact"],
                json!({"email": contact_email, "phone": contact_phone})
            );
            assert_eq!(reveals().await, n);
        }
        let stored = hub
            .store
            .audit_events(Some(&org.id), 0, 10_000)
            .await
            .unwrap();
        let reveal = stored
            .iter()
            .rfind(|e| e.action == "org_profile.reveal")
            .unwrap();
        assert_eq!(reveal.actor, format!("token:{}", org.admin_token_id));
        assert_eq!(reveal.object, format!("org_profile:{}", org.id));
        assert!(reveal.request_id.is_some());
        // The revealed contact itself is not in the audit log.
        let page = hub.get("/api/audit?limit=1000", &org.admin).await;
        assert!(page.text().contains("org_profile.reveal"));
        assert!(!page.text().contains(&contact_email));
        let reveal_events: Vec<Value> = events(&page.json(StatusCode::OK))
            .iter()
            .filter(|e| e["action"] == "org_profile.reveal")
            .cloned()
            .collect();
        assert_eq!(reveal_events.len(), 2);

        // Replacing the profile without a contact removes it.
        let r = hub
            .put(
                "/api/org/profile",
                &org.admin,
                &json!({"legal_name": legal_name}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        let p = hub
            .get("/api/org/profile?reveal=true", &org.admin)
            .await
            .json(StatusCode::OK);
        assert!(p["security_contact"].is_null(), "{p}");
        assert_eq!(p["jurisdictions"], json!([]));
    })
    .await;
}
