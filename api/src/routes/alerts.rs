//! Disappearance reports and alerts: `/v1/minors/{id}/disappearances` and `/v1/alerts`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, LOCATION};
use std::collections::VecDeque;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::alert::{AlertStatus, Credibility, ResolutionOutcome};
use domain::minor::RiskLevel;
use domain::usecase::alerts::{
    AlertQuery as AlertFilter, AlertUpdate, AlertView, AppealRequest, Report,
};
use domain::usecase::kernel::{Failure, Request};
use domain::validation::FieldErrors;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::blocking;
use crate::extract::{Body, Params};
use crate::problem::{Problem, invalid};
use crate::purpose::Stated;
use crate::routes::paging::page_request;
use crate::state::AppState;

/// Placeholder for the alert schema, replaced in `openapi.rs` by the one generated from the domain.
#[derive(ToSchema)]
#[schema(as = AlertRecord)]
#[allow(dead_code)]
pub struct AlertRecordSchema(serde_json::Value);

/// Placeholder for a page of alerts, replaced in `openapi.rs`.
#[derive(ToSchema)]
#[schema(as = AlertPage)]
#[allow(dead_code)]
pub struct AlertPageSchema(serde_json::Value);

/// A disappearance report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// When the child was last seen (not in the future).
    #[serde(deserialize_with = "crate::extract::date_time")]
    pub last_seen_at: DateTime<Utc>,
    /// Where the child was last seen, 1 to 200 characters.
    pub last_seen_place: String,
    /// What happened, up to 4000 characters.
    pub circumstances: Option<String>,
    /// A risk level the reporter asks for: it raises the level assessed from the record, never
    /// lowers it. `low`, `medium` or `high`.
    #[schema(value_type = Option<String>)]
    pub risk: Option<RiskLevel>,
    /// The police agency of the zone where the child was last seen, if known: it goes on the
    /// reporting ledger. Without it, the zones table (`policy/zones.toml`) finds it from
    /// `last_seen_municipality` or the place.
    pub police_zone: Option<String>,
    /// The municipality of the place last seen, to find its police zone.
    pub last_seen_municipality: Option<String>,
}

/// A sighting of the child.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SightingBody {
    #[serde(deserialize_with = "crate::extract::date_time")]
    pub seen_at: DateTime<Utc>,
    pub place: String,
    pub note: Option<String>,
}

/// New information on an alert, or the protective-measures decision after the child is located.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertPatch {
    pub last_seen_place: Option<String>,
    pub circumstances: Option<String>,
    /// A new level; lowering it needs `reason`.
    #[schema(value_type = Option<String>)]
    pub risk: Option<RiskLevel>,
    pub reason: Option<String>,
    /// The decision on protective measures, due within 12 hours of location.
    pub protective_measures: Option<String>,
}

/// How the alert ends.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolutionBody {
    /// found_safe, found_harmed, returned, located_abroad, deceased or reported_in_error.
    #[schema(value_type = String)]
    pub outcome: ResolutionOutcome,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// `open` or `resolved`.
    pub status: Option<String>,
    /// `low`, `medium` or `high`.
    pub risk: Option<String>,
    /// Alerts this agency follows (for callers that follow every alert; others see their own).
    pub agency: Option<String>,
    /// `incomplete`: only alerts whose reporting ledger names a party not told yet.
    pub ledger: Option<String>,
    pub after: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

impl AlertQuery {
    fn parse(self) -> Result<(AlertFilter, domain::page::PageRequest<i64>), FieldErrors> {
        let mut errors = FieldErrors::default();
        let status = self
            .status
            .and_then(|s| errors.check("status", crate::names::parse::<AlertStatus>(&s)));
        let risk = self
            .risk
            .and_then(|r| errors.check("risk", crate::names::parse::<RiskLevel>(&r)));
        let ledger_incomplete = match self.ledger.as_deref() {
            None => false,
            Some("incomplete") => true,
            Some(other) => {
                errors.push(
                    "ledger",
                    format!("`{other}` is not a ledger filter; the only one is `incomplete`"),
                );
                false
            }
        };
        let page = page_request(self.after, self.limit, &mut errors);
        match page {
            Some(page) if errors.is_empty() => Ok((
                AlertFilter {
                    status,
                    risk,
                    agency: self.agency,
                    ledger_incomplete,
                },
                page,
            )),
            _ => Err(errors),
        }
    }
}

