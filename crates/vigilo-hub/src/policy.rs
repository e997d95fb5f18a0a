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

impl Policy {
    pub(crate) async fn load(state: &AppState) -> Result<Policy, Problem> {
        Policy::load_from(&state.store).await.map_err(store_problem)
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
