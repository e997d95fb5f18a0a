//! The OSV-compatible API (`/v1/query`, `/v1/querybatch`, `/v1/vulns/{id}`),
//! with osv.dev's request and response shapes so existing clients (pip-audit,
//! osv-scanner) work; and advisory upload under `/api/advisories`.
//!
//! `/v1` answers anonymous callers from public advisories; an authenticated
//! caller also sees its own organisation's uploads.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigilo_core::Ecosystem;
use vigilo_core::Scope;
use vigilo_core::matching::Match;
use vigilo_formats::osv::ParsedRecord;

use crate::AppState;
use crate::advisories::{AdvisoryIndex, to_store_record};
use crate::api::store_problem;
use crate::auth::Auth;
use crate::json::ApiJson;
use crate::problem::{Problem, ProblemBody};

/// Results per page of `/v1/query`.
pub const PAGE_SIZE: usize = 1000;
/// Queries per `/v1/querybatch` request.
pub const MAX_BATCH: usize = 1000;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(query))
        .routes(routes!(querybatch))
        .routes(routes!(get_vuln))
        .routes(routes!(upload_advisories))
        .routes(routes!(get_advisory))
}

/// An optional authentication: anonymous when no `Authorization` header is
/// sent; a sent but invalid credential is still a 401.
#[derive(Debug)]
pub struct MaybeAuth(pub Option<Auth>);

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            Auth::from_request_parts(parts, state)
                .await
                .map(|a| MaybeAuth(Some(a)))
        } else {
            Ok(MaybeAuth(None))
        }
    }
}

impl MaybeAuth {
    fn org(&self) -> Option<&str> {
        self.0.as_ref().map(|a| a.principal.org_id.as_str())
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct QueryPackage {
    pub name: Option<String>,
    pub ecosystem: Option<String>,
    pub purl: Option<String>,
}

/// osv.dev's query: a package and a version, or a purl with a version.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OsvQuery {
    pub package: Option<QueryPackage>,
    pub version: Option<String>,
    /// Not supported: vigilo does not evaluate commits.
    pub commit: Option<String>,
    pub page_token: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OsvBatchQuery {
    pub queries: Vec<OsvQuery>,
}

/// What a query resolved to.
enum Target {
    Version {
        ecosystem: Ecosystem,
        name: String,
        version: String,
    },
    Package {
        ecosystem: Ecosystem,
        name: String,
    },
}

fn resolve(q: &OsvQuery, pointer: &str) -> Result<Target, Problem> {
    let bad = |field: &str, msg: &str| {
        Problem::bad_request(format!("{pointer}{field}: {msg}"))
            .with_error(format!("{pointer}{field}"), msg)
    };
    if q.commit.is_some() {
        return Err(bad(
            "/commit",
            "commit queries are not supported; query by package and version",
        ));
    }
    let pkg = q
        .package
        .as_ref()
        .ok_or_else(|| bad("/package", "required"))?;
    if let Some(purl) = &pkg.purl {
        let p = vigilo_core::package::Purl::parse(purl)
            .map_err(|e| bad("/package/purl", &e.to_string()))?;
        let (ecosystem, name) = p.to_package().ok_or_else(|| {
            bad(
                "/package/purl",
                "purl type does not map to an OSV ecosystem",
            )
        })?;
        return Ok(match (p.version, q.version.clone()) {
            (Some(_), Some(_)) => {
                return Err(bad(
                    "/version",
                    "give the version in the purl or in `version`, not both",
                ));
            }
            (Some(version), None) | (None, Some(version)) => Target::Version {
                ecosystem,
                name,
                version,
            },
            (None, None) => Target::Package { ecosystem, name },
        });
    }
    let name = pkg
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad("/package/name", "required"))?;
    let eco = pkg
        .ecosystem
        .as_deref()
        .filter(|e| !e.is_empty())
        .ok_or_else(|| bad("/package/ecosystem", "required"))?;
    let ecosystem = Ecosystem::parse(eco);
    Ok(match &q.version {
        Some(v) => Target::Version {
            ecosystem,
            name: name.to_owned(),
            version: v.clone(),
        },
        None => Target::Package {
            ecosystem,
            name: name.to_owned(),
        },
    })
}

/// The ids a query matches, visible to `org`, sorted.
fn matching_ids(idx: &AdvisoryIndex, target: &Target, org: Option<&str>) -> Vec<String> {
    let mut ids: Vec<String> = match target {
        Target::Version {
            ecosystem,
            name,
            version,
        } => idx
            .index
            .query(ecosystem, name, version)
            .into_iter()
            .map(|m: Match<'_>| m.advisory_id.to_owned())
            .collect(),
        Target::Package { ecosystem, name } => idx
            .index
            .for_package(ecosystem, name)
            .into_iter()
            .filter(|a| !a.is_withdrawn())
            .map(|a| a.id.clone())
            .collect(),
    };
    ids.retain(|id| idx.visible(id, org));
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn encode_token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("vigilo-page:{offset}"))
}

fn decode_token(token: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix("vigilo-page:")?
        .parse()
        .ok()
}

fn json_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Vulnerabilities affecting a package version (osv.dev's `/v1/query`).
#[utoipa::path(post, path = "/v1/query", tag = "osv", request_body = OsvQuery,
    responses((status = 200, description = "`{\"vulns\": [OSV record…], \"next_page_token\"?}`"), (status = 400, body = ProblemBody)))]
