//! `/v1/subscriptions`: which agencies receive the alert stream by webhook or Kafka. An agency
//! subscribes itself (roles permitted `subscribe`); a registry administrator proposes one for
//! another agency (`propose_subscription`), which delivers nothing until that agency confirms it.

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::ports::{Endpoint, SubscriptionStatus};
use domain::usecase::deliveries::{Letter, Replay};
use domain::usecase::subscriptions::{ChangeDraft, Draft, Overview};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::blocking;
use crate::extract::Body;
use crate::problem::Problem;
use crate::purpose::Stated;
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
    /// How long an event may wait, in hours, while the subscription fails or is paused, before
    /// it goes to the dead letters: from 1 to the outbox's retention (`outbox_retention_days`
    /// × 24). Default 168 (7 days), or the retention if shorter.
    #[schema(minimum = 1, example = 168)]
    pub retry_hours: Option<i64>,
}

/// A change of a subscription by its agency; absent members are left as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeSubscription {
    /// `true` pauses delivery (events wait, in order, and go to the dead letters once they have
    /// waited `retry_hours`); `false` resumes it at once.
    pub paused: Option<bool>,
    /// How long an event may wait while the subscription fails or is paused, in hours.
    #[schema(minimum = 1, example = 168)]
    pub retry_hours: Option<i64>,
}

/// How a subscription's deliveries stand.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryBody {
    /// `pending` (awaits its agency's confirmation), `active` (delivering), `failing` (its
    /// endpoint refused or did not answer: events wait, in order, while it is retried), or
    /// `paused` (held by its agency: events wait).
    #[schema(example = "failing")]
    pub state: String,
    /// Since when it has been failing, or paused.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(default, with = "domain::time::micros::option")]
    pub since: Option<DateTime<Utc>>,
    /// Failed attempts since the last success.
    pub attempts: u32,
    /// The last failure, as the endpoint or the network gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The CloudEvent id of the event the next attempt starts with (the one that failed last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing_event: Option<String>,
    /// When the next attempt is due.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(default, with = "domain::time::micros::option")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Outbox events the relay has still to look at for this subscription (some may concern
    /// other agencies only).
    pub lag_events: u64,
    /// How long ago the oldest of them was written; 0 when none waits.
    pub lag_seconds: i64,
    /// Events given up on and not yet replayed or discarded.
    pub dead_letters: u64,
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
    /// Failed attempts since the last success (also in `delivery`).
    pub attempts: u32,
    /// How long an event may wait while it fails or is paused before it is dead-lettered, in
    /// hours.
    pub retry_hours: i64,
    pub delivery: DeliveryBody,
    #[serde(with = "domain::time::micros")]
    pub created_at: DateTime<Utc>,
}

impl SubscriptionBody {
    fn from(overview: Overview, with_secret: bool) -> Self {
        let Overview {
            subscription: s,
            backlog,
            dead_letters,
            failing_event,
            lag_seconds,
        } = overview;
        let state = match (s.status, &s.failing) {
            (SubscriptionStatus::Pending, _) => "pending",
            (SubscriptionStatus::Paused, _) => "paused",
            (SubscriptionStatus::Active, Some(_)) => "failing",
            (SubscriptionStatus::Active, None) => "active",
        };
        let failing = s.failing.clone().filter(|_| state == "failing");
        let delivery = DeliveryBody {
            state: state.to_owned(),
            since: failing.as_ref().map(|f| f.since).or(s.paused_since),
            attempts: s.attempts(),
            last_error: failing.as_ref().map(|f| f.last_error.clone()),
            failing_event: failing_event.filter(|_| state == "failing"),
            next_attempt_at: failing.as_ref().map(|f| f.next_attempt_at),
            lag_events: backlog.events,
            lag_seconds,
            dead_letters,
        };
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
            attempts: delivery.attempts,
            retry_hours: s.retry_for.num_hours(),
            delivery,
            created_at: s.created_at,
        }
    }
}

/// Subscribe one's own agency to the alert stream, from now on; or, as a registry administrator,
/// propose a subscription for another agency, which stays `pending` (and delivers nothing) until a
/// member of that agency confirms it. Created, proposed and refused alike are audited.
#[utoipa::path(
    post,
    operation_id = "subscriptions_create",
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
    body: Body<CreateSubscription>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let draft = Draft {
        agency: b.agency,
        kind: b.kind,
        url: b.url,
        retry_hours: b.retry_hours,
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
        .json(SubscriptionBody::from(Overview::fresh(created), own)))
}

/// Confirm a subscription a registry administrator proposed for the caller's agency: it delivers
/// the events written from now on. Only a member of the receiving agency whose role may subscribe
/// confirms; the answer shows the webhook's signing secret, once. Audited.
#[utoipa::path(
    post,
    operation_id = "subscriptions_confirm",
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
    Ok(HttpResponse::Ok().json(SubscriptionBody::from(Overview::fresh(confirmed), true)))
}

