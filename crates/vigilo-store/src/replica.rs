//! Replicas: an organisation's own data, copied from another hub.
//!
//! `vigilo replicate --from URL` fetches the organisation's export from the
//! hub it works on (`GET /api/org/export` there: the files `vigilo export`
//! writes, with their manifest) and keeps it here, each file sealed under
//! this hub's keys, replaced only when its digest changed. If the first hub
//! is cut off, the organisation reads everything from this one
//! (`GET /api/replica`, `GET /api/replica/{file}`).

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256};
use sqlx::Row;

use crate::crypto::FieldRef;
use crate::{Actor, DbContext as _, Result, Store, StoreError, now_micros};

/// One replicated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaFile {
    pub name: String,
    pub source: String,
    pub sha256: String,
    pub records: i64,
    pub fetched_at: i64,
}

/// A file fetched for the replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedFile {
    /// What the source's manifest says.
    pub sha256: String,
    pub records: i64,
    pub content: Vec<u8>,
}

/// What storing a fetch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplicaUpdate {
    pub changed: usize,
    pub unchanged: usize,
}

fn content_field<'a>(org_id: &'a str, name: &'a str) -> FieldRef<'a> {
    FieldRef {
        table: "replica_files",
        column: "content",
        row_id: name,
        org_id,
    }
}

/// A file name as an export writes them: `name.jsonl`.
pub fn check_file_name(name: &str) -> std::result::Result<(), String> {
    let ok = name.len() <= 100
        && name.ends_with(".jsonl")
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(format!("{name:?} is not an export file name (name.jsonl)"))
    }
}

impl Store {
    /// Stores a fetch of the organisation's export from `source`: every file
    /// whose digest changed, sealed, in one transaction with one audit event
    /// (`replica.update`). A file whose content does not match the digest
    /// its manifest names is refused, and nothing is stored.
    pub async fn store_replica(
        &self,
        actor: &Actor,
        org_id: &str,
        source: &str,
        files: &BTreeMap<String, FetchedFile>,
    ) -> Result<ReplicaUpdate> {
        for (name, f) in files {
            check_file_name(name).map_err(|m| StoreError::invalid("files", m))?;
            let actual = hex::encode(Sha256::digest(&f.content));
            if actual != f.sha256 {
                return Err(StoreError::Invalid(format!(
                    "{name}: the content's sha256 is {actual}, the manifest says {}; nothing stored",
                    f.sha256
                )));
            }
        }
        let current: BTreeMap<String, String> = self
            .replica_files(org_id)
            .await?
            .into_iter()
            .map(|f| (f.name, f.sha256))
            .collect();
        let mut sealed = Vec::new();
        let mut update = ReplicaUpdate::default();
        for (name, f) in files {
            if current.get(name) == Some(&f.sha256) {
                update.unchanged += 1;
                continue;
            }
            sealed.push((
                name.clone(),
                f,
                self.seal(content_field(org_id, name), &f.content).await?,
            ));
            update.changed += 1;
        }
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        for (name, f, blob) in sealed {
            sqlx::query(
                "INSERT INTO replica_files (org_id, name, source, sha256, records, content, fetched_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_id, name) DO UPDATE SET \
                 source = excluded.source, sha256 = excluded.sha256, records = excluded.records, \
                 content = excluded.content, fetched_at = excluded.fetched_at",
            )
            .bind(org_id)
            .bind(name)
            .bind(source)
            .bind(f.sha256.clone())
            .bind(f.records)
            .bind(blob)
            .bind(now)
            .execute(&mut *tx)
            .await
            .ctx("storing a replica file")?;
        }
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "replica.update",
            &format!("org:{org_id}"),
            Some(serde_json::json!({
                "source": source, "changed": update.changed, "unchanged": update.unchanged,
            })),
        )
        .await?;
        tx.commit().await.ctx("storing a replica")?;
        Ok(update)
    }

    /// The organisation's replicated files (without content).
    pub async fn replica_files(&self, org_id: &str) -> Result<Vec<ReplicaFile>> {
        let rows = sqlx::query(
            "SELECT name, source, sha256, records, fetched_at FROM replica_files \
             WHERE org_id = $1 ORDER BY name",
        )
        .bind(org_id)
        .fetch_all(self.pool())
        .await
        .ctx("listing replica files")?;
        rows.iter()
            .map(|r| {
                Ok(ReplicaFile {
                    name: r.try_get(0)?,
                    source: r.try_get(1)?,
                    sha256: r.try_get(2)?,
                    records: r.try_get(3)?,
                    fetched_at: r.try_get(4)?,
                })
            })
            .collect::<std::result::Result<_, sqlx::Error>>()
            .ctx("decoding replica files")
    }

    /// One replicated file's content, opened; the reading is audited
    /// (`replica.read`).
    pub async fn replica_file(
        &self,
        actor: &Actor,
        org_id: &str,
        name: &str,
    ) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT content FROM replica_files WHERE org_id = $1 AND name = $2")
            .bind(org_id)
            .bind(name)
            .fetch_optional(self.pool())
            .await
            .ctx("reading a replica file")?;
        let Some(r) = row else { return Ok(None) };
        let blob: Vec<u8> = r.try_get(0).ctx("reading a replica file")?;
        let plain = self.open_sealed(content_field(org_id, name), &blob).await?;
        self.record(
            actor,
            Some(org_id),
            "replica.read",
            &format!("replica:{name}"),
            None,
        )
        .await?;
        Ok(Some(plain.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_file_names_only() {
        assert!(check_file_name("cases.jsonl").is_ok());
        assert!(check_file_name("../etc/passwd").is_err());
        assert!(check_file_name("cases.json").is_err());
        assert!(check_file_name("Cases.jsonl").is_err());
    }
}
