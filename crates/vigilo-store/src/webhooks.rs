//! Outbound webhooks: where an organisation wants its duty reminders,
//! overdue alerts and exposure notices POSTed, and the log of every delivery.
//!
//! A webhook has a URL, a secret (**sealed**, [`FieldRef`]
//! `webhooks.secret`; the hub signs each body with it and never shows it
//! again after creation), the events it wants (`duty.reminder`,
//! `duty.overdue`, `exposure.new`) and its reminder lead times in minutes.
//! Creating and deleting one are audited; every read is scoped to one
//! organisation.
//!
//! A message to send is a *delivery* ([`Store::queue_delivery`]): a row in
//! the delivery log and a `webhook.deliver` job ([`crate::jobs`]) in the same
//! transaction. A reminder or overdue alert also carries a *notice* key
//! (webhook, duty, event, lead time, due instant): a notice already sent is
//! not queued again, so each is sent once however many hub processes
//! schedule it, and a due instant that moves makes a new key. An
//! `exposure.new` notice is keyed the same way, by (webhook,
//! `finding:<id>`, event, 0, the instant the finding was opened). Every
//! attempt is logged ([`Store::record_delivery_attempt`]) with its HTTP status or
//! error.

use std::collections::HashSet;

use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use zeroize::Zeroizing;

use crate::crypto::FieldRef;
use crate::jobs::{self, NewJob};
use crate::{Actor, DbContext as _, Result, Store, StoreError, now_micros};

/// A reminder that a duty falls due within one of the lead times.
pub const EVENT_REMINDER: &str = "duty.reminder";
/// A duty past due and not submitted.
pub const EVENT_OVERDUE: &str = "duty.overdue";
/// A test message (`POST /api/webhooks/{id}/test`).
pub const EVENT_PING: &str = "ping";
/// An asset newly exposed: an advisory's arrival raised an open, affected
/// finding on it (see [`crate::exposure`]).
pub const EVENT_EXPOSURE: &str = "exposure.new";
/// The events a webhook may subscribe to.
pub const EVENTS: [&str; 3] = [EVENT_REMINDER, EVENT_OVERDUE, EVENT_EXPOSURE];
/// The job kind that sends one delivery; its payload is `{"delivery": ID}`.
pub const DELIVERY_JOB: &str = "webhook.deliver";

/// Longest URL, in bytes.
pub const MAX_URL: usize = 2048;
/// Shortest and longest secret, in bytes.
pub const MIN_SECRET: usize = 16;
pub const MAX_SECRET: usize = 256;
/// Most lead times one webhook may have.
pub const MAX_LEAD_TIMES: usize = 10;
/// Longest lead time, in minutes (a year).
pub const MAX_LEAD_MINUTES: i64 = 366 * 24 * 60;
/// Most webhooks one organisation may have.
pub const MAX_WEBHOOKS: usize = 20;
/// Longest error kept in the delivery log, in bytes.
pub const MAX_DELIVERY_ERROR: usize = 2000;

const WEBHOOK_COLUMNS: &str = "id, org_id, url, events, lead_times, active, created_at, created_by";
const DELIVERY_COLUMNS: &str = "id, webhook_id, org_id, event, duty_id, payload, attempt, state, \
                                http_status, error, created_at, delivered_at, next_attempt_at";

/// A webhook to create.
#[derive(Clone, PartialEq, Eq)]
pub struct NewWebhook {
    pub url: String,
    pub secret: String,
    pub events: Vec<String>,
    /// Minutes before the due instant.
    pub lead_times: Vec<i64>,
}

impl std::fmt::Debug for NewWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewWebhook")
            .field("url", &self.url)
            .field("secret", &"…")
            .field("events", &self.events)
            .field("lead_times", &self.lead_times)
            .finish()
    }
}

/// A webhook as stored (its secret stays sealed: [`Store::webhook_secret`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: String,
    pub org_id: String,
    pub url: String,
    pub events: Vec<String>,
    pub lead_times: Vec<i64>,
    pub active: bool,
    pub created_at: i64,
    pub created_by: String,
}

