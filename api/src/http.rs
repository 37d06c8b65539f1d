//! HTTP plumbing shared by every route: problem+json for every failure, extractor limits and
//! errors, the request id header, and the fallback for unknown routes.

use std::io::ErrorKind;
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, Next};
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use tracing_actix_web::RequestId;

use crate::problem::{PROBLEM_JSON, Problem};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Replaces the body of any error response that is not yet problem+json (404, 405, extractor
/// failures) with one, keeping the status and headers.
pub fn problem_body<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => Some(format!(
            "{} is not allowed on {}",
            res.request().method(),
            res.request().path()
        )),
        StatusCode::NOT_FOUND => Some(format!("nothing at {}", res.request().path())),
        _ if status.is_server_error() => None,
        _ => res.response().error().map(ToString::to_string),
    };
    let (req, old) = res.into_parts();
    let mut new = Problem::from_status(status, detail).response();
    for (name, value) in old.headers() {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}

/// JSON bodies: bounded, `application/json` only, errors as problems with the position.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _req| json_problem(&err).into())
}

fn json_problem(err: &JsonPayloadError) -> Problem {
    match err {
        JsonPayloadError::OverflowKnownLength { length, limit } => Problem::from_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body has {length} bytes; at most {limit} are accepted"),
        ),
        JsonPayloadError::Overflow { limit } => Problem::from_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body exceeds {limit} bytes"),
        ),
        JsonPayloadError::ContentType => Problem::from_status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be application/json".to_owned(),
        ),
        // serde_json's message ends with the position ("at line 1 column 7"); it is not repeated.
        JsonPayloadError::Deserialize(e) => Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-body",
            "Malformed request body",
            format!("the body is not well-formed JSON: {e}"),
        ),
        JsonPayloadError::Payload(PayloadError::Io(e)) if e.kind() == ErrorKind::TimedOut => {
            Problem::from_status(StatusCode::REQUEST_TIMEOUT, e.to_string())
        }
        other => {
            tracing::debug!(error = %other, "unreadable JSON body");
            Problem::from_status(
                StatusCode::BAD_REQUEST,
                format!("the body cannot be read: {other}"),
            )
        }
    }
}

/// Longest wait for the next piece of a request body. The HTTP layer bounds the wait for the
/// request head (`client_request_timeout`) but not for the body: without this, a client that
/// promises a body and stalls would hold its connection and buffer for ever.
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Ends a request body that stalls for [`BODY_IDLE_TIMEOUT`] with an error the extractors turn
/// into 408; the connection is then closed.
pub async fn body_idle_timeout(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let payload = req.take_payload();
    if matches!(payload, Payload::None) {
        req.set_payload(payload);
    } else {
        let stream = futures_util::stream::unfold(Some(payload), |payload| async move {
            let mut payload = payload?;
            match tokio::time::timeout(BODY_IDLE_TIMEOUT, payload.next()).await {
                Ok(Some(item)) => Some((item, Some(payload))),
                Ok(None) => None,
                Err(_) => Some((Err(body_timed_out()), None)),
            }
        });
        let stream: BodyStream = Box::pin(stream);
        req.set_payload(Payload::from(stream));
    }
    next.call(req).await
}

/// A request body as actix streams it.
type BodyStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<web::Bytes, PayloadError>>>>;

fn body_timed_out() -> PayloadError {
    PayloadError::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!(
            "no part of the body arrived for {} seconds",
            BODY_IDLE_TIMEOUT.as_secs()
        ),
    ))
}

/// Refuses a URL that encodes a NUL character (`%00`), which no id, filter or cursor holds and
/// PostgreSQL text cannot: 404 in the path (no resource is named so), 400 in the query.
pub async fn refuse_nul_in_url(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let has_nul = |text: &str| {
        text.as_bytes()
            .windows(3)
            .any(|w| w.eq_ignore_ascii_case(b"%00"))
    };
    let problem = if has_nul(req.uri().path()) {
        Some(Problem::from_status(
            StatusCode::NOT_FOUND,
            "nothing at a path with a NUL character".to_owned(),
        ))
    } else if req.uri().query().is_some_and(has_nul) {
        Some(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "Invalid query parameters",
            "query parameters may not hold NUL characters".to_owned(),
        ))
    } else {
        None
    };
    match problem {
        Some(problem) => Ok(req.into_response(problem.response()).map_into_right_body()),
        None => Ok(next.call(req).await?.map_into_left_body()),
    }
}

/// Query strings: errors as 400 problems naming the parameter when serde does.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "Invalid query parameters",
            err.to_string(),
        )
        .into()
    })
}

