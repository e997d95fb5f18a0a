//! Integration tests of the hub, driven in-process on every database backend.

// Helpers outside `#[test]` functions unwrap too; clippy.toml only covers the latter.
#![allow(clippy::unwrap_used)]

mod assets;
mod audit;
mod auth;
mod authz;
mod cases;
mod isolation;
mod operations;
mod osv;
mod problems;
mod reports;
mod sightings;
mod support;
