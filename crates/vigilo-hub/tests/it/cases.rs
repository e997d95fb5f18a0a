//! Cases and duties (`/api/cases…`, `/api/duties`): technical details never
//! shown unless revealed, and every reveal audited (the ciphertext in the row
//! is checked by the store's tests), facts recorded with provenance,
//! the CRA worked example computed end to end from the organisation's
//! profile and the case's facts, a submission discharging a duty, the
//! organisation's open duties by due time, validation naming JSON pointers,
//! facts out of order refused, and organisations isolated; on every backend.

use axum::http::{Method, StatusCode};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use vigilo_store::{Actor, NewCaseEvent};
use vigilo_test_support::for_each_backend;

use crate::support::{Call, Hub, OrgFixture};

const SECRET: &str = "bypass-via-double-encoded-slash-91c2e";
const CRA: &str = "eu.cra.art14.aev";

fn cra_case(title: &str) -> Value {
    json!({
        "title": title,
        "kind": "vulnerability",
        "description": "Remote code execution in the gateway's login form",
        "products": [{"name": "gateway", "version": "2.3", "purl": "pkg:generic/acme/gateway@2.3"}],
        "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        "cve_ids": ["CVE-2026-12345"],
        "flags": {"product.made_available_in_eu": true, "vuln.actively_exploited": true},
        "technical_details": format!("send {SECRET} to /login"),
    })
}

