//! `POST /v1/minors/{id}/merge`: the guardianship service merges a duplicate into record `{id}`.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use domain::usecase::merge::MergeError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::blocking;
use crate::problem::Problem;
use crate::purpose::Stated;
use crate::routes::minors::{RecordBody, etag, forbidden, if_match, invalid, not_found, stale};
use crate::state::AppState;

/// The survivor after a merge, and what the merge left with the duplicate.
#[derive(Debug, Serialize)]
struct MergedBody {
    #[serde(flatten)]
    record: RecordBody,
    left_for_owners: Vec<String>,
}

/// Placeholder for the merge's answer, replaced in `openapi.rs`.
#[derive(ToSchema)]
#[schema(as = MergedRecord)]
#[allow(dead_code)]
pub struct MergedRecordSchema(serde_json::Value);

/// Which record is the duplicate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The id of the record merged into the one in the path; afterwards it answers with a
    /// pointer to the survivor.
    pub duplicate: String,
}

impl From<MergeError> for Problem {
    fn from(e: MergeError) -> Self {
        match e {
            MergeError::Denied(d) => forbidden(&d),
            MergeError::NotFound(_) => not_found(e.to_string()),
            MergeError::Invalid(f) => invalid(&f),
            MergeError::Conflict(_) => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "Cannot merge",
                e.to_string(),
            ),
            MergeError::Stale { .. } => stale(e.to_string()),
            MergeError::Unavailable(e) => blocking::audit_unavailable(&e),
            MergeError::Unknown(e) => blocking::unexpected(&e),
        }
    }
}

/// Merge the duplicate named in the body into this record (the survivor), in one transaction.
/// The survivor keeps its own fields and gains the duplicate's names as aliases, its
/// original-script names, nationalities, languages, documents, photos and marks, and any category
/// it lacked — of the categories the merging role may write; the others stay with the duplicate and
/// are named in `left_for_owners`. Both revision histories and the audit trail stay. The duplicate
/// then answers `GET` with 308 and a `Location` pointing to the survivor. Who merges is the
/// policy's `merge` permit (the guardianship service, purpose `identification` or
/// `guardianship`). `If-Match`, when sent, is the survivor's ETag.
#[utoipa::path(
    post,
    path = "/v1/minors/{id}/merge",
    tag = "minors",
    request_body = MergeBody,
    params(
        ("id" = String, Path, description = "The record that survives"),
        ("X-Purpose" = String, Header, description = "identification or guardianship"),
        ("If-Match" = Option<String>, Header, description = "The survivor's ETag"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = MergedRecordSchema, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn merge(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
    body: web::Json<MergeBody>,
) -> Result<HttpResponse, Problem> {
    let expected = if_match(&req);
    let survivor = id.into_inner();
    let duplicate = body.into_inner().duplicate;
    let merged = blocking::run(move || {
        state
            .minors
            .merge(&caller.request(purpose), &survivor, &duplicate, expected)
    })
    .await?;
    let version = merged.survivor.version;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(MergedBody {
            record: RecordBody::from(merged.survivor),
            left_for_owners: merged
                .left_for_owners
                .iter()
                .map(ToString::to_string)
                .collect(),
        }))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/minors/{id}/merge").route(web::post().to(merge)));
}
