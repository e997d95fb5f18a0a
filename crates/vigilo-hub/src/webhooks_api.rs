//! Outbound webhooks under `/api/webhooks`: where the hub POSTs an
//! organisation's duty reminders and overdue alerts.
//!
//! ```text
//! POST /api/webhooks                              (scope admin)
//! { "url": "https://hooks.example.com/vigilo",
//!   "secret": "…",                                // optional: 16-256 printable ASCII bytes;
//!                                                 //   generated (32 random bytes, hex) when absent
//!   "events": ["duty.reminder", "duty.overdue"],  // optional; both by default
//!   "lead_times_minutes": [4320, 1440, 60] }      // optional; these by default
//! → 201 {"id", "url", "events", "lead_times_minutes", "active", "created_at",
//!        "created_by", "secret"}                  // the secret is shown this once
//!
//! GET    /api/webhooks                            (scope read)  → {"webhooks": [...]}
//! GET    /api/webhooks/{id}                       (scope read)
//! DELETE /api/webhooks/{id}                       (scope admin) → 204
//! GET    /api/webhooks/{id}/deliveries?limit=N    (scope read)  → {"deliveries": [...]}
//! POST   /api/webhooks/{id}/test                  (scope admin) → 202 {"delivery": id}
//! ```
//!
//! Bodies are validated whole (a 422 naming every bad field's JSON
//! pointer). A URL naming a loopback, private, link-local or otherwise
//! non-public address (or `localhost`) is refused unless the hub allows
//! them (`--webhook-allow-private`); the job runner checks again, after
//! name resolution, before each attempt. Another organisation's webhook is
//! a 404. What is sent and how it is signed: [`crate::jobs`].

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigilo_core::Scope;
use vigilo_store::webhooks::{
    EVENT_OVERDUE, EVENT_PING, EVENT_REMINDER, MAX_LEAD_TIMES, check_event, check_lead_time,
    check_secret, check_url, generate_secret,
};
use vigilo_store::{DeliveryLog, NewDelivery, NewWebhook, Webhook, micros_to_rfc3339, now_micros};

use crate::ApiQuery as Query;
use crate::AppState;
use crate::api::store_problem;
use crate::auth::Auth;
use crate::fields::{FieldErrors, object, string, unknown_members};
use crate::json::ApiJson;
use crate::problem::{Problem, ProblemBody, pointer_push};

const WEBHOOK_MEMBERS: [&str; 4] = ["url", "secret", "events", "lead_times_minutes"];
/// Lead times when a webhook names none: three days, a day, an hour.
pub const DEFAULT_LEAD_TIMES: [i64; 3] = [4320, 1440, 60];
/// Deliveries listed when no `limit` is given, and the most one page may hold.
const DEFAULT_DELIVERIES: i64 = 100;
const MAX_DELIVERIES: i64 = 1000;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, delete_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(test_webhook))
}

// ----- URL policy -----

/// Whether an IPv4 address is a public unicast address.
fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(o[0] == 0
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (o[0] == 100 && (o[1] & 0xc0) == 64)
        // IETF protocol assignments, 192.0.0.0/24.
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        // Benchmarking, 198.18.0.0/15.
        || (o[0] == 198 && (o[1] & 0xfe) == 18)
        // Reserved, 240.0.0.0/4.
        || o[0] >= 240)
}

/// Whether an address is a public unicast address: not loopback, private,
/// link-local, unique-local, multicast, documentation, reserved, nor an
/// IPv6 form of such an IPv4 address.
pub(crate) fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                let [a, b] = hi.to_be_bytes();
                let [c, d] = lo.to_be_bytes();
                Ipv4Addr::new(a, b, c, d)
            };
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                // IPv4-compatible (deprecated), ::/96.
                || s[..6] == [0; 6]
                // Unique local, fc00::/7.
                || (s[0] & 0xfe00) == 0xfc00
                // Link-local fe80::/10 and site-local fec0::/10.
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                // Documentation, 2001:db8::/32.
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                // Teredo, 2001::/32.
                || (s[0] == 0x2001 && s[1] == 0)
                // Discard-only, 100::/64.
                || (s[0] == 0x0100 && s[1..4] == [0; 3])
                // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) of a non-public IPv4 address.
                || (s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0; 4]
                    && !is_public_v4(embedded(s[6], s[7])))
                || (s[0] == 0x2002 && !is_public_v4(embedded(s[1], s[2]))))
        }
    }
}

/// Host names that never name a public host.
fn is_local_name(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h == "localhost"
        || [
            ".localhost",
            ".local",
            ".localdomain",
            ".internal",
            ".home.arpa",
        ]
        .iter()
        .any(|s| h.ends_with(s))
}

