//! A record's version on the wire: its ETag, and the `If-Match` precondition of a change.

use actix_web::HttpRequest;
use actix_web::http::header::{self, Header, IfMatch};
use domain::usecase::records::Precondition;
use domain::validation::FieldErrors;

use crate::problem::{Problem, invalid};

/// The ETag of a record at `version`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The precondition named by `If-Match`, read by actix's entity-tag parser (RFC 9110, 13.1.1).
///
/// - absent: `None` (the use case decides whether it needs one);
/// - one strong tag `"N"` of this API, possibly among others that name no version:
///   [`Precondition::Version`];
/// - well-formed tags none of which names a version (weak, foreign): [`Precondition::NoVersion`],
///   judged by the use case after its own checks (a 412 then, audited);
/// - `*`, tags naming two versions, or text that is not an entity-tag list: 400 naming the
///   header. `*` would apply the change to whatever version is current, overwriting a change
///   the caller has not seen, so it is not accepted.
pub fn if_match(req: &HttpRequest) -> Result<Option<Precondition>, Problem> {
    let Some(raw) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let refuse = |reason: String| {
        let mut errors = FieldErrors::default();
        errors.push("If-Match", reason);
        invalid(&errors)
    };
    let text = String::from_utf8_lossy(raw.as_bytes()).into_owned();
    let tags = match IfMatch::parse(req) {
        Ok(IfMatch::Items(tags)) if !tags.is_empty() => tags,
        Ok(IfMatch::Any) => {
            return Err(refuse(
                "`*` is not accepted: it would apply the change to whatever version is current \
                 and overwrite a change you have not seen; send the ETag of the version you read, \
                 quotes included, e.g. `\"3\"`"
                    .to_owned(),
            ));
        }
        _ => {
            return Err(refuse(format!(
                "`{text}` is not an entity tag; send the ETag as it was given, quotes included, \
                 e.g. `\"3\"`"
            )));
        }
    };
    let mut versions: Vec<i64> = tags
        .iter()
        .filter(|t| !t.weak)
        .filter_map(|t| t.tag().parse::<i64>().ok())
        .collect();
    versions.dedup();
    match versions.as_slice() {
        [] => Ok(Some(Precondition::NoVersion)),
        [version] => Ok(Some(Precondition::Version(*version))),
        _ => Err(refuse(format!(
            "`{text}` names several versions; send the ETag of the one version you read"
        ))),
    }
}
