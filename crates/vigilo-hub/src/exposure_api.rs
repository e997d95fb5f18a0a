//! Exposure: which of an organisation's assets run a component an advisory
//! affects, kept up to date as advisories and inventories arrive.
//!
//! ```text
//! GET /api/exposure?advisory=&asset=&status=&since=&after=&limit=   (scope read)
//!   → {"advisories": [{"id", "aliases", "summary", "severity",
//!                      "assets": [{"asset": {"id", "name"}, "finding",
//!                                  "component": {"ecosystem", "name", "version", "purl"},
//!                                  "path", "status", "first_seen", "last_seen", "resolved_at"}]}],
//!      "next_after": "<advisory id>" | null}
//! GET /api/exposure/{advisory_id}                 (scope read; an alias such as a CVE id too)
//! GET /api/assets/{id}/findings?status=&since=&after=&limit=        (scope read)
//!   → {"findings": [...], "next_after": "<finding id>" | null}
//! ```
//!
//! `status` is `affected`, `mitigated` or `unknown` (open findings with
//! that status), `open` (the default: every open finding), `resolved` or
//! `all`; `since` (RFC 3339) keeps findings first seen at or after it.
//! Everything is scoped to the caller's organisation.
//!
//! **Matching.** The one matcher is `vigilo_core::matching` (the hub's
//! [`AdvisoryIndex`]); a finding's status follows the scanner's semantics
//! (`vigilo_scan::findings::status` and the report's per-advisory verdict):
//! `mitigated` when the component's mitigations neutralise the advisory (its
//! id or an alias), `unknown` when the evidence proves only an open-ended
//! version range, `affected` otherwise. Two triggers keep findings current,
//! both recorded through `vigilo_store::exposure`:
//!
//! - an upload (`POST /api/assets`) matches that asset's new inventory
//!   against every advisory at once ([`match_asset`]);
//! - a change of the advisories (the store's generation counter moves:
//!   an API upload, `vigilo advisories import`, federation) makes the job
//!   runner ([`crate::jobs`]) enqueue an `exposure.rematch` job, deduplicated
//!   by generation, which matches only the advisories changed since their
//!   last match against the components of every inventory that carry one
//!   of their packages ([`rematch`]), then queues an `exposure.new` webhook
//!   delivery for each finding that became open and affected
//!   ([`queue_exposure_notices`]).
//!
//! An organisation's findings come from its own assets only. A public
//! advisory is matched against every organisation's assets; an
//! organisation's own advisory against its owner's only.

use std::collections::{HashMap, HashSet};

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigilo_core::advisory::Advisory;
use vigilo_core::inventory::Status;
use vigilo_core::{Ecosystem, Scope};
use vigilo_store::assets::component_key;
use vigilo_store::exposure::{ComponentNote, NewFinding, parse_status};
use vigilo_store::webhooks::EVENT_EXPOSURE;
use vigilo_store::{
    Actor, ApplyReport, FindingFilter, FindingState, NewDelivery, NoticeKey, Store, StoreError,
    StoredFinding, micros_to_rfc3339,
};

use crate::ApiQuery as Query;
use crate::AppState;
use crate::advisories::{AdvisoryCache, AdvisoryIndex};
use crate::api::store_problem;
use crate::auth::Auth;
use crate::json::ApiJson;
use crate::problem::{Problem, ProblemBody};

/// The job kind that re-matches changed advisories; its payload is
/// `{"generation": N}`, its dedupe key `exposure.rematch:N`.
pub const REMATCH_JOB: &str = "exposure.rematch";
/// Stale assets matched whole by one re-match job, at most.
const STALE_ASSETS_PER_JOB: i64 = 1000;
/// Above this many changed packages, the packages no inventory holds are
/// skipped using one query instead of one lookup each.
const PACKAGES_LOOKUP_ALL: usize = 64;
/// Notices read per query.
const NOTICE_BATCH: i64 = 500;
/// Entries per page by default, and at most.
const DEFAULT_PAGE: i64 = 100;
const MAX_PAGE: i64 = 1000;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_exposure))
        .routes(routes!(get_exposure))
        .routes(routes!(asset_findings))
}

// ----- matching -----

