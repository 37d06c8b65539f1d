//! `/v1/subscriptions`: which agencies receive the alert stream by webhook or Kafka
//! (registry_admin only).

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::ports::{Endpoint, Subscription};
use domain::usecase::subscriptions::{SubscriptionError, Target};
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
    /// The receiving agency's id.
    pub agency: String,
    /// `webhook` or `kafka`.
    pub kind: String,
    /// For a webhook: where events are POSTed.
    pub url: Option<String>,
}

/// A subscription. `secret` (the webhook signing secret) is shown only in the answer to its
/// creation.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionBody {
    pub id: String,
    pub agency: String,
    pub kind: String,
    pub url: Option<String>,
    pub topic: Option<String>,
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
            SubscriptionError::Forbidden => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                e.to_string(),
            ),
            SubscriptionError::Invalid(_) => Problem::new(
                StatusCode::BAD_REQUEST,
                "validation",
                "Invalid input",
                e.to_string(),
            ),
            SubscriptionError::NotFound(_) => {
                Problem::from_status(StatusCode::NOT_FOUND, e.to_string())
            }
            SubscriptionError::Unknown(e) => blocking::unexpected(&e),
        }
    }
}

/// Subscribe an agency to the alert stream, from now on.
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
    let target = match (b.kind.as_str(), b.url) {
        ("webhook", Some(url)) => Target::Webhook { url },
        ("webhook", None) => {
            return Err(SubscriptionError::Invalid("a webhook needs `url`".into()).into());
        }
        ("kafka", None) => Target::Kafka,
        ("kafka", Some(_)) => {
            return Err(
                SubscriptionError::Invalid("a Kafka subscription takes no `url`".into()).into(),
            );
        }
        (other, _) => {
            return Err(SubscriptionError::Invalid(format!(
                "`{other}` is not a kind (webhook or kafka)"
            ))
            .into());
        }
    };
    let created = blocking::run(move || {
        state
            .subscriptions
            .create(&caller.principal, &b.agency, target)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/v1/subscriptions/{}", created.id)))
        .json(SubscriptionBody::from(created, true)))
}

/// Every subscription.
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
    let all = blocking::run(move || state.subscriptions.list(&caller.principal)).await?;
    Ok(HttpResponse::Ok().json(
        all.into_iter()
            .map(|s| SubscriptionBody::from(s, false))
            .collect::<Vec<_>>(),
    ))
}

/// One subscription, with its delivery state.
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
    let one = blocking::run(move || state.subscriptions.get(&caller.principal, &id)).await?;
    Ok(HttpResponse::Ok().json(SubscriptionBody::from(one, false)))
}

/// End a subscription.
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
    blocking::run(move || state.subscriptions.delete(&caller.principal, &id)).await?;
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
    );
}