impl Webhook {
    pub fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Not yet delivered; retried while attempts remain.
    Pending,
    /// A 2xx answer.
    Delivered,
    /// Every attempt failed, or it could not be sent at all.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryState> {
        [
            DeliveryState::Pending,
            DeliveryState::Delivered,
            DeliveryState::Failed,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A message to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub webhook_id: String,
    pub org_id: String,
    pub event: String,
    pub duty_id: Option<String>,
    /// A JSON object; its `delivery` member is set to the new delivery's id.
    pub payload: Value,
    /// Attempts before the delivery fails.
    pub max_attempts: i64,
    /// When to send it first (micros).
    pub run_at: i64,
}

/// What a reminder or overdue alert is about: sent once per key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoticeKey {
    pub webhook_id: String,
    pub duty_id: String,
    pub event: String,
    /// The reminder's lead time; 0 for an overdue alert.
    pub lead_minutes: i64,
    /// The duty's due instant (micros).
    pub due_at: i64,
}

/// A delivery as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    pub org_id: String,
    pub event: String,
    pub duty_id: Option<String>,
    /// The body without `sent_at`.
    pub payload: Value,
    /// Attempts made.
    pub attempt: i64,
    pub state: DeliveryState,
    /// Of the latest attempt.
    pub http_status: Option<i64>,
    pub error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
    pub next_attempt_at: Option<i64>,
}

/// One attempt to send a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// 1 for the first.
    pub attempt: i64,
    pub at: i64,
    pub http_status: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// A delivery with its attempts, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryLog {
    pub delivery: Delivery,
    pub attempts: Vec<DeliveryAttempt>,
}

// ----- validation -----

/// Checks a URL's shape (http or https, no white space or control
/// characters, at most [`MAX_URL`] bytes). Which hosts it may name is the
/// hub's policy.
pub fn check_url(url: &str) -> std::result::Result<(), String> {
    if url.is_empty() {
        return Err("must not be empty".into());
    }
    if url.len() > MAX_URL {
        return Err(format!(
            "{} bytes, longer than the limit of {MAX_URL}",
            url.len()
        ));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain white space or control characters".into());
    }
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err("must be an http:// or https:// URL".into());
    }
    Ok(())
}

/// Checks a secret: [`MIN_SECRET`] to [`MAX_SECRET`] bytes of printable ASCII.
pub fn check_secret(secret: &str) -> std::result::Result<(), String> {
    if secret.len() < MIN_SECRET || secret.len() > MAX_SECRET {
        return Err(format!(
            "must be {MIN_SECRET} to {MAX_SECRET} bytes (got {})",
            secret.len()
        ));
    }
    if !secret.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be printable ASCII without spaces".into());
    }
    Ok(())
}

/// Checks one event name.
pub fn check_event(event: &str) -> std::result::Result<(), String> {
    if EVENTS.contains(&event) {
        Ok(())
    } else {
        Err(format!("unknown event: one of {}", EVENTS.join(", ")))
    }
}

/// Checks one lead time (minutes).
pub fn check_lead_time(minutes: i64) -> std::result::Result<(), String> {
    if (1..=MAX_LEAD_MINUTES).contains(&minutes) {
        Ok(())
    } else {
        Err(format!(
            "must be a whole number of minutes from 1 to {MAX_LEAD_MINUTES}"
        ))
    }
}

fn validate(new: &NewWebhook) -> Result<()> {
    check_url(&new.url).map_err(|m| StoreError::invalid("url", m))?;
    check_secret(&new.secret).map_err(|m| StoreError::invalid("secret", m))?;
    if new.events.is_empty() {
        return Err(StoreError::invalid(
            "events",
            "must name at least one event",
        ));
    }
    let mut seen = HashSet::new();
    for e in &new.events {
        check_event(e).map_err(|m| StoreError::invalid("events", m))?;
        if !seen.insert(e) {
            return Err(StoreError::invalid("events", format!("{e} given twice")));
        }
    }
    if new.lead_times.len() > MAX_LEAD_TIMES {
        return Err(StoreError::invalid(
            "lead_times",
            format!("at most {MAX_LEAD_TIMES}"),
        ));
    }
    let mut seen = HashSet::new();
    for &l in &new.lead_times {
        check_lead_time(l).map_err(|m| StoreError::invalid("lead_times", m))?;
        if !seen.insert(l) {
            return Err(StoreError::invalid(
                "lead_times",
                format!("{l} given twice"),
            ));
        }
    }
    if new.events.iter().any(|e| e == EVENT_REMINDER) && new.lead_times.is_empty() {
        return Err(StoreError::invalid(
            "lead_times",
            format!("{EVENT_REMINDER} needs at least one lead time"),
        ));
    }
    Ok(())
}

