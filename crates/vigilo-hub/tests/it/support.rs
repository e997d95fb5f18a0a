//! Shared helpers: a hub on a test database, driven in-process with `oneshot`.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt as _;
use vigilo_hub::{AppState, HubConfig};
use vigilo_store::crypto::KekSource;
use vigilo_store::{Store, StoreOptions};
use vigilo_test_support::TestDb;

/// A random lowercase hex marker, unique enough to recognise in any response.
pub fn marker() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A random IPv6 address, for requests whose authentication failures must not
/// slow down later ones (the failure limiter counts per address).
pub fn fresh_ip() -> IpAddr {
    IpAddr::V6(std::net::Ipv6Addr::from(uuid::Uuid::new_v4().as_u128()))
}

/// A hub on a fresh test database, bootstrapped, with its operator token.
#[derive(Debug)]
pub struct Hub {
    pub router: Router,
    pub state: AppState,
    pub store: Store,
    /// Secret of the bootstrap admin token of the operator organisation `hub`.
    pub operator: String,
    pub operator_token_id: String,
    /// Kept alive for the hub's lifetime (drops the database at the end).
    pub db: TestDb,
}

/// An ordinary organisation created by the operator, with an admin token.
#[derive(Debug, Clone)]
pub struct OrgFixture {
    pub id: String,
    pub name: String,
    pub display_name: String,
    /// Secret of an admin token of this organisation.
    pub admin: String,
    pub admin_token_id: String,
}

/// A token issued through the API.
#[derive(Debug, Clone)]
pub struct Issued {
    pub id: String,
    pub secret: String,
}

/// A response, its body read in full.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// How long the router took to answer.
    pub elapsed: Duration,
}

impl Resp {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("response body is UTF-8")
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body as JSON, asserting the status first.
    #[track_caller]
    pub fn json(&self, status: StatusCode) -> Value {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            self.text()
        );
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// The body as an RFC 9457 problem document with `status`, checking its
    /// media type and required members.
    #[track_caller]
    pub fn problem(&self, status: StatusCode) -> Value {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            self.text()
        );
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "problem media type; body: {}",
            self.text()
        );
        let body: Value = serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("problem body is not JSON ({e}): {}", self.text()));
        assert_eq!(body["status"], status.as_u16(), "{body}");
        assert_eq!(body["type"], "about:blank", "{body}");
        assert!(
            body["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{body}"
        );
        body
    }

    /// The JSON pointers of a problem's `errors`.
    #[track_caller]
    pub fn pointers(&self, status: StatusCode) -> Vec<String> {
        let body = self.problem(status);
        body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("problem has no `errors`: {body}"))
            .iter()
            .map(|e| {
                assert!(e["detail"].as_str().is_some_and(|d| !d.is_empty()), "{e}");
                e["pointer"]
                    .as_str()
                    .expect("pointer is a string")
                    .to_owned()
            })
            .collect()
    }
}

/// A request under construction.
#[derive(Debug)]
pub struct Call {
    method: Method,
    path: String,
    auth: Option<String>,
    content_type: Option<String>,
    body: Body,
    peer: Option<IpAddr>,
    headers: Vec<(String, String)>,
}

impl Call {
    pub fn new(method: Method, path: &str) -> Self {
        Call {
            method,
            path: path.to_owned(),
            auth: None,
            content_type: None,
            body: Body::empty(),
            peer: None,
            headers: Vec::new(),
        }
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.authorization(&format!("Bearer {token}"))
    }

    /// A raw `Authorization` header value.
    pub fn authorization(mut self, value: &str) -> Self {
        self.auth = Some(value.to_owned());
        self
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.content_type = Some("application/json".into());
        self.body = Body::from(body.to_string());
        self
    }

    /// A body sent verbatim with the given content type.
    pub fn raw(mut self, content_type: Option<&str>, body: impl Into<String>) -> Self {
        self.content_type = content_type.map(str::to_owned);
        self.body = Body::from(body.into());
        self
    }

    /// Any other request header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Pretends the request came from `ip` (as `ConnectInfo` would say).
    pub fn peer(mut self, ip: IpAddr) -> Self {
        self.peer = Some(ip);
        self
    }

