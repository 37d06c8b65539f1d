//! Use cases: one function (or small service) per thing a caller can do, each with its own error enum.

pub mod agencies;
pub mod alerts;
pub mod audit;
pub mod authenticate;
pub mod deliveries;
pub mod merge;
pub mod minors;
pub mod relay;
pub mod search;
pub mod statistics;
pub mod subscriptions;