/// The notes of a `vigilo-scan/1` report's components that change a
/// finding's status (`version_range`, `mitigated`), by `seq` (position in
/// `components`, from 1, as the assets store numbers them).
pub(crate) fn notes_from_document(doc: &Value) -> Vec<ComponentNote> {
    let Some(list) = doc.get("components").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let version_range = c
                .get("version_range")
                .and_then(Value::as_str)
                .filter(|r| !r.trim().is_empty())
                .map(str::to_owned);
            let mitigated: Vec<String> = c
                .get("mitigated")
                .and_then(Value::as_array)
                .map(|m| {
                    m.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            (version_range.is_some() || !mitigated.is_empty()).then(|| ComponentNote {
                seq: i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1),
                version_range,
                mitigated,
            })
        })
        .collect()
}

/// The status of a component matching `advisory`, as the scanner decides
/// it (`vigilo_scan::findings::status` and the report's per-advisory
/// verdict).
fn finding_status(note: Option<&ComponentNote>, advisory: &Advisory) -> Status {
    let Some(note) = note else {
        return Status::Affected;
    };
    let neutralised = note.mitigated.iter().any(|m| {
        m.eq_ignore_ascii_case(&advisory.id)
            || advisory.aliases.iter().any(|a| m.eq_ignore_ascii_case(a))
    });
    if neutralised {
        return Status::Mitigated;
    }
    let open_ended = note
        .version_range
        .as_deref()
        .is_some_and(|r| r.starts_with(">=") && !r.contains('<'));
    if open_ended {
        Status::Unknown
    } else {
        Status::Affected
    }
}

/// Whether organisation `org` has advisory `id` matched against its assets.
///
/// For now: public advisories, and the organisation's own. When advisories
/// carry markings (issue 8, "what is shared"), this is where
/// `vigilo_core::marking::may_see` restricts which advisories match which
/// organisations' assets: an advisory an organisation may not see must
/// never raise a finding for it.
fn matches_for(index: &AdvisoryIndex, id: &str, org: &str) -> bool {
    index.visible(id, Some(org))
}

/// One component to match.
struct Component<'a> {
    org_id: &'a str,
    asset_id: &'a str,
    scans: i64,
    ecosystem: &'a str,
    name: &'a str,
    version: &'a str,
    purl: Option<&'a str>,
    path: Option<&'a str>,
    note: Option<&'a ComponentNote>,
}

/// Matches one component through the index; `only` keeps the advisories
/// it names.
fn match_component(
    index: &AdvisoryIndex,
    c: &Component<'_>,
    only: Option<&HashSet<&str>>,
    out: &mut Vec<NewFinding>,
) {
    let ecosystem = Ecosystem::parse(c.ecosystem);
    let mut seen: HashSet<&str> = HashSet::new();
    for m in index.index.query(&ecosystem, c.name, c.version) {
        if only.is_some_and(|ids| !ids.contains(m.advisory_id))
            || !seen.insert(m.advisory_id)
            || !matches_for(index, m.advisory_id, c.org_id)
        {
            continue;
        }
        let Some(advisory) = index.index.get(m.advisory_id) else {
            continue;
        };
        out.push(NewFinding {
            org_id: c.org_id.to_owned(),
            asset_id: c.asset_id.to_owned(),
            scans: c.scans,
            advisory_id: advisory.id.clone(),
            ecosystem: c.ecosystem.to_owned(),
            name: c.name.to_owned(),
            version: c.version.to_owned(),
            purl: c.purl.map(str::to_owned),
            path: c.path.map(str::to_owned),
            status: finding_status(c.note, advisory),
        });
    }
}

