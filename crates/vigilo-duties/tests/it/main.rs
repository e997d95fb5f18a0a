#![allow(clippy::unwrap_used, clippy::expect_used)]

mod examples;
mod properties;
mod table;
