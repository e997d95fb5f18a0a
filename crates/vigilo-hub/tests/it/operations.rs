//! Health, readiness, the OpenAPI document and metrics.

use axum::http::{Method, StatusCode, header};
use serde_json::Value;
use vigilo_test_support::for_each_backend;

use crate::support::{Call, Hub, request_count};

#[tokio::test]
async fn health_and_readiness() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        for (path, text) in [("/healthz", "ok"), ("/readyz", "ready")] {
            let r = hub.send(Call::new(Method::GET, path)).await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            assert_eq!(r.text(), text, "{path}");
            // Every response carries a request id.
            assert!(r.headers.contains_key("x-request-id"), "{path}");
        }
    })
    .await;
}

#[tokio::test]
async fn openapi_document() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        // Public, like the health checks.
        let r = hub.send(Call::new(Method::GET, "/api/openapi.json")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.content_type(), "application/json");
        let doc: Value = r.json(StatusCode::OK);
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["info"]["title"].is_string());
        let paths = doc["paths"].as_object().expect("paths");
        for p in [
            "/api/whoami",
            "/api/tokens",
            "/api/tokens/{id}",
            "/api/audit",
            "/api/orgs",
            "/api/orgs/{id}",
            "/api/users",
            "/api/org/profile",
            "/api/auth/login",
            "/healthz",
            "/readyz",
            "/metrics",
        ] {
            assert!(paths.contains_key(p), "{p} missing from {:?}", paths.keys());
        }
        assert!(paths["/api/tokens/{id}"]["delete"].is_object());
        assert!(paths["/api/tokens"]["get"].is_object());
        assert!(paths["/api/tokens"]["post"].is_object());
        assert!(doc["components"]["securitySchemes"]["token"].is_object());
        assert!(doc["components"]["schemas"]["Problem"].is_object());
        // The served document is the one the crate generates.
        let generated: Value =
            serde_json::from_str(&vigilo_hub::openapi().to_json().unwrap()).unwrap();
        assert_eq!(doc, generated);
    })
    .await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        const OK: u64 = 4;
        const DENIED: u64 = 2;
        for _ in 0..OK {
            hub.whoami(&hub.operator).await.json(StatusCode::OK);
        }
        for _ in 0..DENIED {
            let r = hub.send(Call::new(Method::GET, "/api/whoami")).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
        hub.get("/api/no/such/thing", &hub.operator)
            .await
            .problem(StatusCode::NOT_FOUND);

        let r = hub.send(Call::new(Method::GET, "/metrics")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/plain"),
            "{:?}",
            r.headers
        );
        let text = r.text();
        let ok = request_count(text, "GET", "/api/whoami", 200).expect("a 200 series");
        assert!(ok >= OK, "{ok} < {OK}:\n{text}");
        let denied = request_count(text, "GET", "/api/whoami", 401).expect("a 401 series");
        assert!(denied >= DENIED, "{denied} < {DENIED}:\n{text}");
        assert!(text.contains("# TYPE vigilo_http_requests_total counter"));
        assert!(text.contains("# TYPE vigilo_http_request_duration_seconds histogram"));
        assert!(text.contains("vigilo_http_requests_in_flight"));
        // Unmatched paths never become label values.
        assert!(!text.contains("/api/no/such/thing"), "{text}");

        // Counters only go up.
        hub.whoami(&hub.operator).await.json(StatusCode::OK);
        let r = hub.send(Call::new(Method::GET, "/metrics")).await;
        let again = request_count(r.text(), "GET", "/api/whoami", 200).unwrap();
        assert_eq!(again, ok + 1);
    })
    .await;
}
