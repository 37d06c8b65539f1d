//! The `Caller` extractor: a handler that takes one gets only authenticated requests.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use domain::principal::Principal;
use domain::usecase::kernel::{Failure, Request};
use tracing_actix_web::RequestId;

use crate::blocking;
use crate::problem::Problem;
use crate::state::AppState;

/// The authenticated principal of the request, with the request's id. Every failure is 401
/// problem+json, and is audited.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub request_id: String,
}

impl Caller {
    /// A request on child data, for the purpose stated in `X-Purpose`.
    pub fn request(&self, purpose: crate::purpose::Stated) -> Request {
        Request {
            caller: self.principal.clone(),
            purpose: purpose.0,
            request_id: self.request_id.clone(),
        }
    }

    /// A request that states no purpose: for operations on no child data.
    pub fn without_purpose(&self) -> Request {
        Request::without_purpose(self.principal.clone(), self.request_id.clone())
    }
}

/// The request id the tracing middleware gave this request.
pub fn request_id(req: &HttpRequest) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(ToString::to_string)
        .unwrap_or_default()
}

fn unauthorized(detail: String) -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "Not authenticated",
        detail,
    )
}

impl FromRequest for Caller {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Problem>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(caller) = req.extensions().get::<Caller>().cloned() {
            return Box::pin(async move { Ok(caller) });
        }
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        let request_id = request_id(req);
        Box::pin(async move {
            let state = state
                .ok_or_else(|| Problem::from_status(StatusCode::INTERNAL_SERVER_ERROR, None))?;
            // Known without I/O (token and agency remembered): no hop to the blocking pool.
            if let Ok(token) = &token
                && let Some(principal) = state.authenticator.remembered(token)
            {
                return Ok(Caller {
                    principal,
                    request_id,
                });
            }
            let rid = request_id.clone();
            let principal = blocking::run(move || {
                // A missing or malformed header is checked like a token that says nothing, so that
                // it is refused and audited the same way, with the header's own message.
                let checked = state
                    .authenticator
                    .authenticate(token.as_deref().unwrap_or(""), &rid);
                checked.map_err(|e| match (e, token) {
                    (Failure::Unauthenticated(_), Err(header)) => header,
                    (e, _) => Problem::from(e),
                })
            })
            .await?;
            Ok(Caller {
                principal,
                request_id,
            })
        })
    }
}

/// The token of the `Authorization: Bearer` header, or the 401 problem saying what is wrong with
/// the header.
pub fn bearer_token(req: &HttpRequest) -> Result<String, Problem> {
    let value = req.headers().get(AUTHORIZATION).ok_or_else(|| {
        unauthorized("the Authorization header is missing; send `Bearer <JWT>`".into())
    })?;
    let value = value
        .to_str()
        .map_err(|_| unauthorized("the Authorization header is not ASCII".into()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(unauthorized(
            "the Authorization header must be `Bearer <JWT>`".into(),
        )),
    }
}

/// Whether a request to `path` must be authenticated: everything under `/v1`.
pub fn needs_authentication(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
}

/// Left in a request's extensions when its authentication failed for a reason of the caller's
/// (401), for [`crate::ratelimit::per_address`] to charge the source address.
#[derive(Debug, Clone, Copy)]
pub struct AuthenticationFailed;

/// Authenticates every `/v1` request before anything else of it is read: a caller without a valid
/// token gets 401 whatever its body, path or purpose, and no body of an unauthenticated caller is
/// buffered or parsed. The handlers' [`Caller`] is the one found here.
pub async fn authenticate_first(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !needs_authentication(req.path()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    match Caller::extract(req.request()).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(problem) => {
            if problem.status() == StatusCode::UNAUTHORIZED {
                req.extensions_mut().insert(AuthenticationFailed);
            }
            Ok(req.into_response(problem.response()).map_into_right_body())
        }
    }
}
