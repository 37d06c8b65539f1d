//! The OpenAPI 3.1 document, generated from the handlers and DTOs.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::problem::{InvalidParam, Problem};
use crate::routes::{agencies, health};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "UAM Registry",
        description = "Shared identification records of unaccompanied minors, field-level access by role \
                       and purpose, and disappearance alerts across agencies.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    paths(health::live, health::ready, agencies::list, agencies::create, agencies::get),
    components(schemas(Problem, InvalidParam)),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "Probes for orchestrators"),
        (name = "agencies", description = "The administrations that share the registry"),
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

/// The document as served at `/openapi.json` and committed as `openapi/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The committed form: pretty JSON with a final newline.
pub fn document_json() -> String {
    let mut text = document().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}
