//! Handlers, one module per resource.

pub mod agencies;
pub mod health;