/// Path segments that do not parse: 404, as no such resource can exist.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, req: &HttpRequest| {
        Problem::from_status(
            StatusCode::NOT_FOUND,
            format!("nothing at {}: {err}", req.path()),
        )
        .into()
    })
}

/// Bodies read as bytes: bounded like JSON bodies.
pub fn payload_config(limit: usize) -> web::PayloadConfig {
    web::PayloadConfig::new(limit)
}

/// The fallback service: 404 problem for any unknown route.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    Problem::from_status(StatusCode::NOT_FOUND, format!("nothing at {}", req.path())).response()
}

/// Copies the request id that the tracing middleware assigned into the `X-Request-Id` header, and
/// logs one access line per request inside the request's span (so it carries the request id).
pub async fn request_id_and_access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req.extensions().get::<RequestId>().copied();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let started = std::time::Instant::now();
    let mut res = next.call(req).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok()) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    tracing::info!(
        %method,
        path,
        status = res.status().as_u16(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    Ok(res)
}

/// The media types an operation answers with on success, by route pattern and method; every
/// failure is `application/problem+json` whatever the `Accept`. Anything not listed answers JSON.
/// The OpenAPI document declares the same (`openapi::tests` compare them).
pub fn offered(pattern: &str, method: &actix_web::http::Method) -> &'static [&'static str] {
    match (pattern, method.as_str()) {
        ("/v1/alerts/{id}", "GET") => &["application/json", crate::cap::CONTENT_TYPE],
        ("/v1/alerts/stream", _) => &["text/event-stream"],
        ("/v1/statistics/{figure}", _) => &["application/json", "text/csv", "image/svg+xml"],
        ("/v1/statistics/{figure}/chart.svg", _) => &["image/svg+xml"],
        ("/v1/minors/{id}/photos/{photo_id}", "GET") => &["image/jpeg", "image/png"],
        ("/v1/minors/{id}/subject-access", _) => &["application/json", "text/html"],
        ("/v1/alerts/{id}/packet", _) => &["application/json", "text/html"],
        ("/v1/alerts/{id}/appeal", "GET") => &[crate::cap::CONTENT_TYPE],
        _ => &["application/json"],
    }
}

/// Refuses with 406 a request whose `Accept` admits none of the media types its operation
/// answers with, naming those it offers (RFC 9110, 12.5.1). No `Accept`, or one that cannot be
/// parsed, admits anything. Unknown routes and the interactive docs are left alone.
pub async fn negotiate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    use actix_web::http::header::{Accept, Header};
    let pattern = req.match_pattern();
    let offers = match pattern.as_deref() {
        Some(p) if p.starts_with("/v1/") || p.starts_with("/health") || p == "/openapi.json" => {
            offered(p, req.method())
        }
        _ => return Ok(next.call(req).await?.map_into_left_body()),
    };
    let accepted = match Accept::parse(req.request()) {
        Ok(accept) if !accept.0.is_empty() => offers.iter().any(|offer| {
            let Ok(offer) = offer.parse::<mime::Mime>() else {
                return false;
            };
            accept.0.iter().any(|range| {
                let item = &range.item;
                range.quality > actix_web::http::header::Quality::ZERO
                    && (item.type_() == mime::STAR
                        || (item.type_() == offer.type_()
                            && (item.subtype() == mime::STAR || item.subtype() == offer.subtype())))
            })
        }),
        _ => true,
    };
    if accepted {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let mut errors = domain::validation::FieldErrors::default();
    errors.push(
        "Accept",
        format!("this operation answers with {}", offers.join(", ")),
    );
    let problem = Problem {
        invalid_params: crate::problem::invalid(&errors).invalid_params,
        ..Problem::from_status(
            StatusCode::NOT_ACCEPTABLE,
            format!(
                "`Accept` admits none of the media types this operation answers with: {}",
                offers.join(", ")
            ),
        )
    };
    Ok(req.into_response(problem.response()).map_into_right_body())
}

/// Whether the caller prefers an HTML page to JSON: the first of `text/html`, `application/json`
/// or a wildcard in its `Accept`, by preference, is `text/html` (no `Accept`: JSON).
pub fn wants_html(req: &actix_web::HttpRequest) -> bool {
    use actix_web::http::header::{Accept, Header};
    let Ok(accept) = Accept::parse(req) else {
        return false;
    };
    accept
        .ranked()
        .into_iter()
        .find(|m| {
            (m.type_() == mime::TEXT && m.subtype() == mime::HTML)
                || (m.type_() == mime::APPLICATION && m.subtype() == mime::JSON)
                || m.type_() == mime::STAR
        })
        .is_some_and(|m| m.subtype() == mime::HTML)
}
