//! vigilo's HTTP server.
//!
//! [`app`] builds the whole axum application from a [`Store`] and a
//! [`HubConfig`]; [`serve`] runs it with graceful shutdown. Handlers never
//! talk SQL (they call `vigilo-store`) and never parse wire formats of their
//! own beyond the JSON request bodies declared here.
#![forbid(unsafe_code)]

pub mod advisories;
pub mod api;
mod assets_api;
pub mod auth;
pub mod case_parts_api;
mod cases_api;
mod coordinator_api;
mod exposure_api;
pub mod federation;
mod fields;
pub mod jobs;
pub mod json;
pub mod metrics;
pub mod osv_api;
mod outbound_api;
mod partners_api;
pub(crate) mod policy;
pub mod problem;
mod replica_api;
mod reports_api;
mod sharing_api;
mod sightings_api;
pub mod taxii;
mod webhooks_api;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use vigilo_store::Store;

use crate::auth::{FailureLimiter, TokenCache};
use crate::json::BodyLimit;
use crate::metrics::Metrics;
use crate::problem::Problem;

/// The request-id header, set when the client sends none and echoed back.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Server settings.
#[derive(Debug, Clone)]
pub struct HubConfig {
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// How long a validated token is trusted without asking the database.
    pub token_cache_ttl: Duration,
    /// How often the audit chain's head is checkpointed (signed).
    pub checkpoint_interval: Duration,
    /// How long graceful shutdown waits for in-flight requests.
    pub shutdown_grace: Duration,
    /// How often partners' collections are pulled.
    pub sync_interval: Duration,
    /// The hub's public base URL (`https://coordinator.example`): the
    /// issuer its signed receipts name. `None`: receipts name `vigilo-hub`.
    pub public_url: Option<String>,
    /// How often the job runner looks for work (webhook reminders, retries).
    pub job_poll_interval: Duration,
    /// Whether webhook URLs may name loopback, private and other non-public
    /// addresses (off: SSRF protection).
    pub webhook_allow_private: bool,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            body_limit: 1 << 20,
            token_cache_ttl: Duration::from_secs(1),
            checkpoint_interval: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(30),
            public_url: None,
            sync_interval: Duration::from_secs(300),
            job_poll_interval: Duration::from_secs(30),
            webhook_allow_private: false,
        }
    }
}

/// Shared state of every handler.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub tokens: Arc<TokenCache>,
    pub failures: Arc<FailureLimiter>,
    pub metrics: Arc<Metrics>,
    pub openapi: Arc<String>,
    pub advisories: advisories::AdvisoryCache,
    /// The public intake's proof-of-work key, used challenges and rate limits.
    pub intake: Arc<case_parts_api::IntakeGuard>,
    /// The issuer receipts name: the public URL, or `vigilo-hub`.
    pub issuer: Arc<str>,
    /// [`HubConfig::webhook_allow_private`].
    pub allow_private_webhooks: bool,
    /// The sharing policy, cached (reloaded when groups or partners change).
    pub(crate) policy: policy::PolicyCache,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "vigilo hub API", description = "Vulnerability and threat information-sharing hub."),
    tags(
        (name = "identity", description = "Who you are, users and API tokens"),
        (name = "organisations", description = "Organisations and their profiles"),
        (name = "audit", description = "The tamper-evident audit log"),
        (name = "advisories", description = "Advisory upload and lookup"),
        (name = "assets", description = "Scanned inventories (assets) uploaded by `vigilo scan --upload`"),
        (name = "exposure", description = "Which assets run a component an advisory affects: findings raised when advisories or inventories arrive"),
        (name = "indicators", description = "Indicators and sightings uploaded by `vigilo logs --upload`"),
        (name = "cases", description = "Cases (vulnerability reports and incidents), their facts, submissions and duties"),
        (name = "webhooks", description = "Outbound webhooks: duty reminders and overdue alerts, HMAC-signed, retried, with a delivery log"),
        (name = "partners", description = "Partner hubs: registry, suspension with a review date, quarantine, TAXII pulls"),
        (name = "sharing", description = "Sharing groups and the shared objects a caller may see (the same policy as TAXII under /taxii2/)"),
        (name = "outbound", description = "Recipients, disclosures checked against the rule packs' constraints, submissions to other hubs with verified receipts"),
        (name = "coordinator", description = "On a coordinator hub: which member organisations knew of a vulnerability, since when, and when they reported"),
        (name = "intake", description = "The public intake: outside finders report vulnerabilities without an account"),
        (name = "reports", description = "Reports submitted to this hub as a coordinator, answered with signed receipts"),
        (name = "osv", description = "OSV-compatible query API (osv.dev shapes)"),
        (name = "operations", description = "Health, readiness and metrics"),
    ),
    modifiers(&SecurityAddon)
)]
struct ApiDoc;

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "API token (`vgl_…`) as `Authorization: Bearer <token>`; `Token <token>` is accepted too",
                    ))
                    .build(),
            ),
        );
    }
}

/// Liveness: the process serves requests.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "alive")))]
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "ready"), (status = 503, body = problem::ProblemBody)))]
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
            .with_detail(format!("database not ready: {e}"))
            .into_response(),
    }
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
async fn metrics_handler(State(state): State<AppState>) -> Response {
    state.metrics.response()
}

async fn openapi_handler(State(state): State<AppState>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        state.openapi.as_str().to_owned(),
    )
        .into_response()
}

