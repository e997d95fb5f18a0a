//! The JSON API under `/api`: identity, tokens, organisations, profile, audit.

use crate::ApiQuery as Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigilo_core::{OrgName, Role, Scope, ScopeSet};
use vigilo_store::{Actor, NewToken, OrgProfile, OrgStatus, StoreError, micros_to_rfc3339};

use crate::AppState;
use crate::auth::{Auth, peer_ip};
use crate::json::ApiJson;
use crate::problem::{Problem, ProblemBody};

type ApiResult<T> = Result<T, Problem>;

/// Maps store errors to problems; server faults are logged, never shown.
pub fn store_problem(e: StoreError) -> Problem {
    match e {
        StoreError::NotFound { kind, id } => Problem::not_found(format!("{kind} {id} not found")),
        StoreError::Conflict(m) => Problem::conflict(m),
        StoreError::Invalid(m) => Problem::unprocessable(m),
        StoreError::InvalidField { field, message } => {
            Problem::unprocessable(format!("{field}: {message}"))
                .with_error(format!("/{field}"), message)
        }
        other => Problem::internal_logged(other),
    }
}

fn parse_role(text: &str) -> ApiResult<Role> {
    text.parse().map_err(|e: vigilo_core::ValidationError| {
        Problem::unprocessable(e.to_string()).with_error("/role", e.to_string())
    })
}

fn rfc3339(micros: i64) -> String {
    micros_to_rfc3339(micros)
}

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(whoami))
        .routes(routes!(login))
        .routes(routes!(list_orgs, create_org))
        .routes(routes!(update_org))
        .routes(routes!(list_users, create_user))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(get_profile, put_profile))
        .routes(routes!(list_audit))
}

// ----- whoami -----

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI {
    pub org: OrgRef,
    /// The hub operator's organisation.
    pub operator: bool,
    pub token_id: String,
    pub token_name: String,
    pub user_id: Option<String>,
    pub role: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<String>,
}

/// Who the presented token belongs to.
#[utoipa::path(get, path = "/api/whoami", tag = "identity",
    responses((status = 200, body = WhoAmI), (status = 401, body = ProblemBody)),
    security(("token" = [])))]
async fn whoami(auth: Auth) -> ApiJson<WhoAmI> {
    let p = &auth.principal;
    ApiJson(WhoAmI {
        org: OrgRef {
            id: p.org_id.clone(),
            name: p.org_name.clone(),
        },
        operator: p.is_operator,
        token_id: p.token_id.clone(),
        token_name: p.token_name.clone(),
        user_id: p.user_id.clone(),
        role: p.role.to_string(),
        scopes: p.scopes.iter().map(|s| s.to_string()).collect(),
        expires_at: p.expires_at.map(rfc3339),
    })
}

// ----- login -----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// Organisation name; needed when the user belongs to several.
    pub org: Option<String>,
    /// Lifetime of the issued token in hours (default 12, at most 720).
    pub ttl_hours: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    pub id: String,
    /// The secret: shown once, never stored.
    pub token: String,
    pub org: String,
    pub role: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<String>,
}

impl IssuedToken {
    fn new(info: vigilo_store::TokenInfo, secret: String, org: String) -> Self {
        IssuedToken {
            id: info.id,
            token: secret,
            org,
            role: info.role.to_string(),
            scopes: info.scopes.iter().map(|s| s.to_string()).collect(),
            expires_at: info.expires_at.map(rfc3339),
        }
    }
}

