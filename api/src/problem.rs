//! RFC 9457 problem details: the body of every failure.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use domain::usecase::kernel::{Conflict, Denied, Failure, Unavailable};
use domain::validation::{FieldError, FieldErrors};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One offending input field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvalidParam {
    /// JSON path of the field, e.g. `country` or `identity.names[0].script`.
    pub name: String,
    /// What is wrong with it.
    pub reason: String,
}

/// An RFC 9457 problem.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:uam-registry:problem:<kind>`.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: Box<str>,
    /// Short summary of the kind of problem.
    #[schema(value_type = String)]
    pub title: Box<str>,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub detail: Option<Box<str>>,
    /// Every offending field, for validation failures.
    #[serde(rename = "invalid-params", skip_serializing_if = "Vec::is_empty")]
    pub invalid_params: Vec<InvalidParam>,
    /// For a record merged into another: the survivor's id; the `Location` header is its path.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub merged_into: Option<Box<str>>,
    /// For a change based on a version that is no longer current (412): the current version; the
    /// `ETag` header names it too.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub current_version: Option<Box<i64>>,
    /// For a stream resumed after events no longer kept: the oldest event id (outbox position)
    /// still available; resume with `Last-Event-ID` set to one before it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub oldest_available_id: Option<Box<i64>>,
    /// For a purpose refused for this operation (403): the purposes the caller's role may state
    /// for it instead, as `X-Purpose` values.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    pub accepted_purposes: Option<Box<Vec<String>>>,
}

impl Problem {
    /// A problem of a kind named by `slug` (`urn:uam-registry:problem:<slug>`).
    pub fn new(
        status: StatusCode,
        slug: &str,
        title: &str,
        detail: impl Into<Option<String>>,
    ) -> Self {
        Self {
            kind: format!("urn:uam-registry:problem:{slug}").into(),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into().map(String::into_boxed_str),
            invalid_params: Vec::new(),
            merged_into: None,
            current_version: None,
            oldest_available_id: None,
            accepted_purposes: None,
        }
    }

    /// A problem that the status alone describes: its kind is the reason phrase
    /// (`urn:uam-registry:problem:unsupported-media-type`), its title the phrase itself.
    pub fn from_status(status: StatusCode, detail: impl Into<Option<String>>) -> Self {
        let reason = status.canonical_reason().unwrap_or("Error");
        let slug: String = reason
            .to_ascii_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        Self {
            kind: format!("urn:uam-registry:problem:{slug}").into(),
            title: reason.into(),
            status: status.as_u16(),
            detail: detail.into().map(String::into_boxed_str),
            invalid_params: Vec::new(),
            merged_into: None,
            current_version: None,
            oldest_available_id: None,
            accepted_purposes: None,
        }
    }

    /// Points to `survivor`, the record the one asked for was merged into: `merged_into` names it
    /// and the `Location` header is `/v1/minors/{survivor}`.
    pub fn merged(mut self, survivor: &str) -> Self {
        self.merged_into = Some(survivor.into());
        self
    }

    pub fn with_fields(mut self, fields: &[FieldError]) -> Self {
        self.invalid_params = fields
            .iter()
            .map(|f| InvalidParam {
                name: f.path.clone(),
                reason: f.message.clone(),
            })
            .collect();
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status());
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Some(survivor) = self.merged_into.as_deref()
            && let Ok(value) = HeaderValue::from_str(&format!("/v1/minors/{survivor}"))
        {
            res.insert_header((header::LOCATION, value));
        }
        if let Some(version) = self.current_version.as_deref()
            && let Ok(value) = HeaderValue::from_str(&format!("\"{version}\""))
        {
            res.insert_header((header::ETAG, value));
        }
        if self.status == 401 {
            res.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            ));
        }
        res.body(serde_json::to_string(self).unwrap_or_default())
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.title, self.status)?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.response()
    }
}

