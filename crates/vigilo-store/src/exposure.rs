//! Exposure: findings raised by matching the stored asset inventories
//! ([`crate::assets`]) against the advisories ([`crate::advisories`]).
//!
//! The store does not match (the hub does, with `vigilo_core::matching`);
//! it keeps what the matches found and what has been matched, so that
//! re-matching is incremental:
//!
//! - **an asset's inventory** is matched whole against every advisory when it
//!   is uploaded ([`Store::apply_asset_findings`]); `exposure_assets` records
//!   which upload (the asset's `scans`) was matched, so an asset whose match
//!   was missed ([`Store::stale_exposure_assets`]) is matched again;
//! - **an advisory** that changed (new, updated, withdrawn, deleted) since it
//!   was last matched ([`Store::changed_exposure_advisories`]: its `modified`
//!   or `imported_at` differs from the `exposure_advisories` row) is matched
//!   against the components of every inventory that carry one of its
//!   packages ([`Store::exposure_candidates`]), and only those
//!   ([`Store::apply_advisory_findings`]).
//!
//! Both write in one transaction with their audit event: the findings the
//! match raised are inserted or updated (`last_seen`, status; a resolved one
//! is reopened), and the open findings within the match's scope that it no
//! longer raised are resolved (`resolved_at`). A finding is one (asset,
//! advisory, component); the component is identified by its ecosystem,
//! name, version and evidence path, so it keeps its id across uploads of
//! the same inventory.
//!
//! A finding that an advisory's arrival made open and affected owes an
//! `exposure.new` notice (`notify`), until the hub has queued it
//! ([`Store::pending_exposure_notices`], [`Store::clear_exposure_notice`]).
//! Matches of a new upload owe none: the scan's own report carries them.

use std::collections::{HashMap, HashSet};

use sha2::{Digest as _, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigilo_core::inventory::Status;

use crate::assets::{StoredComponent, component_key};
use crate::{Actor, DbContext as _, Result, Store, StoreError, now_micros};

/// Ids per `IN (…)` list.
const CHUNK: usize = 500;
/// Rows per multi-row `INSERT` of findings (15 parameters each).
const INSERT_BATCH: usize = 500;

/// A finding a match raised: one component of one asset, affected by one advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFinding {
    pub org_id: String,
    pub asset_id: String,
    /// The upload of the asset it was matched on (the asset's `scans`): a
    /// finding of an inventory replaced since is dropped.
    pub scans: i64,
    pub advisory_id: String,
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    pub purl: Option<String>,
    /// The evidence path chain, as the scanner reports it.
    pub path: Option<String>,
    pub status: Status,
}

/// What a scan report says of one component that changes a finding's
/// status (see `vigilo_scan::findings::status`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComponentNote {
    /// The component's `seq` in the asset's inventory.
    pub seq: i64,
    /// The range the evidence proves, when it proves no exact version.
    pub version_range: Option<String>,
    /// Advisory ids or aliases the component's mitigations neutralise.
    pub mitigated: Vec<String>,
}

/// A stored finding, with its asset's name and what the store knows of its
/// advisory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredFinding {
    pub id: String,
    pub org_id: String,
    pub asset_id: String,
    pub asset_name: String,
    pub advisory_id: String,
    /// The advisory's aliases (empty when it is no longer stored).
    pub advisory_aliases: Vec<String>,
    pub advisory_summary: Option<String>,
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    pub purl: Option<String>,
    pub path: Option<String>,
    /// `affected`, `mitigated` or `unknown`.
    pub status: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub resolved_at: Option<i64>,
    /// When it last became open (first raised, or reopened).
    pub opened_at: i64,
}

/// A component that may be affected by an advisory: one row of an
/// inventory whose upload has been matched, with its notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub org_id: String,
    pub asset_id: String,
    /// The asset's upload the component belongs to.
    pub scans: i64,
    pub component: StoredComponent,
    pub note: Option<ComponentNote>,
}

/// An asset whose current upload has not been matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleAsset {
    pub org_id: String,
    pub asset_id: String,
    pub scans: i64,
}

