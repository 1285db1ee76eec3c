//! The one error type. Every layer returns it; it knows no HTTP: `http::error`
//! maps each variant to a status and renders the JSON envelope in one place,
//! so codes stay stable for integrators.

use std::collections::BTreeMap;

use poem_openapi::Enum;

pub use crate::kit::details::*;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Field name (dotted path for nested objects) to a human-readable problem.
pub type FieldErrors = BTreeMap<String, String>;

/// Any error a lower layer hands up, kept whole for the log.
pub type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Declares the codes once: each variant with its wire name and its meaning.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// Every code the API answers with, as `error.code`: stable and
        /// machine-readable. A client branches on these, never on the message.
        #[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* #[oai(rename = $name)] $variant,)*
        }

        impl ErrorCode {
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it appears in the envelope, e.g. `SLOT_TAKEN`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                }
            }

            /// What the code means and what a client should do about it.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => concat!($($doc),*).trim_ascii(),)*
                }
            }
        }
    };
}

error_codes! {
    /// The body is not JSON at all (a JSON body with a wrong value is `VALIDATION_FAILED`). Fix the request.
    MalformedRequest = "MALFORMED_REQUEST",
    /// One or more fields, in the body or the query, are invalid; `details.fields` names each one in words.
    ValidationFailed = "VALIDATION_FAILED",
    /// No credential was sent, or it is not valid. Sign in.
    Unauthenticated = "UNAUTHENTICATED",
    /// The email or password is wrong. Ask again; repeated failures slow down with 429.
    InvalidCredentials = "INVALID_CREDENTIALS",
    /// The access token or session has expired: refresh, or sign in again.
    TokenExpired = "TOKEN_EXPIRED",
    /// The refresh token is not valid: sign in again.
    InvalidToken = "INVALID_TOKEN",
    /// The refresh token was used before; every token of that sign-in was revoked. Sign in again.
    TokenReused = "TOKEN_REUSED",
    /// The MFA code, or the MFA sign-in step, is not right or has expired. Ask again; after a few failures sign in again.
    InvalidMfaCode = "INVALID_MFA_CODE",
    /// The caller's role must use MFA and the caller has not set it up: only MFA enrolment, `/auth/me` and signing out work until they do.
    MfaEnrolmentRequired = "MFA_ENROLMENT_REQUIRED",
    /// MFA is already on for this account; turn it off first to enrol a new authenticator.
    MfaAlreadyEnabled = "MFA_ALREADY_ENABLED",
    /// MFA is not on for this account (or its enrolment was not started).
    MfaNotEnabled = "MFA_NOT_ENABLED",
    /// The clinic requires MFA for this role, so it cannot be turned off.
    MfaRequired = "MFA_REQUIRED",
    /// A browser request that changes data came without the session's `X-CSRF-Token`.
    CsrfFailed = "CSRF_FAILED",
    /// The caller's role may not do this.
    Forbidden = "FORBIDDEN",
    /// The one-time setup link is not valid.
    InvalidSetupToken = "INVALID_SETUP_TOKEN",
    /// No such record, or nothing at this address.
    NotFound = "NOT_FOUND",
    /// The address does not accept this method.
    MethodNotAllowed = "METHOD_NOT_ALLOWED",
    /// The patient already has this questionnaire assigned and active; end that assignment first.
    AlreadyAssigned = "ALREADY_ASSIGNED",
    /// The patient is already enrolled in this programme and active in it.
    AlreadyEnrolled = "ALREADY_ENROLLED",
    /// The request body is larger than the server accepts.
    PayloadTooLarge = "PAYLOAD_TOO_LARGE",
    /// The address with its query is longer than 8 KiB; send long values in a body.
    UriTooLong = "URI_TOO_LONG",
    /// The body is not of a type this operation accepts: JSON where JSON is asked for, or a file whose bytes are not one of the accepted types.
    UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE",
    /// Too many attempts; wait `details.retry_after_seconds` (also `Retry-After`).
    TooManyRequests = "TOO_MANY_REQUESTS",
    /// This address speaks WebSocket only: open it with an `Upgrade: websocket` request.
    UpgradeRequired = "UPGRADE_REQUIRED",
    /// This person or key already holds as many live-event connections as allowed (or the server does): close one, such as another tab.
    TooManyConnections = "TOO_MANY_CONNECTIONS",
    /// Something failed on the server; the request id finds it in the log.
    Internal = "INTERNAL",
    /// The first administrator already exists.
    AlreadySetUp = "ALREADY_SET_UP",
    /// The clinic must keep one active administrator.
    LastAdmin = "LAST_ADMIN",
    /// Another staff account has this email.
    EmailTaken = "EMAIL_TAKEN",
    /// A patient with the same name and birth date, or phone, exists; `details.matches` lists them.
    PossibleDuplicate = "POSSIBLE_DUPLICATE",
    /// The patient is already archived.
    AlreadyArchived = "ALREADY_ARCHIVED",
    /// The patient is not archived.
    NotArchived = "NOT_ARCHIVED",
    /// The record was merged into another (`merged_into_id`): work on that one, or undo the merge first.
    PatientMerged = "PATIENT_MERGED",
    /// The possible duplicate was already dismissed or merged.
    AlreadyResolved = "ALREADY_RESOLVED",
    /// The merge was already undone.
    MergeUndone = "MERGE_UNDONE",
    /// The note is signed and never changes: add an addendum to correct it.
    NoteSigned = "NOTE_SIGNED",
    /// The note was discarded by its author.
    NoteDiscarded = "NOTE_DISCARDED",
    /// Only a signed note takes addenda; change the draft instead.
    NoteNotSigned = "NOTE_NOT_SIGNED",
    /// The patient is archived; restore them first.
    PatientArchived = "PATIENT_ARCHIVED",
    /// The time is taken; `details` has the clashing `appointment_id` and its `start`. Offer another slot.
    SlotTaken = "SLOT_TAKEN",
    /// The patient already holds a place in this session.
    AlreadyBooked = "ALREADY_BOOKED",
    /// The group session has no free seat.
    Full = "FULL",
    /// The appointment is not a group session.
    NotAGroupSession = "NOT_A_GROUP_SESSION",
    /// The appointment's status does not allow this step; `details` has the `action` and the current `status`. Refetch the appointment.
    InvalidTransition = "INVALID_TRANSITION",
    /// The clinician does not work at that time and place.
    OutsideAvailability = "OUTSIDE_AVAILABILITY",
    /// The clinician is away at that time.
    TimeOff = "TIME_OFF",
    /// Inside the minimum notice for booking or cancelling (binds API keys
    /// and patients; staff signed in are warned, not refused), or a time
    /// already past.
    TooSoon = "TOO_SOON",
    /// Check-in opens `check_in_opens_minutes` before the start (booking settings).
    CheckInTooEarly = "CHECK_IN_TOO_EARLY",
    /// The appointment has not started: it cannot be completed or marked a no-show yet.
    NotStarted = "NOT_STARTED",
    /// Beyond the booking window.
    TooFarAhead = "TOO_FAR_AHEAD",
    /// The clinician does not offer this service.
    NotOffered = "NOT_OFFERED",
    /// The service is not active.
    ServiceInactive = "SERVICE_INACTIVE",
    /// The clinician is not active.
    ClinicianInactive = "CLINICIAN_INACTIVE",
    /// That local time does not exist (a daylight-saving gap).
    NonexistentLocalTime = "NONEXISTENT_LOCAL_TIME",
    /// The search index is being rebuilt; try again shortly.
    SearchUnavailable = "SEARCH_UNAVAILABLE",
    /// A backup failed verification.
    BackupInvalid = "BACKUP_INVALID",
    /// The folder holds no backup.
    NotABackup = "NOT_A_BACKUP",
    /// No snapshot passed verification.
    NoGoodCopy = "NO_GOOD_COPY",
    /// There is no database where one was expected.
    NoDatabase = "NO_DATABASE",
    /// The restore target is not empty.
    TargetNotEmpty = "TARGET_NOT_EMPTY",
    /// Another Clinicbox process is using the data directory.
    DataDirInUse = "DATA_DIR_IN_USE",
    /// The configuration or the command line is not valid.
    InvalidConfig = "INVALID_CONFIG",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{message}")]
    BadRequest { code: ErrorCode, message: String },
    #[error("{message}")]
    Unauthorized { code: ErrorCode, message: String },
    #[error("{message}")]
    Forbidden { code: ErrorCode, message: String },
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String, details: Option<ErrorDetails> },
    #[error("the request has invalid fields")]
    Validation(FieldErrors),
    /// Well-formed but against a rule, named by `code` (e.g. `OUTSIDE_AVAILABILITY`).
    #[error("{message}")]
    Rule { code: ErrorCode, message: String },
    #[error("too many attempts; try again in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("{message}")]
    Unavailable { code: ErrorCode, message: String },
    /// Anything we did not expect. The message and its source are logged,
    /// never sent.
    #[error("{message}")]
    Internal {
        message: String,
        #[source]
        source: Option<Source>,
    },
}