/// Checks a webhook URL: its shape, and (unless `allow_private`) that it
/// names no loopback, private or otherwise non-public address. A host name
/// is checked again after resolution, before each delivery.
pub(crate) fn check_webhook_url(text: &str, allow_private: bool) -> Result<reqwest::Url, String> {
    check_url(text)?;
    let url = reqwest::Url::parse(text).map_err(|e| format!("not a valid URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http:// or https:// URL".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "must not hold credentials (user:password@): the secret authenticates the hub".into(),
        );
    }
    if url.fragment().is_some() {
        return Err("must not have a fragment (#…)".into());
    }
    let refused = "names a loopback, private or otherwise non-public address, which this hub \
                   does not send to (its operator may allow it with --webhook-allow-private)";
    // The URL parser has normalised the host: an address in its canonical
    // form (IPv6 in brackets), a domain name lower-cased.
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err("must name a host".into());
    };
    if !allow_private {
        let ip = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(v6) => v6.parse::<IpAddr>().ok(),
            None => host.parse::<IpAddr>().ok(),
        };
        let public = match ip {
            Some(ip) => is_public_ip(ip),
            None => !is_local_name(host),
        };
        if !public {
            return Err(refused.into());
        }
    }
    Ok(url)
}

// ----- views -----

/// A webhook. `secret` only in the answer to its creation.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub lead_times_minutes: Vec<i64>,
    pub active: bool,
    pub created_at: String,
    pub created_by: String,
    /// The signing secret: shown once, when the webhook is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<Webhook> for WebhookView {
    fn from(w: Webhook) -> Self {
        WebhookView {
            id: w.id,
            url: w.url,
            events: w.events,
            lead_times_minutes: w.lead_times,
            active: w.active,
            created_at: micros_to_rfc3339(w.created_at),
            created_by: w.created_by,
            secret: None,
        }
    }
}

/// The caller's organisation's webhooks.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<WebhookView>,
}

/// One attempt to send a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub attempt: i64,
    pub at: String,
    /// The receiver's answer, when there was one.
    pub http_status: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// A delivery: one message and its attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Also sent as `X-Vigilo-Delivery` (the same on every attempt).
    pub id: String,
    /// `duty.reminder`, `duty.overdue` or `ping`.
    pub event: String,
    pub duty_id: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// Of the latest attempt.
    pub http_status: Option<i64>,
    pub error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<String>,
    /// The body sent (without its `sent_at`, set at each attempt).
    #[schema(value_type = Object)]
    pub payload: Value,
    /// Every attempt, oldest first.
    pub attempt_log: Vec<AttemptView>,
}