fn alert_response(status: StatusCode, view: AlertView) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == StatusCode::CREATED {
        res.insert_header((LOCATION, format!("/v1/alerts/{}", view.alert.id)));
    }
    res.json(view)
}

const PURPOSE: &str = "Must be `disappearance`";

/// Report a child missing. The risk level comes from the rules (`policy/risk.toml`) and may be
/// raised by the reporter; the child's status becomes `missing`; alert, status, event and audit
/// entry are stored at once. Reception staff and guardians report their own children; the
/// guardianship service, police and Child Focus any child.
#[utoipa::path(
    post,
    operation_id = "disappearances_report",
    path = "/v1/minors/{id}/disappearances",
    tag = "alerts",
    request_body = ReportBody,
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = PURPOSE)),
    security(("bearer" = [])),
    responses(
        (status = 201, body = AlertRecordSchema, headers(("Location" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn report(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
    body: Body<ReportBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let report = Report {
        last_seen_at: b.last_seen_at,
        last_seen_place: b.last_seen_place,
        circumstances: b.circumstances,
        risk: b.risk,
        police_zone: b.police_zone,
        last_seen_municipality: b.last_seen_municipality,
    };
    let view =
        blocking::run(move || state.alerts.report(&caller.request(purpose), &id, report)).await?;
    Ok(alert_response(StatusCode::CREATED, view))
}

/// A disappearance of a child the registry does not know yet.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnregisteredReportBody {
    /// The child: `identity` (required), `physical` and `contacts`, as in a record.
    #[schema(value_type = Object)]
    pub minor: serde_json::Value,
    #[serde(deserialize_with = "crate::extract::date_time")]
    pub last_seen_at: DateTime<Utc>,
    pub last_seen_place: String,
    pub circumstances: Option<String>,
    #[schema(value_type = Option<String>)]
    pub risk: Option<RiskLevel>,
    /// As in a report of a registered child.
    pub police_zone: Option<String>,
    pub last_seen_municipality: Option<String>,
}

/// Child Focus reports a child not yet in the registry: a minimal record (identity, physical
/// description, contacts) is created with the alert, in one transaction.
#[utoipa::path(
    post,
    operation_id = "disappearances_report_unregistered",
    path = "/v1/disappearances",
    tag = "alerts",
    request_body = UnregisteredReportBody,
    params(("X-Purpose" = String, Header, description = PURPOSE)),
    security(("bearer" = [])),
    responses(
        (status = 201, body = AlertRecordSchema, headers(("Location" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn report_unregistered(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    body: Body<UnregisteredReportBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let report = Report {
        last_seen_at: b.last_seen_at,
        last_seen_place: b.last_seen_place,
        circumstances: b.circumstances,
        risk: b.risk,
        police_zone: b.police_zone,
        last_seen_municipality: b.last_seen_municipality,
    };
    let view = blocking::run(move || {
        state
            .alerts
            .report_unregistered(&caller.request(purpose), &b.minor, report)
    })
    .await?;
    Ok(alert_response(StatusCode::CREATED, view))
}

/// Alerts the caller's agency reported or was notified of (all, for the guardianship service).
#[utoipa::path(
    get,
    operation_id = "alerts_list",
    path = "/v1/alerts",
    tag = "alerts",
    params(AlertQuery, ("X-Purpose" = String, Header, description = PURPOSE)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AlertPageSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    query: Params<AlertQuery>,
) -> Result<HttpResponse, Problem> {
    let (filter, page) = query.into_inner().parse().map_err(|e| invalid(&e))?;
    let page =
        blocking::run(move || state.alerts.list(&caller.request(purpose), &filter, &page)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(page))
}

/// One alert; with `Accept: application/cap+xml`, as an OASIS CAP 1.2 message for public-alerting
/// systems (Alert, Update, or Cancel once resolved; scope Restricted; no child record).
#[utoipa::path(
    get,
    operation_id = "alerts_get",
    path = "/v1/alerts/{id}",
    tag = "alerts",
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = PURPOSE)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AlertRecordSchema),
        (status = 200, content_type = "application/cap+xml", body = String),
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
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, Problem> {
    let wants_cap = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains(crate::cap::CONTENT_TYPE));
    let view = blocking::run(move || state.alerts.get(&caller.request(purpose), &id)).await?;
    if wants_cap {
        return Ok(HttpResponse::Ok()
            .content_type(crate::cap::CONTENT_TYPE)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(crate::cap::render(&view.alert, view.at)));
    }
    Ok(alert_response(StatusCode::OK, view))
}

/// Placeholder for the packet's JSON, replaced in `openapi.rs` by the schema generated from the
/// domain.
#[derive(ToSchema)]
#[schema(as = PolicePacket)]
#[allow(dead_code)]
pub struct PacketSchema(serde_json::Value);

/// The police packet of an open alert: what a police report, a SIS alert on a missing minor (the
/// SIRENE form marked urgent and unaccompanied) and an INTERPOL Yellow Notice request need, filled
/// from the alert and the child's record through the caller's field mask for `disappearance`, and
/// for each form the required fields still missing: `not_recorded` (the record holds no value) or
/// `withheld` (the caller's mask does not show the category named; another agency may hold it).
/// Police and Child Focus (operation `packet`), for an alert they follow; audited with the
/// categories shown. `Accept: text/html` answers a printable page (no script; print it to PDF
/// from the browser). 409 once the alert is resolved.
#[utoipa::path(
    get,
    operation_id = "alerts_packet",
    path = "/v1/alerts/{id}/packet",
    tag = "alerts",
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = PURPOSE)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The packet, as the caller may see it", content(
            (PacketSchema = "application/json"),
            (String = "text/html"),
        )),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn packet(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let packet = blocking::run(move || state.alerts.packet(&caller.request(purpose), &id)).await?;
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header((header::VARY, "Accept"));
    if !crate::http::wants_html(&req) {
        return Ok(res.json(packet));
    }
    Ok(res
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ))
        .content_type("text/html; charset=utf-8")
        .body(crate::packet::page(&packet)))
}