/// Matches the asset's upload `scans` whole against every advisory in
/// `index` and records the findings (see
/// [`Store::apply_asset_findings`]). `notes` are its report's component
/// notes; `None` reads them from the stored report. `None` when the asset
/// is gone or was uploaded again meanwhile.
pub(crate) async fn match_asset(
    store: &Store,
    index: &AdvisoryIndex,
    actor: &Actor,
    org_id: &str,
    asset_id: &str,
    scans: i64,
    notes: Option<Vec<ComponentNote>>,
) -> Result<Option<ApplyReport>, StoreError> {
    let notes = match notes {
        Some(n) => n,
        None => match store.asset_document(org_id, asset_id).await? {
            Some(doc) => serde_json::from_str::<Value>(&doc)
                .map(|d| notes_from_document(&d))
                .unwrap_or_default(),
            None => return Ok(None),
        },
    };
    let by_seq: HashMap<i64, &ComponentNote> = notes.iter().map(|n| (n.seq, n)).collect();
    let mut found = Vec::new();
    let mut after = 0;
    loop {
        let page = store
            .asset_components(org_id, asset_id, after, 10_000)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for c in &page {
            match_component(
                index,
                &Component {
                    org_id,
                    asset_id,
                    scans,
                    ecosystem: &c.ecosystem,
                    name: &c.name,
                    version: &c.version,
                    purl: c.purl.as_deref(),
                    path: c.path.as_deref(),
                    note: by_seq.get(&c.seq).copied(),
                },
                None,
                &mut found,
            );
        }
    }
    store
        .apply_asset_findings(actor, org_id, asset_id, scans, &notes, &found)
        .await
}

/// After an upload: refreshes the index and matches the asset whole.
/// A failure is logged, not the caller's: the next re-match job matches
/// any asset whose upload was not matched.
pub(crate) async fn match_uploaded_asset(
    state: &AppState,
    actor: &Actor,
    org_id: &str,
    asset_id: &str,
    scans: i64,
    notes: Vec<ComponentNote>,
) {
    let index = current_index(state).await;
    match match_asset(
        &state.store,
        &index,
        actor,
        org_id,
        asset_id,
        scans,
        Some(notes),
    )
    .await
    {
        Ok(Some(r)) => tracing::debug!(asset = %asset_id, report = ?r, "asset matched"),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(asset = %asset_id, error = %e, "matching an uploaded asset failed; the re-match job will")
        }
    }
}

/// What a re-match did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RematchReport {
    /// The advisories generation of the index it matched with.
    pub generation: i64,
    /// Assets whose upload had not been matched, matched whole.
    pub assets: usize,
    /// Changed advisories matched against every inventory.
    pub advisories: usize,
    /// Changed advisories left for a later job (newer than the index).
    pub later: usize,
    /// What recording the advisories' findings did.
    pub applied: ApplyReport,
}

/// Re-matches what changed: assets whose upload was not matched (whole),
/// then the advisories changed since their last match (against the
/// components carrying their packages). Records the generation matched.
pub async fn rematch(store: &Store, cache: &AdvisoryCache) -> Result<RematchReport, StoreError> {
    cache.refresh(store).await?;
    let index = cache.get();
    let mut report = RematchReport {
        generation: index.generation,
        ..RematchReport::default()
    };
    let system = Actor::system();
    for stale in store.stale_exposure_assets(STALE_ASSETS_PER_JOB).await? {
        if match_asset(
            store,
            &index,
            &system,
            &stale.org_id,
            &stale.asset_id,
            stale.scans,
            None,
        )
        .await?
        .is_some()
        {
            report.assets += 1;
        }
    }
    let changed = store.changed_exposure_advisories().await?;
    // Only the advisories the index holds at the version stored: a newer
    // one is matched by the job of its own generation.
    let (ready, later): (Vec<_>, Vec<_>) = changed
        .changed
        .into_iter()
        .partition(|a| index.modified(&a.id) == Some(a.modified.as_str()));
    report.later = later.len();
    report.advisories = ready.len();
    if !ready.is_empty() || !changed.gone.is_empty() {
        let ids: HashSet<&str> = ready.iter().map(|a| a.id.as_str()).collect();
        let mut packages: HashSet<(String, String)> = ready
            .iter()
            .flat_map(|a| a.packages.iter().map(|(e, n)| component_key(e, n)))
            .collect();
        if packages.len() > PACKAGES_LOOKUP_ALL {
            let held = store.exposure_package_keys().await?;
            packages.retain(|k| held.contains(k));
        }
        let mut found = Vec::new();
        for (ecosystem, name) in &packages {
            for c in store.exposure_candidates(ecosystem, name).await? {
                match_component(
                    &index,
                    &Component {
                        org_id: &c.org_id,
                        asset_id: &c.asset_id,
                        scans: c.scans,
                        ecosystem: &c.component.ecosystem,
                        name: &c.component.name,
                        version: &c.component.version,
                        purl: c.component.purl.as_deref(),
                        path: c.component.path.as_deref(),
                        note: c.note.as_ref(),
                    },
                    Some(&ids),
                    &mut found,
                );
            }
        }
        report.applied = store
            .apply_advisory_findings(&system, &ready, &changed.gone, &found)
            .await?;
    }
    store.set_exposure_generation(index.generation).await?;
    Ok(report)
}

