//! The `Caller` extractor: a handler that takes one gets only authenticated requests.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use domain::principal::Principal;
use domain::usecase::authenticate::{AuthenticateError, authenticate};

use crate::blocking;
use crate::problem::Problem;
use crate::state::AppState;

/// The authenticated principal of the request. Every failure is 401 problem+json.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl From<AuthenticateError> for Problem {
    fn from(e: AuthenticateError) -> Self {
        match e {
            AuthenticateError::Unknown(e) => blocking::unexpected(&e),
            other => unauthorized(other.to_string()),
        }
    }
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
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let token = token?;
            let state = state
                .ok_or_else(|| Problem::from_status(StatusCode::INTERNAL_SERVER_ERROR, None))?;
            let principal = blocking::run(move || {
                authenticate(state.verifier.as_ref(), state.agencies.as_ref(), &token)
            })
            .await?;
            Ok(Caller(principal))
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Result<String, Problem> {
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