/// The caller's agency acknowledges the alert (once; notified agencies only).
#[utoipa::path(
    post,
    operation_id = "alerts_acknowledge",
    path = "/v1/alerts/{id}/acknowledgements",
    tag = "alerts",
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = PURPOSE)),
    security(("bearer" = [])),
    responses(
        (status = 201, body = AlertRecordSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn acknowledge(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let view =
        blocking::run(move || state.alerts.acknowledge(&caller.request(purpose), &id)).await?;
    Ok(alert_response(StatusCode::CREATED, view))
}

/// Record a sighting of the child.
#[utoipa::path(
    post,
    operation_id = "alerts_add_sighting",
    path = "/v1/alerts/{id}/sightings",
    tag = "alerts",
    request_body = SightingBody,
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = PURPOSE)),
    security(("bearer" = [])),
    responses(
        (status = 201, body = AlertRecordSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sighting(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
    body: Body<SightingBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let view = blocking::run(move || {
        state.alerts.add_sighting(
            &caller.request(purpose),
            &id,
            b.seen_at,
            &b.place,
            b.note.as_deref(),
        )
    })
    .await?;
    Ok(alert_response(StatusCode::CREATED, view))
}

/// New information: last seen place, circumstances, risk level; or, after location, the
/// protective-measures decision.
#[utoipa::path(
    patch,
    operation_id = "alerts_update",
    path = "/v1/alerts/{id}",
    tag = "alerts",
    request_body = AlertPatch,
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = PURPOSE)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AlertRecordSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
    body: Body<AlertPatch>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let update = AlertUpdate {
        last_seen_place: b.last_seen_place,
        circumstances: b.circumstances,
        risk: b.risk,
        reason: b.reason,
        protective_measures: b.protective_measures,
    };
    let view =
        blocking::run(move || state.alerts.update(&caller.request(purpose), &id, update)).await?;
    Ok(alert_response(StatusCode::OK, view))
}