/// The subscriptions the caller may see: a registry administrator every one, an agency its own.
#[utoipa::path(
    get,
    operation_id = "subscriptions_list",
    path = "/v1/subscriptions",
    tag = "subscriptions",
    security(("bearer" = [])),
    responses(
        (status = 200, body = SubscriptionPage),
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
    Ok(HttpResponse::Ok().json(SubscriptionPage {
        items: all
            .into_iter()
            .map(|s| SubscriptionBody::from(s, false))
            .collect(),
        next: None,
    }))
}

/// The subscriptions the caller may see, in the list shape of every other listing. An agency
/// has a handful, so they fit one page: `next` is always null.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionPage {
    pub items: Vec<SubscriptionBody>,
    /// Always null: every subscription fits the one page.
    pub next: Option<String>,
}

/// One subscription, with its delivery state: an agency's own, or any for a registry administrator.
#[utoipa::path(
    get,
    operation_id = "subscriptions_get",
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
    operation_id = "subscriptions_delete",
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

/// Pause or resume a subscription, or change how long its events may wait: only a member of the
/// receiving agency whose role may subscribe, on a subscription that is not pending. Pausing holds
/// the events (in order; those that wait longer than `retry_hours` go to the dead letters);
/// resuming delivers them at once. Audited.
#[utoipa::path(
    patch,
    operation_id = "subscriptions_change",
    path = "/v1/subscriptions/{id}",
    tag = "subscriptions",
    params(("id" = String, Path)),
    request_body = ChangeSubscription,
    security(("bearer" = [])),
    responses(
        (status = 200, body = SubscriptionBody),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Body<ChangeSubscription>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let draft = ChangeDraft {
        paused: b.paused,
        retry_hours: b.retry_hours,
    };
    let changed = blocking::run(move || {
        state
            .subscriptions
            .change(&caller.principal, &caller.request_id, &id, draft)
    })
    .await?;
    tracing::info!(
        subscription = %changed.subscription.id,
        agency = %changed.subscription.agency,
        change = match draft.paused {
            Some(true) => "paused",
            Some(false) => "resumed",
            None => "retry period",
        },
        retry_hours = changed.subscription.retry_for.num_hours(),
        "subscription changed"
    );
    Ok(HttpResponse::Ok().json(SubscriptionBody::from(changed, false)))
}

/// A dead letter: an event given up on, with the event as the agency would receive it now.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterBody {
    /// The CloudEvent id.
    pub event_id: String,
    /// The outbox position (the SSE `id`).
    pub seq: i64,
    /// Why it was given up on.
    pub reason: String,
    #[serde(with = "domain::time::micros")]
    pub dead_lettered_at: DateTime<Utc>,
    /// The CloudEvent rendered now through the agency's field policy; `null` when the agency no
    /// longer follows the alert (nothing of it may be shown; a replay resolves it as
    /// `not_followed`).
    #[schema(value_type = Option<Object>)]
    pub event: Option<serde_json::Value>,
}

impl From<Letter> for DeadLetterBody {
    fn from(l: Letter) -> Self {
        Self {
            event_id: l.letter.event_id,
            seq: l.letter.seq,
            reason: l.letter.reason,
            dead_lettered_at: l.letter.at,
            event: l.event.map(|e| e.cloudevent),
        }
    }
}