/// The body of an `exposure.new` delivery (the runner adds `delivery` and
/// `sent_at`): the advisory, the asset, the component and its evidence
/// path, the status; nothing else.
fn notice_payload(f: &StoredFinding) -> Value {
    json!({
        "event": EVENT_EXPOSURE,
        "org": f.org_id,
        "advisory": {"id": f.advisory_id, "aliases": f.advisory_aliases, "summary": f.advisory_summary},
        "asset": {"id": f.asset_id, "name": f.asset_name},
        "component": {"ecosystem": f.ecosystem, "name": f.name, "version": f.version, "purl": f.purl},
        "path": f.path,
        "status": f.status,
    })
}

/// Queues an `exposure.new` delivery to each active webhook of the
/// finding's (active) organisation that wants the event, for every notice
/// owed, each once (keyed by webhook, finding and the instant it opened);
/// then marks the notices queued. Returns the deliveries queued.
pub async fn queue_exposure_notices(
    store: &Store,
    max_attempts: i64,
    now: i64,
) -> Result<usize, StoreError> {
    let active: HashSet<String> = store
        .orgs_with_active_webhooks()
        .await?
        .into_iter()
        .collect();
    let mut hooks_of: HashMap<String, Vec<vigilo_store::Webhook>> = HashMap::new();
    let mut queued = 0;
    loop {
        let pending = store.pending_exposure_notices(NOTICE_BATCH).await?;
        for n in &pending {
            let f = &n.finding;
            if active.contains(&f.org_id) {
                if !hooks_of.contains_key(&f.org_id) {
                    let hooks = store
                        .list_webhooks(&f.org_id)
                        .await?
                        .into_iter()
                        .filter(|h| h.active && h.wants(EVENT_EXPOSURE))
                        .collect();
                    hooks_of.insert(f.org_id.clone(), hooks);
                }
                for hook in hooks_of.get(&f.org_id).map(Vec::as_slice).unwrap_or(&[]) {
                    let key = NoticeKey {
                        webhook_id: hook.id.clone(),
                        duty_id: format!("finding:{}", f.id),
                        event: EVENT_EXPOSURE.to_owned(),
                        lead_minutes: 0,
                        due_at: f.opened_at,
                    };
                    let new = NewDelivery {
                        webhook_id: hook.id.clone(),
                        org_id: f.org_id.clone(),
                        event: EVENT_EXPOSURE.to_owned(),
                        duty_id: None,
                        payload: notice_payload(f),
                        max_attempts,
                        run_at: now,
                    };
                    if store
                        .queue_delivery(&new, Some(&key), None)
                        .await?
                        .is_some()
                    {
                        queued += 1;
                    }
                }
            }
            store.clear_exposure_notice(&f.id, f.opened_at).await?;
        }
        if i64::try_from(pending.len()).unwrap_or(i64::MAX) < NOTICE_BATCH {
            break;
        }
    }
    Ok(queued)
}

// ----- views -----

/// An asset, as exposure names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetRef {
    pub id: String,
    pub name: String,
}

/// The component a finding is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentRef {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    pub purl: Option<String>,
}

/// An advisory, as exposure names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdvisoryRef {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    /// `low`, `medium`, `high`, `critical`, or null when unrated.
    pub severity: Option<String>,
}

/// One affected component of one asset.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExposedAsset {
    pub asset: AssetRef,
    /// The finding's id.
    pub finding: String,
    pub component: ComponentRef,
    /// The evidence path chain, as the scanner reports it.
    pub path: Option<String>,
    /// `affected`, `mitigated` or `unknown`.
    pub status: String,
    pub first_seen: String,
    pub last_seen: String,
    /// When a match stopped finding it; null while open.
    pub resolved_at: Option<String>,
}

