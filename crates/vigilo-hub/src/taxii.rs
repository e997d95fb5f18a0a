//! TAXII 2.1 (OASIS, 2021) under `/taxii2/`: discovery, one API root
//! (`/taxii2/api/`), collections, objects, manifests, versions and status
//! resources.
//!
//! Collections are the sharing audiences, per caller:
//!
//! | collection | objects | a POST marks them |
//! |---|---|---|
//! | `public` | TLP:CLEAR (anonymous callers too) | TLP:CLEAR |
//! | `community` | TLP:GREEN without an audience: every organisation of the hub | TLP:GREEN |
//! | a sharing group (its id) | objects whose audience names the group | TLP:AMBER (or the object's GREEN/AMBER/AMBER+STRICT) to the group |
//! | `direct` | objects addressed to the caller's organisation by name | (read-only) |
//! | `own` | the caller's organisation's objects | TLP:RED, no audience (private) |
//!
//! Every object a response carries, counts, or lists in a manifest has
//! passed [`Policy::may_see`]; an object the caller may not see is answered
//! exactly as one that does not exist. Pagination is by `date_added`: `next`
//! is an opaque token holding the last `date_added` returned (forging one
//! reveals nothing: the policy still applies to every row).

use std::collections::BTreeSet;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use jiff::Timestamp;
use serde_json::{Map, Value, json};
use vigilo_core::Scope as TokenScope;
use vigilo_core::marking::{Marking, Tlp, Viewer};
use vigilo_store::shared::{NewShared, PutOutcome, Scope, SharedObject, SharedQuery, Versions};

use crate::AppState;
use crate::osv_api::MaybeAuth;
use crate::policy::Policy;

/// The TAXII media type.
pub const TAXII_MEDIA: &str = "application/taxii+json;version=2.1";
/// The STIX media type.
pub const STIX_MEDIA: &str = "application/stix+json;version=2.1";
/// The API root's path.
pub const API_ROOT: &str = "/taxii2/api/";
/// The filters of a listing (objects, manifest).
const LIST_FILTERS: [&str; 7] = [
    "added_after",
    "limit",
    "next",
    "match[id]",
    "match[type]",
    "match[version]",
    "match[spec_version]",
];
/// Default and largest page.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;
/// Most objects one POST may carry.
const MAX_POST_OBJECTS: usize = 10_000;
/// The largest POST, in bytes.
pub const MAX_CONTENT_LENGTH: usize = 16 << 20;

const PUBLIC: &str = "7059a6aa-8b6d-4177-b732-973ce2cf3739";
const COMMUNITY: &str = "e496ccc3-efb2-4f61-af43-18c0a63f95fe";
const DIRECT: &str = "f90e97e9-5531-4a72-9a0b-cc417ceefc09";
const OWN: &str = "3bccd1e9-c44e-4a0d-bd1d-e8d75de52653";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/taxii2/", get(discovery))
        .route(API_ROOT, get(api_root))
        .route("/taxii2/api/status/{id}/", get(status))
        .route("/taxii2/api/collections/", get(collections))
        .route("/taxii2/api/collections/{cid}/", get(collection))
        .route(
            "/taxii2/api/collections/{cid}/objects/",
            get(objects).post(add_objects),
        )
        .route(
            "/taxii2/api/collections/{cid}/objects/{oid}/",
            get(object).delete(delete_object),
        )
        .route(
            "/taxii2/api/collections/{cid}/objects/{oid}/versions/",
            get(versions),
        )
        .route("/taxii2/api/collections/{cid}/manifest/", get(manifest))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_CONTENT_LENGTH))
}

// ----- responses -----

/// A TAXII error message resource, as the media type wants it.
#[derive(Debug)]
pub(crate) struct TaxiiError {
    status: StatusCode,
    title: String,
    description: String,
}

impl TaxiiError {
    fn new(status: StatusCode, title: &str, description: impl Into<String>) -> Self {
        TaxiiError {
            status,
            title: title.to_owned(),
            description: description.into(),
        }
    }

    fn not_found(what: impl Into<String>) -> Self {
        TaxiiError::new(StatusCode::NOT_FOUND, "Not Found", what)
    }

    fn bad_request(what: impl Into<String>) -> Self {
        TaxiiError::new(StatusCode::BAD_REQUEST, "Bad Request", what)
    }

    fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "TAXII request failed");
        TaxiiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "the request could not be completed; the error was logged",
        )
    }
}