/// An advisory as stored, when it was matched or is to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryVersion {
    pub id: String,
    /// `None`: public.
    pub owner_org: Option<String>,
    pub modified: String,
    pub imported_at: i64,
    /// (ecosystem, normalised name) of each package it names.
    pub packages: Vec<(String, String)>,
}

/// The advisories that changed since they were last matched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedAdvisories {
    /// New or changed (withdrawn ones included).
    pub changed: Vec<AdvisoryVersion>,
    /// Matched before, no longer stored.
    pub gone: Vec<String>,
}

/// What applying a match did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ApplyReport {
    /// New findings.
    pub inserted: usize,
    /// Findings raised again: still open, or reopened.
    pub updated: usize,
    /// Resolved findings raised again.
    pub reopened: usize,
    /// Open findings no longer raised, now resolved.
    pub resolved: usize,
    /// Findings that became open and affected and owe an `exposure.new` notice.
    pub notices: usize,
    /// Findings dropped because their asset was re-uploaded meanwhile.
    pub stale: usize,
}

/// Which findings a listing wants, by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FindingState {
    /// Open ones, whatever their status.
    #[default]
    Open,
    /// Open ones with this status.
    Status(Status),
    /// Resolved ones.
    Resolved,
    /// Every one.
    All,
}

/// A listing's filters; every listing is scoped to one organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingFilter {
    /// An advisory id, or an alias of one (a CVE id).
    pub advisory: Option<String>,
    /// An asset id.
    pub asset: Option<String>,
    pub state: FindingState,
    /// Only findings first seen at or after this instant (micros).
    pub since: Option<i64>,
}

/// An `exposure.new` notice owed: an open, affected finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposureNotice {
    pub finding: StoredFinding,
}

/// A status as stored.
pub fn parse_status(s: &str) -> Option<Status> {
    [Status::Affected, Status::Mitigated, Status::Unknown]
        .into_iter()
        .find(|k| k.as_str() == s)
}

/// SHA-256 (hex) of a component's identity within an asset.
fn finding_component_key(ecosystem: &str, name: &str, version: &str, path: Option<&str>) -> String {
    let mut h = Sha256::new();
    for part in [ecosystem, name, version, path.unwrap_or("")] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// `$first, $first+1, …` for `n` parameters.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

const FINDING_COLUMNS: &str = "f.id, f.org_id, f.asset_id, a.name, f.advisory_id, adv.aliases, \
     adv.summary, f.ecosystem, f.name, f.version, f.purl, f.path, f.status, f.first_seen, \
     f.last_seen, f.resolved_at, f.opened_at";
const FINDING_FROM: &str = "findings f JOIN assets a ON a.id = f.asset_id \
     LEFT JOIN advisories adv ON adv.id = f.advisory_id";

fn finding_from_row(r: &AnyRow) -> std::result::Result<StoredFinding, sqlx::Error> {
    let aliases: Option<String> = r.try_get(5)?;
    Ok(StoredFinding {
        id: r.try_get(0)?,
        org_id: r.try_get(1)?,
        asset_id: r.try_get(2)?,
        asset_name: r.try_get(3)?,
        advisory_id: r.try_get(4)?,
        advisory_aliases: aliases
            .and_then(|a| serde_json::from_str(&a).ok())
            .unwrap_or_default(),
        advisory_summary: r.try_get(6)?,
        ecosystem: r.try_get(7)?,
        name: r.try_get(8)?,
        version: r.try_get(9)?,
        purl: r.try_get(10)?,
        path: r.try_get(11)?,
        status: r.try_get(12)?,
        first_seen: r.try_get(13)?,
        last_seen: r.try_get(14)?,
        resolved_at: r.try_get(15)?,
        opened_at: r.try_get(16)?,
    })
}

/// One existing finding within a match's scope.
struct Existing {
    id: String,
    status: String,
    resolved_at: Option<i64>,
    opened_at: i64,
    notify: i64,
}

type FindingKey = (String, String, String);

const EXISTING_COLUMNS: &str = "f.id, f.asset_id, f.advisory_id, f.component_key, f.status, \
     f.resolved_at, f.opened_at, f.notify";

fn existing_from_row(r: &AnyRow) -> std::result::Result<(FindingKey, Existing), sqlx::Error> {
    Ok((
        (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?),
        Existing {
            id: r.try_get(0)?,
            status: r.try_get(4)?,
            resolved_at: r.try_get(5)?,
            opened_at: r.try_get(6)?,
            notify: r.try_get(7)?,
        },
    ))
}

/// A dynamic bind value.
enum Bind {
    Text(String),
    Int(i64),
}

/// The `WHERE` conditions of a listing (after `f.org_id = $1`), binding from `$2`.
fn filter_sql(filter: &FindingFilter, binds: &mut Vec<Bind>) -> String {
    let mut sql = String::new();
    let next = |b: Bind, binds: &mut Vec<Bind>| {
        binds.push(b);
        binds.len() + 1
    };
    if let Some(adv) = &filter.advisory {
        let i = next(Bind::Text(adv.clone()), binds);
        sql.push_str(&format!(
            " AND (f.advisory_id = ${i} OR f.advisory_id IN \
             (SELECT al.advisory_id FROM advisory_aliases al WHERE al.alias = ${i}))"
        ));
    }
    if let Some(asset) = &filter.asset {
        let i = next(Bind::Text(asset.clone()), binds);
        sql.push_str(&format!(" AND f.asset_id = ${i}"));
    }
    match filter.state {
        FindingState::Open => sql.push_str(" AND f.resolved_at IS NULL"),
        FindingState::Status(s) => {
            let i = next(Bind::Text(s.as_str().to_owned()), binds);
            sql.push_str(&format!(" AND f.resolved_at IS NULL AND f.status = ${i}"));
        }
        FindingState::Resolved => sql.push_str(" AND f.resolved_at IS NOT NULL"),
        FindingState::All => {}
    }
    if let Some(since) = filter.since {
        let i = next(Bind::Int(since), binds);
        sql.push_str(&format!(" AND f.first_seen >= ${i}"));
    }
    sql
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(s.as_str()),
            Bind::Int(i) => q.bind(*i),
        };
    }
    q
}

