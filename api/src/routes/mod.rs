//! Handlers, one module per resource.

pub mod agencies;
pub mod health;
pub mod minors;
pub mod policy;