impl From<crate::problem::Problem> for TaxiiError {
    fn from(p: crate::problem::Problem) -> Self {
        let title = p.title().to_owned();
        TaxiiError {
            status: p.status(),
            description: p.detail().unwrap_or(&title).to_owned(),
            title,
        }
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = json!({
            "title": self.title,
            "description": self.description,
            "http_status": self.status.as_str(),
        });
        let mut r = (self.status, body.to_string()).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_MEDIA));
        r
    }
}

type TaxiiResult = Result<Response, TaxiiError>;

fn taxii(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_MEDIA));
    r
}

/// The request must accept the TAXII media type (406 otherwise).
fn accepts(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let ok = accept.split(',').any(|part| {
        let t = part.split(';').next().unwrap_or("").trim();
        let version = part
            .split(';')
            .skip(1)
            .find_map(|p| p.trim().strip_prefix("version="));
        (t == "application/taxii+json" && version.is_none_or(|v| v.trim() == "2.1"))
            || t == "*/*"
            || t == "application/*"
    });
    if ok {
        Ok(())
    } else {
        Err(TaxiiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable",
            format!("this server answers {TAXII_MEDIA}; the request accepts only {accept}"),
        ))
    }
}

/// TAXII timestamps: UTC with microseconds.
fn taxii_time(micros: i64) -> String {
    Timestamp::from_microsecond(micros).map_or_else(
        |_| String::new(),
        |t| format!("{}", t.strftime("%Y-%m-%dT%H:%M:%S.%6fZ")),
    )
}

fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if state.issuer.starts_with("http://") || state.issuer.starts_with("https://") {
        return state.issuer.to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

// ----- collections -----

/// A collection as a caller sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Collection {
    Public,
    Community,
    Group { id: String, name: String },
    Direct,
    Own,
}

impl Collection {
    fn id(&self) -> &str {
        match self {
            Collection::Public => PUBLIC,
            Collection::Community => COMMUNITY,
            Collection::Group { id, .. } => id,
            Collection::Direct => DIRECT,
            Collection::Own => OWN,
        }
    }

    fn resource(&self, can_write: bool) -> Value {
        let (title, description) = match self {
            Collection::Public => (
                "Public".to_owned(),
                "TLP:CLEAR objects: anyone may read them".to_owned(),
            ),
            Collection::Community => (
                "Community".to_owned(),
                "TLP:GREEN objects shared with every organisation of this hub".to_owned(),
            ),
            Collection::Group { name, .. } => (
                format!("Sharing group: {name}"),
                format!("Objects shared with the sharing group {name}"),
            ),
            Collection::Direct => (
                "Addressed to your organisation".to_owned(),
                "Objects whose markings name your organisation".to_owned(),
            ),
            Collection::Own => (
                "Your organisation's".to_owned(),
                "Objects your organisation shared or keeps; a POST here keeps them private \
                 (TLP:RED, no audience)"
                    .to_owned(),
            ),
        };
        json!({
            "id": self.id(),
            "title": title,
            "description": description,
            "can_read": true,
            "can_write": can_write,
            "media_types": [STIX_MEDIA],
        })
    }

    fn scope(&self, org: Option<&str>) -> Scope {
        match (self, org) {
            (Collection::Public, _) => Scope::Public,
            (Collection::Community, _) => Scope::Community,
            (Collection::Group { id, .. }, _) => Scope::Group(id.clone()),
            (Collection::Direct, Some(o)) => Scope::Named(o.to_owned()),
            (Collection::Own, Some(o)) => Scope::Owned(o.to_owned()),
            // Not reachable: anonymous callers have neither collection.
            (Collection::Direct | Collection::Own, None) => Scope::Public,
        }
    }

    /// Whether the object belongs in this collection (beyond the policy).
    fn holds(&self, o: &SharedObject, org: Option<&str>) -> bool {
        match self {
            Collection::Public => o.marking.tlp == Tlp::Clear,
            Collection::Community => {
                o.marking.tlp == Tlp::Green
                    && o.marking.groups.is_empty()
                    && o.marking.orgs.is_empty()
            }
            Collection::Group { id, .. } => o.marking.groups.contains(id),
            Collection::Direct => org.is_some_and(|org| o.marking.orgs.contains(org)),
            Collection::Own => org.is_some_and(|org| o.owner == org),
        }
    }
}

struct Caller {
    auth: Option<crate::auth::Auth>,
    policy: std::sync::Arc<Policy>,
}

