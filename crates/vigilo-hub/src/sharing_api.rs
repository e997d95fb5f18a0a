//! Sharing groups and the shared objects an organisation may see, under
//! `/api/sharing`.
//!
//! ```text
//! POST  /api/sharing/groups          {"name", "confidential"?, "members": [org names]}   (admin)
//! GET   /api/sharing/groups          the groups the caller owns or belongs to
//! PATCH /api/sharing/groups/{id}     {"add": [org names], "remove": [org names]}        (admin, owner)
//! GET   /api/sharing/objects         the shared objects the caller may see (?type=&q=&limit=&after=)
//! ```
//!
//! A member of a confidential group sees the group but, of its members,
//! only itself. `GET /api/sharing/objects` passes every row through the
//! same policy as TAXII (`policy::Policy`); its `count` counts only those.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigilo_core::Scope as TokenScope;
use vigilo_core::marking::{Marking, SharingGroup, Tlp, Viewer};
use vigilo_store::micros_to_rfc3339;
use vigilo_store::shared::{Scope, SharedObject, SharedQuery, Versions};

use crate::ApiQuery as Query;
use crate::AppState;
use crate::api::store_problem;
use crate::auth::Auth;
use crate::json::ApiJson;
use crate::policy::Policy;
use crate::problem::{Problem, ProblemBody};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_groups, create_group))
        .routes(routes!(update_group))
        .routes(routes!(list_objects))
        .routes(routes!(publish))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    /// An advisory id or alias this hub holds (public, or the caller's).
    pub advisory: Option<String>,
    /// An id of one of the caller's indicators (`GET /api/indicators`).
    pub indicator: Option<String>,
    /// `TLP:CLEAR` … `TLP:RED`.
    pub tlp: String,
    /// Sharing group ids of the audience.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Organisation names of the audience.
    #[serde(default)]
    pub orgs: Vec<String>,
    /// Only say who would receive it; store nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Who an object will reach.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishView {
    /// The STIX id and version stored (absent on a dry run).
    pub id: Option<String>,
    pub version: Option<String>,
    pub tlp: String,
    /// Whether anyone, anonymous callers included, may read it.
    pub public: bool,
    /// The other organisations of this hub that will see it, by name.
    pub organisations: Vec<String>,
    /// Members of confidential groups that will see it but are not named.
    pub unnamed: usize,
}

/// A STIX pattern's string literal.
fn literal(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\'', "\\'")
}

/// A STIX timestamp with milliseconds.
fn stix_time(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros).map_or_else(
        |_| String::new(),
        |t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    )
}

