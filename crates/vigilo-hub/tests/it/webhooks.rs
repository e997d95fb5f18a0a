//! Outbound webhooks and the job runner, against a real receiver on
//! loopback that checks every signature: a duty reminder delivered once
//! when its lead time is reached and not again, an overdue alert once the
//! due instant passes, a failing receiver retried with backoff and every
//! attempt in the delivery log, a job whose runner died taken over by a new
//! runner once its lease expired, private addresses refused unless allowed,
//! validation naming JSON pointers, scopes and organisations isolated; on
//! every backend. The runner is driven with explicit instants (`tick(now)`),
//! so nothing sleeps.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac as _};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use sha2::Sha256;
use vigilo_hub::HubConfig;
use vigilo_hub::jobs::{Runner, RunnerConfig, TickReport};
use vigilo_store::Backoff;
use vigilo_test_support::{TestDb, for_each_backend};

use crate::support::{Hub, OrgFixture};

const CRA: &str = "eu.cra.art14.aev";
const SEALED: &str = "sealed-technical-detail-5b1e";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Debug, Clone)]
struct Receiver {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// The status it answers with.
    status: Arc<AtomicU16>,
}

impl Receiver {
    async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let rx = Receiver {
            addr: listener.local_addr().unwrap(),
            seen: Arc::default(),
            status: Arc::new(AtomicU16::new(200)),
        };
        async fn record(
            State(rx): State<Receiver>,
            OriginalUri(uri): OriginalUri,
            headers: HeaderMap,
            body: Bytes,
        ) -> StatusCode {
            rx.seen.lock().unwrap().push(Seen {
                path: uri.path().to_owned(),
                headers,
                body,
            });
            StatusCode::from_u16(rx.status.load(Ordering::SeqCst)).unwrap()
        }
        let app = Router::new()
            .route("/{*path}", post(record))
            .with_state(rx.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        rx
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn header<'a>(seen: &'a Seen, name: &str) -> &'a str {
    seen.headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

/// Checks the headers and the signature as a receiver would, and returns the body.
#[track_caller]
fn verified(seen: &Seen, secret: &str) -> Value {
    assert_eq!(header(seen, "content-type"), "application/json");
    let ts = header(seen, "x-vigilo-timestamp");
    assert!(ts.parse::<i64>().is_ok(), "timestamp {ts}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(&seen.body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(
        header(seen, "x-vigilo-signature"),
        expected,
        "bad signature"
    );
    let body: Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(header(seen, "x-vigilo-event"), body["event"]);
    assert_eq!(header(seen, "x-vigilo-delivery"), body["delivery"]);
    assert!(
        body["sent_at"]
            .as_str()
            .unwrap()
            .parse::<Timestamp>()
            .is_ok()
    );
    let text = String::from_utf8_lossy(&seen.body);
    assert!(!text.contains(SEALED), "sealed case data sent: {text}");
    body
}

fn runner_config() -> RunnerConfig {
    RunnerConfig {
        allow_private: true,
        request_timeout: Duration::from_secs(5),
        lease: Duration::from_secs(60),
        backoff: Backoff {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(3600),
        },
        max_attempts: 3,
        ..RunnerConfig::default()
    }
}

async fn hub_allowing_private(db: TestDb) -> Hub {
    Hub::with_config(
        db,
        HubConfig {
            webhook_allow_private: true,
            ..HubConfig::default()
        },
    )
    .await
}

#[track_caller]
fn clean(report: &TickReport) {
    assert!(report.errors.is_empty(), "{report:?}");
}

fn plus(t: Timestamp, secs: i64) -> Timestamp {
    t.checked_add(SignedDuration::from_secs(secs)).unwrap()
}

/// A manufacturer with a CRA case made aware of exploitation 2 hours ago:
/// its early warning is open, due 22 hours from now. Returns the duty's id
/// and due instant.
async fn open_duty(hub: &Hub, org: &OrgFixture) -> (String, Timestamp) {
    let r = hub
        .put(
            "/api/org/profile",
            &org.admin,
            &json!({"legal_name": "Acme GmbH", "roles": ["manufacturer"],
                    "jurisdictions": ["DE", "EU"], "sectors": ["manufacturing"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let case = hub
        .post(
            "/api/cases",
            &org.admin,
            &json!({
                "title": "RCE in the gateway",
                "kind": "vulnerability",
                "products": [{"name": "gateway", "version": "2.3"}],
                "flags": {"product.made_available_in_eu": true, "vuln.actively_exploited": true},
                "technical_details": SEALED,
            }),
        )
        .await
        .json(StatusCode::CREATED);
    let case_id = case["id"].as_str().unwrap().to_owned();
    let aware = Timestamp::from_second(Timestamp::now().as_second() - 2 * 3600).unwrap();
    hub.post(
        &format!("/api/cases/{case_id}/events"),
        &org.admin,
        &json!({"event": "vuln.exploitation_aware", "at": aware.to_string(), "source": "test"}),
    )
    .await
    .json(StatusCode::CREATED);
    let duties = hub
        .get("/api/duties?status=open", &org.admin)
        .await
        .json(StatusCode::OK);
    let duty = duties["duties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| {
            d["case_id"] == case_id.as_str() && d["rule"] == CRA && d["stage"] == "early_warning"
        })
        .unwrap_or_else(|| panic!("no open early warning in {duties}"))
        .clone();
    (
        duty["id"].as_str().unwrap().to_owned(),
        duty["due"].as_str().unwrap().parse().unwrap(),
    )
}

/// Creates a webhook through the API; returns its id and secret.
async fn webhook(hub: &Hub, org: &OrgFixture, body: &Value) -> (String, String) {
    let w = hub
        .post("/api/webhooks", &org.admin, body)
        .await
        .json(StatusCode::CREATED);
    (
        w["id"].as_str().unwrap().to_owned(),
        w["secret"].as_str().unwrap().to_owned(),
    )
}

async fn deliveries(hub: &Hub, org: &OrgFixture, hook: &str) -> Vec<Value> {
    hub.get(&format!("/api/webhooks/{hook}/deliveries"), &org.admin)
        .await
        .json(StatusCode::OK)["deliveries"]
        .as_array()
        .unwrap()
        .clone()
}

/// The requests about one duty.
fn about<'a>(seen: &'a [Seen], duty: &str) -> Vec<&'a Seen> {
    seen.iter()
        .filter(|s| serde_json::from_slice::<Value>(&s.body).unwrap()["duty"]["id"] == duty)
        .collect()
}

#[tokio::test]
async fn webhooks_remind_once_then_alert_when_overdue() {
    for_each_backend(|db| async move {
        let hub = hub_allowing_private(db).await;
        let rx = Receiver::start().await;
        let org = hub.org("hooks").await;
        let (duty, due) = open_duty(&hub, &org).await;
        let (hook, secret) = webhook(
            &hub,
            &org,
            &json!({"url": rx.url("/all"), "events": ["duty.reminder", "duty.overdue"],
                    "lead_times_minutes": [60, 240]}),
        )
        .await;
        // Generated: 32 random bytes in hex, shown once.
        assert_eq!(secret.len(), 64);
        assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
        let listed = hub
            .get("/api/webhooks", &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(listed["webhooks"][0]["id"], hook.as_str());
        assert_eq!(
            listed["webhooks"][0]["lead_times_minutes"],
            json!([60, 240])
        );
        assert!(listed["webhooks"][0].get("secret").is_none(), "{listed}");
        // A second webhook wants overdue alerts only, with its own secret.
        let own_secret = "a-secret-of-our-own-choosing";
        let (only_overdue, s2) = webhook(
            &hub,
            &org,
            &json!({"url": rx.url("/overdue"), "events": ["duty.overdue"], "secret": own_secret}),
        )
        .await;
        assert_eq!(s2, own_secret);

        let runner = Runner::new(hub.store.clone(), runner_config()).unwrap();
        // Due in 22 hours: no reminder yet.
        let report = runner.tick(Timestamp::now()).await;
        clean(&report);
        assert!(about(&rx.seen(), &duty).is_empty());

        // 3 hours before: the 4-hour reminder, once.
        let at = plus(due, -3 * 3600);
        clean(&runner.tick(at).await);
        let seen = rx.seen();
        let mine = about(&seen, &duty);
        assert_eq!(mine.len(), 1, "{seen:?}");
        assert_eq!(mine[0].path, "/all");
        let body = verified(mine[0], &secret);
        assert_eq!(body["event"], "duty.reminder");
        assert_eq!(body["lead_minutes"], 240);
        assert_eq!(body["org"], org.id.as_str());
        assert_eq!(body["sent_at"], at.to_string());
        assert_eq!(
            header(mine[0], "x-vigilo-timestamp"),
            at.as_second().to_string()
        );
        let d = &body["duty"];
        assert_eq!(d["id"], duty.as_str());
        assert_eq!(d["rule"], CRA);
        assert_eq!(d["stage"], "early_warning");
        assert_eq!(d["case_title"], "RCE in the gateway");
        assert_eq!(d["status"], "open");
        assert_eq!(d["due"], due.to_string());
        assert!(
            d["recipient"].as_str().is_some_and(|r| !r.is_empty()),
            "{d}"
        );
        assert_eq!(
            d.as_object().unwrap().keys().collect::<Vec<_>>(),
            [
                "case_id",
                "case_title",
                "due",
                "id",
                "recipient",
                "rule",
                "stage",
                "status"
            ]
        );

        // The next tick sends nothing new.
        clean(&runner.tick(plus(at, 30)).await);
        assert_eq!(about(&rx.seen(), &duty).len(), 1);

        // 30 minutes before: the 1-hour reminder, once.
        let at = plus(due, -1800);
        clean(&runner.tick(at).await);
        clean(&runner.tick(plus(at, 60)).await);
        let seen = rx.seen();
        let mine = about(&seen, &duty);
        assert_eq!(mine.len(), 2);
        assert_eq!(verified(mine[1], &secret)["lead_minutes"], 60);

        // Past due: one overdue alert to each webhook, and not again.
        let late = plus(due, 60);
        clean(&runner.tick(late).await);
        clean(&runner.tick(plus(late, 600)).await);
        let seen = rx.seen();
        let mine = about(&seen, &duty);
        assert_eq!(mine.len(), 4, "{mine:?}");
        let mut overdue: Vec<(&str, Value)> = mine[2..]
            .iter()
            .map(|s| {
                let secret = if s.path == "/all" {
                    &secret
                } else {
                    own_secret
                };
                (s.path.as_str(), verified(s, secret))
            })
            .collect();
        overdue.sort_by(|a, b| a.0.cmp(b.0));
        assert_eq!(overdue[0].0, "/all");
        assert_eq!(overdue[1].0, "/overdue");
        for (_, body) in &overdue {
            assert_eq!(body["event"], "duty.overdue");
            assert_eq!(body["lead_minutes"], Value::Null);
            assert_eq!(body["duty"]["status"], "overdue");
        }
        // The overdue-only webhook never got a reminder.
        assert!(seen.iter().filter(|s| s.path == "/overdue").all(|s| {
            serde_json::from_slice::<Value>(&s.body).unwrap()["event"] == "duty.overdue"
        }));

        // The delivery log: each delivered at the first attempt.
        let log = deliveries(&hub, &org, &hook).await;
        let log: Vec<&Value> = log
            .iter()
            .filter(|d| d["duty_id"] == duty.as_str())
            .collect();
        assert_eq!(log.len(), 3);
        let events: Vec<&str> = log.iter().map(|d| d["event"].as_str().unwrap()).collect();
        assert_eq!(events, ["duty.overdue", "duty.reminder", "duty.reminder"]);
        for d in &log {
            assert_eq!(d["state"], "delivered", "{d}");
            assert_eq!(d["attempts"], 1);
            assert_eq!(d["http_status"], 200);
            assert_eq!(d["attempt_log"].as_array().unwrap().len(), 1);
            assert_eq!(d["attempt_log"][0]["http_status"], 200);
        }
        assert_eq!(deliveries(&hub, &org, &only_overdue).await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn webhooks_failing_receiver_is_retried_with_backoff_and_logged() {
    for_each_backend(|db| async move {
        let hub = hub_allowing_private(db).await;
        let rx = Receiver::start().await;
        rx.answer(500);
        let org = hub.org("retry").await;
        let (hook, secret) = webhook(&hub, &org, &json!({"url": rx.url("/hook")})).await;
        let runner = Runner::new(hub.store.clone(), runner_config()).unwrap();

        let ping = hub
            .post(
                &format!("/api/webhooks/{hook}/test"),
                &org.admin,
                &json!({}),
            )
            .await
            .json(StatusCode::ACCEPTED);
        let delivery = ping["delivery"].as_str().unwrap().to_owned();

        let t0 = Timestamp::now();
        let report = runner.tick(t0).await;
        clean(&report);
        assert_eq!((report.ran, report.retried), (1, 1), "{report:?}");
        assert_eq!(rx.seen().len(), 1);
        let body = verified(&rx.seen()[0], &secret);
        assert_eq!(body["event"], "ping");
        assert_eq!(body["delivery"], delivery.as_str());

        // Not before the backoff (30 s) has passed.
        clean(&runner.tick(plus(t0, 20)).await);
        assert_eq!(rx.seen().len(), 1);
        let log = deliveries(&hub, &org, &hook).await;
        assert_eq!(log[0]["state"], "pending");
        assert_eq!(log[0]["attempts"], 1);
        assert_eq!(log[0]["http_status"], 500);
        let next: Timestamp = log[0]["next_attempt_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(next.as_second(), plus(t0, 30).as_second());

        let t1 = plus(t0, 31);
        let report = runner.tick(t1).await;
        assert_eq!(report.retried, 1, "{report:?}");
        assert_eq!(rx.seen().len(), 2);
        // The backoff doubles: not yet at +59 s, but at +61 s.
        clean(&runner.tick(plus(t1, 59)).await);
        assert_eq!(rx.seen().len(), 2);
        let report = runner.tick(plus(t1, 61)).await;
        assert_eq!(report.failed, 1, "{report:?}");
        let seen = rx.seen();
        assert_eq!(seen.len(), 3);
        // The same delivery id on every attempt, each signed.
        for s in &seen {
            assert_eq!(verified(s, &secret)["delivery"], delivery.as_str());
        }
        // No attempts left: never sent again.
        clean(&runner.tick(plus(t1, 86_400)).await);
        assert_eq!(rx.seen().len(), 3);

        let log = deliveries(&hub, &org, &hook).await;
        assert_eq!(log.len(), 1);
        let d = &log[0];
        assert_eq!(d["id"], delivery.as_str());
        assert_eq!(d["state"], "failed");
        assert_eq!(d["attempts"], 3);
        assert_eq!(d["next_attempt_at"], Value::Null);
        let attempts = d["attempt_log"].as_array().unwrap();
        assert_eq!(attempts.len(), 3);
        for (i, a) in attempts.iter().enumerate() {
            assert_eq!(a["attempt"], i + 1);
            assert_eq!(a["http_status"], 500);
            assert!(a["error"].as_str().unwrap().contains("500"), "{a}");
        }

        // A receiver that recovers: delivered at the second attempt.
        rx.answer(503);
        let ping = hub
            .post(
                &format!("/api/webhooks/{hook}/test"),
                &org.admin,
                &json!({}),
            )
            .await
            .json(StatusCode::ACCEPTED);
        let t2 = Timestamp::now();
        clean(&runner.tick(t2).await);
        rx.answer(204);
        let report = runner.tick(plus(t2, 31)).await;
        assert_eq!(
            report.delivered,
            1,
            "{report:?} {:?}",
            deliveries(&hub, &org, &hook).await
        );
        let log = deliveries(&hub, &org, &hook).await;
        let d = log.iter().find(|d| d["id"] == ping["delivery"]).unwrap();
        assert_eq!(d["state"], "delivered");
        assert_eq!(d["attempts"], 2);
        let statuses: Vec<&Value> = d["attempt_log"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| &a["http_status"])
            .collect();
        assert_eq!(statuses, [&json!(503), &json!(204)]);
        assert!(d["delivered_at"].as_str().is_some());
    })
    .await;
}

#[tokio::test]
async fn webhooks_job_of_a_dead_runner_is_taken_over_after_its_lease() {
    for_each_backend(|db| async move {
        let hub = hub_allowing_private(db).await;
        let rx = Receiver::start().await;
        let org = hub.org("restart").await;
        let (hook, secret) = webhook(&hub, &org, &json!({"url": rx.url("/hook")})).await;
        hub.post(
            &format!("/api/webhooks/{hook}/test"),
            &org.admin,
            &json!({}),
        )
        .await
        .json(StatusCode::ACCEPTED);

        // A runner claims the job and dies before sending it.
        let now = Timestamp::now();
        let config = runner_config();
        let dead = Runner::new(hub.store.clone(), config.clone()).unwrap();
        let claimed = hub
            .store
            .claim_jobs(dead.owner(), 10, config.lease, now.as_microsecond())
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        drop(dead);

        // The process restarts: a new runner on the same database.
        let fresh = Runner::new(hub.store.clone(), config.clone()).unwrap();
        let report = fresh.tick(plus(now, 30)).await;
        clean(&report);
        assert_eq!(report.ran, 0, "still leased: {report:?}");
        assert!(rx.seen().is_empty());

        let report = fresh.tick(plus(now, 61)).await;
        clean(&report);
        assert_eq!(report.delivered, 1, "{report:?}");
        let seen = rx.seen();
        assert_eq!(seen.len(), 1);
        assert_eq!(verified(&seen[0], &secret)["event"], "ping");
        let log = deliveries(&hub, &org, &hook).await;
        assert_eq!(log[0]["state"], "delivered");
        // The dead runner's claim counted as an attempt.
        assert_eq!(log[0]["attempts"], 2);
        assert_eq!(log[0]["attempt_log"].as_array().unwrap().len(), 1);
        let job = hub.store.get_job(&claimed[0].id).await.unwrap().unwrap();
        assert_eq!(job.state, vigilo_store::JobState::Done);
    })
    .await;
}

#[tokio::test]
async fn webhooks_to_private_addresses_are_refused_unless_allowed() {
    for_each_backend(|db| async move {
        // The default hub refuses them at creation.
        let hub = Hub::new(db).await;
        let org = hub.org("ssrf").await;
        for url in [
            "http://127.0.0.1:9/hook",
            "http://localhost:8080/",
            "http://[::1]/",
            "http://10.0.0.7/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:192.168.1.1]/",
        ] {
            let r = hub
                .post("/api/webhooks", &org.admin, &json!({"url": url}))
                .await;
            assert_eq!(
                r.pointers(StatusCode::UNPROCESSABLE_ENTITY),
                ["/url"],
                "{url}"
            );
        }
        let list = hub
            .get("/api/webhooks", &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(list["webhooks"], json!([]));
        // A public host name is accepted (it is resolved at each delivery).
        hub.post(
            "/api/webhooks",
            &org.admin,
            &json!({"url": "https://hooks.example.com/vigilo"}),
        )
        .await
        .json(StatusCode::CREATED);

        // Allowed at creation, a runner that refuses them sends nothing.
        let db2 = TestDb::new(hub.db.backend).await;
        let hub = hub_allowing_private(db2).await;
        let rx = Receiver::start().await;
        let org = hub.org("ssrf-run").await;
        let local = format!("http://localhost:{}/hook", rx.addr.port());
        let (by_name, _) = webhook(&hub, &org, &json!({"url": local})).await;
        let (by_addr, _) = webhook(&hub, &org, &json!({"url": rx.url("/hook")})).await;
        for hook in [&by_name, &by_addr] {
            hub.post(
                &format!("/api/webhooks/{hook}/test"),
                &org.admin,
                &json!({}),
            )
            .await
            .json(StatusCode::ACCEPTED);
        }
        let strict = Runner::new(
            hub.store.clone(),
            RunnerConfig {
                allow_private: false,
                ..runner_config()
            },
        )
        .unwrap();
        let report = strict.tick(Timestamp::now()).await;
        clean(&report);
        assert_eq!(report.failed, 2, "{report:?}");
        assert!(rx.seen().is_empty());
        for hook in [&by_name, &by_addr] {
            let log = deliveries(&hub, &org, hook).await;
            assert_eq!(log[0]["state"], "failed");
            let error = log[0]["attempt_log"][0]["error"].as_str().unwrap();
            assert!(error.contains("refused"), "{error}");
        }
    })
    .await;
}

#[tokio::test]
async fn webhooks_validation_names_every_bad_field() {
    for_each_backend(|db| async move {
        let hub = hub_allowing_private(db).await;
        let org = hub.org("valid").await;
        let r = hub
            .post(
                "/api/webhooks",
                &org.admin,
                &json!({"url": "ftp://x.example/", "secret": "short",
                        "events": ["duty.nope", 3, "duty.overdue", "duty.overdue"],
                        "lead_times_minutes": [0, "x", 60, 60, 600000], "colour": "red"}),
            )
            .await;
        let mut pointers = r.pointers(StatusCode::UNPROCESSABLE_ENTITY);
        pointers.sort();
        assert_eq!(
            pointers,
            [
                "/colour",
                "/events/0",
                "/events/1",
                "/events/3",
                "/lead_times_minutes/0",
                "/lead_times_minutes/1",
                "/lead_times_minutes/3",
                "/lead_times_minutes/4",
                "/secret",
                "/url",
            ]
        );
        for (body, pointer) in [
            (json!({}), "/url"),
            (json!({"url": 7}), "/url"),
            (json!({"url": "https://user:pw@hooks.example.com/"}), "/url"),
            (json!({"url": "https://hooks.example.com/", "events": []}), "/events"),
            (json!({"url": "https://hooks.example.com/", "events": "duty.overdue"}), "/events"),
            (
                json!({"url": "https://hooks.example.com/", "lead_times_minutes": []}),
                "/lead_times_minutes",
            ),
            (
                json!({"url": "https://hooks.example.com/", "lead_times_minutes": [1,2,3,4,5,6,7,8,9,10,11]}),
                "/lead_times_minutes",
            ),
            (json!({"url": "https://hooks.example.com/", "secret": "with spaces in it!"}), "/secret"),
        ] {
            let r = hub.post("/api/webhooks", &org.admin, &body).await;
            assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), [pointer], "{body}");
        }
        let list = hub.get("/api/webhooks", &org.admin).await.json(StatusCode::OK);
        assert_eq!(list["webhooks"], json!([]), "nothing stored");
        // Overdue alerts alone need no lead times.
        hub.post(
            "/api/webhooks",
            &org.admin,
            &json!({"url": "https://hooks.example.com/", "events": ["duty.overdue"],
                    "lead_times_minutes": []}),
        )
        .await
        .json(StatusCode::CREATED);
        let r = hub
            .get("/api/webhooks/x/deliveries?limit=0", &org.admin)
            .await;
        assert_eq!(r.pointers(StatusCode::BAD_REQUEST), ["/limit"]);
    })
    .await;
}

#[tokio::test]
async fn webhooks_need_scopes_and_stay_in_their_organisation() {
    for_each_backend(|db| async move {
        let hub = hub_allowing_private(db).await;
        let org = hub.org("mine").await;
        let other = hub.org("theirs").await;
        let (hook, _) = webhook(&hub, &org, &json!({"url": "https://hooks.example.com/a"})).await;

        let reader = hub.token_with_role(&org.admin, "reader").await;
        let listed = hub
            .get("/api/webhooks", &reader.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(listed["webhooks"].as_array().unwrap().len(), 1);
        hub.get(&format!("/api/webhooks/{hook}"), &reader.secret)
            .await
            .json(StatusCode::OK);
        hub.get(&format!("/api/webhooks/{hook}/deliveries"), &reader.secret)
            .await
            .json(StatusCode::OK);
        let r = hub
            .post(
                "/api/webhooks",
                &reader.secret,
                &json!({"url": "https://hooks.example.com/b"}),
            )
            .await;
        r.problem(StatusCode::FORBIDDEN);
        hub.delete(&format!("/api/webhooks/{hook}"), &reader.secret)
            .await
            .problem(StatusCode::FORBIDDEN);
        hub.post(
            &format!("/api/webhooks/{hook}/test"),
            &reader.secret,
            &json!({}),
        )
        .await
        .problem(StatusCode::FORBIDDEN);

        // Another organisation sees nothing of it.
        let t = &other.admin;
        assert_eq!(
            hub.get("/api/webhooks", t).await.json(StatusCode::OK)["webhooks"],
            json!([])
        );
        hub.get(&format!("/api/webhooks/{hook}"), t)
            .await
            .problem(StatusCode::NOT_FOUND);
        hub.get(&format!("/api/webhooks/{hook}/deliveries"), t)
            .await
            .problem(StatusCode::NOT_FOUND);
        hub.post(&format!("/api/webhooks/{hook}/test"), t, &json!({}))
            .await
            .problem(StatusCode::NOT_FOUND);
        hub.delete(&format!("/api/webhooks/{hook}"), t)
            .await
            .problem(StatusCode::NOT_FOUND);

        // Its owner deletes it: gone, and audited.
        let r = hub
            .delete(&format!("/api/webhooks/{hook}"), &org.admin)
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
        hub.get(&format!("/api/webhooks/{hook}"), &org.admin)
            .await
            .problem(StatusCode::NOT_FOUND);
        hub.delete(&format!("/api/webhooks/{hook}"), &org.admin)
            .await
            .problem(StatusCode::NOT_FOUND);
        let audit = hub
            .get("/api/audit?limit=1000", &org.admin)
            .await
            .json(StatusCode::OK);
        let actions: Vec<&str> = audit["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .filter(|a| a.starts_with("webhook."))
            .collect();
        assert_eq!(actions, ["webhook.create", "webhook.delete"]);
    })
    .await;
}