/// One advisory and the organisation's assets it affects.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdvisoryExposure {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    /// `low`, `medium`, `high`, `critical`, or null when unrated.
    pub severity: Option<String>,
    pub assets: Vec<ExposedAsset>,
}

/// A page of advisories with their exposure.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExposureList {
    pub advisories: Vec<AdvisoryExposure>,
    /// Pass as `after` for the next page; absent at the end.
    pub next_after: Option<String>,
}

/// A finding of one asset.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingView {
    pub id: String,
    pub advisory: AdvisoryRef,
    pub component: ComponentRef,
    pub path: Option<String>,
    pub status: String,
    pub first_seen: String,
    pub last_seen: String,
    pub resolved_at: Option<String>,
}

/// A page of an asset's findings.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingList {
    pub asset: AssetRef,
    pub findings: Vec<FindingView>,
    /// Pass as `after` for the next page; absent at the end.
    pub next_after: Option<String>,
}

/// The advisory index, reloaded first if the advisories changed (a check of
/// the generation counter), for the severities the answers show.
async fn current_index(state: &AppState) -> std::sync::Arc<AdvisoryIndex> {
    if let Err(e) = state.advisories.refresh(&state.store).await {
        tracing::warn!(error = %e, "refreshing the advisory index failed");
    }
    state.advisories.get()
}

fn severity(index: &AdvisoryIndex, id: &str) -> Option<String> {
    index
        .index
        .get(id)
        .and_then(|a| a.severity)
        .map(|s| s.as_str().to_owned())
}

fn component_ref(f: &StoredFinding) -> ComponentRef {
    ComponentRef {
        ecosystem: f.ecosystem.clone(),
        name: f.name.clone(),
        version: f.version.clone(),
        purl: f.purl.clone(),
    }
}

fn exposed(f: StoredFinding) -> ExposedAsset {
    ExposedAsset {
        component: component_ref(&f),
        asset: AssetRef {
            id: f.asset_id,
            name: f.asset_name,
        },
        finding: f.id,
        path: f.path,
        status: f.status,
        first_seen: micros_to_rfc3339(f.first_seen),
        last_seen: micros_to_rfc3339(f.last_seen),
        resolved_at: f.resolved_at.map(micros_to_rfc3339),
    }
}

/// Groups findings (ordered by advisory) per advisory, in `order`.
fn group(
    index: &AdvisoryIndex,
    order: &[String],
    findings: Vec<StoredFinding>,
) -> Vec<AdvisoryExposure> {
    let mut by_id: HashMap<String, AdvisoryExposure> = HashMap::new();
    for f in findings {
        let entry = by_id
            .entry(f.advisory_id.clone())
            .or_insert_with(|| AdvisoryExposure {
                id: f.advisory_id.clone(),
                aliases: f.advisory_aliases.clone(),
                summary: f.advisory_summary.clone(),
                severity: severity(index, &f.advisory_id),
                assets: Vec::new(),
            });
        entry.assets.push(exposed(f));
    }
    order.iter().filter_map(|id| by_id.remove(id)).collect()
}

