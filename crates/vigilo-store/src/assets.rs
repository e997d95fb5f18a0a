//! Assets: an organisation's scanned machines or applications, each with its
//! current inventory.
//!
//! An upload ([`Store::upload_asset`]) is keyed by (organisation, asset name):
//! the first creates the asset, a later one replaces its inventory whole and
//! counts one more scan, keeping the asset's id. The components are stored
//! one row each, with the package key re-matching looks up
//! ((base ecosystem, normalised name), indexed), beside the uploaded report
//! kept whole. Every read is scoped to one organisation, except
//! [`Store::components_with_package`], which serves the hub's own re-matching
//! across organisations.

use sqlx::Row;
use sqlx::any::AnyRow;
use vigilo_core::Ecosystem;
use vigilo_core::package::PackageKey;

use crate::{Actor, DbContext as _, Result, Store, StoreError, now_micros};

/// Most components one asset's inventory may hold.
pub const MAX_ASSET_COMPONENTS: usize = 1_000_000;
/// Longest asset name, in bytes.
pub const MAX_ASSET_NAME: usize = 255;
/// Longest host name, in bytes.
pub const MAX_ASSET_HOST: usize = 255;
/// Longest component ecosystem, in bytes.
pub const MAX_COMPONENT_ECOSYSTEM: usize = 128;
/// Longest component name, in bytes.
pub const MAX_COMPONENT_NAME: usize = 1024;
/// Longest component version, in bytes.
pub const MAX_COMPONENT_VERSION: usize = 256;
/// Longest component purl, in bytes.
pub const MAX_COMPONENT_PURL: usize = 4096;
/// Longest component path (an evidence chain through archives), in bytes.
pub const MAX_COMPONENT_PATH: usize = 8192;

/// Rows per multi-row `INSERT` (9 parameters each, well under both
/// backends' bind limits).
const INSERT_BATCH: usize = 500;

/// One component of an inventory to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetComponent {
    /// OSV ecosystem name, as given (`PyPI`, `Debian:12`, …).
    pub ecosystem: String,
    /// Package name, as given.
    pub name: String,
    pub version: String,
    pub purl: Option<String>,
    /// Where the scanner found it (evidence path chain).
    pub path: Option<String>,
}

/// An upload: one scan report's inventory for one asset.
#[derive(Debug, Clone)]
pub struct NewAsset {
    /// The asset's name, unique within the organisation (trimmed on storing).
    pub name: String,
    /// The host the scan ran on.
    pub host: String,
    /// When the scan finished, in microseconds since the epoch.
    pub scanned_at: i64,
    /// The scan report as uploaded (JSON), kept whole.
    pub document: String,
    pub components: Vec<AssetComponent>,
}

/// An asset as listed: its metadata, not its inventory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Asset {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub host: String,
    /// When the latest stored scan finished (micros).
    pub scanned_at: i64,
    /// First upload (micros).
    pub created_at: i64,
    /// Latest upload (micros).
    pub uploaded_at: i64,
    /// The actor of the latest upload.
    pub uploaded_by: String,
    /// Components in the current inventory.
    pub component_count: i64,
    /// Uploads so far.
    pub scans: i64,
}

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetUpload {
    pub asset: Asset,
    /// A new asset (else an existing one's inventory was replaced).
    pub created: bool,
    /// Components of the inventory it replaced (0 for a new asset).
    pub replaced: i64,
}

/// A stored component of an asset's current inventory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredComponent {
    /// Position in the uploaded inventory, from 1: the paging cursor.
    pub seq: i64,
    pub ecosystem: String,
    pub name: String,
    /// The ecosystem without a distribution release (`Debian:12` → `Debian`).
    pub key_ecosystem: String,
    /// The name normalised for lookups ([`vigilo_core::package::normalize_name`]).
    pub key_name: String,
    pub version: String,
    pub purl: Option<String>,
    pub path: Option<String>,
}

/// A component found by package key, with the asset that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentHit {
    pub org_id: String,
    pub asset_id: String,
    pub asset_name: String,
    pub component: StoredComponent,
}

const ASSET_COLUMNS: &str = "a.id, a.org_id, a.name, a.host, a.scanned_at, a.created_at, \
     a.uploaded_at, a.uploaded_by, a.component_count, a.scans";

