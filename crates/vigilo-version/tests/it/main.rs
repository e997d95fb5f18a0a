//! Differential tests: each scheme's ordering against the ecosystem's own
//! reference implementation, on generated and real versions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alpine;
mod debian;
mod maven;
mod nuget;
mod pep440;
mod rpm;
mod rubygems;
mod semver;
mod support;
