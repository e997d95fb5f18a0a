//! Assets (`POST /api/assets`, `GET /api/assets`, `GET /api/assets/{id}`):
//! the scanner's report as written by `vigilo-formats` round-trips, a
//! re-upload replaces the inventory, organisations see only their own,
//! validation names JSON pointers, uploads are audited, and a read-only
//! token cannot upload; on every backend.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use vigilo_core::Ecosystem;
use vigilo_core::inventory::{Evidence, Found, Method as EvidenceMethod};
use vigilo_core::package::Component;
use vigilo_formats::report::{Report, write_json};
use vigilo_test_support::for_each_backend;

use crate::support::{Call, Hub, Resp, marker};

fn found(ecosystem: Ecosystem, name: &str, version: &str, path: &str) -> Found {
    Found {
        component: Component {
            ecosystem,
            name: name.into(),
            version: version.into(),
            purl: None,
        },
        evidence: Evidence {
            path: path.into(),
            method: EvidenceMethod::Lockfile,
            detail: "line 3".into(),
            sha256: Some("ab".repeat(32)),
        },
        version_range: None,
        mitigations: Vec::new(),
        mitigated: Vec::new(),
        dev: false,
    }
}

/// A scan report exactly as the scanner writes it, plus the `asset` member
/// the client adds (as `vigilo scan --upload` does).
fn report(host: &str, asset: Option<&str>, components: Vec<Found>) -> Value {
    let r = Report {
        roots: vec!["/srv/app".into()],
        started: "2024-05-02T09:14:00Z".into(),
        finished: "2024-05-02T09:14:07Z".into(),
        tool_version: "vigilo 0.1.0".into(),
        host: host.into(),
        components,
        ..Report::default()
    };
    let mut out = Vec::new();
    write_json(&r, &mut out).unwrap();
    let mut doc: Value = serde_json::from_slice(&out).unwrap();
    if let Some(name) = asset {
        doc["asset"] = json!({ "name": name });
    }
    doc
}

fn inventory() -> Vec<Found> {
    vec![
        found(Ecosystem::PyPI, "Jinja2", "2.11.2", "requirements.txt"),
        found(
            Ecosystem::Maven,
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            "app.ear!/lib/log4j-core-2.14.1.jar",
        ),
        found(
            Ecosystem::Debian(Some("12".into())),
            "openssl",
            "3.0.11-1~deb12u2",
            "/var/lib/dpkg/status",
        ),
    ]
}

async fn upload(hub: &Hub, token: &str, doc: &Value) -> Resp {
    hub.post("/api/assets", token, doc).await
}

