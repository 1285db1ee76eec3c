//! Maps every error, ours or the framework's, to one JSON envelope:
//! `{"error": {"code", "message", "details"}}`.

use poem::error::ResponseError;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::error::{AuthorizationError, ParseParamError, ParsePathError, ParseRequestPayloadError};
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Object};

use crate::error::{Error, FieldErrors};

#[derive(Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `VALIDATION_FAILED`, `SLOT_TAKEN`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// More facts; for `VALIDATION_FAILED`, `fields` maps each bad field to its problem.
    pub details: Option<serde_json::Value>,
}

#[derive(Object)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

fn envelope(status: StatusCode, code: &str, message: String, details: Option<serde_json::Value>) -> Response {
    // Absent details are left out, as the schema says, rather than sent as null.
    let mut error = serde_json::json!({ "code": code, "message": message });
    if let Some(details) = details {
        error["details"] = details;
    }
    let body = serde_json::json!({ "error": error });
    Response::builder().status(status).content_type("application/json; charset=utf-8").body(body.to_string())
}

impl Error {
    fn to_response(&self) -> Response {
        if let Error::Internal(message) = self {
            tracing::error!(error = %message, "internal error");
        }
        let mut response = envelope(self.status(), self.code(), self.public_message(), self.details());
        if let Error::TooManyRequests { retry_after_secs } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if let Error::Unauthorized { .. } = self {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl ResponseError for Error {
    fn status(&self) -> StatusCode {
        Error::status(self)
    }
    fn as_response(&self) -> Response {
        self.to_response()
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.to_response()
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
        return ours.to_response();
    }
    if let Some(param) = err.downcast_ref::<ParseParamError>() {
        let mut fields = FieldErrors::new();
        fields.insert(param.name.to_owned(), param.reason.clone());
        return Error::Validation(fields).to_response();
    }
    if err.is::<ParsePathError>() {
        // `/patients/abc` names no patient: the same answer as a missing one.
        return Error::NotFound { entity: "resource" }.to_response();
    }
    if let Some(payload) = err.downcast_ref::<ParseRequestPayloadError>() {
        if let Some(field) = unknown_field(&payload.reason) {
            let mut fields = FieldErrors::new();
            fields.insert(field, "is not a known field".into());
            return Error::Validation(fields).to_response();
        }
        return envelope(
            StatusCode::BAD_REQUEST,
            "MALFORMED_REQUEST",
            format!("the request body could not be read: {}", payload.reason),
            None,
        );
    }
    if err.is::<AuthorizationError>() {
        return Error::unauthorized("UNAUTHENTICATED", "sign in to continue").to_response();
    }
    let status = err.status();
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("NOT_FOUND", "there is nothing at this address".to_owned()),
        StatusCode::METHOD_NOT_ALLOWED => ("METHOD_NOT_ALLOWED", "this address does not accept that method".to_owned()),
        StatusCode::PAYLOAD_TOO_LARGE => ("PAYLOAD_TOO_LARGE", "the request body is too large".to_owned()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("UNSUPPORTED_MEDIA_TYPE", "send the body as application/json".to_owned())
        }
        StatusCode::UNAUTHORIZED => ("UNAUTHENTICATED", "sign in to continue".to_owned()),
        s if s.is_client_error() => ("MALFORMED_REQUEST", err.to_string()),
        _ => {
            tracing::error!(error = %err, "unhandled error");
            ("INTERNAL", "something went wrong on the server".to_owned())
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
