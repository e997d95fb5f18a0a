//! Advisories: idempotent import (a newer `modified` wins), lookup, and the
//! generation counter other processes watch to reload their indexes.

use std::collections::HashMap;

use sqlx::Row;

use crate::{Actor, DbContext as _, Result, Store, StoreError, now_micros};

/// One record to import, already validated by `vigilo-formats`.
#[derive(Debug, Clone)]
pub struct AdvisoryRecord {
    pub id: String,
    /// As in the record (RFC 3339).
    pub modified: String,
    /// `modified` as microseconds since the epoch, for comparisons.
    pub modified_at: i64,
    pub withdrawn: Option<String>,
    pub summary: Option<String>,
    pub aliases: Vec<String>,
    /// (OSV ecosystem, normalised package name) pairs it affects.
    pub packages: Vec<(String, String)>,
    /// The whole record as JSON.
    pub json: String,
    /// Where it came from (file path, archive member, `api`).
    pub source: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportCounts {
    pub inserted: usize,
    pub updated: usize,
    /// Same `modified` as stored: left alone.
    pub unchanged: usize,
    /// Older than what is stored: left alone.
    pub older: usize,
    /// Ids owned by another organisation (or public, for an organisation's upload).
    pub conflicts: Vec<String>,
}

/// A stored advisory.
#[derive(Debug, Clone)]
pub struct StoredAdvisory {
    pub id: String,
    pub owner_org: Option<String>,
    pub json: String,
}

impl Store {
    /// Imports records in one transaction: all or nothing. `owner` is the
    /// organisation uploading them, or `None` for public advisories.
    pub async fn import_advisories(
        &self,
        actor: &Actor,
        owner: Option<&str>,
        records: &[AdvisoryRecord],
    ) -> Result<ImportCounts> {
        let mut counts = ImportCounts::default();
        let mut tx = self.begin_write().await?;
        let existing: HashMap<String, (Option<String>, i64, String)> =
            sqlx::query("SELECT id, owner_org, modified_at, modified FROM advisories")
                .fetch_all(&mut *tx)
                .await
                .ctx("reading stored advisories")?
                .iter()
                .map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))))
                .collect::<std::result::Result<_, sqlx::Error>>()
                .ctx("reading stored advisories")?;
        // Within one import, the newest copy of an id wins.
        let mut newest: HashMap<&str, &AdvisoryRecord> = HashMap::new();
        for r in records {
            match newest.get(r.id.as_str()) {
                Some(prev) if prev.modified_at >= r.modified_at => {}
                _ => {
                    newest.insert(&r.id, r);
                }
            }
        }
        let mut ids: Vec<&str> = newest.keys().copied().collect();
        ids.sort_unstable();
        let now = now_micros();
        for id in ids {
            let r = newest[id];
            let update = match existing.get(id) {
                Some((stored_owner, _, _)) if stored_owner.as_deref() != owner => {
                    counts.conflicts.push(id.to_owned());
                    continue;
                }
                Some((_, at, m)) if *at == r.modified_at && *m == r.modified => {
                    counts.unchanged += 1;
                    continue;
                }
                Some((_, at, _)) if *at > r.modified_at => {
                    counts.older += 1;
                    continue;
                }
                Some(_) => true,
                None => false,
            };
            let aliases = serde_json::to_string(&r.aliases).unwrap_or_else(|_| "[]".into());
            if update {
                sqlx::query(
                    "UPDATE advisories SET modified = $1, modified_at = $2, withdrawn = $3, summary = $4, \
                     aliases = $5, record = $6, source = $7, imported_at = $8 WHERE id = $9",
                )
                .bind(&r.modified)
                .bind(r.modified_at)
                .bind(&r.withdrawn)
                .bind(&r.summary)
                .bind(&aliases)
                .bind(&r.json)
                .bind(&r.source)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await
                .ctx("updating an advisory")?;
                for table in ["advisory_packages", "advisory_aliases"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE advisory_id = $1"))
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .ctx("updating an advisory")?;
                }
                counts.updated += 1;
            } else {
                sqlx::query(
                    "INSERT INTO advisories (id, owner_org, modified, modified_at, withdrawn, summary, aliases, record, source, imported_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(id)
                .bind(owner)
                .bind(&r.modified)
                .bind(r.modified_at)
                .bind(&r.withdrawn)
                .bind(&r.summary)
                .bind(&aliases)
                .bind(&r.json)
                .bind(&r.source)
                .bind(now)
                .execute(&mut *tx)
                .await
                .ctx("inserting an advisory")?;
                counts.inserted += 1;
            }
            let mut packages = r.packages.clone();
            packages.sort();
            packages.dedup();
            for (eco, name) in &packages {
                sqlx::query("INSERT INTO advisory_packages (advisory_id, ecosystem, name) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(eco)
                    .bind(name)
                    .execute(&mut *tx)
                    .await
                    .ctx("indexing an advisory's packages")?;
            }
            let mut aliases = r.aliases.clone();
            aliases.sort();
            aliases.dedup();
            for alias in &aliases {
                sqlx::query("INSERT INTO advisory_aliases (alias, advisory_id) VALUES ($1, $2)")
                    .bind(alias)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .ctx("indexing an advisory's aliases")?;
            }
        }
        if counts.inserted + counts.updated > 0 {
            sqlx::query(
                "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'advisories_generation'",
            )
            .execute(&mut *tx)
            .await
            .ctx("advancing the advisories generation")?;
        }
        self.append_audit(
            &mut tx,
            actor,
            owner,
            "advisories.import",
            "advisories",
            Some(serde_json::json!({
                "records": records.len(), "inserted": counts.inserted, "updated": counts.updated,
                "unchanged": counts.unchanged, "older": counts.older, "conflicts": counts.conflicts.len(),
            })),
        )
        .await?;
        tx.commit().await.ctx("importing advisories")?;
        Ok(counts)
    }

    /// The generation counter: changes whenever advisories change.
    pub async fn advisories_generation(&self) -> Result<i64> {
        let v: String = sqlx::query("SELECT value FROM meta WHERE key = 'advisories_generation'")
            .fetch_one(self.pool())
            .await
            .and_then(|r| r.try_get(0))
            .ctx("reading the advisories generation")?;
        v.parse().map_err(|_| {
            StoreError::Invalid(format!("advisories generation {v:?} is not a number"))
        })
    }

    /// Every stored advisory (for building a matching index).
    pub async fn all_advisories(&self) -> Result<Vec<StoredAdvisory>> {
        let rows = sqlx::query("SELECT id, owner_org, record FROM advisories ORDER BY id")
            .fetch_all(self.pool())
            .await
            .ctx("reading advisories")?;
        rows.iter()
            .map(|r| {
                Ok(StoredAdvisory {
                    id: r.try_get(0)?,
                    owner_org: r.try_get(1)?,
                    json: r.try_get(2)?,
                })
            })
            .collect::<std::result::Result<_, sqlx::Error>>()
            .ctx("reading advisories")
    }

    /// One advisory by id or alias, if `org` (None: anonymous) may see it:
    /// public ones, and the organisation's own.
    pub async fn advisory(&self, id: &str, org: Option<&str>) -> Result<Option<StoredAdvisory>> {
        let rows = sqlx::query(
            "SELECT a.id, a.owner_org, a.record FROM advisories a WHERE a.id = $1 \
             UNION SELECT a.id, a.owner_org, a.record FROM advisories a \
             JOIN advisory_aliases al ON al.advisory_id = a.id WHERE al.alias = $1",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await
        .ctx("reading an advisory")?;
        let mut found = Vec::new();
        for r in &rows {
            let a = StoredAdvisory {
                id: r.try_get(0).ctx("reading an advisory")?,
                owner_org: r.try_get(1).ctx("reading an advisory")?,
                json: r.try_get(2).ctx("reading an advisory")?,
            };
            if a.owner_org.is_none() || a.owner_org.as_deref() == org {
                found.push(a);
            }
        }
        // An exact id beats an alias.
        found.sort_by_key(|a| a.id != id);
        Ok(found.into_iter().next())
    }
}
