//! Prometheus metrics for the HTTP server, without an external metrics crate.
//!
//! [`Metrics`] records, per (method, route template, status code), a request
//! counter and a latency histogram, plus a gauge of in-flight requests.
//! [`Metrics::render`] produces the Prometheus text exposition format 0.0.4.
//!
//! The hot path takes only a read lock on the series map and bumps atomics;
//! the write lock is taken only the first time a label combination appears.
//! Label cardinality is bounded: the route label is the axum route template
//! (never the raw path), unmatched requests share the literal `unmatched`, and
//! non-standard HTTP methods are folded into `OTHER`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Content type of the Prometheus text exposition format 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Route label used when no route matched the request.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Upper bounds of the latency histogram buckets, in seconds (`+Inf` implied).
pub const BUCKET_BOUNDS_SECONDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The same bounds in nanoseconds, for integer comparison on the hot path.
const BUCKET_BOUNDS_NANOS: [u64; 14] = [
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
];

/// Number of histogram buckets including `+Inf`.
const BUCKETS: usize = BUCKET_BOUNDS_NANOS.len() + 1;

/// Label key of one series.
///
/// `Hash`/`Eq` go through [`KeyLike`] so that owned keys and borrowed
/// [`KeyRef`] probes hash identically.
#[derive(Clone, Debug)]
struct Key {
    method: &'static str,
    route: String,
    status: u16,
}

/// Atomic counters of one (method, route, status) series.
#[derive(Debug, Default)]
struct Series {
    /// Non-cumulative bucket counts; the last one is `+Inf`.
    buckets: [AtomicU64; BUCKETS],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Series {
    fn observe(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let idx = BUCKET_BOUNDS_NANOS.partition_point(|&bound| bound < nanos);
        self.buckets[idx].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// HTTP request metrics; share it as `Arc<Metrics>`.
#[derive(Debug, Default)]
pub struct Metrics {
    series: RwLock<HashMap<Key, Arc<Series>>>,
    in_flight: AtomicI64,
}

impl Metrics {
    /// Creates an empty registry.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one finished request.
    ///
    /// `route` must be a route template (or [`UNMATCHED_ROUTE`]), never a raw
    /// request path.
    pub fn observe(&self, method: &Method, route: &str, status: u16, elapsed: Duration) {
        let method = method_label(method);
        // Fast path: the series exists already; look it up under the read
        // lock without allocating an owned key.
        {
            let map = self.series.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(series) = lookup(&map, method, route, status) {
                series.observe(elapsed);
                return;
            }
        }
        let series = {
            let mut map = self.series.write().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(
                map.entry(Key {
                    method,
                    route: route.to_owned(),
                    status,
                })
                .or_default(),
            )
        };
        series.observe(elapsed);
    }

    /// Current number of in-flight requests tracked by [`track`].
    #[must_use]
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Marks a request as started; the returned guard marks it finished when
    /// dropped (also when the request future is cancelled).
    #[must_use]
    pub fn start_request(&self) -> InFlightGuard<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlightGuard { metrics: self }
    }

    /// Renders all metrics in the Prometheus text exposition format 0.0.4,
    /// sorted by (route, method, status).
    #[must_use]
    pub fn render(&self) -> String {
        let mut snapshot: Vec<(Key, Arc<Series>)> = {
            let map = self.series.read().unwrap_or_else(PoisonError::into_inner);
            map.iter()
                .map(|(k, v)| (k.clone(), Arc::clone(v)))
                .collect()
        };
        snapshot.sort_by(|(a, _), (b, _)| {
            (a.route.as_str(), a.method, a.status).cmp(&(b.route.as_str(), b.method, b.status))
        });

        let mut out = String::with_capacity(256 + snapshot.len() * 1024);

        out.push_str(
            "# HELP vigilo_http_requests_total Total number of HTTP requests handled, \
             by method, route template and status code.\n\
             # TYPE vigilo_http_requests_total counter\n",
        );
        for (key, series) in &snapshot {
            let labels = labels(key);
            let count = series.count.load(Ordering::Relaxed);
            let _ = writeln!(out, "vigilo_http_requests_total{{{labels}}} {count}");
        }

        out.push_str(
            "# HELP vigilo_http_request_duration_seconds HTTP request latency in seconds, \
             by method, route template and status code.\n\
             # TYPE vigilo_http_request_duration_seconds histogram\n",
        );
        for (key, series) in &snapshot {
            let labels = labels(key);
            let mut cumulative: u64 = 0;
            for (i, bucket) in series.buckets.iter().enumerate() {
                cumulative = cumulative.saturating_add(bucket.load(Ordering::Relaxed));
                let _ = match BUCKET_BOUNDS_SECONDS.get(i) {
                    Some(le) => writeln!(
                        out,
                        "vigilo_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} \
                         {cumulative}"
                    ),
                    None => writeln!(
                        out,
                        "vigilo_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} \
                         {cumulative}"
                    ),
                };
            }
            // Precision loss above 2^53 ns (~104 days of summed latency) is
            // irrelevant for a monitoring value.
            #[allow(clippy::cast_precision_loss)]
            let sum = series.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
            let _ = writeln!(
                out,
                "vigilo_http_request_duration_seconds_sum{{{labels}}} {sum}"
            );
            // `_count` equals the `+Inf` bucket so the pair is always
            // consistent, even while observations race with rendering.
            let _ = writeln!(
                out,
                "vigilo_http_request_duration_seconds_count{{{labels}}} {cumulative}"
            );
        }

        let _ = write!(
            out,
            "# HELP vigilo_http_requests_in_flight Number of HTTP requests currently being \
             processed.\n\
             # TYPE vigilo_http_requests_in_flight gauge\n\
             vigilo_http_requests_in_flight {}\n",
            self.in_flight()
        );
        out
    }

    /// [`render`](Self::render) wrapped in a 200 response with the
    /// exposition-format content type, for a `/metrics` handler.
    #[must_use]
    pub fn response(&self) -> Response {
        (
            [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
            self.render(),
        )
            .into_response()
    }
}

/// Guard returned by [`Metrics::start_request`]; decrements the in-flight
/// gauge when dropped.
#[derive(Debug)]
pub struct InFlightGuard<'a> {
    metrics: &'a Metrics,
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Finds a series without allocating an owned key (via `Key: Borrow<dyn KeyLike>`).
fn lookup<'m>(
    map: &'m HashMap<Key, Arc<Series>>,
    method: &'static str,
    route: &str,
    status: u16,
) -> Option<&'m Arc<Series>> {
    map.get(&KeyRef {
        method,
        route,
        status,
    } as &dyn KeyLike)
}

/// Borrowed view of a [`Key`], used for allocation-free lookups.
struct KeyRef<'a> {
    method: &'static str,
    route: &'a str,
    status: u16,
}

