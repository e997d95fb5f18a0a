//! The hub's advisory index: built from the database, swapped atomically when
//! advisories change (in this process at once; in others within
//! [`REFRESH_EVERY`], by watching the store's generation counter).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use vigilo_core::advisory::Advisory;
use vigilo_core::matching::MatchIndex;
use vigilo_core::package::PackageKey;
use vigilo_formats::osv::ParsedRecord;
use vigilo_store::{AdvisoryRecord, Store};

/// How often a process checks whether another one changed the advisories.
pub const REFRESH_EVERY: Duration = Duration::from_secs(2);

/// Converts a parsed OSV record to its stored form.
pub fn to_store_record(parsed: &ParsedRecord, source: &str) -> AdvisoryRecord {
    let a = &parsed.advisory;
    let modified_at = a
        .modified
        .trim()
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_microsecond())
        .unwrap_or(0);
    let packages = a
        .affected
        .iter()
        .map(|af| {
            let key = PackageKey::new(af.ecosystem.clone(), &af.name);
            (key.ecosystem.to_string(), key.name)
        })
        .collect();
    AdvisoryRecord {
        id: a.id.clone(),
        modified: a.modified.clone(),
        modified_at,
        withdrawn: a.withdrawn.clone(),
        summary: a.summary.clone(),
        aliases: a.aliases.clone(),
        packages,
        json: parsed.json.to_string(),
        source: source.to_owned(),
    }
}

/// An immutable snapshot: the matching index plus what responses need.
#[derive(Debug)]
pub struct AdvisoryIndex {
    pub index: MatchIndex,
    /// Owner organisation of each advisory (None: public).
    owners: HashMap<String, Option<String>>,
    /// Each advisory's full OSV JSON, ready to write into responses.
    json: HashMap<String, Arc<str>>,
    /// `modified` of each advisory.
    modified: HashMap<String, String>,
    pub generation: i64,
}

impl AdvisoryIndex {
    pub fn empty() -> Self {
        AdvisoryIndex {
            index: MatchIndex::build(Vec::<Advisory>::new()),
            owners: HashMap::new(),
            json: HashMap::new(),
            modified: HashMap::new(),
            generation: -1,
        }
    }

    /// Whether `org` (None: anonymous) may see advisory `id`.
    pub fn visible(&self, id: &str, org: Option<&str>) -> bool {
        match self.owners.get(id) {
            Some(None) => true,
            Some(Some(owner)) => Some(owner.as_str()) == org,
            None => false,
        }
    }

    pub fn json(&self, id: &str) -> Option<&Arc<str>> {
        self.json.get(id)
    }

    pub fn modified(&self, id: &str) -> Option<&str> {
        self.modified.get(id).map(String::as_str)
    }
}

/// Loads every stored advisory into a new index. Records that no longer
/// parse (they all did when stored) are skipped with a log line.
pub async fn load(store: &Store) -> Result<AdvisoryIndex, vigilo_store::StoreError> {
    let generation = store.advisories_generation().await?;
    let stored = store.all_advisories().await?;
    let mut owners = HashMap::with_capacity(stored.len());
    let mut json = HashMap::with_capacity(stored.len());
    let mut modified = HashMap::with_capacity(stored.len());
    let mut advisories = Vec::with_capacity(stored.len());
    for s in stored {
        let value: serde_json::Value = match serde_json::from_str(&s.json) {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(id = %s.id, error = %e, "stored advisory is not JSON; skipped");
                continue;
            }
        };
        match vigilo_formats::osv::from_json(value, &format!("database:{}", s.id)) {
            Ok(parsed) => {
                owners.insert(s.id.clone(), s.owner_org);
                modified.insert(s.id.clone(), parsed.advisory.modified.clone());
                json.insert(s.id.clone(), Arc::from(s.json));
                advisories.push(parsed.advisory);
            }
            Err(d) => {
                tracing::error!(id = %s.id, diagnostic = %d, "stored advisory no longer parses; skipped")
            }
        }
    }
    let index = tokio::task::spawn_blocking(move || MatchIndex::build(advisories))
        .await
        .map_err(|e| vigilo_store::StoreError::Invalid(format!("building the index: {e}")))?;
    Ok(AdvisoryIndex {
        index,
        owners,
        json,
        modified,
        generation,
    })
}

/// The current index, shared by handlers.
#[derive(Debug, Clone)]
pub struct AdvisoryCache {
    current: Arc<RwLock<Arc<AdvisoryIndex>>>,
    reload: Arc<tokio::sync::Mutex<()>>,
}

impl Default for AdvisoryCache {
    fn default() -> Self {
        AdvisoryCache {
            current: Arc::new(RwLock::new(Arc::new(AdvisoryIndex::empty()))),
            reload: Arc::new(tokio::sync::Mutex::new(())),
        }
    }
}

impl AdvisoryCache {
    pub fn get(&self) -> Arc<AdvisoryIndex> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Reloads when the store's generation differs from the index's.
    pub async fn refresh(&self, store: &Store) -> Result<(), vigilo_store::StoreError> {
        let _guard = self.reload.lock().await;
        let generation = store.advisories_generation().await?;
        if generation == self.get().generation {
            return Ok(());
        }
        let fresh = load(store).await?;
        tracing::info!(
            advisories = fresh.index.len(),
            generation = fresh.generation,
            "advisory index loaded"
        );
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(fresh);
        Ok(())
    }
}
