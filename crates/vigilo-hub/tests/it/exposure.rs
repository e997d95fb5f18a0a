//! Exposure on arrival: an inventory uploaded before the Log4Shell advisory
//! arrives is matched when it does (the runner's re-match job), listed under
//! `GET /api/exposure` by advisory id or CVE alias with its evidence path,
//! and announced once by an `exposure.new` webhook (signed; only the
//! advisory, asset, component, path and status); a mitigated copy is listed
//! as mitigated and announced by no webhook; re-uploading the asset with the
//! fixed version resolves the finding; an upload after the advisory is
//! matched at once; and one organisation never sees another's findings, nor
//! is its own advisory matched against another's assets. On every backend.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac as _};
use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::Sha256;
use vigilo_core::Ecosystem;
use vigilo_core::inventory::{Evidence, Found, Method as EvidenceMethod};
use vigilo_core::package::Component;
use vigilo_formats::report::{Report, write_json};
use vigilo_hub::HubConfig;
use vigilo_hub::jobs::{Runner, RunnerConfig, TickReport};
use vigilo_store::Actor;
use vigilo_test_support::{TestDb, for_each_backend};

use crate::support::{Hub, OrgFixture, marker};

const LOG4J: &str = "org.apache.logging.log4j:log4j-core";
const GHSA: &str = "GHSA-jfh8-c2jp-5v3q";
const CVE: &str = "CVE-2021-44228";
const JAR: &str = "app.ear!/lib/x.war!/WEB-INF/lib/log4j-core-2.14.1.jar";
const SHADED: &str = "app.ear!/lib/x.war!/WEB-INF/lib/fat.jar";

/// The Log4Shell advisory: the real GHSA record from the shared data when
/// it is there, else a faithful minimal copy of it.
fn log4shell() -> Value {
    let data = std::env::var("VIGILO_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = data.join("osv/ghsa/Maven/GHSA-jfh8-c2jp-5v3q.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return serde_json::from_str(&text).unwrap();
    }
    let range = |introduced: &str, fixed: &str| {
        json!({"package": {"ecosystem": "Maven", "name": LOG4J},
               "ranges": [{"type": "ECOSYSTEM",
                           "events": [{"introduced": introduced}, {"fixed": fixed}]}]})
    };
    json!({
        "schema_version": "1.3.0",
        "id": GHSA,
        "modified": "2022-03-25T20:56:18Z",
        "published": "2021-12-10T00:40:56Z",
        "aliases": [CVE],
        "summary": "Remote code injection in Log4j",
        "details": "Apache Log4j2 JNDI features do not protect against attacker controlled LDAP and other JNDI related endpoints.",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],
        "affected": [range("2.13.0", "2.15.0"), range("0", "2.3.1"), range("2.4", "2.12.2")],
        "database_specific": {"severity": "CRITICAL", "cwe_ids": ["CWE-20", "CWE-400", "CWE-502", "CWE-917"]}
    })
}

/// Imports records as public advisories straight into the store, as
/// `vigilo advisories import` does: the hub learns of them only through the
/// generation counter.
async fn import_public(hub: &Hub, records: &[Value]) {
    let stored: Vec<_> = records
        .iter()
        .map(|r| {
            let parsed = vigilo_formats::osv::from_json(r.clone(), "test").unwrap();
            vigilo_hub::advisories::to_store_record(&parsed, "test")
        })
        .collect();
    let counts = hub
        .store
        .import_advisories(&Actor::cli(), None, &stored)
        .await
        .unwrap();
    assert_eq!(
        counts.inserted + counts.updated,
        records.len(),
        "{counts:?}"
    );
}

fn found(name: &str, version: &str, path: &str, method: EvidenceMethod) -> Found {
    Found {
        component: Component {
            ecosystem: Ecosystem::Maven,
            name: name.into(),
            version: version.into(),
            purl: None,
        },
        evidence: Evidence {
            path: path.into(),
            method,
            detail: "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties".into(),
            sha256: Some("ab".repeat(32)),
        },
        version_range: None,
        mitigations: Vec::new(),
        mitigated: Vec::new(),
        dev: false,
    }
}

