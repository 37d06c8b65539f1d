//! End-to-end tests: the real application over real HTTP, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rstest_reuse as _;

mod helpers;

mod agencies;
mod alerts;
mod architecture;
mod audit;
mod auth;
mod authz;
mod cli;
mod delivery;
mod episodes;
mod events;
mod faults;
mod guide;
mod http;
mod imports;
mod integration;
mod integrators;
mod kafka;
mod lifecycle;
mod matching_eval;
mod merge;
mod openapi;
mod records;
mod resilience;
mod search;
mod security;
mod statistics;
mod subscriptions;