impl Caller {
    async fn of(state: &AppState, auth: MaybeAuth) -> Result<Caller, TaxiiError> {
        if let Some(a) = &auth.0 {
            a.require(TokenScope::Read)?;
        }
        Ok(Caller {
            auth: auth.0,
            policy: Policy::load(state).await?,
        })
    }

    fn org(&self) -> Option<&str> {
        self.auth.as_ref().map(|a| a.principal.org_id.as_str())
    }

    fn viewer(&self) -> Viewer<'_> {
        self.org().map_or(Viewer::Anonymous, Viewer::Org)
    }

    fn collections(&self) -> Vec<Collection> {
        let mut out = vec![Collection::Public];
        if let Some(org) = self.org() {
            out.push(Collection::Community);
            out.extend(self.policy.groups_of(org).map(|g| Collection::Group {
                id: g.id.clone(),
                name: g.name.clone(),
            }));
            out.push(Collection::Direct);
            out.push(Collection::Own);
        }
        out
    }

    /// The collection, if the caller may read it (else answered as absent).
    fn collection(&self, id: &str) -> Result<Collection, TaxiiError> {
        self.collections()
            .into_iter()
            .find(|c| c.id() == id)
            .ok_or_else(|| TaxiiError::not_found(format!("no collection {id}")))
    }

    fn can_write(&self, c: &Collection) -> bool {
        let writes = self
            .auth
            .as_ref()
            .is_some_and(|a| a.principal.scopes.contains(TokenScope::Write));
        writes && !matches!(c, Collection::Direct)
    }

    fn visible(&self, c: &Collection, o: &SharedObject) -> bool {
        c.holds(o, self.org()) && self.policy.may_see(self.viewer(), o)
    }
}

// ----- query parameters -----

#[derive(Debug, Default)]
struct Filters {
    added_after: Option<i64>,
    limit: usize,
    next: Option<i64>,
    ids: Vec<String>,
    kinds: Vec<String>,
    versions: Option<Versions>,
    spec_versions: Vec<String>,
}

fn decode_next(token: &str) -> Result<i64, TaxiiError> {
    let bad =
        || TaxiiError::bad_request(format!("next: {token:?} is not a token this server gave"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix("v1:")
        .and_then(|n| n.parse().ok())
        .ok_or_else(bad)
}

fn encode_next(date_added: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("v1:{date_added}"))
}

fn percent_decode(s: &str) -> Result<String, TaxiiError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| TaxiiError::bad_request("bad percent-encoding in the query"))?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| TaxiiError::bad_request("the query is not UTF-8"))
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_filters(query: Option<&str>, allowed: &[&str]) -> Result<Filters, TaxiiError> {
    let mut f = Filters {
        limit: DEFAULT_LIMIT,
        ..Filters::default()
    };
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (percent_decode(k)?, percent_decode(v)?);
        if !allowed.contains(&k.as_str()) {
            return Err(TaxiiError::bad_request(format!(
                "unknown or unsupported parameter {k:?} here: {}",
                allowed.join(", ")
            )));
        }
        match k.as_str() {
            "added_after" => {
                let t: Timestamp = v.parse().map_err(|e| {
                    TaxiiError::bad_request(format!("added_after: {v:?} is not a timestamp: {e}"))
                })?;
                f.added_after = Some(t.as_microsecond());
            }
            "limit" => {
                let n: usize = v.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    TaxiiError::bad_request(format!("limit: {v:?} is not a positive integer"))
                })?;
                f.limit = n.min(MAX_LIMIT);
            }
            "next" => f.next = Some(decode_next(&v)?),
            "match[id]" => f.ids.extend(list(&v)),
            "match[type]" => f.kinds.extend(list(&v)),
            "match[spec_version]" => f.spec_versions.extend(list(&v)),
            "match[version]" => {
                let items = list(&v);
                let versions = match items.as_slice() {
                    [one] if one == "last" => Versions::Last,
                    [one] if one == "first" => Versions::First,
                    [one] if one == "all" => Versions::All,
                    _ => {
                        for i in &items {
                            if matches!(i.as_str(), "last" | "first" | "all") {
                                return Err(TaxiiError::bad_request(
                                    "match[version]: last, first and all cannot be combined",
                                ));
                            }
                            i.parse::<Timestamp>().map_err(|e| {
                                TaxiiError::bad_request(format!(
                                    "match[version]: {i:?} is not last, first, all or a timestamp: {e}"
                                ))
                            })?;
                        }
                        Versions::Exact(items)
                    }
                };
                f.versions = Some(versions);
            }
            _ => {}
        }
    }
    Ok(f)
}