#[tokio::test]
async fn a_scan_report_round_trips_and_a_new_scan_replaces_it() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("assets").await;
        let analyst = hub.token_with_role(&org.admin, "analyst").await;

        let host = format!("web-{}", marker());
        let r = upload(&hub, &analyst.secret, &report(&host, None, inventory())).await;
        let created = r.json(StatusCode::CREATED);
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["name"], host.as_str(), "the name defaults to host");
        assert_eq!(created["components"], 3);
        assert_eq!(created["scans"], 1);
        assert_eq!(created["created"], true);
        assert_eq!(r.headers["location"], format!("/api/assets/{id}").as_str());

        let list = hub
            .get("/api/assets", &analyst.secret)
            .await
            .json(StatusCode::OK);
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["id"], id.as_str());
        assert_eq!(list[0]["host"], host.as_str());
        assert_eq!(list[0]["scanned_at"], "2024-05-02T09:14:07Z");
        assert_eq!(list[0]["components"], 3);
        assert_eq!(list[0]["scans"], 1);
        assert_eq!(
            list[0]["uploaded_by"],
            format!("token:{}", analyst.id).as_str()
        );
        assert!(list[0]["uploaded_at"].as_str().unwrap().ends_with('Z'));

        let page = hub
            .get(&format!("/api/assets/{id}"), &analyst.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(page["asset"]["id"], id.as_str());
        assert_eq!(page["next_after"], Value::Null);
        let comps = page["components"].as_array().unwrap();
        assert_eq!(comps.len(), 3);
        assert_eq!(
            comps[0],
            json!({"seq": 1, "ecosystem": "PyPI", "name": "Jinja2", "version": "2.11.2",
                   "purl": "pkg:pypi/jinja2@2.11.2", "path": "requirements.txt"})
        );
        assert_eq!(comps[1]["path"], "app.ear!/lib/log4j-core-2.14.1.jar");
        assert_eq!(comps[2]["ecosystem"], "Debian:12");
        // What re-matching will look up: normalised keys, across releases.
        let hits = hub
            .store
            .components_with_package("PyPI", "jinja2")
            .await
            .unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].asset_id, id);
        assert_eq!(hits[0].org_id, org.id);
        let doc = hub
            .store
            .asset_document(&org.id, &id)
            .await
            .unwrap()
            .unwrap();
        let doc: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(doc["schema"], "vigilo-scan/1");
        assert_eq!(doc["stats"]["components"], 3, "the report is kept whole");

        // Paging.
        let p1 = hub
            .get(&format!("/api/assets/{id}?limit=2"), &analyst.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(p1["components"].as_array().unwrap().len(), 2);
        assert_eq!(p1["next_after"], 2);
        let p2 = hub
            .get(
                &format!("/api/assets/{id}?limit=2&after=2"),
                &analyst.secret,
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(p2["components"][0]["seq"], 3);
        assert_eq!(p2["next_after"], Value::Null);
        for bad in ["limit=0", "limit=10001", "limit=x", "page=2"] {
            hub.get(&format!("/api/assets/{id}?{bad}"), &analyst.secret)
                .await
                .problem(StatusCode::BAD_REQUEST);
        }

        // A new scan of the same asset (named explicitly this time) replaces it.
        let second = report(
            "other-host",
            Some(&host),
            vec![found(
                Ecosystem::Npm,
                "lodash",
                "4.17.20",
                "package-lock.json",
            )],
        );
        let r = upload(&hub, &org.admin, &second).await;
        let replaced = r.json(StatusCode::OK);
        assert_eq!(replaced["id"], id.as_str());
        assert_eq!(replaced["components"], 1);
        assert_eq!(replaced["scans"], 2);
        assert_eq!(replaced["created"], false);
        assert_eq!(replaced["replaced"], 3);
        let page = hub
            .get(&format!("/api/assets/{id}"), &analyst.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(page["asset"]["host"], "other-host");
        assert_eq!(page["asset"]["scans"], 2);
        assert_eq!(
            page["components"],
            json!([{"seq": 1, "ecosystem": "npm", "name": "lodash", "version": "4.17.20",
                    "purl": "pkg:npm/lodash@4.17.20", "path": "package-lock.json"}])
        );
        assert!(
            hub.store
                .components_with_package("PyPI", "jinja2")
                .await
                .unwrap()
                .is_empty()
        );
        // Another name is another asset.
        upload(&hub, &analyst.secret, &report(&host, Some("db-01"), vec![]))
            .await
            .json(StatusCode::CREATED);
        let list = hub
            .get("/api/assets", &analyst.secret)
            .await
            .json(StatusCode::OK);
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["db-01", host.as_str()]);

        // Every upload is audited, with its counts.
        let events = hub
            .store
            .audit_events(Some(&org.id), 0, 10_000)
            .await
            .unwrap();
        let uploads: Vec<_> = events
            .iter()
            .filter(|e| e.action == "asset.upload")
            .collect();
        assert_eq!(uploads.len(), 3);
        assert_eq!(uploads[0].object, format!("asset:{id}"));
        assert_eq!(uploads[0].actor, format!("token:{}", analyst.id));
        let detail: Value = serde_json::from_str(uploads[1].detail.as_deref().unwrap()).unwrap();
        assert_eq!(
            (&detail["components"], &detail["replaced"], &detail["scans"]),
            (&json!(1), &json!(3), &json!(2))
        );
    })
    .await;
}

