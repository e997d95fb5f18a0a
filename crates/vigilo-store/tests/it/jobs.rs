//! The leased job queue: enqueuing with a dedupe key is idempotent, two
//! concurrent claimers never get the same job, an expired lease is claimed
//! again (and the old holder can no longer finish the job), backoff grows
//! and caps, a job fails after its last attempt; on every backend.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;
use vigilo_store::{Backoff, FailOutcome, JobState, NewJob, Store, now_micros};
use vigilo_test_support::for_each_backend;

use crate::support::open;

const SEC: i64 = 1_000_000;

fn job(kind: &str, key: Option<&str>, run_at: i64, max_attempts: i64) -> NewJob {
    NewJob {
        kind: kind.into(),
        payload: json!({"n": 1}),
        dedupe_key: key.map(str::to_owned),
        run_at,
        max_attempts,
    }
}

async fn count_jobs(store: &Store) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM jobs")
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn enqueue_with_a_dedupe_key_is_idempotent() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let now = now_micros();
        let first = store
            .enqueue_job(&job("test.kind", Some("k-1"), now, 3))
            .await
            .unwrap();
        assert!(first.created);
        let again = store
            .enqueue_job(&job("test.kind", Some("k-1"), now + 99 * SEC, 5))
            .await
            .unwrap();
        assert!(!again.created);
        assert_eq!(again.id, first.id);
        // The first one stands, unchanged.
        let stored = store.get_job(&first.id).await.unwrap().unwrap();
        assert_eq!(stored.run_at, now);
        assert_eq!(stored.max_attempts, 3);
        assert_eq!(stored.state, JobState::Queued);
        assert_eq!(stored.attempts, 0);
        assert_eq!(stored.payload, json!({"n": 1}));
        // Another key, and jobs without a key, are separate jobs.
        store
            .enqueue_job(&job("test.kind", Some("k-2"), now, 3))
            .await
            .unwrap();
        let a = store
            .enqueue_job(&job("test.kind", None, now, 3))
            .await
            .unwrap();
        let b = store
            .enqueue_job(&job("test.kind", None, now, 3))
            .await
            .unwrap();
        assert!(a.created && b.created && a.id != b.id);
        assert_eq!(count_jobs(&store).await, 4);

        // Invalid jobs are refused.
        let mut bad = job("test.kind", None, now, 0);
        assert!(store.enqueue_job(&bad).await.is_err());
        bad.max_attempts = 1;
        bad.payload = json!([1]);
        assert!(store.enqueue_job(&bad).await.is_err());
    })
    .await;
}

#[tokio::test]
async fn concurrent_claimers_never_share_a_job() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let now = now_micros();
        let mut all = HashSet::new();
        for i in 0..60 {
            let e = store
                .enqueue_job(&job("test.kind", Some(&format!("c-{i}")), now - i, 3))
                .await
                .unwrap();
            all.insert(e.id);
        }
        // Not yet due: never claimed.
        store
            .enqueue_job(&job("test.later", None, now + 3600 * SEC, 3))
            .await
            .unwrap();

        let mut tasks = Vec::new();
        for w in 0..4 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let owner = format!("runner-{w}");
                let mut got = Vec::new();
                loop {
                    let batch = store
                        .claim_jobs(&owner, 4, Duration::from_secs(60), now)
                        .await
                        .unwrap();
                    if batch.is_empty() {
                        break;
                    }
                    for j in batch {
                        assert_eq!(j.state, JobState::Running);
                        assert_eq!(j.lease_owner.as_deref(), Some(owner.as_str()));
                        assert_eq!(j.lease_until, Some(now + 60 * SEC));
                        assert_eq!(j.attempts, 1);
                        got.push(j.id);
                    }
                    tokio::task::yield_now().await;
                }
                got
            }));
        }
        let mut seen = HashSet::new();
        let mut total = 0;
        for t in tasks {
            for id in t.await.unwrap() {
                total += 1;
                assert!(seen.insert(id.clone()), "job {id} claimed twice");
            }
        }
        assert_eq!(total, 60);
        assert_eq!(seen, all);
        // Everything due is leased: nothing more to claim.
        assert!(
            store
                .claim_jobs("late", 10, Duration::from_secs(60), now + SEC)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn claims_go_oldest_first_and_respect_the_limit() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let now = now_micros();
        let late = store
            .enqueue_job(&job("k", None, now - SEC, 3))
            .await
            .unwrap();
        let early = store
            .enqueue_job(&job("k", None, now - 5 * SEC, 3))
            .await
            .unwrap();
        let got = store
            .claim_jobs("r", 1, Duration::from_secs(10), now)
            .await
            .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].id, early.id);
        let got = store
            .claim_jobs("r", 5, Duration::from_secs(10), now)
            .await
            .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].id, late.id);
    })
    .await;
}