async fn manufacturer(hub: &Hub, org: &OrgFixture) {
    let r = hub
        .put(
            "/api/org/profile",
            &org.admin,
            &json!({"legal_name": "Acme GmbH", "roles": ["manufacturer"],
                    "jurisdictions": ["DE", "EU"], "sectors": ["manufacturing"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
}

async fn create(hub: &Hub, token: &str, body: &Value) -> String {
    hub.post("/api/cases", token, body)
        .await
        .json(StatusCode::CREATED)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn event(hub: &Hub, token: &str, case: &str, name: &str, at: &str, source: &str) -> Value {
    hub.post(
        &format!("/api/cases/{case}/events"),
        token,
        &json!({"event": name, "at": at, "source": source}),
    )
    .await
    .json(StatusCode::CREATED)
}

fn duty<'a>(duties: &'a Value, rule: &str, stage: &str) -> &'a Value {
    duties["duties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == rule && d["stage"] == stage)
        .unwrap_or_else(|| panic!("no {rule}/{stage} in {duties}"))
}

fn ago(hours: i64) -> String {
    let t = Timestamp::now()
        .checked_sub(SignedDuration::from_hours(hours))
        .unwrap();
    // Whole seconds, as a person would enter it.
    Timestamp::from_second(t.as_second()).unwrap().to_string()
}

#[tokio::test]
async fn technical_details_are_sealed_and_revealed_only_on_request() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("cases").await;
        let analyst = hub.token_with_role(&org.admin, "analyst").await;
        let reader = hub.token_with_role(&org.admin, "reader").await;

        let r = hub
            .post("/api/cases", &analyst.secret, &cra_case("Gateway RCE"))
            .await;
        let created = r.json(StatusCode::CREATED);
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(r.headers["location"], format!("/api/cases/{id}").as_str());
        assert_eq!(created["title"], "Gateway RCE");
        assert_eq!(created["kind"], "vulnerability");
        assert_eq!(created["status"], "received");
        assert_eq!(created["has_technical_details"], true);
        assert!(created.get("technical_details").is_none(), "{created}");
        assert_eq!(
            created["cvss_vector"],
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"
        );
        assert_eq!(
            created["products"][0]["purl"],
            "pkg:generic/acme/gateway@2.3"
        );
        assert_eq!(
            created["created_by"],
            format!("token:{}", analyst.id).as_str()
        );
        assert!(!r.text().contains(SECRET));

        let reveals = || async {
            hub.store
                .audit_events(Some(&org.id), 0, 10_000)
                .await
                .unwrap()
                .into_iter()
                .filter(|e| e.action == "case.reveal")
                .collect::<Vec<_>>()
        };
        // Reading is not revealing.
        let r = hub.get(&format!("/api/cases/{id}"), &reader.secret).await;
        let plain = r.json(StatusCode::OK);
        assert!(plain.get("technical_details").is_none());
        assert!(!r.text().contains(SECRET));
        assert_eq!(plain["events"], json!([]));
        assert_eq!(plain["submissions"], json!([]));
        assert!(reveals().await.is_empty());

        // A read-only token may not reveal; an unknown field is a 400.
        hub.get(
            &format!("/api/cases/{id}?reveal=technical_details"),
            &reader.secret,
        )
        .await
        .problem(StatusCode::FORBIDDEN);
        let bad = hub
            .get(
                &format!("/api/cases/{id}?reveal=description"),
                &analyst.secret,
            )
            .await;
        assert_eq!(bad.pointers(StatusCode::BAD_REQUEST), ["/reveal"]);
        assert!(reveals().await.is_empty());

        let shown = hub
            .get(
                &format!("/api/cases/{id}?reveal=technical_details"),
                &analyst.secret,
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(
            shown["technical_details"],
            format!("send {SECRET} to /login").as_str()
        );
        let audited = reveals().await;
        assert_eq!(audited.len(), 1);
        assert_eq!(audited[0].object, format!("case:{id}"));
        assert_eq!(audited[0].actor, format!("token:{}", analyst.id));

        // Listing: no details; filter by status; a read-only token cannot write.
        let list = hub.get("/api/cases", &reader.secret).await;
        assert!(!list.text().contains(SECRET));
        assert_eq!(list.json(StatusCode::OK)["cases"][0]["id"], id.as_str());
        hub.post("/api/cases", &reader.secret, &cra_case("x"))
            .await
            .problem(StatusCode::FORBIDDEN);
        let patched = hub
            .patch(
                &format!("/api/cases/{id}"),
                &analyst.secret,
                &json!({"status": "triaged"}),
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(patched["status"], "triaged");
        let triaged = hub
            .get("/api/cases?status=triaged", &reader.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(triaged["cases"].as_array().unwrap().len(), 1);
        let fixed = hub
            .get("/api/cases?status=fixed", &reader.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(fixed["cases"], json!([]));
        let status = hub
            .store
            .audit_events(Some(&org.id), 0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.action == "case.status")
            .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(status.detail.as_deref().unwrap()).unwrap(),
            json!({"from": "received", "to": "triaged"})
        );
    })
    .await;
}

#[tokio::test]
async fn the_cra_worked_example_end_to_end() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("cra").await;
        manufacturer(&hub, &org).await;
        let analyst = hub.token_with_role(&org.admin, "analyst").await;
        let id = create(&hub, &analyst.secret, &cra_case("Gateway RCE")).await;

        // Facts with their provenance.
        let learned = event(
            &hub,
            &analyst.secret,
            &id,
            "vuln.discovered_or_learned",
            "2026-10-01T16:40:00Z",
            "finder's e-mail to security@",
        )
        .await;
        assert_eq!(
            learned["recorded_by"],
            format!("token:{}", analyst.id).as_str()
        );
        let aware = event(
            &hub,
            &analyst.secret,
            &id,
            "vuln.exploitation_aware",
            "2026-10-02T09:15:00+02:00",
            "IDS alert 4711, confirmed by the on-call engineer",
        )
        .await;
        assert_eq!(aware["at"], "2026-10-02T07:15:00Z", "stored in UTC");
        let case = hub
            .get(&format!("/api/cases/{id}"), &analyst.secret)
            .await
            .json(StatusCode::OK);
        let events = case["events"].as_array().unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1]["event"], "vuln.exploitation_aware");
        assert_eq!(
            events[1]["source"],
            "IDS alert 4711, confirmed by the on-call engineer"
        );
        assert!(events[1]["recorded_at"].is_string());

        let duties = hub
            .get(&format!("/api/cases/{id}/duties"), &analyst.secret)
            .await
            .json(StatusCode::OK);
        let early = duty(&duties, CRA, "early_warning");
        assert_eq!(early["due"], "2026-10-03T07:15:00Z");
        assert_eq!(early["recipient"], "eu.srp");
        assert_eq!(early["status"], "overdue", "now is after the deadline");
        assert_eq!(early["submitted"], Value::Null);
        let note = duty(&duties, CRA, "notification");
        assert_eq!(note["due"], "2026-10-05T07:15:00Z");
        let fin = duty(&duties, CRA, "final");
        assert_eq!(fin["status"], "pending_trigger", "no fix yet");
        assert_eq!(fin["due"], Value::Null);
        assert_eq!(duty(&duties, CRA, "inform_users")["status"], "target");

        // A manual submission discharges the early warning.
        let sub = hub
            .post(
                &format!("/api/cases/{id}/submissions"),
                &analyst.secret,
                &json!({"rule": CRA, "stage": "early_warning", "at": "2026-10-03T06:00:00Z",
                        "evidence": "SRP submission receipt 2026-0042"}),
            )
            .await
            .json(StatusCode::CREATED);
        assert_eq!(sub["covers"], json!([]));
        assert_eq!(sub["evidence"], "SRP submission receipt 2026-0042");
        let duties = hub
            .get(&format!("/api/cases/{id}/duties"), &analyst.secret)
            .await
            .json(StatusCode::OK);
        let early = duty(&duties, CRA, "early_warning");
        assert_eq!(early["status"], "submitted");
        assert_eq!(early["submitted"], "2026-10-03T06:00:00Z");
        assert_eq!(early["due"], "2026-10-03T07:15:00Z");
        let case = hub
            .get(&format!("/api/cases/{id}"), &analyst.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(case["submissions"][0]["stage"], "early_warning");

        // Without the manufacturer role the CRA does not bind the organisation.
        let other = hub.org("no-profile").await;
        let theirs = create(&hub, &other.admin, &cra_case("theirs")).await;
        event(
            &hub,
            &other.admin,
            &theirs,
            "vuln.exploitation_aware",
            "2026-10-02T07:15:00Z",
            "s",
        )
        .await;
        let none = hub
            .get(&format!("/api/cases/{theirs}/duties"), &other.admin)
            .await
            .json(StatusCode::OK);
        assert!(
            !none["duties"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["rule"] == CRA),
            "{none}"
        );
    })
    .await;
}

