//! A record's lifecycle (docs/lifecycle.md): the retention rules in force, and the acts of the
//! guardianship service on a record's life (restriction, closure, review, history redaction) and
//! of those who may write photos (deleting one attached by mistake).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use domain::category::Category;
use domain::lifecycle::ClosureReason;
use domain::usecase::lifecycle::ReviewDecision;
use domain::usecase::records::Precondition;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::blocking;
use crate::extract::Body;
use crate::problem::Problem;
use crate::purpose::Stated;
use crate::routes::versions::{etag, if_match};
use crate::state::AppState;

/// Placeholder for the retention rules, replaced in `openapi.rs` by the domain's schema.
#[derive(ToSchema)]
#[schema(as = Retention)]
#[allow(dead_code)]
pub struct RetentionSchema(serde_json::Value);

/// Placeholder for a record's lifecycle, replaced in `openapi.rs` by the domain's schema.
#[derive(ToSchema)]
#[schema(as = LifecycleView)]
#[allow(dead_code)]
pub struct LifecycleSchema(serde_json::Value);

/// Why, in plain words and without personal data: kept with the record's lifecycle acts.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatedReason {
    /// 1 to 1000 characters.
    pub reason: String,
}

/// Why the record is closed, since when, and the reason in words.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureBody {
    /// `departure`, `transfer_abroad`, `deceased` or `other`.
    #[schema(value_type = String)]
    pub cause: ClosureReason,
    /// The day the child left the registry's care; not in the future.
    #[serde(deserialize_with = "crate::extract::date")]
    #[schema(value_type = String, format = Date)]
    pub on: NaiveDate,
    pub reason: String,
}

/// A review's answer: `confirm` lets the rules run when they fall due; `hold` holds them back
/// until `hold_until` (at most one review period ahead).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// `confirm` or `hold`.
    pub decision: String,
    #[serde(default, deserialize_with = "crate::extract::optional_date")]
    #[schema(value_type = Option<String>, format = Date)]
    pub hold_until: Option<NaiveDate>,
    pub reason: String,
}

/// The categories whose values are redacted from one earlier revision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactionBody {
    #[schema(value_type = Vec<String>)]
    pub categories: Vec<Category>,
    pub reason: String,
}

/// The retention rules in force: how long what is kept after which event, and why; the review
/// clock. Holds no child data: open to every authenticated caller.
#[utoipa::path(
    get,
    operation_id = "retention_get",
    path = "/v1/retention",
    tag = "lifecycle",
    security(("bearer" = [])),
    responses(
        (status = 200, body = RetentionSchema),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn retention(state: web::Data<AppState>, _caller: Caller) -> HttpResponse {
    HttpResponse::Ok().json(state.lifecycles.retention())
}

/// Where a record stands in its life: restriction, closure, review date and hold, the rules that
/// will run and when, and every lifecycle act; for an erased record, its tombstone. Operation
/// `review` (the guardianship service, purpose `guardianship`).
#[utoipa::path(
    get,
    operation_id = "lifecycle_get",
    path = "/v1/minors/{id}/lifecycle",
    tag = "lifecycle",
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = "guardianship")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = LifecycleSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn status(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let view =
        blocking::run(move || state.lifecycles.status(&caller.request(purpose), &id)).await?;
    Ok(no_store(view))
}

/// A 400 naming one field of the body.
fn field_error(field: &str, message: impl Into<String>) -> Problem {
    let mut errors = domain::validation::FieldErrors::default();
    errors.push(field, message.into());
    crate::problem::invalid(&errors)
}

fn no_store(view: impl serde::Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view)
}

/// Restrict the record (GDPR Art. 18): from now on only the guardianship service and the child's
/// guardian read it, for `guardianship`; no listing, search, statistic or event shows it (an open
/// alert keeps its readers until it ends). Operation `restrict`.
#[utoipa::path(
    post,
    operation_id = "lifecycle_restrict",
    path = "/v1/minors/{id}/restriction",
    tag = "lifecycle",
    request_body = StatedReason,
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = "guardianship")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = LifecycleSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn restrict(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
    body: Body<StatedReason>,
) -> Result<HttpResponse, Problem> {
    let why = body.into_inner().reason;
    let view = blocking::run(move || {
        state
            .lifecycles
            .restrict(&caller.request(purpose), &id, &why)
    })
    .await?;
    Ok(no_store(view))
}

/// Lift the record's restriction (not an erased record's). Operation `restrict`.
#[utoipa::path(
    post,
    operation_id = "lifecycle_lift",
    path = "/v1/minors/{id}/restriction/lift",
    tag = "lifecycle",
    request_body = StatedReason,
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = "guardianship")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = LifecycleSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn lift(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
    body: Body<StatedReason>,
) -> Result<HttpResponse, Problem> {
    let why = body.into_inner().reason;
    let view =
        blocking::run(move || state.lifecycles.lift(&caller.request(purpose), &id, &why)).await?;
    Ok(no_store(view))
}

