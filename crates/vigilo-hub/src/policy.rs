//! The sharing policy, applied: every read of a shared object in the hub —
//! TAXII objects, manifests, versions, single objects, the `/api/shared`
//! listing and its counts — asks [`Policy::may_see`], which asks
//! `vigilo_core::marking::may_see` with the hub's sharing groups. Nothing
//! else decides who sees what.

use std::collections::BTreeMap;

use vigilo_core::marking::{SharingGroup, Viewer, may_see};
use vigilo_store::shared::SharedObject;

use crate::AppState;
use crate::api::store_problem;
use crate::problem::Problem;

/// The policy with the sharing groups as they stand at the request.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    groups: BTreeMap<String, SharingGroup>,
}

impl Policy {
    pub(crate) async fn load(state: &AppState) -> Result<Policy, Problem> {
        Ok(Policy {
            groups: state.store.sharing_groups().await.map_err(store_problem)?,
        })
    }

    /// May `viewer` see this object version?
    pub(crate) fn may_see(&self, viewer: Viewer<'_>, o: &SharedObject) -> bool {
        may_see(viewer, &o.owner, &o.marking, |g| self.groups.get(g))
    }

    /// The groups `org` owns or belongs to.
    pub(crate) fn groups_of<'a>(&'a self, org: &'a str) -> impl Iterator<Item = &'a SharingGroup> {
        self.groups.values().filter(move |g| g.has(org))
    }
}
