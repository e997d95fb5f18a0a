//! PLACEHOLDER: being written.
use super::Parsed;
use crate::diag::{Diagnostic, DiagnosticCode};

pub(super) fn requirements(_bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    Err(super::file_error(DiagnosticCode::Unsupported, path, "not yet readable".into()))
}

pub(super) fn poetry_lock(_bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    Err(super::file_error(DiagnosticCode::Unsupported, path, "not yet readable".into()))
}

pub(super) fn pipfile_lock(_bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    Err(super::file_error(DiagnosticCode::Unsupported, path, "not yet readable".into()))
}

pub(super) fn uv_lock(_bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    Err(super::file_error(DiagnosticCode::Unsupported, path, "not yet readable".into()))
}

pub(super) fn pdm_lock(_bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    Err(super::file_error(DiagnosticCode::Unsupported, path, "not yet readable".into()))
}

pub(super) fn metadata(_bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    Err(super::file_error(DiagnosticCode::Unsupported, path, "not yet readable".into()))
}
