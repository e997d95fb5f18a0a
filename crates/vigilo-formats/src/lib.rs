//! Wire formats ⇄ vigilo's domain types.
//!
//! Parsers here never panic on input and never stop at the first bad record:
//! they return what parsed plus [`Diagnostic`]s naming the file, the record
//! and the JSON pointer of what was wrong. **Absent:** network access and the
//! database; callers hand in bytes or paths and get domain values back.
#![forbid(unsafe_code)]

pub mod csaf;
pub mod diag;
pub mod inventory;
pub mod jcs;
pub mod manifest;
pub mod osv;
pub mod receipt;
pub mod report;
pub mod source;
pub mod stix;
pub mod tombstone;

pub use diag::{Diagnostic, DiagnosticCode, Severity};
