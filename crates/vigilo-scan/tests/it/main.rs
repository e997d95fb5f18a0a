//! The scanner on real archives, lockfiles and SBOMs, and on hostile input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod hostile;
mod java;
mod manifests;
mod support;