/// The store query behind a page of collection `c`.
fn query(caller: &Caller, c: &Collection, f: &Filters, default_versions: Versions) -> SharedQuery {
    let after = match (f.added_after, f.next) {
        (Some(a), Some(n)) => Some(a.max(n)),
        (a, n) => a.or(n),
    };
    SharedQuery {
        scope: c.scope(caller.org()),
        added_after: after,
        ids: f.ids.clone(),
        kinds: f.kinds.clone(),
        spec_versions: f.spec_versions.clone(),
        versions: f.versions.clone().unwrap_or(default_versions),
        // One more than a page: when the scope's SQL narrowing leaves only
        // what the policy shows (the usual case), one round trip fills the
        // page and tells whether more follow; the store reads further
        // ahead when the policy drops rows.
        batch: i64::try_from(f.limit + 1).unwrap_or(1001),
    }
}

/// One page of the collection's objects the caller may see.
async fn page(
    state: &AppState,
    caller: &Caller,
    c: &Collection,
    f: &Filters,
    default_versions: Versions,
) -> Result<(Vec<SharedObject>, bool), TaxiiError> {
    state
        .store
        .query_shared(&query(caller, c, f, default_versions), f.limit, |o| {
            caller.visible(c, o)
        })
        .await
        .map_err(TaxiiError::internal)
}

/// As [`page`], each object as the JSON text stored (for `objects`, which
/// copies them out unchanged: no decoding and re-encoding).
async fn page_text(
    state: &AppState,
    caller: &Caller,
    c: &Collection,
    f: &Filters,
    default_versions: Versions,
) -> Result<(Vec<(SharedObject, String)>, bool), TaxiiError> {
    state
        .store
        .query_shared_text(&query(caller, c, f, default_versions), f.limit, |o| {
            caller.visible(c, o)
        })
        .await
        .map_err(TaxiiError::internal)
}

/// The `objects` envelope written around the stored JSON texts; the same
/// document [`envelope`] makes from decoded objects.
fn objects_envelope(rows: &[(SharedObject, String)], more: bool) -> String {
    let mut out = String::with_capacity(rows.iter().map(|(_, t)| t.len() + 1).sum::<usize>() + 64);
    out.push_str(if more {
        "{\"more\":true"
    } else {
        "{\"more\":false"
    });
    if more {
        if let Some((last, _)) = rows.last() {
            out.push_str(",\"next\":\"");
            out.push_str(&encode_next(last.date_added));
            out.push('"');
        }
    }
    if !rows.is_empty() {
        out.push_str(",\"objects\":[");
        for (i, (_, text)) in rows.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(text);
        }
        out.push(']');
    }
    out.push('}');
    out
}

fn date_headers(r: Response, rows: &[SharedObject]) -> Response {
    date_headers_of(
        r,
        rows.first().map(|o| o.date_added),
        rows.last().map(|o| o.date_added),
    )
}

fn date_headers_of(mut r: Response, first: Option<i64>, last: Option<i64>) -> Response {
    if let (Some(first), Some(last)) = (first, last) {
        for (name, micros) in [
            ("x-taxii-date-added-first", first),
            ("x-taxii-date-added-last", last),
        ] {
            if let Ok(v) = HeaderValue::from_str(&taxii_time(micros)) {
                r.headers_mut().insert(name, v);
            }
        }
    }
    r
}

fn envelope(rows: &[SharedObject], more: bool, body: Value, key: &str) -> Value {
    let mut out = Map::new();
    out.insert("more".into(), Value::Bool(more));
    if more {
        if let Some(last) = rows.last() {
            out.insert("next".into(), Value::String(encode_next(last.date_added)));
        }
    }
    if body.as_array().is_some_and(|a| !a.is_empty()) {
        out.insert(key.into(), body);
    }
    Value::Object(out)
}

// ----- handlers -----

async fn discovery(State(state): State<AppState>, headers: HeaderMap) -> TaxiiResult {
    accepts(&headers)?;
    let base = base_url(&state, &headers);
    Ok(taxii(
        StatusCode::OK,
        &json!({
            "title": "vigilo hub",
            "description": "Advisories, indicators and sightings, each shared with the audience its markings allow",
            "default": format!("{base}{API_ROOT}"),
            "api_roots": [format!("{base}{API_ROOT}")],
        }),
    ))
}

