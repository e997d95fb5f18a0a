//! vigilo's domain types.
//!
//! This crate holds the vocabulary every other crate speaks: organisations,
//! roles and scopes; packages and their identities; advisories and the index
//! that matches package versions against them. It performs no IO and carries
//! no wire format: conversion to and from JSON, SQL rows and the like lives at
//! the edges (`vigilo-store`, `vigilo-hub`, `vigilo-formats`).
#![forbid(unsafe_code)]

pub mod advisory;
pub mod cvss;
pub mod identity;
pub mod indicator;
pub mod inventory;
pub mod marking;
pub mod matching;
pub mod package;
pub mod severity;

pub use identity::{OrgName, Role, Scope, ScopeSet, ValidationError};
pub use severity::Severity;
pub use vigilo_version as version;
pub use vigilo_version::{Ecosystem, Scheme, Version};
