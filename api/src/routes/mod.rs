//! Handlers, one module per resource.

pub mod agencies;
pub mod alerts;
pub mod audit;
pub mod episodes;
pub mod health;
pub mod lifecycle;
pub mod merge;
pub mod minors;
pub mod paging;
pub mod policy;
pub mod search;
pub mod statistics;
pub mod subject_access;
pub mod subscriptions;
pub mod versions;