#[tokio::test]
async fn open_duties_are_listed_soonest_first() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("duties").await;
        manufacturer(&hub, &org).await;
        let t = &org.admin;
        // Aware 2 h ago: early warning due in 22 h. Aware 10 h ago: due in 14 h.
        let recent = create(&hub, t, &cra_case("recent")).await;
        event(&hub, t, &recent, "vuln.exploitation_aware", &ago(2), "s").await;
        let older = create(&hub, t, &cra_case("older")).await;
        event(&hub, t, &older, "vuln.exploitation_aware", &ago(10), "s").await;
        // Long overdue: not open.
        let late = create(&hub, t, &cra_case("late")).await;
        event(
            &hub,
            t,
            &late,
            "vuln.exploitation_aware",
            "2026-10-02T07:15:00Z",
            "s",
        )
        .await;

        let open = hub
            .get("/api/duties?status=open", t)
            .await
            .json(StatusCode::OK);
        let list = open["duties"].as_array().unwrap();
        assert!(list.iter().all(|d| d["status"] == "open"), "{open}");
        let order: Vec<(&str, &str)> = list
            .iter()
            .filter(|d| d["rule"] == CRA)
            .map(|d| (d["case_id"].as_str().unwrap(), d["stage"].as_str().unwrap()))
            .collect();
        assert_eq!(
            order,
            [
                (older.as_str(), "early_warning"),
                (recent.as_str(), "early_warning"),
                (older.as_str(), "notification"),
                (recent.as_str(), "notification"),
            ]
        );
        assert_eq!(list[0]["case_title"], "older");
        let dues: Vec<Timestamp> = list
            .iter()
            .map(|d| d["due"].as_str().unwrap().parse().unwrap())
            .collect();
        assert!(dues.windows(2).all(|w| w[0] <= w[1]), "{dues:?}");
        assert_eq!(open["errors"], json!([]));

        // Unfiltered: every case, duties without a due instant last.
        let all = hub.get("/api/duties", t).await.json(StatusCode::OK);
        let all = all["duties"].as_array().unwrap();
        let first_undated = all.iter().position(|d| d["due"].is_null()).unwrap();
        assert!(all[first_undated..].iter().all(|d| d["due"].is_null()));
        assert!(
            all.iter()
                .any(|d| d["case_id"] == late.as_str() && d["status"] == "overdue")
        );
        assert!(all.iter().any(|d| d["status"] == "pending_trigger"));

        let bad = hub.get("/api/duties?status=late", t).await;
        assert_eq!(bad.pointers(StatusCode::BAD_REQUEST), ["/status"]);
    })
    .await;
}

