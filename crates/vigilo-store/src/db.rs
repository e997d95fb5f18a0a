//! Opening the database, the write path and the audit chain's storage.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use ed25519_dalek::{SigningKey, VerifyingKey};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyConnection, AnyPool, Connection as _, Executor as _, Row, Transaction};

use crate::audit::{self, AuditEvent, ChainBreak, Checkpoint, NewEvent};
use crate::crypto::{self, KekSource, Key};
use crate::{Actor, DbContext as _, Result, StoreError, now_micros};

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://path?mode=rwc` or `postgres://…`.
    pub url: String,
    /// Where the KEK comes from.
    pub kek: KekSource,
    /// Pool size (SQLite readers share the file; one writer at a time).
    pub max_connections: u32,
    /// How long a writer waits for the SQLite write lock.
    pub busy_timeout: Duration,
}

impl StoreOptions {
    pub fn new(url: impl Into<String>, kek: KekSource) -> Self {
        StoreOptions {
            url: url.into(),
            kek,
            max_connections: 16,
            busy_timeout: Duration::from_secs(30),
        }
    }
}

struct Inner {
    pool: AnyPool,
    backend: Backend,
    kek: RwLock<Key>,
    /// Where the KEK came from, to pick up a rotation made by another process.
    kek_source: KekSource,
    signing: SigningKey,
    /// Unwrapped data keys by (org id, version).
    deks: RwLock<HashMap<(String, i64), Key>>,
}

/// The hub's database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.backend)
            .finish_non_exhaustive()
    }
}

