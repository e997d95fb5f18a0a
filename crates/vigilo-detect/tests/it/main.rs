#![allow(clippy::unwrap_used, clippy::expect_used)]

mod detect;
mod logfmt;
mod oracle;
mod benign;
