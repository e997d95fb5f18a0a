//! PLACEHOLDER: being written.
use super::Parsed;
use crate::diag::{Diagnostic, DiagnosticCode};

pub(super) fn go_mod(_bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    Err(super::file_error(DiagnosticCode::Unsupported, path, "not yet readable".into()))
}

pub(super) fn go_sum(_bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    Err(super::file_error(DiagnosticCode::Unsupported, path, "not yet readable".into()))
}