#[tokio::test]
async fn validation_names_the_fields_and_stores_nothing() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("valid").await;
        let t = &org.admin;
        let r = hub
            .post(
                "/api/cases",
                t,
                &json!({"title": "", "kind": "bug", "status": "open",
                        "cvss_vector": "CVSS:3.0/AV:N/AC:L", "cve_ids": ["CVE-26-1"],
                        "products": [{"version": "1"}], "flags": {"n": 3}, "extra": 1}),
            )
            .await;
        assert_eq!(
            r.pointers(StatusCode::UNPROCESSABLE_ENTITY),
            [
                "/extra",
                "/title",
                "/kind",
                "/status",
                "/cvss_vector",
                "/cve_ids/0",
                "/products/0/name",
                "/flags/n",
            ]
        );
        let list = hub.get("/api/cases", t).await.json(StatusCode::OK);
        assert_eq!(list["cases"], json!([]));
        hub.get("/api/cases?status=open", t)
            .await
            .problem(StatusCode::BAD_REQUEST);

        let id = create(&hub, t, &json!({"title": "t", "kind": "incident"})).await;
        let future = Timestamp::now()
            .checked_add(SignedDuration::from_mins(10))
            .unwrap()
            .to_string();
        let r = hub
            .post(
                &format!("/api/cases/{id}/events"),
                t,
                &json!({"event": "vuln.discovered_or_learned", "at": future, "source": "s"}),
            )
            .await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/at"]);
        let r = hub
            .post(
                &format!("/api/cases/{id}/events"),
                t,
                &json!({"event": "Discovered", "at": "yesterday"}),
            )
            .await;
        assert_eq!(
            r.pointers(StatusCode::UNPROCESSABLE_ENTITY),
            ["/event", "/at", "/source"]
        );
        let r = hub
            .post(
                &format!("/api/cases/{id}/submissions"),
                t,
                &json!({"rule": "eu.cra.art99", "stage": "early_warning",
                        "at": "2026-10-03T06:00:00Z", "evidence": "e"}),
            )
            .await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/rule"]);
        let r = hub
            .post(
                &format!("/api/cases/{id}/submissions"),
                t,
                &json!({"rule": CRA, "stage": "early", "covers": ["notification", "later"],
                        "at": "2026-10-03T06:00:00Z"}),
            )
            .await;
        assert_eq!(
            r.pointers(StatusCode::UNPROCESSABLE_ENTITY),
            ["/stage", "/covers/1", "/evidence"]
        );
        let r = hub
            .patch(&format!("/api/cases/{id}"), t, &json!({"status": "closed"}))
            .await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/status"]);
        let case = hub
            .get(&format!("/api/cases/{id}"), t)
            .await
            .json(StatusCode::OK);
        assert_eq!(case["events"], json!([]));
        assert_eq!(case["submissions"], json!([]));
        assert_eq!(case["status"], "received");
    })
    .await;
}

