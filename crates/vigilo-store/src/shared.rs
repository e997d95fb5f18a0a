//! Sharing: sharing groups and the shared objects (STIX 2.1), each version
//! with its marking.
//!
//! The store keeps what is shared and narrows queries by the columns it
//! indexes (owner, TLP level, audience); it never decides who may see an
//! object. That is `vigilo_core::marking::may_see`, which the hub applies
//! to every row a query returns — the narrowing here must only ever drop
//! rows the policy would drop too.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use vigilo_core::marking::{Marking, SharingGroup, Tlp};

use crate::{Actor, DbContext as _, Result, Store, StoreError, now_micros};

/// Most members one sharing group may have.
pub const MAX_GROUP_MEMBERS: usize = 10_000;
/// Longest group name, in bytes.
pub const MAX_GROUP_NAME: usize = 200;
/// Largest STIX object, in bytes of JSON.
pub const MAX_OBJECT_BYTES: usize = 1 << 20;

/// Bumped in this process after every committed change to what the sharing
/// policy reads (sharing groups and their members, partners' status and
/// local organisations): a cache of the policy in this process reloads at
/// once when it moves, and watches [`Store::sharing_generation`] for the
/// changes other processes make.
static SHARING_EPOCH: AtomicU64 = AtomicU64::new(0);

/// This process's count of changes to what the sharing policy reads.
pub fn sharing_epoch() -> u64 {
    SHARING_EPOCH.load(Ordering::Acquire)
}

/// Call after committing a change to what the policy reads.
pub(crate) fn bump_sharing_epoch() {
    SHARING_EPOCH.fetch_add(1, Ordering::AcqRel);
}

/// Advances the `sharing_generation` counter in `meta`, inside the
/// transaction that changes what the sharing policy reads.
pub(crate) async fn advance_sharing_generation(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
) -> Result<()> {
    sqlx::query(
        "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) \
         WHERE key = 'sharing_generation'",
    )
    .execute(&mut **tx)
    .await
    .ctx("advancing the sharing generation")?;
    Ok(())
}

/// A shared object version to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewShared {
    pub id: String,
    pub version: String,
    pub kind: String,
    pub spec_version: String,
    pub marking: Marking,
    pub object: Value,
}

/// A stored shared object version.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedObject {
    pub id: String,
    pub version: String,
    pub owner: String,
    pub kind: String,
    pub spec_version: String,
    pub marking: Marking,
    pub object: Value,
    /// Micros.
    pub date_added: i64,
    pub origin: String,
    /// The partner whose quarantine holds it (sent while suspended), until
    /// an admin releases it.
    pub quarantine: Option<String>,
}

/// What putting one object did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    Added {
        date_added: i64,
    },
    /// That (id, version) was already there.
    AlreadyPresent,
    /// The id is another organisation's.
    NotOwner,
}

/// Which rows a query may return before the policy looks at them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything (the policy alone decides).
    All,
    /// TLP:CLEAR only.
    Public,
    /// TLP:GREEN with no audience.
    Community,
    /// Objects whose audience names this group.
    Group(String),
    /// Objects whose audience names this organisation.
    Named(String),
    /// Objects this organisation owns.
    Owned(String),
}

/// A listing: one scope, filters, a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedQuery {
    pub scope: Scope,
    /// Only rows added after this instant (micros), exclusive.
    pub added_after: Option<i64>,
    pub ids: Vec<String>,
    pub kinds: Vec<String>,
    pub spec_versions: Vec<String>,
    pub versions: Versions,
    /// Rows fetched per round trip.
    pub batch: i64,
}

/// Which versions of each object a listing returns (TAXII `match[version]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Versions {
    /// The newest version of each object (returned only when visible).
    Last,
    /// The oldest.
    First,
    All,
    /// These versions (`modified` timestamps).
    Exact(Vec<String>),
}

fn marking_columns(m: &Marking) -> (String, String, String) {
    (
        m.tlp.as_str().to_owned(),
        serde_json::to_string(&m.groups).unwrap_or_else(|_| "[]".into()),
        serde_json::to_string(&m.orgs).unwrap_or_else(|_| "[]".into()),
    )
}

/// A JSON array of ids, as stored, matched by `LIKE`: the quoted id.
fn like_member(id: &str) -> String {
    let escaped = id
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%\"{escaped}\"%")
}