/// Applies a match to the findings within its scope (`existing`), on `tx`:
/// inserts or updates what it raised (`found`), resolves the open ones it
/// no longer raised. With `notify`, a finding that becomes open and
/// affected owes a notice.
async fn apply(
    tx: &mut sqlx::AnyConnection,
    existing: HashMap<FindingKey, Existing>,
    found: &[&NewFinding],
    notify: bool,
    now: i64,
    report: &mut ApplyReport,
) -> Result<()> {
    let op = "recording findings";
    let mut seen: HashSet<FindingKey> = HashSet::with_capacity(found.len());
    let mut inserts: Vec<(&NewFinding, String)> = Vec::new();
    for f in found {
        let ckey = finding_component_key(&f.ecosystem, &f.name, &f.version, f.path.as_deref());
        let key = (f.asset_id.clone(), f.advisory_id.clone(), ckey);
        if !seen.insert(key.clone()) {
            continue;
        }
        let affected = f.status == Status::Affected;
        match existing.get(&key) {
            None => {
                if affected && notify {
                    report.notices += 1;
                }
                report.inserted += 1;
                inserts.push((f, key.2));
            }
            Some(old) => {
                let was_open_affected =
                    old.resolved_at.is_none() && old.status == Status::Affected.as_str();
                let raised = affected && !was_open_affected;
                let opened_at = if raised || old.resolved_at.is_some() {
                    now
                } else {
                    old.opened_at
                };
                let owes = if !affected {
                    0
                } else if raised && notify {
                    report.notices += 1;
                    1
                } else {
                    old.notify
                };
                if old.resolved_at.is_some() {
                    report.reopened += 1;
                } else {
                    report.updated += 1;
                }
                sqlx::query(
                    "UPDATE findings SET status = $2, purl = $3, last_seen = $4, \
                     resolved_at = NULL, opened_at = $5, notify = $6 WHERE id = $1",
                )
                .bind(&old.id)
                .bind(f.status.as_str())
                .bind(&f.purl)
                .bind(now)
                .bind(opened_at)
                .bind(owes)
                .execute(&mut *tx)
                .await
                .ctx(op)?;
            }
        }
    }
    for batch in inserts.chunks(INSERT_BATCH) {
        let mut sql = String::from(
            "INSERT INTO findings (id, org_id, asset_id, advisory_id, component_key, ecosystem, \
             name, version, purl, path, status, first_seen, last_seen, resolved_at, opened_at, \
             notify) VALUES ",
        );
        for i in 0..batch.len() {
            let p = i * 13;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "({}, ${}, ${}, NULL, ${}, ${})",
                placeholders(p + 1, 11),
                p + 12,
                p + 12,
                p + 12,
                p + 13
            ));
        }
        let mut q = sqlx::query(&sql);
        for (f, ckey) in batch {
            let owes = i64::from(notify && f.status == Status::Affected);
            q = q
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(&f.org_id)
                .bind(&f.asset_id)
                .bind(&f.advisory_id)
                .bind(ckey.as_str())
                .bind(&f.ecosystem)
                .bind(&f.name)
                .bind(&f.version)
                .bind(&f.purl)
                .bind(&f.path)
                .bind(f.status.as_str())
                .bind(now)
                .bind(owes);
        }
        q.execute(&mut *tx).await.ctx(op)?;
    }
    let gone: Vec<&str> = existing
        .iter()
        .filter(|(k, e)| e.resolved_at.is_none() && !seen.contains(*k))
        .map(|(_, e)| e.id.as_str())
        .collect();
    report.resolved += gone.len();
    for chunk in gone.chunks(CHUNK) {
        let sql = format!(
            "UPDATE findings SET resolved_at = $1, notify = 0 WHERE id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(now);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *tx).await.ctx(op)?;
    }
    Ok(())
}