async fn api_root(headers: HeaderMap) -> TaxiiResult {
    accepts(&headers)?;
    Ok(taxii(
        StatusCode::OK,
        &json!({
            "title": "vigilo",
            "description": "The hub's one API root",
            "versions": [TAXII_MEDIA],
            "max_content_length": MAX_CONTENT_LENGTH,
        }),
    ))
}

async fn collections(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: MaybeAuth,
) -> TaxiiResult {
    accepts(&headers)?;
    let caller = Caller::of(&state, auth).await?;
    let list: Vec<Value> = caller
        .collections()
        .iter()
        .map(|c| c.resource(caller.can_write(c)))
        .collect();
    Ok(taxii(StatusCode::OK, &json!({ "collections": list })))
}

async fn collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: MaybeAuth,
    Path(cid): Path<String>,
) -> TaxiiResult {
    accepts(&headers)?;
    let caller = Caller::of(&state, auth).await?;
    let c = caller.collection(&cid)?;
    Ok(taxii(StatusCode::OK, &c.resource(caller.can_write(&c))))
}

async fn objects(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: MaybeAuth,
    Path(cid): Path<String>,
    RawQuery(query): RawQuery,
) -> TaxiiResult {
    accepts(&headers)?;
    let caller = Caller::of(&state, auth).await?;
    let c = caller.collection(&cid)?;
    let f = parse_filters(query.as_deref(), &LIST_FILTERS)?;
    let (rows, more) = page_text(&state, &caller, &c, &f, Versions::Last).await?;
    let mut r = (StatusCode::OK, objects_envelope(&rows, more)).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_MEDIA));
    Ok(date_headers_of(
        r,
        rows.first().map(|(o, _)| o.date_added),
        rows.last().map(|(o, _)| o.date_added),
    ))
}