async fn method_not_allowed() -> Problem {
    Problem::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
        .with_detail("this resource does not support the request's method")
}

async fn fallback() -> Problem {
    Problem::not_found("no such resource")
}

/// The OpenAPI document, generated from the handlers' annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().split_for_parts().1
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(utoipa_axum::routes!(healthz))
        .routes(utoipa_axum::routes!(readyz))
        .routes(utoipa_axum::routes!(metrics_handler))
        .merge(api::router())
        .merge(osv_api::router())
        .merge(assets_api::router())
        .merge(sightings_api::router())
        .merge(cases_api::router())
        .merge(case_parts_api::router())
        .merge(reports_api::router())
        .merge(webhooks_api::router())
        .merge(outbound_api::router())
        .merge(coordinator_api::router())
        .merge(exposure_api::router())
        .merge(sharing_api::router())
        .merge(partners_api::router())
        .merge(replica_api::router())
}

/// Builds the application.
pub fn app(store: Store, config: &HubConfig) -> (Router, AppState) {
    let (router, doc) = routes().split_for_parts();
    let state = AppState {
        store,
        tokens: Arc::new(TokenCache::new(config.token_cache_ttl)),
        failures: Arc::new(FailureLimiter::default()),
        metrics: Arc::new(Metrics::new()),
        openapi: Arc::new(doc.to_pretty_json().unwrap_or_default()),
        advisories: advisories::AdvisoryCache::default(),
        policy: policy::PolicyCache::default(),
        intake: Arc::new(case_parts_api::IntakeGuard::new()),
        issuer: Arc::from(
            config
                .public_url
                .as_deref()
                .map(|u| u.trim_end_matches('/'))
                .unwrap_or(reports_api::ISSUER),
        ),
        allow_private_webhooks: config.webhook_allow_private,
    };
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    let router = router
        .route("/api/openapi.json", get(openapi_handler))
        .merge(taxii::router())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(axum::Extension(BodyLimit(config.body_limit)))
        .layer(axum::middleware::from_fn(log_request))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state.clone());
    (router, state)
}

/// Logs each request (method, path, status, latency, request id) at debug
/// level, and server errors at error level.
async fn log_request(req: Request, next: axum::middleware::Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let rid = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let start = std::time::Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::error!(%method, %path, status, ms, request_id = %rid, "request failed");
    } else {
        tracing::debug!(%method, %path, status, ms, request_id = %rid, "request");
    }
    resp
}

/// A query string decoded into `T`, with a problem document on failure.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e| Problem::bad_request(format!("invalid query string: {}", e.body_text())))
    }
}

/// Runs the hub until SIGTERM or Ctrl-C, then finishes in-flight requests
/// (up to `shutdown_grace`), signs a final audit checkpoint and closes the
/// database.
pub async fn serve(
    store: Store,
    config: HubConfig,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    // Register for SIGTERM before announcing the address: a signal that
    // arrives right after the announcement must find the handler in place.
    let shutdown = shutdown_signal()?;
    tracing::info!(addr = %listener.local_addr()?, backend = ?store.backend(), "vigilo hub listening");
    let (router, state) = app(store.clone(), &config);
    if let Err(e) = state.advisories.refresh(&store).await {
        tracing::error!(error = %e, "loading advisories failed");
    }
    let refresher = tokio::spawn({
        let (store, cache) = (store.clone(), state.advisories.clone());
        async move {
            let mut tick = tokio::time::interval(advisories::REFRESH_EVERY);
            loop {
                tick.tick().await;
                if let Err(e) = cache.refresh(&store).await {
                    tracing::warn!(error = %e, "refreshing the advisory index failed");
                }
            }
        }
    });
    let checkpointer = tokio::spawn({
        let store = store.clone();
        let every = config.checkpoint_interval;
        async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = store.checkpoint().await {
                    tracing::warn!(error = %e, "audit checkpoint failed");
                }
            }
        }
    });
    let (runner_stop, runner_rx) = tokio::sync::watch::channel(false);
    let runner = match jobs::Runner::new(store.clone(), jobs::RunnerConfig::from_hub(&config)) {
        Ok(r) => Some(tokio::spawn(
            r.with_advisories(state.advisories.clone()).run(runner_rx),
        )),
        Err(e) => {
            tracing::error!(error = %e, "starting the job runner failed: no webhook will be sent");
            None
        }
    };
    let federation = tokio::spawn(federation::run(
        store.clone(),
        config.sync_interval,
        runner_stop.subscribe(),
    ));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let grace = config.shutdown_grace;
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stop_tx.send(true);
    });
    let mut stop_rx2 = stop_rx.clone();
    tokio::select! {
        r = server => r?,
        _ = async {
            let _ = stop_rx2.wait_for(|s| *s).await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(in_flight = state.metrics.in_flight(), "grace period over; exiting with requests in flight");
        }
    }
    checkpointer.abort();
    refresher.abort();
    let _ = runner_stop.send(true);
    federation.abort();
    if let Some(mut runner) = runner {
        // Let a tick under way finish its deliveries (each bounded by its timeout).
        if tokio::time::timeout(Duration::from_secs(15), &mut runner)
            .await
            .is_err()
        {
            runner.abort();
        }
    }
    if let Err(e) = store.checkpoint().await {
        tracing::warn!(error = %e, "final audit checkpoint failed");
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// A future that completes on SIGTERM or Ctrl-C. The handlers are installed
/// when this function returns, not when the future is first polled.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    })
}
