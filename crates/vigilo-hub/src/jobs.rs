//! The background job runner: duty reminders, overdue alerts and exposure
//! notices to the organisations' webhooks, and the re-matching of stored
//! inventories when advisories change.
//!
//! Every poll interval a [`Runner`] makes one [`Runner::tick`]:
//!
//! 1. **Schedule.** For each active organisation with an active webhook it
//!    computes the organisation's open and overdue duties
//!    (`cases_api::org_duties`, the one place duties are computed) and
//!    queues, per webhook, a `duty.reminder` for each open duty whose
//!    reminder time has come (`due − lead ≤ now < due`; of several lead
//!    times reached at once, only the shortest) and a `duty.overdue` for each
//!    overdue duty. Each (webhook, duty, event, lead time, due instant) is
//!    queued once, by any number of hub processes; a due instant that moves
//!    is a new one. When the advisories changed since the last re-match
//!    (the store's generation counter moved), or an asset's upload has not
//!    been matched, it enqueues an `exposure.rematch` job (deduplicated by
//!    generation); and it queues any `exposure.new` notice still owed.
//! 2. **Run.** It claims due jobs from the leased queue
//!    (`vigilo_store::jobs`) and runs them concurrently: a `webhook.deliver`
//!    job POSTs its delivery's JSON body to the webhook URL within
//!    [`RunnerConfig::request_timeout`]. A 2xx answer delivers it; anything
//!    else is retried with exponential backoff until the attempts run out.
//!    Every attempt is written to the delivery log. A runner that stops
//!    mid-job loses nothing: its lease expires and another runner (or the
//!    same one restarted) takes the job over, so a message may arrive twice:
//!    receivers deduplicate on `X-Vigilo-Delivery`. An `exposure.rematch`
//!    job re-matches what changed (`exposure_api::rematch`) and queues an
//!    `exposure.new` delivery for each finding that became open and
//!    affected; the deliveries it queues run in the same tick.
//!
//! Between ticks the runner also watches the advisories' generation (every
//! [`ADVISORY_WATCH`]): a change, from this process or another (an API
//! upload, `vigilo advisories import`), starts a tick at once, so exposure is
//! known within seconds of an advisory's arrival.
//!
//! Each request carries `Content-Type: application/json`,
//! `X-Vigilo-Event`, `X-Vigilo-Delivery` (the delivery id, the same on every
//! attempt), `X-Vigilo-Timestamp` (Unix seconds) and `X-Vigilo-Signature:
//! sha256=<hex of HMAC-SHA256(secret, "{timestamp}.{body}")>`. The body:
//!
//! ```text
//! {"event": "duty.reminder" | "duty.overdue", "delivery": "<id>", "org": "<org id>",
//!  "duty": {"id", "case_id", "case_title", "rule", "stage", "recipient", "due", "status"},
//!  "lead_minutes": 60 | null, "sent_at": "<RFC 3339>"}
//!
//! {"event": "exposure.new", "delivery": "<id>", "org": "<org id>",
//!  "advisory": {"id", "aliases", "summary"}, "asset": {"id", "name"},
//!  "component": {"ecosystem", "name", "version", "purl"},
//!  "path": "<evidence path>", "status": "affected", "sent_at": "<RFC 3339>"}
//! ```
//!
//! never any sealed case data. Unless the hub allows private addresses, a
//! URL naming one is refused before the attempt, and host names are
//! resolved by a resolver that drops loopback, private and other non-public
//! addresses (no redirects are followed, no proxy is used).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac as _};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::task::JoinSet;
use vigilo_store::webhooks::{DELIVERY_JOB, EVENT_OVERDUE, EVENT_REMINDER};
use vigilo_store::{
    Backoff, DeliveryAttempt, DeliveryState, FailOutcome, Job, NewDelivery, NewJob, NoticeKey,
    Store, StoreError, Webhook,
};

use crate::HubConfig;
use crate::advisories::AdvisoryCache;
use crate::cases_api::{CaseDuty, org_duties};
use crate::exposure_api::{REMATCH_JOB, queue_exposure_notices, rematch};
use crate::webhooks_api::{check_webhook_url, is_public_ip};

