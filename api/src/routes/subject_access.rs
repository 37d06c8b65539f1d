//! `GET /v1/minors/{id}/subject-access`: everything the registry holds on a child, every
//! disclosure of it, and the retention dates, for the guardian or the guardianship service to give
//! to the child (GDPR Art. 15): JSON, or a plain-language page (`Accept: text/html`).

use actix_web::http::header::{self, AcceptLanguage, Header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::blocking;
use crate::extract::Params;
use crate::problem::Problem;
use crate::purpose::Stated;
use crate::state::AppState;
use crate::subject_access;

/// Placeholder for the export's JSON, replaced in `openapi.rs`.
#[derive(ToSchema)]
#[schema(as = SubjectAccess)]
#[allow(dead_code)]
pub struct SubjectAccessSchema(serde_json::Value);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SubjectAccessQuery {
    /// The page's language (`en`, `fr`, `nl`); by default the first of the child's languages
    /// with a translation, else the caller's `Accept-Language`, else English.
    pub lang: Option<String>,
}

/// Everything held on the child: every category (whoever may read it), every change, every
/// alert, every disclosure from the audit trail (agency, role, when, why, what, which
/// categories), restriction, closure, review date and the rules that will run. Operation
/// `subject_access`: the guardianship service, and the child's guardian, for `guardianship`.
/// `Accept: text/html` answers a page in plain language for the child, in `lang`, else the
/// child's language where a translation exists.
#[utoipa::path(
    get,
    operation_id = "minors_subject_access",
    path = "/v1/minors/{id}/subject-access",
    tag = "lifecycle",
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = "guardianship"), SubjectAccessQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Everything held on the child", content(
            (SubjectAccessSchema = "application/json"),
            (String = "text/html"),
        )),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
    query: Params<SubjectAccessQuery>,
) -> Result<HttpResponse, Problem> {
    let asked = query.into_inner().lang;
    if let Some(lang) = &asked
        && subject_access::find(lang).is_none()
    {
        let mut errors = domain::validation::FieldErrors::default();
        errors.push(
            "lang",
            format!(
                "no translation `{lang}`; the page exists in {}",
                subject_access::available().join(", ")
            ),
        );
        return Err(crate::problem::invalid(&errors));
    }
    let export =
        blocking::run(move || state.subject_access.export(&caller.request(purpose), &id)).await?;
    let private = |mut r: actix_web::HttpResponseBuilder| {
        r.insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header(("x-content-type-options", "nosniff"))
            .insert_header((header::VARY, "Accept, Accept-Language"));
        r
    };
    if !crate::http::wants_html(&req) {
        return Ok(private(HttpResponse::Ok()).json(export));
    }
    let accept: Vec<String> = AcceptLanguage::parse(&req)
        .map(|a| {
            a.ranked()
                .into_iter()
                .filter_map(|l| match l {
                    actix_web::http::header::Preference::Specific(tag) => Some(tag.to_string()),
                    actix_web::http::header::Preference::Any => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let locale = subject_access::choose(asked.as_deref(), &export, &accept);
    Ok(private(HttpResponse::Ok())
        .insert_header((header::CONTENT_LANGUAGE, locale.code))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ))
        .content_type("text/html; charset=utf-8")
        .body(subject_access::page(&export, locale)))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/minors/{id}/subject-access").route(web::get().to(export)));
}
