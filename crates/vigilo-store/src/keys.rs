//! Organisation data keys, sealed fields and KEK rotation.

use std::path::Path;

use sqlx::{AnyConnection, Row};
use zeroize::Zeroizing;

use crate::crypto::{self, FieldRef, Key};
use crate::{Actor, DbContext as _, Result, Store, StoreError, now_micros};

const DEK_PURPOSE: &str = "org-data";

impl Store {
    pub(crate) async fn create_org_key(
        &self,
        conn: &mut AnyConnection,
        org_id: &str,
        version: i64,
    ) -> Result<()> {
        let dek = Key::generate();
        let kek = self.current_kek(conn).await?;
        let wrapped = crypto::wrap_key(&kek, DEK_PURPOSE, org_id, version, &dek);
        sqlx::query(
            "INSERT INTO org_keys (org_id, version, wrapped, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(org_id)
        .bind(version)
        .bind(wrapped)
        .bind(now_micros())
        .execute(&mut *conn)
        .await
        .ctx("creating an organisation data key")?;
        self.cache_dek(org_id, version, dek);
        Ok(())
    }

    /// The organisation's data key of `version` (`None`: the newest).
    async fn org_key(&self, org_id: &str, version: Option<i64>) -> Result<(i64, Key)> {
        if let Some(v) = version {
            if let Some(k) = self.cached_dek(org_id, v) {
                return Ok((v, k));
            }
        }
        let row = match version {
            Some(v) => sqlx::query("SELECT version, wrapped FROM org_keys WHERE org_id = $1 AND version = $2")
                .bind(org_id)
                .bind(v)
                .fetch_optional(self.pool())
                .await,
            None => sqlx::query(
                "SELECT version, wrapped FROM org_keys WHERE org_id = $1 ORDER BY version DESC LIMIT 1",
            )
            .bind(org_id)
            .fetch_optional(self.pool())
            .await,
        }
        .ctx("reading an organisation data key")?
        .ok_or_else(|| StoreError::NotFound {
            kind: "data key of organisation",
            id: org_id.to_owned(),
        })?;
        let v: i64 = row.try_get(0).ctx("reading an organisation data key")?;
        if let Some(k) = self.cached_dek(org_id, v) {
            return Ok((v, k));
        }
        let wrapped: Vec<u8> = row.try_get(1).ctx("reading an organisation data key")?;
        let key = match crypto::unwrap_key(&self.kek(), DEK_PURPOSE, org_id, v, &wrapped) {
            Ok(k) => k,
            Err(first) => {
                // Perhaps another process rotated the KEK since we loaded ours.
                let mut conn = self
                    .pool()
                    .acquire()
                    .await
                    .ctx("reading the KEK fingerprint")?;
                let kek = self.current_kek(&mut conn).await?;
                crypto::unwrap_key(&kek, DEK_PURPOSE, org_id, v, &wrapped).map_err(|_| first)?
            }
        };
        self.cache_dek(org_id, v, key.clone());
        Ok((v, key))
    }

    /// Encrypts a value for a sealed column under the organisation's newest key.
    pub async fn seal(&self, field: FieldRef<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        let (version, key) = self.org_key(field.org_id, None).await?;
        let version = u32::try_from(version)
            .map_err(|_| StoreError::Invalid(format!("data key version {version} out of range")))?;
        Ok(crypto::seal(&key, version, field, plaintext))
    }

    /// Decrypts a sealed column value.
    pub async fn open_sealed(
        &self,
        field: FieldRef<'_>,
        blob: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let version = crypto::sealed_key_version(blob).ok_or_else(|| {
            StoreError::Decrypt(format!(
                "{}.{}: not a sealed value",
                field.table, field.column
            ))
        })?;
        let (_, key) = self.org_key(field.org_id, Some(i64::from(version))).await?;
        crypto::open(&key, field, blob)
    }

    /// Re-wraps every data key and the hub's signing key under `new_kek`, in
    /// one transaction, and records the new key's fingerprint. The data itself
    /// is not touched. If `kek_file` is given, the new key is written to
    /// `<kek_file>.next` before the commit and renamed over `kek_file` after
    /// it, so a crash at any point leaves a key that opens the database.
    pub async fn rotate_kek(
        &self,
        actor: &Actor,
        new_kek: &Key,
        kek_file: Option<&Path>,
    ) -> Result<usize> {
        if let Some(path) = kek_file {
            crypto::write_secret_file(
                &crate::db::keys_next_path(path),
                new_kek.to_text().as_bytes(),
            )?;
        }
        let mut tx = self.begin_write().await?;
        let old = self.current_kek(&mut tx).await?;
        let rows =
            sqlx::query("SELECT org_id, version, wrapped FROM org_keys ORDER BY org_id, version")
                .fetch_all(&mut *tx)
                .await
                .ctx("reading data keys")?;
        let mut count = 0;
        for r in &rows {
            let org: String = r.try_get(0).ctx("reading data keys")?;
            let version: i64 = r.try_get(1).ctx("reading data keys")?;
            let wrapped: Vec<u8> = r.try_get(2).ctx("reading data keys")?;
            let dek = crypto::unwrap_key(&old, DEK_PURPOSE, &org, version, &wrapped)?;
            let rewrapped = crypto::wrap_key(new_kek, DEK_PURPOSE, &org, version, &dek);
            sqlx::query("UPDATE org_keys SET wrapped = $1 WHERE org_id = $2 AND version = $3")
                .bind(rewrapped)
                .bind(&org)
                .bind(version)
                .execute(&mut *tx)
                .await
                .ctx("re-wrapping a data key")?;
            count += 1;
        }
        let rows = sqlx::query("SELECT id, wrapped FROM hub_keys")
            .fetch_all(&mut *tx)
            .await
            .ctx("reading hub keys")?;
        for r in &rows {
            let id: String = r.try_get(0).ctx("reading hub keys")?;
            let wrapped: Vec<u8> = r.try_get(1).ctx("reading hub keys")?;
            let seed = crypto::unwrap_key(&old, "hub-signing", &id, 1, &wrapped)?;
            sqlx::query("UPDATE hub_keys SET wrapped = $1 WHERE id = $2")
                .bind(crypto::wrap_key(new_kek, "hub-signing", &id, 1, &seed))
                .bind(&id)
                .execute(&mut *tx)
                .await
                .ctx("re-wrapping the hub key")?;
            count += 1;
        }
        sqlx::query("UPDATE meta SET value = $1 WHERE key = 'kek_fingerprint'")
            .bind(new_kek.fingerprint())
            .execute(&mut *tx)
            .await
            .ctx("recording the new KEK fingerprint")?;
        self.append_audit(
            &mut tx,
            actor,
            None,
            "keys.rotate",
            "kek",
            Some(serde_json::json!({"from": old.fingerprint(), "to": new_kek.fingerprint(), "rewrapped": count})),
        )
        .await?;
        tx.commit().await.ctx("rotating the KEK")?;
        self.set_kek(new_kek.clone());
        if let Some(path) = kek_file {
            fs_err::rename(crate::db::keys_next_path(path), path)?;
        }
        Ok(count)
    }
}