/// Attempts before a delivery fails, unless configured otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 8;
/// How often a waiting runner checks whether the advisories changed.
pub const ADVISORY_WATCH: Duration = Duration::from_millis(250);

/// How the runner works.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Time between ticks.
    pub poll_interval: Duration,
    /// How long a claimed job is the runner's; after that another runner may
    /// take it over. Longer than `request_timeout`.
    pub lease: Duration,
    /// Jobs claimed (and run concurrently) at once.
    pub batch: i64,
    /// The whole of one delivery attempt (connect, send, answer).
    pub request_timeout: Duration,
    /// Waits between attempts.
    pub backoff: Backoff,
    /// Attempts before a delivery fails.
    pub max_attempts: i64,
    /// Whether webhook URLs may name loopback, private and other non-public
    /// addresses (tests, closed networks).
    pub allow_private: bool,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            poll_interval: Duration::from_secs(30),
            lease: Duration::from_secs(120),
            batch: 16,
            request_timeout: Duration::from_secs(10),
            backoff: Backoff {
                base: Duration::from_secs(30),
                cap: Duration::from_secs(3600),
            },
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            allow_private: false,
        }
    }
}

impl RunnerConfig {
    /// The runner's settings from the hub's.
    pub fn from_hub(config: &HubConfig) -> RunnerConfig {
        RunnerConfig {
            poll_interval: config.job_poll_interval,
            allow_private: config.webhook_allow_private,
            ..RunnerConfig::default()
        }
    }
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Deliveries queued by the scheduling step: reminders, overdue alerts,
    /// exposure notices still owed.
    pub queued: usize,
    /// Jobs claimed and run.
    pub ran: usize,
    /// Deliveries answered with a 2xx.
    pub delivered: usize,
    /// Failed attempts with attempts left.
    pub retried: usize,
    /// Deliveries that failed for good.
    pub failed: usize,
    /// What went wrong beyond the receivers' answers (logged too).
    pub errors: Vec<String>,
}

/// How one job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Delivered,
    Retried,
    Failed,
    /// Nothing to send (the webhook or delivery is gone), or the lease was lost.
    Dropped,
    /// A re-match ran (it may have queued deliveries).
    Rematched,
}

/// A resolver that drops every non-public address, so a host name cannot
/// lead a delivery to the hub's own network.
#[derive(Debug)]
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public_ip(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!(
                    "{host} resolves to no public address (loopback, private and other \
                     non-public addresses are refused)"
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// `sha256=` and the hex of HMAC-SHA256(secret, "{timestamp}.{body}").
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        // HMAC takes keys of any length.
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// An error with its causes, for the delivery log.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let cause = s.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
        source = s.source();
    }
    text
}

fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

fn duty_json(d: &CaseDuty) -> Value {
    json!({
        "id": d.id,
        "case_id": d.case_id,
        "case_title": d.case_title,
        "rule": d.duty.rule,
        "stage": d.duty.stage,
        "recipient": d.duty.recipient,
        "due": d.duty.due.map(|t| t.to_string()),
        "status": serde_json::to_value(d.duty.status).unwrap_or(Value::Null),
    })
}

/// Runs the hub's background jobs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Runner {
    store: Store,
    /// This runner's lease owner id (unique per instance).
    owner: String,
    config: Arc<RunnerConfig>,
    client: reqwest::Client,
    /// The advisory index re-matching uses (the hub's, when shared).
    advisories: AdvisoryCache,
    /// One re-match at a time in this runner.
    rematching: Arc<tokio::sync::Mutex<()>>,
}

