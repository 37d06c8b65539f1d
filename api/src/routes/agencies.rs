//! `/v1/agencies`: the directory of administrations sharing the registry.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::agency::Agency;
use domain::page::PageSize;
use domain::usecase::agencies::AgencyDraft;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::blocking;
use crate::extract::{Body, Params};
use crate::problem::Problem;
use crate::state::AppState;

/// The kinds of agency.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum AgencyKindSchema {
    ReceptionCentre,
    GuardianshipService,
    Guardian,
    ImmigrationOffice,
    Police,
    ChildFocus,
    YouthCare,
    Registry,
}

/// An agency to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgency {
    /// A slug: 2 to 63 characters of a-z, 0-9 and inner hyphens.
    #[schema(example = "fedasil-poelkapelle")]
    pub id: String,
    #[schema(value_type = AgencyKindSchema)]
    pub kind: String,
    /// Display name, 1 to 200 characters.
    #[schema(example = "Fedasil Poelkapelle")]
    pub name: String,
    /// ISO 3166-1 alpha-2 code.
    #[schema(example = "BE")]
    pub country: String,
}

/// An agency.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyView {
    pub id: String,
    #[schema(value_type = AgencyKindSchema)]
    pub kind: String,
    pub name: String,
    pub country: String,
    #[serde(with = "domain::time::micros")]
    pub created_at: DateTime<Utc>,
}

impl From<Agency> for AgencyView {
    fn from(a: Agency) -> Self {
        Self {
            id: a.id.to_string(),
            kind: a.kind.to_string(),
            name: a.name.as_str().to_owned(),
            country: a.country.to_string(),
            created_at: a.created_at,
        }
    }
}

/// One page of agencies.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyPage {
    pub items: Vec<AgencyView>,
    /// Cursor of the next page (pass as `after`); absent on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// List agencies by id. Any authenticated caller.
#[utoipa::path(
    get,
    operation_id = "agencies_list",
    path = "/v1/agencies",
    tag = "agencies",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AgencyPage),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    _caller: Caller,
    query: Params<ListQuery>,
) -> Result<HttpResponse, Problem> {
    let ListQuery { after, limit } = query.into_inner();
    let limit = match limit {
        None => PageSize::DEFAULT,
        Some(n) => PageSize::new(n).map_err(|e| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-query",
                "Invalid query parameters",
                e.to_string(),
            )
            .with_fields(&[domain::validation::FieldError {
                path: "limit".into(),
                message: e.to_string(),
            }])
        })?,
    };
    let page = blocking::run(move || state.agencies.list(after.as_deref(), limit)).await?;
    Ok(HttpResponse::Ok().json(AgencyPage {
        items: page.items.into_iter().map(AgencyView::from).collect(),
        next: page.next.map(String::from),
    }))
}

/// Create an agency. Only a `registry_admin`.
#[utoipa::path(
    post,
    operation_id = "agencies_create",
    path = "/v1/agencies",
    tag = "agencies",
    request_body = CreateAgency,
    security(("bearer" = [])),
    responses(
        (status = 201, body = AgencyView, headers(("Location" = String, description = "URL of the new agency"))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: Body<CreateAgency>,
) -> Result<HttpResponse, Problem> {
    let CreateAgency {
        id,
        kind,
        name,
        country,
    } = body.into_inner();
    let draft = AgencyDraft {
        id,
        kind,
        name,
        country,
    };
    let agency = blocking::run(move || state.agencies.create(&caller.principal, &draft)).await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/v1/agencies/{}", agency.id)))
        .json(AgencyView::from(agency)))
}

/// One agency. Any authenticated caller.
#[utoipa::path(
    get,
    operation_id = "agencies_get",
    path = "/v1/agencies/{id}",
    tag = "agencies",
    params(("id" = String, Path, description = "The agency's slug")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AgencyView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    _caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let agency = blocking::run(move || state.agencies.get(&id)).await?;
    Ok(HttpResponse::Ok().json(AgencyView::from(agency)))
}

/// Registers the routes; a known path with another method answers 405.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v1/agencies")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(web::resource("/v1/agencies/{id}").route(web::get().to(get)));
}
