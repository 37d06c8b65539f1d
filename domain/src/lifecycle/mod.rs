//! A record's whole life: retention rules as data, the lifecycle stored with each record, and when
//! the rules fall due. The sweep and the acts of people are in `usecase::lifecycle`.

mod due;
mod notice;
mod retention;
mod state;

pub use due::{Due, Erasure, happened, pending, review_date, review_dates};
pub use notice::{NoticeRule, ReviewNotice, ReviewReason};
pub use retention::{
    DEFAULT_RETENTION_TOML, Retention, RetentionAction, RetentionError, ReviewClock, Rule, Target,
    Trigger,
};
pub use state::{Act, ActBy, ActKind, Closure, ClosureReason, Hold, Lifecycle, Restriction};