impl Runner {
    /// A runner over `store`; fails only if the HTTP client cannot be built.
    pub fn new(store: Store, config: RunnerConfig) -> Result<Runner, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("vigilo-hub/", env!("CARGO_PKG_VERSION")));
        if !config.allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Runner {
            store,
            owner: format!("runner-{}", uuid::Uuid::now_v7()),
            config: Arc::new(config),
            client: builder.build()?,
            advisories: AdvisoryCache::default(),
            rematching: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// Shares the hub's advisory index (else the runner loads its own).
    pub fn with_advisories(mut self, advisories: AdvisoryCache) -> Runner {
        self.advisories = advisories;
        self
    }

    /// This runner's lease owner id.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Runs until `stop` turns true: a tick, then a pause of the poll
    /// interval. A tick under way is finished first.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(owner = %self.owner, every = ?self.config.poll_interval, "job runner started");
        loop {
            if *stop.borrow() {
                break;
            }
            let generation = self.store.advisories_generation().await.ok();
            let report = self.tick(Timestamp::now()).await;
            if report.queued + report.ran > 0 {
                tracing::debug!(?report, "job runner tick");
            }
            tokio::select! {
                _ = tokio::time::sleep(self.config.poll_interval) => {}
                _ = self.advisories_changed(generation) => {}
                _ = stop.wait_for(|s| *s) => break,
            }
        }
        tracing::info!(owner = %self.owner, "job runner stopped");
    }

    /// Completes when the advisories' generation differs from `since`.
    async fn advisories_changed(&self, since: Option<i64>) {
        loop {
            tokio::time::sleep(ADVISORY_WATCH).await;
            match self.store.advisories_generation().await {
                Ok(g) if Some(g) != since => return,
                _ => {}
            }
        }
    }

    /// One round at `now`: schedule what is due, then run the due jobs.
    pub async fn tick(&self, now: Timestamp) -> TickReport {
        let mut report = TickReport::default();
        if let Err(e) = self.schedule_exposure(now, &mut report).await {
            let e = format!("scheduling re-matching: {e}");
            tracing::warn!(error = %e, "job runner");
            report.errors.push(e);
        }
        if let Err(e) = self.schedule(now, &mut report).await {
            let e = format!("scheduling webhook notices: {e}");
            tracing::warn!(error = %e, "job runner");
            report.errors.push(e);
        }
        if let Err(e) = self.run_due(now, &mut report).await {
            let e = format!("running jobs: {e}");
            tracing::warn!(error = %e, "job runner");
            report.errors.push(e);
        }
        report
    }

    /// Enqueues an `exposure.rematch` job when the advisories changed since
    /// the last re-match (one per generation, however many processes ask)
    /// or an asset's upload has not been matched; queues the `exposure.new`
    /// notices still owed.
    pub async fn schedule_exposure(
        &self,
        now: Timestamp,
        report: &mut TickReport,
    ) -> Result<(), StoreError> {
        let generation = self.store.advisories_generation().await?;
        let key = if generation != self.store.exposure_generation().await? {
            Some(format!("{REMATCH_JOB}:{generation}"))
        } else {
            self.store
                .stale_exposure_assets(1)
                .await?
                .first()
                .map(|a| format!("{REMATCH_JOB}:asset:{}:{}", a.asset_id, a.scans))
        };
        if let Some(key) = key {
            self.store
                .enqueue_job(&NewJob {
                    kind: REMATCH_JOB.into(),
                    payload: json!({ "generation": generation }),
                    dedupe_key: Some(key),
                    run_at: micros(now),
                    max_attempts: self.config.max_attempts,
                })
                .await?;
        }
        report.queued +=
            queue_exposure_notices(&self.store, self.config.max_attempts, micros(now)).await?;
        Ok(())
    }

    /// Queues the reminders and overdue alerts due at `now`.
    pub async fn schedule(
        &self,
        now: Timestamp,
        report: &mut TickReport,
    ) -> Result<(), StoreError> {
        for org in self.store.orgs_with_active_webhooks().await? {
            let hooks: Vec<Webhook> = self
                .store
                .list_webhooks(&org)
                .await?
                .into_iter()
                .filter(|h| h.active)
                .collect();
            let mut open = Vec::new();
            let mut overdue = Vec::new();
            for (event, status, into) in [
                (EVENT_REMINDER, "open", &mut open),
                (EVENT_OVERDUE, "overdue", &mut overdue),
            ] {
                if !hooks.iter().any(|h| h.wants(event)) {
                    continue;
                }
                match org_duties(&self.store, &org, Some(status), now).await {
                    Ok(list) => {
                        for e in &list.errors {
                            tracing::debug!(org = %org, case = %e.case_id, detail = %e.detail,
                                "a case's duties could not be computed");
                        }
                        *into = list.duties;
                    }
                    Err(p) => {
                        let e = format!("computing the duties of organisation {org}: {p}");
                        tracing::warn!(error = %e, "job runner");
                        report.errors.push(e);
                    }
                }
            }
            for hook in &hooks {
                report.queued += self.schedule_hook(hook, &open, &overdue, now).await?;
            }
        }
        Ok(())
    }

    async fn schedule_hook(
        &self,
        hook: &Webhook,
        open: &[CaseDuty],
        overdue: &[CaseDuty],
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let sent = self.store.webhook_notices(&hook.id).await?;
        let mut wanted: Vec<(&CaseDuty, &str, Option<i64>, Timestamp)> = Vec::new();
        if hook.wants(EVENT_REMINDER) {
            for d in open {
                let Some(due) = d.duty.due.filter(|due| now < *due) else {
                    continue;
                };
                let left = due.duration_since(now);
                // Of the lead times reached (due − lead ≤ now), the shortest.
                let lead = hook
                    .lead_times
                    .iter()
                    .copied()
                    .filter(|l| SignedDuration::from_mins(*l) >= left)
                    .min();
                if let Some(lead) = lead {
                    wanted.push((d, EVENT_REMINDER, Some(lead), due));
                }
            }
        }
        if hook.wants(EVENT_OVERDUE) {
            for d in overdue {
                if let Some(due) = d.duty.due.filter(|due| *due <= now) {
                    wanted.push((d, EVENT_OVERDUE, None, due));
                }
            }
        }
        let mut queued = 0;
        for (d, event, lead, due) in wanted {
            let key = NoticeKey {
                webhook_id: hook.id.clone(),
                duty_id: d.id.clone(),
                event: event.to_owned(),
                lead_minutes: lead.unwrap_or(0),
                due_at: micros(due),
            };
            if sent.contains(&key) {
                continue;
            }
            let payload = json!({
                "event": event,
                "org": hook.org_id,
                "duty": duty_json(d),
                "lead_minutes": lead,
            });
            let new = NewDelivery {
                webhook_id: hook.id.clone(),
                org_id: hook.org_id.clone(),
                event: event.to_owned(),
                duty_id: Some(d.id.clone()),
                payload,
                max_attempts: self.config.max_attempts,
                run_at: micros(now),
            };
            if self
                .store
                .queue_delivery(&new, Some(&key), None)
                .await?
                .is_some()
            {
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// Claims the jobs due at `now` and runs them, batch after batch, until
    /// none is left.
    pub async fn run_due(&self, now: Timestamp, report: &mut TickReport) -> Result<(), StoreError> {
        let at = micros(now);
        for job in self.store.reap_jobs(at).await? {
            if job.kind == DELIVERY_JOB {
                if let Some(id) = job.payload.get("delivery").and_then(Value::as_str) {
                    self.store
                        .fail_delivery(id, job.last_error.as_deref().unwrap_or("lease expired"))
                        .await?;
                    report.failed += 1;
                }
            }
        }
        // Bounded, so one tick ends even if jobs keep arriving.
        for _ in 0..64 {
            let jobs = self
                .store
                .claim_jobs(&self.owner, self.config.batch, self.config.lease, at)
                .await?;
            let claimed = jobs.len();
            let mut rematched = false;
            let mut set = JoinSet::new();
            for job in jobs {
                let runner = self.clone();
                set.spawn(async move { runner.run_job(job, now).await });
            }
            while let Some(done) = set.join_next().await {
                report.ran += 1;
                match done {
                    Ok(Ok(Outcome::Delivered)) => report.delivered += 1,
                    Ok(Ok(Outcome::Retried)) => report.retried += 1,
                    Ok(Ok(Outcome::Failed)) => report.failed += 1,
                    Ok(Ok(Outcome::Dropped)) => {}
                    Ok(Ok(Outcome::Rematched)) => rematched = true,
                    Ok(Err(e)) => {
                        // The lease expires and the job is taken up again.
                        let e = format!("a job failed to run: {e}");
                        tracing::warn!(error = %e, "job runner");
                        report.errors.push(e);
                    }
                    Err(e) => {
                        let e = format!("a job panicked or was cancelled: {e}");
                        tracing::error!(error = %e, "job runner");
                        report.errors.push(e);
                    }
                }
            }
            // A re-match queues deliveries: run them in this tick too.
            if i64::try_from(claimed).unwrap_or(i64::MAX) < self.config.batch && !rematched {
                break;
            }
        }
        Ok(())
    }

    async fn run_job(&self, job: Job, now: Timestamp) -> Result<Outcome, StoreError> {
        if job.kind == REMATCH_JOB {
            return self.rematch(&job, now).await;
        }
        if job.kind != DELIVERY_JOB {
            self.store
                .abandon_job(
                    &job.id,
                    &self.owner,
                    &format!("unknown job kind {:?}", job.kind),
                    micros(now),
                )
                .await?;
            return Ok(Outcome::Failed);
        }
        self.deliver(&job, now).await
    }

    /// Runs an `exposure.rematch` job: re-matches what changed, queues the
    /// notices it owes. A failure is retried with backoff.
    async fn rematch(&self, job: &Job, now: Timestamp) -> Result<Outcome, StoreError> {
        let at = micros(now);
        let _one = self.rematching.lock().await;
        let started = Instant::now();
        let result = match rematch(&self.store, &self.advisories).await {
            Ok(r) => queue_exposure_notices(&self.store, self.config.max_attempts, at)
                .await
                .map(|queued| (r, queued)),
            Err(e) => Err(e),
        };
        match result {
            Ok((r, queued)) => {
                tracing::info!(
                    generation = r.generation,
                    assets = r.assets,
                    advisories = r.advisories,
                    later = r.later,
                    inserted = r.applied.inserted,
                    reopened = r.applied.reopened,
                    resolved = r.applied.resolved,
                    notices = queued,
                    ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "exposure re-matched"
                );
                self.store.complete_job(&job.id, &self.owner, at).await?;
                Ok(Outcome::Rematched)
            }
            Err(e) => {
                let e = format!("re-matching: {e}");
                tracing::warn!(error = %e, "job runner");
                match self
                    .store
                    .fail_job(&job.id, &self.owner, &e, at, &self.config.backoff)
                    .await?
                {
                    FailOutcome::Retry { .. } => Ok(Outcome::Retried),
                    FailOutcome::Failed => Ok(Outcome::Failed),
                    FailOutcome::LeaseLost => Ok(Outcome::Dropped),
                }
            }
        }
    }

    async fn deliver(&self, job: &Job, now: Timestamp) -> Result<Outcome, StoreError> {
        let at = micros(now);
        let drop_job = || async {
            self.store
                .complete_job(&job.id, &self.owner, at)
                .await
                .map(|_| Outcome::Dropped)
        };
        let Some(delivery_id) = job.payload.get("delivery").and_then(Value::as_str) else {
            self.store
                .abandon_job(&job.id, &self.owner, "no delivery id in the job", at)
                .await?;
            return Ok(Outcome::Failed);
        };
        let Some(delivery) = self.store.get_delivery(delivery_id).await? else {
            return drop_job().await;
        };
        if delivery.state != DeliveryState::Pending {
            return drop_job().await;
        }
        let Some(hook) = self
            .store
            .get_webhook(&delivery.org_id, &delivery.webhook_id)
            .await?
        else {
            return drop_job().await;
        };
        if !hook.active {
            self.store
                .fail_delivery(&delivery.id, "the webhook is inactive")
                .await?;
            return drop_job().await;
        }
        let secret = self.store.webhook_secret(&hook).await?;
        let mut body = delivery.payload.clone();
        if let Some(obj) = body.as_object_mut() {
            obj.insert("sent_at".into(), Value::String(now.to_string()));
        }
        let body = serde_json::to_vec(&body).map_err(|e| {
            StoreError::Invalid(format!("serialising delivery {}: {e}", delivery.id))
        })?;
        let timestamp = now.as_second();
        let signed = signature(&secret, timestamp, &body);

        let started = Instant::now();
        // Ok(status) for a 2xx; Err((status, error, permanent)) otherwise.
        let result: Result<u16, (Option<u16>, String, bool)> =
            match check_webhook_url(&hook.url, self.config.allow_private) {
                Err(m) => Err((None, format!("refused: the URL {m}"), true)),
                Ok(url) => {
                    let sent = self
                        .client
                        .post(url)
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .header("X-Vigilo-Event", &delivery.event)
                        .header("X-Vigilo-Delivery", &delivery.id)
                        .header("X-Vigilo-Timestamp", timestamp.to_string())
                        .header("X-Vigilo-Signature", signed)
                        .body(body)
                        .send()
                        .await;
                    match sent {
                        Ok(resp) if resp.status().is_success() => Ok(resp.status().as_u16()),
                        Ok(resp) => {
                            let status = resp.status();
                            Err((Some(status.as_u16()), format!("HTTP {status}"), false))
                        }
                        Err(e) if e.is_timeout() => Err((
                            None,
                            format!(
                                "no answer within {} s (timed out)",
                                self.config.request_timeout.as_secs_f64()
                            ),
                            false,
                        )),
                        Err(e) => Err((None, error_chain(&e), false)),
                    }
                }
            };
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (status, error, state, next, outcome) = match result {
            Ok(status) => {
                self.store.complete_job(&job.id, &self.owner, at).await?;
                (
                    Some(status),
                    None,
                    DeliveryState::Delivered,
                    None,
                    Outcome::Delivered,
                )
            }
            Err((status, error, true)) => {
                self.store
                    .abandon_job(&job.id, &self.owner, &error, at)
                    .await?;
                (
                    status,
                    Some(error),
                    DeliveryState::Failed,
                    None,
                    Outcome::Failed,
                )
            }
            Err((status, error, false)) => {
                // This runner's limit applies too (a ping is queued with the default).
                let outcome = if job.attempts >= self.config.max_attempts {
                    if self
                        .store
                        .abandon_job(&job.id, &self.owner, &error, at)
                        .await?
                    {
                        FailOutcome::Failed
                    } else {
                        FailOutcome::LeaseLost
                    }
                } else {
                    self.store
                        .fail_job(&job.id, &self.owner, &error, at, &self.config.backoff)
                        .await?
                };
                match outcome {
                    FailOutcome::Retry { run_at } => (
                        status,
                        Some(error),
                        DeliveryState::Pending,
                        Some(run_at),
                        Outcome::Retried,
                    ),
                    FailOutcome::Failed => (
                        status,
                        Some(error),
                        DeliveryState::Failed,
                        None,
                        Outcome::Failed,
                    ),
                    FailOutcome::LeaseLost => (
                        status,
                        Some(error),
                        DeliveryState::Pending,
                        None,
                        Outcome::Dropped,
                    ),
                }
            }
        };
        self.store
            .record_delivery_attempt(
                &delivery.id,
                &DeliveryAttempt {
                    attempt: job.attempts,
                    at,
                    http_status: status.map(i64::from),
                    error,
                    duration_ms,
                },
                state,
                next,
            )
            .await?;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use reqwest::dns::Resolve as _;

    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Python: hmac.new(b"key", b"1700000000.{}", hashlib.sha256).hexdigest()
        assert_eq!(
            signature(b"key", 1_700_000_000, b"{}"),
            "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_local_addresses() {
        let err = match PublicOnly.resolve("localhost".parse().unwrap()).await {
            Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("no public address"), "{err}");
    }
}
