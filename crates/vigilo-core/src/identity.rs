//! Organisations, roles and scopes.
//!
//! Authorisation in vigilo is two-layered: a **role** held in an organisation
//! bounds what its holder may ever do, and an API token carries **scopes**, a
//! subset of its role's, that bound what that one credential may do. A request
//! is allowed only when the token's scope set contains the scope the operation
//! needs.

use std::fmt;
use std::str::FromStr;

/// Why a name, role or scope was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error(
        "invalid organisation name {0:?}: use 2-63 characters a-z, 0-9 and '-', starting with a letter"
    )]
    OrgName(String),
    #[error("unknown role {0:?}: expected one of admin, analyst, reporter, reader, sync")]
    Role(String),
    #[error("unknown scope {0:?}: expected one of read, write, admin, audit, sync")]
    Scope(String),
    #[error("scope {scope} is not allowed for role {role}")]
    ScopeNotAllowed { scope: Scope, role: Role },
}

/// An organisation's short, unique, URL-safe name (its slug), e.g. `cert-eu`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrgName(String);

impl OrgName {
    /// Validates `s` as an organisation name.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let ok = (2..=63).contains(&s.len())
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.ends_with('-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::OrgName(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for OrgName {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A role held by a user or token in one organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Manages the organisation: members, tokens, its profile, its audit log.
    Admin,
    /// Works cases, advisories and indicators.
    Analyst,
    /// Submits reports; sees what it is shared.
    Reporter,
    /// Reads what the organisation may see.
    Reader,
    /// A partner hub's machine credential for federation (TAXII).
    Sync,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Analyst,
        Role::Reporter,
        Role::Reader,
        Role::Sync,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Reporter => "reporter",
            Role::Reader => "reader",
            Role::Sync => "sync",
        }
    }

    /// The scopes a credential with this role may hold.
    pub fn allowed_scopes(self) -> ScopeSet {
        use Scope::*;
        match self {
            Role::Admin => ScopeSet::from_iter([Read, Write, Admin, Audit]),
            Role::Analyst => ScopeSet::from_iter([Read, Write]),
            Role::Reporter => ScopeSet::from_iter([Read, Write]),
            Role::Reader => ScopeSet::from_iter([Read]),
            Role::Sync => ScopeSet::from_iter([Read, Sync]),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| ValidationError::Role(s.to_owned()))
    }
}

/// What one credential may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read the organisation's data.
    Read,
    /// Create and change the organisation's data.
    Write,
    /// Manage members, tokens and the organisation's profile.
    Admin,
    /// Read the organisation's audit log.
    Audit,
    /// Federation between hubs.
    Sync,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::Read,
        Scope::Write,
        Scope::Admin,
        Scope::Audit,
        Scope::Sync,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
            Scope::Audit => "audit",
            Scope::Sync => "sync",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| ValidationError::Scope(s.to_owned()))
    }
}

/// A small set of scopes (a bit set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ScopeSet(u8);

impl ScopeSet {
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn insert(&mut self, scope: Scope) {
        self.0 |= scope.bit();
    }

    pub fn is_subset_of(self, other: ScopeSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// Parses a space- or comma-separated list, e.g. `"read write"`.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        s.split([' ', ','])
            .filter(|p| !p.is_empty())
            .map(Scope::from_str)
            .collect()
    }

    /// Checks that every scope in `self` is allowed for `role`.
    pub fn check_allowed(self, role: Role) -> Result<(), ValidationError> {
        let allowed = role.allowed_scopes();
        match self.iter().find(|s| !allowed.contains(*s)) {
            Some(scope) => Err(ValidationError::ScopeNotAllowed { scope, role }),
            None => Ok(()),
        }
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut set = ScopeSet::default();
        for s in iter {
            set.insert(s);
        }
        set
    }
}

impl fmt::Display for ScopeSet {
    /// Space-separated, in a fixed order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in self.iter() {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            f.write_str(s.as_str())?;
        }
        Ok(())
    }
}

impl FromStr for ScopeSet {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn org_names() {
        for ok in ["cert-eu", "ab", "acme2", "a-b-c"] {
            assert!(OrgName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "-ab",
            "Ab",
            "ab-",
            "a b",
            "a_b",
            "2ab",
            &"a".repeat(64),
        ] {
            assert!(OrgName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn role_round_trip_and_scopes() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
            assert!(r.allowed_scopes().contains(Scope::Read));
        }
        assert!(Role::Admin.allowed_scopes().contains(Scope::Audit));
        assert!(!Role::Analyst.allowed_scopes().contains(Scope::Admin));
        assert!(!Role::Reader.allowed_scopes().contains(Scope::Write));
        assert_eq!(
            ScopeSet::parse("read,admin").and_then(|s| s.check_allowed(Role::Reader)),
            Err(ValidationError::ScopeNotAllowed {
                scope: Scope::Admin,
                role: Role::Reader
            })
        );
        assert!("bogus".parse::<Role>().is_err());
    }

    proptest! {
        #[test]
        fn scope_set_display_parse_round_trip(bits in 0u8..32) {
            let set: ScopeSet = Scope::ALL.into_iter().filter(|s| bits & s.bit() != 0).collect();
            let text = set.to_string();
            prop_assert_eq!(ScopeSet::parse(&text), Ok(set));
            for s in Scope::ALL {
                prop_assert_eq!(set.contains(s), bits & s.bit() != 0);
            }
        }
    }
}