async fn object(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: MaybeAuth,
    Path((cid, oid)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> TaxiiResult {
    accepts(&headers)?;
    let caller = Caller::of(&state, auth).await?;
    let c = caller.collection(&cid)?;
    let mut f = parse_filters(
        query.as_deref(),
        &[
            "added_after",
            "limit",
            "next",
            "match[version]",
            "match[spec_version]",
        ],
    )?;
    f.ids = vec![oid.clone()];
    let (rows, more) = page(&state, &caller, &c, &f, Versions::Last).await?;
    if rows.is_empty() && f.next.is_none() {
        return Err(TaxiiError::not_found(format!(
            "no object {oid} in collection {cid}"
        )));
    }
    let body = Value::Array(rows.iter().map(|o| o.object.clone()).collect());
    Ok(date_headers(
        taxii(StatusCode::OK, &envelope(&rows, more, body, "objects")),
        &rows,
    ))
}

async fn versions(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: MaybeAuth,
    Path((cid, oid)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> TaxiiResult {
    accepts(&headers)?;
    let caller = Caller::of(&state, auth).await?;
    let c = caller.collection(&cid)?;
    let mut f = parse_filters(
        query.as_deref(),
        &["added_after", "limit", "next", "match[spec_version]"],
    )?;
    f.ids = vec![oid.clone()];
    let (rows, more) = page(&state, &caller, &c, &f, Versions::All).await?;
    if rows.is_empty() && f.next.is_none() {
        return Err(TaxiiError::not_found(format!(
            "no object {oid} in collection {cid}"
        )));
    }
    let body = Value::Array(rows.iter().map(|o| json!(o.version)).collect());
    Ok(date_headers(
        taxii(StatusCode::OK, &envelope(&rows, more, body, "versions")),
        &rows,
    ))
}

async fn manifest(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: MaybeAuth,
    Path(cid): Path<String>,
    RawQuery(query): RawQuery,
) -> TaxiiResult {
    accepts(&headers)?;
    let caller = Caller::of(&state, auth).await?;
    let c = caller.collection(&cid)?;
    let f = parse_filters(query.as_deref(), &LIST_FILTERS)?;
    let (rows, more) = page(&state, &caller, &c, &f, Versions::Last).await?;
    let body = Value::Array(
        rows.iter()
            .map(|o| {
                json!({
                    "id": o.id,
                    "date_added": taxii_time(o.date_added),
                    "version": o.version,
                    "media_type": STIX_MEDIA,
                })
            })
            .collect(),
    );
    Ok(date_headers(
        taxii(StatusCode::OK, &envelope(&rows, more, body, "objects")),
        &rows,
    ))
}

async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: MaybeAuth,
    Path(id): Path<String>,
) -> TaxiiResult {
    accepts(&headers)?;
    let Some(a) = auth.0 else {
        return Err(TaxiiError::not_found(format!("no status {id}")));
    };
    a.require(TokenScope::Read)?;
    let s = state
        .store
        .taxii_status(&a.principal.org_id, &id)
        .await
        .map_err(TaxiiError::internal)?
        .ok_or_else(|| TaxiiError::not_found(format!("no status {id}")))?;
    Ok(taxii(StatusCode::OK, &s))
}

/// The marking a POSTed object gets in collection `c`: the collection's
/// audience, and the object's own TLP marking when it has one the
/// collection allows.
fn marking_for(c: &Collection, object: &Map<String, Value>) -> Result<Marking, String> {
    let tlps: BTreeSet<Tlp> = object
        .get("object_marking_refs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(Tlp::from_stix_marking_id)
        .collect();
    if tlps.len() > 1 {
        return Err("it carries more than one TLP marking".into());
    }
    let own = tlps.into_iter().next();
    let conflict = |want: &str| {
        Err(format!(
            "its marking {} does not fit this collection ({want})",
            own.map_or("-", Tlp::as_str)
        ))
    };
    Ok(match c {
        Collection::Public => match own {
            None | Some(Tlp::Clear) => Marking::tlp(Tlp::Clear),
            _ => return conflict("TLP:CLEAR"),
        },
        Collection::Community => match own {
            None | Some(Tlp::Green) => Marking::tlp(Tlp::Green),
            _ => return conflict("TLP:GREEN"),
        },
        Collection::Group { id, .. } => {
            let tlp = match own {
                None => Tlp::Amber,
                Some(t @ (Tlp::Green | Tlp::Amber | Tlp::AmberStrict)) => t,
                _ => return conflict("TLP:GREEN, TLP:AMBER or TLP:AMBER+STRICT"),
            };
            Marking {
                tlp,
                groups: BTreeSet::from([id.clone()]),
                orgs: BTreeSet::new(),
            }
        }
        Collection::Own => match own {
            None | Some(Tlp::Red) => Marking::tlp(Tlp::Red),
            _ => return conflict("TLP:RED"),
        },
        Collection::Direct => return Err("this collection is read-only".into()),
    })
}

/// The object with its TLP marking among its `object_marking_refs`, so
/// that whoever pulls it (a partner hub) learns its level.
pub(crate) fn with_marking_ref(v: &Value, tlp: Tlp) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        let refs = o
            .entry("object_marking_refs")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = refs.as_array_mut() {
            let id = Value::String(tlp.stix_marking_id().to_owned());
            if !list.contains(&id) {
                list.push(id);
            }
        }
    }
    v
}

/// Checks one STIX object enough to store it: type, id, spec_version and a
/// version (`modified`, else `created`).
pub(crate) fn read_object(v: &Value) -> Result<(String, String, String, String), String> {
    let o = v.as_object().ok_or("not a JSON object")?;
    let kind = o
        .get("type")
        .and_then(Value::as_str)
        .filter(|t| {
            (3..=250).contains(&t.len())
                && t.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        .ok_or("`type` is missing or not a STIX type name")?;
    let id = o
        .get("id")
        .and_then(Value::as_str)
        .ok_or("`id` is missing")?;
    let uuid = id
        .strip_prefix(kind)
        .and_then(|r| r.strip_prefix("--"))
        .ok_or_else(|| format!("`id` {id:?} is not {kind}--UUID"))?;
    uuid::Uuid::parse_str(uuid).map_err(|_| format!("`id` {id:?} does not end in a UUID"))?;
    let spec = o
        .get("spec_version")
        .and_then(Value::as_str)
        .unwrap_or("2.1");
    if spec != "2.1" {
        return Err(format!("spec_version {spec:?}: this server takes STIX 2.1"));
    }
    let version = o
        .get("modified")
        .or_else(|| o.get("created"))
        .and_then(Value::as_str)
        .ok_or("neither `modified` nor `created` is given")?;
    version
        .parse::<Timestamp>()
        .map_err(|e| format!("`modified` {version:?} is not a timestamp: {e}"))?;
    Ok((
        id.to_owned(),
        version.to_owned(),
        kind.to_owned(),
        spec.to_owned(),
    ))
}

async fn add_objects(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: MaybeAuth,
    Path(cid): Path<String>,
    body: Bytes,
) -> TaxiiResult {
    accepts(&headers)?;
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let base = ctype.split(';').next().unwrap_or("").trim();
    if base != "application/taxii+json" && base != "application/json" {
        return Err(TaxiiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type",
            format!("send {TAXII_MEDIA}, not {ctype:?}"),
        ));
    }
    let Some(auth_ref) = auth.0.as_ref() else {
        return Err(crate::problem::Problem::unauthorized().into());
    };
    auth_ref.require(TokenScope::Write)?;
    let caller = Caller::of(&state, auth).await?;
    let c = caller.collection(&cid)?;
    if !caller.can_write(&c) {
        return Err(TaxiiError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!("collection {cid} is read-only for this caller"),
        ));
    }
    let envelope: Value = serde_json::from_slice(&body)
        .map_err(|e| TaxiiError::bad_request(format!("the body is not JSON: {e}")))?;
    let objects = envelope
        .get("objects")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            TaxiiError::bad_request("the body is not an envelope: no `objects` array")
        })?;
    if objects.len() > MAX_POST_OBJECTS {
        return Err(TaxiiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Payload Too Large",
            format!(
                "{} objects; at most {MAX_POST_OBJECTS} per request",
                objects.len()
            ),
        ));
    }
    let request_timestamp = taxii_time(Timestamp::now().as_microsecond());
    let mut failures = Vec::new();
    let mut accepted = Vec::new();
    for v in objects {
        let id = v.get("id").and_then(Value::as_str).unwrap_or("").to_owned();
        let read = read_object(v).and_then(|(id, version, kind, spec)| {
            let m = marking_for(&c, v.as_object().ok_or("not an object")?)?;
            Ok(NewShared {
                id,
                version,
                kind,
                spec_version: spec,
                object: with_marking_ref(v, m.tlp),
                marking: m,
            })
        });
        match read {
            Ok(n) => accepted.push(n),
            Err(message) => failures.push(json!({"id": id, "message": message})),
        }
    }
    let (org, actor) = match &caller.auth {
        Some(a) => (a.principal.org_id.clone(), a.actor.clone()),
        None => return Err(crate::problem::Problem::unauthorized().into()),
    };
    // What a suspended or revoked partner sends is held in quarantine.
    let held = if caller.policy.is_blocked(&org) {
        state
            .store
            .all_partners()
            .await
            .map_err(TaxiiError::internal)?
            .into_iter()
            .find(|p| p.local_org_id.as_deref() == Some(org.as_str()))
            .map(|p| p.id)
    } else {
        None
    };
    let outcomes = state
        .store
        .put_shared_held(&actor, &org, "local", held.as_deref(), &accepted)
        .await
        .map_err(TaxiiError::internal)?;
    let mut successes = Vec::new();
    for (n, outcome) in accepted.iter().zip(outcomes) {
        match outcome {
            PutOutcome::Added { .. } => {
                successes.push(json!({"id": n.id, "version": n.version}));
            }
            PutOutcome::AlreadyPresent => successes
                .push(json!({"id": n.id, "version": n.version, "message": "already present"})),
            PutOutcome::NotOwner => failures.push(json!({
                "id": n.id, "version": n.version,
                "message": "this id belongs to another organisation's object",
            })),
        }
    }
    let status_id = uuid::Uuid::new_v4().to_string();
    let status = json!({
        "id": status_id,
        "status": "complete",
        "request_timestamp": request_timestamp,
        "total_count": objects.len(),
        "success_count": successes.len(),
        "successes": successes,
        "failure_count": failures.len(),
        "failures": failures,
        "pending_count": 0,
        "pendings": [],
    });
    state
        .store
        .put_taxii_status(&actor, &org, &status_id, &status)
        .await
        .map_err(TaxiiError::internal)?;
    Ok(taxii(StatusCode::ACCEPTED, &status))
}

