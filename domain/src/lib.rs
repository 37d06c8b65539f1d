//! The UAM registry's domain: agencies, roles, the authenticated principal and the use cases that act
//! on them, with the ports (traits) that the driven adapters implement.
//!
//! This crate depends on no web framework, database driver, broker client, JWT library or async
//! runtime; the `architecture` test in `tests/` fails if its dependency tree gains one. Ports are
//! synchronous: adapters may block, and the HTTP layer runs use cases off its worker threads.

pub mod agency;
pub mod alert;
pub mod audit;
pub mod category;
pub mod country;
pub mod episode;
#[cfg(test)]
pub(crate) mod fakes;
pub mod lifecycle;
pub mod matching;
pub mod minor;
pub mod page;
pub mod policy;
pub mod ports;
pub mod principal;
pub mod projection;
pub mod purpose;
pub mod record;
pub mod role;
pub mod statistics;
pub mod time;
pub mod usecase;
pub mod validation;
