//! The outbound path across two hubs on loopback: a member organisation's
//! hub submits a duty's stage to the coordinator's hub, verifies the signed
//! receipt against the pinned key and stores it; a receipt from another key
//! is refused and nothing is recorded; Art. 9(7) blocks a disclosure abroad
//! until an administrator overrides it with a reason (audited); the
//! coordinator view on the coordinator's hub shows who knew and when they
//! reported; on every backend.

use std::net::SocketAddr;

use axum::http::{Method, StatusCode};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use vigilo_formats::receipt;
use vigilo_hub::HubConfig;
use vigilo_test_support::{TestDb, for_each_backend};

use crate::support::{Call, Hub, OrgFixture};

const MEMBERSHIP: &str = "partnership.coordinator-membership";
const CVE: &str = "CVE-2026-31337";

/// Serves the hub's router on `listener`.
fn serve(hub: &Hub, listener: tokio::net::TcpListener) {
    let app = hub
        .router
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
}

/// The coordinator's hub, served on loopback with its public URL as the
/// receipts' issuer, its URL, and the member's hub.
async fn two_hubs(db: TestDb) -> (Hub, String, Hub) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let coordinator = Hub::with_config(
        db,
        HubConfig {
            public_url: Some(format!("{url}/")),
            ..HubConfig::default()
        },
    )
    .await;
    serve(&coordinator, listener);
    let backend = coordinator.db.backend;
    let member = Hub::new(TestDb::new(backend).await).await;
    (coordinator, url, member)
}

async fn hub_key(hub: &Hub) -> String {
    hub.send(Call::new(Method::GET, "/api/hub/key"))
        .await
        .json(StatusCode::OK)["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The member organisation on its own hub: bound by the membership
/// agreement, with a case about CVE that it learned of two hours ago.
async fn member_case(member: &Hub, org: &OrgFixture, jurisdictions: &[&str]) -> (String, String) {
    let status = member
        .put(
            "/api/org/profile",
            &org.admin,
            &json!({"legal_name": "Cloud Provider Ltd", "jurisdictions": jurisdictions,
                    "partnerships": ["coordinator.member"]}),
        )
        .await
        .status;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let case = member
        .post(
            "/api/cases",
            &org.admin,
            &json!({"title": "RCE in the log library", "kind": "vulnerability",
                    "cve_ids": [CVE], "technical_details": "the exploit"}),
        )
        .await
        .json(StatusCode::CREATED);
    let id = case["id"].as_str().unwrap().to_owned();
    let learned = (Timestamp::now() - SignedDuration::from_hours(2))
        .round(jiff::Unit::Second)
        .unwrap()
        .to_string();
    member
        .post(
            &format!("/api/cases/{id}/events"),
            &org.admin,
            &json!({"event": "vuln.discovered_or_learned", "at": learned,
                    "source": "a researcher's e-mail"}),
        )
        .await
        .json(StatusCode::CREATED);
    (id, learned)
}

fn duty<'a>(duties: &'a Value, rule: &str) -> &'a Value {
    duties["duties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} duty in {duties}"))
}