/// The one place a use case's failure becomes an answer: its status, its kind and what the
/// client may read of it. The cause of a failure of the registry itself is logged, never shown.
impl From<Failure> for Problem {
    fn from(failure: Failure) -> Self {
        let detail = failure.to_string();
        match failure {
            Failure::Unauthenticated(_) => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Not authenticated",
                detail,
            ),
            Failure::Denied(denied) => forbidden(&denied),
            Failure::Invalid(errors) => invalid(&errors),
            Failure::NotFound(_) => Problem::from_status(StatusCode::NOT_FOUND, detail),
            Failure::Moved { into, .. } => Problem::new(
                StatusCode::PERMANENT_REDIRECT,
                "merged",
                "Merged into another record",
                detail,
            )
            .merged(&into),
            Failure::Conflict(conflict) => conflicting(conflict),
            Failure::Refused(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "photo-rejected",
                "Photo refused",
                detail,
            ),
            Failure::ReceiverFailed(_) => Problem::new(
                StatusCode::BAD_GATEWAY,
                "receiver-failed",
                "The receiver did not take it",
                detail,
            ),
            Failure::Unavailable(Unavailable::Audit(e)) => {
                tracing::error!(error = %e, "audit trail unavailable; refusing to answer");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "audit-unavailable",
                    "Service unavailable",
                    "the request could not be audited, so it was not carried out; retry later"
                        .to_owned(),
                )
            }
            Failure::Unavailable(Unavailable::Store(e)) => {
                tracing::warn!(error = format!("{e:#}"), "database unavailable");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Service unavailable",
                    "the database cannot be reached; retry later".to_owned(),
                )
            }
            Failure::Unknown(e) => {
                tracing::error!(error = format!("{e:#}"), "unexpected error");
                Problem::from_status(StatusCode::INTERNAL_SERVER_ERROR, None)
            }
        }
    }
}

/// A request that does not fit the state of what it acts on.
fn conflicting(conflict: Conflict) -> Problem {
    let detail = conflict.to_string();
    match conflict {
        Conflict::PreconditionRequired => Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition-required",
            "If-Match required",
            detail,
        ),
        Conflict::Stale { current, .. } => Problem {
            current_version: Some(Box::new(current)),
            ..Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "stale",
                "The record changed",
                detail,
            )
        },
        Conflict::Merged { into, .. } => Problem::new(
            StatusCode::CONFLICT,
            "merged",
            "Merged into another record",
            detail,
        )
        .merged(&into),
        Conflict::Duplicate(_) => {
            Problem::new(StatusCode::CONFLICT, "duplicate", "Already exists", detail)
        }
        Conflict::State(_) => Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", detail),
        Conflict::Gone { oldest, .. } => Problem {
            oldest_available_id: oldest.map(Box::new),
            ..Problem::new(StatusCode::GONE, "gone", "No longer kept", detail)
        },
    }
}

/// A refusal: 403 naming what is not permitted (the fields, where it is about fields), or 400
/// for a missing or unknown purpose.
fn forbidden(denied: &Denied) -> Problem {
    if let Denied::PurposeMissing(detail) = denied {
        return purpose_missing(detail.clone());
    }
    let problem = Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Forbidden",
        denied.to_string(),
    );
    if let Some(accepted) = denied.accepted_purposes() {
        return Problem {
            accepted_purposes: Some(Box::new(accepted.iter().map(ToString::to_string).collect())),
            ..problem
        };
    }
    match denied {
        Denied::FilterNotPermitted { filter, .. } => problem.with_fields(&[FieldError {
            path: filter.clone(),
            message: "filters on a category your role may not read for this purpose".into(),
        }]),
        Denied::WriteNotPermitted(fields) => problem.with_fields(
            &fields
                .iter()
                .map(|f| FieldError {
                    path: f.clone(),
                    message: "your role may not write this category for this purpose and child"
                        .into(),
                })
                .collect::<Vec<_>>(),
        ),
        _ => problem,
    }
}

/// 400 naming every offending field.
pub fn invalid(errors: &FieldErrors) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "validation",
        "Invalid input",
        errors.to_string(),
    )
    .with_fields(&errors.0)
}

/// The answer to a missing or unknown purpose: 400 naming the header.
fn purpose_missing(detail: String) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "purpose",
        "Purpose required",
        detail,
    )
    .with_fields(&[domain::validation::FieldError {
        path: "X-Purpose".into(),
        message:
            "one of care, guardianship, identification, procedure, disappearance, statistics, audit"
                .into(),
    }])
}
