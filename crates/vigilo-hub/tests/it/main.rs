//! Integration tests of the hub, driven in-process on every database backend.

// Helpers outside `#[test]` functions unwrap too; clippy.toml only covers the latter.
#![allow(clippy::unwrap_used)]

mod assets;
mod audit;
mod auth;
mod authz;
mod case_parts;
mod cases;
mod exposure;
mod federation;
mod intake;
mod isolation;
mod operations;
mod osv;
mod outbound;
mod problems;
mod reports;
mod sharing_policy;
mod sightings;
mod support;
mod taxii;
mod webhooks;
