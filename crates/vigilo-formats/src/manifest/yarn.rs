//! PLACEHOLDER: being written.
use super::Parsed;
use crate::diag::{Diagnostic, DiagnosticCode};

pub(super) fn yarn_lock(_bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    Err(super::file_error(DiagnosticCode::Unsupported, path, "not yet readable".into()))
}
