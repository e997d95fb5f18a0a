//! Report submission (`/api/reports`) with signed receipts: the receipt
//! verifies against the key `GET /api/hub/key` publishes (no
//! authentication) and the report submitted, an edited receipt does not,
//! validation names JSON pointers and stores nothing, submission is audited,
//! and organisations see only their own reports; on every backend.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use vigilo_formats::receipt::{self, ReceiptError};
use vigilo_test_support::for_each_backend;

use crate::support::{Call, Hub};

const CRA: &str = "eu.cra.art14.aev";

#[tokio::test]
async fn a_submitted_report_gets_a_receipt_that_verifies() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let acme = hub.org("acme").await;
        let globex = hub.org("globex").await;
        let report = json!({"title": "Gateway RCE", "cve": ["CVE-2026-12345"], "cvss": 9.8,
                            "products": [{"name": "gateway", "version": "2.3"}]});
        let issued = hub
            .post(
                "/api/reports",
                &acme.admin,
                &json!({"report": report, "rule": CRA, "stage": "early_warning"}),
            )
            .await
            .json(StatusCode::CREATED);
        assert_eq!(issued["receipt"]["submitter_org"], acme.id.as_str());
        assert_eq!(issued["receipt"]["issuer"], "vigilo-hub");

        // The published key, without authentication.
        let key = hub
            .send(Call::new(Method::GET, "/api/hub/key"))
            .await
            .json(StatusCode::OK);
        let key_text = key["key"].as_str().unwrap();
        assert!(key_text.starts_with("ed25519:"), "{key_text}");
        assert_eq!(issued["receipt"]["issuer_key"], key_text);
        let published = receipt::parse_key(key_text).unwrap();
        let text = issued.to_string();
        let r = receipt::verify(&text, &published, Some(&report)).unwrap();
        assert_eq!(r.receipt.digest, receipt::digest(&report).unwrap());

        // An edited instant of receipt is caught.
        let mut forged = issued.clone();
        forged["receipt"]["received_at"] = json!("2000-01-01T00:00:00Z");
        assert!(matches!(
            receipt::verify(&forged.to_string(), &published, Some(&report)),
            Err(ReceiptError::BadSignature)
        ));
        // Another report is caught.
        assert!(matches!(
            receipt::verify(&text, &published, Some(&json!({"title": "other"}))),
            Err(ReceiptError::DigestMismatch { .. })
        ));

        // The submitter lists it with its receipt; another organisation does not.
        let listed = hub
            .get("/api/reports", &acme.admin)
            .await
            .json(StatusCode::OK);
        let reports = listed["reports"].as_array().unwrap();
        assert_eq!(reports.len(), 1);
        let one = &reports[0];
        assert_eq!(one["id"], issued["receipt"]["report_id"]);
        assert_eq!(one["rule"], CRA);
        assert_eq!(one["stage"], "early_warning");
        assert_eq!(one["report"], report);
        assert_eq!(one["receipt"], issued);
        assert_eq!(one["received_at"], issued["receipt"]["received_at"]);
        let theirs = hub
            .get("/api/reports", &globex.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(theirs["reports"], json!([]));

        // Audited.
        let audit = hub
            .store
            .audit_events(Some(&acme.id), 0, 10_000)
            .await
            .unwrap();
        let ev = audit
            .iter()
            .find(|e| e.action == "report.received")
            .unwrap();
        assert_eq!(ev.object, format!("report:{}", one["id"].as_str().unwrap()));
        assert_eq!(ev.actor, format!("token:{}", acme.admin_token_id));
    })
    .await;
}

#[tokio::test]
async fn invalid_submissions_are_422_naming_the_field() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let acme = hub.org("acme").await;
        let cases: [(Value, &[&str]); 6] = [
            (json!({"rule": CRA}), &["/report"]),
            (json!({"report": ["x"], "rule": CRA}), &["/report"]),
            (json!({"report": {"t": 1}}), &["/rule"]),
            (json!({"report": {"t": 1}, "rule": "EU CRA"}), &["/rule"]),
            (
                json!({"report": {"t": 1}, "rule": CRA, "stage": 3, "extra": true}),
                &["/extra", "/stage"],
            ),
            (json!({"report": "x", "rule": 1}), &["/report", "/rule"]),
        ];
        for (body, pointers) in cases {
            let r = hub.post("/api/reports", &acme.admin, &body).await;
            let mut got = r.pointers(StatusCode::UNPROCESSABLE_ENTITY);
            got.sort();
            assert_eq!(got, pointers, "{body}");
        }
        let listed = hub
            .get("/api/reports", &acme.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(listed["reports"], json!([]));
        let audit = hub
            .store
            .audit_events(Some(&acme.id), 0, 10_000)
            .await
            .unwrap();
        assert!(!audit.iter().any(|e| e.action == "report.received"));
    })
    .await;
}

#[tokio::test]
async fn submitting_needs_write_and_listing_read() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let acme = hub.org("acme").await;
        let reader = hub.token_with_role(&acme.admin, "reader").await;
        let body = json!({"report": {"t": 1}, "rule": CRA});
        hub.post("/api/reports", &reader.secret, &body)
            .await
            .problem(StatusCode::FORBIDDEN);
        hub.get("/api/reports", &reader.secret)
            .await
            .json(StatusCode::OK);
        hub.send(Call::new(Method::GET, "/api/reports"))
            .await
            .problem(StatusCode::UNAUTHORIZED);
    })
    .await;
}