// ----- queries -----

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExposureQuery {
    /// Only this advisory: its id, or an alias (a CVE id).
    pub advisory: Option<String>,
    /// Only this asset (its id).
    pub asset: Option<String>,
    /// `open` (default), `affected`, `mitigated`, `unknown`, `resolved` or `all`.
    pub status: Option<String>,
    /// Only findings first seen at or after this RFC 3339 time.
    pub since: Option<String>,
    /// Advisories after this id (the previous page's `next_after`).
    pub after: Option<String>,
    /// At most this many advisories (1-1000, default 100).
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OneExposureQuery {
    /// Only this asset (its id).
    pub asset: Option<String>,
    /// `open` (default), `affected`, `mitigated`, `unknown`, `resolved` or `all`.
    pub status: Option<String>,
    /// Only findings first seen at or after this RFC 3339 time.
    pub since: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FindingsQuery {
    /// `open` (default), `affected`, `mitigated`, `unknown`, `resolved` or `all`.
    pub status: Option<String>,
    /// Only findings first seen at or after this RFC 3339 time.
    pub since: Option<String>,
    /// Findings after this id (the previous page's `next_after`).
    pub after: Option<String>,
    /// At most this many findings (1-1000, default 100).
    pub limit: Option<i64>,
}

fn state_of(status: Option<&str>) -> Result<FindingState, Problem> {
    match status.map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("open") => Ok(FindingState::Open),
        Some("resolved") => Ok(FindingState::Resolved),
        Some("all") => Ok(FindingState::All),
        Some(s) => parse_status(s).map(FindingState::Status).ok_or_else(|| {
            let m = "must be one of open, affected, mitigated, unknown, resolved, all";
            Problem::bad_request(format!("status: {m}")).with_error("/status", m)
        }),
    }
}

fn since_of(since: Option<&str>) -> Result<Option<i64>, Problem> {
    since
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<jiff::Timestamp>()
                .map(|t| t.as_microsecond())
                .map_err(|_| {
                    let m = "not an RFC 3339 time";
                    Problem::bad_request(format!("since: {m}")).with_error("/since", m)
                })
        })
        .transpose()
}

fn limit_of(limit: Option<i64>) -> Result<i64, Problem> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if (1..=MAX_PAGE).contains(&limit) {
        Ok(limit)
    } else {
        let m = format!("must be between 1 and {MAX_PAGE}");
        Err(Problem::bad_request(format!("limit {m}")).with_error("/limit", m))
    }
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

// ----- handlers -----

