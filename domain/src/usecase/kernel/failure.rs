//! The one family of failures every use case returns, and how each is recorded in the audit trail.

use crate::alert::AlertError;
use crate::audit::Outcome;
use crate::ports::{
    AuditUnavailable, CreateAlertError, InsertAgencyError, UpdateAlertError, UpdateMinorError,
};
use crate::validation::FieldErrors;

use super::Denied;

/// Why a use case did not do what was asked, named for what it means to the client.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The caller is not who it claims, or its token is not accepted.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller may not do this (or stated no acceptable purpose).
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The input is wrong; every offending field is named.
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    /// What the request names does not exist; the text says what.
    #[error("{0}")]
    NotFound(String),
    /// The record asked for was merged into `into`: the child's record is there.
    #[error("record `{id}` was merged into `{into}`")]
    Moved { id: String, into: String },
    /// The request does not fit the state of what it acts on.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// The content sent is well-formed but refused (a photo that is not one); the text says why.
    #[error("{0}")]
    Refused(String),
    /// A receiving endpoint did not take what was sent on the caller's behalf (a ping, a replay).
    #[error("{0}")]
    ReceiverFailed(String),
    /// The registry cannot act now (its store or its audit trail); the caller may retry. Nothing
    /// was disclosed or changed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
    /// Anything else: a defect or an unforeseen failure of a driven adapter. The cause is for the
    /// logs, never for the caller.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// The request does not fit the current state of what it acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// A change to a record must say which version it is based on.
    #[error("If-Match is required: send the ETag of the version the change is based on")]
    PreconditionRequired,
    /// The record changed since the version the change is based on; `redo` says what to do again.
    #[error("the record changed: it is at version {current}; fetch it again and {redo}")]
    Stale { current: i64, redo: &'static str },
    /// The record was merged into `into`: changes go there.
    #[error("record `{id}` was merged into `{into}`: change that record instead")]
    Merged { id: String, into: String },
    /// What would be created exists already; the text names it.
    #[error("{0}")]
    Duplicate(String),
    /// The state does not allow the change; the text says why.
    #[error("{0}")]
    State(String),
    /// Events asked for are no longer kept.
    #[error(
        "the events up to {horizon} are no longer kept (the outbox keeps {retention_days} days): \
         resume with Last-Event-ID: {horizon}, or open the stream without Last-Event-ID{}",
        oldest.map(|o| format!("; the oldest event available is {o}")).unwrap_or_default()
    )]
    Gone {
        horizon: i64,
        retention_days: i64,
        /// The first event kept after the horizon, if any.
        oldest: Option<i64>,
    },
}

/// The part of the registry that cannot act now.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    /// The audit trail cannot record the request, so it was not carried out (fail closed).
    #[error(transparent)]
    Audit(#[from] AuditUnavailable),
    /// The store cannot be reached (no connection in time, or the connection lost).
    #[error("the store is unavailable: {0:#}")]
    Store(anyhow::Error),
}

/// What a change to a record asks the caller to do again after a [`Conflict::Stale`].
pub const REAPPLY: &str = "reapply the change";

impl Failure {
    /// How the failure is recorded in the audit trail.
    pub fn outcome(&self) -> Outcome {
        match self {
            Self::Unauthenticated(_) => Outcome::Unauthenticated,
            Self::Denied(Denied::PurposeMissing(_)) => Outcome::PurposeMissing,
            Self::Denied(_) => Outcome::Denied,
            Self::NotFound(_) | Self::Moved { .. } => Outcome::NotFound,
            Self::Invalid(_) | Self::Conflict(_) | Self::Refused(_) => Outcome::Rejected,
            Self::ReceiverFailed(_) | Self::Unavailable(_) | Self::Unknown(_) => Outcome::Failed,
        }
    }

    /// One offending field.
    pub fn invalid(path: &str, message: impl ToString) -> Self {
        let mut errors = FieldErrors::default();
        errors.push(path, message);
        Self::Invalid(errors)
    }

    /// A record missing under `id`.
    pub fn no_record(id: &str) -> Self {
        Self::NotFound(format!("no record with id `{id}`"))
    }
}

impl From<AuditUnavailable> for Failure {
    fn from(e: AuditUnavailable) -> Self {
        Self::Unavailable(Unavailable::Audit(e))
    }
}