/// A scan report as the scanner writes it, named as `vigilo scan --upload`
/// names it: log4j-core at `version` three archives deep, a shaded copy
/// whose `JndiLookup.class` was removed, and an unrelated library.
fn report(asset: &str, version: &str) -> Value {
    let mut shaded = found(LOG4J, "2.0-beta9", SHADED, EvidenceMethod::ClassFingerprint);
    shaded.version_range = Some(">=2.0-beta9, <2.15.0".into());
    shaded.mitigations = vec!["JndiLookup.class removed".into()];
    shaded.mitigated = vec![CVE.into()];
    let r = Report {
        roots: vec!["/srv/app".into()],
        started: "2024-05-02T09:14:00Z".into(),
        finished: "2024-05-02T09:14:07Z".into(),
        tool_version: "vigilo 0.1.0".into(),
        host: "app-01".into(),
        components: vec![
            found(
                LOG4J,
                version,
                &JAR.replace("2.14.1", version),
                EvidenceMethod::PomProperties,
            ),
            shaded,
            found(
                "com.google.guava:guava",
                "32.1.2-jre",
                "app.ear!/lib/guava-32.1.2-jre.jar",
                EvidenceMethod::PomProperties,
            ),
        ],
        ..Report::default()
    };
    let mut out = Vec::new();
    write_json(&r, &mut out).unwrap();
    let mut doc: Value = serde_json::from_slice(&out).unwrap();
    doc["asset"] = json!({ "name": asset });
    doc
}

async fn upload(hub: &Hub, token: &str, doc: &Value) -> String {
    let r = hub.post("/api/assets", token, doc).await;
    assert!(r.status.is_success(), "{}", r.text());
    r.json(r.status)["id"].as_str().unwrap().to_owned()
}

/// A webhook receiver on loopback, recording every request.
#[derive(Debug, Clone)]
struct Receiver {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
}

impl Receiver {
    async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let rx = Receiver {
            addr: listener.local_addr().unwrap(),
            seen: Arc::default(),
        };
        async fn record(State(rx): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
            rx.seen.lock().unwrap().push((headers, body));
            StatusCode::NO_CONTENT
        }
        let app = Router::new()
            .route("/{*path}", post(record))
            .with_state(rx.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        rx
    }

    /// The bodies of the `exposure.new` requests, each signature checked.
    fn exposures(&self, secret: &str) -> Vec<Value> {
        let seen = self.seen.lock().unwrap().clone();
        seen.iter()
            .filter(|(h, _)| h["x-vigilo-event"] == "exposure.new")
            .map(|(h, body)| {
                let ts = h["x-vigilo-timestamp"].to_str().unwrap();
                let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
                mac.update(ts.as_bytes());
                mac.update(b".");
                mac.update(body);
                let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
                assert_eq!(h["x-vigilo-signature"], expected.as_str(), "bad signature");
                let v: Value = serde_json::from_slice(body).unwrap();
                assert_eq!(h["x-vigilo-delivery"], v["delivery"].as_str().unwrap());
                v
            })
            .collect()
    }
}

async fn hub(db: TestDb) -> Hub {
    Hub::with_config(
        db,
        HubConfig {
            webhook_allow_private: true,
            ..HubConfig::default()
        },
    )
    .await
}

fn runner(hub: &Hub) -> Runner {
    Runner::new(
        hub.store.clone(),
        RunnerConfig {
            allow_private: true,
            request_timeout: Duration::from_secs(5),
            ..RunnerConfig::default()
        },
    )
    .unwrap()
}

#[track_caller]
fn clean(report: &TickReport) {
    assert!(report.errors.is_empty(), "{report:?}");
}