fn backend_of(url: &str) -> Result<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::Invalid(format!(
            "unsupported database URL {:?}: expected sqlite://… or postgres://…",
            redact_url(url)
        )))
    }
}

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Store {
    /// Opens (and on first use creates) the database.
    ///
    /// Order matters: the KEK is checked against the database *before* any
    /// migration runs, so a wrong key changes nothing on disk.
    pub async fn open(opts: &StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(&opts.url)?;
        if backend == Backend::Sqlite {
            if let Some(path) = sqlite_path(&opts.url) {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    fs_err::create_dir_all(dir)?;
                }
            }
        }
        let busy_ms = opts.busy_timeout.as_millis();
        let connect: AnyConnectOptions = opts.url.parse().ctx("parsing the database URL")?;
        let pool = AnyPoolOptions::new()
            .max_connections(opts.max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            format!(
                                "PRAGMA busy_timeout = {busy_ms}; PRAGMA journal_mode = WAL; \
                                 PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
                            )
                            .as_str(),
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(connect)
            .await
            .map_err(|source| StoreError::Db {
                op: "connecting to the database",
                source,
            })?;

        let initialized = table_exists(&pool, backend, "meta").await?;
        let stored_fp = if initialized {
            sqlx::query("SELECT value FROM meta WHERE key = 'kek_fingerprint'")
                .fetch_optional(&pool)
                .await
                .ctx("reading the KEK fingerprint")?
                .map(|r| r.try_get::<String, _>(0))
                .transpose()
                .ctx("reading the KEK fingerprint")?
        } else {
            None
        };
        let kek = load_kek(&opts.kek, stored_fp.as_deref())?;

        match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
        }

        let signing = match stored_fp {
            Some(_) => load_signing_key(&pool, &kek).await?,
            None => init_hub(&pool, &kek).await?,
        };
        Ok(Store {
            inner: Arc::new(Inner {
                pool,
                backend,
                kek: RwLock::new(kek),
                kek_source: opts.kek.clone(),
                signing,
                deks: RwLock::new(HashMap::new()),
            }),
        })
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }

    /// The hub's checkpoint-signing public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.inner.signing.verifying_key()
    }

    /// The hub's signing key (audit checkpoints, report receipts).
    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.inner.signing
    }

    pub(crate) fn kek(&self) -> Key {
        self.inner
            .kek
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The fingerprint of the KEK this process holds.
    pub fn kek_fingerprint(&self) -> String {
        self.kek().fingerprint()
    }

    /// The KEK the database is encrypted under now. If another process
    /// rotated it (the recorded fingerprint differs from ours), the key is
    /// reloaded from its source; a source that does not have it (an inline
    /// key) is an error, so nothing is ever wrapped under a retired KEK.
    pub(crate) async fn current_kek(&self, conn: &mut AnyConnection) -> Result<Key> {
        let held = self.kek();
        let recorded: Option<String> =
            sqlx::query("SELECT value FROM meta WHERE key = 'kek_fingerprint'")
                .fetch_optional(&mut *conn)
                .await
                .and_then(|r| r.map(|r| r.try_get(0)).transpose())
                .ctx("reading the KEK fingerprint")?;
        let Some(recorded) = recorded else {
            return Ok(held);
        };
        if recorded == held.fingerprint() {
            return Ok(held);
        }
        let fresh = load_kek(&self.inner.kek_source, Some(&recorded)).map_err(|e| {
            StoreError::Kek(format!(
                "the key-encryption key was rotated by another process and this process cannot load \
                 the new one ({e}); restart it with the new key"
            ))
        })?;
        tracing::info!(fingerprint = %recorded, "picked up a rotated key-encryption key");
        self.set_kek(fresh.clone());
        Ok(fresh)
    }

    pub(crate) fn set_kek(&self, key: Key) {
        *self.inner.kek.write().unwrap_or_else(|e| e.into_inner()) = key;
    }

    pub(crate) fn cached_dek(&self, org_id: &str, version: i64) -> Option<Key> {
        self.inner
            .deks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(org_id.to_owned(), version))
            .cloned()
    }

    pub(crate) fn cache_dek(&self, org_id: &str, version: i64, key: Key) {
        self.inner
            .deks
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((org_id.to_owned(), version), key);
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT CAST(1 AS BIGINT)")
            .fetch_one(&self.inner.pool)
            .await
            .ctx("pinging the database")?;
        Ok(())
    }

    pub async fn close(&self) {
        self.inner.pool.close().await;
    }

    /// Starts a write transaction holding the audit chain's head lock.
    ///
    /// The first statement is a write, so SQLite takes its write lock at once
    /// (waiting up to the busy timeout) and PostgreSQL locks the head row:
    /// writers are serialised and never fail on a stale snapshot.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>> {
        let mut tx = self
            .inner
            .pool
            .begin()
            .await
            .ctx("starting a transaction")?;
        sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
            .execute(&mut *tx)
            .await
            .ctx("locking the audit chain")?;
        Ok(tx)
    }

    /// Appends an event to the audit chain inside a transaction from
    /// [`Store::begin_write`]. Signs a checkpoint every
    /// [`audit::CHECKPOINT_EVERY`] entries.
    pub async fn append_audit(
        &self,
        conn: &mut AnyConnection,
        actor: &Actor,
        org_id: Option<&str>,
        action: &str,
        object: &str,
        detail: Option<serde_json::Value>,
    ) -> Result<i64> {
        let event = NewEvent {
            actor: actor.actor.clone(),
            org_id: org_id.map(str::to_owned),
            action: action.to_owned(),
            object: object.to_owned(),
            request_id: actor.request_id.clone(),
            source: actor.source.clone(),
            detail: detail.map(|d| d.to_string()),
        };
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *conn)
            .await
            .ctx("reading the audit chain head")?;
        let prev_seq: i64 = head.try_get(0).ctx("reading the audit chain head")?;
        let prev_hash: Vec<u8> = head.try_get(1).ctx("reading the audit chain head")?;
        let seq = prev_seq + 1;
        let at = now_micros();
        let hash = audit::entry_hash(&prev_hash, seq, at, &event);
        sqlx::query(
            "INSERT INTO audit_events (seq, at, actor, org_id, action, object, request_id, source, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(seq)
        .bind(at)
        .bind(&event.actor)
        .bind(&event.org_id)
        .bind(&event.action)
        .bind(&event.object)
        .bind(&event.request_id)
        .bind(&event.source)
        .bind(&event.detail)
        .bind(&prev_hash)
        .bind(hash.to_vec())
        .execute(&mut *conn)
        .await
        .ctx("appending to the audit chain")?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(hash.to_vec())
            .execute(&mut *conn)
            .await
            .ctx("advancing the audit chain head")?;
        if seq % audit::CHECKPOINT_EVERY == 0 {
            self.insert_checkpoint(conn, seq, &hash, at).await?;
        }
        Ok(seq)
    }

    async fn insert_checkpoint(
        &self,
        conn: &mut AnyConnection,
        seq: i64,
        hash: &[u8],
        at: i64,
    ) -> Result<()> {
        let c = audit::sign_checkpoint(&self.inner.signing, seq, hash, at);
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (seq) DO NOTHING",
        )
        .bind(c.seq)
        .bind(c.hash)
        .bind(c.at)
        .bind(c.key_id)
        .bind(c.signature)
        .execute(&mut *conn)
        .await
        .ctx("writing an audit checkpoint")?;
        Ok(())
    }

    /// Records one event in its own transaction (for sensitive reads and
    /// events with no other write).
    pub async fn record(
        &self,
        actor: &Actor,
        org_id: Option<&str>,
        action: &str,
        object: &str,
        detail: Option<serde_json::Value>,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let seq = self
            .append_audit(&mut tx, actor, org_id, action, object, detail)
            .await?;
        tx.commit().await.ctx("committing an audit event")?;
        Ok(seq)
    }

    /// Signs a checkpoint of the current head if it has none yet.
    /// Returns the checkpointed sequence number, if one was written.
    pub async fn checkpoint(&self) -> Result<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *tx)
            .await
            .ctx("reading the audit chain head")?;
        let seq: i64 = head.try_get(0).ctx("reading the audit chain head")?;
        let hash: Vec<u8> = head.try_get(1).ctx("reading the audit chain head")?;
        let exists = sqlx::query("SELECT seq FROM audit_checkpoints WHERE seq = $1")
            .bind(seq)
            .fetch_optional(&mut *tx)
            .await
            .ctx("reading audit checkpoints")?
            .is_some();
        if seq == 0 || exists {
            return Ok(None);
        }
        self.insert_checkpoint(&mut tx, seq, &hash, now_micros())
            .await?;
        tx.commit().await.ctx("committing an audit checkpoint")?;
        Ok(Some(seq))
    }

    /// Reads audit events with `seq > after`, oldest first. `org_id` limits
    /// them to one organisation's.
    pub async fn audit_events(
        &self,
        org_id: Option<&str>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditEvent>> {
        let rows = match org_id {
            Some(org) => sqlx::query(
                "SELECT seq, at, actor, org_id, action, object, request_id, source, detail, prev_hash, hash \
                 FROM audit_events WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            )
            .bind(org)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.inner.pool)
            .await,
            None => sqlx::query(
                "SELECT seq, at, actor, org_id, action, object, request_id, source, detail, prev_hash, hash \
                 FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(after)
            .bind(limit)
            .fetch_all(&self.inner.pool)
            .await,
        }
        .ctx("reading audit events")?;
        rows.iter()
            .map(event_from_row)
            .collect::<std::result::Result<_, _>>()
            .ctx("decoding audit events")
    }

    /// Walks the whole chain and its checkpoints.
    ///
    /// `key` is the public key checkpoints must verify under; by default the
    /// hub's own (derived from its wrapped secret, which needs the KEK).
    pub async fn verify_audit(&self, key: Option<VerifyingKey>) -> Result<VerifyReport> {
        let key = key.unwrap_or_else(|| self.verifying_key());
        let mut verifier = audit::ChainVerifier::default();
        let mut hashes_at_checkpoints: HashMap<i64, Vec<u8>> = HashMap::new();
        let checkpoints = self.checkpoints().await?;
        let wanted: std::collections::HashSet<i64> = checkpoints.iter().map(|c| c.seq).collect();
        let mut after = 0;
        let mut broken = None;
        'walk: loop {
            let page = self.audit_events(None, after, 5000).await?;
            if page.is_empty() {
                break;
            }
            for e in &page {
                if let Err(b) = verifier.push(e) {
                    broken = Some(b);
                    break 'walk;
                }
                if wanted.contains(&e.seq) {
                    hashes_at_checkpoints.insert(e.seq, e.hash.clone());
                }
                after = e.seq;
            }
        }
        if broken.is_none() {
            for c in &checkpoints {
                let why = match hashes_at_checkpoints.get(&c.seq) {
                    None => Some("refers to an entry that is not in the log".to_owned()),
                    Some(h) if *h != c.hash => Some(
                        "the entry's hash differs from the signed one; history was rewritten"
                            .to_owned(),
                    ),
                    Some(_) if !audit::verify_checkpoint(&key, c) => Some(format!(
                        "signature does not verify under hub key {}",
                        audit::key_id(&key)
                    )),
                    Some(_) => None,
                };
                if let Some(why) = why {
                    broken = Some(ChainBreak::Checkpoint { seq: c.seq, why });
                    break;
                }
            }
        }
        if broken.is_none() {
            let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(&self.inner.pool)
                .await
                .ctx("reading the audit chain head")?;
            let head_seq: i64 = head.try_get(0).ctx("reading the audit chain head")?;
            let head_hash: Vec<u8> = head.try_get(1).ctx("reading the audit chain head")?;
            if head_seq != verifier.last_seq() || head_hash != verifier.last_hash() {
                broken = Some(ChainBreak::Head {
                    head: head_seq,
                    last: verifier.last_seq(),
                });
            }
        }
        Ok(VerifyReport {
            entries: verifier.checked,
            checkpoints: checkpoints.len(),
            key_id: audit::key_id(&key),
            broken,
        })
    }

    pub async fn checkpoints(&self) -> Result<Vec<Checkpoint>> {
        let rows = sqlx::query(
            "SELECT seq, hash, at, key_id, signature FROM audit_checkpoints ORDER BY seq",
        )
        .fetch_all(&self.inner.pool)
        .await
        .ctx("reading audit checkpoints")?;
        rows.iter()
            .map(|r| {
                Ok(Checkpoint {
                    seq: r.try_get(0)?,
                    hash: r.try_get(1)?,
                    at: r.try_get(2)?,
                    key_id: r.try_get(3)?,
                    signature: r.try_get(4)?,
                })
            })
            .collect::<std::result::Result<_, sqlx::Error>>()
            .ctx("decoding audit checkpoints")
    }
}