#[tokio::test]
async fn facts_out_of_order_are_refused() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("order").await;
        manufacturer(&hub, &org).await;
        let t = &org.admin;
        let id = create(&hub, t, &cra_case("c")).await;
        event(
            &hub,
            t,
            &id,
            "vuln.discovered_or_learned",
            "2026-10-05T00:00:00Z",
            "s",
        )
        .await;
        // Exploitation known before the vulnerability was: refused, not stored.
        let r = hub
            .post(
                &format!("/api/cases/{id}/events"),
                t,
                &json!({"event": "vuln.exploitation_aware", "at": "2026-10-02T07:15:00Z",
                        "source": "s"}),
            )
            .await;
        let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            p["detail"].as_str().unwrap().contains("comes before"),
            "{p}"
        );
        assert_eq!(p["errors"][0]["pointer"], "/at");
        let case = hub
            .get(&format!("/api/cases/{id}"), t)
            .await
            .json(StatusCode::OK);
        assert_eq!(case["events"].as_array().unwrap().len(), 1);

        // Facts already stored out of order (the store does not know the
        // engine's order): the duties are a 422 naming why.
        hub.store
            .add_case_event(
                &Actor::system(),
                &org.id,
                &id,
                &NewCaseEvent {
                    event: "vuln.corrective_measure_available".into(),
                    at: "2026-10-01T00:00:00Z"
                        .parse::<Timestamp>()
                        .unwrap()
                        .as_microsecond(),
                    source: "imported".into(),
                },
            )
            .await
            .unwrap();
        let p = hub
            .get(&format!("/api/cases/{id}/duties"), t)
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY);
        let detail = p["detail"].as_str().unwrap();
        assert!(
            detail.contains("vuln.corrective_measure_available")
                && detail.contains("comes before vuln.discovered_or_learned"),
            "{p}"
        );
        let all = hub.get("/api/duties", t).await.json(StatusCode::OK);
        assert_eq!(all["errors"][0]["case_id"], id.as_str());
        assert_eq!(all["duties"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn another_organisations_case_is_a_404() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let mine = hub.org("mine").await;
        let theirs = hub.org("theirs").await;
        manufacturer(&hub, &theirs).await;
        let id = create(&hub, &theirs.admin, &cra_case("theirs")).await;
        event(
            &hub,
            &theirs.admin,
            &id,
            "vuln.exploitation_aware",
            &ago(1),
            "s",
        )
        .await;
        let t = &mine.admin;
        for path in [
            format!("/api/cases/{id}"),
            format!("/api/cases/{id}?reveal=technical_details"),
            format!("/api/cases/{id}/duties"),
        ] {
            hub.get(&path, t).await.problem(StatusCode::NOT_FOUND);
        }
        hub.post(
            &format!("/api/cases/{id}/events"),
            t,
            &json!({"event": "vuln.discovered_or_learned", "at": ago(2), "source": "s"}),
        )
        .await
        .problem(StatusCode::NOT_FOUND);
        hub.post(
            &format!("/api/cases/{id}/submissions"),
            t,
            &json!({"rule": CRA, "stage": "early_warning", "at": ago(0), "evidence": "e"}),
        )
        .await
        .problem(StatusCode::NOT_FOUND);
        hub.patch(
            &format!("/api/cases/{id}"),
            t,
            &json!({"status": "rejected"}),
        )
        .await
        .problem(StatusCode::NOT_FOUND);
        let list = hub.get("/api/cases", t).await.json(StatusCode::OK);
        assert_eq!(list["cases"], json!([]));
        let duties = hub.get("/api/duties", t).await.json(StatusCode::OK);
        assert_eq!(duties["duties"], json!([]));

        // Theirs is untouched and still has its open duties.
        let case = hub
            .get(&format!("/api/cases/{id}"), &theirs.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(case["status"], "received");
        assert_eq!(case["events"].as_array().unwrap().len(), 1);
        assert_eq!(case["submissions"], json!([]));
        let open = hub
            .get("/api/duties?status=open", &theirs.admin)
            .await
            .json(StatusCode::OK);
        assert!(
            open["duties"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["case_id"] == id.as_str() && d["stage"] == "early_warning")
        );
        // No token at all.
        let r = hub.send(Call::new(Method::GET, "/api/duties")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    })
    .await;
}
