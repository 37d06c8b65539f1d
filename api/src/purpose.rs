//! The `X-Purpose` header: why the caller consults child data. Required on every request that
//! touches child data; missing or unknown is 400, not permitted for the role is 403 (decided by the
//! domain).

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use domain::purpose::Purpose;

use crate::problem::Problem;

pub const HEADER: &str = "x-purpose";

/// The purpose stated by the request: `Err` holds the raw header value (empty if absent). Whether it
/// is acceptable is decided, and audited, by the use case.
#[derive(Debug, Clone)]
pub struct Stated(pub Result<Purpose, String>);

impl FromRequest for Stated {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let stated = match req.headers().get(HEADER) {
            None => Err(String::new()),
            Some(value) => {
                let raw = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
                raw.parse::<Purpose>().map_err(|_| raw)
            }
        };
        ready(Ok(Stated(stated)))
    }
}