/// Publishes one of the organisation's advisories or indicators as a STIX
/// 2.1 object with a marking, or (`dry_run`) says who it would reach:
/// the organisations named, and how many members of confidential groups
/// it reaches without naming them.
#[utoipa::path(post, path = "/api/sharing/publish", tag = "sharing", request_body = PublishBody,
    responses((status = 200, body = PublishView), (status = 201, body = PublishView),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn publish(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<PublishBody>,
) -> Result<Response, Problem> {
    auth.require(TokenScope::Write)?;
    let org = auth.principal.org_id.clone();
    let tlp: Tlp = body
        .tlp
        .parse()
        .map_err(|e: vigilo_core::marking::UnknownTlp| {
            Problem::unprocessable(e.to_string()).with_error("/tlp", e.to_string())
        })?;
    let policy = Policy::load(&state).await?;
    for (i, g) in body.groups.iter().enumerate() {
        if !policy.groups_of(&org).any(|x| &x.id == g) {
            let m = "no sharing group of yours (or that you belong to) has this id";
            return Err(Problem::unprocessable(format!("/groups/{i}: {m}"))
                .with_error(format!("/groups/{i}"), m));
        }
    }
    let marking = Marking {
        tlp,
        groups: body.groups.iter().cloned().collect(),
        orgs: ids_of(&state, "/orgs", &body.orgs).await?,
    };
    marking
        .check()
        .map_err(|e| Problem::unprocessable(e.to_string()).with_error("/tlp", e.to_string()))?;
    let object = match (&body.advisory, &body.indicator) {
        (Some(a), None) => {
            let adv = state
                .store
                .advisory(a, Some(&org))
                .await
                .map_err(store_problem)?
                .ok_or_else(|| Problem::not_found(format!("no advisory {a}")))?;
            let json: Value = serde_json::from_str(&adv.json).map_err(Problem::internal_logged)?;
            let record = vigilo_formats::osv::from_json(json, &adv.id)
                .map_err(|d| Problem::unprocessable(format!("advisory {a}: {d}")))?;
            vigilo_formats::stix::advisory_vulnerability(
                &record,
                &auth.principal.org_name,
                Some(&marking),
            )
        }
        (None, Some(i)) => {
            let ind = state
                .store
                .indicator(&org, i)
                .await
                .map_err(store_problem)?
                .ok_or_else(|| Problem::not_found(format!("no indicator {i}")))?;
            let kind = ind.kind.as_str();
            serde_json::json!({
                "type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--{}", ind.id),
                "created": stix_time(ind.created_at), "modified": stix_time(ind.updated_at),
                "name": format!("{} {}", ind.role.as_str(), ind.value),
                "pattern": format!("[{kind}:value = '{}']", literal(&ind.value)),
                "pattern_type": "stix",
                "valid_from": stix_time(ind.first_seen.unwrap_or(ind.created_at)),
                "indicator_types": ["malicious-activity"],
                "labels": ind.rules,
            })
        }
        _ => {
            return Err(
                Problem::unprocessable("give one of `advisory` or `indicator`")
                    .with_error("", "give one of `advisory` or `indicator`"),
            );
        }
    };
    // Who it reaches: the one policy, asked for every organisation.
    let probe = SharedObject {
        id: String::new(),
        version: String::new(),
        owner: org.clone(),
        kind: String::new(),
        spec_version: "2.1".into(),
        marking: marking.clone(),
        object: Value::Null,
        date_added: 0,
        origin: "local".into(),
        quarantine: None,
    };
    let hidden: BTreeSet<String> = marking
        .groups
        .iter()
        .filter_map(|g| policy.groups_of(&org).find(|x| &x.id == g))
        .filter(|g| g.confidential && g.owner != org)
        .flat_map(|g| g.members.iter().cloned())
        .collect();
    let mut organisations = Vec::new();
    let mut unnamed = 0;
    for o in state.store.list_orgs().await.map_err(store_problem)? {
        if o.id == org || !policy.may_see(Viewer::Org(&o.id), &probe) {
            continue;
        }
        if hidden.contains(&o.id) && !marking.orgs.contains(&o.id) {
            unnamed += 1;
        } else {
            organisations.push(o.name);
        }
    }
    let mut view = PublishView {
        id: None,
        version: None,
        tlp: tlp.as_str().to_owned(),
        public: tlp == Tlp::Clear,
        organisations,
        unnamed,
    };
    if body.dry_run {
        return Ok(ApiJson(view).into_response());
    }
    let object = crate::taxii::with_marking_ref(&object, tlp);
    let (id, version, kind, spec) = crate::taxii::read_object(&object).map_err(|m| {
        Problem::internal_logged(format!("a published object is not valid STIX: {m}"))
    })?;
    let out = state
        .store
        .put_shared(
            &auth.actor,
            &org,
            "local",
            &[vigilo_store::shared::NewShared {
                id: id.clone(),
                version: version.clone(),
                kind,
                spec_version: spec,
                marking,
                object,
            }],
        )
        .await
        .map_err(store_problem)?;
    if out.first() == Some(&vigilo_store::shared::PutOutcome::NotOwner) {
        return Err(Problem::conflict(format!(
            "{id} is another organisation's object"
        )));
    }
    view.id = Some(id);
    view.version = Some(version);
    Ok((StatusCode::CREATED, ApiJson(view)).into_response())
}

