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

/// One operation right of the loaded policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermitBody {
    /// Operations permitted (`consult`, `list`, `resolve`, `subscribe`, ...; docs/policy.md).
    pub operations: Vec<String>,
    /// Purposes (X-Purpose) the permit holds for; empty for operations that take none.
    pub purposes: Vec<String>,
    /// `always`, `assigned`, `active_alert`, `follows` (the caller's agency follows the alert) or
    /// `reporter` (the caller's agency reported the alert).
    pub condition: String,
    /// For `resolve`: the outcomes permitted; absent means every outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<Vec<String>>,
}

/// The caller's effective rules: everything not listed is refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct EffectivePolicy {
    pub role: String,
    pub agency: String,
    /// Which categories the role reads and writes, for which purposes, in which standing.
    pub grants: Vec<GrantBody>,
    /// Which operations the role may use, for which purposes, in which standing.
    pub permits: Vec<PermitBody>,
}

/// The access rules of the caller's role, as loaded at start: field grants and operation rights.
#[utoipa::path(
    get,
    operation_id = "policy_get",
    path = "/v1/policy",
    tag = "policy",
    security(("bearer" = [])),
    responses(
        (status = 200, body = EffectivePolicy),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn effective(state: web::Data<AppState>, caller: Caller) -> HttpResponse {
    let rules = state.rules.in_force(&caller.principal);
    let permits = rules
        .permits
        .into_iter()
        .map(|p| PermitBody {
            operations: names(&p.operations),
            purposes: names(&p.purposes),
            condition: name(&p.condition),
            outcomes: p.outcomes.as_ref().map(|o| names(o)),
        })
        .collect();
    let grants = rules
        .grants
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
        permits,
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/policy").route(web::get().to(effective)));
}