fn asset_from_row(r: &AnyRow) -> std::result::Result<Asset, sqlx::Error> {
    Ok(Asset {
        id: r.try_get(0)?,
        org_id: r.try_get(1)?,
        name: r.try_get(2)?,
        host: r.try_get(3)?,
        scanned_at: r.try_get(4)?,
        created_at: r.try_get(5)?,
        uploaded_at: r.try_get(6)?,
        uploaded_by: r.try_get(7)?,
        component_count: r.try_get(8)?,
        scans: r.try_get(9)?,
    })
}

const COMPONENT_COLUMNS: &str =
    "c.seq, c.ecosystem, c.name, c.key_ecosystem, c.key_name, c.version, c.purl, c.path";

fn component_from_row(r: &AnyRow) -> std::result::Result<StoredComponent, sqlx::Error> {
    Ok(StoredComponent {
        seq: r.try_get(0)?,
        ecosystem: r.try_get(1)?,
        name: r.try_get(2)?,
        key_ecosystem: r.try_get(3)?,
        key_name: r.try_get(4)?,
        version: r.try_get(5)?,
        purl: r.try_get(6)?,
        path: r.try_get(7)?,
    })
}

/// The package key a component is looked up by: (base ecosystem, normalised name).
pub fn component_key(ecosystem: &str, name: &str) -> (String, String) {
    let key = PackageKey::new(Ecosystem::parse(ecosystem), name).base();
    (key.ecosystem.to_string(), key.name)
}

/// Checks one text value: non-empty when `required`, at most `max` bytes,
/// no NUL (PostgreSQL's `TEXT` cannot hold it).
fn check_text(field: &'static str, value: &str, required: bool, max: usize) -> Result<()> {
    if required && value.trim().is_empty() {
        return Err(StoreError::invalid(field, "must not be empty"));
    }
    if value.len() > max {
        return Err(StoreError::invalid(
            field,
            format!("{} bytes, longer than the limit of {max}", value.len()),
        ));
    }
    if value.contains('\0') {
        return Err(StoreError::invalid(
            field,
            "must not contain NUL characters",
        ));
    }
    Ok(())
}

/// Validates an upload (the hub checks the same limits first, naming each
/// bad field's JSON pointer; this is the store's own guard).
fn validate(asset: &NewAsset) -> Result<()> {
    check_text("name", &asset.name, true, MAX_ASSET_NAME)?;
    if asset.name.trim().chars().any(char::is_control) {
        return Err(StoreError::invalid(
            "name",
            "must not contain control characters",
        ));
    }
    check_text("host", &asset.host, false, MAX_ASSET_HOST)?;
    check_text("document", &asset.document, true, usize::MAX)?;
    if asset.components.len() > MAX_ASSET_COMPONENTS {
        return Err(StoreError::invalid(
            "components",
            format!(
                "{} components, more than the limit of {MAX_ASSET_COMPONENTS}",
                asset.components.len()
            ),
        ));
    }
    for c in &asset.components {
        check_text("components", &c.ecosystem, true, MAX_COMPONENT_ECOSYSTEM)?;
        check_text("components", &c.name, true, MAX_COMPONENT_NAME)?;
        check_text("components", &c.version, true, MAX_COMPONENT_VERSION)?;
        if let Some(purl) = &c.purl {
            check_text("components", purl, false, MAX_COMPONENT_PURL)?;
        }
        if let Some(path) = &c.path {
            check_text("components", path, false, MAX_COMPONENT_PATH)?;
        }
    }
    Ok(())
}