const COLUMNS: &str = "id, version, owner_org, type, spec_version, tlp, groups, orgs, object, \
     date_added, origin, quarantine";

/// Inside a write transaction: marks the newest remaining version of `id`
/// (by [`version_key`]) as the latest, after versions were deleted.
pub(crate) async fn mark_latest(tx: &mut sqlx::AnyConnection, id: &str) -> Result<()> {
    let rows = sqlx::query("SELECT version FROM shared_objects WHERE id = $1")
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .ctx("reading a shared object's versions")?;
    let mut remaining = Vec::with_capacity(rows.len());
    for r in &rows {
        remaining.push(r.try_get::<String, _>(0).ctx("reading a version")?);
    }
    if let Some(newest) = remaining.iter().max_by_key(|v| version_key(v)) {
        sqlx::query(
            "UPDATE shared_objects SET latest = CASE WHEN version = $2 THEN 1 ELSE 0 END \
             WHERE id = $1",
        )
        .bind(id)
        .bind(newest.clone())
        .execute(&mut *tx)
        .await
        .ctx("updating a shared object")?;
    }
    Ok(())
}

/// A version (an RFC 3339 timestamp) as an instant for comparison; text
/// order when it does not parse.
fn version_key(v: &str) -> (i64, String) {
    v.parse::<jiff::Timestamp>()
        .map_or((i64::MIN, v.to_owned()), |t| {
            (
                t.as_nanosecond().try_into().unwrap_or(i64::MAX),
                String::new(),
            )
        })
}

fn decode_object(id: &str, text: &str) -> Result<Value> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Invalid(format!("stored object {id} has a bad object: {e}")))
}

/// A row without decoding its object: the version (its `object` left
/// `Null`) and the object's JSON text as stored.
fn meta_from_row(r: &AnyRow) -> Result<(SharedObject, String)> {
    type Raw = (SharedObject, String, String, String, String);
    let get = |r: &AnyRow| -> std::result::Result<Raw, sqlx::Error> {
        Ok((
            SharedObject {
                id: r.try_get(0)?,
                version: r.try_get(1)?,
                owner: r.try_get(2)?,
                kind: r.try_get(3)?,
                spec_version: r.try_get(4)?,
                marking: Marking::tlp(Tlp::Red),
                object: Value::Null,
                date_added: r.try_get(9)?,
                origin: r.try_get(10)?,
                quarantine: r.try_get(11)?,
            },
            r.try_get(5)?,
            r.try_get(6)?,
            r.try_get(7)?,
            r.try_get(8)?,
        ))
    };
    let (mut o, tlp, groups, orgs, object) = get(r).ctx("decoding a shared object")?;
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Invalid(format!("stored object {} has a bad {what}: {e}", o.id))
    };
    o.marking = Marking {
        tlp: tlp.parse().map_err(|e| bad("TLP level", &e))?,
        groups: serde_json::from_str::<BTreeSet<String>>(&groups).map_err(|e| bad("groups", &e))?,
        orgs: serde_json::from_str::<BTreeSet<String>>(&orgs).map_err(|e| bad("orgs", &e))?,
    };
    Ok((o, object))
}

