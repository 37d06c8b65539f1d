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