impl Store {
    /// Stores an asset's inventory for `org_id`, in one transaction with its
    /// audit event (`asset.upload`).
    ///
    /// The asset is found by (organisation, trimmed name): a new name creates
    /// it (new UUIDv7 id, `scans` 1); a known one keeps its id, has its
    /// components, host, scan time and document replaced by this upload's,
    /// and counts one more scan. Invalid input is a
    /// [`StoreError::InvalidField`] and stores nothing.
    pub async fn upload_asset(
        &self,
        actor: &Actor,
        org_id: &str,
        asset: &NewAsset,
    ) -> Result<AssetUpload> {
        validate(asset)?;
        let name = asset.name.trim();
        let now = now_micros();
        let count = i64::try_from(asset.components.len()).unwrap_or(i64::MAX);
        let mut tx = self.begin_write().await?;
        let existing = sqlx::query(&format!(
            "SELECT {ASSET_COLUMNS} FROM assets a WHERE a.org_id = $1 AND a.name = $2"
        ))
        .bind(org_id)
        .bind(name)
        .fetch_optional(&mut *tx)
        .await
        .ctx("reading an asset")?
        .map(|r| asset_from_row(&r))
        .transpose()
        .ctx("reading an asset")?;
        let (stored, created, replaced) = match existing {
            Some(old) => {
                sqlx::query(
                    "UPDATE assets SET host = $1, scanned_at = $2, uploaded_at = $3, uploaded_by = $4, \
                     component_count = $5, scans = scans + 1, document = $6 WHERE id = $7",
                )
                .bind(&asset.host)
                .bind(asset.scanned_at)
                .bind(now)
                .bind(&actor.actor)
                .bind(count)
                .bind(&asset.document)
                .bind(&old.id)
                .execute(&mut *tx)
                .await
                .ctx("updating an asset")?;
                sqlx::query("DELETE FROM asset_components WHERE asset_id = $1")
                    .bind(&old.id)
                    .execute(&mut *tx)
                    .await
                    .ctx("replacing an asset's components")?;
                let replaced = old.component_count;
                let asset = Asset {
                    host: asset.host.clone(),
                    scanned_at: asset.scanned_at,
                    uploaded_at: now,
                    uploaded_by: actor.actor.clone(),
                    component_count: count,
                    scans: old.scans + 1,
                    ..old
                };
                (asset, false, replaced)
            }
            None => {
                let stored = Asset {
                    id: uuid::Uuid::now_v7().to_string(),
                    org_id: org_id.to_owned(),
                    name: name.to_owned(),
                    host: asset.host.clone(),
                    scanned_at: asset.scanned_at,
                    created_at: now,
                    uploaded_at: now,
                    uploaded_by: actor.actor.clone(),
                    component_count: count,
                    scans: 1,
                };
                sqlx::query(
                    "INSERT INTO assets (id, org_id, name, host, scanned_at, created_at, uploaded_at, \
                     uploaded_by, component_count, scans, document) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&stored.id)
                .bind(&stored.org_id)
                .bind(&stored.name)
                .bind(&stored.host)
                .bind(stored.scanned_at)
                .bind(stored.created_at)
                .bind(stored.uploaded_at)
                .bind(&stored.uploaded_by)
                .bind(stored.component_count)
                .bind(stored.scans)
                .bind(&asset.document)
                .execute(&mut *tx)
                .await
                .map_err(|source| match &source {
                    sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                        StoreError::NotFound {
                            kind: "organisation",
                            id: org_id.to_owned(),
                        }
                    }
                    _ => StoreError::Db {
                        op: "creating an asset",
                        source,
                    },
                })?;
                (stored, true, 0)
            }
        };
        let mut seq: i64 = 0;
        for batch in asset.components.chunks(INSERT_BATCH) {
            let mut sql = String::from(
                "INSERT INTO asset_components (asset_id, seq, ecosystem, name, key_ecosystem, \
                 key_name, version, purl, path) VALUES ",
            );
            for i in 0..batch.len() {
                let p = i * 9;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5,
                    p + 6,
                    p + 7,
                    p + 8,
                    p + 9
                ));
            }
            let mut query = sqlx::query(&sql);
            for c in batch {
                seq += 1;
                let ecosystem = c.ecosystem.trim();
                let (key_ecosystem, key_name) = component_key(ecosystem, &c.name);
                query = query
                    .bind(&stored.id)
                    .bind(seq)
                    .bind(ecosystem)
                    .bind(&c.name)
                    .bind(key_ecosystem)
                    .bind(key_name)
                    .bind(&c.version)
                    .bind(&c.purl)
                    .bind(&c.path);
            }
            query
                .execute(&mut *tx)
                .await
                .ctx("storing an asset's components")?;
        }
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "asset.upload",
            &format!("asset:{}", stored.id),
            Some(serde_json::json!({
                "name": stored.name, "created": created, "components": count,
                "replaced": replaced, "scans": stored.scans,
            })),
        )
        .await?;
        tx.commit().await.ctx("uploading an asset")?;
        Ok(AssetUpload {
            asset: stored,
            created,
            replaced,
        })
    }

    /// The organisation's assets, by name.
    pub async fn list_assets(&self, org_id: &str) -> Result<Vec<Asset>> {
        let rows = sqlx::query(&format!(
            "SELECT {ASSET_COLUMNS} FROM assets a WHERE a.org_id = $1 ORDER BY a.name"
        ))
        .bind(org_id)
        .fetch_all(self.pool())
        .await
        .ctx("listing assets")?;
        rows.iter()
            .map(asset_from_row)
            .collect::<std::result::Result<_, _>>()
            .ctx("decoding assets")
    }

    /// One asset of the organisation by id; `None` when there is none, or
    /// it belongs to another organisation.
    pub async fn asset(&self, org_id: &str, id: &str) -> Result<Option<Asset>> {
        sqlx::query(&format!(
            "SELECT {ASSET_COLUMNS} FROM assets a WHERE a.id = $1 AND a.org_id = $2"
        ))
        .bind(id)
        .bind(org_id)
        .fetch_optional(self.pool())
        .await
        .ctx("reading an asset")?
        .map(|r| asset_from_row(&r))
        .transpose()
        .ctx("decoding an asset")
    }

    /// A page of an asset's current components, in upload order: those with
    /// `seq > after`, at most `limit`. Empty for an asset of another
    /// organisation.
    pub async fn asset_components(
        &self,
        org_id: &str,
        asset_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredComponent>> {
        let rows = sqlx::query(&format!(
            "SELECT {COMPONENT_COLUMNS} FROM asset_components c JOIN assets a ON a.id = c.asset_id \
             WHERE c.asset_id = $1 AND a.org_id = $2 AND c.seq > $3 ORDER BY c.seq LIMIT $4"
        ))
        .bind(asset_id)
        .bind(org_id)
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .ctx("reading an asset's components")?;
        rows.iter()
            .map(component_from_row)
            .collect::<std::result::Result<_, _>>()
            .ctx("decoding an asset's components")
    }

    /// The scan report an asset's current inventory came from, as uploaded.
    pub async fn asset_document(&self, org_id: &str, id: &str) -> Result<Option<String>> {
        sqlx::query("SELECT document FROM assets WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .fetch_optional(self.pool())
            .await
            .and_then(|r| r.map(|r| r.try_get(0)).transpose())
            .ctx("reading an asset's document")
    }

    /// Every stored component of every organisation's assets with this
    /// package key, for re-matching when an advisory arrives: `ecosystem`
    /// and `name` are reduced with [`component_key`] first, so an advisory's
    /// `Debian:12` finds components of `Debian:12` and of `Debian:11` alike
    /// (the matching index decides). Not for answering an organisation:
    /// this reads across organisations.
    pub async fn components_with_package(
        &self,
        ecosystem: &str,
        name: &str,
    ) -> Result<Vec<ComponentHit>> {
        let (key_ecosystem, key_name) = component_key(ecosystem, name);
        let rows = sqlx::query(&format!(
            "SELECT {COMPONENT_COLUMNS}, a.org_id, a.id, a.name FROM asset_components c \
             JOIN assets a ON a.id = c.asset_id \
             WHERE c.key_ecosystem = $1 AND c.key_name = $2 ORDER BY a.org_id, a.name, c.seq"
        ))
        .bind(&key_ecosystem)
        .bind(&key_name)
        .fetch_all(self.pool())
        .await
        .ctx("looking up components by package")?;
        rows.iter()
            .map(|r| {
                Ok(ComponentHit {
                    component: component_from_row(r)?,
                    org_id: r.try_get(8)?,
                    asset_id: r.try_get(9)?,
                    asset_name: r.try_get(10)?,
                })
            })
            .collect::<std::result::Result<_, sqlx::Error>>()
            .ctx("decoding components")
    }
}
