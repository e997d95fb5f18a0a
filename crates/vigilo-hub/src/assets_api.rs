//! Assets under `/api/assets`: scan inventories uploaded by `vigilo scan
//! --upload`, kept per organisation so that advisories arriving later can be
//! matched against them.
//!
//! The upload is the scanner's JSON report (schema `vigilo-scan/1`, see
//! `vigilo_formats::report`) with one member added by the client:
//!
//! ```text
//! {
//!   "schema": "vigilo-scan/1",
//!   "asset": { "name": "web-01" },           // optional; the name defaults to `host`
//!   "host": "web-01",
//!   "finished": "2024-05-02T09:14:07Z",      // becomes the asset's `scanned_at`
//!   "components": [
//!     { "ecosystem": "PyPI", "name": "Jinja2", "version": "2.11.2",
//!       "purl": "pkg:pypi/jinja2@2.11.2", "path": "requirements.txt", ... },
//!     ...
//!   ],
//!   ...                                      // every other member is kept, not read
//! }
//! ```
//!
//! The document is validated whole before anything is stored: every problem
//! is a 422 naming its field's JSON pointer. An upload for an asset name the
//! organisation already has replaces that asset's inventory (same id, one
//! more scan). Once stored, the inventory is matched against every advisory
//! (`crate::exposure_api`): its findings are raised, and those of the
//! inventory it replaced that it no longer has are resolved.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigilo_core::Scope;
use vigilo_store::assets::{
    MAX_ASSET_COMPONENTS, MAX_ASSET_HOST, MAX_ASSET_NAME, MAX_COMPONENT_ECOSYSTEM,
    MAX_COMPONENT_NAME, MAX_COMPONENT_PATH, MAX_COMPONENT_PURL, MAX_COMPONENT_VERSION,
};
use vigilo_store::{Asset, AssetComponent, NewAsset, StoredComponent, micros_to_rfc3339};

use crate::ApiQuery as Query;
use crate::AppState;
use crate::api::store_problem;
use crate::auth::Auth;
use crate::fields::FieldErrors as Errors;
use crate::json::ApiJson;
use crate::problem::{Problem, ProblemBody};

/// The only report schema accepted.
pub const SCAN_SCHEMA: &str = "vigilo-scan/1";
/// Field errors listed in one problem document (the count names them all).
/// Components per page of `GET /api/assets/{id}` by default, and at most.
const DEFAULT_PAGE: i64 = 1000;
const MAX_PAGE: i64 = 10_000;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_assets, upload_asset))
        .routes(routes!(get_asset))
}

// ----- views -----

/// An asset's metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetView {
    pub id: String,
    pub name: String,
    /// The host the latest scan ran on.
    pub host: String,
    /// When the latest scan finished (the report's `finished`).
    pub scanned_at: String,
    /// When the latest scan was uploaded.
    pub uploaded_at: String,
    /// Who uploaded it (`token:<id>`, `user:<id>`).
    pub uploaded_by: String,
    /// When the asset was first uploaded.
    pub created_at: String,
    /// Components in the current inventory.
    pub components: i64,
    /// Uploads so far.
    pub scans: i64,
}

impl From<Asset> for AssetView {
    fn from(a: Asset) -> Self {
        AssetView {
            id: a.id,
            name: a.name,
            host: a.host,
            scanned_at: micros_to_rfc3339(a.scanned_at),
            uploaded_at: micros_to_rfc3339(a.uploaded_at),
            uploaded_by: a.uploaded_by,
            created_at: micros_to_rfc3339(a.created_at),
            components: a.component_count,
            scans: a.scans,
        }
    }
}

/// One component of an asset's current inventory.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentView {
    /// Position in the uploaded inventory, from 1 (the paging cursor).
    pub seq: i64,
    pub ecosystem: String,
    /// As uploaded (lookups use the ecosystem's normalised form).
    pub name: String,
    pub version: String,
    pub purl: Option<String>,
    pub path: Option<String>,
}

impl From<StoredComponent> for ComponentView {
    fn from(c: StoredComponent) -> Self {
        ComponentView {
            seq: c.seq,
            ecosystem: c.ecosystem,
            name: c.name,
            version: c.version,
            purl: c.purl,
            path: c.path,
        }
    }
}

/// What an upload stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetUploaded {
    pub id: String,
    pub name: String,
    /// Components stored.
    pub components: i64,
    /// Uploads of this asset so far (1: it is new).
    pub scans: i64,
    /// Whether the asset is new (else its inventory was replaced).
    pub created: bool,
    /// Components of the inventory this upload replaced (0 for a new asset).
    pub replaced: i64,
}

/// An asset and one page of its components.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetPage {
    pub asset: AssetView,
    pub components: Vec<ComponentView>,
    /// Pass as `after` for the next page; absent at the end.
    pub next_after: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ComponentsQuery {
    /// Return components after this `seq` (default 0: from the first).
    pub after: Option<i64>,
    /// At most this many components (default 1000, at most 10000).
    pub limit: Option<i64>,
}