    fn build(self) -> Request<Body> {
        let mut req = Request::builder().method(self.method).uri(self.path);
        if let Some(auth) = self.auth {
            req = req.header(header::AUTHORIZATION, auth);
        }
        if let Some(ct) = self.content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        for (name, value) in self.headers {
            req = req.header(name, value);
        }
        let mut req = req.body(self.body).expect("valid request");
        if let Some(ip) = self.peer {
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::new(ip, 40000)));
        }
        req
    }
}

impl Hub {
    /// A hub with the default configuration.
    pub async fn new(db: TestDb) -> Hub {
        Hub::with_config(db, HubConfig::default()).await
    }

    pub async fn with_config(db: TestDb, config: HubConfig) -> Hub {
        let kek = KekSource::File(db.data_dir().join("kek"));
        let store = Store::open(&StoreOptions::new(db.url.clone(), kek))
            .await
            .unwrap_or_else(|e| panic!("open the {} store: {e}", db.backend));
        let (info, operator) = store
            .bootstrap()
            .await
            .expect("bootstrap")
            .expect("a new hub bootstraps");
        let (router, state) = vigilo_hub::app(store.clone(), &config);
        Hub {
            router,
            state,
            store,
            operator,
            operator_token_id: info.id,
            db,
        }
    }

    /// Sends a request. No request the tests make may end in a server error.
    pub async fn send(&self, call: Call) -> Resp {
        let what = format!("{} {}", call.method, call.path);
        let start = Instant::now();
        let resp = self
            .router
            .clone()
            .oneshot(call.build())
            .await
            .expect("the router is infallible");
        let elapsed = start.elapsed();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("read the response body");
        let resp = Resp {
            status,
            headers,
            body,
            elapsed,
        };
        // 502 is the one server error a correct hub answers: another hub it
        // called failed (the outbound path reports it as such).
        assert!(
            !status.is_server_error() || status == StatusCode::BAD_GATEWAY,
            "{what} on {}: server error {status}: {}",
            self.db.backend,
            resp.text()
        );
        resp
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.send(Call::new(Method::GET, path).bearer(token)).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.send(Call::new(Method::POST, path).bearer(token).json(body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.send(Call::new(Method::PUT, path).bearer(token).json(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.send(Call::new(Method::PATCH, path).bearer(token).json(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.send(Call::new(Method::DELETE, path).bearer(token))
            .await
    }

    /// Creates an ordinary organisation (as the operator) and an admin token
    /// for it; the name gets a random suffix.
    pub async fn org(&self, prefix: &str) -> OrgFixture {
        let name = format!("{prefix}-{}", &marker()[..12]);
        let display_name = format!("Org {}", marker());
        let org = self
            .post(
                "/api/orgs",
                &self.operator,
                &json!({"name": name, "display_name": display_name}),
            )
            .await
            .json(StatusCode::CREATED);
        assert_eq!(org["name"], name.as_str());
        assert_eq!(org["operator"], false);
        assert_eq!(org["status"], "active");
        let admin = self
            .token(
                &self.operator,
                &json!({"name": format!("admin {}", marker()), "role": "admin", "org": name}),
            )
            .await;
        OrgFixture {
            id: org["id"].as_str().expect("org id").to_owned(),
            name,
            display_name,
            admin: admin.secret,
            admin_token_id: admin.id,
        }
    }

    /// Issues a token through the API, asserting 201.
    pub async fn token(&self, by: &str, request: &Value) -> Issued {
        let t = self
            .post("/api/tokens", by, request)
            .await
            .json(StatusCode::CREATED);
        Issued {
            id: t["id"].as_str().expect("token id").to_owned(),
            secret: t["token"].as_str().expect("token secret").to_owned(),
        }
    }

    /// Issues a token with `role` for the caller's organisation.
    pub async fn token_with_role(&self, by: &str, role: &str) -> Issued {
        self.token(
            by,
            &json!({"name": format!("{role} {}", marker()), "role": role}),
        )
        .await
    }

    /// POST /api/auth/login (no credentials).
    pub async fn login(&self, body: &Value) -> Resp {
        self.send(Call::new(Method::POST, "/api/auth/login").json(body))
            .await
    }

    /// GET /api/whoami, returning the status and (on 200) the body.
    pub async fn whoami(&self, token: &str) -> Resp {
        self.get("/api/whoami", token).await
    }
}

/// The `vigilo_http_requests_total` count of one series in a metrics text.
pub fn request_count(metrics: &str, method: &str, route: &str, status: u16) -> Option<u64> {
    let prefix = format!(
        "vigilo_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} "
    );
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|n| n.trim().parse().expect("a counter value"))
}
