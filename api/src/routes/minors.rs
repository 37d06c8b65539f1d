//! `/v1/minors`: children's records, their history and photos, each through the caller's field mask.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ETAG, LOCATION};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use domain::agency::AgencyId;
use domain::minor::MinorStatus;
use domain::page::PageRequest;
use domain::projection::MinorView;
use domain::record::MinorFilter;
use domain::validation::FieldErrors;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::blocking;
use crate::extract::Params;
use crate::problem::{Problem, invalid};
use crate::purpose::Stated;
use crate::routes::paging::page_request;
use crate::routes::versions::{etag, if_match};
use crate::state::AppState;

/// Largest photo upload accepted, in bytes.
pub const PHOTO_LIMIT_BYTES: usize = 5 * 1024 * 1024;

// The schema of `domain::projection::ViewMeta`, as published.
/// `_meta` of every record in a response.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct RecordMeta {
    /// Categories withheld from this caller for this purpose (names only, never values).
    pub withheld: Vec<String>,
    /// The purpose the record was read for.
    pub purpose: String,
}

/// Placeholder so handlers can name the record schema; `openapi.rs` replaces it with the schema
/// generated from the domain's types.
#[derive(ToSchema)]
#[schema(as = MinorRecord)]
#[allow(dead_code)]
pub struct MinorRecordSchema(serde_json::Value);

/// Placeholder for the answer to a registration: the record and `possible_matches`.
#[derive(ToSchema)]
#[schema(as = RegisteredRecord)]
#[allow(dead_code)]
pub struct RegisteredRecordSchema(serde_json::Value);

/// Placeholder for the request body schema of `POST /v1/minors` (the categories of `MinorData`).
#[derive(ToSchema)]
#[schema(as = MinorData)]
#[allow(dead_code)]
pub struct MinorDataSchema(serde_json::Value);

// The schema of `domain::record::Actor`, as published.
/// Who changed a record, when and why.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct RevisionActor {
    pub subject: String,
    pub agency: String,
    pub role: String,
    pub purpose: String,
}

/// Placeholder for the history schema, replaced in `openapi.rs`.
#[derive(ToSchema)]
#[schema(as = MinorHistory)]
#[allow(dead_code)]
pub struct MinorHistorySchema(serde_json::Value);

/// Placeholder for a page of records, replaced in `openapi.rs`.
#[derive(ToSchema)]
#[schema(as = MinorPage)]
#[allow(dead_code)]
pub struct MinorPageSchema(serde_json::Value);

/// A photo's description, as listed in the record's `photos` category.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoBody {
    pub id: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    #[serde(with = "domain::time::micros")]
    pub uploaded_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `active`, `missing` or `closed`.
    pub status: Option<String>,
    /// Agency id of the current placement.
    pub placement_agency: Option<String>,
    /// ISO 3166-1 alpha-2 code among the child's nationalities.
    pub nationality: Option<String>,
    /// Registered on or after this date (YYYY-MM-DD).
    pub registered_since: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

impl ListQuery {
    fn parse(self) -> Result<(MinorFilter, PageRequest<i64>), FieldErrors> {
        let mut errors = FieldErrors::default();
        let status = self
            .status
            .and_then(|s| errors.check("status", s.parse::<MinorStatus>()));
        let placement_agency = self
            .placement_agency
            .and_then(|a| errors.check("placement_agency", AgencyId::parse(&a)));
        let nationality = self.nationality.and_then(|n| {
            errors
                .check("nationality", domain::country::CountryCode::parse(&n))
                .map(|c| c.to_string())
        });
        let registered_since = self.registered_since.and_then(|d| {
            errors.check(
                "registered_since",
                NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| format!("`{d}` is not a date (YYYY-MM-DD)")),
            )
        });
        let page = page_request(self.after, self.limit, &mut errors);
        match page {
            Some(page) if errors.is_empty() => Ok((
                MinorFilter {
                    status,
                    placement_agency,
                    nationality,
                    registered_since,
                },
                page,
            )),
            _ => Err(errors),
        }
    }
}

pub fn record_response(status: StatusCode, view: MinorView) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((ETAG, etag(view.version)));
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == StatusCode::CREATED {
        res.insert_header((LOCATION, format!("/v1/minors/{}", view.id)));
    }
    res.json(view)
}

const PURPOSE_PARAM: &str = "Why the caller consults child data";

