//! Storage on SQLite (embedded default) or PostgreSQL, chosen by the database URL, through one
//! diesel code base over a [`DbConnection`] that is either.

mod agencies;
mod alerts;
mod audit;
mod connection;
mod episodes;
mod lifecycle;
mod listen;
mod minors;
mod name_index;
mod outbox;
mod schema;
mod statistics;

pub use agencies::{AgencyCache, CachedAgencies, DieselAgencyRepository};
pub use alerts::DieselAlertRepository;
pub use audit::DieselAuditLog;
pub use connection::{
    Backend, Database, DatabaseOutages, DatabaseUnavailable, DatabaseUrl, DbConnection,
    PoolSettings,
};
pub use episodes::DieselEpisodes;
pub use lifecycle::DieselSweepCalendar;
pub use listen::{AGENCIES_CHANNEL, OUTBOX_CHANNEL, listen};
pub use minors::DieselMinorRepository;
pub use name_index::{COMMON_KEY_POSTINGS, ensure_current as ensure_name_index};
pub use outbox::DieselOutbox;
pub use statistics::DieselStatisticsSource;
