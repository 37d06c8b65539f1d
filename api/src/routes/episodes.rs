//! The episode around an alert: roll calls (`/v1/presence`), a child's absences, and the
//! follow-up tasks of the caller's agency (`/v1/tasks`).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::episode::{Presence, TaskStatus};
use domain::usecase::episodes::PresenceEntry;
use domain::validation::FieldErrors;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::blocking;
use crate::extract::{Body, Params};
use crate::problem::{Problem, invalid};
use crate::purpose::Stated;
use crate::routes::paging::page_request;
use crate::state::AppState;

/// Placeholder for the answer to a roll call, replaced in `openapi.rs` by the domain's schema.
#[derive(ToSchema)]
#[schema(as = RollCallAnswer)]
#[allow(dead_code)]
pub struct RollCallAnswerSchema(serde_json::Value);

/// Placeholder for a child's absences, replaced in `openapi.rs`.
#[derive(ToSchema)]
#[schema(as = AbsenceList)]
#[allow(dead_code)]
pub struct AbsenceListSchema(serde_json::Value);

/// Placeholder for one task, replaced in `openapi.rs`.
#[derive(ToSchema)]
#[schema(as = TaskRecord)]
#[allow(dead_code)]
pub struct TaskSchema(serde_json::Value);

/// Placeholder for a page of tasks, replaced in `openapi.rs`.
#[derive(ToSchema)]
#[schema(as = TaskPage)]
#[allow(dead_code)]
pub struct TaskPageSchema(serde_json::Value);

/// One child of a roll call.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceItem {
    pub minor_id: String,
    /// `present`, `absent_with_permission`, `absent_without_permission` or `unknown`.
    #[schema(value_type = String)]
    pub presence: Presence,
}

/// A roll call of the children placed with the caller's agency.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollCallBody {
    /// When the roll call was taken (default: now; never in the future). An absence's clock
    /// starts here.
    #[serde(default, deserialize_with = "crate::extract::option_date_time")]
    pub checked_at: Option<DateTime<Utc>>,
    /// 1 to 500 children, each once.
    pub children: Vec<PresenceItem>,
}

const CARE: &str = "The purpose of the roll call, e.g. `care`";

/// Record a roll call (reception centres and youth-care services, for the children placed with
/// them). An unexplained absence (`absent_without_permission`, `unknown`) opens a possible
/// disappearance whose clock comes from `policy/risk.toml`; `present` or
/// `absent_with_permission` closes one. Every child must be placed with the caller's agency, or
/// nothing is stored.
#[utoipa::path(
    post,
    operation_id = "presence_roll_call",
    path = "/v1/presence",
    tag = "episodes",
    request_body = RollCallBody,
    params(("X-Purpose" = String, Header, description = CARE)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = RollCallAnswerSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn roll_call(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    body: Body<RollCallBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let entries: Vec<PresenceEntry> = b
        .children
        .into_iter()
        .map(|c| PresenceEntry {
            minor_id: c.minor_id,
            presence: c.presence,
        })
        .collect();
    let results = blocking::run(move || {
        state
            .episodes
            .roll_call(&caller.request(purpose), b.checked_at, &entries)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "children": results })))
}

/// A child's absences found at roll calls, the most recent first: for whoever may read the
/// child's `placement` for the stated purpose.
#[utoipa::path(
    get,
    operation_id = "minors_absences",
    path = "/v1/minors/{id}/absences",
    tag = "episodes",
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = "The purpose of the consultation")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AbsenceListSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn absences(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let items =
        blocking::run(move || state.episodes.absences(&caller.request(purpose), &id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "items": items })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    /// `open` or `done`.
    pub status: Option<String>,
    /// `true`: only open tasks past their deadline.
    pub overdue: Option<bool>,
    pub after: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// The follow-up tasks assigned to the caller's agency, in the order created.
#[utoipa::path(
    get,
    operation_id = "tasks_list",
    path = "/v1/tasks",
    tag = "episodes",
    params(TaskQuery, ("X-Purpose" = String, Header, description = "`care` or `guardianship`")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = TaskPageSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn tasks(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    query: Params<TaskQuery>,
) -> Result<HttpResponse, Problem> {
    let q = query.into_inner();
    let mut errors = FieldErrors::default();
    let status = q
        .status
        .and_then(|s| errors.check("status", crate::names::parse::<TaskStatus>(&s)));
    let page = page_request(q.after, q.limit, &mut errors);
    let Some(page) = page.filter(|_| errors.is_empty()) else {
        return Err(invalid(&errors));
    };
    let overdue = q.overdue.unwrap_or(false);
    let page = blocking::run(move || {
        state
            .episodes
            .tasks(&caller.request(purpose), status, overdue, &page)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(page))
}

/// What was done, in a few words (no personal data beyond what the task needs).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompletionBody {
    /// 1 to 4000 characters.
    pub note: Option<String>,
}

/// Complete a task assigned to the caller's agency; a task of another agency is not found.
#[utoipa::path(
    post,
    operation_id = "tasks_complete",
    path = "/v1/tasks/{id}/completion",
    tag = "episodes",
    request_body = CompletionBody,
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = "`care` or `guardianship`")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = TaskSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn complete(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
    body: Body<CompletionBody>,
) -> Result<HttpResponse, Problem> {
    let note = body.into_inner().note;
    let task = blocking::run(move || {
        state
            .episodes
            .complete_task(&caller.request(purpose), &id, note.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(task))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/presence").route(web::post().to(roll_call)))
        .service(web::resource("/v1/minors/{id}/absences").route(web::get().to(absences)))
        .service(web::resource("/v1/tasks").route(web::get().to(tasks)))
        .service(web::resource("/v1/tasks/{id}/completion").route(web::post().to(complete)));
}
