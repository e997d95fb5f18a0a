//! Markings: who may see a shared object.
//!
//! Every object a hub shares (an advisory, an indicator, a sighting, a
//! note) carries a [`Marking`]: a TLP 2.0 level and its audience — sharing
//! groups and named organisations. [`may_see`] is the policy: the one
//! function that decides whether an organisation (or an anonymous caller)
//! may see an object, given who owns it and which groups exist. The hub
//! routes every read through it; nothing else decides.
//!
//! The levels, as a hub of organisations reads them (FIRST TLP 2.0):
//!
//! | level | who sees it |
//! |---|---|
//! | `TLP:CLEAR` | anyone, anonymous callers included |
//! | `TLP:GREEN` | every organisation of the community: with no audience, every organisation on the hub; with one, its groups' members and its named organisations |
//! | `TLP:AMBER` | the owner, the members of its groups and its named organisations |
//! | `TLP:AMBER+STRICT` | as AMBER; recipients may not pass it on (no onward federation) |
//! | `TLP:RED` | the owner and the named organisations only (no groups: RED is for named recipients) |
//!
//! The owner always sees its own objects. A sharing group may be
//! *confidential*: its members see what is shared with it but never learn
//! who the other members are ([`SharingGroup::visible_members`]).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A TLP 2.0 level, least to most restrictive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

/// The id of the TLP 2.0 STIX extension definition.
pub const TLP_2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

impl Tlp {
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    /// `TLP:CLEAR`, `TLP:GREEN`, `TLP:AMBER`, `TLP:AMBER+STRICT`, `TLP:RED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    /// The STIX extension's value: `clear`, `green`, `amber`,
    /// `amber+strict`, `red`.
    pub fn stix_value(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// The id of the level's STIX 2.1 marking definition, as OASIS publishes
    /// it for TLP 2.0 (cti-stix-common-objects, tlp-2.0).
    pub fn stix_marking_id(self) -> &'static str {
        match self {
            Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }

    /// The level of a STIX marking definition id: TLP 2.0's, or TLP 1.0's
    /// predefined ones (WHITE is CLEAR).
    pub fn from_stix_marking_id(id: &str) -> Option<Tlp> {
        if let Some(t) = Tlp::ALL.into_iter().find(|t| t.stix_marking_id() == id) {
            return Some(t);
        }
        match id {
            "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" => Some(Tlp::Clear),
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" => Some(Tlp::Green),
            "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" => Some(Tlp::Amber),
            "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" => Some(Tlp::Red),
            _ => None,
        }
    }

    /// Whether recipients may pass it on to partners (federation onward).
    pub fn may_forward(self) -> bool {
        matches!(self, Tlp::Clear | Tlp::Green | Tlp::Amber)
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A TLP level that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown TLP level {0:?}: expected TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED"
)]
pub struct UnknownTlp(pub String);

impl FromStr for Tlp {
    type Err = UnknownTlp;

    /// `TLP:AMBER+STRICT`, `amber+strict`, `AMBER_STRICT`; TLP 1.0's
    /// `WHITE` reads as CLEAR.
    fn from_str(s: &str) -> Result<Tlp, UnknownTlp> {
        let t = s.trim();
        let bare = t
            .strip_prefix("TLP:")
            .or_else(|| t.strip_prefix("tlp:"))
            .unwrap_or(t)
            .to_ascii_lowercase()
            .replace(['_', ' '], "+");
        Ok(match bare.as_str() {
            "clear" | "white" => Tlp::Clear,
            "green" => Tlp::Green,
            "amber" => Tlp::Amber,
            "amber+strict" => Tlp::AmberStrict,
            "red" => Tlp::Red,
            _ => return Err(UnknownTlp(s.to_owned())),
        })
    }
}

/// A marking: a TLP level and its audience.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Marking {
    pub tlp: Tlp,
    /// Sharing group ids.
    pub groups: BTreeSet<String>,
    /// Named recipient organisation ids.
    pub orgs: BTreeSet<String>,
}

impl Marking {
    /// A level with no audience beyond what the level itself gives.
    pub fn tlp(tlp: Tlp) -> Marking {
        Marking {
            tlp,
            groups: BTreeSet::new(),
            orgs: BTreeSet::new(),
        }
    }

    /// Checks the marking is coherent: RED names organisations, never
    /// groups; CLEAR names no audience (it is public).
    pub fn check(&self) -> Result<(), MarkingError> {
        match self.tlp {
            Tlp::Red if !self.groups.is_empty() => Err(MarkingError::RedWithGroups),
            Tlp::Clear if !self.groups.is_empty() || !self.orgs.is_empty() => {
                Err(MarkingError::ClearWithAudience)
            }
            _ => Ok(()),
        }
    }
}

/// A marking that does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkingError {
    #[error("TLP:RED goes to named organisations only, not to sharing groups")]
    RedWithGroups,
    #[error("TLP:CLEAR is public: it takes no groups or organisations")]
    ClearWithAudience,
}

/// A sharing group: a set of organisations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharingGroup {
    pub id: String,
    pub name: String,
    /// The organisation that manages it.
    pub owner: String,
    pub members: BTreeSet<String>,
    /// Members do not learn who the other members are.
    pub confidential: bool,
}

impl SharingGroup {
    pub fn has(&self, org: &str) -> bool {
        self.owner == org || self.members.contains(org)
    }

