//! The `X-Purpose` header: why the caller consults child data. Required on every request that
//! touches child data; missing or unknown is 400, not permitted for the role is 403 (decided by the
//! domain).

use std::future::{Ready, ready};

use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use domain::purpose::Purpose;

use crate::problem::Problem;

pub const HEADER: &str = "x-purpose";

/// The purpose stated by the request.
#[derive(Debug, Clone, Copy)]
pub struct Stated(pub Purpose);

fn bad(detail: String) -> Problem {
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

impl FromRequest for Stated {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.headers().get(HEADER) {
            None => Err(bad("the X-Purpose header is required for child data".into())),
            Some(value) => value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<Purpose>().ok())
                .map(Stated)
                .ok_or_else(|| {
                    bad(format!(
                        "`{}` is not a purpose",
                        String::from_utf8_lossy(value.as_bytes())
                    ))
                }),
        };
        ready(result)
    }
}