/// End the alert with its outcome; the child's status returns to `active` (`closed` if deceased).
#[utoipa::path(
    post,
    operation_id = "alerts_resolve",
    path = "/v1/alerts/{id}/resolution",
    tag = "alerts",
    request_body = ResolutionBody,
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = PURPOSE)),
    security(("bearer" = [])),
    responses(
        (status = 201, body = AlertRecordSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn resolve(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
    body: Body<ResolutionBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let view = blocking::run(move || {
        state
            .alerts
            .resolve(&caller.request(purpose), &id, b.outcome, b.note.as_deref())
    })
    .await?;
    Ok(alert_response(StatusCode::CREATED, view))
}

/// The caller's agency's alert events as Server-Sent Events, from now on or, with `Last-Event-ID`,
/// from after that event: as far back as the outbox keeps events (`outbox_retention_days`, 30 by
/// default); an id older than that answers 410, naming the oldest position a stream resumes after. Each `data` is the CloudEvent rendered through the caller's own mask;
/// `id` is the event's outbox position. The token is checked again before each batch: the stream
/// ends, after a comment `: closed: <reason>`, once the token has expired or would be refused
/// for any other reason (key withdrawn, agency removed or of another kind); resume with a fresh
/// token and `Last-Event-ID`.
#[utoipa::path(
    get,
    operation_id = "alerts_stream",
    path = "/v1/alerts/stream",
    tag = "alerts",
    params(
        ("X-Purpose" = String, Header, description = PURPOSE),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "text/event-stream", body = String),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 410, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn stream(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, Problem> {
    let resume = match req.headers().get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|t| t.trim().parse::<i64>().ok())
                .filter(|seq| *seq >= 0)
                .ok_or_else(|| {
                    Problem::new(
                        StatusCode::BAD_REQUEST,
                        "validation",
                        "Invalid input",
                        "Last-Event-ID names no event of this stream".to_owned(),
                    )
                })?,
        ),
    };
    // Accepted by the middleware already; kept to ask again before each batch.
    let token = crate::auth::bearer_token(&req)?;
    let rq = caller.request(purpose);
    // Refusals (purpose, role) are answered before the stream starts.
    let first = {
        let (state, rq) = (state.clone(), rq.clone());
        blocking::run(move || match resume {
            Some(seq) => state.alerts.resume(&rq, seq),
            None => {
                let head = state.alerts.stream_head()?;
                state.alerts.stream(&rq, head)
            }
        })
        .await?
    };
    let mut pending: VecDeque<web::Bytes> =
        VecDeque::from([web::Bytes::from_static(b": stream open\n\n")]);
    pending.extend(first.events.iter().map(frame));
    let cursor = StreamCursor {
        state,
        rq,
        token,
        after: first.last_seq,
        pending,
        idle: 0,
        closed: false,
    };
    let events = futures_util::stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(frame) = c.pending.pop_front() {
                return Some((Ok::<_, actix_web::Error>(frame), c));
            }
            if c.closed {
                return None;
            }
            tokio::time::sleep(c.state.stream.poll).await;
            let (state, rq, after) = (c.state.clone(), c.rq.clone(), c.after);
            let token = c.token.clone();
            let polled = web::block(move || -> Result<Poll, Failure> {
                // The caller is authenticated again before each batch: no event leaves once its
                // token or its agency would be refused on a new request.
                match state.authenticator.authenticate(&token, &rq.request_id) {
                    Ok(current) if current == rq.caller => {}
                    Ok(_) => {
                        return Ok(Poll::Closed(
                            "the token's agency has changed; open the stream again".to_owned(),
                        ));
                    }
                    Err(Failure::Unauthenticated(refused)) => return Ok(Poll::Closed(refused)),
                    Err(other) => return Err(other),
                }
                state.alerts.stream(&rq, after).map(Poll::Batch)
            })
            .await;
            match polled {
                Ok(Ok(Poll::Closed(reason))) => {
                    tracing::info!(
                        reason,
                        "alert stream closed: the caller is no longer accepted"
                    );
                    c.pending.push_back(web::Bytes::from(format!(
                        ": closed: {}\n\n",
                        reason.replace(['\r', '\n'], " ")
                    )));
                    c.closed = true;
                }
                Ok(Ok(Poll::Batch(batch))) => {
                    c.after = batch.last_seq;
                    if batch.events.is_empty() {
                        c.idle += 1;
                        if c.idle >= c.state.stream.keep_alive_every {
                            c.idle = 0;
                            c.pending
                                .push_back(web::Bytes::from_static(b": keep-alive\n\n"));
                        }
                    } else {
                        c.idle = 0;
                        c.pending.extend(batch.events.iter().map(frame));
                    }
                }
                // The trail cannot take the disclosure, or the database is gone: end the stream;
                // the client resumes with Last-Event-ID.
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "alert stream ended");
                    return None;
                }
                Err(_) => return None,
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(events))
}