impl Error {
    pub fn unauthorized(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::Unauthorized { code, message: message.into() }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Error::Forbidden { code: ErrorCode::Forbidden, message: message.into() }
    }
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::Conflict { code, message: message.into(), details: None }
    }
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::BadRequest { code, message: message.into() }
    }
    pub fn invalid_field(field: &str, problem: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(field.to_owned(), problem.into());
        Error::Validation(fields)
    }
    pub fn rule(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::Rule { code, message: message.into() }
    }
    /// An unexpected failure described in words, with no underlying error.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Error::Internal { message: message.to_string(), source: None }
    }
    /// An unexpected failure of `source`, described by `message`.
    pub fn internal_from(message: impl Into<String>, source: impl Into<Source>) -> Self {
        Error::Internal { message: message.into(), source: Some(source.into()) }
    }
    /// A stored value that does not parse: names the table, row and column.
    pub fn bad_stored_value(table: &str, id: i64, column: &str, value: impl std::fmt::Display) -> Self {
        Error::internal(format!("{table} row {id}: stored {column} {value} is not valid"))
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Error::BadRequest { code, .. }
            | Error::Unauthorized { code, .. }
            | Error::Forbidden { code, .. }
            | Error::Conflict { code, .. }
            | Error::Unavailable { code, .. }
            | Error::Rule { code, .. } => *code,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::Validation(_) => ErrorCode::ValidationFailed,
            Error::TooManyRequests { .. } => ErrorCode::TooManyRequests,
            Error::Internal { .. } => ErrorCode::Internal,
        }
    }

    /// The message a client may see. Internal details stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            Error::Internal { .. } => "something went wrong on the server".to_owned(),
            other => other.to_string(),
        }
    }

    /// The whole story, causes included: for the log and for the command
    /// line, where the person reading it runs the server.
    pub fn full_message(&self) -> String {
        if let Error::Validation(fields) = self {
            let problems: Vec<String> = fields.iter().map(|(field, problem)| format!("{field} {problem}")).collect();
            return problems.join("; ");
        }
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(err) = cause {
            text.push_str(": ");
            text.push_str(&err.to_string());
            cause = err.source();
        }
        text
    }

    pub fn details(&self) -> Option<ErrorDetails> {
        match self {
            Error::Validation(fields) => Some(ErrorDetails::Fields(FieldDetails { fields: fields.clone() })),
            Error::Conflict { details, .. } => details.clone(),
            Error::TooManyRequests { retry_after_secs } => {
                Some(ErrorDetails::RetryAfter(RetryAfterDetails { retry_after_seconds: *retry_after_secs }))
            }
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        Error::internal_from("database", err)
    }
}

