//! Webhooks: the secret sealed at rest, reads scoped to the organisation,
//! creation and deletion audited, a notice queued once, and every attempt
//! logged; on every backend.

use serde_json::json;
use vigilo_store::webhooks::{DELIVERY_JOB, EVENT_OVERDUE, EVENT_REMINDER, generate_secret};
use vigilo_store::{
    Actor, DeliveryAttempt, DeliveryState, NewDelivery, NewWebhook, NoticeKey, StoreError,
    now_micros,
};
use vigilo_test_support::for_each_backend;

use crate::support::{open, org};

fn actor(org_id: &str) -> Actor {
    Actor {
        actor: "token:test".into(),
        org_id: Some(org_id.into()),
        ..Actor::default()
    }
}

fn hook(secret: &str) -> NewWebhook {
    NewWebhook {
        url: "https://hooks.example.com/vigilo".into(),
        secret: secret.into(),
        events: vec![EVENT_REMINDER.into(), EVENT_OVERDUE.into()],
        lead_times: vec![4320, 1440, 60],
    }
}

#[tokio::test]
async fn secrets_are_sealed_and_reads_scoped() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let a = org(&store, "hooks-a").await;
        let b = org(&store, "hooks-b").await;
        let secret = generate_secret();
        assert_eq!(secret.len(), 64);
        assert_ne!(secret, generate_secret());
        let w = store
            .create_webhook(&actor(&a.id), &a.id, &hook(&secret))
            .await
            .unwrap();
        assert!(w.active);
        assert_eq!(w.lead_times, [4320, 1440, 60]);
        assert_eq!(w.created_by, "token:test");

        let raw: Vec<u8> = sqlx::query_scalar("SELECT secret FROM webhooks WHERE id = $1")
            .bind(&w.id)
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert!(
            !raw.windows(secret.len()).any(|s| s == secret.as_bytes()),
            "the secret is stored in the clear"
        );
        assert_eq!(&*store.webhook_secret(&w).await.unwrap(), secret.as_bytes());

        assert_eq!(store.list_webhooks(&a.id).await.unwrap(), std::slice::from_ref(&w));
        assert!(store.list_webhooks(&b.id).await.unwrap().is_empty());
        assert_eq!(store.get_webhook(&a.id, &w.id).await.unwrap(), Some(w.clone()));
        assert_eq!(store.get_webhook(&b.id, &w.id).await.unwrap(), None);
        assert_eq!(
            store.orgs_with_active_webhooks().await.unwrap(),
            std::slice::from_ref(&a.id)
        );

        // Another organisation cannot delete it.
        let err = store
            .delete_webhook(&actor(&b.id), &b.id, &w.id)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");

        let actions: Vec<String> = sqlx::query_scalar(
            "SELECT action FROM audit_events WHERE org_id = $1 AND action LIKE 'webhook.%' ORDER BY seq",
        )
        .bind(&a.id)
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(actions, ["webhook.create"]);
        let detail: String = sqlx::query_scalar(
            "SELECT detail FROM audit_events WHERE org_id = $1 AND action = 'webhook.create'",
        )
        .bind(&a.id)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert!(!detail.contains(&secret) && !detail.contains("hooks.example.com"));
    })
    .await;
}

