//! Bearer-token authentication: verification against a JWKS, and the development signing key.

mod dev_key;
mod jwks;

pub use dev_key::{DevClaims, DevKey};
pub use jwks::{JwksSource, JwksVerifier, VerifierSettings};
