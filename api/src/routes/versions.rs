//! A record's version on the wire: its ETag, and the `If-Match` precondition of a change.

use actix_web::HttpRequest;
use actix_web::http::header::IF_MATCH;
use domain::usecase::records::Precondition;

/// The ETag of a record at `version`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The precondition named by `If-Match`: `"N"` (an ETag of this API), `*`, or anything else, which
/// names no version and is judged by the use case after its own checks (a 412 then, and audited).
pub fn if_match(req: &HttpRequest) -> Option<Precondition> {
    let value = req.headers().get(IF_MATCH)?;
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Some(Precondition::Any);
    }
    let version = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse::<i64>().ok());
    Some(version.map_or(Precondition::NoVersion, Precondition::Version))
}