impl From<DeliveryLog> for DeliveryView {
    fn from(l: DeliveryLog) -> Self {
        let d = l.delivery;
        DeliveryView {
            id: d.id,
            event: d.event,
            duty_id: d.duty_id,
            state: d.state.as_str().to_owned(),
            attempts: d.attempt,
            http_status: d.http_status,
            error: d.error,
            created_at: micros_to_rfc3339(d.created_at),
            delivered_at: d.delivered_at.map(micros_to_rfc3339),
            next_attempt_at: d.next_attempt_at.map(micros_to_rfc3339),
            payload: d.payload,
            attempt_log: l
                .attempts
                .into_iter()
                .map(|a| AttemptView {
                    attempt: a.attempt,
                    at: micros_to_rfc3339(a.at),
                    http_status: a.http_status,
                    error: a.error,
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}

/// A webhook's deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub deliveries: Vec<DeliveryView>,
}

/// A queued test message.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestQueued {
    /// The delivery's id: follow it in `GET /api/webhooks/{id}/deliveries`.
    pub delivery: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    /// At most this many (1-1000, default 100), newest first.
    pub limit: Option<i64>,
}

// ----- validation -----

/// Reads a webhook body, validated whole. The bool says whether the secret
/// was generated.
fn read_webhook(doc: &Value, allow_private: bool) -> Result<(NewWebhook, bool), Problem> {
    let root = object(doc, "webhook")?;
    let mut errors = FieldErrors::default();
    unknown_members(root, "", &WEBHOOK_MEMBERS, "a webhook", &mut errors);
    let url = string(root, "url", "", true, &mut errors).and_then(|u| {
        match check_webhook_url(u, allow_private) {
            Ok(_) => Some(u.to_owned()),
            Err(m) => {
                errors.push("/url", m);
                None
            }
        }
    });
    let secret = match string(root, "secret", "", false, &mut errors) {
        Some(s) => match check_secret(s) {
            Ok(()) => Some(s.to_owned()),
            Err(m) => {
                errors.push("/secret", m);
                None
            }
        },
        None => None,
    };
    let events: Vec<String> = match root.get("events") {
        None | Some(Value::Null) => vec![EVENT_REMINDER.into(), EVENT_OVERDUE.into()],
        Some(Value::Array(items)) => {
            if items.is_empty() {
                errors.push("/events", "must name at least one event");
            }
            let mut seen = HashSet::new();
            let mut events = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let pointer = pointer_push("/events", &i.to_string());
                match item.as_str() {
                    None => errors.push(pointer, "must be a string"),
                    Some(e) => match check_event(e) {
                        Err(m) => errors.push(pointer, m),
                        Ok(()) if !seen.insert(e) => {
                            errors.push(pointer, format!("{e} is given twice"));
                        }
                        Ok(()) => events.push(e.to_owned()),
                    },
                }
            }
            events
        }
        Some(_) => {
            errors.push("/events", "must be an array of event names");
            Vec::new()
        }
    };
    let lead_times: Vec<i64> = match root.get("lead_times_minutes") {
        None | Some(Value::Null) => DEFAULT_LEAD_TIMES.to_vec(),
        Some(Value::Array(items)) => {
            if items.len() > MAX_LEAD_TIMES {
                errors.push(
                    "/lead_times_minutes",
                    format!("at most {MAX_LEAD_TIMES} lead times"),
                );
            }
            let mut seen = HashSet::new();
            let mut leads = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let pointer = pointer_push("/lead_times_minutes", &i.to_string());
                match item.as_i64() {
                    None => errors.push(pointer, "must be a whole number of minutes"),
                    Some(l) => match check_lead_time(l) {
                        Err(m) => errors.push(pointer, m),
                        Ok(()) if !seen.insert(l) => {
                            errors.push(pointer, format!("{l} is given twice"));
                        }
                        Ok(()) => leads.push(l),
                    },
                }
            }
            if items.is_empty() && events.iter().any(|e| e == EVENT_REMINDER) {
                errors.push(
                    "/lead_times_minutes",
                    format!("{EVENT_REMINDER} needs at least one lead time"),
                );
            }
            leads
        }
        Some(_) => {
            errors.push(
                "/lead_times_minutes",
                "must be an array of whole numbers of minutes",
            );
            Vec::new()
        }
    };
    errors.result("webhook")?;
    let Some(url) = url else {
        return Err(Problem::internal_logged("a webhook validated incompletely"));
    };
    let generated = secret.is_none();
    Ok((
        NewWebhook {
            url,
            secret: secret.unwrap_or_else(generate_secret),
            events,
            lead_times,
        },
        generated,
    ))
}

async fn own_webhook(state: &AppState, auth: &Auth, id: &str) -> Result<Webhook, Problem> {
    state
        .store
        .get_webhook(&auth.principal.org_id, id)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found(format!("no webhook {id}")))
}

// ----- handlers -----

/// Creates a webhook. Validated whole (422 naming each bad field's JSON
/// pointer). The secret, given or generated, is sealed at rest and shown
/// only in this answer. Audited (`webhook.create`).
#[utoipa::path(post, path = "/api/webhooks", tag = "webhooks",
    request_body(content = Object, description = "`{\"url\": \"https://hooks.example.com/vigilo\", \"secret\": \"…\", \"events\": [\"duty.reminder\", \"duty.overdue\"], \"lead_times_minutes\": [4320, 1440, 60]}`: only url is required; the secret (16-256 printable ASCII bytes) is generated when absent; events default to both, lead times to 3 days, 1 day and 1 hour"),
    responses((status = 201, body = WebhookView),
        (status = 400, body = ProblemBody), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 409, body = ProblemBody),
        (status = 413, body = ProblemBody), (status = 415, body = ProblemBody),
        (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn create_webhook(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(doc): ApiJson<Value>,
) -> Result<Response, Problem> {
    auth.require(Scope::Admin)?;
    let (new, _generated) = read_webhook(&doc, state.allow_private_webhooks)?;
    let hook = state
        .store
        .create_webhook(&auth.actor, &auth.principal.org_id, &new)
        .await
        .map_err(store_problem)?;
    let location = HeaderValue::from_str(&format!("/api/webhooks/{}", hook.id))
        .map_err(Problem::internal_logged)?;
    let view = WebhookView {
        secret: Some(new.secret),
        ..WebhookView::from(hook)
    };
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        ApiJson(view),
    )
        .into_response())
}