struct StreamCursor {
    state: web::Data<AppState>,
    rq: Request,
    /// The bearer token the stream was opened with, authenticated again before each batch.
    token: String,
    after: i64,
    pending: VecDeque<web::Bytes>,
    idle: u32,
    /// The caller is no longer accepted: the stream ends once `pending` is sent.
    closed: bool,
}

/// What one look at the stream found.
enum Poll {
    /// The events after the cursor (perhaps none).
    Batch(domain::usecase::alerts::StreamBatch),
    /// The caller would be refused now, for this reason: the stream ends.
    Closed(String),
}

/// One Server-Sent Event: `id` the outbox position, `event` the CloudEvents type.
fn frame(e: &domain::ports::RenderedEvent) -> web::Bytes {
    web::Bytes::from(format!(
        "id: {}\nevent: {}\ndata: {}\n\n",
        e.seq, e.kind, e.cloudevent
    ))
}

/// A grade for a sighting or tip.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GradeBody {
    /// `unverified`, `credible`, `confirmed` or `discarded`.
    #[schema(value_type = String)]
    pub grade: Credibility,
    /// Why, up to 4000 characters.
    pub note: Option<String>,
}

/// Grade a sighting (police and Child Focus): the grade, who gave it and when go with the
/// sighting and its event `be.uam.alert.sighting_graded`.
#[utoipa::path(
    post,
    operation_id = "alerts_grade_sighting",
    path = "/v1/alerts/{id}/sightings/{sighting_id}/grade",
    tag = "alerts",
    request_body = GradeBody,
    params(("id" = String, Path), ("sighting_id" = String, Path), ("X-Purpose" = String, Header, description = PURPOSE)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AlertRecordSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn grade(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    path: web::Path<(String, String)>,
    body: Body<GradeBody>,
) -> Result<HttpResponse, Problem> {
    let (id, sighting) = path.into_inner();
    let b = body.into_inner();
    let view = blocking::run(move || {
        state.alerts.grade_sighting(
            &caller.request(purpose),
            &id,
            &sighting,
            b.grade,
            b.note.as_deref(),
        )
    })
    .await?;
    Ok(alert_response(StatusCode::OK, view))
}

/// A public appeal as Child Focus publishes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealBody {
    /// Where the public is asked to look, as Child Focus words it (a town, a region): the CAP
    /// `areaDesc`, 1 to 200 characters.
    pub area: String,
    /// 1 to 200 characters.
    pub headline: String,
    /// What the public is asked, 1 to 4000 characters: what Child Focus chose to publish.
    pub description: String,
    /// When the appeal lapses, in the future and at most 90 days ahead; it ends earlier if the
    /// alert does.
    #[serde(deserialize_with = "crate::extract::date_time")]
    pub expires_at: DateTime<Utc>,
}