/// Common view over owned and borrowed keys; `Key: Borrow<dyn KeyLike>` lets
/// `HashMap::get` accept a [`KeyRef`].
trait KeyLike {
    fn parts(&self) -> (&str, &str, u16);
}

impl KeyLike for Key {
    fn parts(&self) -> (&str, &str, u16) {
        (self.method, &self.route, self.status)
    }
}

impl KeyLike for KeyRef<'_> {
    fn parts(&self) -> (&str, &str, u16) {
        (self.method, self.route, self.status)
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self as &dyn KeyLike).hash(state);
    }
}

impl<'a> std::borrow::Borrow<dyn KeyLike + 'a> for Key {
    fn borrow(&self) -> &(dyn KeyLike + 'a) {
        self
    }
}

impl PartialEq for dyn KeyLike + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn KeyLike + '_ {}

impl std::hash::Hash for dyn KeyLike + '_ {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let (method, route, status) = self.parts();
        method.hash(state);
        route.hash(state);
        status.hash(state);
    }
}

/// Maps a method to a bounded label value.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "OTHER",
    }
}

/// Formats the `method,route,status` labels of a series (without braces).
fn labels(key: &Key) -> String {
    format!(
        "method=\"{}\",route=\"{}\",status=\"{}\"",
        escape_label_value(key.method),
        escape_label_value(&key.route),
        key.status
    )
}

