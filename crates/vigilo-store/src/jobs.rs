//! Background jobs: a leased queue in the database, so any hub process runs
//! them and a process that stops mid-job loses nothing.
//!
//! A job is enqueued ([`Store::enqueue_job`]) with a kind, a JSON payload,
//! a time it may run from and, optionally, a *dedupe key*: enqueuing twice
//! with the same key yields one job. A runner claims up to N due jobs at
//! once ([`Store::claim_jobs`]): each gets the runner's id and a lease
//! deadline, and its attempt count goes up. The claim is one statement
//! (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one writer at a time), so
//! two runners never claim the same job. A job whose lease has expired (its
//! runner crashed or was killed) is claimable again. The runner then
//! completes it ([`Store::complete_job`]) or fails it ([`Store::fail_job`]):
//! a failure is retried after an exponential backoff (base × 2^(attempt−1),
//! capped) until `max_attempts`, then the job is `failed`. Completing or
//! failing checks the lease is still the runner's: a runner whose lease
//! expired and was taken over changes nothing.
//!
//! Jobs are bookkeeping, not organisation data: they are not audited (what
//! they do is, where it matters).

use std::time::Duration;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, DbContext as _, Result, Store, StoreError, now_micros};

/// Longest job kind, in bytes.
pub const MAX_KIND: usize = 64;
/// Longest dedupe key, in bytes.
pub const MAX_DEDUPE_KEY: usize = 512;
/// Longest error message kept on a job, in bytes.
pub const MAX_ERROR: usize = 2000;

const COLUMNS: &str = "id, kind, payload, dedupe_key, run_at, attempts, max_attempts, \
                       lease_owner, lease_until, state, last_error, created_at, updated_at";

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for its `run_at`.
    Queued,
    /// Claimed by a runner (until its lease expires).
    Running,
    Done,
    /// Failed `max_attempts` times, or abandoned.
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<JobState> {
        [
            JobState::Queued,
            JobState::Running,
            JobState::Done,
            JobState::Failed,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub kind: String,
    /// A JSON object: the job's arguments.
    pub payload: serde_json::Value,
    /// Enqueuing again with the same key returns the first job.
    pub dedupe_key: Option<String>,
    /// Not before (micros).
    pub run_at: i64,
    /// At least 1.
    pub max_attempts: i64,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub dedupe_key: Option<String>,
    pub run_at: i64,
    /// Claims so far, this one included while running.
    pub attempts: i64,
    pub max_attempts: i64,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub state: JobState,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What enqueuing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueued {
    pub id: String,
    /// False when a job with the same dedupe key already existed.
    pub created: bool,
}

/// Exponential backoff between attempts: `base × 2^(attempt−1)`, at most `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(3600),
        }
    }
}

impl Backoff {
    /// The wait after the `attempt`-th failure (1 for the first).
    pub fn delay(&self, attempt: i64) -> Duration {
        let exp = u32::try_from(attempt.saturating_sub(1).clamp(0, 31)).unwrap_or(31);
        self.base
            .checked_mul(1u32 << exp)
            .map_or(self.cap, |d| d.min(self.cap))
    }
}

/// What failing a job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// Queued again, to run from this instant (micros).
    Retry { run_at: i64 },
    /// No attempts left (or abandoned): the job is `failed`.
    Failed,
    /// The job is no longer this runner's (its lease expired and another
    /// runner took it, or it finished): nothing was changed.
    LeaseLost,
}

fn duration_micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn job_from_row(r: &AnyRow) -> Result<Job> {
    let op = "reading a job";
    let payload: String = r.try_get("payload").ctx(op)?;
    let state: String = r.try_get("state").ctx(op)?;
    Ok(Job {
        id: r.try_get("id").ctx(op)?,
        kind: r.try_get("kind").ctx(op)?,
        payload: serde_json::from_str(&payload)
            .map_err(|e| StoreError::Invalid(format!("a stored job payload is not JSON: {e}")))?,
        dedupe_key: r.try_get("dedupe_key").ctx(op)?,
        run_at: r.try_get("run_at").ctx(op)?,
        attempts: r.try_get("attempts").ctx(op)?,
        max_attempts: r.try_get("max_attempts").ctx(op)?,
        lease_owner: r.try_get("lease_owner").ctx(op)?,
        lease_until: r.try_get("lease_until").ctx(op)?,
        state: JobState::parse(&state)
            .ok_or_else(|| StoreError::Invalid(format!("a stored job has state {state:?}")))?,
        last_error: r.try_get("last_error").ctx(op)?,
        created_at: r.try_get("created_at").ctx(op)?,
        updated_at: r.try_get("updated_at").ctx(op)?,
    })
}