/// A fresh secret: 32 random bytes, hex.
pub fn generate_secret() -> String {
    use rand::RngCore as _;
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(&mut *bytes);
    hex::encode(*bytes)
}

fn secret_field<'a>(org_id: &'a str, id: &'a str) -> FieldRef<'a> {
    FieldRef {
        table: "webhooks",
        column: "secret",
        row_id: id,
        org_id,
    }
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

fn json_list<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<Vec<T>> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Invalid(format!("stored webhook {what} are not a JSON list: {e}")))
}

fn webhook_from_row(r: &AnyRow) -> Result<Webhook> {
    let op = "reading a webhook";
    let events: String = r.try_get("events").ctx(op)?;
    let lead_times: String = r.try_get("lead_times").ctx(op)?;
    let active: i64 = r.try_get("active").ctx(op)?;
    Ok(Webhook {
        id: r.try_get("id").ctx(op)?,
        org_id: r.try_get("org_id").ctx(op)?,
        url: r.try_get("url").ctx(op)?,
        events: json_list(&events, "events")?,
        lead_times: json_list(&lead_times, "lead times")?,
        active: active != 0,
        created_at: r.try_get("created_at").ctx(op)?,
        created_by: r.try_get("created_by").ctx(op)?,
    })
}

fn delivery_from_row(r: &AnyRow) -> Result<Delivery> {
    let op = "reading a webhook delivery";
    let payload: String = r.try_get("payload").ctx(op)?;
    let state: String = r.try_get("state").ctx(op)?;
    Ok(Delivery {
        id: r.try_get("id").ctx(op)?,
        webhook_id: r.try_get("webhook_id").ctx(op)?,
        org_id: r.try_get("org_id").ctx(op)?,
        event: r.try_get("event").ctx(op)?,
        duty_id: r.try_get("duty_id").ctx(op)?,
        payload: serde_json::from_str(&payload).map_err(|e| {
            StoreError::Invalid(format!("a stored delivery payload is not JSON: {e}"))
        })?,
        attempt: r.try_get("attempt").ctx(op)?,
        state: DeliveryState::parse(&state)
            .ok_or_else(|| StoreError::Invalid(format!("a stored delivery has state {state:?}")))?,
        http_status: r.try_get("http_status").ctx(op)?,
        error: r.try_get("error").ctx(op)?,
        created_at: r.try_get("created_at").ctx(op)?,
        delivered_at: r.try_get("delivered_at").ctx(op)?,
        next_attempt_at: r.try_get("next_attempt_at").ctx(op)?,
    })
}

