//! Reports received with signed receipts: the receipt verifies against the
//! hub's published key and the report, an edited receipt does not, invalid
//! reports store nothing, the receipt is audited (`report.received`), and an
//! organisation lists only its own reports; on every backend.

use serde_json::json;
use vigilo_formats::receipt::{self, ReceiptError};
use vigilo_store::{Actor, StoreError};
use vigilo_test_support::for_each_backend;

use crate::support::{open, org};

fn actor(org_id: &str) -> Actor {
    Actor {
        actor: "token:reporter".into(),
        org_id: Some(org_id.into()),
        ..Actor::default()
    }
}

#[tokio::test]
async fn receipts_verify_against_the_published_key() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let other = org(&store, "globex").await;
        let report = json!({"title": "Gateway RCE", "cve": ["CVE-2026-12345"], "cvss": 9.8});
        let got = store
            .receive_report(
                &actor(&o.id),
                &o.id,
                &report,
                "eu.cra.art14.aev",
                Some("early_warning"),
                "https://csirt.example",
            )
            .await
            .unwrap();
        assert_eq!(got.receipt.receipt.report_id, got.id);
        assert_eq!(got.receipt.receipt.submitter_org, o.id);
        assert_eq!(got.receipt.receipt.issuer, "https://csirt.example");
        assert_eq!(
            got.receipt.receipt.received_at,
            vigilo_store::micros_to_rfc3339(got.received_at)
        );

        let published = receipt::parse_key(&store.hub_public_key()).unwrap();
        assert_eq!(published, store.verifying_key());
        let text = serde_json::to_string(&got.receipt).unwrap();
        receipt::verify(&text, &published, Some(&report)).unwrap();

        // An edited instant of receipt no longer verifies.
        let mut forged = got.receipt.clone();
        forged.receipt.received_at = "2000-01-01T00:00:00Z".into();
        assert!(matches!(
            receipt::verify(&serde_json::to_string(&forged).unwrap(), &published, None),
            Err(ReceiptError::BadSignature)
        ));

        // Stored as issued, listed to its organisation only.
        let listed = store.list_received_reports(&o.id).await.unwrap();
        assert_eq!(listed, vec![got.clone()]);
        assert!(
            store
                .list_received_reports(&other.id)
                .await
                .unwrap()
                .is_empty()
        );
        // What is stored still verifies, against what is stored.
        let stored = serde_json::to_string(&listed[0].receipt).unwrap();
        receipt::verify(&stored, &published, Some(&listed[0].report)).unwrap();

        let audit = store.audit_events(Some(&o.id), 0, 1000).await.unwrap();
        let ev = audit
            .iter()
            .find(|e| e.action == "report.received")
            .unwrap();
        assert_eq!(ev.object, format!("report:{}", got.id));
        assert_eq!(ev.actor, "token:reporter");
        assert!(store.verify_audit(None).await.unwrap().broken.is_none());
    })
    .await;
}

#[tokio::test]
async fn invalid_reports_store_nothing() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let a = actor(&o.id);
        let ok = json!({"title": "x"});
        let big = json!({"blob": "a".repeat(vigilo_store::reports::MAX_REPORT)});
        let cases = [
            (
                json!(["not", "an", "object"]),
                "eu.cra.art14.aev",
                None,
                "report",
            ),
            (big, "eu.cra.art14.aev", None, "report"),
            (ok.clone(), "EU CRA", None, "rule"),
            (ok.clone(), "", None, "rule"),
            (
                ok.clone(),
                "eu.cra.art14.aev",
                Some("Early Warning"),
                "stage",
            ),
        ];
        for (report, rule, stage, field) in cases {
            let e = store
                .receive_report(&a, &o.id, &report, rule, stage, "vigilo-hub")
                .await
                .unwrap_err();
            assert!(
                matches!(e, StoreError::InvalidField { field: f, .. } if f == field),
                "{e} for {field}"
            );
        }
        assert!(store.list_received_reports(&o.id).await.unwrap().is_empty());
        let audit = store.audit_events(Some(&o.id), 0, 1000).await.unwrap();
        assert!(!audit.iter().any(|e| e.action == "report.received"));
    })
    .await;
}
