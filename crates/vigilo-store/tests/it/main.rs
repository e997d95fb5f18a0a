//! vigilo-store integration tests; every test runs on SQLite and, when a
#![allow(clippy::unwrap_used)]
//! cluster is configured, PostgreSQL.

mod audit_chain;
mod concurrency;
mod encryption;
mod support;
