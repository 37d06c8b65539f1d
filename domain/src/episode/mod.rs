//! A disappearance episode around its alert: the roll call's unexplained absence before a report
//! ([`absence`]), the follow-up tasks after the child is found ([`task`]), the clocks and
//! assignments that govern both ([`rules`]), and the police zone of a place ([`zones`]).

pub mod absence;
pub mod rules;
pub mod task;
pub mod zones;

pub use absence::{Absence, AbsenceEnd, AbsenceStatus, Closure, NewAbsence, Presence};
pub use rules::{Assignee, FollowUp};
pub use task::{Completion, Task, TaskError, TaskKind, TaskStatus};
pub use zones::{DEFAULT_ZONES_TOML, Zones, ZonesError};
