//! `POST /v1/minors/{id}/merge`: the guardianship service merges a duplicate into record `{id}`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::blocking;
use crate::extract::Body;
use crate::problem::Problem;
use crate::purpose::Stated;
use crate::routes::versions::{etag, if_match};
use crate::state::AppState;

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
    operation_id = "minors_merge",
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
    body: Body<MergeBody>,
) -> Result<HttpResponse, Problem> {
    let expected = if_match(&req)?;
    let survivor = id.into_inner();
    let duplicate = body.into_inner().duplicate;
    let merged = blocking::run(move || {
        state
            .merges
            .merge(&caller.request(purpose), &survivor, &duplicate, expected)
    })
    .await?;
    let version = merged.survivor.version;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(merged))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/minors/{id}/merge").route(web::post().to(merge)));
}
