//! Ports: what the domain needs from the outside, implemented by `infra` (and in memory by
//! `crate::fakes` for the unit tests). Every method may block; callers run them off
//! latency-sensitive threads. Each contract says what an implementation MUST do, never how.

mod agencies;
mod alerts;
mod audit;
mod delivery;
mod episodes;
mod identity;
mod records;
mod system;

pub use agencies::*;
pub use alerts::*;
pub use audit::*;
pub use delivery::*;
pub use episodes::*;
pub use identity::*;
pub use records::*;
pub use system::*;
