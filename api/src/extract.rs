//! Typed JSON bodies and query strings whose errors name the member or parameter at fault.
//!
//! actix's own extractors report a deserialisation error as a position in the text ("line 1
//! column 37"), which names no field. These read the body as JSON first (with the size and
//! content-type rules of `http::json_config`), then deserialise it tracking the path, so that a
//! wrong member is a 400 `validation` problem whose `invalid-params` names it.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{DateTime, NaiveDate, Utc};
use domain::validation::FieldErrors;
use futures_util::future::LocalBoxFuture;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};

use crate::problem::{Problem, invalid};

/// A JSON body of type `T`; a member that does not fit is named in the problem.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T> Body<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = json.await?.into_inner();
            // serde reads a struct from an array too (`[null, null]`); every body is an object.
            if !value.is_object() {
                return Err(Problem::new(
                    StatusCode::BAD_REQUEST,
                    "malformed-body",
                    "Malformed request body",
                    format!("the body must be a JSON object, not {}", kind(&value)),
                )
                .into());
            }
            serde_path_to_error::deserialize(value)
                .map(Body)
                .map_err(|e| invalid(&located(e.path(), &e.inner().to_string())).into())
        })
    }
}

fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A query string of type `T`; a parameter that does not fit is named in the problem.
#[derive(Debug)]
pub struct Params<T>(pub T);

impl<T> Params<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Params<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = form_urlencoded::parse(req.query_string().as_bytes());
        let parsed = serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs))
            .map(Params)
            .map_err(|e| invalid(&located(e.path(), &e.inner().to_string())).into());
        ready(parsed)
    }
}

/// The error at `path` as a field error. serde reports an unknown or missing member at the object
/// that holds it, naming the member in the message: the member's own path is named instead.
fn located(path: &serde_path_to_error::Path, message: &str) -> FieldErrors {
    let at = path.to_string();
    let at = if at == "." { String::new() } else { at };
    let member = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    // An unknown member is already the last segment of the path; a missing one is not.
    let name = match member {
        Some(member) if at.is_empty() => member.to_owned(),
        Some(member) if at != member && !at.ends_with(&format!(".{member}")) => {
            format!("{at}.{member}")
        }
        _ => at,
    };
    let mut errors = FieldErrors::default();
    errors.push(name, message);
    errors
}

const DATE_TIME_EXAMPLE: &str = "2026-12-07T21:30:00+01:00";

/// Reads an RFC 3339 date-time with its offset; the error says what would be accepted.
pub fn date_time<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(d)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            D::Error::custom(format!(
                "`{text}` is not a date-time with an offset ({e}); expected RFC 3339, e.g. \
                 `{DATE_TIME_EXAMPLE}` or `2026-12-07T20:30:00Z`"
            ))
        })
}

/// Reads an optional RFC 3339 date-time with its offset, as [`date_time`].
pub fn option_date_time<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "date_time")] DateTime<Utc>);
    Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(t)| t))
}

/// Reads a calendar date `YYYY-MM-DD`; the error says what would be accepted.
pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    optional_date(d)?.ok_or_else(|| D::Error::custom("a date `YYYY-MM-DD` is required"))
}

/// Reads a calendar date `YYYY-MM-DD`; the error says what would be accepted.
pub fn optional_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map(Some)
        .map_err(|e| {
            D::Error::custom(format!(
                "`{text}` is not a date ({e}); expected `YYYY-MM-DD`, e.g. `2010-03-01`"
            ))
        })
}
