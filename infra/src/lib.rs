//! Driven adapters of the UAM registry: diesel storage on SQLite or PostgreSQL, JWT verification
//! against a JWKS, the development signing key, and the system clock.

pub mod auth;
pub mod clock;
pub mod db;
pub mod ids;
pub mod kafka;
pub mod photo;
pub mod webhook;