/// Exchanges a user's email and password for a short-lived API token.
#[utoipa::path(post, path = "/api/auth/login", tag = "identity", request_body = LoginRequest,
    responses((status = 201, body = IssuedToken), (status = 401, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn login(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let ip = peer_ip(&parts);
    let ttl = req.ttl_hours.unwrap_or(12);
    if !(1..=720).contains(&ttl) {
        return Err(
            Problem::unprocessable("ttl_hours must be between 1 and 720")
                .with_error("/ttl_hours", "must be between 1 and 720"),
        );
    }
    let fail = || async {
        let delay = state.failures.fail(ip);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Problem::unauthorized()
    };
    let accounts = state
        .store
        .authenticate_password(&req.email, &req.password, req.org.as_deref())
        .await
        .map_err(store_problem)?;
    let mut candidates = Vec::new();
    for member in accounts {
        if let Some(org) = state
            .store
            .org_by_id(&member.org_id)
            .await
            .map_err(store_problem)?
            .filter(|o| o.status == OrgStatus::Active)
        {
            candidates.push((org, member));
        }
    }
    let (org, member) = match candidates.len() {
        1 => candidates.remove(0),
        0 => return Err(fail().await),
        _ => {
            return Err(Problem::unprocessable(
                "this email and password match accounts in several organisations: name one in `org`",
            )
            .with_error(
                "/org",
                "required when the credentials match accounts in several organisations",
            ));
        }
    };
    let (user, role) = (member.user, member.role);
    let actor = Actor {
        actor: format!("user:{}", user.id),
        org_id: Some(org.id.clone()),
        request_id: crate::auth::request_id(&parts),
        source: Some(ip.to_string()),
    };
    let (info, secret) = state
        .store
        .create_token(
            &actor,
            &NewToken {
                org_id: org.id.clone(),
                user_id: Some(user.id.clone()),
                name: format!("login {}", user.email),
                role,
                scopes: role.allowed_scopes(),
                expires_at: Some(vigilo_store::now_micros() + i64::from(ttl) * 3_600_000_000),
            },
        )
        .await
        .map_err(store_problem)?;
    Ok((
        StatusCode::CREATED,
        ApiJson(IssuedToken::new(info, secret, org.name)),
    ))
}

// ----- organisations -----

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgView {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub operator: bool,
    pub status: String,
    pub created_at: String,
}

impl From<vigilo_store::Org> for OrgView {
    fn from(o: vigilo_store::Org) -> Self {
        OrgView {
            id: o.id,
            name: o.name,
            display_name: o.display_name,
            operator: o.is_operator,
            status: o.status.as_str().to_owned(),
            created_at: rfc3339(o.created_at),
        }
    }
}

/// Organisations: all of them for the operator, one's own for everyone else.
#[utoipa::path(get, path = "/api/orgs", tag = "organisations",
    responses((status = 200, body = [OrgView]), (status = 401, body = ProblemBody)),
    security(("token" = [])))]
