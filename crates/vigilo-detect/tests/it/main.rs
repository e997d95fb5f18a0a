#![allow(clippy::unwrap_used, clippy::expect_used)]

mod benign;
mod detect;
mod logfmt;
mod oracle;