async fn delete_object(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: MaybeAuth,
    Path((cid, oid)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> TaxiiResult {
    accepts(&headers)?;
    let Some(a) = auth.0.as_ref() else {
        return Err(TaxiiError::not_found(format!(
            "no object {oid} in collection {cid}"
        )));
    };
    a.require(TokenScope::Write)?;
    let caller = Caller::of(&state, auth).await?;
    let c = caller.collection(&cid)?;
    let mut f = parse_filters(query.as_deref(), &["match[version]", "match[spec_version]"])?;
    f.ids = vec![oid.clone()];
    f.limit = MAX_LIMIT;
    let (rows, _) = page(&state, &caller, &c, &f, Versions::All).await?;
    let org = caller.org().unwrap_or_default().to_owned();
    let mine: Vec<&SharedObject> = rows.iter().filter(|o| o.owner == org).collect();
    if rows.is_empty() {
        return Err(TaxiiError::not_found(format!(
            "no object {oid} in collection {cid}"
        )));
    }
    if mine.is_empty() {
        return Err(TaxiiError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "only the organisation that shared an object may delete it",
        ));
    }
    let versions: Vec<String> = mine.iter().map(|o| o.version.clone()).collect();
    let actor = caller
        .auth
        .as_ref()
        .map(|a| a.actor.clone())
        .unwrap_or_default();
    state
        .store
        .delete_shared(&actor, &org, &oid, &versions)
        .await
        .map_err(TaxiiError::internal)?;
    // Partners that pulled it learn of the deletion from a signed
    // tombstone, shared with the same audience as what it deletes.
    if let Some(deleted) = mine.first() {
        let tombstone = state
            .store
            .sign_tombstone(
                &base_url(&state, &headers),
                &oid,
                &versions,
                Timestamp::now(),
                &[deleted.marking.tlp.stix_marking_id()],
            )
            .map_err(TaxiiError::internal)?;
        let (id, version, kind, spec) = read_object(&tombstone).map_err(TaxiiError::internal)?;
        state
            .store
            .put_shared(
                &actor,
                &org,
                "local",
                &[NewShared {
                    id,
                    version,
                    kind,
                    spec_version: spec,
                    object: tombstone,
                    marking: deleted.marking.clone(),
                }],
            )
            .await
            .map_err(TaxiiError::internal)?;
    }
    Ok(StatusCode::OK.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_tokens_round_trip_and_garbage_is_refused() {
        assert_eq!(
            decode_next(&encode_next(1_700_000_000_123_456)).unwrap(),
            1_700_000_000_123_456
        );
        assert!(decode_next("bm90IGEgdG9rZW4").is_err());
        assert!(decode_next("***").is_err());
    }

    #[test]
    fn filters_parse_as_taxii_spells_them() {
        let all = [
            "added_after",
            "limit",
            "next",
            "match[id]",
            "match[type]",
            "match[version]",
            "match[spec_version]",
        ];
        let f = parse_filters(
            Some("added_after=2026-01-01T00:00:00Z&limit=5000&match%5Btype%5D=indicator,vulnerability&match[version]=all"),
            &all,
        )
        .unwrap();
        assert_eq!(f.limit, MAX_LIMIT);
        assert_eq!(f.kinds, ["indicator", "vulnerability"]);
        assert_eq!(f.versions, Some(Versions::All));
        assert!(f.added_after.is_some());
        assert!(parse_filters(Some("limit=0"), &all).is_err());
        assert!(parse_filters(Some("match[version]=last,all"), &all).is_err());
        assert!(parse_filters(Some("match[version]=yesterday"), &all).is_err());
        assert!(parse_filters(Some("colour=red"), &all).is_err());
    }

    #[test]
    fn accept_headers() {
        let mut h = HeaderMap::new();
        assert!(accepts(&h).is_ok());
        h.insert(header::ACCEPT, HeaderValue::from_static(TAXII_MEDIA));
        assert!(accepts(&h).is_ok());
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/taxii+json;version=2.0"),
        );
        assert!(accepts(&h).is_err());
        h.insert(header::ACCEPT, HeaderValue::from_static("text/html"));
        assert!(accepts(&h).is_err());
    }

    #[test]
    fn posted_markings_fit_their_collection() {
        let obj = |refs: &[&str]| {
            let mut m = Map::new();
            m.insert("object_marking_refs".into(), json!(refs));
            m
        };
        let g = Collection::Group {
            id: "g1".into(),
            name: "G".into(),
        };
        let m = marking_for(&g, &obj(&[])).unwrap();
        assert_eq!((m.tlp, m.groups.len()), (Tlp::Amber, 1));
        let m = marking_for(&g, &obj(&[Tlp::AmberStrict.stix_marking_id()])).unwrap();
        assert_eq!(m.tlp, Tlp::AmberStrict);
        assert!(marking_for(&g, &obj(&[Tlp::Red.stix_marking_id()])).is_err());
        assert!(marking_for(&Collection::Public, &obj(&[Tlp::Green.stix_marking_id()])).is_err());
        assert!(marking_for(&Collection::Direct, &obj(&[])).is_err());
        assert!(
            marking_for(
                &Collection::Own,
                &obj(&[Tlp::Red.stix_marking_id(), Tlp::Clear.stix_marking_id()])
            )
            .is_err()
        );
    }
}