/// A sharing group as the caller may know it.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    /// The managing organisation's name.
    pub owner: String,
    pub confidential: bool,
    /// The member organisations' names the caller may know of: all of them
    /// for the owner and members of an open group, only itself in a
    /// confidential one.
    pub members: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupList {
    pub groups: Vec<GroupView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroupBody {
    pub name: String,
    #[serde(default)]
    pub confidential: bool,
    /// Organisation names.
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupChangeBody {
    #[serde(default)]
    pub add: Vec<String>,
    #[serde(default)]
    pub remove: Vec<String>,
}

async fn names(state: &AppState) -> Result<std::collections::BTreeMap<String, String>, Problem> {
    Ok(state
        .store
        .list_orgs()
        .await
        .map_err(store_problem)?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

fn view(
    g: &SharingGroup,
    viewer: &str,
    names: &std::collections::BTreeMap<String, String>,
) -> GroupView {
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    GroupView {
        id: g.id.clone(),
        name: g.name.clone(),
        owner: name(&g.owner),
        confidential: g.confidential,
        members: g.visible_members(viewer).into_iter().map(name).collect(),
    }
}

/// Organisation names to ids; an unknown name is a 422 naming it.
async fn ids_of(
    state: &AppState,
    pointer: &str,
    names: &[String],
) -> Result<BTreeSet<String>, Problem> {
    let mut out = BTreeSet::new();
    for (i, n) in names.iter().enumerate() {
        let org = state
            .store
            .org_by_name(n)
            .await
            .map_err(store_problem)?
            .ok_or_else(|| {
                Problem::unprocessable(format!("{pointer}/{i}: no organisation {n:?}"))
                    .with_error(format!("{pointer}/{i}"), "no such organisation")
            })?;
        out.insert(org.id);
    }
    Ok(out)
}

/// Creates a sharing group the caller's organisation manages. Admin scope;
/// audited.
#[utoipa::path(post, path = "/api/sharing/groups", tag = "sharing", request_body = NewGroupBody,
    responses((status = 201, body = GroupView), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn create_group(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<NewGroupBody>,
) -> Result<Response, Problem> {
    auth.require(TokenScope::Admin)?;
    let members = ids_of(&state, "/members", &body.members).await?;
    let g = state
        .store
        .create_group(
            &auth.actor,
            &auth.principal.org_id,
            &body.name,
            body.confidential,
            &members,
        )
        .await
        .map_err(store_problem)?;
    let names = names(&state).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(view(&g, &auth.principal.org_id, &names)),
    )
        .into_response())
}

/// The sharing groups the caller's organisation manages or belongs to.
#[utoipa::path(get, path = "/api/sharing/groups", tag = "sharing",
    responses((status = 200, body = GroupList), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn list_groups(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<ApiJson<GroupList>, Problem> {
    auth.require(TokenScope::Read)?;
    let policy = Policy::load(&state).await?;
    let names = names(&state).await?;
    let org = &auth.principal.org_id;
    Ok(ApiJson(GroupList {
        groups: policy
            .groups_of(org)
            .map(|g| view(g, org, &names))
            .collect(),
    }))
}

/// Adds and removes members of a group the caller's organisation manages.
/// Admin scope; audited. Another organisation's group is a 404.
#[utoipa::path(patch, path = "/api/sharing/groups/{id}", tag = "sharing",
    params(("id" = String, Path, description = "group id")), request_body = GroupChangeBody,
    responses((status = 200, body = GroupView), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn update_group(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<GroupChangeBody>,
) -> Result<ApiJson<GroupView>, Problem> {
    auth.require(TokenScope::Admin)?;
    let add = ids_of(&state, "/add", &body.add).await?;
    let remove = ids_of(&state, "/remove", &body.remove).await?;
    let g = state
        .store
        .update_group_members(&auth.actor, &auth.principal.org_id, &id, &add, &remove)
        .await
        .map_err(store_problem)?;
    let names = names(&state).await?;
    Ok(ApiJson(view(&g, &auth.principal.org_id, &names)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ObjectsQuery {
    /// Only objects of this STIX type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// A case-insensitive substring of the object's JSON.
    pub q: Option<String>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<usize>,
    /// Continue after this `date_added` (the previous page's `next_after`).
    pub after: Option<i64>,
}

/// A shared object the caller may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedView {
    pub id: String,
    pub version: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// `TLP:CLEAR` … `TLP:RED`.
    pub tlp: String,
    /// Sharing group ids of its audience.
    pub groups: Vec<String>,
    /// Whether the caller's organisation is named in its audience.
    pub addressed_to_you: bool,
    pub yours: bool,
    pub date_added: String,
    #[schema(value_type = Object)]
    pub object: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SharedList {
    /// How many objects this page holds (all visible to the caller).
    pub count: usize,
    pub objects: Vec<SharedView>,
    /// Pass as `after` for the next page; absent on the last.
    pub next_after: Option<i64>,
}

/// The shared objects (latest versions) the caller's organisation may see,
/// in the order they were added: through the one sharing policy.
#[utoipa::path(get, path = "/api/sharing/objects", tag = "sharing", params(ObjectsQuery),
    responses((status = 200, body = SharedList), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn list_objects(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ObjectsQuery>,
) -> Result<ApiJson<SharedList>, Problem> {
    auth.require(TokenScope::Read)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Problem::bad_request("limit must be between 1 and 1000")
            .with_error("/limit", "between 1 and 1000"));
    }
    let policy = Policy::load(&state).await?;
    let org = auth.principal.org_id.clone();
    let needle = q.q.as_deref().map(str::to_lowercase);
    let query = SharedQuery {
        scope: Scope::All,
        added_after: q.after,
        ids: Vec::new(),
        kinds: q.kind.clone().into_iter().collect(),
        spec_versions: Vec::new(),
        versions: Versions::Last,
        batch: 500,
    };
    // A revoked object (its latest version says so) is not listed.
    let matches = |o: &SharedObject| {
        o.object.get("revoked") != Some(&Value::Bool(true))
            && o.kind != vigilo_formats::tombstone::TYPE
            && policy.may_see(Viewer::Org(&org), o)
            && needle
                .as_ref()
                .is_none_or(|n| o.object.to_string().to_lowercase().contains(n))
    };
    let (rows, more) = state
        .store
        .query_shared(&query, limit, matches)
        .await
        .map_err(store_problem)?;
    let next_after = more.then(|| rows.last().map(|o| o.date_added)).flatten();
    let objects: Vec<SharedView> = rows
        .into_iter()
        .map(|o| SharedView {
            addressed_to_you: o.marking.orgs.contains(&org),
            yours: o.owner == org,
            id: o.id,
            version: o.version,
            kind: o.kind,
            tlp: o.marking.tlp.as_str().to_owned(),
            groups: o.marking.groups.into_iter().collect(),
            date_added: micros_to_rfc3339(o.date_added),
            object: o.object,
        })
        .collect();
    Ok(ApiJson(SharedList {
        count: objects.len(),
        objects,
        next_after,
    }))
}