fn note_from_parts(
    seq: i64,
    version_range: Option<String>,
    mitigated: Option<String>,
) -> Option<ComponentNote> {
    let mitigated: Vec<String> = mitigated
        .and_then(|m| serde_json::from_str(&m).ok())
        .unwrap_or_default();
    (version_range.is_some() || !mitigated.is_empty()).then_some(ComponentNote {
        seq,
        version_range,
        mitigated,
    })
}

impl Store {
    /// The advisories generation the latest re-match ran at (0 before any).
    pub async fn exposure_generation(&self) -> Result<i64> {
        let v: String = sqlx::query("SELECT value FROM meta WHERE key = 'exposure_generation'")
            .fetch_one(self.pool())
            .await
            .and_then(|r| r.try_get(0))
            .ctx("reading the exposure generation")?;
        v.parse()
            .map_err(|_| StoreError::Invalid(format!("exposure generation {v:?} is not a number")))
    }

    /// Records that a re-match ran at advisories generation `generation`
    /// (never moves it back). Bookkeeping, not audited.
    pub async fn set_exposure_generation(&self, generation: i64) -> Result<()> {
        sqlx::query(
            "UPDATE meta SET value = $1 WHERE key = 'exposure_generation' \
             AND CAST(value AS BIGINT) < $2",
        )
        .bind(generation.to_string())
        .bind(generation)
        .execute(self.pool())
        .await
        .ctx("recording the exposure generation")?;
        Ok(())
    }

