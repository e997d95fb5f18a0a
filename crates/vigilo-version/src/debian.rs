//! PLACEHOLDER: replaced by the real implementation before commit.
use std::fmt;
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version(String);
impl Version {
    pub fn parse(s: &str) -> Result<Version, crate::ParseError> {
        Ok(Version(s.to_owned()))
    }
}
impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
