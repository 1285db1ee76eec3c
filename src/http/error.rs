//! Maps every error, ours or the framework's, to one JSON envelope:
//! `{"error": {"code", "message", "details"}}`.

use std::collections::HashMap;
use std::sync::OnceLock;

use poem::error::ResponseError;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::error::{AuthorizationError, ParseParamError, ParsePathError, ParseRequestPayloadError};
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Object};

use crate::http::words::{plain_words, rule_in_words, type_in_words};
use crate::kit::error::{Error, ErrorCode, ErrorDetails, FieldErrors};

#[derive(Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ErrorBody {
    // No doc comment here: it would wrap the reference in `allOf`, which
    // some client generators cannot read. `ErrorCode` documents itself.
    pub code: ErrorCode,
    /// A sentence for people.
    pub message: String,
    // Undocumented here for the same reason; `ErrorDetails` says which code carries which.
    pub details: Option<ErrorDetails>,
    /// The request's id, the same as its `X-Request-Id` response header: quote
    /// it when reporting a problem, it finds the request in the server's log.
    pub request_id: Option<String>,
}

#[derive(Object)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

fn envelope(status: StatusCode, code: ErrorCode, message: String, details: Option<ErrorDetails>) -> Response {
    // Absent details are left out, as the schema says, rather than sent as null.
    let mut error = serde_json::json!({ "code": code.as_str(), "message": message });
    if let Some(request_id) = crate::http::context::current_request_id() {
        error["request_id"] = request_id.into();
    }
    if let Some(details) = details.as_ref().and_then(poem_openapi::types::ToJSON::to_json) {
        error["details"] = details;
    }
    let body = serde_json::json!({ "error": error });
    Response::builder().status(status).content_type("application/json; charset=utf-8").body(body.to_string())
}

/// The one place where an error becomes an HTTP status: its code decides,
/// so the spec lists each code under the status it really comes with.
pub fn status_of(err: &Error) -> StatusCode {
    status_of_code(err.code())
}

/// The status every answer with `code` has.
pub fn status_of_code(code: ErrorCode) -> StatusCode {
    use ErrorCode as C;
    match code {
        C::MalformedRequest => StatusCode::BAD_REQUEST,
        C::Unauthenticated
        | C::InvalidCredentials
        | C::TokenExpired
        | C::InvalidToken
        | C::TokenReused
        | C::InvalidMfaCode => StatusCode::UNAUTHORIZED,
        C::CsrfFailed | C::Forbidden | C::InvalidSetupToken | C::MfaEnrolmentRequired => StatusCode::FORBIDDEN,
        C::NotFound => StatusCode::NOT_FOUND,
        C::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        C::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        C::UriTooLong => StatusCode::URI_TOO_LONG,
        C::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        C::AlreadySetUp
        | C::LastAdmin
        | C::EmailTaken
        | C::PossibleDuplicate
        | C::AlreadyArchived
        | C::NotArchived
        | C::PatientMerged
        | C::NoteSigned
        | C::NoteDiscarded
        | C::NoteNotSigned
        | C::AlreadyResolved
        | C::AlreadyAssigned
        | C::AlreadyEnrolled
        | C::MergeUndone
        | C::SlotTaken
        | C::AlreadyBooked
        | C::Full
        | C::InvalidTransition
        | C::CheckInTooEarly
        | C::NotStarted
        | C::MfaAlreadyEnabled
        | C::MfaNotEnabled
        | C::MfaRequired => StatusCode::CONFLICT,
        C::ValidationFailed
        | C::PatientArchived
        | C::NotAGroupSession
        | C::OutsideAvailability
        | C::TimeOff
        | C::TooSoon
        | C::TooFarAhead
        | C::NotOffered
        | C::ServiceInactive
        | C::ClinicianInactive
        | C::NonexistentLocalTime => StatusCode::UNPROCESSABLE_ENTITY,
        C::TooManyRequests | C::TooManyConnections => StatusCode::TOO_MANY_REQUESTS,
        C::UpgradeRequired => StatusCode::UPGRADE_REQUIRED,
        C::SearchUnavailable | C::DataDirInUse => StatusCode::SERVICE_UNAVAILABLE,
        // The backup and start-up codes answer on the command line; over
        // HTTP they would be a request the server cannot act on.
        C::BackupInvalid | C::NotABackup | C::NoGoodCopy | C::NoDatabase | C::TargetNotEmpty | C::InvalidConfig => {
            StatusCode::BAD_REQUEST
        }
        C::Internal => StatusCode::INTERNAL_SERVER_ERROR,
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
    (409, "Conflicts with the current state; `error.code` says how (see `ErrorCode`)."),
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

/// The allowed values of each enum in the spec, by schema name, so a bad
/// value can be answered with the good ones. The server fills it at start.
static ENUM_VALUES: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();

/// Hands the toolkit the spec's enums (schema name to allowed values).
pub fn know_enums(values: HashMap<String, Vec<String>>) {
    let _ = ENUM_VALUES.set(values);
}

/// A query or path value that did not parse, as a field problem in words.
fn plain_problem(reason: &str) -> String {
    if let Some(rule) = rule_in_words(reason) {
        return rule;
    }
    let parsed = reason.strip_prefix("failed to parse \"").and_then(|r| r.split_once("\": "));
    let Some((type_name, _)) = parsed else { return plain_words(reason) };
    if let Some(words) = type_in_words(type_name) {
        return format!("must be {words}");
    }
    match ENUM_VALUES.get().and_then(|values| values.get(type_name)) {
        Some(values) => format!("must be one of {}", values.join(", ")),
        None => "is not one of the allowed values".to_owned(),
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
        fields.insert(param.name.to_owned(), plain_problem(&param.reason));
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
            format!("the request body could not be read: {}", plain_words(&payload.reason)),
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
    fn framework_type_names_become_words() {
        assert_eq!(
            plain_problem(
                "failed to parse \"integer_int64\": invalid digit found in string (occurred while parsing \"optional_integer_int64\")"
            ),
            "must be a whole number"
        );
        assert_eq!(
            plain_problem("failed to parse \"string_naive-date\": input contains invalid characters"),
            "must be a date written YYYY-MM-DD"
        );
        let body = plain_words(
            "Expected input type \"string\", found 1. (occurred while parsing \"optional_string\") (occurred while parsing \"NewPatient\")",
        );
        assert_eq!(body, "Expected input type text, found 1.");
        assert!(!body.contains("optional_"));
    }

    #[test]
    fn finds_the_unknown_field_in_serde_messages() {
        assert_eq!(unknown_field("unknown field `nickname`, expected one of `a`, `b`").as_deref(), Some("nickname"));
        assert_eq!(unknown_field("expected value at line 1"), None);
    }
}