/// The outcome of [`Store::verify_audit`].
#[derive(Debug, Clone)]
pub struct VerifyReport {
    /// Entries checked before the first break (all of them when intact).
    pub entries: i64,
    pub checkpoints: usize,
    pub key_id: String,
    pub broken: Option<ChainBreak>,
}

fn event_from_row(r: &AnyRow) -> std::result::Result<AuditEvent, sqlx::Error> {
    Ok(AuditEvent {
        seq: r.try_get(0)?,
        at: r.try_get(1)?,
        actor: r.try_get(2)?,
        org_id: r.try_get(3)?,
        action: r.try_get(4)?,
        object: r.try_get(5)?,
        request_id: r.try_get(6)?,
        source: r.try_get(7)?,
        detail: r.try_get(8)?,
        prev_hash: r.try_get(9)?,
        hash: r.try_get(10)?,
    })
}

fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(PathBuf::from(path))
    }
}

async fn table_exists(pool: &AnyPool, backend: Backend, table: &str) -> Result<bool> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT CAST(count(*) AS BIGINT) FROM sqlite_master WHERE type = 'table' AND name = $1"
        }
        Backend::Postgres => {
            "SELECT CAST(count(*) AS BIGINT) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    let n: i64 = sqlx::query(sql)
        .bind(table)
        .fetch_one(pool)
        .await
        .and_then(|r| r.try_get(0))
        .ctx("inspecting the schema")?;
    Ok(n > 0)
}

