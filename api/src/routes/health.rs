//! Liveness and readiness probes (no authentication).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::blocking;
use crate::problem::Problem;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct HealthStatus {
    /// Always `ok` when the probe succeeds.
    pub status: &'static str,
}

/// The process is up and serving HTTP.
#[utoipa::path(
    get,
    operation_id = "health_live",
    path = "/health/live",tag = "health", responses((status = 200, body = HealthStatus)))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus { status: "ok" })
}

/// The database is reachable and every migration is applied.
#[utoipa::path(
    get,
    operation_id = "health_ready",
    path = "/health/ready",
    tag = "health",
    responses(
        (status = 200, body = HealthStatus),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    blocking::run(move || {
        state.readiness.check().map_err(|e| {
            tracing::warn!(error = format!("{e:#}"), "not ready");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not-ready",
                "Not ready",
                e.to_string(),
            )
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(HealthStatus { status: "ok" }))
}

/// Registers the routes; a known path with another method answers 405.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/health/live").route(web::get().to(live)))
        .service(web::resource("/health/ready").route(web::get().to(ready)));
}
