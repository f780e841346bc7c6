//! axum answers its own rejections — a path or query parameter that does not parse, a body
//! over the limit, a method the route does not take — in plain text (or not at all). The API
//! promises RFC 9457 problem details for every error, so this layer rewrites a plain-text or
//! empty client-error reply of the API as one, keeping its status, its text as the detail and
//! its other headers (`Allow` of a 405).

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Problem;

/// The most of a plain-text rejection read into the problem's detail (axum's are one line).
const MAX_TEXT: usize = 2048;

/// The `map_response` layer of the API router.
pub async fn as_problem(method: Method, reply: Response) -> Response {
    let status = reply.status();
    if !status.is_client_error() {
        return reply;
    }
    let plain = reply
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if !plain {
        return reply;
    }
    let (parts, body) = reply.into_parts();
    let text = axum::body::to_bytes(body, MAX_TEXT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let detail = detail(status, &method, text, parts.headers.get(header::ALLOW));
    let mut out = Problem::new(status, detail).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && !out.headers().contains_key(name)
        {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

fn detail(
    status: StatusCode,
    method: &Method,
    text: String,
    allow: Option<&HeaderValue>,
) -> String {
    let allowed = allow.and_then(|v| v.to_str().ok()).unwrap_or("");
    match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            format!(
                "this route does not take {method}; it takes {allowed} (see GET /api/v1/openapi.json)"
            )
        }
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "the request body is over the limit of {} bytes; send less",
            crate::MAX_BODY
        ),
        _ if text.is_empty() => format!(
            "the request was refused ({}); see GET /api/v1/openapi.json",
            status.canonical_reason().unwrap_or("client error")
        ),
        _ => format!("{text} (see GET /api/v1/openapi.json for the route's parameters)"),
    }
}
