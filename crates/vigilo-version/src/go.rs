//! PLACEHOLDER: replaced by the real implementation before commit.
pub fn parse(s: &str) -> Result<crate::semver::Version, crate::ParseError> {
    crate::semver::Version::parse(s)
}