/// Publish a public appeal for an open alert (Child Focus), as a CAP 1.2 `Alert` with scope
/// `Public`: `GET /v1/alerts/{id}/appeal`. One per alert; it cannot outlive the alert.
#[utoipa::path(
    post,
    operation_id = "alerts_publish_appeal",
    path = "/v1/alerts/{id}/appeal",
    tag = "alerts",
    request_body = AppealBody,
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = PURPOSE)),
    security(("bearer" = [])),
    responses(
        (status = 201, body = AlertRecordSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn publish_appeal(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
    body: Body<AppealBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let request = AppealRequest {
        area: b.area,
        headline: b.headline,
        description: b.description,
        expires_at: b.expires_at,
    };
    let view = blocking::run(move || {
        state
            .alerts
            .publish_appeal(&caller.request(purpose), &id, request)
    })
    .await?;
    Ok(alert_response(StatusCode::CREATED, view))
}

/// The appeal as OASIS CAP 1.2 for public-alerting systems: `msgType` `Alert` while it stands,
/// `Cancel` once the alert is resolved or the appeal expired, with `expires`. A follower of the
/// alert may fetch it; it carries only what Child Focus published, never the record.
#[utoipa::path(
    get,
    operation_id = "alerts_appeal",
    path = "/v1/alerts/{id}/appeal",
    tag = "alerts",
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = PURPOSE)),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "application/cap+xml", body = String),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn appeal(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let (_, appeal, now) =
        blocking::run(move || state.alerts.appeal(&caller.request(purpose), &id)).await?;
    Ok(HttpResponse::Ok()
        .content_type(crate::cap::CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(crate::cap::render_appeal(&appeal, now)))
}

/// Where the appeal was republished.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepublicationBody {
    /// The page or post, an http(s) URL.
    pub url: String,
    /// When it appeared there (default: now; not in the future).
    #[serde(default, deserialize_with = "crate::extract::option_date_time")]
    pub at: Option<DateTime<Utc>>,
}

/// Record where the appeal was republished (Child Focus), while it stands: the resolution lists
/// these places to take it down.
#[utoipa::path(
    post,
    operation_id = "alerts_republish_appeal",
    path = "/v1/alerts/{id}/appeal/republications",
    tag = "alerts",
    request_body = RepublicationBody,
    params(("id" = String, Path), ("X-Purpose" = String, Header, description = PURPOSE)),
    security(("bearer" = [])),
    responses(
        (status = 201, body = AlertRecordSchema),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn republish(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
    body: Body<RepublicationBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let view = blocking::run(move || {
        state
            .alerts
            .republish_appeal(&caller.request(purpose), &id, &b.url, b.at)
    })
    .await?;
    Ok(alert_response(StatusCode::CREATED, view))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/minors/{id}/disappearances").route(web::post().to(report)))
        .service(web::resource("/v1/disappearances").route(web::post().to(report_unregistered)))
        .service(web::resource("/v1/alerts").route(web::get().to(list)))
        .service(web::resource("/v1/alerts/stream").route(web::get().to(stream)))
        .service(
            web::resource("/v1/alerts/{id}")
                .route(web::get().to(get))
                .route(web::patch().to(update)),
        )
        .service(
            web::resource("/v1/alerts/{id}/acknowledgements").route(web::post().to(acknowledge)),
        )
        .service(web::resource("/v1/alerts/{id}/sightings").route(web::post().to(sighting)))
        .service(
            web::resource("/v1/alerts/{id}/sightings/{sighting_id}/grade")
                .route(web::post().to(grade)),
        )
        .service(
            web::resource("/v1/alerts/{id}/appeal")
                .route(web::get().to(appeal))
                .route(web::post().to(publish_appeal)),
        )
        .service(
            web::resource("/v1/alerts/{id}/appeal/republications").route(web::post().to(republish)),
        )
        .service(web::resource("/v1/alerts/{id}/resolution").route(web::post().to(resolve)))
        .service(web::resource("/v1/alerts/{id}/packet").route(web::get().to(packet)));
}