/// The caller's organisation's webhooks, oldest first (secrets never shown).
#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks",
    responses((status = 200, body = WebhookList),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn list_webhooks(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<ApiJson<WebhookList>, Problem> {
    auth.require(Scope::Read)?;
    let hooks = state
        .store
        .list_webhooks(&auth.principal.org_id)
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(WebhookList {
        webhooks: hooks.into_iter().map(WebhookView::from).collect(),
    }))
}

/// One webhook. Another organisation's is a 404.
#[utoipa::path(get, path = "/api/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "webhook id")),
    responses((status = 200, body = WebhookView), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn get_webhook(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<WebhookView>, Problem> {
    auth.require(Scope::Read)?;
    Ok(ApiJson(own_webhook(&state, &auth, &id).await?.into()))
}

/// Deletes a webhook with its delivery log; queued deliveries are dropped.
/// Audited (`webhook.delete`). Another organisation's is a 404.
#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "webhook id")),
    responses((status = 204, description = "deleted"), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn delete_webhook(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    auth.require(Scope::Admin)?;
    state
        .store
        .delete_webhook(&auth.actor, &auth.principal.org_id, &id)
        .await
        .map_err(|e| match e {
            vigilo_store::StoreError::NotFound { .. } => {
                Problem::not_found(format!("no webhook {id}"))
            }
            other => store_problem(other),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

/// A webhook's delivery log, newest first: each delivery's state and every
/// attempt with the receiver's HTTP status or the error.
#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "webhook id"), DeliveriesQuery),
    responses((status = 200, body = DeliveryList), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn list_deliveries(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<DeliveriesQuery>,
) -> Result<ApiJson<DeliveryList>, Problem> {
    auth.require(Scope::Read)?;
    let limit = q.limit.unwrap_or(DEFAULT_DELIVERIES);
    if !(1..=MAX_DELIVERIES).contains(&limit) {
        let m = format!("must be from 1 to {MAX_DELIVERIES}");
        return Err(Problem::bad_request(format!("limit: {m}")).with_error("/limit", m));
    }
    let hook = own_webhook(&state, &auth, &id).await?;
    let log = state
        .store
        .list_deliveries(&auth.principal.org_id, &hook.id, limit)
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(DeliveryList {
        deliveries: log.into_iter().map(DeliveryView::from).collect(),
    }))
}

/// Queues a `ping` message to the webhook, sent by the job runner like any
/// other delivery (signed, retried). Audited (`webhook.test`).
#[utoipa::path(post, path = "/api/webhooks/{id}/test", tag = "webhooks",
    params(("id" = String, Path, description = "webhook id")),
    responses((status = 202, body = TestQueued), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn test_webhook(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    auth.require(Scope::Admin)?;
    let hook = own_webhook(&state, &auth, &id).await?;
    let payload = serde_json::json!({
        "event": EVENT_PING,
        "org": hook.org_id,
        "webhook": hook.id,
        "duty": null,
        "lead_minutes": null,
    });
    let queued = state
        .store
        .queue_delivery(
            &NewDelivery {
                webhook_id: hook.id.clone(),
                org_id: hook.org_id.clone(),
                event: EVENT_PING.into(),
                duty_id: None,
                payload,
                max_attempts: crate::jobs::DEFAULT_MAX_ATTEMPTS,
                run_at: now_micros(),
            },
            None,
            Some(&auth.actor),
        )
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::internal_logged("a ping was not queued"))?;
    Ok((
        StatusCode::ACCEPTED,
        ApiJson(TestQueued {
            delivery: queued.id,
        }),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_and_non_public_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
            "2001:db8::1",
        ] {
            assert!(!is_public_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "8.8.8.8",
            "2606:4700:4700::1111",
            "::ffff:1.1.1.1",
            "64:ff9b::101:101",
        ] {
            assert!(is_public_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn url_policy() {
        for bad in [
            "http://127.0.0.1/hook",
            "http://2130706433/hook",
            "http://[::1]:8080/",
            "http://localhost:9000/",
            "https://printer.local/",
            "http://10.0.0.5/",
            "http://169.254.169.254/latest/meta-data",
        ] {
            assert!(check_webhook_url(bad, false).is_err(), "{bad}");
            assert!(check_webhook_url(bad, true).is_ok(), "{bad}");
        }
        for bad in [
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "https://example.com/#x",
            "http://",
            "not a url",
        ] {
            assert!(check_webhook_url(bad, true).is_err(), "{bad}");
        }
        assert!(check_webhook_url("https://hooks.example.com/vigilo?x=1", false).is_ok());
    }
}