impl Store {
    /// Creates a webhook for an organisation: the secret is sealed, the
    /// creation audited (`webhook.create`; neither the URL, which may hold a
    /// token of its own, nor the secret is written in the audit log).
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        org_id: &str,
        new: &NewWebhook,
    ) -> Result<Webhook> {
        validate(new)?;
        let id = uuid::Uuid::now_v7().to_string();
        let sealed = self
            .seal(secret_field(org_id, &id), new.secret.as_bytes())
            .await?;
        let events = serde_json::to_string(&new.events)
            .map_err(|e| StoreError::Invalid(format!("webhook events: {e}")))?;
        let lead_times = serde_json::to_string(&new.lead_times)
            .map_err(|e| StoreError::Invalid(format!("webhook lead times: {e}")))?;
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM webhooks WHERE org_id = $1")
            .bind(org_id)
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get(0))
            .ctx("counting webhooks")?;
        if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_WEBHOOKS {
            return Err(StoreError::Conflict(format!(
                "the organisation has {count} webhooks, the most allowed is {MAX_WEBHOOKS}: \
                 delete one first"
            )));
        }
        sqlx::query(
            "INSERT INTO webhooks (id, org_id, url, secret, events, lead_times, active, \
             created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8)",
        )
        .bind(id.clone())
        .bind(org_id)
        .bind(new.url.clone())
        .bind(sealed)
        .bind(events)
        .bind(lead_times)
        .bind(now)
        .bind(actor.actor.clone())
        .execute(&mut *tx)
        .await
        .ctx("storing a webhook")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "webhook.create",
            &format!("webhook:{id}"),
            Some(serde_json::json!({"events": new.events, "lead_times": new.lead_times})),
        )
        .await?;
        tx.commit().await.ctx("storing a webhook")?;
        Ok(Webhook {
            id,
            org_id: org_id.to_owned(),
            url: new.url.clone(),
            events: new.events.clone(),
            lead_times: new.lead_times.clone(),
            active: true,
            created_at: now,
            created_by: actor.actor.clone(),
        })
    }

    /// An organisation's webhooks, oldest first.
    pub async fn list_webhooks(&self, org_id: &str) -> Result<Vec<Webhook>> {
        sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE org_id = $1 ORDER BY id"
        ))
        .bind(org_id)
        .fetch_all(self.pool())
        .await
        .ctx("listing webhooks")?
        .iter()
        .map(webhook_from_row)
        .collect()
    }

    /// One of an organisation's webhooks (`None` for another's).
    pub async fn get_webhook(&self, org_id: &str, id: &str) -> Result<Option<Webhook>> {
        sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1 AND org_id = $2"
        ))
        .bind(id)
        .bind(org_id)
        .fetch_optional(self.pool())
        .await
        .ctx("reading a webhook")?
        .map(|r| webhook_from_row(&r))
        .transpose()
    }

    /// Deletes a webhook with its delivery log and notices (audited:
    /// `webhook.delete`). Queued deliveries find it gone and are dropped.
    pub async fn delete_webhook(&self, actor: &Actor, org_id: &str, id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let found = sqlx::query("SELECT id FROM webhooks WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await
            .ctx("reading a webhook")?;
        if found.is_none() {
            return Err(StoreError::NotFound {
                kind: "webhook",
                id: id.to_owned(),
            });
        }
        for sql in [
            "DELETE FROM webhook_attempts WHERE delivery_id IN \
             (SELECT id FROM webhook_deliveries WHERE webhook_id = $1)",
            "DELETE FROM webhook_deliveries WHERE webhook_id = $1",
            "DELETE FROM webhook_notices WHERE webhook_id = $1",
            "DELETE FROM webhooks WHERE id = $1",
        ] {
            sqlx::query(sql)
                .bind(id)
                .execute(&mut *tx)
                .await
                .ctx("deleting a webhook")?;
        }
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "webhook.delete",
            &format!("webhook:{id}"),
            None,
        )
        .await?;
        tx.commit().await.ctx("deleting a webhook")?;
        Ok(())
    }

    /// A webhook's secret, opened (for signing; not audited: it never
    /// leaves the hub).
    pub async fn webhook_secret(&self, hook: &Webhook) -> Result<Zeroizing<Vec<u8>>> {
        let sealed: Vec<u8> =
            sqlx::query("SELECT secret FROM webhooks WHERE id = $1 AND org_id = $2")
                .bind(&hook.id)
                .bind(&hook.org_id)
                .fetch_optional(self.pool())
                .await
                .ctx("reading a webhook secret")?
                .ok_or_else(|| StoreError::NotFound {
                    kind: "webhook",
                    id: hook.id.clone(),
                })?
                .try_get(0)
                .ctx("reading a webhook secret")?;
        self.open_sealed(secret_field(&hook.org_id, &hook.id), &sealed)
            .await
    }

    /// The active organisations with at least one active webhook.
    pub async fn orgs_with_active_webhooks(&self) -> Result<Vec<String>> {
        sqlx::query(
            "SELECT DISTINCT w.org_id FROM webhooks w JOIN orgs o ON o.id = w.org_id \
             WHERE w.active = 1 AND o.status = 'active' ORDER BY w.org_id",
        )
        .fetch_all(self.pool())
        .await
        .ctx("listing organisations with webhooks")?
        .iter()
        .map(|r| r.try_get(0).ctx("listing organisations with webhooks"))
        .collect()
    }

    /// The notices already queued for a webhook.
    pub async fn webhook_notices(&self, webhook_id: &str) -> Result<HashSet<NoticeKey>> {
        let op = "reading webhook notices";
        sqlx::query(
            "SELECT duty_id, event, lead_minutes, due_at FROM webhook_notices WHERE webhook_id = $1",
        )
        .bind(webhook_id)
        .fetch_all(self.pool())
        .await
        .ctx(op)?
        .iter()
        .map(|r| {
            Ok(NoticeKey {
                webhook_id: webhook_id.to_owned(),
                duty_id: r.try_get(0).ctx(op)?,
                event: r.try_get(1).ctx(op)?,
                lead_minutes: r.try_get(2).ctx(op)?,
                due_at: r.try_get(3).ctx(op)?,
            })
        })
        .collect()
    }

    /// Queues a delivery: the log row and its `webhook.deliver` job in one
    /// transaction. With a notice key already queued, nothing is stored and
    /// the answer is `None`. With `audit` (a person asked for it, as with a
    /// ping), the queuing is audited as `webhook.test`.
    pub async fn queue_delivery(
        &self,
        new: &NewDelivery,
        notice: Option<&NoticeKey>,
        audit: Option<&Actor>,
    ) -> Result<Option<Delivery>> {
        let id = uuid::Uuid::now_v7().to_string();
        let mut payload = new.payload.clone();
        let Some(obj) = payload.as_object_mut() else {
            return Err(StoreError::invalid("payload", "must be a JSON object"));
        };
        obj.insert("delivery".into(), Value::String(id.clone()));
        let now = now_micros();
        let mut tx = match audit {
            Some(_) => self.begin_write().await?,
            None => self
                .pool()
                .begin()
                .await
                .ctx("queuing a webhook delivery")?,
        };
        if let Some(n) = notice {
            let inserted = sqlx::query(
                "INSERT INTO webhook_notices (webhook_id, duty_id, event, lead_minutes, due_at, \
                 delivery_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(n.webhook_id.clone())
            .bind(n.duty_id.clone())
            .bind(n.event.clone())
            .bind(n.lead_minutes)
            .bind(n.due_at)
            .bind(id.clone())
            .bind(now)
            .execute(&mut *tx)
            .await
            .ctx("recording a webhook notice")?
            .rows_affected();
            if inserted == 0 {
                return Ok(None);
            }
        }
        sqlx::query(&format!(
            "INSERT INTO webhook_deliveries ({DELIVERY_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, 'pending', NULL, NULL, $7, NULL, $8)"
        ))
        .bind(id.clone())
        .bind(new.webhook_id.clone())
        .bind(new.org_id.clone())
        .bind(new.event.clone())
        .bind(new.duty_id.clone())
        .bind(payload.to_string())
        .bind(now)
        .bind(new.run_at)
        .execute(&mut *tx)
        .await
        .ctx("queuing a webhook delivery")?;
        jobs::enqueue_on(
            &mut tx,
            &NewJob {
                kind: DELIVERY_JOB.into(),
                payload: serde_json::json!({ "delivery": id }),
                dedupe_key: Some(format!("{DELIVERY_JOB}:{id}")),
                run_at: new.run_at,
                max_attempts: new.max_attempts,
            },
            now,
        )
        .await?;
        if let Some(actor) = audit {
            self.append_audit(
                &mut tx,
                actor,
                Some(&new.org_id),
                "webhook.test",
                &format!("webhook:{}", new.webhook_id),
                Some(serde_json::json!({"delivery": id, "event": new.event})),
            )
            .await?;
        }
        tx.commit().await.ctx("queuing a webhook delivery")?;
        Ok(Some(Delivery {
            id,
            webhook_id: new.webhook_id.clone(),
            org_id: new.org_id.clone(),
            event: new.event.clone(),
            duty_id: new.duty_id.clone(),
            payload,
            attempt: 0,
            state: DeliveryState::Pending,
            http_status: None,
            error: None,
            created_at: now,
            delivered_at: None,
            next_attempt_at: Some(new.run_at),
        }))
    }

    /// A delivery by id (any organisation's: for the runner).
    pub async fn get_delivery(&self, id: &str) -> Result<Option<Delivery>> {
        sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .ctx("reading a webhook delivery")?
        .map(|r| delivery_from_row(&r))
        .transpose()
    }

    /// Logs one attempt of a delivery and sets the delivery's state:
    /// `Delivered` (with the attempt's time), `Pending` (with the next
    /// attempt's time) or `Failed`.
    pub async fn record_delivery_attempt(
        &self,
        delivery_id: &str,
        attempt: &DeliveryAttempt,
        state: DeliveryState,
        next_attempt_at: Option<i64>,
    ) -> Result<()> {
        let error = attempt
            .error
            .as_deref()
            .map(|e| truncate(e, MAX_DELIVERY_ERROR).to_owned());
        let mut tx = self
            .pool()
            .begin()
            .await
            .ctx("logging a webhook delivery attempt")?;
        let updated = sqlx::query(
            "UPDATE webhook_deliveries SET attempt = $2, state = $3, http_status = $4, error = $5, \
             delivered_at = $6, next_attempt_at = $7 WHERE id = $1",
        )
        .bind(delivery_id)
        .bind(attempt.attempt)
        .bind(state.as_str())
        .bind(attempt.http_status)
        .bind(error.clone())
        .bind((state == DeliveryState::Delivered).then_some(attempt.at))
        .bind(if state == DeliveryState::Pending {
            next_attempt_at
        } else {
            None
        })
        .execute(&mut *tx)
        .await
        .ctx("logging a webhook delivery attempt")?
        .rows_affected();
        if updated == 0 {
            // Deleted with its webhook meanwhile: nothing to log.
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO webhook_attempts (id, delivery_id, attempt, at, http_status, error, \
             duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(delivery_id)
        .bind(attempt.attempt)
        .bind(attempt.at)
        .bind(attempt.http_status)
        .bind(error)
        .bind(attempt.duration_ms)
        .execute(&mut *tx)
        .await
        .ctx("logging a webhook delivery attempt")?;
        tx.commit()
            .await
            .ctx("logging a webhook delivery attempt")?;
        Ok(())
    }

    /// Marks a delivery failed without an attempt (its job was lost or
    /// could not run).
    pub async fn fail_delivery(&self, delivery_id: &str, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_deliveries SET state = 'failed', error = $2, next_attempt_at = NULL \
             WHERE id = $1 AND state = 'pending'",
        )
        .bind(delivery_id)
        .bind(truncate(error, MAX_DELIVERY_ERROR))
        .execute(self.pool())
        .await
        .ctx("failing a webhook delivery")?;
        Ok(())
    }

    /// A webhook's deliveries, newest first, at most `limit`, each with its
    /// attempts (oldest first). Scoped to the organisation.
    pub async fn list_deliveries(
        &self,
        org_id: &str,
        webhook_id: &str,
        limit: i64,
    ) -> Result<Vec<DeliveryLog>> {
        let op = "listing webhook deliveries";
        let deliveries = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
             WHERE webhook_id = $1 AND org_id = $2 ORDER BY id DESC LIMIT $3"
        ))
        .bind(webhook_id)
        .bind(org_id)
        .bind(limit.max(0))
        .fetch_all(self.pool())
        .await
        .ctx(op)?
        .iter()
        .map(delivery_from_row)
        .collect::<Result<Vec<_>>>()?;
        let Some(oldest) = deliveries.last().map(|d| d.id.clone()) else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(
            "SELECT a.delivery_id, a.attempt, a.at, a.http_status, a.error, a.duration_ms \
             FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id \
             WHERE d.webhook_id = $1 AND d.org_id = $2 AND d.id >= $3 \
             ORDER BY a.delivery_id, a.attempt, a.id",
        )
        .bind(webhook_id)
        .bind(org_id)
        .bind(oldest)
        .fetch_all(self.pool())
        .await
        .ctx(op)?;
        let mut by_delivery: std::collections::HashMap<String, Vec<DeliveryAttempt>> =
            std::collections::HashMap::new();
        for r in &rows {
            let delivery_id: String = r.try_get(0).ctx(op)?;
            by_delivery
                .entry(delivery_id)
                .or_default()
                .push(DeliveryAttempt {
                    attempt: r.try_get(1).ctx(op)?,
                    at: r.try_get(2).ctx(op)?,
                    http_status: r.try_get(3).ctx(op)?,
                    error: r.try_get(4).ctx(op)?,
                    duration_ms: r.try_get(5).ctx(op)?,
                });
        }
        Ok(deliveries
            .into_iter()
            .map(|d| DeliveryLog {
                attempts: by_delivery.remove(&d.id).unwrap_or_default(),
                delivery: d,
            })
            .collect())
    }
}
