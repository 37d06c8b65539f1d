//! The HTTP adapter of the UAM registry (actix-web) and its composition root.

pub mod auth;
pub mod blocking;
pub mod cap;
pub mod charts;
pub mod config;
pub mod demo;
pub mod extract;
pub mod http;
pub mod names;
pub mod openapi;
pub mod packet;
pub mod problem;
pub mod purpose;
pub mod ratelimit;
pub mod routes;
pub mod startup;
pub mod state;
pub mod subject_access;
pub mod telemetry;