async fn query(
    State(state): State<AppState>,
    auth: MaybeAuth,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    // osv.dev clients (pip-audit) send JSON without a Content-Type header.
    let q: OsvQuery = crate::json::decode(&body)?;
    let target = resolve(&q, "")?;
    let offset = match &q.page_token {
        Some(t) => decode_token(t).ok_or_else(|| {
            Problem::bad_request("invalid page_token")
                .with_error("/page_token", "not a token this hub issued")
        })?,
        None => 0,
    };
    let idx = state.advisories.get();
    let ids = matching_ids(&idx, &target, auth.org());
    let page: Vec<&str> = ids
        .iter()
        .skip(offset)
        .take(PAGE_SIZE)
        .map(|id| idx.json(id).map_or("{}", |j| &**j))
        .collect();
    let mut body = String::with_capacity(page.iter().map(|j| j.len() + 1).sum::<usize>() + 64);
    body.push('{');
    if !page.is_empty() {
        body.push_str("\"vulns\":[");
        body.push_str(&page.join(","));
        body.push(']');
    }
    if offset + PAGE_SIZE < ids.len() {
        if !page.is_empty() {
            body.push(',');
        }
        body.push_str(&format!(
            "\"next_page_token\":\"{}\"",
            encode_token(offset + PAGE_SIZE)
        ));
    }
    body.push('}');
    Ok(json_response(body))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchVuln {
    pub id: String,
    pub modified: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vulns: Vec<BatchVuln>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    pub results: Vec<BatchResult>,
}

/// Many queries at once (osv.dev's `/v1/querybatch`): ids and `modified` only.
#[utoipa::path(post, path = "/v1/querybatch", tag = "osv", request_body = OsvBatchQuery,
    responses((status = 200, body = BatchResponse), (status = 400, body = ProblemBody)))]
async fn querybatch(
    State(state): State<AppState>,
    auth: MaybeAuth,
    body: axum::body::Bytes,
) -> Result<ApiJson<BatchResponse>, Problem> {
    let b: OsvBatchQuery = crate::json::decode(&body)?;
    if b.queries.len() > MAX_BATCH {
        return Err(
            Problem::bad_request(format!("at most {MAX_BATCH} queries per batch")).with_error(
                "/queries",
                format!("{} queries, limit {MAX_BATCH}", b.queries.len()),
            ),
        );
    }
    let targets = b
        .queries
        .iter()
        .enumerate()
        .map(|(i, q)| resolve(q, &format!("/queries/{i}")))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, q) in b.queries.iter().enumerate() {
        if q.page_token
            .as_deref()
            .is_some_and(|t| decode_token(t).is_none())
        {
            let pointer = format!("/queries/{i}/page_token");
            return Err(
                Problem::bad_request(format!("{pointer}: invalid page_token"))
                    .with_error(pointer, "not a token this hub issued"),
            );
        }
    }
    let idx = state.advisories.get();
    let org = auth.org().map(str::to_owned);
    let results = tokio::task::spawn_blocking(move || {
        targets
            .iter()
            .zip(&b.queries)
            .map(|(t, q)| {
                let ids = matching_ids(&idx, t, org.as_deref());
                let offset = q.page_token.as_deref().and_then(decode_token).unwrap_or(0);
                BatchResult {
                    next_page_token: (offset + PAGE_SIZE < ids.len())
                        .then(|| encode_token(offset + PAGE_SIZE)),
                    vulns: ids
                        .iter()
                        .skip(offset)
                        .take(PAGE_SIZE)
                        .map(|id| BatchVuln {
                            id: id.clone(),
                            modified: idx.modified(id).unwrap_or_default().to_owned(),
                        })
                        .collect(),
                }
            })
            .collect()
    })
    .await
    .map_err(Problem::internal_logged)?;
    Ok(ApiJson(BatchResponse { results }))
}