#[tokio::test]
async fn invalid_webhooks_are_refused() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let a = org(&store, "hooks-bad").await;
        let cases: Vec<(NewWebhook, &str)> = vec![
            (
                NewWebhook {
                    url: "ftp://x.example".into(),
                    ..hook(&generate_secret())
                },
                "url",
            ),
            (hook("short"), "secret"),
            (
                NewWebhook {
                    events: vec!["duty.gone".into()],
                    ..hook(&generate_secret())
                },
                "events",
            ),
            (
                NewWebhook {
                    events: vec![],
                    ..hook(&generate_secret())
                },
                "events",
            ),
            (
                NewWebhook {
                    lead_times: vec![60, 60],
                    ..hook(&generate_secret())
                },
                "lead_times",
            ),
            (
                NewWebhook {
                    lead_times: vec![0],
                    ..hook(&generate_secret())
                },
                "lead_times",
            ),
            (
                NewWebhook {
                    lead_times: vec![],
                    ..hook(&generate_secret())
                },
                "lead_times",
            ),
        ];
        for (new, field) in cases {
            match store.create_webhook(&actor(&a.id), &a.id, &new).await {
                Err(StoreError::InvalidField { field: f, .. }) => assert_eq!(f, field, "{new:?}"),
                other => panic!("{new:?}: {other:?}"),
            }
        }
        assert!(store.list_webhooks(&a.id).await.unwrap().is_empty());
        // Overdue alerts alone need no lead time.
        store
            .create_webhook(
                &actor(&a.id),
                &a.id,
                &NewWebhook {
                    events: vec![EVENT_OVERDUE.into()],
                    lead_times: vec![],
                    ..hook(&generate_secret())
                },
            )
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_notice_is_queued_once_and_attempts_are_logged() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let a = org(&store, "hooks-log").await;
        let w = store
            .create_webhook(&actor(&a.id), &a.id, &hook(&generate_secret()))
            .await
            .unwrap();
        let now = now_micros();
        let due = now + 3_600_000_000;
        let new = NewDelivery {
            webhook_id: w.id.clone(),
            org_id: a.id.clone(),
            event: EVENT_REMINDER.into(),
            duty_id: Some("case/rule/stage".into()),
            payload: json!({"event": EVENT_REMINDER, "lead_minutes": 60}),
            max_attempts: 3,
            run_at: now,
        };
        let key = NoticeKey {
            webhook_id: w.id.clone(),
            duty_id: "case/rule/stage".into(),
            event: EVENT_REMINDER.into(),
            lead_minutes: 60,
            due_at: due,
        };
        let d = store
            .queue_delivery(&new, Some(&key), None)
            .await
            .unwrap()
            .expect("first notice is queued");
        assert_eq!(d.payload["delivery"], d.id.as_str());
        assert_eq!(d.state, DeliveryState::Pending);
        assert!(
            store
                .queue_delivery(&new, Some(&key), None)
                .await
                .unwrap()
                .is_none()
        );
        assert!(store.webhook_notices(&w.id).await.unwrap().contains(&key));
        // A moved due instant is another notice.
        let moved = NoticeKey {
            due_at: due + 1,
            ..key.clone()
        };
        assert!(
            store
                .queue_delivery(&new, Some(&moved), None)
                .await
                .unwrap()
                .is_some()
        );

        // The delivery's job is queued with it.
        let jobs = store
            .claim_jobs("r", 10, std::time::Duration::from_secs(60), now)
            .await
            .unwrap();
        assert_eq!(jobs.len(), 2);
        assert!(jobs.iter().all(|j| j.kind == DELIVERY_JOB));
        assert!(jobs.iter().any(|j| j.payload == json!({"delivery": d.id})));

        store
            .record_delivery_attempt(
                &d.id,
                &DeliveryAttempt {
                    attempt: 1,
                    at: now,
                    http_status: Some(500),
                    error: Some("HTTP 500".into()),
                    duration_ms: 12,
                },
                DeliveryState::Pending,
                Some(now + 30_000_000),
            )
            .await
            .unwrap();
        store
            .record_delivery_attempt(
                &d.id,
                &DeliveryAttempt {
                    attempt: 2,
                    at: now + 30_000_000,
                    http_status: Some(204),
                    error: None,
                    duration_ms: 3,
                },
                DeliveryState::Delivered,
                None,
            )
            .await
            .unwrap();
        let log = store.list_deliveries(&a.id, &w.id, 10).await.unwrap();
        assert_eq!(log.len(), 2);
        let mine = log.iter().find(|l| l.delivery.id == d.id).unwrap();
        assert_eq!(mine.delivery.state, DeliveryState::Delivered);
        assert_eq!(mine.delivery.attempt, 2);
        assert_eq!(mine.delivery.delivered_at, Some(now + 30_000_000));
        assert_eq!(mine.delivery.next_attempt_at, None);
        let statuses: Vec<Option<i64>> = mine.attempts.iter().map(|a| a.http_status).collect();
        assert_eq!(statuses, [Some(500), Some(204)]);
        // Newest first.
        assert!(log[0].delivery.id > log[1].delivery.id);

        // Scoped, and gone with the webhook.
        let b = org(&store, "hooks-log-b").await;
        assert!(
            store
                .list_deliveries(&b.id, &w.id, 10)
                .await
                .unwrap()
                .is_empty()
        );
        store
            .delete_webhook(&actor(&a.id), &a.id, &w.id)
            .await
            .unwrap();
        assert!(store.get_delivery(&d.id).await.unwrap().is_none());
        assert!(
            store
                .list_deliveries(&a.id, &w.id, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(store.orgs_with_active_webhooks().await.unwrap().is_empty());
    })
    .await;
}
