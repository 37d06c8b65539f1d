//! `POST /v1/minors/search`: find a child already known, across spellings and scripts.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use domain::minor::Sex;
use domain::usecase::search::{SearchHit, SearchQuery};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::blocking;
use crate::extract::Body;
use crate::problem::Problem;
use crate::purpose::Stated;
use crate::state::AppState;

/// What is known of the child sought.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    /// Names in any script and spelling: full names, parts, aliases (1 to 10).
    pub names: Vec<String>,
    /// YYYY-MM-DD; near dates count too (estimated ages).
    #[serde(default, deserialize_with = "crate::extract::optional_date")]
    pub date_of_birth: Option<NaiveDate>,
    /// Estimated age today, lowest, in whole years (with `age_max`, when no date of birth is known).
    pub age_min: Option<u8>,
    /// Estimated age today, highest, in whole years.
    pub age_max: Option<u8>,
    /// female, male, x or unknown.
    #[schema(value_type = Option<String>)]
    pub sex: Option<Sex>,
    /// ISO 3166-1 alpha-2 codes.
    #[serde(default)]
    pub nationalities: Vec<String>,
    /// ISO 639 codes of languages spoken.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Scars, tattoos, birthmarks in free text (`scar above the left eyebrow`); compared only with
    /// records whose physical description the caller may read.
    #[serde(default)]
    pub distinguishing_marks: Vec<String>,
    /// How many candidates at most, 1 to 50 (default 10).
    #[schema(minimum = 1, maximum = 50)]
    pub limit: Option<usize>,
}

// The schema of `domain::matching::Reason`, as published.
/// Why a candidate scored as it did, field by field.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct MatchReason {
    pub field: String,
    /// 0 (disagree) to 1 (agree).
    pub agreement: f64,
    pub detail: String,
}

#[derive(Debug, Serialize)]
struct ResultsBody {
    items: Vec<SearchHit>,
}

/// Placeholder for the results schema (`items`: score, reasons and `MinorRecord`).
#[derive(ToSchema)]
#[schema(as = SearchResults)]
#[allow(dead_code)]
pub struct SearchResultsSchema(serde_json::Value);

/// Candidates for a described child, best first, each with its score, the reasons, and the record
/// through the caller's mask. A role that may not read `identity` of a child gets no candidate for it.
#[utoipa::path(
    post,
    operation_id = "minors_search",
    path = "/v1/minors/search",
    tag = "minors",
    request_body = SearchBody,
    params(("X-Purpose" = String, Header, description = "Why the caller consults child data")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SearchResultsSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    body: Body<SearchBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let age_range = match (b.age_min, b.age_max) {
        (None, None) => None,
        (lo, hi) => Some((lo.unwrap_or(0), hi.unwrap_or(lo.unwrap_or(0).max(17)))),
    };
    let query = SearchQuery {
        names: b.names,
        date_of_birth: b.date_of_birth,
        age_range,
        sex: b.sex,
        nationalities: b.nationalities,
        languages: b.languages,
        distinguishing_marks: b.distinguishing_marks,
        limit: b.limit.unwrap_or(10),
    };
    let items =
        blocking::run(move || state.search.search(&caller.request(purpose), &query)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(ResultsBody { items }))
}

/// Registered before `/v1/minors/{id}`, which would otherwise take `search` for an id.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/minors/search").route(web::post().to(search)));
}
