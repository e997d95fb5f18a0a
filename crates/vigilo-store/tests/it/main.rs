//! vigilo-store integration tests; every test runs on SQLite and, when a
//! cluster is configured, PostgreSQL.
#![allow(clippy::unwrap_used)]

mod assets;
mod audit_chain;
mod case_parts;
mod cases;
mod concurrency;
mod encryption;
mod exposure;
mod jobs;
mod reports;
mod sightings;
mod support;
mod webhooks;