// ----- validation -----

/// Reads member `key` of `obj` as text: `None` when it is absent or null
/// (an error when `required`), or not acceptable (the error recorded).
fn text<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    pointer: &str,
    required: bool,
    max: usize,
    errors: &mut Errors,
) -> Option<&'a str> {
    let pointer = format!("{pointer}/{key}");
    let s = match obj.get(key) {
        None | Some(Value::Null) => {
            if required {
                errors.push(pointer, "required");
            }
            return None;
        }
        Some(Value::String(s)) => s.as_str(),
        Some(_) => {
            errors.push(pointer, "must be a string");
            return None;
        }
    };
    if required && s.trim().is_empty() {
        errors.push(pointer, "must not be empty");
        None
    } else if s.len() > max {
        errors.push(
            pointer,
            format!("{} bytes, longer than the limit of {max}", s.len()),
        );
        None
    } else if s.contains('\0') {
        errors.push(pointer, "must not contain NUL characters");
        None
    } else {
        Some(s)
    }
}

/// Validates an upload whole and turns it into what the store keeps.
fn read_upload(doc: &Value) -> Result<NewAsset, Problem> {
    let Some(root) = doc.as_object() else {
        return Err(Problem::unprocessable(
            "the upload must be a vigilo-scan/1 report (a JSON object)",
        )
        .with_error("", "expected a JSON object"));
    };
    match root.get("schema") {
        Some(Value::String(s)) if s == SCAN_SCHEMA => {}
        other => {
            let message = match other {
                None | Some(Value::Null) => format!("required: \"{SCAN_SCHEMA}\""),
                Some(v) => format!("unsupported schema {v}: expected \"{SCAN_SCHEMA}\""),
            };
            return Err(Problem::unprocessable(format!(
                "the upload must be a {SCAN_SCHEMA} report"
            ))
            .with_error("/schema", message));
        }
    }
    let mut errors = Errors::default();
    let asset_name = match root.get("asset") {
        None | Some(Value::Null) => None,
        Some(Value::Object(asset)) => {
            text(asset, "name", "/asset", false, MAX_ASSET_NAME, &mut errors)
        }
        Some(_) => {
            errors.push("/asset", "must be an object");
            None
        }
    };
    let host = match root.get("host") {
        None | Some(Value::Null) => {
            errors.push("/host", "required (a string; empty when unknown)");
            None
        }
        Some(_) => text(root, "host", "", false, MAX_ASSET_HOST, &mut errors),
    };
    // The asset's name, and the pointer of the member it comes from.
    let nonempty = |s: &&str| !s.trim().is_empty();
    let name = asset_name
        .filter(nonempty)
        .map(|n| (n, "/asset/name"))
        .or(host.filter(nonempty).map(|h| (h, "/host")));
    match name {
        None if errors.total() == 0 => errors.push(
            "/asset/name",
            "required when `host` is empty: name the asset",
        ),
        Some((n, pointer)) if n.chars().any(char::is_control) => errors.push(
            pointer,
            "must not contain control characters (it names the asset)",
        ),
        _ => {}
    }
    let scanned_at = text(root, "finished", "", true, 64, &mut errors).and_then(|s| {
        match s.trim().parse::<jiff::Timestamp>() {
            Ok(t) => Some(t.as_microsecond()),
            Err(_) => {
                errors.push("/finished", "not an RFC 3339 time");
                None
            }
        }
    });
    let mut components = Vec::new();
    match root.get("components") {
        Some(Value::Array(list)) if list.len() > MAX_ASSET_COMPONENTS => {
            return Err(Problem::unprocessable(format!(
                "at most {MAX_ASSET_COMPONENTS} components per asset"
            ))
            .with_error(
                "/components",
                format!(
                    "{} components, more than the limit of {MAX_ASSET_COMPONENTS}",
                    list.len()
                ),
            ));
        }
        Some(Value::Array(list)) => {
            components.reserve(list.len());
            for (i, item) in list.iter().enumerate() {
                let pointer = format!("/components/{i}");
                let Some(c) = item.as_object() else {
                    errors.push(pointer, "must be an object");
                    continue;
                };
                let ecosystem = text(
                    c,
                    "ecosystem",
                    &pointer,
                    true,
                    MAX_COMPONENT_ECOSYSTEM,
                    &mut errors,
                );
                let name = text(c, "name", &pointer, true, MAX_COMPONENT_NAME, &mut errors);
                let version = text(
                    c,
                    "version",
                    &pointer,
                    true,
                    MAX_COMPONENT_VERSION,
                    &mut errors,
                );
                let purl = text(c, "purl", &pointer, false, MAX_COMPONENT_PURL, &mut errors)
                    .filter(|p| !p.is_empty());
                let path = if c.get("path").is_some_and(|p| !p.is_null()) {
                    text(c, "path", &pointer, false, MAX_COMPONENT_PATH, &mut errors)
                } else {
                    // Older writers may carry the path in the evidence only.
                    match c.get("evidence") {
                        Some(Value::Object(e)) => text(
                            e,
                            "path",
                            &format!("{pointer}/evidence"),
                            false,
                            MAX_COMPONENT_PATH,
                            &mut errors,
                        ),
                        _ => None,
                    }
                }
                .filter(|p| !p.is_empty());
                if let (Some(ecosystem), Some(name), Some(version)) = (ecosystem, name, version) {
                    components.push(AssetComponent {
                        ecosystem: ecosystem.trim().to_owned(),
                        name: name.to_owned(),
                        version: version.to_owned(),
                        purl: purl.map(str::to_owned),
                        path: path.map(str::to_owned),
                    });
                }
            }
        }
        None | Some(Value::Null) => errors.push("/components", "required"),
        Some(_) => errors.push("/components", "must be an array"),
    }
    errors.result("scan report")?;
    let (Some((name, _)), Some(scanned_at)) = (name, scanned_at) else {
        // Each missing piece recorded an error above.
        return Err(Problem::internal_logged(
            "asset upload validated without a name or time",
        ));
    };
    Ok(NewAsset {
        name: name.trim().to_owned(),
        host: host.unwrap_or_default().to_owned(),
        scanned_at,
        document: doc.to_string(),
        components,
    })
}