#[tokio::test]
async fn organisations_see_only_their_own_assets() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let a = hub.org("asseta").await;
        let b = hub.org("assetb").await;
        let secret_host = format!("secret-{}", marker());
        let ida = upload(&hub, &a.admin, &report(&secret_host, None, inventory()))
            .await
            .json(StatusCode::CREATED)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // B uploads an asset of the same name: its own, A's is untouched.
        let idb = upload(&hub, &b.admin, &report(&secret_host, None, vec![]))
            .await
            .json(StatusCode::CREATED)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_ne!(ida, idb);
        let r = hub.get(&format!("/api/assets/{ida}"), &b.admin).await;
        let body = r.problem(StatusCode::NOT_FOUND);
        assert!(!body.to_string().contains(&secret_host), "{body}");
        hub.get(&format!("/api/assets/{ida}?after=1"), &b.admin)
            .await
            .problem(StatusCode::NOT_FOUND);
        let list = hub.get("/api/assets", &b.admin).await.json(StatusCode::OK);
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["id"], idb.as_str());
        assert!(!list.to_string().contains(&ida), "{list}");
        assert!(!list.to_string().contains("Jinja2"), "{list}");
        let page = hub
            .get(&format!("/api/assets/{ida}"), &a.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(page["asset"]["components"], 3);
        assert_eq!(page["asset"]["scans"], 1);
        // Unknown ids.
        for id in ["nope", "0190a5c4-0000-7000-8000-000000000000"] {
            hub.get(&format!("/api/assets/{id}"), &a.admin)
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
        let org = hub.org("assetro").await;
        let doc = report("h", None, inventory());
        for role in ["reader", "sync"] {
            let t = hub.token_with_role(&org.admin, role).await;
            upload(&hub, &t.secret, &doc)
                .await
                .problem(StatusCode::FORBIDDEN);
            // Reading is allowed.
            hub.get("/api/assets", &t.secret).await.json(StatusCode::OK);
        }
        let r = hub
            .send(Call::new(Method::POST, "/api/assets").json(&doc))
            .await;
        r.problem(StatusCode::UNAUTHORIZED);
        hub.send(Call::new(Method::GET, "/api/assets"))
            .await
            .problem(StatusCode::UNAUTHORIZED);
        let list = hub
            .get("/api/assets", &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(list, json!([]));
        let events = hub
            .store
            .audit_events(Some(&org.id), 0, 10_000)
            .await
            .unwrap();
        assert!(events.iter().all(|e| e.action != "asset.upload"));
    })
    .await;
}

