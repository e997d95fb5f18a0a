//! End-to-end tests of the `vigilo` binary: each test runs the real binary as
//! child processes (`vigilo serve` and one-shot commands) on every backend
//! (SQLite always, PostgreSQL when configured; see `vigilo-test-support`).

mod advisories;
mod advisories_convert;
mod audit;
mod case_parts;
mod cli;
mod durability;
mod duties;
mod export;
mod keys;
mod logs;
mod pip_audit;
mod replicate;
mod scan;
mod support;
