//! PLACEHOLDER: being written.
use super::Report;

pub fn write_sarif(_report: &Report, _out: &mut dyn std::io::Write) -> std::io::Result<()> {
    Err(std::io::Error::other("not yet written"))
}