/// The subscription's dead letters, the oldest 100 first, each event rendered now through the
/// receiving agency's field policy: only for members of that agency whose role may subscribe,
/// stating the purpose `disappearance` (a registry administrator sees the count in the
/// subscription). The disclosure is audited with its purpose.
#[utoipa::path(
    get,
    operation_id = "subscriptions_dead_letters",
    path = "/v1/subscriptions/{id}/dead-letters",
    tag = "subscriptions",
    params(
        ("id" = String, Path),
        ("X-Purpose" = String, Header, description = "disappearance"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<DeadLetterBody>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn dead_letters(
    state: web::Data<AppState>,
    caller: Caller,
    purpose: Stated,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let letters =
        blocking::run(move || state.deliveries.dead_letters(&caller.request(purpose), &id)).await?;
    Ok(HttpResponse::Ok().json(
        letters
            .into_iter()
            .map(DeadLetterBody::from)
            .collect::<Vec<_>>(),
    ))
}

/// Why an event is given up on, or a dead letter discarded.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// At most 500 characters.
    #[schema(example = "our receiver cannot store this event; handled by phone")]
    pub reason: String,
}

/// Give up on the event the subscription is failing on, at the agency's decision: it goes to the
/// dead letters and the events behind it are sent at once. 409 when the subscription is not
/// failing on an event. Audited.
#[utoipa::path(
    post,
    operation_id = "subscriptions_dead_letter_failing",
    path = "/v1/subscriptions/{id}/dead-letters",
    tag = "subscriptions",
    params(("id" = String, Path)),
    request_body = ReasonBody,
    security(("bearer" = [])),
    responses(
        (status = 201, body = DeadLetterBody),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn dead_letter_failing(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Body<ReasonBody>,
) -> Result<HttpResponse, Problem> {
    let letter = blocking::run(move || {
        state.deliveries.dead_letter_failing(
            &caller.principal,
            &caller.request_id,
            &id,
            &body.0.reason,
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(DeadLetterBody::from(Letter {
        letter,
        event: None,
    })))
}

/// What a replay did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayBody {
    /// Event ids delivered again and acknowledged, in order.
    pub replayed: Vec<String>,
    /// Event ids of alerts the agency no longer follows: nothing was sent; resolved.
    pub not_followed: Vec<String>,
    /// Dead letters left.
    pub remaining: usize,
}

impl From<Replay> for ReplayBody {
    fn from(r: Replay) -> Self {
        Self {
            replayed: r.replayed,
            not_followed: r.not_followed,
            remaining: r.remaining,
        }
    }
}

/// Send the dead letters again, the oldest 100 first, each rendered now; stops at the first the
/// receiver does not take (502, naming it and those replayed before it). Each one delivered is resolved and
/// its delivery audited.
#[utoipa::path(
    post,
    operation_id = "subscriptions_replay_all",
    path = "/v1/subscriptions/{id}/dead-letters/replay",
    tag = "subscriptions",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ReplayBody),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 502, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn replay_all(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let report = blocking::run(move || {
        state
            .deliveries
            .replay(&caller.principal, &caller.request_id, &id, None)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ReplayBody::from(report)))
}

/// Send one dead letter again, rendered now (see the replay of all).
#[utoipa::path(
    post,
    operation_id = "subscriptions_replay_one",
    path = "/v1/subscriptions/{id}/dead-letters/{event}/replay",
    tag = "subscriptions",
    params(("id" = String, Path), ("event" = String, Path, description = "The event id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ReplayBody),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 502, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn replay_one(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    let (id, event) = path.into_inner();
    let report = blocking::run(move || {
        state
            .deliveries
            .replay(&caller.principal, &caller.request_id, &id, Some(&event))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ReplayBody::from(report)))
}

/// Discard a dead letter, saying why: it is no longer listed, and is kept as resolved with who
/// discarded it and the reason. Audited.
#[utoipa::path(
    post,
    operation_id = "subscriptions_discard",
    path = "/v1/subscriptions/{id}/dead-letters/{event}/discard",
    tag = "subscriptions",
    params(("id" = String, Path), ("event" = String, Path, description = "The event id")),
    request_body = ReasonBody,
    security(("bearer" = [])),
    responses(
        (status = 204),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn discard(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: Body<ReasonBody>,
) -> Result<HttpResponse, Problem> {
    let (id, event) = path.into_inner();
    blocking::run(move || {
        state.deliveries.discard(
            &caller.principal,
            &caller.request_id,
            &id,
            &event,
            &body.0.reason,
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A ping delivered.
#[derive(Debug, Serialize, ToSchema)]
pub struct PingBody {
    /// The id of the test event (type `be.uam.subscription.ping`).
    pub event_id: String,
    /// How long the receiver took to acknowledge it.
    pub took_ms: u64,
}

/// Send a signed test event (`be.uam.subscription.ping`, no child data) to the subscription's
/// endpoint now, to check a receiver before an alert depends on it: 200 when it was acknowledged,
/// 502 naming the failure otherwise. Only members of the receiving agency whose role may
/// subscribe. Audited.
#[utoipa::path(
    post,
    operation_id = "subscriptions_ping",
    path = "/v1/subscriptions/{id}/ping",
    tag = "subscriptions",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PingBody),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 502, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ping(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let ping = blocking::run(move || {
        state
            .deliveries
            .ping(&caller.principal, &caller.request_id, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PingBody {
        event_id: ping.event_id,
        took_ms: ping.took_ms,
    }))
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
            .route(web::patch().to(change))
            .route(web::delete().to(delete)),
    )
    .service(web::resource("/v1/subscriptions/{id}/confirmation").route(web::post().to(confirm)))
    .service(web::resource("/v1/subscriptions/{id}/ping").route(web::post().to(ping)))
    .service(
        web::resource("/v1/subscriptions/{id}/dead-letters")
            .route(web::get().to(dead_letters))
            .route(web::post().to(dead_letter_failing)),
    )
    .service(
        web::resource("/v1/subscriptions/{id}/dead-letters/replay")
            .route(web::post().to(replay_all)),
    )
    .service(
        web::resource("/v1/subscriptions/{id}/dead-letters/{event}/replay")
            .route(web::post().to(replay_one)),
    )
    .service(
        web::resource("/v1/subscriptions/{id}/dead-letters/{event}/discard")
            .route(web::post().to(discard)),
    );
}