fn validate(new: &NewJob) -> Result<()> {
    if new.kind.is_empty() || new.kind.len() > MAX_KIND {
        return Err(StoreError::invalid(
            "kind",
            format!("must be 1 to {MAX_KIND} bytes"),
        ));
    }
    if !new.payload.is_object() {
        return Err(StoreError::invalid("payload", "must be a JSON object"));
    }
    if let Some(k) = &new.dedupe_key {
        if k.is_empty() || k.len() > MAX_DEDUPE_KEY {
            return Err(StoreError::invalid(
                "dedupe_key",
                format!("must be 1 to {MAX_DEDUPE_KEY} bytes"),
            ));
        }
    }
    if new.max_attempts < 1 {
        return Err(StoreError::invalid("max_attempts", "must be at least 1"));
    }
    Ok(())
}

/// Enqueues `new` on `conn` (inside a caller's transaction, or not).
pub(crate) async fn enqueue_on(
    conn: &mut sqlx::AnyConnection,
    new: &NewJob,
    now: i64,
) -> Result<Enqueued> {
    validate(new)?;
    let id = uuid::Uuid::now_v7().to_string();
    let inserted = sqlx::query(
        "INSERT INTO jobs (id, kind, payload, dedupe_key, run_at, attempts, max_attempts, \
         state, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, 'queued', $7, $7) \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(id.clone())
    .bind(new.kind.clone())
    .bind(new.payload.to_string())
    .bind(new.dedupe_key.clone())
    .bind(new.run_at)
    .bind(new.max_attempts)
    .bind(now)
    .execute(&mut *conn)
    .await
    .ctx("enqueuing a job")?
    .rows_affected();
    if inserted == 1 {
        return Ok(Enqueued { id, created: true });
    }
    let existing: String = sqlx::query("SELECT id FROM jobs WHERE dedupe_key = $1")
        .bind(new.dedupe_key.clone())
        .fetch_one(&mut *conn)
        .await
        .and_then(|r| r.try_get(0))
        .ctx("reading an enqueued job")?;
    Ok(Enqueued {
        id: existing,
        created: false,
    })
}

impl Store {
    /// Enqueues a job; with a dedupe key already used, returns that job
    /// (`created: false`) and changes nothing.
    pub async fn enqueue_job(&self, new: &NewJob) -> Result<Enqueued> {
        let mut conn = self.pool().acquire().await.ctx("enqueuing a job")?;
        enqueue_on(&mut conn, new, now_micros()).await
    }

    /// A job by id.
    pub async fn get_job(&self, id: &str) -> Result<Option<Job>> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .ctx("reading a job")?
            .map(|r| job_from_row(&r))
            .transpose()
    }

    /// Claims up to `limit` jobs due at `now` (micros) for `owner`, each
    /// leased until `now + lease`: queued jobs whose `run_at` has passed
    /// and running jobs whose lease has expired, oldest `run_at` first.
    /// Each claim counts as an attempt. Never hands one job to two
    /// concurrent claimers.
    pub async fn claim_jobs(
        &self,
        owner: &str,
        limit: i64,
        lease: Duration,
        now: i64,
    ) -> Result<Vec<Job>> {
        if owner.is_empty() {
            return Err(StoreError::invalid("owner", "must not be empty"));
        }
        if limit < 1 {
            return Ok(Vec::new());
        }
        let until = now.saturating_add(duration_micros(lease));
        // A job whose lease expired during its last allowed attempt is not
        // run again: `reap_jobs` fails it.
        let due = "(state = 'queued' AND run_at <= $3) \
                   OR (state = 'running' AND lease_until <= $3 AND attempts < max_attempts)";
        let sql = match self.backend() {
            Backend::Postgres => format!(
                "WITH picked AS (SELECT id FROM jobs WHERE {due} \
                 ORDER BY run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
                 UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $2, \
                 attempts = jobs.attempts + 1, updated_at = $3 \
                 FROM picked WHERE jobs.id = picked.id \
                 RETURNING {}",
                COLUMNS
                    .split(", ")
                    .map(|c| format!("jobs.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            // One statement: SQLite takes the write lock before it reads.
            Backend::Sqlite => format!(
                "UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $2, \
                 attempts = attempts + 1, updated_at = $3 \
                 WHERE id IN (SELECT id FROM jobs WHERE {due} ORDER BY run_at, id LIMIT $4) \
                 RETURNING {COLUMNS}"
            ),
        };
        let rows = sqlx::query(&sql)
            .bind(owner)
            .bind(until)
            .bind(now)
            .bind(limit)
            .fetch_all(self.pool())
            .await
            .ctx("claiming jobs")?;
        let mut jobs = rows.iter().map(job_from_row).collect::<Result<Vec<_>>>()?;
        jobs.sort_by(|a, b| a.run_at.cmp(&b.run_at).then_with(|| a.id.cmp(&b.id)));
        Ok(jobs)
    }

    /// Fails the running jobs whose lease expired at `now` during their last
    /// allowed attempt (their runner stopped mid-job), and returns them.
    pub async fn reap_jobs(&self, now: i64) -> Result<Vec<Job>> {
        let rows = sqlx::query(&format!(
            "UPDATE jobs SET state = 'failed', \
             last_error = 'the runner stopped during the last allowed attempt (lease expired)', \
             lease_owner = NULL, lease_until = NULL, updated_at = $1 \
             WHERE state = 'running' AND lease_until <= $1 AND attempts >= max_attempts \
             RETURNING {COLUMNS}"
        ))
        .bind(now)
        .fetch_all(self.pool())
        .await
        .ctx("failing jobs with expired leases")?;
        rows.iter().map(job_from_row).collect()
    }

    /// Marks a job `owner` holds as done. False when the job is no longer
    /// `owner`'s (its lease was taken over): nothing changed.
    pub async fn complete_job(&self, id: &str, owner: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL, \
             last_error = NULL, updated_at = $3 \
             WHERE id = $1 AND state = 'running' AND lease_owner = $2",
        )
        .bind(id)
        .bind(owner)
        .bind(now)
        .execute(self.pool())
        .await
        .ctx("completing a job")?
        .rows_affected();
        Ok(done == 1)
    }

    /// Records a failed attempt of a job `owner` holds: queued again after
    /// `backoff.delay(attempts)` while attempts remain, else `failed`.
    pub async fn fail_job(
        &self,
        id: &str,
        owner: &str,
        error: &str,
        now: i64,
        backoff: &Backoff,
    ) -> Result<FailOutcome> {
        let Some(job) = self.get_job(id).await? else {
            return Ok(FailOutcome::LeaseLost);
        };
        if job.state != JobState::Running || job.lease_owner.as_deref() != Some(owner) {
            return Ok(FailOutcome::LeaseLost);
        }
        if job.attempts >= job.max_attempts {
            return self.abandon_job(id, owner, error, now).await.map(|held| {
                if held {
                    FailOutcome::Failed
                } else {
                    FailOutcome::LeaseLost
                }
            });
        }
        let run_at = now.saturating_add(duration_micros(backoff.delay(job.attempts)));
        let changed = sqlx::query(
            "UPDATE jobs SET state = 'queued', run_at = $4, lease_owner = NULL, \
             lease_until = NULL, last_error = $5, updated_at = $3 \
             WHERE id = $1 AND state = 'running' AND lease_owner = $2 AND attempts = $6",
        )
        .bind(id)
        .bind(owner)
        .bind(now)
        .bind(run_at)
        .bind(truncate(error, MAX_ERROR))
        .bind(job.attempts)
        .execute(self.pool())
        .await
        .ctx("failing a job")?
        .rows_affected();
        Ok(if changed == 1 {
            FailOutcome::Retry { run_at }
        } else {
            FailOutcome::LeaseLost
        })
    }

    /// Fails a job `owner` holds for good, attempts left or not (an error
    /// no retry can fix). False when the job is no longer `owner`'s.
    pub async fn abandon_job(&self, id: &str, owner: &str, error: &str, now: i64) -> Result<bool> {
        let changed = sqlx::query(
            "UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_until = NULL, \
             last_error = $4, updated_at = $3 \
             WHERE id = $1 AND state = 'running' AND lease_owner = $2",
        )
        .bind(id)
        .bind(owner)
        .bind(now)
        .bind(truncate(error, MAX_ERROR))
        .execute(self.pool())
        .await
        .ctx("failing a job")?
        .rows_affected();
        Ok(changed == 1)
    }
}
