//! vigilo's domain types.
//!
//! This crate holds the vocabulary every other crate speaks: organisations and
//! their names, roles, token scopes, and what a role may do. It performs no IO
//! and carries no wire format: conversion to and from JSON, SQL rows and the
//! like lives at the edges (`vigilo-store`, `vigilo-hub`, `vigilo-formats`).
#![forbid(unsafe_code)]

pub mod identity;

pub use identity::{OrgName, Role, Scope, ScopeSet, ValidationError};
