//! The sharing policy, applied: every read of a shared object in the hub —
//! TAXII objects, manifests, versions, single objects, the `/api/shared`
//! listing and its counts — asks [`Policy::may_see`], which asks
//! `vigilo_core::marking::may_see` with the hub's sharing groups. Nothing
//! else decides who sees what.
//!
//! Beyond the markings it knows two things: a suspended or revoked
//! partner's local organisation receives nothing, and what a suspended
//! partner sent is held in quarantine, seen by no one until released.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vigilo_core::marking::{SharingGroup, Viewer, may_see};
use vigilo_store::partners::PartnerStatus;
use vigilo_store::shared::SharedObject;

use crate::AppState;
use crate::api::store_problem;
use crate::problem::Problem;

/// The policy with the sharing groups as they stand at the request.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    groups: BTreeMap<String, SharingGroup>,
    /// Local organisations of suspended or revoked partners.
    blocked: BTreeSet<String>,
}

/// How long the cached policy is trusted without asking the database
/// whether another process changed it (changes made through this process's
/// store are seen at once).
pub(crate) const RECHECK_EVERY: Duration = Duration::from_millis(250);

/// The policy, cached: reloaded when this process changed what it reads
/// ([`vigilo_store::shared::sharing_epoch`]), or when the store's
/// `sharing_generation` moved (another process), which is asked at most
/// every [`RECHECK_EVERY`].
#[derive(Debug, Clone, Default)]
pub(crate) struct PolicyCache {
    current: Arc<Mutex<Option<Cached>>>,
    reload: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Debug, Clone)]
struct Cached {
    policy: Arc<Policy>,
    epoch: u64,
    generation: i64,
    checked: Instant,
}

impl PolicyCache {
    /// The cached policy if it is still current without asking the store.
    fn fresh(&self, epoch: u64) -> Option<Arc<Policy>> {
        let c = self.current.lock().unwrap_or_else(|e| e.into_inner());
        c.as_ref()
            .filter(|c| c.epoch == epoch && c.checked.elapsed() < RECHECK_EVERY)
            .map(|c| c.policy.clone())
    }

    pub(crate) async fn get(
        &self,
        store: &vigilo_store::Store,
    ) -> Result<Arc<Policy>, vigilo_store::StoreError> {
        // Read before anything else: a change committed after this point
        // moves it again and the next request reloads.
        let epoch = vigilo_store::shared::sharing_epoch();
        if let Some(p) = self.fresh(epoch) {
            return Ok(p);
        }
        let _one = self.reload.lock().await;
        if let Some(p) = self.fresh(epoch) {
            return Ok(p);
        }
        let generation = store.sharing_generation().await?;
        let cached = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let policy = match cached {
            Some(c) if c.epoch == epoch && c.generation == generation => c.policy,
            _ => Arc::new(Policy::load_from(store).await?),
        };
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(Cached {
            policy: policy.clone(),
            epoch,
            generation,
            checked: Instant::now(),
        });
        Ok(policy)
    }
}

impl Policy {
    /// The policy as it stands (cached; see [`PolicyCache`]).
    pub(crate) async fn load(state: &AppState) -> Result<Arc<Policy>, Problem> {
        state.policy.get(&state.store).await.map_err(store_problem)
    }

    /// The policy as the store holds it now.
    pub(crate) async fn load_from(
        store: &vigilo_store::Store,
    ) -> Result<Policy, vigilo_store::StoreError> {
        let blocked = store
            .all_partners()
            .await?
            .into_iter()
            .filter(|p| p.status != PartnerStatus::Active)
            .filter_map(|p| p.local_org_id)
            .collect();
        Ok(Policy {
            groups: store.sharing_groups().await?,
            blocked,
        })
    }

    /// May `viewer` see this object version?
    pub(crate) fn may_see(&self, viewer: Viewer<'_>, o: &SharedObject) -> bool {
        if o.quarantine.is_some() {
            return false;
        }
        if let Viewer::Org(org) = viewer {
            if self.blocked.contains(org) {
                return false;
            }
        }
        may_see(viewer, &o.owner, &o.marking, |g| self.groups.get(g))
    }

    /// Whether `org` is the local account of a suspended or revoked partner.
    pub(crate) fn is_blocked(&self, org: &str) -> bool {
        self.blocked.contains(org)
    }

    /// The groups `org` owns or belongs to.
    pub(crate) fn groups_of<'a>(&'a self, org: &'a str) -> impl Iterator<Item = &'a SharingGroup> {
        self.groups.values().filter(move |g| g.has(org))
    }
}