    /// The members `viewer` may know of: all of them for the group's owner
    /// or a member of an open group; only itself in a confidential group;
    /// none for an outsider.
    pub fn visible_members(&self, viewer: &str) -> BTreeSet<&str> {
        let all = self.members.iter().map(String::as_str);
        if self.owner == viewer || (!self.confidential && self.has(viewer)) {
            all.collect()
        } else {
            all.filter(|m| *m == viewer).collect()
        }
    }
}

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer<'a> {
    /// No credentials: only TLP:CLEAR.
    Anonymous,
    /// An organisation of the hub (or a partner's, through its sync
    /// credential).
    Org(&'a str),
}

/// The policy: may `viewer` see an object owned by `owner` and marked
/// `marking`? `group` looks a sharing group up by id; a group that does
/// not exist grants nothing.
pub fn may_see<'g>(
    viewer: Viewer<'_>,
    owner: &str,
    marking: &Marking,
    group: impl Fn(&str) -> Option<&'g SharingGroup>,
) -> bool {
    let org = match viewer {
        Viewer::Anonymous => return marking.tlp == Tlp::Clear,
        Viewer::Org(org) => org,
    };
    if org == owner || marking.tlp == Tlp::Clear {
        return true;
    }
    let named = marking.orgs.contains(org);
    let in_group = || {
        marking
            .groups
            .iter()
            .any(|g| group(g).is_some_and(|g| g.has(org)))
    };
    match marking.tlp {
        Tlp::Clear => true,
        Tlp::Green => (marking.groups.is_empty() && marking.orgs.is_empty()) || named || in_group(),
        Tlp::Amber | Tlp::AmberStrict => named || in_group(),
        Tlp::Red => named,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn group(id: &str, members: &[&str], confidential: bool) -> SharingGroup {
        SharingGroup {
            id: id.into(),
            name: id.into(),
            owner: "isac".into(),
            members: set(members),
            confidential,
        }
    }

    #[test]
    fn levels_parse_and_print() {
        for t in Tlp::ALL {
            assert_eq!(t.as_str().parse::<Tlp>(), Ok(t));
            assert_eq!(t.stix_value().parse::<Tlp>(), Ok(t));
            assert_eq!(Tlp::from_stix_marking_id(t.stix_marking_id()), Some(t));
        }
        assert_eq!("TLP:WHITE".parse::<Tlp>(), Ok(Tlp::Clear));
        assert_eq!("amber_strict".parse::<Tlp>(), Ok(Tlp::AmberStrict));
        assert!("TLP:BLUE".parse::<Tlp>().is_err());
        assert_eq!(
            Tlp::from_stix_marking_id("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"),
            Some(Tlp::Red)
        );
        assert!(Tlp::Clear < Tlp::Red);
    }

    #[test]
    fn the_policy_by_level() {
        let groups = [group("g1", &["a", "b"], false)];
        let find = |id: &str| groups.iter().find(|g| g.id == id);
        let m = |tlp, g: &[&str], o: &[&str]| Marking {
            tlp,
            groups: set(g),
            orgs: set(o),
        };
        let sees = |viewer, marking: &Marking| may_see(viewer, "owner", marking, find);
        let (a, c) = (Viewer::Org("a"), Viewer::Org("c"));
        // CLEAR: everyone.
        assert!(sees(Viewer::Anonymous, &Marking::tlp(Tlp::Clear)));
        // GREEN: the community, or the audience when one is given.
        assert!(!sees(Viewer::Anonymous, &Marking::tlp(Tlp::Green)));
        assert!(sees(c, &Marking::tlp(Tlp::Green)));
        assert!(sees(a, &m(Tlp::Green, &["g1"], &[])));
        assert!(!sees(c, &m(Tlp::Green, &["g1"], &[])));
        // AMBER and AMBER+STRICT: the audience only.
        for t in [Tlp::Amber, Tlp::AmberStrict] {
            assert!(!sees(c, &Marking::tlp(t)));
            assert!(sees(a, &m(t, &["g1"], &[])));
            assert!(sees(c, &m(t, &["g1"], &["c"])));
            assert!(!sees(c, &m(t, &["g1", "no-such-group"], &[])));
        }
        // RED: named organisations only.
        assert!(sees(c, &m(Tlp::Red, &[], &["c"])));
        assert!(!sees(a, &m(Tlp::Red, &[], &["c"])));
        // The owner always.
        assert!(may_see(
            Viewer::Org("owner"),
            "owner",
            &Marking::tlp(Tlp::Red),
            find
        ));
    }

    #[test]
    fn markings_hold_together() {
        let red = Marking {
            groups: set(&["g"]),
            ..Marking::tlp(Tlp::Red)
        };
        assert_eq!(red.check(), Err(MarkingError::RedWithGroups));
        let clear = Marking {
            orgs: set(&["x"]),
            ..Marking::tlp(Tlp::Clear)
        };
        assert_eq!(clear.check(), Err(MarkingError::ClearWithAudience));
        assert!(Marking::tlp(Tlp::Amber).check().is_ok());
    }

    #[test]
    fn confidential_groups_hide_their_members() {
        let open = group("g", &["a", "b"], false);
        let closed = group("g", &["a", "b"], true);
        assert_eq!(open.visible_members("a"), BTreeSet::from(["a", "b"]));
        assert_eq!(closed.visible_members("a"), BTreeSet::from(["a"]));
        assert_eq!(closed.visible_members("isac"), BTreeSet::from(["a", "b"]));
        assert!(closed.visible_members("z").is_empty());
        assert!(!Tlp::AmberStrict.may_forward() && !Tlp::Red.may_forward());
    }
}
