//! Replication of an organisation's own data between hubs.
//!
//! ```text
//! GET /api/org/export        the caller's organisation's full export (admin): {"manifest", "files": {name: JSON Lines}}
//! GET /api/replica           the files this hub holds as the organisation's replica (admin)
//! GET /api/replica/{file}    one file, as JSON Lines (admin; audited)
//! ```
//!
//! `vigilo replicate --from URL` on a second hub fetches the first's export
//! and keeps it there (`vigilo_store::replica`), so that if the first hub is
//! cut off the organisation still has all its data.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigilo_core::Scope;
use vigilo_store::micros_to_rfc3339;

use crate::AppState;
use crate::api::store_problem;
use crate::auth::Auth;
use crate::json::ApiJson;
use crate::problem::{Problem, ProblemBody};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export))
        .routes(routes!(list_replica))
        .routes(routes!(replica_file))
}

/// The organisation's export: the manifest and every file's JSON Lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportView {
    #[schema(value_type = Object)]
    pub manifest: Value,
    pub files: BTreeMap<String, String>,
}

/// The caller's organisation's full export (what `vigilo export` writes),
/// sealed fields opened: admin scope, audited. What `vigilo replicate`
/// fetches.
#[utoipa::path(get, path = "/api/org/export", tag = "organisations",
    responses((status = 200, body = ExportView), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn export(State(state): State<AppState>, auth: Auth) -> Result<ApiJson<ExportView>, Problem> {
    auth.require(Scope::Admin)?;
    let dir = std::env::temp_dir().join(format!("vigilo-export-{}", uuid::Uuid::new_v4()));
    let result = async {
        let manifest = state
            .store
            .export_org(&auth.actor, &auth.principal.org_id, &dir)
            .await
            .map_err(store_problem)?;
        let mut files = BTreeMap::new();
        for name in manifest.files.keys() {
            let text = std::fs::read_to_string(dir.join(name)).map_err(|e| {
                Problem::internal_logged(format!("reading the export's {name}: {e}"))
            })?;
            files.insert(name.clone(), text);
        }
        Ok(ExportView {
            manifest: serde_json::to_value(&manifest).map_err(Problem::internal_logged)?,
            files,
        })
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result.map(ApiJson)
}

/// A replicated file.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplicaFileView {
    pub name: String,
    /// The hub it was copied from.
    pub source: String,
    pub sha256: String,
    pub records: i64,
    pub fetched_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReplicaList {
    pub files: Vec<ReplicaFileView>,
}

/// The files this hub holds as the caller's organisation's replica.
#[utoipa::path(get, path = "/api/replica", tag = "organisations",
    responses((status = 200, body = ReplicaList), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn list_replica(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<ApiJson<ReplicaList>, Problem> {
    auth.require(Scope::Admin)?;
    let files = state
        .store
        .replica_files(&auth.principal.org_id)
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(ReplicaList {
        files: files
            .into_iter()
            .map(|f| ReplicaFileView {
                name: f.name,
                source: f.source,
                sha256: f.sha256,
                records: f.records,
                fetched_at: micros_to_rfc3339(f.fetched_at),
            })
            .collect(),
    }))
}

/// One replicated file, as JSON Lines. Admin scope; audited.
#[utoipa::path(get, path = "/api/replica/{file}", tag = "organisations",
    params(("file" = String, Path, description = "export file name, e.g. cases.jsonl")),
    responses((status = 200, description = "JSON Lines", content_type = "application/x-ndjson"),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn replica_file(
    State(state): State<AppState>,
    auth: Auth,
    Path(file): Path<String>,
) -> Result<Response, Problem> {
    auth.require(Scope::Admin)?;
    let content = state
        .store
        .replica_file(&auth.actor, &auth.principal.org_id, &file)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found(format!("no replicated file {file}")))?;
    let mut r = content.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(r)
}