/// The caller's organisation's exposure, per advisory (by id): each
/// advisory with the assets (and components) it affects. Filters:
/// `advisory` (an id or an alias), `asset`, `status`, `since`.
#[utoipa::path(get, path = "/api/exposure", tag = "exposure", params(ExposureQuery),
    responses((status = 200, body = ExposureList), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn list_exposure(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ExposureQuery>,
) -> Result<ApiJson<ExposureList>, Problem> {
    auth.require(Scope::Read)?;
    let filter = FindingFilter {
        advisory: nonempty(q.advisory),
        asset: nonempty(q.asset),
        state: state_of(q.status.as_deref())?,
        since: since_of(q.since.as_deref())?,
    };
    let limit = limit_of(q.limit)?;
    let org = auth.principal.org_id.as_str();
    let after = nonempty(q.after);
    let ids = state
        .store
        .list_exposed_advisories(org, &filter, after.as_deref(), limit)
        .await
        .map_err(store_problem)?;
    let findings = state
        .store
        .findings_of_advisories(org, &filter, &ids)
        .await
        .map_err(store_problem)?;
    let next_after = (i64::try_from(ids.len()).unwrap_or(i64::MAX) == limit)
        .then(|| ids.last().cloned())
        .flatten();
    let index = current_index(&state).await;
    Ok(ApiJson(ExposureList {
        advisories: group(&index, &ids, findings),
        next_after,
    }))
}

/// One advisory (by id, or by an alias such as a CVE id) with the caller's
/// organisation's assets it affects. 404 when the caller may not see such
/// an advisory.
#[utoipa::path(get, path = "/api/exposure/{advisory_id}", tag = "exposure",
    params(("advisory_id" = String, Path, description = "advisory id or alias"), OneExposureQuery),
    responses((status = 200, body = AdvisoryExposure), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn get_exposure(
    State(state): State<AppState>,
    auth: Auth,
    Path(advisory_id): Path<String>,
    Query(q): Query<OneExposureQuery>,
) -> Result<ApiJson<AdvisoryExposure>, Problem> {
    auth.require(Scope::Read)?;
    let org = auth.principal.org_id.as_str();
    let found = state
        .store
        .advisory(&advisory_id, Some(org))
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found(format!("no advisory {advisory_id}")))?;
    let filter = FindingFilter {
        advisory: Some(found.id.clone()),
        asset: nonempty(q.asset),
        state: state_of(q.status.as_deref())?,
        since: since_of(q.since.as_deref())?,
    };
    let findings = state
        .store
        .findings_of_advisories(org, &filter, std::slice::from_ref(&found.id))
        .await
        .map_err(store_problem)?;
    let index = current_index(&state).await;
    let record: Value = serde_json::from_str(&found.json).unwrap_or(Value::Null);
    let aliases = record
        .get("aliases")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let summary = record
        .get("summary")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(ApiJson(AdvisoryExposure {
        severity: severity(&index, &found.id),
        id: found.id,
        aliases,
        summary,
        assets: findings.into_iter().map(exposed).collect(),
    }))
}

/// One of the caller's organisation's assets with a page of its findings,
/// in the order they were raised. Another organisation's asset is a 404.
#[utoipa::path(get, path = "/api/assets/{id}/findings", tag = "exposure",
    params(("id" = String, Path, description = "asset id"), FindingsQuery),
    responses((status = 200, body = FindingList), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn asset_findings(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<FindingsQuery>,
) -> Result<ApiJson<FindingList>, Problem> {
    auth.require(Scope::Read)?;
    let org = auth.principal.org_id.as_str();
    let filter = FindingFilter {
        advisory: None,
        asset: Some(id.clone()),
        state: state_of(q.status.as_deref())?,
        since: since_of(q.since.as_deref())?,
    };
    let limit = limit_of(q.limit)?;
    let asset = state
        .store
        .asset(org, &id)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found(format!("no asset {id}")))?;
    let rows = state
        .store
        .list_findings(org, &filter, nonempty(q.after).as_deref(), limit)
        .await
        .map_err(store_problem)?;
    let next_after = (i64::try_from(rows.len()).unwrap_or(i64::MAX) == limit)
        .then(|| rows.last().map(|f| f.id.clone()))
        .flatten();
    let index = current_index(&state).await;
    Ok(ApiJson(FindingList {
        asset: AssetRef {
            id: asset.id,
            name: asset.name,
        },
        findings: rows
            .into_iter()
            .map(|f| FindingView {
                advisory: AdvisoryRef {
                    severity: severity(&index, &f.advisory_id),
                    id: f.advisory_id.clone(),
                    aliases: f.advisory_aliases.clone(),
                    summary: f.advisory_summary.clone(),
                },
                component: component_ref(&f),
                id: f.id,
                path: f.path,
                status: f.status,
                first_seen: micros_to_rfc3339(f.first_seen),
                last_seen: micros_to_rfc3339(f.last_seen),
                resolved_at: f.resolved_at.map(micros_to_rfc3339),
            })
            .collect(),
        next_after,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advisory(id: &str, aliases: &[&str]) -> Advisory {
        Advisory {
            id: id.into(),
            modified: "2024-01-01T00:00:00Z".into(),
            published: None,
            withdrawn: None,
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            related: Vec::new(),
            summary: None,
            severity: None,
            affected: Vec::new(),
        }
    }

    #[test]
    fn status_follows_the_scanners_verdict() {
        let log4shell = advisory("GHSA-jfh8-c2jp-5v3q", &["CVE-2021-44228"]);
        assert_eq!(finding_status(None, &log4shell), Status::Affected);
        let mitigated = ComponentNote {
            seq: 1,
            version_range: Some(">=2.0-beta9, <2.15.0".into()),
            mitigated: vec!["cve-2021-44228".into()],
        };
        assert_eq!(
            finding_status(Some(&mitigated), &log4shell),
            Status::Mitigated
        );
        let other = advisory("GHSA-7rjr-3q55-vv33", &["CVE-2021-45046"]);
        assert_eq!(finding_status(Some(&mitigated), &other), Status::Affected);
        let open = ComponentNote {
            seq: 1,
            version_range: Some(">=2.0-beta9".into()),
            mitigated: Vec::new(),
        };
        assert_eq!(finding_status(Some(&open), &other), Status::Unknown);
    }

    #[test]
    fn notes_come_from_the_reports_components_by_position() {
        let doc = json!({"components": [
            {"name": "a", "version_range": null, "mitigated": []},
            {"name": "b", "version_range": ">=2.0", "mitigated": ["CVE-1"]},
            {"name": "c"},
        ]});
        let notes = notes_from_document(&doc);
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].seq, 2);
        assert_eq!(notes[0].version_range.as_deref(), Some(">=2.0"));
        assert_eq!(notes[0].mitigated, ["CVE-1"]);
    }
}