    /// Assets (of every organisation: for the hub's re-matching) whose
    /// current upload has not been matched, oldest first, at most `limit`.
    pub async fn stale_exposure_assets(&self, limit: i64) -> Result<Vec<StaleAsset>> {
        let op = "listing assets to match";
        sqlx::query(
            "SELECT a.org_id, a.id, a.scans FROM assets a \
             LEFT JOIN exposure_assets e ON e.asset_id = a.id \
             WHERE e.asset_id IS NULL OR e.scans <> a.scans ORDER BY a.id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .ctx(op)?
        .iter()
        .map(|r| {
            Ok(StaleAsset {
                org_id: r.try_get(0)?,
                asset_id: r.try_get(1)?,
                scans: r.try_get(2)?,
            })
        })
        .collect::<std::result::Result<_, sqlx::Error>>()
        .ctx(op)
    }

    /// The advisories (of every owner: for the hub's re-matching) that
    /// changed since they were last matched, by id, with their packages;
    /// and those matched before that are no longer stored.
    pub async fn changed_exposure_advisories(&self) -> Result<ChangedAdvisories> {
        let op = "listing changed advisories";
        let rows = sqlx::query(
            "SELECT a.id, a.owner_org, a.modified, a.imported_at, p.ecosystem, p.name \
             FROM advisories a LEFT JOIN exposure_advisories e ON e.advisory_id = a.id \
             LEFT JOIN advisory_packages p ON p.advisory_id = a.id \
             WHERE e.advisory_id IS NULL OR e.modified <> a.modified \
             OR e.imported_at <> a.imported_at ORDER BY a.id",
        )
        .fetch_all(self.pool())
        .await
        .ctx(op)?;
        let mut changed: Vec<AdvisoryVersion> = Vec::new();
        for r in &rows {
            let id: String = r.try_get(0).ctx(op)?;
            if changed.last().is_none_or(|a| a.id != id) {
                changed.push(AdvisoryVersion {
                    id,
                    owner_org: r.try_get(1).ctx(op)?,
                    modified: r.try_get(2).ctx(op)?,
                    imported_at: r.try_get(3).ctx(op)?,
                    packages: Vec::new(),
                });
            }
            let eco: Option<String> = r.try_get(4).ctx(op)?;
            let name: Option<String> = r.try_get(5).ctx(op)?;
            if let (Some(eco), Some(name), Some(last)) = (eco, name, changed.last_mut()) {
                last.packages.push((eco, name));
            }
        }
        let gone = sqlx::query(
            "SELECT e.advisory_id FROM exposure_advisories e \
             LEFT JOIN advisories a ON a.id = e.advisory_id WHERE a.id IS NULL \
             ORDER BY e.advisory_id",
        )
        .fetch_all(self.pool())
        .await
        .ctx(op)?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, sqlx::Error>>()
        .ctx(op)?;
        Ok(ChangedAdvisories { changed, gone })
    }

    /// The package keys ((base ecosystem, normalised name), see
    /// [`component_key`]) that some stored inventory holds.
    pub async fn exposure_package_keys(&self) -> Result<HashSet<(String, String)>> {
        let op = "listing inventory packages";
        sqlx::query("SELECT DISTINCT key_ecosystem, key_name FROM asset_components")
            .fetch_all(self.pool())
            .await
            .ctx(op)?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<std::result::Result<_, sqlx::Error>>()
            .ctx(op)
    }

    /// Every component of every organisation's matched inventories with
    /// this package (reduced with [`component_key`], so `Debian:12` finds
    /// `Debian:11` too: the matching index decides), with its notes. For the
    /// hub's re-matching only: this reads across organisations. Assets
    /// whose current upload has not been matched yet are left out (their
    /// whole match covers them).
    pub async fn exposure_candidates(&self, ecosystem: &str, name: &str) -> Result<Vec<Candidate>> {
        let op = "looking up components to match";
        let (key_ecosystem, key_name) = component_key(ecosystem, name);
        let rows = sqlx::query(
            "SELECT c.seq, c.ecosystem, c.name, c.key_ecosystem, c.key_name, c.version, c.purl, \
             c.path, a.org_id, a.id, a.scans, n.version_range, n.mitigated \
             FROM asset_components c JOIN assets a ON a.id = c.asset_id \
             JOIN exposure_assets e ON e.asset_id = a.id AND e.scans = a.scans \
             LEFT JOIN exposure_component_notes n ON n.asset_id = c.asset_id AND n.seq = c.seq \
             WHERE c.key_ecosystem = $1 AND c.key_name = $2 ORDER BY a.id, c.seq",
        )
        .bind(&key_ecosystem)
        .bind(&key_name)
        .fetch_all(self.pool())
        .await
        .ctx(op)?;
        rows.iter()
            .map(|r| {
                let seq: i64 = r.try_get(0)?;
                Ok(Candidate {
                    component: StoredComponent {
                        seq,
                        ecosystem: r.try_get(1)?,
                        name: r.try_get(2)?,
                        key_ecosystem: r.try_get(3)?,
                        key_name: r.try_get(4)?,
                        version: r.try_get(5)?,
                        purl: r.try_get(6)?,
                        path: r.try_get(7)?,
                    },
                    org_id: r.try_get(8)?,
                    asset_id: r.try_get(9)?,
                    scans: r.try_get(10)?,
                    note: note_from_parts(seq, r.try_get(11)?, r.try_get(12)?),
                })
            })
            .collect::<std::result::Result<_, sqlx::Error>>()
            .ctx(op)
    }

    /// Records the whole match of an asset's upload `scans` against every
    /// advisory, in one transaction with its audit event (`exposure.match`):
    /// its findings are `found` (those of other assets are ignored), every
    /// other open finding of the asset is resolved, its component notes are
    /// replaced by `notes`, and the upload is marked matched. No finding owes
    /// a notice. `None` (nothing written) when the asset is gone or has been
    /// uploaded again since.
    pub async fn apply_asset_findings(
        &self,
        actor: &Actor,
        org_id: &str,
        asset_id: &str,
        scans: i64,
        notes: &[ComponentNote],
        found: &[NewFinding],
    ) -> Result<Option<ApplyReport>> {
        let op = "recording an asset's findings";
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        let current: Option<i64> =
            sqlx::query("SELECT scans FROM assets WHERE id = $1 AND org_id = $2")
                .bind(asset_id)
                .bind(org_id)
                .fetch_optional(&mut *tx)
                .await
                .ctx(op)?
                .map(|r| r.try_get(0))
                .transpose()
                .ctx(op)?;
        if current != Some(scans) {
            return Ok(None);
        }
        let existing = sqlx::query(&format!(
            "SELECT {EXISTING_COLUMNS} FROM findings f WHERE f.asset_id = $1"
        ))
        .bind(asset_id)
        .fetch_all(&mut *tx)
        .await
        .ctx(op)?
        .iter()
        .map(existing_from_row)
        .collect::<std::result::Result<HashMap<_, _>, _>>()
        .ctx(op)?;
        let mut report = ApplyReport::default();
        let mine: Vec<&NewFinding> = found
            .iter()
            .filter(|f| f.asset_id == asset_id && f.org_id == org_id && f.scans == scans)
            .collect();
        apply(&mut tx, existing, &mine, false, now, &mut report).await?;
        sqlx::query("DELETE FROM exposure_component_notes WHERE asset_id = $1")
            .bind(asset_id)
            .execute(&mut *tx)
            .await
            .ctx(op)?;
        for n in notes {
            if n.version_range.is_none() && n.mitigated.is_empty() {
                continue;
            }
            sqlx::query(
                "INSERT INTO exposure_component_notes (asset_id, seq, version_range, mitigated) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (asset_id, seq) DO NOTHING",
            )
            .bind(asset_id)
            .bind(n.seq)
            .bind(&n.version_range)
            .bind(serde_json::Value::from(n.mitigated.clone()).to_string())
            .execute(&mut *tx)
            .await
            .ctx(op)?;
        }
        sqlx::query(
            "INSERT INTO exposure_assets (asset_id, scans, matched_at) VALUES ($1, $2, $3) \
             ON CONFLICT (asset_id) DO UPDATE SET scans = excluded.scans, \
             matched_at = excluded.matched_at",
        )
        .bind(asset_id)
        .bind(scans)
        .bind(now)
        .execute(&mut *tx)
        .await
        .ctx(op)?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "exposure.match",
            &format!("asset:{asset_id}"),
            Some(serde_json::json!({
                "scans": scans, "inserted": report.inserted, "updated": report.updated,
                "reopened": report.reopened, "resolved": report.resolved,
            })),
        )
        .await?;
        tx.commit().await.ctx(op)?;
        Ok(Some(report))
    }