async fn webhook(hub: &Hub, org: &OrgFixture, rx: &Receiver) -> String {
    let w = hub
        .post(
            "/api/webhooks",
            &org.admin,
            &json!({"url": format!("http://{}/exposure", rx.addr), "events": ["exposure.new"]}),
        )
        .await
        .json(StatusCode::CREATED);
    assert_eq!(w["events"], json!(["exposure.new"]));
    w["secret"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn log4shell_arrival_exposes_an_uploaded_asset_once_and_the_fix_resolves_it() {
    for_each_backend(|db| async move {
        let hub = hub(db).await;
        let rx = Receiver::start().await;
        let org = hub.org("exposure").await;
        let reader = hub.token_with_role(&org.admin, "reader").await;
        let secret = webhook(&hub, &org, &rx).await;
        let name = format!("app-{}", marker());
        let asset = upload(&hub, &org.admin, &report(&name, "2.14.1")).await;
        let runner = runner(&hub);

        // No advisory yet: nothing is exposed.
        clean(&runner.tick(Timestamp::now()).await);
        let none = hub
            .get("/api/exposure", &reader.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(none, json!({"advisories": [], "next_after": null}));
        assert!(rx.exposures(&secret).is_empty());

        // Log4Shell arrives; the runner's next tick re-matches and notifies.
        import_public(&hub, &[log4shell()]).await;
        let tick = runner.tick(Timestamp::now()).await;
        clean(&tick);
        assert!(tick.delivered >= 1, "{tick:?}");

        let listed = hub
            .get(&format!("/api/exposure?advisory={CVE}"), &reader.secret)
            .await
            .json(StatusCode::OK);
        let advisories = listed["advisories"].as_array().unwrap();
        assert_eq!(advisories.len(), 1, "{listed}");
        let a = &advisories[0];
        assert_eq!(a["id"], GHSA);
        assert_eq!(a["aliases"], json!([CVE]));
        assert_eq!(a["summary"], "Remote code injection in Log4j");
        assert_eq!(a["severity"], "critical");
        let assets = a["assets"].as_array().unwrap();
        assert_eq!(assets.len(), 2, "the jar and the shaded copy: {a}");
        let exposed = assets.iter().find(|x| x["path"] == JAR).unwrap();
        assert_eq!(exposed["asset"], json!({"id": asset, "name": name}));
        assert_eq!(exposed["status"], "affected");
        assert_eq!(exposed["component"]["name"], LOG4J);
        assert_eq!(exposed["component"]["version"], "2.14.1");
        assert_eq!(exposed["component"]["ecosystem"], "Maven");
        assert!(exposed["first_seen"].as_str().unwrap().ends_with('Z'));
        assert_eq!(exposed["resolved_at"], Value::Null);
        let shaded = assets.iter().find(|x| x["path"] == SHADED).unwrap();
        assert_eq!(shaded["status"], "mitigated", "JndiLookup.class removed");

        // The same by id, through the advisory's own endpoint (alias or id),
        // and from the asset's side.
        for path in [
            format!("/api/exposure?advisory={GHSA}"),
            format!("/api/exposure?asset={asset}&status=affected"),
        ] {
            let again = hub.get(&path, &reader.secret).await.json(StatusCode::OK);
            assert_eq!(again["advisories"][0]["id"], GHSA, "{path}: {again}");
        }
        let affected = hub
            .get(
                &format!("/api/exposure?advisory={CVE}&status=affected"),
                &reader.secret,
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(
            affected["advisories"][0]["assets"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        for id in [CVE, GHSA] {
            let one = hub
                .get(&format!("/api/exposure/{id}"), &reader.secret)
                .await
                .json(StatusCode::OK);
            assert_eq!(one["id"], GHSA);
            assert_eq!(one["severity"], "critical");
            assert_eq!(one["assets"].as_array().unwrap().len(), 2, "{one}");
        }
        let findings = hub
            .get(&format!("/api/assets/{asset}/findings"), &reader.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(findings["asset"]["name"], name.as_str());
        let list = findings["findings"].as_array().unwrap();
        assert_eq!(list.len(), 2, "{findings}");
        assert!(list.iter().all(|f| f["advisory"]["id"] == GHSA));
        let later = hub
            .get("/api/exposure?since=2999-01-01T00:00:00Z", &reader.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(later["advisories"], json!([]));

        // Exactly one exposure.new: the affected jar, not the mitigated copy.
        let sent = rx.exposures(&secret);
        assert_eq!(sent.len(), 1, "{sent:?}");
        let body = &sent[0];
        assert_eq!(body["event"], "exposure.new");
        assert_eq!(body["org"], org.id.as_str());
        assert_eq!(
            body["advisory"],
            json!({"id": GHSA, "aliases": [CVE], "summary": "Remote code injection in Log4j"})
        );
        assert_eq!(body["asset"], json!({"id": asset, "name": name}));
        assert_eq!(body["component"]["name"], LOG4J);
        assert_eq!(body["component"]["version"], "2.14.1");
        assert_eq!(body["path"], JAR);
        assert_eq!(body["status"], "affected");
        let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "advisory",
                "asset",
                "component",
                "delivery",
                "event",
                "org",
                "path",
                "sent_at",
                "status"
            ]
        );

        // Nothing new: no second notice.
        // A newer version of the advisory is re-matched: the same findings.
        clean(&runner.tick(Timestamp::now()).await);
        let mut newer = log4shell();
        newer["modified"] = json!("2030-01-01T00:00:00Z");
        import_public(&hub, &[newer]).await;
        clean(&runner.tick(Timestamp::now()).await);
        assert_eq!(rx.exposures(&secret).len(), 1);
        let same = hub
            .get(&format!("/api/exposure/{CVE}"), &reader.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(same["assets"].as_array().unwrap().len(), 2, "{same}");
        assert!(
            same["assets"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["finding"] == exposed["finding"])
        );

        // Re-uploaded with the fixed version: the finding is resolved at once.
        assert_eq!(
            upload(&hub, &org.admin, &report(&name, "2.17.1")).await,
            asset
        );
        let after = hub
            .get(&format!("/api/exposure?advisory={CVE}"), &reader.secret)
            .await
            .json(StatusCode::OK);
        let open: Vec<&Value> = after["advisories"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| a["assets"].as_array().unwrap())
            .collect();
        assert!(open.iter().all(|x| x["path"] != JAR), "{after}");
        let resolved = hub
            .get(
                &format!("/api/exposure?advisory={CVE}&status=resolved"),
                &reader.secret,
            )
            .await
            .json(StatusCode::OK);
        let gone = &resolved["advisories"][0]["assets"][0];
        assert_eq!(gone["path"], JAR, "{resolved}");
        assert!(gone["resolved_at"].as_str().unwrap().ends_with('Z'));
        clean(&runner.tick(Timestamp::now()).await);
        assert_eq!(rx.exposures(&secret).len(), 1);

        // Bad filters are named.
        for (q, pointer) in [
            ("status=fixed", "/status"),
            ("since=yesterday", "/since"),
            ("limit=0", "/limit"),
        ] {
            let r = hub.get(&format!("/api/exposure?{q}"), &reader.secret).await;
            assert_eq!(r.pointers(StatusCode::BAD_REQUEST), [pointer], "{q}");
        }
    })
    .await;
}

#[tokio::test]
async fn exposure_is_per_organisation() {
    for_each_backend(|db| async move {
        let hub = hub(db).await;
        let alpha = hub.org("alpha").await;
        let beta = hub.org("beta").await;
        import_public(&hub, &[log4shell()]).await;
        let name_a = format!("alpha-app-{}", marker());
        let name_b = format!("beta-app-{}", marker());
        // Uploaded after the advisory: matched at once, no job needed.
        let asset_a = upload(&hub, &alpha.admin, &report(&name_a, "2.14.1")).await;
        let asset_b = upload(&hub, &beta.admin, &report(&name_b, "2.14.1")).await;
        // Alpha's own advisory on a library both run: matched for alpha only.
        let own = json!({
            "schema_version": "1.6.0",
            "id": "ALPHA-2024-0001",
            "modified": "2024-05-01T00:00:00Z",
            "aliases": ["CVE-2099-0001"],
            "summary": "alpha's own finding in guava",
            "affected": [{"package": {"ecosystem": "Maven", "name": "com.google.guava:guava"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]
        });
        hub.post("/api/advisories", &alpha.admin, &own)
            .await
            .json(StatusCode::OK);
        let runner = runner(&hub);
        clean(&runner.tick(Timestamp::now()).await);

        let a = hub
            .get("/api/exposure", &alpha.admin)
            .await
            .json(StatusCode::OK);
        let b = hub
            .get("/api/exposure", &beta.admin)
            .await
            .json(StatusCode::OK);
        let ids = |v: &Value| -> Vec<String> {
            v["advisories"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(ids(&a), ["ALPHA-2024-0001", GHSA], "{a}");
        assert_eq!(ids(&b), [GHSA], "{b}");
        let a_text = a.to_string();
        let b_text = b.to_string();
        assert!(a_text.contains(&name_a) && !a_text.contains(&name_b), "{a}");
        assert!(b_text.contains(&name_b) && !b_text.contains(&name_a), "{b}");
        assert!(!b_text.contains(&asset_a) && !b_text.contains("ALPHA-2024-0001"));

        // Beta asking for alpha's asset or advisory: not found, and no hint.
        let r = hub
            .get(&format!("/api/assets/{asset_a}/findings"), &beta.admin)
            .await;
        r.problem(StatusCode::NOT_FOUND);
        assert!(!r.text().contains(&name_a));
        hub.get("/api/exposure/ALPHA-2024-0001", &beta.admin)
            .await
            .problem(StatusCode::NOT_FOUND);
        hub.get("/api/exposure/CVE-2099-0001", &beta.admin)
            .await
            .problem(StatusCode::NOT_FOUND);
        let foreign = hub
            .get(&format!("/api/exposure?asset={asset_a}"), &beta.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(foreign["advisories"], json!([]));
        let own_view = hub
            .get("/api/exposure/CVE-2099-0001", &alpha.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(own_view["id"], "ALPHA-2024-0001");
        assert_eq!(own_view["assets"][0]["asset"]["id"], asset_a.as_str());
        let mine = hub
            .get(&format!("/api/assets/{asset_b}/findings"), &beta.admin)
            .await
            .json(StatusCode::OK);
        assert!(
            mine["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["advisory"]["id"] == GHSA),
            "{mine}"
        );
    })
    .await;
}
