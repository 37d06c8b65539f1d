//! What every use case shares: who asks and why ([`Request`]), the checks that turn the policy's
//! answers into refusals ([`Kernel`]), the audit trail a use case fills in and that is closed with
//! its outcome whatever happens ([`Trail`], [`Kernel::audited`]), and the one family of failures
//! every use case returns ([`Failure`]).
//!
//! Every service in `usecase` holds a [`Kernel`] and its own ports as `Arc<dyn Port>`, is built by
//! the composition root with its constructor, and answers `Result<T, Failure>`.

mod context;
mod denied;
mod failure;
mod request;
mod trail;

pub use context::Kernel;
pub use denied::Denied;
pub use failure::{Conflict, Failure, Unavailable};
pub use request::Request;
pub use trail::Trail;