#[tokio::test]
async fn a_duty_submitted_to_the_coordinators_hub_comes_back_with_a_verified_receipt() {
    for_each_backend(|db| async move {
        let (coordinator, url, member) = two_hubs(db).await;
        // The member's account on the coordinator's hub, and a token there.
        let there = coordinator.org("provider").await;
        let here = member.org("provider").await;
        let (case_id, learned) = member_case(&member, &here, &["DE", "EU"]).await;

        let duties = member
            .get(&format!("/api/cases/{case_id}/duties"), &here.admin)
            .await
            .json(StatusCode::OK);
        let d = duty(&duties, MEMBERSHIP);
        assert_eq!(d["status"], "open", "{d}");
        assert_eq!(d["recipient"], "role:coordinator");
        let due: Timestamp = d["due"].as_str().unwrap().parse().unwrap();
        let learned: Timestamp = learned.parse().unwrap();
        assert_eq!(due, learned + SignedDuration::from_hours(24));

        // Register the coordinator's hub with its pinned key.
        let key = hub_key(&coordinator).await;
        let recipient = member
            .post(
                "/api/recipients",
                &here.admin,
                &json!({"name": "National coordinator", "kind": "vigilo_hub", "country": "DE",
                        "role": "coordinator", "serves": ["role:coordinator"], "url": url,
                        "token": there.admin, "public_key": key}),
            )
            .await
            .json(StatusCode::CREATED);
        assert_eq!(recipient["has_token"], true);
        assert!(recipient.get("token").is_none(), "{recipient}");
        let rid = recipient["id"].as_str().unwrap();

        let sent = member
            .post(
                &format!("/api/cases/{case_id}/submit"),
                &here.admin,
                &json!({"recipient_id": rid, "rule": MEMBERSHIP, "stage": "report"}),
            )
            .await
            .json(StatusCode::CREATED);
        assert_eq!(sent["kind"], "submission");
        assert_eq!(sent["violations"], json!([]));
        let issued = &sent["receipt"];
        assert_eq!(
            issued["receipt"]["issuer"],
            url.as_str(),
            "the receipt names the coordinator's public URL"
        );
        assert_eq!(issued["receipt"]["submitter_org"], there.id.as_str());
        assert_eq!(issued["receipt"]["digest"], sent["digest"]);

        // The coordinator's hub holds the same report, and the receipt
        // verifies offline against its published key.
        let received = coordinator
            .get("/api/reports", &there.admin)
            .await
            .json(StatusCode::OK);
        let reports = received["reports"].as_array().unwrap();
        assert_eq!(reports.len(), 1);
        let report = &reports[0]["report"];
        assert_eq!(report["case"]["cve_ids"], json!([CVE]));
        assert!(
            report["case"].get("technical_details").is_none(),
            "technical details only when asked for: {report}"
        );
        receipt::verify(
            &issued.to_string(),
            &receipt::parse_key(&key).unwrap(),
            Some(report),
        )
        .unwrap();

        // The duty is discharged at the receipt's instant, and the outbound
        // log holds the receipt.
        let duties = member
            .get(&format!("/api/cases/{case_id}/duties"), &here.admin)
            .await
            .json(StatusCode::OK);
        let d = duty(&duties, MEMBERSHIP);
        assert_eq!(d["status"], "submitted", "{d}");
        assert_eq!(d["submitted"], issued["receipt"]["received_at"]);
        let log = member
            .get(&format!("/api/cases/{case_id}/disclosures"), &here.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(log["disclosures"].as_array().unwrap().len(), 1);
        assert_eq!(log["disclosures"][0]["receipt"], *issued);

        // The coordinator view: the member knew two hours before it
        // reported, in time.
        let view = coordinator
            .get(
                &format!("/api/coordinator/vulnerabilities?cve={CVE}"),
                &coordinator.operator,
            )
            .await
            .json(StatusCode::OK);
        let v = &view["vulnerabilities"][0];
        assert_eq!(v["cve"], CVE);
        let m = &v["members"][0];
        assert_eq!(m["org_id"], there.id.as_str());
        assert_eq!(m["status"], "on_time", "{m}");
        assert_eq!(m["first_evidence"]["kind"], "report_claim");
        let knew: Timestamp = m["knew_since"].as_str().unwrap().parse().unwrap();
        assert_eq!(knew, learned);
        // Members may not read it.
        coordinator
            .get("/api/coordinator/vulnerabilities", &there.admin)
            .await
            .problem(StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn a_receipt_from_another_key_is_refused_and_nothing_is_recorded() {
    for_each_backend(|db| async move {
        let (coordinator, url, member) = two_hubs(db).await;
        let there = coordinator.org("provider").await;
        let here = member.org("provider").await;
        let (case_id, _) = member_case(&member, &here, &["DE"]).await;
        // Pinned: the member hub's own key, not the coordinator's.
        let wrong = hub_key(&member).await;
        let rid = member
            .post(
                "/api/recipients",
                &here.admin,
                &json!({"name": "Impostor", "kind": "vigilo_hub", "country": "DE",
                        "role": "coordinator", "serves": ["role:coordinator"], "url": url,
                        "token": there.admin, "public_key": wrong}),
            )
            .await
            .json(StatusCode::CREATED)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let p = member
            .post(
                &format!("/api/cases/{case_id}/submit"),
                &here.admin,
                &json!({"recipient_id": rid, "rule": MEMBERSHIP, "stage": "report"}),
            )
            .await
            .problem(StatusCode::BAD_GATEWAY);
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains("not a valid receipt"), "{detail}");
        let log = member
            .get(&format!("/api/cases/{case_id}/disclosures"), &here.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(log["disclosures"], json!([]));
        let duties = member
            .get(&format!("/api/cases/{case_id}/duties"), &here.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(duty(&duties, MEMBERSHIP)["status"], "open");

        // A wrong token there: the coordinator's 401 is reported as such.
        let rid = member
            .post(
                "/api/recipients",
                &here.admin,
                &json!({"name": "Coordinator", "kind": "vigilo_hub", "country": "DE",
                        "role": "coordinator", "serves": ["role:coordinator"], "url": url,
                        "token": "vgl_not-a-token", "public_key": hub_key(&coordinator).await}),
            )
            .await
            .json(StatusCode::CREATED)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let p = member
            .post(
                &format!("/api/cases/{case_id}/submit"),
                &here.admin,
                &json!({"recipient_id": rid, "rule": MEMBERSHIP, "stage": "report"}),
            )
            .await
            .problem(StatusCode::BAD_GATEWAY);
        assert!(p["detail"].as_str().unwrap().contains("401"), "{p}");
    })
    .await;
}

#[tokio::test]
async fn art_9_7_blocks_a_disclosure_abroad_until_an_admin_overrides_it() {
    for_each_backend(|db| async move {
        let (coordinator, url, member) = two_hubs(db).await;
        let there = coordinator.org("provider").await;
        let here = member.org("provider").await;
        let (case_id, _) = member_case(&member, &here, &["CN"]).await;
        let rid = member
            .post(
                "/api/recipients",
                &here.admin,
                &json!({"name": "Foreign coordinator", "kind": "vigilo_hub", "country": "DE",
                        "role": "coordinator", "serves": ["role:coordinator"], "url": url,
                        "token": there.admin, "public_key": hub_key(&coordinator).await}),
            )
            .await
            .json(StatusCode::CREATED)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let submit = json!({"recipient_id": rid, "rule": MEMBERSHIP, "stage": "report"});

        // The check says why, and so does the blocked submission.
        let check = member
            .post(
                &format!("/api/cases/{case_id}/disclosures/check"),
                &here.admin,
                &json!({"recipient_id": rid}),
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(check["allowed"], false);
        assert_eq!(check["violations"][0]["constraint"], "art9-7");
        let p = member
            .post(
                &format!("/api/cases/{case_id}/submit"),
                &here.admin,
                &submit,
            )
            .await
            .problem(StatusCode::CONFLICT);
        assert!(p["detail"].as_str().unwrap().contains("Art. 9(7)"), "{p}");
        // The product's provider abroad may be told.
        let check = member
            .post(
                &format!("/api/cases/{case_id}/disclosures/check"),
                &here.admin,
                &json!({"recipient": "Vendor Inc", "country": "US", "role": "product_provider"}),
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(check["allowed"], true, "{check}");
        // Nothing reached the coordinator.
        let received = coordinator
            .get("/api/reports", &there.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(received["reports"], json!([]));

        // An analyst cannot override; an admin can, with a reason.
        let analyst = member.token_with_role(&here.admin, "analyst").await;
        let mut with_override = submit.clone();
        with_override["override"] =
            json!({"reason": "legal review LR-7: membership duty prevails"});
        member
            .post(
                &format!("/api/cases/{case_id}/submit"),
                &analyst.secret,
                &with_override,
            )
            .await
            .problem(StatusCode::FORBIDDEN);
        let sent = member
            .post(
                &format!("/api/cases/{case_id}/submit"),
                &here.admin,
                &with_override,
            )
            .await
            .json(StatusCode::CREATED);
        assert_eq!(sent["violations"][0]["constraint"], "art9-7");
        assert_eq!(
            sent["override_reason"],
            "legal review LR-7: membership duty prevails"
        );
        let audit = member
            .get("/api/audit?limit=500", &here.admin)
            .await
            .json(StatusCode::OK);
        let events: Vec<&str> = audit["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert!(events.contains(&"disclosure.override"), "{events:?}");
        assert!(events.contains(&"case.disclosure"), "{events:?}");

        // A manual record of a publication before the fix is blocked too.
        let p = member
            .post(
                &format!("/api/cases/{case_id}/disclosures"),
                &here.admin,
                &json!({"publication": true, "evidence": "blog post"}),
            )
            .await
            .problem(StatusCode::CONFLICT);
        assert!(p["detail"].as_str().unwrap().contains("art9-1"), "{p}");
    })
    .await;
}

#[tokio::test]
async fn bad_recipients_and_submissions_are_named_and_store_nothing() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("acme").await;
        let pointers = hub
            .post(
                "/api/recipients",
                &org.admin,
                &json!({"name": "", "kind": "pigeon", "country": "Germany", "role": "Boss",
                        "serves": ["role:"], "colour": 1}),
            )
            .await
            .pointers(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            pointers,
            [
                "/colour",
                "/name",
                "/kind",
                "/country",
                "/role",
                "/serves/0"
            ]
        );
        let missing_key = hub
            .post(
                "/api/recipients",
                &org.admin,
                &json!({"name": "x", "kind": "vigilo_hub", "country": "DE", "role": "csirt",
                        "url": "http://127.0.0.1:9", "token": "t"}),
            )
            .await
            .pointers(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(missing_key, ["/public_key"]);
        let listed = hub
            .get("/api/recipients", &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(listed["recipients"], json!([]));

        let case = hub
            .post(
                "/api/cases",
                &org.admin,
                &json!({"title": "t", "kind": "vulnerability"}),
            )
            .await
            .json(StatusCode::CREATED);
        let id = case["id"].as_str().unwrap();
        let pointers = hub
            .post(
                &format!("/api/cases/{id}/submit"),
                &org.admin,
                &json!({"rule": "no.such.rule", "stage": "x", "override": "because"}),
            )
            .await
            .pointers(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(pointers, ["/recipient_id", "/rule", "/override"]);
        // Another organisation's case is not found.
        let other = hub.org("globex").await;
        hub.post(
            &format!("/api/cases/{id}/disclosures"),
            &other.admin,
            &json!({"recipient": "x", "country": "DE", "evidence": "e"}),
        )
        .await
        .problem(StatusCode::NOT_FOUND);
    })
    .await;
}

/// An organisation the CRA applies to, with a case about an exploited
/// vulnerability in a product on the EU market.
async fn cra_case(hub: &Hub, org: &OrgFixture, jurisdictions: &[&str]) -> String {
    let status = hub
        .put(
            "/api/org/profile",
            &org.admin,
            &json!({"legal_name": "Acme GmbH", "roles": ["manufacturer"],
                    "jurisdictions": jurisdictions, "sectors": ["manufacturing"]}),
        )
        .await
        .status;
    assert_eq!(status, StatusCode::NO_CONTENT);
    hub.post(
        "/api/cases",
        &org.admin,
        &json!({"title": "Gateway RCE", "kind": "vulnerability",
                "flags": {"product.made_available_in_eu": true, "vuln.actively_exploited": true}}),
    )
    .await
    .json(StatusCode::CREATED)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_fact_that_makes_a_duty_late_on_arrival_is_recorded_as_such() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("acme").await;
        let id = cra_case(&hub, &org, &["DE", "EU"]).await;
        // Learned of the exploitation 30 hours ago, recorded only now: the
        // 24-hour early warning was due six hours ago.
        let aware = (Timestamp::now() - SignedDuration::from_hours(30))
            .round(jiff::Unit::Second)
            .unwrap();
        let event = hub
            .post(
                &format!("/api/cases/{id}/events"),
                &org.admin,
                &json!({"event": "vuln.exploitation_aware", "at": aware.to_string(),
                        "source": "SOC ticket 42, found in the backlog"}),
            )
            .await
            .json(StatusCode::CREATED);
        let duties = hub
            .get(&format!("/api/cases/{id}/duties"), &org.admin)
            .await
            .json(StatusCode::OK);
        let late = duties["late_on_record"].as_array().unwrap();
        let early = late
            .iter()
            .find(|l| l["rule"] == "eu.cra.art14.aev" && l["stage"] == "early_warning")
            .unwrap_or_else(|| panic!("no late record: {duties}"));
        assert_eq!(early["event_id"], event["id"]);
        assert!(early["due_before"].is_null(), "{early}");
        let due: Timestamp = early["due_after"].as_str().unwrap().parse().unwrap();
        assert_eq!(due, aware + SignedDuration::from_hours(24));
        // A second fact that does not move it records nothing more.
        hub.post(
            &format!("/api/cases/{id}/events"),
            &org.admin,
            &json!({"event": "vuln.discovered_or_learned", "at": aware.to_string(),
                    "source": "same ticket"}),
        )
        .await
        .json(StatusCode::CREATED);
        let again = hub
            .get(&format!("/api/cases/{id}/duties"), &org.admin)
            .await
            .json(StatusCode::OK);
        let count = |v: &Value| {
            v["late_on_record"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| l["stage"] == "early_warning")
                .count()
        };
        assert_eq!(count(&again), 1);
    })
    .await;
}

#[tokio::test]
async fn publishing_and_recorded_submissions_pass_the_same_guard() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("acme").await;
        let id = cra_case(&hub, &org, &["CN"]).await;
        // Disclosed before the fix: Art. 9(1) blocks the publication.
        let p = hub
            .patch(
                &format!("/api/cases/{id}"),
                &org.admin,
                &json!({"status": "disclosed"}),
            )
            .await
            .problem(StatusCode::CONFLICT);
        assert!(p["detail"].as_str().unwrap().contains("art9-1"), "{p}");
        let case = hub
            .get(&format!("/api/cases/{id}"), &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(case["status"], "received", "nothing changed");
        // An admin publishes anyway, with a reason: recorded and audited.
        hub.patch(
            &format!("/api/cases/{id}"),
            &org.admin,
            &json!({"status": "disclosed",
                    "override": {"reason": "already public on the vendor's site"}}),
        )
        .await
        .json(StatusCode::OK);
        let log = hub
            .get(&format!("/api/cases/{id}/disclosures"), &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(log["disclosures"][0]["kind"], "publication");
        assert_eq!(
            log["disclosures"][0]["override_reason"],
            "already public on the vendor's site"
        );

        // A submission recorded by hand goes to the stage's recipient: one
        // registered abroad is blocked by Art. 9(7), one in China is not.
        let id = cra_case(&hub, &org, &["CN"]).await;
        let submission = json!({"rule": "eu.cra.art14.aev", "stage": "early_warning",
                                "at": Timestamp::now().round(jiff::Unit::Second).unwrap().to_string(),
                                "evidence": "SRP ref 1"});
        let p = hub
            .post(
                &format!("/api/cases/{id}/submissions"),
                &org.admin,
                &submission,
            )
            .await
            .problem(StatusCode::CONFLICT);
        assert!(p["detail"].as_str().unwrap().contains("art9-7"), "{p}");
        hub.post(
            "/api/recipients",
            &org.admin,
            &json!({"name": "SRP (mirror in CN)", "kind": "manual", "country": "CN",
                    "role": "csirt", "serves": ["eu.srp"]}),
        )
        .await
        .json(StatusCode::CREATED);
        hub.post(
            &format!("/api/cases/{id}/submissions"),
            &org.admin,
            &submission,
        )
        .await
        .json(StatusCode::CREATED);
        let log = hub
            .get(&format!("/api/cases/{id}/disclosures"), &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(log["disclosures"][0]["kind"], "manual");
        assert_eq!(log["disclosures"][0]["country"], "CN");
    })
    .await;
}