impl From<UpdateMinorError> for Failure {
    fn from(e: UpdateMinorError) -> Self {
        match e {
            UpdateMinorError::NotFound(id) => Self::no_record(&id),
            UpdateMinorError::Stale { current } => Self::Conflict(Conflict::Stale {
                current,
                redo: REAPPLY,
            }),
            UpdateMinorError::Unknown(e) => Self::Unknown(e),
        }
    }
}

impl From<CreateAlertError> for Failure {
    fn from(e: CreateAlertError) -> Self {
        match e {
            CreateAlertError::AlreadyOpen => Self::Conflict(Conflict::State(e.to_string())),
            CreateAlertError::NoSuchMinor(id) => Self::NotFound(format!("no record `{id}`")),
            CreateAlertError::Unknown(e) => Self::Unknown(e),
        }
    }
}

impl From<UpdateAlertError> for Failure {
    fn from(e: UpdateAlertError) -> Self {
        match e {
            UpdateAlertError::Stale => Self::Conflict(Conflict::State(e.to_string())),
            UpdateAlertError::Unknown(e) => Self::Unknown(e),
        }
    }
}

impl From<InsertAgencyError> for Failure {
    fn from(e: InsertAgencyError) -> Self {
        match e {
            InsertAgencyError::Duplicate(_) => Self::Conflict(Conflict::Duplicate(e.to_string())),
            InsertAgencyError::Unknown(e) => Self::Unknown(e),
        }
    }
}

impl From<AlertError> for Failure {
    fn from(e: AlertError) -> Self {
        match e {
            AlertError::LoweringNeedsReason => Self::invalid("reason", e),
            AlertError::AppealExpiry => Self::invalid("expires_at", e),
            AlertError::NoSuchSighting(_) => Self::NotFound(e.to_string()),
            _ => Self::Conflict(Conflict::State(e.to_string())),
        }
    }
}

impl From<crate::ports::EpisodeWriteError> for Failure {
    fn from(e: crate::ports::EpisodeWriteError) -> Self {
        match e {
            crate::ports::EpisodeWriteError::Stale => {
                Self::Conflict(Conflict::State(e.to_string()))
            }
            crate::ports::EpisodeWriteError::Unknown(e) => Self::Unknown(e),
        }
    }
}

impl From<crate::episode::TaskError> for Failure {
    fn from(e: crate::episode::TaskError) -> Self {
        Self::Conflict(Conflict::State(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::purpose::Purpose;

    /// Each failure is recorded as what it is: a refusal, a rejection, a miss or a failure of
    /// the registry, written out by hand.
    #[test]
    fn each_failure_has_its_audit_outcome() {
        let cases: Vec<(Failure, Outcome)> = vec![
            (
                Failure::Denied(Denied::PurposeMissing(String::new())),
                Outcome::PurposeMissing,
            ),
            (
                Failure::Denied(Denied::NoAccessToChild(Purpose::Care)),
                Outcome::Denied,
            ),
            (Failure::invalid("x", "wrong"), Outcome::Rejected),
            (Failure::no_record("m"), Outcome::NotFound),
            (
                Failure::Moved {
                    id: "a".into(),
                    into: "b".into(),
                },
                Outcome::NotFound,
            ),
            (
                Failure::Conflict(Conflict::PreconditionRequired),
                Outcome::Rejected,
            ),
            (Failure::Refused("no".into()), Outcome::Rejected),
            (Failure::ReceiverFailed("502".into()), Outcome::Failed),
            (
                Failure::Unauthenticated("no".into()),
                Outcome::Unauthenticated,
            ),
            (
                Failure::from(AuditUnavailable("down".into())),
                Outcome::Failed,
            ),
            (Failure::Unknown(anyhow::anyhow!("bug")), Outcome::Failed),
        ];
        for (failure, outcome) in cases {
            assert_eq!(failure.outcome(), outcome, "{failure:?}");
        }
    }

    #[test]
    fn a_stale_change_names_the_version_and_what_to_do() {
        let e = Failure::from(UpdateMinorError::Stale { current: 4 });
        assert_eq!(
            e.to_string(),
            "the record changed: it is at version 4; fetch it again and reapply the change"
        );
    }
}
