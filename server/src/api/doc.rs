//! The OpenAPI 3 document of `/api/v1`, generated from the handlers' `#[utoipa::path]`
//! annotations and the model types' schemas, served at `GET /api/v1/openapi.json`.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// The document: every route of [`super::documented`] under `/api/v1`, the bearer token
/// scheme, the schemas.
pub fn openapi() -> OpenApi {
    let (_, mut doc) = OpenApiRouter::<AppState>::new()
        .nest("/api/v1", super::documented())
        .split_for_parts();
    doc.info = InfoBuilder::new()
        .title("cardline console API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Batch orders, cards, audit, stations, users, API tokens and option profiles of a cardline \
             home. Authenticate with an API \
             token (`cardline users token NAME`) as `Authorization: Bearer TOKEN`; errors are RFC \
             9457 problem details.",
        ))
        .build();
    doc.components.get_or_insert_default().add_security_scheme(
        "token",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    doc
}

/// `GET /openapi.json`: this document (no token needed: it holds no data).
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    description = "This OpenAPI document. No token needed.",
    responses((status = 200, description = "the OpenAPI 3 document", content_type = "application/json")))]
pub async fn openapi_json() -> Response {
    static DOC: OnceLock<String> = OnceLock::new();
    let json = DOC.get_or_init(|| {
        openapi()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    });
    ([(header::CONTENT_TYPE, "application/json")], json.as_str()).into_response()
}
