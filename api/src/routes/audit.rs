//! The audit trail: a child's access log, and the integrity check of the chain.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::audit::{BrokenLink, ChainedEntry, VerifyReport};
use domain::page::PageRequest;
use domain::validation::FieldErrors;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::blocking;
use crate::extract::Params;
use crate::names::name;
use crate::problem::{Problem, invalid};
use crate::purpose::Stated;
use crate::routes::paging::page_request;
use crate::state::AppState;

/// One consultation or change of a child's data.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessEntry {
    /// Position in the audit chain.
    pub seq: i64,
    #[serde(with = "domain::time::micros")]
    pub at: DateTime<Utc>,
    pub subject: Option<String>,
    pub agency: Option<String>,
    pub role: Option<String>,
    pub purpose: Option<String>,
    /// What was done: read, amend, history, list, photo_read, ...
    pub action: String,
    /// Categories disclosed or changed.
    pub categories: Vec<String>,
    /// success, denied, purpose_missing, rejected, not_found, unauthenticated or failed.
    pub outcome: String,
    pub request_id: String,
}

impl From<ChainedEntry> for AccessEntry {
    fn from(c: ChainedEntry) -> Self {
        let e = c.entry;
        Self {
            seq: c.seq,
            at: e.at,
            subject: e.subject,
            agency: e.agency,
            role: e.role,
            purpose: e.purpose.map(|p| p.to_string()),
            action: name(&e.action),
            categories: e.categories.iter().map(|c| c.to_string()).collect(),
            outcome: name(&e.outcome),
            request_id: e.request_id,
        }
    }
}

/// One page of a child's access log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLogPage {
    pub items: Vec<AccessEntry>,
    /// Cursor of the next page (pass as `after`); absent on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

impl PageQuery {
    fn parse(self) -> Result<PageRequest<i64>, FieldErrors> {
        let mut errors = FieldErrors::default();
        match page_request(self.after, self.limit, &mut errors) {
            Some(page) if errors.is_empty() => Ok(page),
            _ => Err(errors),
        }
    }
}

/// Who saw or changed what of this child, when and why: for the child's guardian and the
/// guardianship service (purpose `guardianship`) and auditors (purpose `audit`). Itself audited.
#[utoipa::path(
    get,
    operation_id = "minors_access_log",
    path = "/v1/minors/{id}/access-log",
    tag = "audit",
    params(("id" = String, Path), PageQuery, ("X-Purpose" = String, Header, description = "guardianship or audit")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AccessLogPage),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn access_log(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
    query: Params<PageQuery>,
) -> Result<HttpResponse, Problem> {
    let page = query.into_inner().parse().map_err(|e| invalid(&e))?;
    let page = blocking::run(move || {
        state
            .audit_trail
            .access_log(&caller.request(purpose), &id, &page)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(AccessLogPage {
            items: page.items.into_iter().map(AccessEntry::from).collect(),
            next: page.next.map(|n| n.to_string()),
        }))
}

/// The result of checking the audit chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyBody {
    /// Whether every entry links to the one before and matches its hash, up to the head.
    pub intact: bool,
    pub entries: u64,
    pub first_broken: Option<BrokenBody>,
    /// The last entry an audit cut removed (docs/lifecycle.md): the chain is checked from the
    /// entry after it; absent when the trail was never cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut_through: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BrokenBody {
    pub seq: i64,
    pub reason: String,
}

impl From<VerifyReport> for VerifyBody {
    fn from(r: VerifyReport) -> Self {
        Self {
            intact: r.first_broken.is_none(),
            entries: r.entries,
            first_broken: r
                .first_broken
                .map(|BrokenLink { seq, reason }| BrokenBody { seq, reason }),
            cut_through: r.cut_through,
        }
    }
}

/// Check the whole audit chain and report the first broken link. Auditors only.
#[utoipa::path(
    get,
    operation_id = "audit_verify",
    path = "/v1/audit/verify",
    tag = "audit",
    security(("bearer" = [])),
    responses(
        (status = 200, body = VerifyBody),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn verify(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, Problem> {
    let report = blocking::run(move || state.audit_trail.verify(&caller.without_purpose())).await?;
    Ok(HttpResponse::Ok().json(VerifyBody::from(report)))
}

/// One reporting agency in the oversight listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReporterBody {
    pub agency: String,
    /// Alerts the agency opened.
    pub reported: u64,
    /// Of those, opened on a child neither placed with the agency nor its ward.
    pub unrelated: u64,
    /// Of those, closed as `reported_in_error`.
    pub closed_in_error: u64,
    /// Opened on an unrelated child and closed as `reported_in_error`.
    pub unrelated_closed_in_error: u64,
}

/// The oversight listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct OversightBody {
    pub items: Vec<ReporterBody>,
}

/// Alerts opened, opened on unrelated children, and closed in error, per reporting agency: for
/// auditors (purpose `audit`), who watch for reports that open the alert-time grants without
/// cause. Counts only; audited.
#[utoipa::path(
    get,
    operation_id = "oversight_alerts_in_error",
    path = "/v1/oversight/alerts-in-error",
    tag = "audit",
    params(("X-Purpose" = String, Header, description = "audit")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = OversightBody),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn oversight(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
) -> Result<HttpResponse, Problem> {
    let rows = blocking::run(move || state.alerts.oversight(&caller.request(purpose))).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(OversightBody {
            items: rows
                .into_iter()
                .map(|r| ReporterBody {
                    agency: r.agency,
                    reported: r.reported,
                    unrelated: r.unrelated,
                    closed_in_error: r.closed_in_error,
                    unrelated_closed_in_error: r.unrelated_closed_in_error,
                })
                .collect(),
        }))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/minors/{id}/access-log").route(web::get().to(access_log)))
        .service(web::resource("/v1/audit/verify").route(web::get().to(verify)))
        .service(web::resource("/v1/oversight/alerts-in-error").route(web::get().to(oversight)));
}