impl Store {
    /// Creates a sharing group owned by `owner` with `members`, audited
    /// (`sharing_group.create`).
    pub async fn create_group(
        &self,
        actor: &Actor,
        owner: &str,
        name: &str,
        confidential: bool,
        members: &BTreeSet<String>,
    ) -> Result<SharingGroup> {
        if name.trim().is_empty() || name.len() > MAX_GROUP_NAME {
            return Err(StoreError::invalid(
                "name",
                format!("must be 1-{MAX_GROUP_NAME} bytes"),
            ));
        }
        if members.len() > MAX_GROUP_MEMBERS {
            return Err(StoreError::invalid(
                "members",
                format!("more than {MAX_GROUP_MEMBERS}"),
            ));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        for m in members {
            let known = sqlx::query("SELECT 1 FROM orgs WHERE id = $1")
                .bind(m)
                .fetch_optional(&mut *tx)
                .await
                .ctx("checking a group member")?;
            if known.is_none() {
                return Err(StoreError::invalid(
                    "members",
                    format!("no organisation {m}"),
                ));
            }
        }
        sqlx::query(
            "INSERT INTO sharing_groups (id, owner_org, name, confidential, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.clone())
        .bind(owner)
        .bind(name.trim())
        .bind(i64::from(confidential))
        .bind(now)
        .bind(actor.actor.clone())
        .execute(&mut *tx)
        .await
        .ctx("storing a sharing group")?;
        for m in members {
            sqlx::query(
                "INSERT INTO sharing_group_members (group_id, org_id, added_at) VALUES ($1, $2, $3)",
            )
            .bind(id.clone())
            .bind(m)
            .bind(now)
            .execute(&mut *tx)
            .await
            .ctx("storing a group member")?;
        }
        self.append_audit(
            &mut tx,
            actor,
            Some(owner),
            "sharing_group.create",
            &format!("sharing_group:{id}"),
            Some(serde_json::json!({
                "name": name.trim(), "confidential": confidential, "members": members.len(),
            })),
        )
        .await?;
        advance_sharing_generation(&mut tx).await?;
        tx.commit().await.ctx("storing a sharing group")?;
        bump_sharing_epoch();
        Ok(SharingGroup {
            id,
            name: name.trim().to_owned(),
            owner: owner.to_owned(),
            members: members.clone(),
            confidential,
        })
    }

    /// Adds or removes members of a group its owner manages, audited
    /// (`sharing_group.members`). Another organisation's group is
    /// [`StoreError::NotFound`].
    pub async fn update_group_members(
        &self,
        actor: &Actor,
        owner: &str,
        group_id: &str,
        add: &BTreeSet<String>,
        remove: &BTreeSet<String>,
    ) -> Result<SharingGroup> {
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        let owned = sqlx::query("SELECT 1 FROM sharing_groups WHERE id = $1 AND owner_org = $2")
            .bind(group_id)
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await
            .ctx("reading a sharing group")?;
        if owned.is_none() {
            return Err(StoreError::NotFound {
                kind: "sharing group",
                id: group_id.to_owned(),
            });
        }
        for m in add {
            let known = sqlx::query("SELECT 1 FROM orgs WHERE id = $1")
                .bind(m)
                .fetch_optional(&mut *tx)
                .await
                .ctx("checking a group member")?;
            if known.is_none() {
                return Err(StoreError::invalid("add", format!("no organisation {m}")));
            }
            sqlx::query(
                "INSERT INTO sharing_group_members (group_id, org_id, added_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (group_id, org_id) DO NOTHING",
            )
            .bind(group_id)
            .bind(m)
            .bind(now)
            .execute(&mut *tx)
            .await
            .ctx("adding a group member")?;
        }
        for m in remove {
            sqlx::query("DELETE FROM sharing_group_members WHERE group_id = $1 AND org_id = $2")
                .bind(group_id)
                .bind(m)
                .execute(&mut *tx)
                .await
                .ctx("removing a group member")?;
        }
        self.append_audit(
            &mut tx,
            actor,
            Some(owner),
            "sharing_group.members",
            &format!("sharing_group:{group_id}"),
            Some(serde_json::json!({"added": add, "removed": remove})),
        )
        .await?;
        advance_sharing_generation(&mut tx).await?;
        tx.commit().await.ctx("updating a sharing group")?;
        bump_sharing_epoch();
        self.sharing_groups()
            .await?
            .remove(group_id)
            .ok_or_else(|| StoreError::NotFound {
                kind: "sharing group",
                id: group_id.to_owned(),
            })
    }

    /// The `sharing_generation` counter: moves whenever what the sharing
    /// policy reads changes (groups, members, partners), in any process.
    pub async fn sharing_generation(&self) -> Result<i64> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = 'sharing_generation'")
            .fetch_optional(self.pool())
            .await
            .ctx("reading the sharing generation")?;
        let Some(r) = row else { return Ok(0) };
        let v: String = r.try_get(0).ctx("reading the sharing generation")?;
        v.parse()
            .map_err(|_| StoreError::Invalid(format!("sharing generation {v:?} is not a number")))
    }

    /// Every sharing group with its members, by id: what the policy looks
    /// groups up in.
    pub async fn sharing_groups(&self) -> Result<BTreeMap<String, SharingGroup>> {
        let rows =
            sqlx::query("SELECT id, owner_org, name, confidential FROM sharing_groups ORDER BY id")
                .fetch_all(self.pool())
                .await
                .ctx("reading sharing groups")?;
        let mut out = BTreeMap::new();
        for r in &rows {
            let get = |r: &AnyRow| -> std::result::Result<SharingGroup, sqlx::Error> {
                Ok(SharingGroup {
                    id: r.try_get(0)?,
                    owner: r.try_get(1)?,
                    name: r.try_get(2)?,
                    confidential: r.try_get::<i64, _>(3)? != 0,
                    members: BTreeSet::new(),
                })
            };
            let g = get(r).ctx("decoding a sharing group")?;
            out.insert(g.id.clone(), g);
        }
        let rows = sqlx::query("SELECT group_id, org_id FROM sharing_group_members")
            .fetch_all(self.pool())
            .await
            .ctx("reading sharing group members")?;
        for r in &rows {
            let g: String = r.try_get(0).ctx("decoding a group member")?;
            let o: String = r.try_get(1).ctx("decoding a group member")?;
            if let Some(group) = out.get_mut(&g) {
                group.members.insert(o);
            }
        }
        Ok(out)
    }

    /// Stores shared object versions owned by `owner` in one transaction,
    /// each with a strictly increasing `date_added`, audited once
    /// (`shared.put`). An (id, version) already there is left as it is; an
    /// id another organisation owns is refused ([`PutOutcome::NotOwner`]).
    pub async fn put_shared(
        &self,
        actor: &Actor,
        owner: &str,
        origin: &str,
        objects: &[NewShared],
    ) -> Result<Vec<PutOutcome>> {
        self.put_shared_held(actor, owner, origin, None, objects)
            .await
    }

    /// As [`Store::put_shared`], held in `quarantine` (a partner's id) when
    /// given: what a suspended partner sends.
    pub async fn put_shared_held(
        &self,
        actor: &Actor,
        owner: &str,
        origin: &str,
        quarantine: Option<&str>,
        objects: &[NewShared],
    ) -> Result<Vec<PutOutcome>> {
        for o in objects {
            o.marking
                .check()
                .map_err(|e| StoreError::invalid("marking", format!("{}: {e}", o.id)))?;
        }
        let mut tx = self.begin_write().await?;
        let last: Option<i64> = sqlx::query("SELECT MAX(date_added) FROM shared_objects")
            .fetch_one(&mut *tx)
            .await
            .ctx("reading the last date_added")?
            .try_get(0)
            .ctx("reading the last date_added")?;
        let mut next = now_micros().max(last.unwrap_or(0) + 1);
        let mut out = Vec::with_capacity(objects.len());
        let mut added = 0usize;
        for o in objects {
            let existing = sqlx::query(
                "SELECT owner_org, (SELECT COUNT(*) FROM shared_objects s2 \
                 WHERE s2.id = $1 AND s2.version = $2), \
                 (SELECT MAX(version) FROM shared_objects s3 WHERE s3.id = $1) \
                 FROM shared_objects WHERE id = $1 LIMIT 1",
            )
            .bind(o.id.clone())
            .bind(o.version.clone())
            .fetch_optional(&mut *tx)
            .await
            .ctx("reading a shared object")?;
            let mut latest = true;
            if let Some(r) = existing {
                let by: String = r.try_get(0).ctx("reading a shared object")?;
                let same: i64 = r.try_get(1).ctx("reading a shared object")?;
                let newest: Option<String> = r.try_get(2).ctx("reading a shared object")?;
                if by != owner {
                    out.push(PutOutcome::NotOwner);
                    continue;
                }
                if same > 0 {
                    out.push(PutOutcome::AlreadyPresent);
                    continue;
                }
                latest = newest.is_none_or(|n| version_key(&o.version) > version_key(&n));
                if latest {
                    sqlx::query("UPDATE shared_objects SET latest = 0 WHERE id = $1")
                        .bind(o.id.clone())
                        .execute(&mut *tx)
                        .await
                        .ctx("updating a shared object")?;
                }
            }
            let text = serde_json::to_string(&o.object)
                .map_err(|e| StoreError::Invalid(format!("serialising {}: {e}", o.id)))?;
            if text.len() > MAX_OBJECT_BYTES {
                return Err(StoreError::invalid(
                    "object",
                    format!(
                        "{}: {} bytes, more than {MAX_OBJECT_BYTES}",
                        o.id,
                        text.len()
                    ),
                ));
            }
            let (tlp, groups, orgs) = marking_columns(&o.marking);
            sqlx::query(&format!(
                "INSERT INTO shared_objects ({COLUMNS}, latest) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            ))
            .bind(o.id.clone())
            .bind(o.version.clone())
            .bind(owner)
            .bind(o.kind.clone())
            .bind(o.spec_version.clone())
            .bind(tlp)
            .bind(groups)
            .bind(orgs)
            .bind(text)
            .bind(next)
            .bind(origin)
            .bind(quarantine.map(str::to_owned))
            .bind(i64::from(latest))
            .execute(&mut *tx)
            .await
            .ctx("storing a shared object")?;
            out.push(PutOutcome::Added { date_added: next });
            next += 1;
            added += 1;
        }
        self.append_audit(
            &mut tx,
            actor,
            Some(owner),
            "shared.put",
            &format!("org:{owner}"),
            Some(serde_json::json!({
                "objects": objects.len(), "added": added, "origin": origin,
                "quarantine": quarantine,
            })),
        )
        .await?;
        tx.commit().await.ctx("storing shared objects")?;
        Ok(out)
    }

    /// One page of shared object versions in `date_added` order that the
    /// query's scope and filters select and `visible` (the policy) accepts:
    /// at most `limit` of them, and whether more follow. Rows are fetched
    /// in batches (the first of `q.batch`, then doubling) until the page is
    /// full.
    pub async fn query_shared(
        &self,
        q: &SharedQuery,
        limit: usize,
        visible: impl Fn(&SharedObject) -> bool,
    ) -> Result<(Vec<SharedObject>, bool)> {
        let (rows, more) = self.query_rows(q, limit, true, visible).await?;
        Ok((rows.into_iter().map(|(o, _)| o).collect(), more))
    }

    /// As [`Store::query_shared`], with each object left as the JSON text
    /// stored (`SharedObject::object` is `Null`): for responses that copy
    /// objects out as they are. `visible` sees every field but `object`.
    pub async fn query_shared_text(
        &self,
        q: &SharedQuery,
        limit: usize,
        visible: impl Fn(&SharedObject) -> bool,
    ) -> Result<(Vec<(SharedObject, String)>, bool)> {
        self.query_rows(q, limit, false, visible).await
    }

    /// The listing behind both: with `decode`, each row's object is decoded
    /// before `visible` sees it (and its text dropped); without, `object`
    /// stays `Null` and the text is kept.
    async fn query_rows(
        &self,
        q: &SharedQuery,
        limit: usize,
        decode: bool,
        visible: impl Fn(&SharedObject) -> bool,
    ) -> Result<(Vec<(SharedObject, String)>, bool)> {
        let mut after = q.added_after.unwrap_or(i64::MIN);
        let mut out = Vec::new();
        let mut batch = q.batch.max(1);
        loop {
            let mut sql = format!("SELECT {COLUMNS} FROM shared_objects WHERE date_added > $1");
            let mut binds: Vec<String> = Vec::new();
            let mut push = |clause: &str, value: String, sql: &mut String| {
                binds.push(value);
                sql.push_str(&clause.replace('?', &format!("${}", binds.len() + 1)));
            };
            match &q.scope {
                Scope::All => {}
                Scope::Public => sql.push_str(" AND tlp = 'TLP:CLEAR'"),
                Scope::Community => {
                    sql.push_str(" AND tlp = 'TLP:GREEN' AND groups = '[]' AND orgs = '[]'");
                }
                Scope::Group(g) => push(" AND groups LIKE ? ESCAPE '\\'", like_member(g), &mut sql),
                Scope::Named(o) => push(" AND orgs LIKE ? ESCAPE '\\'", like_member(o), &mut sql),
                Scope::Owned(o) => push(" AND owner_org = ?", o.clone(), &mut sql),
            }
            match &q.versions {
                Versions::All => {}
                Versions::Last => sql.push_str(" AND latest = 1"),
                Versions::First => sql.push_str(
                    " AND version = (SELECT MIN(s2.version) FROM shared_objects s2 \
                     WHERE s2.id = shared_objects.id)",
                ),
                Versions::Exact(_) => {}
            }
            let exact = match &q.versions {
                Versions::Exact(v) => v.clone(),
                _ => Vec::new(),
            };
            for (column, values) in [
                ("version", &exact),
                ("id", &q.ids),
                ("type", &q.kinds),
                ("spec_version", &q.spec_versions),
            ] {
                if values.is_empty() {
                    continue;
                }
                sql.push_str(&format!(" AND {column} IN ("));
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    push("?", v.clone(), &mut sql);
                }
                sql.push(')');
            }
            sql.push_str(&format!(" ORDER BY date_added LIMIT {batch}"));
            let mut query = sqlx::query(&sql).bind(after);
            for b in &binds {
                query = query.bind(b.clone());
            }
            let rows = query
                .fetch_all(self.pool())
                .await
                .ctx("listing shared objects")?;
            let fetched = rows.len();
            for r in &rows {
                let (mut o, mut text) = meta_from_row(r)?;
                after = o.date_added;
                if decode {
                    o.object = decode_object(&o.id, &text)?;
                    text = String::new();
                }
                if visible(&o) {
                    if out.len() == limit {
                        return Ok((out, true));
                    }
                    out.push((o, text));
                }
            }
            if i64::try_from(fetched).unwrap_or(i64::MAX) < batch {
                return Ok((out, false));
            }
            // The policy dropped rows: read further ahead next time.
            batch = batch.saturating_mul(2).min(10_000);
        }
    }

    /// Releases what a partner's quarantine holds (the partner reinstated,
    /// or an admin judged it), audited (`shared.release`). Returns how many
    /// versions were released.
    /// `owner` is the partner's local organisation (whose objects are held);
    /// the audit event goes to `audit_org`, the one holding the partnership.
    pub async fn release_quarantine(
        &self,
        actor: &Actor,
        audit_org: &str,
        owner: &str,
        partner_id: &str,
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE shared_objects SET quarantine = NULL WHERE quarantine = $1 AND owner_org = $2",
        )
        .bind(partner_id)
        .bind(owner)
        .execute(&mut *tx)
        .await
        .ctx("releasing a quarantine")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(audit_org),
            "shared.release",
            &format!("partner:{partner_id}"),
            Some(serde_json::json!({"released": done.rows_affected()})),
        )
        .await?;
        tx.commit().await.ctx("releasing a quarantine")?;
        Ok(done.rows_affected())
    }

