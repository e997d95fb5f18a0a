//! vigilo-formats against real files: the lockfiles real tools wrote, the
//! SBOM examples of the CycloneDX and SPDX projects, and reports checked by
//! the formats' own validators.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod lockfiles_js;
mod lockfiles_other;
mod report;
mod sbom;
mod stix;
mod support;
