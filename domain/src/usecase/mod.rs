//! Use cases: one service per job, each built by the composition root from a [`kernel::Kernel`]
//! and the ports it needs (held as `Arc<dyn Port>`), each answering `Result<T, kernel::Failure>`.

pub mod agencies;
pub mod alerts;
pub mod audit;
pub mod authenticate;
pub mod deliveries;
pub mod episodes;
pub mod health;
pub mod kernel;
pub mod lifecycle;
pub mod merge;
pub mod policy;
pub mod records;
pub mod relay;
pub mod rendering;
pub mod search;
pub mod statistics;
pub mod subject_access;
pub mod subscriptions;

#[cfg(test)]
mod tests;