    /// Records the match of the advisories `matched` (each at the version
    /// given) against every matched inventory, and the end of those `gone`,
    /// in one transaction with its audit event (`exposure.rematch`): the
    /// findings of those advisories are `found` (one whose asset was
    /// uploaded again since is dropped: its whole match decides), every
    /// other open finding of them on an asset whose upload was matched is
    /// resolved, and each advisory is marked matched at its version. A
    /// finding that becomes open and affected owes an `exposure.new` notice.
    pub async fn apply_advisory_findings(
        &self,
        actor: &Actor,
        matched: &[AdvisoryVersion],
        gone: &[String],
        found: &[NewFinding],
    ) -> Result<ApplyReport> {
        let op = "recording advisories' findings";
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        let ids: Vec<&str> = matched
            .iter()
            .map(|a| a.id.as_str())
            .chain(gone.iter().map(String::as_str))
            .collect();
        let wanted: HashSet<&str> = ids.iter().copied().collect();
        // The findings of these advisories on assets whose upload was matched.
        let mut existing = HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT {EXISTING_COLUMNS} FROM findings f JOIN assets a ON a.id = f.asset_id \
                 JOIN exposure_assets e ON e.asset_id = f.asset_id AND e.scans = a.scans \
                 WHERE f.advisory_id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&mut *tx).await.ctx(op)? {
                let (k, e) = existing_from_row(&r).ctx(op)?;
                existing.insert(k, e);
            }
        }
        // The uploads each asset's findings may come from: the current one,
        // once it has been matched whole.
        let assets: Vec<&str> = found
            .iter()
            .map(|f| f.asset_id.as_str())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut current: HashMap<String, i64> = HashMap::new();
        for chunk in assets.chunks(CHUNK) {
            let sql = format!(
                "SELECT a.id, a.scans FROM assets a \
                 JOIN exposure_assets e ON e.asset_id = a.id AND e.scans = a.scans \
                 WHERE a.id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&mut *tx).await.ctx(op)? {
                current.insert(r.try_get(0).ctx(op)?, r.try_get(1).ctx(op)?);
            }
        }
        let mut report = ApplyReport::default();
        let valid: Vec<&NewFinding> = found
            .iter()
            .filter(|f| {
                let ok = wanted.contains(f.advisory_id.as_str())
                    && current.get(&f.asset_id) == Some(&f.scans);
                if !ok {
                    report.stale += 1;
                }
                ok
            })
            .collect();
        apply(&mut tx, existing, &valid, true, now, &mut report).await?;
        for a in matched {
            sqlx::query(
                "INSERT INTO exposure_advisories (advisory_id, modified, imported_at, matched_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (advisory_id) DO UPDATE SET \
                 modified = excluded.modified, imported_at = excluded.imported_at, \
                 matched_at = excluded.matched_at",
            )
            .bind(&a.id)
            .bind(&a.modified)
            .bind(a.imported_at)
            .bind(now)
            .execute(&mut *tx)
            .await
            .ctx(op)?;
        }
        for id in gone {
            sqlx::query("DELETE FROM exposure_advisories WHERE advisory_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .ctx(op)?;
        }
        self.append_audit(
            &mut tx,
            actor,
            None,
            "exposure.rematch",
            "advisories",
            Some(serde_json::json!({
                "advisories": matched.len(), "gone": gone.len(), "inserted": report.inserted,
                "updated": report.updated, "reopened": report.reopened,
                "resolved": report.resolved, "notices": report.notices, "stale": report.stale,
            })),
        )
        .await?;
        tx.commit().await.ctx(op)?;
        Ok(report)
    }

    /// The `exposure.new` notices owed (of every organisation: for the
    /// hub's job runner), oldest first, at most `limit`.
    pub async fn pending_exposure_notices(&self, limit: i64) -> Result<Vec<ExposureNotice>> {
        let op = "listing exposure notices";
        sqlx::query(&format!(
            "SELECT {FINDING_COLUMNS} FROM {FINDING_FROM} \
             WHERE f.notify = 1 AND f.resolved_at IS NULL ORDER BY f.id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .ctx(op)?
        .iter()
        .map(|r| finding_from_row(r).map(|finding| ExposureNotice { finding }))
        .collect::<std::result::Result<_, _>>()
        .ctx(op)
    }

    /// Marks a notice queued: the finding owes none for as long as it stays
    /// open since `opened_at`. Bookkeeping, not audited (the deliveries are
    /// logged).
    pub async fn clear_exposure_notice(&self, finding_id: &str, opened_at: i64) -> Result<()> {
        sqlx::query("UPDATE findings SET notify = 0 WHERE id = $1 AND opened_at = $2")
            .bind(finding_id)
            .bind(opened_at)
            .execute(self.pool())
            .await
            .ctx("clearing an exposure notice")?;
        Ok(())
    }

    /// A page of the organisation's findings matching `filter`, by id
    /// (raising order): those after `after`, at most `limit`.
    pub async fn list_findings(
        &self,
        org_id: &str,
        filter: &FindingFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StoredFinding>> {
        let mut binds = Vec::new();
        let mut sql = format!(
            "SELECT {FINDING_COLUMNS} FROM {FINDING_FROM} WHERE f.org_id = $1{}",
            filter_sql(filter, &mut binds)
        );
        if let Some(after) = after {
            binds.push(Bind::Text(after.to_owned()));
            sql.push_str(&format!(" AND f.id > ${}", binds.len() + 1));
        }
        binds.push(Bind::Int(limit.max(0)));
        sql.push_str(&format!(" ORDER BY f.id LIMIT ${}", binds.len() + 1));
        let q = bind_all(sqlx::query(&sql).bind(org_id), &binds);
        q.fetch_all(self.pool())
            .await
            .ctx("listing findings")?
            .iter()
            .map(finding_from_row)
            .collect::<std::result::Result<_, _>>()
            .ctx("listing findings")
    }

    /// A page of the advisories with findings of the organisation matching
    /// `filter`, by advisory id: those after `after`, at most `limit`.
    pub async fn list_exposed_advisories(
        &self,
        org_id: &str,
        filter: &FindingFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<String>> {
        let mut binds = Vec::new();
        let mut sql = format!(
            "SELECT DISTINCT f.advisory_id FROM findings f WHERE f.org_id = $1{}",
            filter_sql(filter, &mut binds)
        );
        if let Some(after) = after {
            binds.push(Bind::Text(after.to_owned()));
            sql.push_str(&format!(" AND f.advisory_id > ${}", binds.len() + 1));
        }
        binds.push(Bind::Int(limit.max(0)));
        sql.push_str(&format!(
            " ORDER BY f.advisory_id LIMIT ${}",
            binds.len() + 1
        ));
        let q = bind_all(sqlx::query(&sql).bind(org_id), &binds);
        q.fetch_all(self.pool())
            .await
            .ctx("listing exposed advisories")?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()
            .ctx("listing exposed advisories")
    }

    /// Every finding of the organisation matching `filter` of these
    /// advisories, by advisory, asset name and path.
    pub async fn findings_of_advisories(
        &self,
        org_id: &str,
        filter: &FindingFilter,
        advisories: &[String],
    ) -> Result<Vec<StoredFinding>> {
        let mut out = Vec::new();
        for chunk in advisories.chunks(CHUNK) {
            let mut binds = Vec::new();
            let conditions = filter_sql(filter, &mut binds);
            let first = binds.len() + 2;
            binds.extend(chunk.iter().map(|id| Bind::Text(id.clone())));
            let sql = format!(
                "SELECT {FINDING_COLUMNS} FROM {FINDING_FROM} WHERE f.org_id = $1{conditions} \
                 AND f.advisory_id IN ({}) ORDER BY f.advisory_id, a.name, f.path, f.name, f.id",
                placeholders(first, chunk.len())
            );
            let q = bind_all(sqlx::query(&sql).bind(org_id), &binds);
            for r in q
                .fetch_all(self.pool())
                .await
                .ctx("listing findings of advisories")?
            {
                out.push(finding_from_row(&r).ctx("listing findings of advisories")?);
            }
        }
        out.sort_by(|a, b| {
            a.advisory_id
                .cmp(&b.advisory_id)
                .then_with(|| a.asset_name.cmp(&b.asset_name))
                .then_with(|| a.path.cmp(&b.path))
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(out)
    }
}