/// Escapes a label value for the text exposition format: backslash, double
/// quote and newline.
#[must_use]
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Axum middleware recording request count, latency and in-flight requests.
///
/// Use with `axum::middleware::from_fn_with_state(metrics, track)`, applied
/// via `Router::layer` (unmatched requests are labelled `unmatched`) or
/// `Router::route_layer` (only matched routes are seen). When applied outside
/// the router (wrapping the whole `Router` service), no `MatchedPath` is
/// available and every request is labelled `unmatched`.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let guard = metrics.start_request();
    let start = Instant::now();
    let response = next.run(req).await;
    let elapsed = start.elapsed();
    drop(guard);
    let route = route.as_ref().map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
    metrics.observe(&method, route, response.status().as_u16(), elapsed);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::routing::get;
    use tower::ServiceExt as _;

    fn line_value(text: &str, prefix: &str) -> Option<String> {
        text.lines()
            .find(|l| l.starts_with(prefix) && l[prefix.len()..].starts_with(' '))
            .map(|l| l[prefix.len() + 1..].to_owned())
    }

    #[test]
    fn borrowed_lookup_hash_matches_owned_key() {
        let metrics = Metrics::new();
        metrics.observe(&Method::GET, "/a", 200, Duration::from_millis(1));
        metrics.observe(&Method::GET, "/a", 200, Duration::from_millis(1));
        let map = metrics.series.read().unwrap();
        assert_eq!(
            map.len(),
            1,
            "second observation must hit the existing series"
        );
        assert!(lookup(&map, "GET", "/a", 200).is_some());
        assert!(lookup(&map, "GET", "/a", 201).is_none());
        assert!(lookup(&map, "POST", "/a", 200).is_none());
    }

    #[test]
    fn render_cumulative_buckets_sum_count() {
        let metrics = Metrics::new();
        let route = "/api/tokens/{id}";
        // 0.0003s -> first bucket; 0.002s -> le=0.0025; 0.002 again; 0.7s -> le=1; 20s -> +Inf.
        for ms in [0.3_f64, 2.0, 2.0, 700.0, 20_000.0] {
            metrics.observe(
                &Method::GET,
                route,
                200,
                Duration::from_secs_f64(ms / 1000.0),
            );
        }
        // An exact bound is inclusive (`le`).
        metrics.observe(&Method::POST, route, 201, Duration::from_millis(5));

        let text = metrics.render();
        let l = r#"method="GET",route="/api/tokens/{id}",status="200""#;
        let b = |le: &str| {
            line_value(
                &text,
                &format!("vigilo_http_request_duration_seconds_bucket{{{l},le=\"{le}\"}}"),
            )
        };
        assert_eq!(b("0.0005").as_deref(), Some("1"));
        assert_eq!(b("0.001").as_deref(), Some("1"));
        assert_eq!(b("0.0025").as_deref(), Some("3"));
        assert_eq!(b("0.5").as_deref(), Some("3"));
        assert_eq!(b("1").as_deref(), Some("4"));
        assert_eq!(b("10").as_deref(), Some("4"));
        assert_eq!(b("+Inf").as_deref(), Some("5"));
        assert_eq!(
            line_value(
                &text,
                &format!("vigilo_http_request_duration_seconds_count{{{l}}}")
            )
            .as_deref(),
            Some("5")
        );
        assert_eq!(
            line_value(&text, &format!("vigilo_http_requests_total{{{l}}}")).as_deref(),
            Some("5")
        );
        let sum: f64 = line_value(
            &text,
            &format!("vigilo_http_request_duration_seconds_sum{{{l}}}"),
        )
        .unwrap()
        .parse()
        .unwrap();
        assert!((sum - 20.7043).abs() < 1e-6, "sum was {sum}");

        let p = r#"method="POST",route="/api/tokens/{id}",status="201""#;
        assert_eq!(
            line_value(
                &text,
                &format!("vigilo_http_request_duration_seconds_bucket{{{p},le=\"0.0025\"}}")
            )
            .as_deref(),
            Some("0")
        );
        assert_eq!(
            line_value(
                &text,
                &format!("vigilo_http_request_duration_seconds_bucket{{{p},le=\"0.005\"}}")
            )
            .as_deref(),
            Some("1")
        );

        // Every bucket line set has 15 entries per series.
        let bucket_lines = text
            .lines()
            .filter(|l| l.starts_with("vigilo_http_request_duration_seconds_bucket{"))
            .count();
        assert_eq!(bucket_lines, 2 * 15);

        // HELP/TYPE headers present exactly once each.
        for (name, kind) in [
            ("vigilo_http_requests_total", "counter"),
            ("vigilo_http_request_duration_seconds", "histogram"),
            ("vigilo_http_requests_in_flight", "gauge"),
        ] {
            assert_eq!(
                text.matches(&format!("# TYPE {name} {kind}\n")).count(),
                1,
                "{name}"
            );
            assert_eq!(
                text.matches(&format!("# HELP {name} ")).count(),
                1,
                "{name}"
            );
        }
        assert_eq!(
            line_value(&text, "vigilo_http_requests_in_flight").as_deref(),
            Some("0")
        );
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn render_is_sorted_and_deterministic() {
        let metrics = Metrics::new();
        for (m, r, s) in [
            (Method::POST, "/b", 200),
            (Method::GET, "/b", 404),
            (Method::GET, "/a", 200),
            (Method::GET, "/b", 200),
        ] {
            metrics.observe(&m, r, s, Duration::from_millis(1));
        }
        let text = metrics.render();
        let totals: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("vigilo_http_requests_total{"))
            .collect();
        assert_eq!(
            totals,
            [
                r#"vigilo_http_requests_total{method="GET",route="/a",status="200"} 1"#,
                r#"vigilo_http_requests_total{method="GET",route="/b",status="200"} 1"#,
                r#"vigilo_http_requests_total{method="GET",route="/b",status="404"} 1"#,
                r#"vigilo_http_requests_total{method="POST",route="/b",status="200"} 1"#,
            ]
        );
        assert_eq!(text, metrics.render());
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label_value(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label_value("x\ny"), "x\\ny");
        let metrics = Metrics::new();
        metrics.observe(&Method::GET, "/we\"ird\\\n", 200, Duration::ZERO);
        let text = metrics.render();
        assert!(
            text.contains(
                r#"vigilo_http_requests_total{method="GET",route="/we\"ird\\\n",status="200"} 1"#
            ),
            "{text}"
        );
        // No raw newline leaked into a sample line.
        assert!(
            text.lines()
                .all(|l| l.starts_with('#') || l.starts_with("vigilo_"))
        );
    }

    #[test]
    fn nonstandard_methods_are_bounded() {
        let metrics = Metrics::new();
        let m = Method::from_bytes(b"BREW").unwrap();
        metrics.observe(&m, "/", 405, Duration::ZERO);
        assert!(
            metrics
                .render()
                .contains(r#"{method="OTHER",route="/",status="405"} 1"#)
        );
    }

    #[test]
    fn in_flight_guard_counts() {
        let metrics = Metrics::new();
        let g1 = metrics.start_request();
        let g2 = metrics.start_request();
        assert_eq!(metrics.in_flight(), 2);
        drop(g1);
        assert!(
            metrics
                .render()
                .contains("\nvigilo_http_requests_in_flight 1\n")
        );
        drop(g2);
        assert_eq!(metrics.in_flight(), 0);
    }

    async fn send(app: &Router, method: Method, uri: &str) -> StatusCode {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        app.clone().oneshot(req).await.unwrap().status()
    }

    #[tokio::test]
    async fn middleware_with_layer_labels_templates_and_unmatched() {
        let metrics = Arc::new(Metrics::new());
        let m2 = Arc::clone(&metrics);
        let app = Router::new()
            .route("/api/tokens/{id}", get(|| async { "ok" }))
            .route("/metrics", get(move || async move { m2.response() }))
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&metrics),
                track,
            ));

        assert_eq!(
            send(&app, Method::GET, "/api/tokens/abc").await,
            StatusCode::OK
        );
        assert_eq!(
            send(&app, Method::GET, "/api/tokens/def").await,
            StatusCode::OK
        );
        assert_eq!(
            send(&app, Method::POST, "/api/tokens/abc").await,
            StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(
            send(&app, Method::GET, "/nope/123").await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            send(&app, Method::GET, "/nope/456").await,
            StatusCode::NOT_FOUND
        );

        let text = metrics.render();
        assert!(
            text.contains(
                r#"vigilo_http_requests_total{method="GET",route="/api/tokens/{id}",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"vigilo_http_requests_total{method="POST",route="/api/tokens/{id}",status="405"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"vigilo_http_requests_total{method="GET",route="unmatched",status="404"} 2"#
            ),
            "{text}"
        );
        assert!(!text.contains("abc") && !text.contains("/nope"), "{text}");
        assert_eq!(metrics.in_flight(), 0);

        // The /metrics endpoint itself serves the exposition format.
        let resp = app
            .clone()
            .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(
            resp.headers().get(header::CONTENT_TYPE).unwrap(),
            CONTENT_TYPE
        );
    }

    #[tokio::test]
    async fn middleware_with_route_layer_sees_matched_path() {
        let metrics = Arc::new(Metrics::new());
        let app = Router::new()
            .route("/items/{id}/sub", get(|| async { StatusCode::NO_CONTENT }))
            .route_layer(axum::middleware::from_fn_with_state(
                Arc::clone(&metrics),
                track,
            ));
        assert_eq!(
            send(&app, Method::GET, "/items/7/sub").await,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            send(&app, Method::GET, "/other").await,
            StatusCode::NOT_FOUND
        );
        let text = metrics.render();
        assert!(
            text.contains(
                r#"vigilo_http_requests_total{method="GET",route="/items/{id}/sub",status="204"} 1"#
            ),
            "{text}"
        );
        // route_layer doesn't run for unmatched requests.
        assert!(!text.contains("unmatched"), "{text}");
    }
}
