//! The rest of the case record through the API (impact, exploitation,
//! reporter contact, embargo, linked advisories, `cvss`), `PATCH` validated
//! whole, participants, messages and attachments: sealed fields revealed only
//! on request and audited, an oversize attachment a 413 that stores nothing,
//! another organisation's case a 404; on every backend.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use vigilo_test_support::for_each_backend;

use crate::support::{Call, Hub};

const CONTACT: &str = "finder-3e1d@example.org";
const POC: &str = "print('poc-4f0c1b')";

fn full_case() -> Value {
    json!({
        "title": "Gateway RCE",
        "kind": "vulnerability",
        "cvss_vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "impact": "Unauthenticated RCE",
        "exploited": true,
        "exploited_evidence": "honeypot hits",
        "reporter_contact": {"name": "A. Finder", "email": CONTACT},
        "embargo_until": "2026-12-01T09:00:00",
        "embargo_tz": "Europe/Berlin",
        "linked_advisories": ["GHSA-jfh8-c2jp-5v3q"],
    })
}

async fn reveals(hub: &Hub, org_id: &str) -> Vec<String> {
    hub.store
        .audit_events(Some(org_id), 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "case.reveal")
        .map(|e| e.detail.unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn new_fields_round_trip_and_patch_is_validated_whole() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("acme").await;
        let c = hub
            .post("/api/cases", &org.admin, &full_case())
            .await
            .json(StatusCode::CREATED);
        let id = c["id"].as_str().unwrap().to_owned();
        assert_eq!(c["impact"], "Unauthenticated RCE");
        assert_eq!(c["exploited"], true);
        assert_eq!(c["exploited_evidence"], "honeypot hits");
        assert_eq!(c["has_reporter_contact"], true);
        assert!(c.get("reporter_contact").is_none(), "{c}");
        assert!(!c.to_string().contains(CONTACT));
        assert_eq!(c["embargo_until"], "2026-12-01T08:00:00Z");
        assert_eq!(c["embargo_tz"], "Europe/Berlin");
        assert_eq!(
            c["embargo_local"],
            "2026-12-01T09:00:00+01:00[Europe/Berlin]"
        );
        assert_eq!(c["linked_advisories"], json!(["GHSA-jfh8-c2jp-5v3q"]));
        assert_eq!(c["origin"], "api");
        assert_eq!(c["cvss"]["version"], "4.0");
        assert_eq!(c["cvss"]["score"], 9.3, "scored as FIRST's calculator does");
        assert_eq!(c["cvss"]["severity"], "critical");
        assert_eq!(c["cvss"]["nomenclature"], "CVSS-B");
        assert_eq!(c["cvss"]["vector"], c["cvss_vector"]);

        // Reveal: write scope, audited per field.
        let reader = hub.token_with_role(&org.admin, "reader").await;
        hub.get(
            &format!("/api/cases/{id}?reveal=reporter_contact"),
            &reader.secret,
        )
        .await
        .problem(StatusCode::FORBIDDEN);
        assert!(reveals(&hub, &org.id).await.is_empty());
        let r = hub
            .get(
                &format!("/api/cases/{id}?reveal=reporter_contact,technical_details"),
                &org.admin,
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(r["reporter_contact"]["email"], CONTACT);
        let audited = reveals(&hub, &org.id).await;
        assert_eq!(
            audited.len(),
            1,
            "no technical details, one reveal: {audited:?}"
        );
        assert!(audited[0].contains("reporter_contact"));

        // PATCH: every bad member named, nothing stored.
        let bad = hub
            .patch(
                &format!("/api/cases/{id}"),
                &org.admin,
                &json!({"status": "open", "impact": "", "exploited": "yes",
                        "embargo_until": "soon", "embargo_tz": "Mars/Base",
                        "linked_advisories": ["ok-1", "not ok"], "cve_ids": ["CVE-1"],
                        "cvss_vector": "CVSS:2.0/AV:N", "colour": "red"}),
            )
            .await;
        assert_eq!(
            bad.pointers(StatusCode::UNPROCESSABLE_ENTITY),
            [
                "/colour",
                "/status",
                "/impact",
                "/exploited",
                "/embargo_tz",
                "/cvss_vector",
                "/linked_advisories/1",
                "/cve_ids/0",
            ]
        );
        hub.patch(&format!("/api/cases/{id}"), &org.admin, &json!({}))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY);
        hub.patch(
            &format!("/api/cases/{id}"),
            &org.admin,
            &json!({"exploited": true, "exploited_evidence": null}),
        )
        .await
        .pointers(StatusCode::UNPROCESSABLE_ENTITY)
        .contains(&"/exploited_evidence".to_owned())
        .then_some(())
        .expect("evidence required");
        hub.patch(
            &format!("/api/cases/{id}"),
            &org.admin,
            &json!({"embargo_until": "2026-12-01T09:00:00"}),
        )
        .await
        .pointers(StatusCode::UNPROCESSABLE_ENTITY)
        .contains(&"/embargo_tz".to_owned())
        .then_some(())
        .expect("zone required");
        let same = hub
            .get(&format!("/api/cases/{id}"), &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(same["impact"], "Unauthenticated RCE");

        let ok = hub
            .patch(
                &format!("/api/cases/{id}"),
                &org.admin,
                &json!({"status": "coordinating", "impact": null, "exploited": false,
                        "exploited_evidence": null, "embargo_until": "2027-01-15T00:00:00Z",
                        "embargo_tz": "America/New_York", "linked_advisories": [],
                        "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}),
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(ok["status"], "coordinating");
        assert_eq!(ok["impact"], Value::Null);
        assert_eq!(ok["exploited"], false);
        assert_eq!(
            ok["embargo_local"],
            "2027-01-14T19:00:00-05:00[America/New_York]"
        );
        assert_eq!(ok["cvss"]["version"], "3.1");
        assert_eq!(ok["cvss"]["score"], 9.8);
        assert_eq!(ok["cvss"]["severity"], "critical");
        // The status-only change of old still works; clearing the embargo.
        let s = hub
            .patch(
                &format!("/api/cases/{id}"),
                &org.admin,
                &json!({"status": "fixed", "embargo_until": null, "embargo_tz": null}),
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(s["status"], "fixed");
        assert_eq!(s["embargo_until"], Value::Null);

        // Creation checks the new members too.
        let mut body = full_case();
        body["exploited_evidence"] = Value::Null;
        body["reporter_contact"] = json!({"email": "no-at-sign", "fax": "1"});
        body["embargo_tz"] = Value::Null;
        let bad = hub.post("/api/cases", &org.admin, &body).await;
        assert_eq!(
            bad.pointers(StatusCode::UNPROCESSABLE_ENTITY),
            [
                "/exploited_evidence",
                "/reporter_contact/fax",
                "/embargo_tz"
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn participants_messages_and_attachments() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("acme").await;
        let other = hub.org("other").await;
        let id = hub
            .post(
                "/api/cases",
                &org.admin,
                &json!({"title": "t", "kind": "vulnerability"}),
            )
            .await
            .json(StatusCode::CREATED)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let base = format!("/api/cases/{id}");

        // Participants.
        let bad = hub
            .post(
                &format!("{base}/participants"),
                &org.admin,
                &json!({"role": "friend", "name": "", "status": "gone", "x": 1}),
            )
            .await;
        assert_eq!(
            bad.pointers(StatusCode::UNPROCESSABLE_ENTITY),
            ["/x", "/role", "/name", "/status"]
        );
        let p = hub
            .post(
                &format!("{base}/participants"),
                &org.admin,
                &json!({"role": "vendor", "name": "Vendor PSIRT", "contact": "psirt@v.example",
                        "status": "notified"}),
            )
            .await
            .json(StatusCode::CREATED);
        let pid = p["id"].as_str().unwrap().to_owned();
        assert_eq!(p["has_contact"], true);
        assert!(p.get("contact").is_none());
        let changed = hub
            .patch(
                &format!("{base}/participants/{pid}"),
                &org.admin,
                &json!({"status": "not_affected"}),
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(changed["status"], "not_affected");
        let listed = hub
            .get(&format!("{base}/participants?reveal=contact"), &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(listed["participants"][0]["contact"], "psirt@v.example");
        assert!(reveals(&hub, &org.id).await[0].contains("participants.contact"));

        // Messages.
        hub.post(
            &format!("{base}/messages"),
            &org.admin,
            &json!({"body": "Report sent.", "participant_id": pid}),
        )
        .await
        .json(StatusCode::CREATED);
        hub.post(
            &format!("{base}/messages"),
            &org.admin,
            &json!({"body": "note"}),
        )
        .await
        .json(StatusCode::CREATED);
        hub.post(
            &format!("{base}/messages"),
            &org.admin,
            &json!({"body": "x", "participant_id": "nobody"}),
        )
        .await
        .pointers(StatusCode::UNPROCESSABLE_ENTITY)
        .contains(&"/participant_id".to_owned())
        .then_some(())
        .expect("unknown participant named");
        let all = hub
            .get(&format!("{base}/messages"), &org.admin)
            .await
            .json(StatusCode::OK);
        let kinds: Vec<_> = all["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["kind"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(kinds, ["system", "note", "note"]);
        let with = hub
            .get(&format!("{base}/messages?participant_id={pid}"), &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(with["messages"].as_array().unwrap().len(), 2);

        // Attachments.
        let att = hub
            .send(
                Call::new(Method::POST, &format!("{base}/attachments?name=poc.py"))
                    .bearer(&org.admin)
                    .raw(Some("text/x-python"), POC),
            )
            .await
            .json(StatusCode::CREATED);
        let aid = att["id"].as_str().unwrap().to_owned();
        assert_eq!(att["size"], POC.len());
        assert_eq!(att["media_type"], "text/x-python");
        assert_eq!(att["name"], "poc.py");
        let meta = hub
            .get(&format!("{base}/attachments"), &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(meta["attachments"][0]["sha256"], att["sha256"]);
        assert!(!meta.to_string().contains("poc-4f0c1b"));
        let reader = hub.token_with_role(&org.admin, "reader").await;
        hub.get(&format!("{base}/attachments/{aid}"), &reader.secret)
            .await
            .problem(StatusCode::FORBIDDEN);
        let before = reveals(&hub, &org.id).await.len();
        let content = hub
            .get(&format!("{base}/attachments/{aid}"), &org.admin)
            .await;
        assert_eq!(content.status, StatusCode::OK);
        assert_eq!(content.text(), POC);
        assert_eq!(content.content_type(), "application/octet-stream");
        assert_eq!(
            content.headers["content-disposition"],
            "attachment; filename=\"poc.py\""
        );
        let after = reveals(&hub, &org.id).await;
        assert_eq!(after.len(), before + 1);
        assert!(after.last().unwrap().contains("attachments.content"));

        // Over 10 MiB: a 413 naming the limit, nothing stored; a global body
        // limit of 1 MiB does not apply to attachments.
        let big = "x".repeat(10 * 1024 * 1024 + 1);
        let r = hub
            .send(
                Call::new(Method::POST, &format!("{base}/attachments?name=big.bin"))
                    .bearer(&org.admin)
                    .raw(None, big),
            )
            .await;
        let p = r.problem(StatusCode::PAYLOAD_TOO_LARGE);
        assert!(p["detail"].as_str().unwrap().contains("10485760"), "{p}");
        let two_mib = "y".repeat(2 * 1024 * 1024);
        hub.send(
            Call::new(Method::POST, &format!("{base}/attachments?name=two.bin"))
                .bearer(&org.admin)
                .raw(None, two_mib),
        )
        .await
        .json(StatusCode::CREATED);
        let meta = hub
            .get(&format!("{base}/attachments"), &org.admin)
            .await
            .json(StatusCode::OK);
        let names: Vec<_> = meta["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["poc.py", "two.bin"]);
        hub.send(
            Call::new(Method::POST, &format!("{base}/attachments?name=../x"))
                .bearer(&org.admin)
                .raw(None, "x"),
        )
        .await
        .pointers(StatusCode::UNPROCESSABLE_ENTITY)
        .contains(&"/name".to_owned())
        .then_some(())
        .expect("bad name");

        // Another organisation sees none of it.
        for path in [
            format!("{base}/participants"),
            format!("{base}/messages"),
            format!("{base}/attachments"),
            format!("{base}/attachments/{aid}"),
        ] {
            hub.get(&path, &other.admin)
                .await
                .problem(StatusCode::NOT_FOUND);
        }
        hub.post(
            &format!("{base}/messages"),
            &other.admin,
            &json!({"body": "hi"}),
        )
        .await
        .problem(StatusCode::NOT_FOUND);
        hub.post(
            &format!("{base}/participants"),
            &other.admin,
            &json!({"role": "vendor", "name": "x"}),
        )
        .await
        .problem(StatusCode::NOT_FOUND);
        hub.patch(
            &format!("{base}/participants/{pid}"),
            &other.admin,
            &json!({"status": "seen"}),
        )
        .await
        .problem(StatusCode::NOT_FOUND);
        hub.send(
            Call::new(Method::POST, &format!("{base}/attachments?name=a.txt"))
                .bearer(&other.admin)
                .raw(None, "x"),
        )
        .await
        .problem(StatusCode::NOT_FOUND);
        hub.patch(&base, &other.admin, &json!({"impact": "x"}))
            .await
            .problem(StatusCode::NOT_FOUND);
    })
    .await;
}