impl From<r2d2::Error> for Error {
    fn from(err: r2d2::Error) -> Self {
        Error::internal_from("database pool", err)
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::internal_from("io", err)
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(err: tokio::task::JoinError) -> Self {
        Error::internal_from("background task", err)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serialises_as_its_wire_name() {
        for code in ErrorCode::ALL {
            let json = poem_openapi::types::ToJSON::to_json(code).unwrap();
            assert_eq!(json.as_str(), Some(code.as_str()));
        }
        assert_eq!(ErrorCode::SlotTaken.as_str(), "SLOT_TAKEN");
        assert_eq!(ErrorCode::NotAGroupSession.as_str(), "NOT_A_GROUP_SESSION");
        assert_eq!(ErrorCode::CsrfFailed.to_string(), "CSRF_FAILED");
    }

    #[test]
    fn every_code_says_what_it_means() {
        for code in ErrorCode::ALL {
            assert!(code.meaning().len() > 10, "{code}");
        }
        assert!(ErrorCode::TokenExpired.meaning().contains("refresh"));
    }

    #[test]
    fn internal_errors_keep_their_source_for_the_log() {
        let err: Error = rusqlite::Error::InvalidQuery.into();
        assert_eq!(err.code(), ErrorCode::Internal);
        assert!(std::error::Error::source(&err).is_some());
        assert!(err.full_message().starts_with("database: "), "{}", err.full_message());
        assert_eq!(err.public_message(), "something went wrong on the server");
    }
}