/// Close the record: the child left, was transferred abroad, died, or the registry's purpose
/// ended otherwise. The rules that run from departure, transfer abroad and closure start to count
/// from `on`. Operation `close`.
#[utoipa::path(
    post,
    operation_id = "lifecycle_close",
    path = "/v1/minors/{id}/closure",
    tag = "lifecycle",
    request_body = ClosureBody,
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = "guardianship")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = LifecycleSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn close(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
    body: Body<ClosureBody>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let view = blocking::run(move || {
        state.lifecycles.close(
            &caller.request(purpose),
            &id,
            body.cause,
            body.on,
            &body.reason,
        )
    })
    .await?;
    Ok(no_store(view))
}

/// Answer a review: confirm the record's course, or hold its rules back until a day. Operation
/// `review`.
#[utoipa::path(
    post,
    operation_id = "lifecycle_review",
    path = "/v1/minors/{id}/review",
    tag = "lifecycle",
    request_body = ReviewBody,
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = "guardianship")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = LifecycleSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn review(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
    body: Body<ReviewBody>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let decision = match (body.decision.as_str(), body.hold_until) {
        ("confirm", None) => ReviewDecision::Confirm,
        ("hold", Some(until)) => ReviewDecision::HoldUntil(until),
        ("confirm", Some(_)) => {
            return Err(field_error(
                "hold_until",
                "only a `hold` decision names a day",
            ));
        }
        ("hold", None) => {
            return Err(field_error(
                "hold_until",
                "a `hold` decision names the day the hold ends",
            ));
        }
        (other, _) => {
            return Err(field_error(
                "decision",
                format!("`{other}` is not a decision; expected `confirm` or `hold`"),
            ));
        }
    };
    let view = blocking::run(move || {
        state
            .lifecycles
            .review(&caller.request(purpose), &id, decision, &body.reason)
    })
    .await?;
    Ok(no_store(view))
}

/// Redact rectified values from an earlier revision of the history: the revision keeps who made
/// it and when, its values of the categories named are replaced by a marker (`redacted`).
/// Operation `redact` (the guardianship service).
#[utoipa::path(
    post,
    operation_id = "lifecycle_redact",
    path = "/v1/minors/{id}/history/{version}/redaction",
    tag = "lifecycle",
    request_body = RedactionBody,
    params(
        ("id" = String, Path),
        ("version" = i64, Path, description = "An earlier version of the record"),
        ("X-Purpose" = String, Header, description = "guardianship"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = LifecycleSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn redact(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    path: web::Path<(String, i64)>,
    body: Body<RedactionBody>,
) -> Result<HttpResponse, Problem> {
    let (id, version) = path.into_inner();
    let body = body.into_inner();
    let view = blocking::run(move || {
        state.lifecycles.redact(
            &caller.request(purpose),
            &id,
            version,
            body.categories.into_iter().collect(),
            &body.reason,
        )
    })
    .await?;
    Ok(no_store(view))
}

/// Delete a photo attached to the wrong child, with the reason: the record no longer lists it and
/// its bytes are removed, in a new version (its `ETag` in the answer). Needs write access to
/// `photos` (operation `photo_delete`) and `If-Match`.
#[utoipa::path(
    delete,
    operation_id = "minors_delete_photo",
    path = "/v1/minors/{id}/photos/{photo_id}",
    tag = "minors",
    request_body = StatedReason,
    params(
        ("id" = String, Path),
        ("photo_id" = String, Path),
        ("X-Purpose" = String, Header, description = "care"),
        ("If-Match" = String, Header, description = "The record's ETag"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The photo is deleted", headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 428, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_photo(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    path: web::Path<(String, String)>,
    body: Body<StatedReason>,
) -> Result<HttpResponse, Problem> {
    let (id, photo_id) = path.into_inner();
    let expected = match if_match(&req)? {
        Some(Precondition::Version(v)) => Some(v),
        // A tag that names no version matches none: the deletion fails as a stale one would.
        Some(Precondition::NoVersion) => Some(0),
        None => None,
    };
    let why = body.into_inner().reason;
    let version = blocking::run(move || {
        state
            .lifecycles
            .delete_photo(&caller.request(purpose), &id, &photo_id, expected, &why)
    })
    .await?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::ETAG, etag(version)))
        .finish())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/retention").route(web::get().to(retention)))
        .service(web::resource("/v1/minors/{id}/lifecycle").route(web::get().to(status)))
        .service(web::resource("/v1/minors/{id}/restriction").route(web::post().to(restrict)))
        .service(web::resource("/v1/minors/{id}/restriction/lift").route(web::post().to(lift)))
        .service(web::resource("/v1/minors/{id}/closure").route(web::post().to(close)))
        .service(web::resource("/v1/minors/{id}/review").route(web::post().to(review)))
        .service(
            web::resource("/v1/minors/{id}/history/{version}/redaction")
                .route(web::post().to(redact)),
        );
}
