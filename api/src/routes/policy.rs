//! `GET /v1/policy`: the rules in force for the caller's role.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::names::{name, names};
use crate::state::AppState;

/// One grant of the loaded policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantBody {
    /// `read` and/or `write`.
    pub access: Vec<String>,
    pub categories: Vec<String>,
    /// Purposes (X-Purpose) the grant holds for.
    pub purposes: Vec<String>,
    /// `always`, `assigned` (the child is placed with, or a ward of, the caller's agency) or
    /// `active_alert` (an alert for the child is open).
    pub condition: String,
}

/// The caller's effective rules: everything not listed is refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct EffectivePolicy {
    pub role: String,
    pub agency: String,
    pub grants: Vec<GrantBody>,
}

/// The access rules of the caller's role, as loaded at start.
#[utoipa::path(
    get,
    path = "/v1/policy",
    tag = "policy",
    security(("bearer" = [])),
    responses(
        (status = 200, body = EffectivePolicy),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn effective(state: web::Data<AppState>, caller: Caller) -> HttpResponse {
    let grants = state
        .minors
        .effective_policy(&caller.principal)
        .into_iter()
        .map(|g| GrantBody {
            access: names(&g.access),
            categories: names(&g.categories),
            purposes: names(&g.purposes),
            condition: name(&g.condition),
        })
        .collect();
    HttpResponse::Ok().json(EffectivePolicy {
        role: caller.principal.role.to_string(),
        agency: caller.principal.agency.to_string(),
        grants,
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/policy").route(web::get().to(effective)));
}