#[tokio::test]
async fn an_expired_lease_is_claimed_again() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let now = now_micros();
        let e = store
            .enqueue_job(&job("k", Some("lease"), now, 5))
            .await
            .unwrap();
        let lease = Duration::from_secs(60);
        let a = store.claim_jobs("crashed", 10, lease, now).await.unwrap();
        assert_eq!(a.len(), 1);
        // Still leased: another runner gets nothing.
        assert!(
            store
                .claim_jobs("fresh", 10, lease, now + 59 * SEC)
                .await
                .unwrap()
                .is_empty()
        );
        // Expired: the other runner takes it over; the attempt counts.
        let b = store
            .claim_jobs("fresh", 10, lease, now + 60 * SEC)
            .await
            .unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].id, e.id);
        assert_eq!(b[0].attempts, 2);
        assert_eq!(b[0].lease_owner.as_deref(), Some("fresh"));
        // The old holder can change nothing now.
        assert!(
            !store
                .complete_job(&e.id, "crashed", now + 61 * SEC)
                .await
                .unwrap()
        );
        assert_eq!(
            store
                .fail_job(
                    &e.id,
                    "crashed",
                    "late",
                    now + 61 * SEC,
                    &Backoff::default()
                )
                .await
                .unwrap(),
            FailOutcome::LeaseLost
        );
        assert!(
            store
                .complete_job(&e.id, "fresh", now + 62 * SEC)
                .await
                .unwrap()
        );
        let done = store.get_job(&e.id).await.unwrap().unwrap();
        assert_eq!(done.state, JobState::Done);
        assert_eq!(done.lease_owner, None);
        // Done jobs are never claimed again.
        assert!(
            store
                .claim_jobs("fresh", 10, lease, now + 3600 * SEC)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[test]
fn backoff_doubles_and_caps() {
    let b = Backoff {
        base: Duration::from_secs(10),
        cap: Duration::from_secs(100),
    };
    let delays: Vec<u64> = (1..=7).map(|n| b.delay(n).as_secs()).collect();
    assert_eq!(delays, [10, 20, 40, 80, 100, 100, 100]);
    assert_eq!(b.delay(0).as_secs(), 10);
    assert_eq!(b.delay(i64::MAX).as_secs(), 100);
}

#[tokio::test]
async fn failures_back_off_then_fail_after_max_attempts() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let backoff = Backoff {
            base: Duration::from_secs(10),
            cap: Duration::from_secs(45),
        };
        let lease = Duration::from_secs(300);
        let start = now_micros();
        let e = store
            .enqueue_job(&job("k", Some("retry"), start, 5))
            .await
            .unwrap();
        let mut now = start;
        let mut waits = Vec::new();
        for attempt in 1..=5 {
            let got = store.claim_jobs("r", 10, lease, now).await.unwrap();
            assert_eq!(got.len(), 1, "attempt {attempt}");
            assert_eq!(got[0].attempts, attempt);
            // Not due again before its backoff has passed.
            let outcome = store
                .fail_job(&e.id, "r", &format!("boom {attempt}"), now, &backoff)
                .await
                .unwrap();
            match outcome {
                FailOutcome::Retry { run_at } => {
                    assert!(attempt < 5);
                    waits.push((run_at - now) / SEC);
                    assert!(
                        store
                            .claim_jobs("r", 10, lease, run_at - 1)
                            .await
                            .unwrap()
                            .is_empty()
                    );
                    let queued = store.get_job(&e.id).await.unwrap().unwrap();
                    assert_eq!(queued.state, JobState::Queued);
                    assert_eq!(
                        queued.last_error.as_deref(),
                        Some(&*format!("boom {attempt}"))
                    );
                    now = run_at;
                }
                FailOutcome::Failed => assert_eq!(attempt, 5),
                FailOutcome::LeaseLost => panic!("lease lost on attempt {attempt}"),
            }
        }
        assert_eq!(waits, [10, 20, 40, 45]);
        let failed = store.get_job(&e.id).await.unwrap().unwrap();
        assert_eq!(failed.state, JobState::Failed);
        assert_eq!(failed.attempts, 5);
        assert_eq!(failed.last_error.as_deref(), Some("boom 5"));
        assert!(
            store
                .claim_jobs("r", 10, lease, now + 86_400 * SEC)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn a_runner_that_dies_on_the_last_attempt_fails_the_job() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let now = now_micros();
        let e = store
            .enqueue_job(&job("k", Some("last"), now, 1))
            .await
            .unwrap();
        let lease = Duration::from_secs(30);
        assert_eq!(
            store
                .claim_jobs("dies", 10, lease, now)
                .await
                .unwrap()
                .len(),
            1
        );
        // Its lease expires: no attempt is left, so it is not claimed but reaped.
        let later = now + 31 * SEC;
        assert!(store.reap_jobs(now).await.unwrap().is_empty());
        assert!(
            store
                .claim_jobs("other", 10, lease, later)
                .await
                .unwrap()
                .is_empty()
        );
        let reaped = store.reap_jobs(later).await.unwrap();
        assert_eq!(reaped.len(), 1);
        assert_eq!(reaped[0].id, e.id);
        assert_eq!(reaped[0].state, JobState::Failed);
        assert!(reaped[0].last_error.as_deref().unwrap().contains("lease"));
        // Abandoning is for good whatever attempts remain.
        let e2 = store
            .enqueue_job(&job("k", Some("abandon"), now, 9))
            .await
            .unwrap();
        assert_eq!(
            store.claim_jobs("r", 10, lease, now).await.unwrap().len(),
            1
        );
        assert!(store.abandon_job(&e2.id, "r", "no", now).await.unwrap());
        assert_eq!(
            store.get_job(&e2.id).await.unwrap().unwrap().state,
            JobState::Failed
        );
    })
    .await;
}
