//! The one error type. Every layer returns it; `http::error` maps it to the
//! JSON envelope in one place, so codes stay stable for integrators.

use std::collections::BTreeMap;

use poem::http::StatusCode;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Field name (dotted path for nested objects) to a human-readable problem.
pub type FieldErrors = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    #[error("{message}")]
    Conflict { code: &'static str, message: String, details: Option<serde_json::Value> },
    #[error("the request has invalid fields")]
    Validation(FieldErrors),
    /// Well-formed but against a rule, named by `code` (e.g. `OUTSIDE_AVAILABILITY`).
    #[error("{message}")]
    Rule { code: &'static str, message: String },
    #[error("too many attempts; try again in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("{message}")]
    Unavailable { code: &'static str, message: String },
    /// Anything we did not expect. The message is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Error::Unauthorized { code, message: message.into() }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Error::Forbidden { code: "FORBIDDEN", message: message.into() }
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Error::Conflict { code, message: message.into(), details: None }
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Error::BadRequest { code, message: message.into() }
    }
    pub fn invalid_field(field: &str, problem: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(field.to_owned(), problem.into());
        Error::Validation(fields)
    }
    pub fn rule(code: &'static str, message: impl Into<String>) -> Self {
        Error::Rule { code, message: message.into() }
    }
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Error::Internal(message.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Error::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Error::Forbidden { .. } => StatusCode::FORBIDDEN,
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            Error::Conflict { .. } => StatusCode::CONFLICT,
            Error::Validation(_) | Error::Rule { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::BadRequest { code, .. }
            | Error::Unauthorized { code, .. }
            | Error::Forbidden { code, .. }
            | Error::Conflict { code, .. }
            | Error::Unavailable { code, .. }
            | Error::Rule { code, .. } => code,
            Error::NotFound { .. } => "NOT_FOUND",
            Error::Validation(_) => "VALIDATION_FAILED",
            Error::TooManyRequests { .. } => "TOO_MANY_REQUESTS",
            Error::Internal(_) => "INTERNAL",
        }
    }

    /// The message a client may see. Internal details stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            Error::Internal(_) => "something went wrong on the server".to_owned(),
            other => other.to_string(),
        }
    }

    /// The full message, internal details included: for the command line,
    /// where the person reading it runs the server.
    pub fn public_message_or_internal(&self) -> String {
        match self {
            Error::Internal(message) => message.clone(),
            other => other.to_string(),
        }
    }

    pub fn details(&self) -> Option<serde_json::Value> {
        match self {
            Error::Validation(fields) => Some(serde_json::json!({ "fields": fields })),
            Error::Conflict { details, .. } => details.clone(),
            Error::TooManyRequests { retry_after_secs } => {
                Some(serde_json::json!({ "retry_after_seconds": retry_after_secs }))
            }
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        Error::Internal(format!("database: {err}"))
    }
}

impl From<r2d2::Error> for Error {
    fn from(err: r2d2::Error) -> Self {
        Error::Internal(format!("database pool: {err}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::Internal(format!("io: {err}"))
    }
}

/// Collects field problems so one response names every bad field at once.
#[derive(Default)]
pub struct Validator {
    fields: FieldErrors,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: &str, problem: impl Into<String>) {
        self.fields.entry(field.to_owned()).or_insert_with(|| problem.into());
    }
    pub fn finish(self) -> Result<()> {
        if self.fields.is_empty() { Ok(()) } else { Err(Error::Validation(self.fields)) }
    }
}