/// Loads the KEK and checks it against the database's fingerprint. A pending
/// `<kek>.next` file (a rotation interrupted after its commit) is promoted.
fn load_kek(source: &KekSource, expected: Option<&str>) -> Result<Key> {
    let create = expected.is_none();
    let (key, _created) = source.load(create)?;
    let Some(expected) = expected else {
        return Ok(key);
    };
    if key.fingerprint() == expected {
        return Ok(key);
    }
    if let KekSource::File(path) = source {
        let next = keys_next_path(path);
        if let Ok((candidate, _)) = KekSource::File(next.clone()).load(false) {
            if candidate.fingerprint() == expected {
                fs_err::rename(&next, path)?;
                return Ok(candidate);
            }
        }
    }
    Err(StoreError::WrongKek {
        expected: expected.to_owned(),
        actual: key.fingerprint(),
        source_desc: match source {
            KekSource::File(p) => p.display().to_string(),
            KekSource::Inline(_) => "VIGILO_KEK".to_owned(),
        },
    })
}

pub(crate) fn keys_next_path(path: &std::path::Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".next");
    PathBuf::from(p)
}

async fn init_hub(pool: &AnyPool, kek: &Key) -> Result<SigningKey> {
    let seed = Key::generate();
    let signing = SigningKey::from_bytes(seed.as_bytes());
    let id = audit::key_id(&signing.verifying_key());
    let wrapped = crypto::wrap_key(kek, "hub-signing", &id, 1, &seed);
    let mut conn = pool.acquire().await.ctx("initialising the hub")?;
    let mut tx = conn.begin().await.ctx("initialising the hub")?;
    sqlx::query("INSERT INTO meta (key, value) VALUES ('kek_fingerprint', $1), ('created_at', $2)")
        .bind(kek.fingerprint())
        .bind(crate::micros_to_rfc3339(now_micros()))
        .execute(&mut *tx)
        .await
        .ctx("initialising the hub")?;
    sqlx::query(
        "INSERT INTO hub_keys (id, public_key, wrapped, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&id)
    .bind(signing.verifying_key().as_bytes().to_vec())
    .bind(wrapped)
    .bind(now_micros())
    .execute(&mut *tx)
    .await
    .ctx("storing the hub signing key")?;
    tx.commit().await.ctx("initialising the hub")?;
    Ok(signing)
}

async fn load_signing_key(pool: &AnyPool, kek: &Key) -> Result<SigningKey> {
    let row = sqlx::query("SELECT id, wrapped FROM hub_keys ORDER BY created_at DESC LIMIT 1")
        .fetch_one(pool)
        .await
        .ctx("loading the hub signing key")?;
    let id: String = row.try_get(0).ctx("loading the hub signing key")?;
    let wrapped: Vec<u8> = row.try_get(1).ctx("loading the hub signing key")?;
    let seed = crypto::unwrap_key(kek, "hub-signing", &id, 1, &wrapped)?;
    Ok(SigningKey::from_bytes(seed.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_path("sqlite://a/b.db?mode=rwc"),
            Some(PathBuf::from("a/b.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }
}
