//! `/v1/subscriptions`: which agencies receive the alert stream by webhook or Kafka. An agency
//! subscribes itself (roles permitted `subscribe`); a registry administrator proposes one for
//! another agency (`propose_subscription`), which delivers nothing until that agency confirms it.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::ports::{Endpoint, Subscription};
use domain::usecase::subscriptions::{Draft, SubscriptionError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::blocking;
use crate::problem::Problem;
use crate::state::AppState;

/// A subscription to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubscription {
    /// The receiving agency's id; absent: the caller's own. Only a registry administrator names
    /// another agency, and then only proposes: the subscription is `pending` until that agency
    /// confirms it.
    pub agency: Option<String>,
    /// `webhook` or `kafka`.
    pub kind: String,
    /// For a webhook: where events are POSTed. `https`, to a host that resolves only to public
    /// addresses (`http` and private addresses only for the hosts in `webhook_allowed_hosts`); at
    /// most 2000 characters.
    pub url: Option<String>,
}

/// A subscription. `secret` (the webhook signing secret) is shown only to the receiving agency,
/// once: in the answer to its creation by that agency, or to its confirmation.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionBody {
    pub id: String,
    /// The receiving agency: events are rendered through its field policy.
    pub agency: String,
    pub kind: String,
    pub url: Option<String>,
    pub topic: Option<String>,
    /// `active` (delivers) or `pending` (proposed by a registry administrator, delivers nothing
    /// until the agency confirms it).
    pub status: String,
    /// The registry administrator who proposed it; absent when the agency subscribed itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The last outbox position handled.
    pub cursor: i64,
    /// Failed attempts since the last success.
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
}

impl SubscriptionBody {
    fn from(s: Subscription, with_secret: bool) -> Self {
        let (kind, url, topic, secret) = match s.endpoint {
            Endpoint::Webhook { url, secret } => {
                ("webhook", Some(url), None, with_secret.then_some(secret))
            }
            Endpoint::Kafka { topic } => ("kafka", None, Some(topic), None),
        };
        Self {
            id: s.id,
            agency: s.agency.to_string(),
            kind: kind.to_owned(),
            url,
            topic,
            status: s.status.as_str().to_owned(),
            proposed_by: s.proposed_by,
            secret,
            cursor: s.cursor,
            attempts: s.attempts,
            created_at: s.created_at,
        }
    }
}

impl From<SubscriptionError> for Problem {
    fn from(e: SubscriptionError) -> Self {
        match e {
            SubscriptionError::Forbidden(_) => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                e.to_string(),
            ),
            SubscriptionError::Invalid(errors) => crate::routes::minors::invalid(&errors),
            SubscriptionError::NotFound(_) => {
                Problem::from_status(StatusCode::NOT_FOUND, e.to_string())
            }
            SubscriptionError::NotPending(_) => {
                Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", e.to_string())
            }
            SubscriptionError::Unavailable(e) => blocking::audit_unavailable(&e),
            SubscriptionError::Unknown(e) => blocking::unexpected(&e),
        }
    }
}

/// Subscribe one's own agency to the alert stream, from now on; or, as a registry administrator,
/// propose a subscription for another agency, which stays `pending` (and delivers nothing) until a
/// member of that agency confirms it. Created, proposed and refused alike are audited.
#[utoipa::path(
    post,
    path = "/v1/subscriptions",
    tag = "subscriptions",
    request_body = CreateSubscription,
    security(("bearer" = [])),
    responses(
        (status = 201, body = SubscriptionBody, headers(("Location" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CreateSubscription>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let draft = Draft {
        agency: b.agency,
        kind: b.kind,
        url: b.url,
    };
    let created = blocking::run(move || {
        state
            .subscriptions
            .create(&caller.principal, &caller.request_id, draft)
    })
    .await?;
    // The secret goes to the receiving agency only: not to an administrator who proposed it.
    let own = created.proposed_by.is_none();
    // The audit entry (same request id) names who; this line names which subscription.
    tracing::info!(
        subscription = %created.id,
        agency = %created.agency,
        change = if own { "created" } else { "proposed" },
        "subscription changed"
    );
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/v1/subscriptions/{}", created.id)))
        .json(SubscriptionBody::from(created, own)))
}

/// Confirm a subscription a registry administrator proposed for the caller's agency: it delivers
/// the events written from now on. Only a member of the receiving agency whose role may subscribe
/// confirms; the answer shows the webhook's signing secret, once. Audited.
#[utoipa::path(
    post,
    path = "/v1/subscriptions/{id}/confirmation",
    tag = "subscriptions",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SubscriptionBody),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn confirm(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let confirmed = blocking::run(move || {
        state
            .subscriptions
            .confirm(&caller.principal, &caller.request_id, &id)
    })
    .await?;
    tracing::info!(
        subscription = %confirmed.id,
        agency = %confirmed.agency,
        change = "confirmed",
        "subscription changed"
    );
    Ok(HttpResponse::Ok().json(SubscriptionBody::from(confirmed, true)))
}

/// The subscriptions the caller may see: a registry administrator every one, an agency its own.
#[utoipa::path(
    get,
    path = "/v1/subscriptions",
    tag = "subscriptions",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<SubscriptionBody>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, Problem> {
    let all = blocking::run(move || {
        state
            .subscriptions
            .list(&caller.principal, &caller.request_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(
        all.into_iter()
            .map(|s| SubscriptionBody::from(s, false))
            .collect::<Vec<_>>(),
    ))
}

/// One subscription, with its delivery state: an agency's own, or any for a registry administrator.
#[utoipa::path(
    get,
    path = "/v1/subscriptions/{id}",
    tag = "subscriptions",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SubscriptionBody),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let one = blocking::run(move || {
        state
            .subscriptions
            .get(&caller.principal, &caller.request_id, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(SubscriptionBody::from(one, false)))
}

/// End a subscription (a pending one: decline it): an agency its own, a registry administrator
/// any. Audited.
#[utoipa::path(
    delete,
    path = "/v1/subscriptions/{id}",
    tag = "subscriptions",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let subscription = id.clone();
    blocking::run(move || {
        state
            .subscriptions
            .delete(&caller.principal, &caller.request_id, &id)
    })
    .await?;
    tracing::info!(%subscription, change = "deleted", "subscription changed");
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v1/subscriptions")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/v1/subscriptions/{id}")
            .route(web::get().to(get))
            .route(web::delete().to(delete)),
    )
    .service(web::resource("/v1/subscriptions/{id}/confirmation").route(web::post().to(confirm)));
}