async fn list_orgs(State(state): State<AppState>, auth: Auth) -> ApiResult<ApiJson<Vec<OrgView>>> {
    auth.require(Scope::Read)?;
    let orgs = if auth.principal.is_operator && auth.principal.scopes.contains(Scope::Admin) {
        state.store.list_orgs().await.map_err(store_problem)?
    } else {
        state
            .store
            .org_by_id(&auth.principal.org_id)
            .await
            .map_err(store_problem)?
            .into_iter()
            .collect()
    };
    Ok(ApiJson(orgs.into_iter().map(OrgView::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    /// Short unique name: 2-63 characters a-z, 0-9, '-'.
    pub name: String,
    pub display_name: String,
}

/// Creates an organisation (hub operator only).
#[utoipa::path(post, path = "/api/orgs", tag = "organisations", request_body = CreateOrg,
    responses((status = 201, body = OrgView), (status = 403, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn create_org(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<CreateOrg>,
) -> ApiResult<impl IntoResponse> {
    auth.require_operator()?;
    let name = OrgName::parse(&req.name)
        .map_err(|e| Problem::unprocessable(e.to_string()).with_error("/name", e.to_string()))?;
    let org = state
        .store
        .create_org(&auth.actor, &name, &req.display_name, false)
        .await
        .map_err(store_problem)?;
    Ok((StatusCode::CREATED, ApiJson(OrgView::from(org))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrg {
    /// `active` or `disabled`; a disabled organisation's tokens stop working.
    pub status: String,
}

/// Disables or re-enables an organisation (hub operator only).
#[utoipa::path(patch, path = "/api/orgs/{id}", tag = "organisations", request_body = UpdateOrg,
    params(("id" = String, Path, description = "organisation id or name")),
    responses((status = 200, body = OrgView), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn update_org(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateOrg>,
) -> ApiResult<ApiJson<OrgView>> {
    auth.require_operator()?;
    let status = match req.status.as_str() {
        "active" => OrgStatus::Active,
        "disabled" => OrgStatus::Disabled,
        _ => {
            return Err(
                Problem::unprocessable("status must be `active` or `disabled`")
                    .with_error("/status", "must be `active` or `disabled`"),
            );
        }
    };
    let org = state.store.find_org(&id).await.map_err(store_problem)?;
    state
        .store
        .set_org_status(&auth.actor, &org.id, status)
        .await
        .map_err(store_problem)?;
    state.tokens.evict_org(&org.id);
    let org = state.store.find_org(&org.id).await.map_err(store_problem)?;
    Ok(ApiJson(org.into()))
}

// ----- users -----

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: String,
}

impl From<vigilo_store::Member> for MemberView {
    fn from(m: vigilo_store::Member) -> Self {
        MemberView {
            user_id: m.user.id,
            email: m.user.email,
            display_name: m.user.display_name,
            role: m.role.to_string(),
            disabled: m.user.disabled,
            created_at: rfc3339(m.user.created_at),
        }
    }
}

/// The members of the caller's organisation.
#[utoipa::path(get, path = "/api/users", tag = "identity",
    responses((status = 200, body = [MemberView]), (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn list_users(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<ApiJson<Vec<MemberView>>> {
    auth.require(Scope::Admin)?;
    let members = state
        .store
        .list_members(&auth.principal.org_id)
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(members.into_iter().map(MemberView::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: String,
    pub display_name: String,
    /// At least 12 characters; stored as an argon2id hash. Omit for a user
    /// who signs in only with tokens.
    pub password: Option<String>,
    /// admin, analyst, reporter, reader or sync.
    pub role: String,
}

/// Adds a user to the caller's organisation.
#[utoipa::path(post, path = "/api/users", tag = "identity", request_body = CreateUser,
    responses((status = 201, body = MemberView), (status = 403, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn create_user(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<CreateUser>,
) -> ApiResult<impl IntoResponse> {
    auth.require(Scope::Admin)?;
    let role = parse_role(&req.role)?;
    let member = state
        .store
        .create_user(
            &auth.actor,
            &auth.principal.org_id,
            &req.email,
            &req.display_name,
            req.password,
            role,
        )
        .await
        .map_err(store_problem)?;
    Ok((StatusCode::CREATED, ApiJson(MemberView::from(member))))
}

// ----- tokens -----

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub org_id: String,
    pub user_id: Option<String>,
    pub name: String,
    pub role: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<vigilo_store::TokenInfo> for TokenView {
    fn from(t: vigilo_store::TokenInfo) -> Self {
        TokenView {
            id: t.id,
            org_id: t.org_id,
            user_id: t.user_id,
            name: t.name,
            role: t.role.to_string(),
            scopes: t.scopes.iter().map(|s| s.to_string()).collect(),
            created_at: rfc3339(t.created_at),
            expires_at: t.expires_at.map(rfc3339),
            revoked_at: t.revoked_at.map(rfc3339),
        }
    }
}

/// The caller's organisation's tokens (never their secrets).
#[utoipa::path(get, path = "/api/tokens", tag = "identity",
    responses((status = 200, body = [TokenView]), (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn list_tokens(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<ApiJson<Vec<TokenView>>> {
    auth.require(Scope::Admin)?;
    let tokens = state
        .store
        .list_tokens(&auth.principal.org_id)
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(tokens.into_iter().map(TokenView::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub name: String,
    /// admin, analyst, reporter, reader or sync.
    pub role: String,
    /// Subset of the role's scopes (default: all of them).
    pub scopes: Option<Vec<String>>,
    /// Days until expiry (default 90; 0 for a token that does not expire).
    pub expires_in_days: Option<u32>,
    /// Bind the token to a member of the organisation.
    pub user_id: Option<String>,
    /// Organisation name; only the hub operator may issue tokens for another.
    pub org: Option<String>,
}

/// Issues an API token; its secret is in the response and never again.
#[utoipa::path(post, path = "/api/tokens", tag = "identity", request_body = CreateToken,
    responses((status = 201, body = IssuedToken), (status = 403, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn create_token(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<CreateToken>,
) -> ApiResult<impl IntoResponse> {
    auth.require(Scope::Admin)?;
    let role = parse_role(&req.role)?;
    let scopes = match &req.scopes {
        None => role.allowed_scopes(),
        Some(list) => {
            let mut set = ScopeSet::default();
            for (i, s) in list.iter().enumerate() {
                let scope: Scope = s.parse().map_err(|e: vigilo_core::ValidationError| {
                    Problem::unprocessable(e.to_string())
                        .with_error(format!("/scopes/{i}"), e.to_string())
                })?;
                set.insert(scope);
            }
            if set.is_empty() {
                return Err(Problem::unprocessable("a token needs at least one scope")
                    .with_error("/scopes", "must not be empty"));
            }
            set.check_allowed(role).map_err(|e| {
                Problem::unprocessable(e.to_string()).with_error("/scopes", e.to_string())
            })?;
            set
        }
    };
    let org = match &req.org {
        Some(name) if *name != auth.principal.org_name => {
            auth.require_operator()?;
            state.store.find_org(name).await.map_err(|e| match e {
                StoreError::NotFound { .. } => {
                    Problem::unprocessable(format!("no organisation named {name}"))
                        .with_error("/org", "no such organisation")
                }
                e => store_problem(e),
            })?
        }
        _ => state
            .store
            .find_org(&auth.principal.org_id)
            .await
            .map_err(store_problem)?,
    };
    let days = req.expires_in_days.unwrap_or(90);
    if days > 3650 {
        return Err(
            Problem::unprocessable("expires_in_days must be at most 3650")
                .with_error("/expires_in_days", "must be at most 3650"),
        );
    }
    let expires_at =
        (days > 0).then(|| vigilo_store::now_micros() + i64::from(days) * 86_400_000_000);
    let (info, secret) = state
        .store
        .create_token(
            &auth.actor,
            &NewToken {
                org_id: org.id.clone(),
                user_id: req.user_id.clone(),
                name: req.name.clone(),
                role,
                scopes,
                expires_at,
            },
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound { kind: "member", .. } => {
                Problem::unprocessable("user_id is not a member of the organisation")
                    .with_error("/user_id", "not a member of the organisation")
            }
            e => store_problem(e),
        })?;
    Ok((
        StatusCode::CREATED,
        ApiJson(IssuedToken::new(info, secret, org.name)),
    ))
}

/// Revokes a token of the caller's organisation (the operator: any token).
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "identity",
    params(("id" = String, Path, description = "token id")),
    responses((status = 200, body = TokenView), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn revoke_token(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<TokenView>> {
    auth.require(Scope::Admin)?;
    let scope = (!auth.principal.is_operator).then_some(auth.principal.org_id.as_str());
    let info = state
        .store
        .revoke_token(&auth.actor, scope, &id)
        .await
        .map_err(store_problem)?;
    state.tokens.evict_token(&info.id);
    Ok(ApiJson(info.into()))
}

// ----- profile -----

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    pub legal_name: String,
    #[serde(default)]
    pub jurisdictions: Vec<String>,
    #[serde(default)]
    pub sectors: Vec<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// The partnership agreements the organisation is bound by, as the rule
    /// packs name them: `coordinator.member` (a coordinator's membership
    /// agreement), `cn.miit.cooperation`.
    #[serde(default)]
    pub partnerships: Vec<String>,
    /// The IANA time zone of each duty recipient whose deadlines count in
    /// its local days: `{"coordinator": "Europe/Berlin"}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub recipient_zones: std::collections::BTreeMap<String, String>,
    /// Contact details (personal data): sealed at rest, shown only with
    /// `?reveal=true` to administrators, and every reveal is audited.
    #[schema(value_type = Option<Object>)]
    pub security_contact: Option<serde_json::Value>,
    /// Set by the hub.
    #[serde(default, skip_deserializing)]
    pub updated_at: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RevealQuery {
    /// Include the sealed security contact (admin scope; audited).
    #[serde(default)]
    pub reveal: bool,
}

/// The caller's organisation's profile.
#[utoipa::path(get, path = "/api/org/profile", tag = "organisations", params(RevealQuery),
    responses((status = 200, body = ProfileBody), (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn get_profile(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<RevealQuery>,
) -> ApiResult<ApiJson<ProfileBody>> {
    auth.require(Scope::Read)?;
    if q.reveal {
        auth.require(Scope::Admin)?;
    }
    let p = state
        .store
        .get_profile(&auth.actor, &auth.principal.org_id, q.reveal)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found("this organisation has no profile yet"))?;
    Ok(ApiJson(ProfileBody {
        legal_name: p.legal_name,
        jurisdictions: p.jurisdictions,
        sectors: p.sectors,
        roles: p.roles,
        partnerships: p.partnerships,
        recipient_zones: p.recipient_zones,
        security_contact: p.security_contact,
        updated_at: Some(rfc3339(p.updated_at)),
    }))
}

fn check_codes(pointer: &str, values: &[String]) -> ApiResult<()> {
    for (i, v) in values.iter().enumerate() {
        let ok = !v.is_empty()
            && v.len() <= 64
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            let msg = "must be 1-64 characters of letters, digits, '-' and '_'";
            return Err(Problem::unprocessable(format!("{pointer}/{i}: {msg}"))
                .with_error(format!("{pointer}/{i}"), msg));
        }
    }
    Ok(())
}

/// The partnership names the rule packs know (`{partnership: NAME}` in an
/// `applies_if`), sorted.
fn known_partnerships(rules: &vigilo_duties::Rules) -> Vec<String> {
    fn walk(c: &vigilo_duties::Condition, out: &mut std::collections::BTreeSet<String>) {
        if let Some(p) = &c.partnership {
            out.insert(p.clone());
        }
        for list in [&c.all, &c.any].into_iter().flatten() {
            for c in list {
                walk(c, out);
            }
        }
        if let Some(n) = &c.not {
            walk(n, out);
        }
    }
    let mut out = std::collections::BTreeSet::new();
    for pack in &rules.packs {
        walk(&pack.applies_if, &mut out);
    }
    out.into_iter().collect()
}

/// Partnerships must be ones a rule pack knows (`coordinator.member`,
/// `cn.miit.cooperation`): an unknown name would silently apply nothing.
fn check_partnerships(names: &[String]) -> ApiResult<()> {
    let known = known_partnerships(crate::cases_api::rules()?);
    for (i, name) in names.iter().enumerate() {
        if !known.contains(name) {
            let msg = format!(
                "unknown partnership {name:?}: the rule packs know {}",
                known.join(", ")
            );
            return Err(Problem::unprocessable(format!("/partnerships/{i}: {msg}"))
                .with_error(format!("/partnerships/{i}"), msg));
        }
    }
    Ok(())
}

/// Recipient zones must be IANA time zones jiff knows.
fn check_zones(zones: &std::collections::BTreeMap<String, String>) -> ApiResult<()> {
    for (recipient, tz) in zones {
        let pointer = crate::problem::pointer_push("/recipient_zones", recipient);
        if recipient.is_empty() || recipient.len() > 128 {
            return Err(
                Problem::unprocessable(format!("{pointer}: bad recipient name"))
                    .with_error(pointer, "recipient names are 1-128 characters"),
            );
        }
        if let Err(e) = jiff::tz::TimeZone::get(tz) {
            let msg = format!("{tz:?} is not a time zone this hub knows: {e}");
            return Err(
                Problem::unprocessable(format!("{pointer}: {msg}")).with_error(pointer, msg)
            );
        }
    }
    Ok(())
}

/// Creates or replaces the caller's organisation's profile.
#[utoipa::path(put, path = "/api/org/profile", tag = "organisations", request_body = ProfileBody,
    responses((status = 204), (status = 403, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn put_profile(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<ProfileBody>,
) -> ApiResult<StatusCode> {
    auth.require(Scope::Admin)?;
    if req.legal_name.trim().is_empty() || req.legal_name.len() > 300 {
        return Err(
            Problem::unprocessable("legal_name must be 1-300 characters")
                .with_error("/legal_name", "must be 1-300 characters"),
        );
    }
    check_codes("/jurisdictions", &req.jurisdictions)?;
    check_codes("/sectors", &req.sectors)?;
    check_codes("/roles", &req.roles)?;
    check_partnerships(&req.partnerships)?;
    check_zones(&req.recipient_zones)?;
    if let Some(c) = &req.security_contact {
        if !c.is_object() {
            return Err(Problem::unprocessable("security_contact must be an object")
                .with_error("/security_contact", "must be an object"));
        }
    }
    let profile = OrgProfile {
        legal_name: req.legal_name.trim().to_owned(),
        jurisdictions: req.jurisdictions,
        sectors: req.sectors,
        roles: req.roles,
        partnerships: req.partnerships,
        recipient_zones: req.recipient_zones,
        security_contact: req.security_contact,
        updated_at: 0,
    };
    state
        .store
        .put_profile(&auth.actor, &auth.principal.org_id, &profile)
        .await
        .map_err(store_problem)?;
    Ok(StatusCode::NO_CONTENT)
}

// ----- audit -----

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Return events after this sequence number.
    pub after: Option<i64>,
    /// At most this many events (default 100, at most 1000).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub org_id: Option<String>,
    pub action: String,
    pub object: String,
    pub request_id: Option<String>,
    pub source: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub events: Vec<AuditEventView>,
    /// Pass as `after` for the next page; absent at the end.
    pub next_after: Option<i64>,
}

/// The caller's organisation's audit events (audit scope). Reading the
/// audit log is itself recorded.
#[utoipa::path(get, path = "/api/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn list_audit(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<AuditQuery>,
) -> ApiResult<ApiJson<AuditPage>> {
    auth.require(Scope::Audit)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Problem::bad_request("limit must be between 1 and 1000"));
    }
    let after = q.after.unwrap_or(0).max(0);
    let org = auth.principal.org_id.as_str();
    let events = state
        .store
        .audit_events(Some(org), after, limit)
        .await
        .map_err(store_problem)?;
    state
        .store
        .record(
            &auth.actor,
            Some(org),
            "audit.read",
            &format!("audit:{org}"),
            Some(serde_json::json!({"after": after, "count": events.len()})),
        )
        .await
        .map_err(store_problem)?;
    let next_after = (events.len() as i64 == limit)
        .then(|| events.last().map(|e| e.seq))
        .flatten();
    Ok(ApiJson(AuditPage {
        events: events
            .into_iter()
            .map(|e| AuditEventView {
                seq: e.seq,
                at: rfc3339(e.at),
                actor: e.actor,
                org_id: e.org_id,
                action: e.action,
                object: e.object,
                request_id: e.request_id,
                source: e.source,
                detail: e.detail.and_then(|d| serde_json::from_str(&d).ok()),
                prev_hash: hex::encode(e.prev_hash),
                hash: hex::encode(e.hash),
            })
            .collect(),
        next_after,
    }))
}