#[tokio::test]
async fn invalid_reports_are_rejected_with_pointers() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("assetval").await;
        let good = report("web-01", None, inventory());
        let with = |f: &dyn Fn(&mut Value)| {
            let mut d = good.clone();
            f(&mut d);
            d
        };
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (
                with(&|d| d["schema"] = json!("vigilo-scan/2")),
                vec!["/schema"],
            ),
            (
                with(&|d| {
                    d.as_object_mut().unwrap().remove("schema");
                }),
                vec!["/schema"],
            ),
            (json!(7), vec![""]),
            (
                with(&|d| {
                    d["components"][0]
                        .as_object_mut()
                        .unwrap()
                        .remove("version");
                    d["components"][1]["ecosystem"] = json!("");
                    d["components"][2]["name"] = json!(42);
                }),
                vec![
                    "/components/0/version",
                    "/components/1/ecosystem",
                    "/components/2/name",
                ],
            ),
            (
                with(&|d| d["components"][1] = json!("log4j")),
                vec!["/components/1"],
            ),
            (
                with(&|d| d["components"] = json!({"a": 1})),
                vec!["/components"],
            ),
            (
                with(&|d| {
                    d.as_object_mut().unwrap().remove("components");
                }),
                vec!["/components"],
            ),
            (
                with(&|d| d["components"][0]["version"] = json!("1".repeat(257))),
                vec!["/components/0/version"],
            ),
            (
                with(&|d| d["components"][0]["purl"] = json!("pkg:pypi/x\u{0}")),
                vec!["/components/0/purl"],
            ),
            (
                with(&|d| d["finished"] = json!("yesterday")),
                vec!["/finished"],
            ),
            (
                with(&|d| {
                    d.as_object_mut().unwrap().remove("host");
                }),
                vec!["/host"],
            ),
            (with(&|d| d["host"] = json!("")), vec!["/asset/name"]),
            (
                with(&|d| d["asset"] = json!({"name": "x".repeat(256)})),
                vec!["/asset/name"],
            ),
            (
                with(&|d| d["asset"] = json!({"name": "a\tb"})),
                vec!["/asset/name"],
            ),
            (with(&|d| d["asset"] = json!("web")), vec!["/asset"]),
        ];
        for (doc, want) in cases {
            let r = upload(&hub, &org.admin, &doc).await;
            let pointers = r.pointers(StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(pointers, want, "{}", r.text());
        }
        // Many bad components: every one counted, the first hundred listed.
        let many = with(&|d| d["components"] = json!(vec![json!({"name": "x"}); 60]));
        let r = upload(&hub, &org.admin, &many).await;
        let body = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"].as_array().unwrap().len(), 100);
        assert!(
            body["detail"].as_str().unwrap().starts_with("120 invalid"),
            "{body}"
        );
        // Transport errors: malformed JSON, an array, no JSON content type.
        let r = hub
            .send(
                Call::new(Method::POST, "/api/assets")
                    .bearer(&org.admin)
                    .raw(Some("application/json"), "{\"schema\": "),
            )
            .await;
        r.problem(StatusCode::BAD_REQUEST);
        upload(&hub, &org.admin, &json!([good]))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY);
        hub.send(
            Call::new(Method::POST, "/api/assets")
                .bearer(&org.admin)
                .raw(Some("text/plain"), good.to_string()),
        )
        .await
        .problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
        // Nothing was stored, nothing audited.
        let list = hub
            .get("/api/assets", &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(list, json!([]));
        let events = hub
            .store
            .audit_events(Some(&org.id), 0, 10_000)
            .await
            .unwrap();
        assert!(events.iter().all(|e| e.action != "asset.upload"));
        // The valid report is accepted.
        upload(&hub, &org.admin, &good)
            .await
            .json(StatusCode::CREATED);
    })
    .await;
}

#[tokio::test]
async fn uploads_over_the_body_limit_are_refused() {
    for_each_backend(|db| async move {
        let config = vigilo_hub::HubConfig {
            body_limit: 4096,
            ..vigilo_hub::HubConfig::default()
        };
        let hub = Hub::with_config(db, config).await;
        let org = hub.org("assetbig").await;
        let comps = (0..100)
            .map(|i| {
                found(
                    Ecosystem::Npm,
                    &format!("pkg-{i}"),
                    "1.0.0",
                    "package-lock.json",
                )
            })
            .collect();
        let r = upload(&hub, &org.admin, &report("h", None, comps)).await;
        let body = r.problem(StatusCode::PAYLOAD_TOO_LARGE);
        assert!(body["detail"].as_str().unwrap().contains("4096"), "{body}");
    })
    .await;
}

#[tokio::test]
async fn the_asset_endpoints_are_documented() {
    let doc: Value = serde_json::from_str(&vigilo_hub::openapi().to_json().unwrap()).unwrap();
    let paths = &doc["paths"];
    assert!(paths["/api/assets"]["post"].is_object(), "{paths}");
    assert!(paths["/api/assets"]["get"].is_object());
    assert!(paths["/api/assets/{id}"]["get"].is_object());
    assert!(doc["components"]["schemas"]["AssetPage"].is_object());
}
