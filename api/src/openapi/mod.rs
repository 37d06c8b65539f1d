//! The OpenAPI 3.1 document, generated from the handlers and DTOs.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use serde_json::Value;

mod polish;
mod schemas;

use crate::problem::{InvalidParam, Problem};
use crate::routes::{
    agencies, alerts, audit, episodes, health, lifecycle, merge, minors, policy, search,
    statistics, subject_access, subscriptions,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "UAM Registry",
        description = "Shared identification records of unaccompanied minors, field-level access by role \
                       and purpose, and disappearance alerts across agencies.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    paths(
        health::live,
        health::ready,
        agencies::list,
        agencies::create,
        agencies::get,
        minors::register,
        search::search,
        minors::list,
        minors::get,
        minors::patch,
        minors::history,
        merge::merge,
        minors::add_photo,
        minors::photo,
        lifecycle::delete_photo,
        lifecycle::retention,
        lifecycle::status,
        lifecycle::restrict,
        lifecycle::lift,
        lifecycle::close,
        lifecycle::review,
        lifecycle::redact,
        subject_access::export,
        policy::effective,
        audit::access_log,
        audit::verify,
        audit::oversight,
        alerts::report,
        alerts::report_unregistered,
        alerts::list,
        alerts::get,
        alerts::acknowledge,
        alerts::sighting,
        alerts::update,
        alerts::resolve,
        alerts::grade,
        alerts::publish_appeal,
        alerts::appeal,
        alerts::republish,
        alerts::packet,
        alerts::stream,
        episodes::roll_call,
        episodes::absences,
        episodes::tasks,
        episodes::complete,
        subscriptions::create,
        subscriptions::confirm,
        subscriptions::list,
        subscriptions::get,
        subscriptions::delete,
        subscriptions::change,
        subscriptions::ping,
        subscriptions::dead_letters,
        subscriptions::dead_letter_failing,
        subscriptions::replay_all,
        subscriptions::replay_one,
        subscriptions::discard,
        statistics::series,
        statistics::chart,
    ),
    components(schemas(Problem, InvalidParam, minors::RecordMeta, minors::RevisionActor, search::MatchReason)),
    modifiers(&BearerAuth, &RateLimited),
    tags(
        (name = "health", description = "Probes for orchestrators"),
        (name = "agencies", description = "The administrations that share the registry"),
        (name = "minors", description = "Children's records, through the caller's field mask"),
        (name = "policy", description = "The access rules in force"),
        (name = "lifecycle", description = "Retention, review, restriction, closure and rectification of a record"),
        (name = "audit", description = "Who saw what of a child, and the integrity of the audit trail"),
        (name = "alerts", description = "Disappearance reports and the alerts that follow"),
        (name = "episodes", description = "Before and after an alert: roll-call absences, and the follow-up tasks after a child is found"),
        (name = "subscriptions", description = "Agencies receiving the alert stream by webhook or Kafka: made or confirmed by the receiving agency itself"),
        (name = "statistics", description = "Aggregated figures for analysts, small cells suppressed"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A JWT signed with RS256, ES256 or EdDSA by a key of the configured JWKS, with \
                         claims sub, agency, role, iss, aud and exp.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every `/v1` operation may be refused by the rate limits (`crate::ratelimit`): 429 problem+json
/// with `Retry-After`. The health probes are never limited.
struct RateLimited;

impl Modify for RateLimited {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{
            ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, ResponseBuilder, Type,
        };
        let response = ResponseBuilder::new()
            .description(
                "Over the rate limit: the subject's budget, or the source address's budget of \
                 failed authentications",
            )
            .header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(1)),
                    )
                    .description(Some(
                        "Seconds to wait before the next request may be allowed",
                    ))
                    .build(),
            )
            .content(
                crate::problem::PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .responses
            .insert("TooManyRequests".to_owned(), response.into());
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/v1") {
                continue;
            }
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                operation.responses.responses.insert(
                    "429".to_owned(),
                    Ref::from_response_name("TooManyRequests").into(),
                );
            }
        }
    }
}

/// The document as served at `/openapi.json` and committed as `openapi/openapi.json`: utoipa's
/// paths, with the record's schemas generated from the domain types (schemars), so that the
/// published shape is the one the code parses and writes.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let schemas = &mut doc["components"]["schemas"];
    for (name, schema) in schemas::record_schemas() {
        schemas[name] = schema;
    }
    polish::apply(&mut doc);
    doc
}

/// The committed form: pretty JSON with a final newline.
pub fn document_json() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}
