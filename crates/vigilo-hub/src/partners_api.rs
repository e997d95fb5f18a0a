//! The partner registry under `/api/partners`.
//!
//! ```text
//! POST /api/partners                        register a remote hub (admin)
//! GET  /api/partners                        list them, with status
//! POST /api/partners/{id}/status            {"action": "suspend"|"reinstate"|"revoke", "reason", "review_date"} (admin)
//! POST /api/partners/{id}/sync              pull its collections now (admin)
//! GET  /api/partners/{id}/quarantine        what it sent while suspended (admin)
//! POST /api/partners/{id}/quarantine/release  release that (admin)
//! ```
//!
//! A suspended or revoked partner receives nothing (its local account sees
//! no shared object, `policy::Policy`) and what it sends is quarantined; it
//! is not pulled. Reinstatement is refused before the review date. Every
//! change is audited.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigilo_core::Scope;
use vigilo_store::micros_to_rfc3339;
use vigilo_store::partners::{Direction, NewPartner, Partner, StatusChange};
use vigilo_store::shared::{Scope as SharedScope, SharedQuery, Versions};

use crate::AppState;
use crate::api::store_problem;
use crate::auth::Auth;
use crate::federation::{PullReport, PushReport, pull, push};
use crate::json::ApiJson;
use crate::problem::{Problem, ProblemBody};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_partners, create_partner))
        .routes(routes!(change_status))
        .routes(routes!(sync_now))
        .routes(routes!(push_now))
        .routes(routes!(quarantine))
        .routes(routes!(release))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPartnerBody {
    pub name: String,
    /// The partner's TAXII API root, e.g. `https://hub.example/taxii2/api/`.
    pub api_root: String,
    /// Its collection ids to pull.
    #[serde(default)]
    pub collections: Vec<String>,
    /// Our API token at the partner (sealed at rest).
    pub token: Option<String>,
    /// The partner hub's key (`ed25519:HEX`, its `GET /api/hub/key`).
    pub public_key: Option<String>,
    /// `pull`, `push` or `both`.
    pub direction: String,
    /// The name of the local organisation account the partner uses here.
    pub local_org: Option<String>,
}

/// A partner (its token never shown).
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerView {
    pub id: String,
    pub name: String,
    pub api_root: String,
    pub collections: Vec<String>,
    pub has_token: bool,
    pub public_key: Option<String>,
    pub direction: String,
    pub local_org_id: Option<String>,
    /// `active`, `suspended` or `revoked`.
    pub status: String,
    pub status_reason: Option<String>,
    pub status_since: String,
    /// Suspended: the date on or after which it may be reinstated.
    pub review_date: Option<String>,
    pub created_at: String,
}