/// One advisory by id (osv.dev's `/v1/vulns/{id}`).
#[utoipa::path(get, path = "/v1/vulns/{id}", tag = "osv",
    params(("id" = String, Path, description = "advisory id")),
    responses((status = 200, description = "the OSV record"), (status = 404, body = ProblemBody)))]
async fn get_vuln(
    State(state): State<AppState>,
    auth: MaybeAuth,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let idx = state.advisories.get();
    match idx.json(&id) {
        Some(json) if idx.visible(&id, auth.org()) => Ok(json_response(json.to_string())),
        _ => Err(Problem::not_found(format!("no advisory {id}"))),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadDiagnostic {
    pub code: String,
    pub pointer: String,
    pub record: Option<String>,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadResult {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub older: usize,
    pub warnings: Vec<UploadDiagnostic>,
}

/// Uploads OSV records (one record, or an array of them) as the caller's
/// organisation's advisories. Validated whole: any invalid record rejects the
/// upload (422, every problem listed), else all are stored in one transaction.
#[utoipa::path(post, path = "/api/advisories", tag = "advisories",
    request_body(content = Object, description = "an OSV record or an array of OSV records"),
    responses((status = 200, body = UploadResult), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn upload_advisories(
    State(state): State<AppState>,
    auth: Auth,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<ApiJson<UploadResult>, Problem> {
    auth.require(Scope::Write)?;
    if !crate::json::has_json_content_type(&headers) {
        return Err(Problem::unsupported_media_type(
            "expected request header `Content-Type: application/json`",
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| Problem::bad_request(format!("malformed JSON: {e}")))?;
    let (items, array) = match value {
        serde_json::Value::Array(items) => (items, true),
        other => (vec![other], false),
    };
    if items.len() > 10_000 {
        return Err(Problem::unprocessable("at most 10,000 records per upload"));
    }
    let mut parsed: Vec<ParsedRecord> = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let prefix = if array {
            format!("/{i}")
        } else {
            String::new()
        };
        match vigilo_formats::osv::from_json(item, "request body") {
            Ok(p) => parsed.push(p),
            Err(d) => errors.push((
                format!("{prefix}{}", d.pointer),
                format!("{}: {}", d.code, d.message),
            )),
        }
    }
    if !errors.is_empty() {
        let mut p = Problem::unprocessable(format!(
            "{} invalid record(s); nothing was stored",
            errors.len()
        ));
        for (pointer, detail) in errors {
            p = p.with_error(pointer, detail);
        }
        return Err(p);
    }
    let records: Vec<_> = parsed.iter().map(|p| to_store_record(p, "api")).collect();
    let counts = state
        .store
        .import_advisories(&auth.actor, Some(&auth.principal.org_id), &records)
        .await
        .map_err(store_problem)?;
    if !counts.conflicts.is_empty() {
        // The transaction stored the others; report the conflicts clearly.
        tracing::info!(conflicts = ?counts.conflicts, "advisory ids owned by someone else were skipped");
    }
    if let Err(e) = state.advisories.refresh(&state.store).await {
        tracing::error!(error = %e, "reloading the advisory index failed");
    }
    if !counts.conflicts.is_empty()
        && counts.inserted + counts.updated + counts.unchanged + counts.older == 0
    {
        return Err(Problem::conflict(format!(
            "advisory id(s) already exist and belong to another owner: {}",
            counts.conflicts.join(", ")
        )));
    }
    Ok(ApiJson(UploadResult {
        inserted: counts.inserted,
        updated: counts.updated,
        unchanged: counts.unchanged,
        older: counts.older,
        warnings: parsed
            .iter()
            .flat_map(|p| &p.warnings)
            .map(|d| UploadDiagnostic {
                code: d.code.to_string(),
                pointer: d.pointer.clone(),
                record: d.record.clone(),
                message: d.message.clone(),
            })
            .chain(counts.conflicts.iter().map(|id| UploadDiagnostic {
                code: "advisory-conflict".into(),
                pointer: String::new(),
                record: Some(id.clone()),
                message: "this id belongs to another owner; skipped".into(),
            }))
            .collect(),
    }))
}

/// One advisory (by id or alias) visible to the caller, as OSV JSON.
#[utoipa::path(get, path = "/api/advisories/{id}", tag = "advisories",
    params(("id" = String, Path, description = "advisory id or alias")),
    responses((status = 200, description = "the OSV record"), (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn get_advisory(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    auth.require(Scope::Read)?;
    let found = state
        .store
        .advisory(&id, Some(&auth.principal.org_id))
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found(format!("no advisory {id}")))?;
    Ok((StatusCode::OK, json_response(found.json)).into_response())
}
