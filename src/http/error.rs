//! Maps every error, ours or the framework's, to one JSON envelope:
//! `{"error": {"code", "message", "details"}}`.

use poem::error::ResponseError;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::error::{AuthorizationError, ParseParamError, ParsePathError, ParseRequestPayloadError};
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Object};

use crate::kit::error::{Error, ErrorCode, FieldErrors};

#[derive(Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ErrorBody {
    // No doc comment here: it would wrap the reference in `allOf`, which
    // some client generators cannot read. `ErrorCode` documents itself.
    pub code: ErrorCode,
    /// A sentence for people.
    pub message: String,
    /// More facts; for `VALIDATION_FAILED`, `fields` maps each bad field to its problem.
    pub details: Option<serde_json::Value>,
    /// The request's id, the same as its `X-Request-Id` response header: quote
    /// it when reporting a problem, it finds the request in the server's log.
    pub request_id: Option<String>,
}

#[derive(Object)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

fn envelope(status: StatusCode, code: ErrorCode, message: String, details: Option<serde_json::Value>) -> Response {
    // Absent details are left out, as the schema says, rather than sent as null.
    let mut error = serde_json::json!({ "code": code.as_str(), "message": message });
    if let Some(request_id) = crate::http::context::current_request_id() {
        error["request_id"] = request_id.into();
    }
    if let Some(details) = details {
        error["details"] = details;
    }
    let body = serde_json::json!({ "error": error });
    Response::builder().status(status).content_type("application/json; charset=utf-8").body(body.to_string())
}

/// The one place where an error becomes an HTTP status.
pub fn status_of(err: &Error) -> StatusCode {
    match err {
        Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
        Error::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
        Error::Forbidden { .. } => StatusCode::FORBIDDEN,
        Error::NotFound { .. } => StatusCode::NOT_FOUND,
        Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::Validation(_) | Error::Rule { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        Error::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn to_response(err: &Error) -> Response {
    if let Error::Internal { .. } = err {
        tracing::error!(error = %err.full_message(), "internal error");
    }
    let mut response = envelope(status_of(err), err.code(), err.public_message(), err.details());
    if let Error::TooManyRequests { retry_after_secs } = err
        && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    if let Error::Unauthorized { .. } = err {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

impl ResponseError for Error {
    fn status(&self) -> StatusCode {
        status_of(self)
    }
    fn as_response(&self) -> Response {
        to_response(self)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        to_response(&self)
    }
}

const DOCUMENTED_ERRORS: &[(u16, &str)] = &[
    (400, "Malformed request (`MALFORMED_REQUEST`)."),
    (401, "Not signed in, or the credential is invalid or expired."),
    (403, "Signed in, but the role may not do this (`FORBIDDEN`), or the CSRF token is missing (`CSRF_FAILED`)."),
    (404, "No such record (`NOT_FOUND`)."),
    (409, "Conflicts with the current state (for example `POSSIBLE_DUPLICATE`, `EMAIL_TAKEN`)."),
    (422, "Invalid fields (`VALIDATION_FAILED`; `details.fields` names each one), or a broken rule named by its code."),
    (429, "Too many attempts (`TOO_MANY_REQUESTS`); see `Retry-After`."),
];

impl ApiResponse for Error {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: DOCUMENTED_ERRORS
                .iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(*status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: "application/json; charset=utf-8",
                        schema: ErrorEnvelope::schema_ref(),
                    }],
                    headers: vec![],
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        ErrorEnvelope::register(registry);
    }
}

/// serde's message for an unknown field: "unknown field `x`, expected ...".
fn unknown_field(reason: &str) -> Option<String> {
    let start = reason.find("unknown field `")? + "unknown field `".len();
    let end = reason[start..].find('`')?;
    Some(reason[start..start + end].to_owned())
}

/// The catch-all: turns any error that reached the top into the envelope.
pub async fn render(err: poem::Error) -> Response {
    if let Some(ours) = err.downcast_ref::<Error>() {
        return to_response(ours);
    }
    if let Some(param) = err.downcast_ref::<ParseParamError>() {
        let mut fields = FieldErrors::new();
        fields.insert(param.name.to_owned(), param.reason.clone());
        return to_response(&Error::Validation(fields));
    }
    if err.is::<ParsePathError>() {
        // `/patients/abc` names no patient: the same answer as a missing one.
        return to_response(&Error::NotFound { entity: "resource" });
    }
    if let Some(payload) = err.downcast_ref::<ParseRequestPayloadError>() {
        if let Some(field) = unknown_field(&payload.reason) {
            let mut fields = FieldErrors::new();
            fields.insert(field, "is not a known field".into());
            return to_response(&Error::Validation(fields));
        }
        return envelope(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedRequest,
            format!("the request body could not be read: {}", payload.reason),
            None,
        );
    }
    if err.is::<AuthorizationError>() {
        return to_response(&Error::unauthorized(ErrorCode::Unauthenticated, "sign in to continue"));
    }
    let status = err.status();
    let (code, message) = match status {
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "there is nothing at this address".to_owned()),
        StatusCode::METHOD_NOT_ALLOWED => {
            (ErrorCode::MethodNotAllowed, "this address does not accept that method".to_owned())
        }
        StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::PayloadTooLarge, "the request body is too large".to_owned()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            (ErrorCode::UnsupportedMediaType, "send the body as application/json".to_owned())
        }
        StatusCode::UNAUTHORIZED => (ErrorCode::Unauthenticated, "sign in to continue".to_owned()),
        s if s.is_client_error() => (ErrorCode::MalformedRequest, err.to_string()),
        _ => {
            tracing::error!(error = %err, "unhandled error");
            (ErrorCode::Internal, "something went wrong on the server".to_owned())
        }
    };
    envelope(status, code, message, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_unknown_field_in_serde_messages() {
        assert_eq!(unknown_field("unknown field `nickname`, expected one of `a`, `b`").as_deref(), Some("nickname"));
        assert_eq!(unknown_field("expected value at line 1"), None);
    }
}
