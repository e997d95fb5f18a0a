//! vigilo-formats against real files: the lockfiles real tools wrote, the
//! SBOM examples of the CycloneDX and SPDX projects, and reports checked by
//! the formats' own validators.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod csaf;
mod lockfiles_js;
mod lockfiles_other;
mod report;
mod sbom;
mod stix;
mod stix_advisories;
mod support;