// ----- handlers -----

/// Uploads a scan report (`vigilo-scan/1`, plus `"asset": {"name": …}`) as
/// one of the caller's organisation's assets. Validated whole (422 naming
/// each bad field's JSON pointer); then the asset and its components are
/// stored in one transaction. A new asset answers 201; an upload for a name
/// the organisation already has replaces that asset's inventory and answers
/// 200. Both carry `Location: /api/assets/{id}`. The new inventory is then
/// matched against every advisory (`GET /api/assets/{id}/findings`).
#[utoipa::path(post, path = "/api/assets", tag = "assets",
    request_body(content = Object, description = "a vigilo-scan/1 report with `\"asset\": {\"name\": …}` (name optional: defaults to `host`)"),
    responses((status = 201, body = AssetUploaded, description = "a new asset"),
        (status = 200, body = AssetUploaded, description = "an existing asset's inventory replaced"),
        (status = 400, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 413, body = ProblemBody), (status = 415, body = ProblemBody),
        (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn upload_asset(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(doc): ApiJson<Value>,
) -> Result<Response, Problem> {
    auth.require(Scope::Write)?;
    let asset = read_upload(&doc)?;
    let notes = crate::exposure_api::notes_from_document(&doc);
    drop(doc);
    let up = state
        .store
        .upload_asset(&auth.actor, &auth.principal.org_id, &asset)
        .await
        .map_err(store_problem)?;
    // Exposure: the new inventory against every advisory, before answering.
    crate::exposure_api::match_uploaded_asset(
        &state,
        &auth.actor,
        &auth.principal.org_id,
        &up.asset.id,
        up.asset.scans,
        notes,
    )
    .await;
    let location = HeaderValue::from_str(&format!("/api/assets/{}", up.asset.id))
        .map_err(Problem::internal_logged)?;
    let status = if up.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = AssetUploaded {
        id: up.asset.id,
        name: up.asset.name,
        components: up.asset.component_count,
        scans: up.asset.scans,
        created: up.created,
        replaced: up.replaced,
    };
    Ok((status, [(header::LOCATION, location)], ApiJson(body)).into_response())
}

/// The caller's organisation's assets, by name.
#[utoipa::path(get, path = "/api/assets", tag = "assets",
    responses((status = 200, body = [AssetView]), (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn list_assets(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<ApiJson<Vec<AssetView>>, Problem> {
    auth.require(Scope::Read)?;
    let assets = state
        .store
        .list_assets(&auth.principal.org_id)
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(assets.into_iter().map(AssetView::from).collect()))
}

/// One of the caller's organisation's assets with a page of its current
/// components, in upload order. Another organisation's asset is a 404.
#[utoipa::path(get, path = "/api/assets/{id}", tag = "assets", params(
        ("id" = String, Path, description = "asset id"), ComponentsQuery),
    responses((status = 200, body = AssetPage), (status = 400, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn get_asset(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<ComponentsQuery>,
) -> Result<ApiJson<AssetPage>, Problem> {
    auth.require(Scope::Read)?;
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(
            Problem::bad_request(format!("limit must be between 1 and {MAX_PAGE}"))
                .with_error("/limit", format!("must be between 1 and {MAX_PAGE}")),
        );
    }
    let after = q.after.unwrap_or(0).max(0);
    let org = auth.principal.org_id.as_str();
    let asset = state
        .store
        .asset(org, &id)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found(format!("no asset {id}")))?;
    let components = state
        .store
        .asset_components(org, &asset.id, after, limit)
        .await
        .map_err(store_problem)?;
    let next_after = components
        .last()
        .map(|c| c.seq)
        .filter(|&seq| seq < asset.component_count);
    Ok(ApiJson(AssetPage {
        asset: asset.into(),
        components: components.into_iter().map(ComponentView::from).collect(),
        next_after,
    }))
}
