//! Every malformed request is answered with an RFC 9457 problem document, never a 500.

use axum::http::{Method, StatusCode};
use serde_json::json;
use vigilo_hub::HubConfig;
use vigilo_test_support::for_each_backend;

use crate::support::{Call, Hub};

const LIMIT: usize = 256;

async fn small_hub(db: vigilo_test_support::TestDb) -> Hub {
    let config = HubConfig {
        body_limit: LIMIT,
        ..HubConfig::default()
    };
    Hub::with_config(db, config).await
}

#[tokio::test]
async fn malformed_bodies_are_problems() {
    for_each_backend(|db| async move {
        let hub = small_hub(db).await;
        let op = hub.operator.clone();
        let orgs = |body: &str| {
            Call::new(Method::POST, "/api/orgs")
                .bearer(&op)
                .raw(Some("application/json"), body)
        };

        // Syntax error: 400.
        let r = hub.send(orgs(r#"{"name": "ab", "display_name": }"#)).await;
        let body = r.problem(StatusCode::BAD_REQUEST);
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("malformed JSON at line 1")),
            "{body}"
        );
        let r = hub.send(orgs("")).await;
        r.problem(StatusCode::BAD_REQUEST);
        let r = hub
            .send(orgs(r#"{"name":"ab","display_name":"d"} x"#))
            .await;
        r.problem(StatusCode::BAD_REQUEST);

        // Wrong type: 422 at the value.
        let r = hub.send(orgs(r#"{"name":"ab","display_name":5}"#)).await;
        assert_eq!(
            r.pointers(StatusCode::UNPROCESSABLE_ENTITY),
            ["/display_name"]
        );
        let body = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
        let detail = body["errors"][0]["detail"].as_str().unwrap();
        assert!(detail.starts_with("invalid type: integer"), "{detail}");
        // A whole document of the wrong type points at the root.
        let r = hub.send(orgs("5")).await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), [""]);

        // Unknown field: 422 at the field.
        let r = hub
            .send(orgs(r#"{"name":"ab","display_name":"d","x":1}"#))
            .await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/x"]);

        // Missing field: 422 at the field.
        let r = hub.send(orgs(r#"{"name":"ab"}"#)).await;
        let body = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"][0]["pointer"], "/display_name", "{body}");
        assert_eq!(
            body["errors"][0]["detail"], "missing field `display_name`",
            "{body}"
        );

        // Nested pointers: an element of an array.
        let r = hub
            .put(
                "/api/org/profile",
                &op,
                &json!({"legal_name": "Hub", "sectors": ["energy", 7]}),
            )
            .await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/sectors/1"]);

        // Oversize body: 413, naming the limit.
        let big = json!({"name": "ab", "display_name": "d".repeat(LIMIT * 4)});
        let r = hub.send(orgs(&big.to_string())).await;
        let body = r.problem(StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            body["detail"],
            format!("request body exceeds the limit of {LIMIT} bytes"),
            "{body}"
        );
        // Just under the limit passes the size check (and fails later, on the name).
        let padded = format!(r#"{{"name":"AB","display_name":"d"}}{}"#, " ".repeat(200));
        assert!(padded.len() < LIMIT);
        let r = hub.send(orgs(&padded)).await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/name"]);

        // Wrong or missing content type: 415.
        let ok = r#"{"name":"ab","display_name":"d"}"#;
        for ct in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            let r = hub
                .send(Call::new(Method::POST, "/api/orgs").bearer(&op).raw(ct, ok))
                .await;
            r.problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
        }
        // Nothing was created by any of the above.
        let list = hub.get("/api/orgs", &op).await.json(StatusCode::OK);
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    })
    .await;
}

#[tokio::test]
async fn invalid_values_are_422_with_pointers() {
    for_each_backend(|db| async move {
        let hub = small_hub(db).await;
        let op = hub.operator.clone();

        for bad in ["Bad Name", "a", "-ab", "ab-", "Upper", "x_y", ""] {
            let r = hub
                .post("/api/orgs", &op, &json!({"name": bad, "display_name": "D"}))
                .await;
            assert_eq!(
                r.pointers(StatusCode::UNPROCESSABLE_ENTITY),
                ["/name"],
                "{bad:?}"
            );
        }
        let r = hub
            .post(
                "/api/orgs",
                &op,
                &json!({"name": "ok-name", "display_name": "  "}),
            )
            .await;
        assert_eq!(
            r.pointers(StatusCode::UNPROCESSABLE_ENTITY),
            ["/display_name"]
        );

        let r = hub
            .post(
                "/api/users",
                &op,
                &json!({"email": "x@example.org", "display_name": "X", "role": "overlord"}),
            )
            .await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/role"]);
        let r = hub
            .post("/api/tokens", &op, &json!({"name": "t", "role": "root"}))
            .await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/role"]);
        let r = hub
            .post(
                "/api/users",
                &op,
                &json!({"email": "not-an-email", "display_name": "X", "role": "reader"}),
            )
            .await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/email"]);
        let r = hub
            .post(
                "/api/users",
                &op,
                &json!({"email": "y@example.org", "display_name": "Y", "role": "reader",
                        "password": "short"}),
            )
            .await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/password"]);
        let r = hub
            .post(
                "/api/tokens",
                &op,
                &json!({"name": "t", "role": "reader", "expires_in_days": 100000}),
            )
            .await;
        assert_eq!(
            r.pointers(StatusCode::UNPROCESSABLE_ENTITY),
            ["/expires_in_days"]
        );
        let r = hub
            .post(
                "/api/tokens",
                &op,
                &json!({"name": "t", "role": "reader", "expires_in_days": -1}),
            )
            .await;
        assert_eq!(
            r.pointers(StatusCode::UNPROCESSABLE_ENTITY),
            ["/expires_in_days"]
        );
        let r = hub
            .post(
                "/api/auth/login",
                &op,
                &json!({"email": "x@example.org", "password": "p", "ttl_hours": 0}),
            )
            .await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/ttl_hours"]);
        let r = hub
            .patch("/api/orgs/hub", &op, &json!({"status": "gone"}))
            .await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/status"]);
        let r = hub
            .put(
                "/api/org/profile",
                &op,
                &json!({"legal_name": "Hub", "security_contact": "not an object"}),
            )
            .await;
        assert_eq!(
            r.pointers(StatusCode::UNPROCESSABLE_ENTITY),
            ["/security_contact"]
        );
        let r = hub
            .put("/api/org/profile", &op, &json!({"legal_name": " "}))
            .await;
        assert_eq!(
            r.pointers(StatusCode::UNPROCESSABLE_ENTITY),
            ["/legal_name"]
        );
    })
    .await;
}

#[tokio::test]
async fn unknown_routes_and_bad_queries() {
    for_each_backend(|db| async move {
        let hub = small_hub(db).await;
        let op = hub.operator.clone();

        for path in ["/api/nope", "/nope", "/api/tokens/a/b", "/api/orgs/x/y"] {
            let r = hub.get(path, &op).await;
            r.problem(StatusCode::NOT_FOUND);
        }
        // Unknown routes are 404 with or without credentials.
        let r = hub.send(Call::new(Method::GET, "/api/nope")).await;
        r.problem(StatusCode::NOT_FOUND);

        for query in [
            "limit=abc",
            "after=abc",
            "limit=0",
            "limit=1001",
            "limit=-1",
            "bogus=1",
        ] {
            let r = hub.get(&format!("/api/audit?{query}"), &op).await;
            let body = r.problem(StatusCode::BAD_REQUEST);
            assert!(body["detail"].is_string(), "{query}: {body}");
        }
        let r = hub.get("/api/org/profile?reveal=maybe", &op).await;
        r.problem(StatusCode::BAD_REQUEST);

        // A known route with the wrong method: 405, naming the allowed ones.
        // (The body is empty, not a problem document: see the test report.)
        let r = hub
            .send(Call::new(Method::PUT, "/api/whoami").bearer(&op))
            .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.headers["allow"], "GET,HEAD");

        // Revoking a token that does not exist is a 404 problem.
        let r = hub.delete("/api/tokens/no-such-token", &op).await;
        r.problem(StatusCode::NOT_FOUND);
        // So is disabling an organisation that does not exist.
        let r = hub
            .patch("/api/orgs/no-such-org", &op, &json!({"status": "disabled"}))
            .await;
        r.problem(StatusCode::NOT_FOUND);
    })
    .await;
}