impl From<Partner> for PartnerView {
    fn from(p: Partner) -> Self {
        PartnerView {
            id: p.id,
            name: p.name,
            api_root: p.api_root,
            collections: p.collections,
            has_token: p.has_token,
            public_key: p.public_key,
            direction: p.direction.as_str().to_owned(),
            local_org_id: p.local_org_id,
            status: p.status.as_str().to_owned(),
            status_reason: p.status_reason,
            status_since: micros_to_rfc3339(p.status_since),
            review_date: p.review_date,
            created_at: micros_to_rfc3339(p.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerList {
    pub partners: Vec<PartnerView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// `suspend`, `reinstate` or `revoke`.
    pub action: String,
    pub reason: String,
    /// For `suspend`: `YYYY-MM-DD`, after today.
    pub review_date: Option<String>,
}

async fn partner_of(state: &AppState, auth: &Auth, id: &str) -> Result<Partner, Problem> {
    state
        .store
        .get_partner(&auth.principal.org_id, id)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found(format!("no partner {id}")))
}

/// Registers a partner hub. Admin scope; audited.
#[utoipa::path(post, path = "/api/partners", tag = "partners", request_body = NewPartnerBody,
    responses((status = 201, body = PartnerView), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn create_partner(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<NewPartnerBody>,
) -> Result<Response, Problem> {
    auth.require(Scope::Admin)?;
    if body.local_org.is_some() {
        auth.require_operator()?;
    }
    let direction = Direction::parse(&body.direction).ok_or_else(|| {
        Problem::unprocessable(format!(
            "direction: {:?} is not pull, push or both",
            body.direction
        ))
        .with_error("/direction", "pull, push or both")
    })?;
    let local_org_id = match &body.local_org {
        None => None,
        // Naming the local account a partner uses (whose reads a suspension
        // stops) is the hub operator's: the coordinator keeps that registry.
        Some(name) => Some(
            state
                .store
                .org_by_name(name)
                .await
                .map_err(store_problem)?
                .ok_or_else(|| {
                    Problem::unprocessable(format!("local_org: no organisation {name:?}"))
                        .with_error("/local_org", "no such organisation")
                })?
                .id,
        ),
    };
    let p = state
        .store
        .create_partner(
            &auth.actor,
            &auth.principal.org_id,
            &NewPartner {
                name: body.name,
                api_root: body.api_root,
                collections: body.collections,
                token: body.token,
                public_key: body.public_key,
                direction,
                local_org_id,
            },
        )
        .await
        .map_err(store_problem)?;
    Ok((StatusCode::CREATED, ApiJson(PartnerView::from(p))).into_response())
}

/// The organisation's partners.
#[utoipa::path(get, path = "/api/partners", tag = "partners",
    responses((status = 200, body = PartnerList), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn list_partners(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<ApiJson<PartnerList>, Problem> {
    auth.require(Scope::Read)?;
    let list = state
        .store
        .list_partners(&auth.principal.org_id)
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(PartnerList {
        partners: list.into_iter().map(PartnerView::from).collect(),
    }))
}

/// Suspends (with a reason and a review date), reinstates (on or after the
/// review date) or revokes a partner. Admin scope; audited.
#[utoipa::path(post, path = "/api/partners/{id}/status", tag = "partners",
    params(("id" = String, Path, description = "partner id")), request_body = StatusBody,
    responses((status = 200, body = PartnerView), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn change_status(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusBody>,
) -> Result<ApiJson<PartnerView>, Problem> {
    auth.require(Scope::Admin)?;
    let change = match body.action.as_str() {
        "suspend" => StatusChange::Suspend {
            reason: body.reason,
            review_date: body.review_date.ok_or_else(|| {
                Problem::unprocessable("review_date: required to suspend")
                    .with_error("/review_date", "required to suspend")
            })?,
        },
        "reinstate" => StatusChange::Reinstate {
            reason: body.reason,
        },
        "revoke" => StatusChange::Revoke {
            reason: body.reason,
        },
        other => {
            return Err(Problem::unprocessable(format!(
                "action: {other:?} is not suspend, reinstate or revoke"
            ))
            .with_error("/action", "suspend, reinstate or revoke"));
        }
    };
    let today = jiff::Zoned::now().date();
    let p = state
        .store
        .change_partner_status(&auth.actor, &auth.principal.org_id, &id, &change, today)
        .await
        .map_err(store_problem)?;
    state
        .tokens
        .evict_org(p.local_org_id.as_deref().unwrap_or_default());
    Ok(ApiJson(PartnerView::from(p)))
}

/// Pulls the partner's collections now, from their cursors.
#[utoipa::path(post, path = "/api/partners/{id}/sync", tag = "partners",
    params(("id" = String, Path, description = "partner id")),
    responses((status = 200, body = PullReport), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn sync_now(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<PullReport>, Problem> {
    auth.require(Scope::Admin)?;
    let p = partner_of(&state, &auth, &id).await?;
    Ok(ApiJson(pull(&state.store, &p).await))
}

/// Pushes to the partner now what its account here may see and has not
/// been pushed yet.
#[utoipa::path(post, path = "/api/partners/{id}/push", tag = "partners",
    params(("id" = String, Path, description = "partner id")),
    responses((status = 200, body = PushReport), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn push_now(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<PushReport>, Problem> {
    auth.require(Scope::Admin)?;
    let p = partner_of(&state, &auth, &id).await?;
    let policy = crate::policy::Policy::load(&state).await?;
    Ok(ApiJson(push(&state.store, &policy, &p).await))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuarantineList {
    pub count: usize,
    #[schema(value_type = Vec<Object>)]
    pub objects: Vec<Value>,
}

/// What the partner sent while suspended, held from everyone.
#[utoipa::path(get, path = "/api/partners/{id}/quarantine", tag = "partners",
    params(("id" = String, Path, description = "partner id")),
    responses((status = 200, body = QuarantineList), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn quarantine(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<QuarantineList>, Problem> {
    auth.require(Scope::Admin)?;
    let p = partner_of(&state, &auth, &id).await?;
    let Some(local) = p.local_org_id.clone() else {
        return Ok(ApiJson(QuarantineList {
            count: 0,
            objects: Vec::new(),
        }));
    };
    let q = SharedQuery {
        scope: SharedScope::Owned(local),
        added_after: None,
        ids: Vec::new(),
        kinds: Vec::new(),
        spec_versions: Vec::new(),
        versions: Versions::All,
        batch: 500,
    };
    let (rows, _) = state
        .store
        .query_shared(&q, 1000, |o| o.quarantine.as_deref() == Some(p.id.as_str()))
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(QuarantineList {
        count: rows.len(),
        objects: rows.into_iter().map(|o| o.object).collect(),
    }))
}

/// Releases what the partner's quarantine holds into normal sharing.
/// Admin scope; audited.
#[utoipa::path(post, path = "/api/partners/{id}/quarantine/release", tag = "partners",
    params(("id" = String, Path, description = "partner id")),
    responses((status = 200, body = Object), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn release(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<Value>, Problem> {
    auth.require(Scope::Admin)?;
    let p = partner_of(&state, &auth, &id).await?;
    let Some(local) = p.local_org_id.clone() else {
        return Ok(ApiJson(serde_json::json!({"released": 0})));
    };
    let n = state
        .store
        .release_quarantine(&auth.actor, &auth.principal.org_id, &local, &p.id)
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(serde_json::json!({"released": n})))
}
