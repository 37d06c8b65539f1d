//! Authorization suites (issue 7, issue 15).
//!
//! - `leaks`: the side channels of issue 15 (alert views, followers, alert actions, list
//!   filters, history, blind writes, the identification listing, the audit of alert actions and
//!   streams, alerts opened by unrelated agencies), one test each.
//!
//! - `packet`: the police packet holds exactly what its caller's views show, names what is
//!   missing and why, and is refused (and audited) for every role without the permit.
//!
//! - `endpoints`: object- and function-level authorization (OWASP API1, API5): every operation of
//!   the OpenAPI document, called by every role, on children it has no relation to and on its own,
//!   answered as the table `tests/data/authz/expected.csv` says.
//! - `records`, `events`, `kafka`: property-level authorization (OWASP API3): every output that
//!   carries child data (search results and their reasons, possible matches, history, alert views,
//!   the SSE stream, webhook and Kafka payloads, the possible-match candidate) holds exactly the
//!   categories its receiver may read, and `_meta.withheld` names the rest, compared with an
//!   independent reading of `policy/default.toml` (`policy`).

mod endpoints;
mod events;
mod kafka;
mod leaks;
mod packet;
mod policy;
mod records;
mod world;