/// Register a child. The caller must be allowed to write every category it sends, judged on the
/// record as it will be (e.g. reception staff register a child placed with their own centre). The
/// answer lists `possible_matches`: children already registered who may be this one, scored above
/// the possible-match threshold, through the caller's mask.
#[utoipa::path(
    post,
    operation_id = "minors_register",
    path = "/v1/minors",
    tag = "minors",
    request_body(content = MinorDataSchema, description = "One member per category; `photos` is managed by the photo endpoint."),
    params(("X-Purpose" = String, Header, description = PURPOSE_PARAM)),
    security(("bearer" = [])),
    responses(
        (status = 201, body = RegisteredRecordSchema, headers(("ETag" = String), ("Location" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn register(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Problem> {
    let registered =
        blocking::run(move || state.records.register(&caller.request(purpose), &body)).await?;
    let (id, version) = (registered.record.id.clone(), registered.record.version);
    Ok(HttpResponse::Created()
        .insert_header((ETAG, etag(version)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((LOCATION, format!("/v1/minors/{id}")))
        .json(registered))
}

/// List the records the caller may read something of, in registration order.
#[utoipa::path(
    get,
    operation_id = "minors_list",
    path = "/v1/minors",
    tag = "minors",
    params(ListQuery, ("X-Purpose" = String, Header, description = PURPOSE_PARAM)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = MinorPageSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    query: Params<ListQuery>,
) -> Result<HttpResponse, Problem> {
    let (filter, page) = query.into_inner().parse().map_err(|e| invalid(&e))?;
    let page =
        blocking::run(move || state.records.list(&caller.request(purpose), &filter, &page)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(page))
}

/// One record through the caller's mask.
#[utoipa::path(
    get,
    operation_id = "minors_get",
    path = "/v1/minors/{id}",
    tag = "minors",
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = PURPOSE_PARAM)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = MinorRecordSchema, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let view = blocking::run(move || state.records.consult(&caller.request(purpose), &id)).await?;
    Ok(record_response(StatusCode::OK, view))
}

/// Change a record with a JSON merge patch (RFC 7396), based on the version named by If-Match.
#[utoipa::path(
    patch,
    operation_id = "minors_patch",
    path = "/v1/minors/{id}",
    tag = "minors",
    request_body(content = MinorDataSchema, content_type = "application/merge-patch+json"),
    params(
        ("id" = String, Path),
        ("X-Purpose" = String, Header, description = PURPOSE_PARAM),
        ("If-Match" = String, Header, description = "The ETag of the version the change is based on"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = MinorRecordSchema, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 428, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn patch(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, Problem> {
    let is_merge_patch = req
        .mime_type()
        .ok()
        .flatten()
        .is_some_and(|m| m.essence_str() == "application/merge-patch+json");
    if !is_merge_patch {
        return Err(Problem::from_status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be application/merge-patch+json".to_owned(),
        ));
    }
    let expected = if_match(&req)?;
    let view = blocking::run(move || {
        state
            .records
            .amend(&caller.request(purpose), &id, expected, &body)
    })
    .await?;
    Ok(record_response(StatusCode::OK, view))
}

/// Every revision of a record: who changed what and when, through the caller's mask.
#[utoipa::path(
    get,
    operation_id = "minors_history",
    path = "/v1/minors/{id}/history",
    tag = "minors",
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = PURPOSE_PARAM)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = MinorHistorySchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn history(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let history =
        blocking::run(move || state.records.history(&caller.request(purpose), &id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(history))
}

/// Upload a photo (JPEG or PNG, at most 5 MiB). The content is checked, whatever Content-Type says,
/// and re-encoded without metadata (EXIF location included). The record moves to a new version:
/// its `ETag` is in the answer, for the next change.
#[utoipa::path(
    post,
    operation_id = "minors_add_photo",
    path = "/v1/minors/{id}/photos",
    tag = "minors",
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = PURPOSE_PARAM)),
    security(("bearer" = [])),
    responses(
        (status = 201, body = PhotoBody, headers(("Location" = String), ("ETag" = String, description = "The record's version after the upload"))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_photo(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let minor_id = id.clone();
    let added = blocking::run(move || {
        state
            .records
            .add_photo(&caller.request(purpose), &id, &body)
    })
    .await?;
    let photo = added.photo;
    Ok(HttpResponse::Created()
        .insert_header((ETAG, etag(added.version)))
        .insert_header((
            LOCATION,
            format!("/v1/minors/{minor_id}/photos/{}", photo.id),
        ))
        .json(PhotoBody {
            id: photo.id,
            content_type: photo.content_type,
            width: photo.width,
            height: photo.height,
            bytes: photo.bytes,
            uploaded_at: photo.uploaded_at,
        }))
}

/// A photo's bytes, under the policy of the `photos` category.
#[utoipa::path(
    get,
    operation_id = "minors_get_photo",
    path = "/v1/minors/{id}/photos/{photo_id}",
    tag = "minors",
    params(("id" = String, Path), ("photo_id" = String, Path), ("X-Purpose" = String, Header, description = PURPOSE_PARAM)),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "image/jpeg", body = Vec<u8>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn photo(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    let (id, photo_id) = path.into_inner();
    let stored = blocking::run(move || {
        state
            .records
            .photo(&caller.request(purpose), &id, &photo_id)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type(stored.content_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("x-content-type-options", "nosniff"))
        .body(stored.bytes))
}

/// Registers the routes; a known path with another method answers 405.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v1/minors")
            .route(web::get().to(list))
            .route(web::post().to(register)),
    )
    .service(
        web::resource("/v1/minors/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(patch)),
    )
    .service(web::resource("/v1/minors/{id}/history").route(web::get().to(history)))
    .service(
        web::resource("/v1/minors/{id}/photos")
            .app_data(web::PayloadConfig::new(PHOTO_LIMIT_BYTES))
            .route(web::post().to(add_photo)),
    )
    .service(
        web::resource("/v1/minors/{id}/photos/{photo_id}")
            .route(web::get().to(photo))
            .route(web::delete().to(super::lifecycle::delete_photo)),
    );
}
