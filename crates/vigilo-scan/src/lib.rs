//! Turning a filesystem into an inventory.
#![forbid(unsafe_code)]