    /// Deletes versions of an object its owner shared, audited
    /// (`shared.delete`); the newest remaining version becomes the latest.
    pub async fn delete_shared(
        &self,
        actor: &Actor,
        owner: &str,
        id: &str,
        versions: &[String],
    ) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let mut deleted = 0;
        for v in versions {
            let done = sqlx::query(
                "DELETE FROM shared_objects WHERE id = $1 AND version = $2 AND owner_org = $3",
            )
            .bind(id)
            .bind(v)
            .bind(owner)
            .execute(&mut *tx)
            .await
            .ctx("deleting a shared object")?;
            deleted += usize::try_from(done.rows_affected()).unwrap_or(0);
        }
        mark_latest(&mut tx, id).await?;
        self.append_audit(
            &mut tx,
            actor,
            Some(owner),
            "shared.delete",
            &format!("shared:{id}"),
            Some(serde_json::json!({"versions": versions, "deleted": deleted})),
        )
        .await?;
        tx.commit().await.ctx("deleting a shared object")?;
        Ok(deleted)
    }

    /// Stores a TAXII status resource.
    pub async fn put_taxii_status(
        &self,
        actor: &Actor,
        org_id: &str,
        id: &str,
        status: &Value,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO taxii_status (id, org_id, status, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(org_id)
        .bind(status.to_string())
        .bind(now_micros())
        .execute(&mut *tx)
        .await
        .ctx("storing a TAXII status")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "taxii.status",
            &format!("taxii_status:{id}"),
            None,
        )
        .await?;
        tx.commit().await.ctx("storing a TAXII status")
    }

    /// A TAXII status resource of the organisation's.
    pub async fn taxii_status(&self, org_id: &str, id: &str) -> Result<Option<Value>> {
        let row = sqlx::query("SELECT status FROM taxii_status WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .fetch_optional(self.pool())
            .await
            .ctx("reading a TAXII status")?;
        let Some(r) = row else { return Ok(None) };
        let text: String = r.try_get(0).ctx("reading a TAXII status")?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StoreError::Invalid(format!("stored TAXII status {id}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_member("a_b%c"), "%\"a\\_b\\%c\"%");
        let m = Marking {
            tlp: Tlp::Amber,
            groups: BTreeSet::from(["g".to_owned()]),
            orgs: BTreeSet::new(),
        };
        let (tlp, groups, orgs) = marking_columns(&m);
        assert_eq!(
            (tlp.as_str(), groups.as_str(), orgs.as_str()),
            ("TLP:AMBER", "[\"g\"]", "[]")
        );
    }
}
