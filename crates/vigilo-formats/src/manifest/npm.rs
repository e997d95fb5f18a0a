//! PLACEHOLDER: being written.
use super::Parsed;
use crate::diag::{Diagnostic, DiagnosticCode};

pub(super) fn package_lock(_bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    Err(super::file_error(DiagnosticCode::Unsupported, path, "not yet readable".into()))
}

pub(super) fn node_package_json(_bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    Err(super::file_error(DiagnosticCode::Unsupported, path, "not yet readable".into()))
}
