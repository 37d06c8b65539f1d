//! Running blocking work (database, key material) off the actix worker threads.

use actix_web::http::StatusCode;
use actix_web::web;

use crate::problem::Problem;

/// Runs `f` on the blocking thread pool and turns its error into a problem.
pub async fn run<T, E>(f: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, Problem>
where
    T: Send + 'static,
    E: Into<Problem> + Send + 'static,
{
    match web::block(f).await {
        Ok(result) => result.map_err(Into::into),
        Err(e) => {
            tracing::error!(error = %e, "blocking task failed");
            Err(Problem::from_status(
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
            ))
        }
    }
}

/// The answer to an unexpected error: 503 when the database could not be reached (the caller may
/// retry), 500 otherwise. The cause is logged, never shown.
pub fn unexpected(error: &anyhow::Error) -> Problem {
    if infra::db::DatabaseUnavailable::is_cause_of(error) {
        tracing::warn!(error = format!("{error:#}"), "database unavailable");
        return Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            "the database cannot be reached; retry later".to_owned(),
        );
    }
    tracing::error!(error = format!("{error:#}"), "unexpected error");
    Problem::from_status(StatusCode::INTERNAL_SERVER_ERROR, None)
}

/// The answer when the audit trail cannot record a request: 503, nothing disclosed (fail closed).
pub fn audit_unavailable(error: &domain::ports::AuditUnavailable) -> Problem {
    tracing::error!(error = %error, "audit trail unavailable; refusing to answer");
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "audit-unavailable",
        "Service unavailable",
        "the request could not be audited, so it was not carried out; retry later".to_owned(),
    )
}
